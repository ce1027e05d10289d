//! The whole request decision against configurations that use every feature. The input is the
//! request as lines (headers cannot hold a newline): method, authority, path, bypass token,
//! cookie, source address, then the rest as the dynamic metadata JWT claims are read from; a
//! missing line is a missing header. Properties: nothing panics, a
//! path bypass needs a clean path, and a request whose path and host are both ambiguous never
//! leaves the scope.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maintenance_core::config::parse;
use maintenance_core::decision::{decide, Decision, RequestFacts, Via};
use maintenance_core::plan::Plan;
use maintenance_core::request::hostname::{normalize_host, NormalizedHost};
use maintenance_core::request::path::{normalize, NormalizedPath};

/// SHA-256 of "abc".
const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

thread_local! {
    // Plans hold `Rc`s: one set per thread (libFuzzer runs the target on one).
    static PLANS: Vec<Plan> = plans();
}

fn plans() -> Vec<Plan> {
    [
            // Every route names a host and a path: only a clean request can leave the scope.
            r#"{"enabled": true, "upstream_fallback": {},
              "routes": [{"hosts": ["shop.example.com", "*.api.example.com", "[::1]", "127.0.0.1"],
                          "path_prefix": "/shop", "methods": ["GET", "POST"]},
                         {"hosts": ["*.example.org"], "path": "/login"}],
              "bypass": {"paths": ["/admin", "/shop/health"], "cidrs": ["10.0.0.0/8", "2001:db8::/32"],
                         "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
                         "cookie": {"name": "mm", "sha256": "ABC", "set_path": "/shop/__mm"},
                         "jwt": [{"payload": "payload", "claim": "a.b", "any_of": ["x"]}]}}"#,
            // Windows and fallback only.
            r#"{"enabled": true, "windows": [{"start": "2020-01-01T00:00:00Z", "end": "2040-01-01T00:00:00Z"}],
              "upstream_fallback": {"statuses": [502, 503]},
              "bypass": {"paths": ["/"], "cookie": {"name": "__Host-mm", "sha256": "ABC"}}}"#,
        ]
        .iter()
        .map(|config| match parse(config.replace("ABC", ABC).as_bytes()) {
            Ok(plan) => plan,
            Err(error) => panic!("fuzz plan does not parse: {error}"),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (selector, data) = data.split_first().unwrap_or((&0, data));
    // The seventh part, newlines and all, is the stream's dynamic metadata (`bypass.jwt`).
    let mut lines = data.splitn(7, |&b| b == b'\n');
    let method = lines.next().unwrap_or_default();
    let authority = lines.next();
    let path = lines.next().unwrap_or_default();
    let token_values = [lines.next().map(<[u8]>::to_vec)];
    let cookie = lines.next();
    let source_address = lines.next();
    let dynamic_metadata = lines.next();
    PLANS.with(|plans| {
        let index = usize::from(*selector) % plans.len();
        let plan = &plans[index];
        let facts = RequestFacts {
            method,
            authority,
            path,
            token_values: &token_values,
            cookie,
            source_address,
            dynamic_metadata,
        };
        let now = 1_800_000_000;
        let decision = decide(plan, &facts, now);
        let clean_path = matches!(normalize(path), NormalizedPath::Clean(_));
        if let Decision::Bypassed { via: Via::Path, .. } = decision {
            assert!(
                clean_path,
                "{:?} bypassed by path",
                String::from_utf8_lossy(path)
            );
        }
        // Plan 0's routes all name hosts and paths: a request whose host and path are both
        // ambiguous matches them (fails closed) whenever its method fits.
        if decision == Decision::OutOfScope && index == 0 {
            let fits = [&b"GET"[..], b"POST"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method));
            assert!(
                clean_path
                    || matches!(normalize_host(authority), NormalizedHost::Clean(_))
                    || !fits,
                "{:?} {:?} out of scope",
                authority.map(String::from_utf8_lossy),
                String::from_utf8_lossy(path)
            );
        }
        let _ = format!("{decision:?}");
    });
});
