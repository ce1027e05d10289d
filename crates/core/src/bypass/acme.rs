//! ACME HTTP-01 challenges (`/.well-known/acme-challenge/<token>`, what cert-manager's solver
//! and other ACME clients answer) reach the upstream while maintenance applies, so certificates
//! renew during long maintenance. On by default; `bypass.acme: false` turns it off.
//!
//! The path is read as bypass paths are (`paths.rs`): the normalized path and the literal one
//! must both be under the prefix, so an ambiguous spelling never passes.

use crate::request::path::{literal_path, NormalizedPath};

/// The ACME HTTP-01 challenge prefix (RFC 8555 section 8.3).
pub const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge";

/// Whether `path` is the prefix or below it, segment-aware.
fn under_prefix(path: &str) -> bool {
    path.strip_prefix(CHALLENGE_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether a request (its normalized path, and its raw `:path`) is an ACME challenge.
pub fn is_challenge(path: &NormalizedPath, raw: &[u8]) -> bool {
    matches!(path, NormalizedPath::Clean(clean) if under_prefix(clean))
        && literal_path(raw).is_some_and(under_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::path::normalize;

    fn challenge(raw: &str) -> bool {
        is_challenge(&normalize(raw.as_bytes()), raw.as_bytes())
    }

    #[test]
    fn challenges_are_recognized_after_normalization() {
        for yes in [
            "/.well-known/acme-challenge/abc-DEF_123",
            "/.well-known/acme-challenge/abc?x=1",
            "/.well-known/acme-challenge",
            "/.well-known/acme-challenge/",
            "/.well-known/acme-challenge/%7Etoken",
        ] {
            assert!(challenge(yes), "{yes}");
        }
        for no in [
            "/.well-known/acme-challengex/abc",
            "/.well-known/acme",
            "/.well-known/ACME-CHALLENGE/abc",
            "/x/.well-known/acme-challenge/abc",
            "/.well-known/acme-challenge/../../admin",
            "/.well-known/acme-challenge/..%2Fadmin",
            "//.well-known/acme-challenge/abc",
            "/.well-known/acme-challenge/abc;x",
            // Decodes to the prefix, but a reader that does not decode sees another path.
            "/.well-known/%61cme-challenge/abc",
            "/.well-known/acme-challenge/a/../b",
            "/?/.well-known/acme-challenge/abc",
            "",
        ] {
            assert!(!challenge(no), "{no}");
        }
    }
}
