//! The configuration parser on arbitrary bytes: it never panics, an accepted configuration
//! renders its summary, and every problem names a field and says what is wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maintenance_core::config::parse;

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(plan) => {
            let _ = plan.summary();
            let _ = plan.in_effect(0);
            let _ = plan.schedule_status(1_700_000_000);
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for problem in &problems {
                assert!(!problem.field().is_empty() && !problem.message().is_empty());
            }
        }
    }
});
