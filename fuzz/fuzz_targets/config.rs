//! The configuration parser on arbitrary bytes: it never panics, an accepted configuration
//! renders its summary, and an error names a field.
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
        Err(error) => assert!(!error.field.is_empty() && !error.message.is_empty()),
    }
});
