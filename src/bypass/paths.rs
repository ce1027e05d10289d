//! Bypass paths: prefixes that go upstream even while maintenance applies.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use crate::bytes::Fnv;
use crate::target::path::{literal_path, prefixes_of, NormalizedPath};

/// Paths that go upstream even while maintenance applies.
#[derive(Debug, Default)]
pub struct BypassPaths {
    /// Normalized prefixes without trailing slash (except `/`).
    prefixes: HashSet<String, BuildHasherDefault<Fnv>>,
}

impl BypassPaths {
    pub fn new(prefixes: impl IntoIterator<Item = String>) -> BypassPaths {
        BypassPaths {
            prefixes: prefixes.into_iter().collect(),
        }
    }

    #[allow(clippy::len_without_is_empty)] // only counted for the summary
    pub fn len(&self) -> usize {
        self.prefixes.len()
    }

    /// Only a clean path can be bypassed: ambiguity never widens a bypass.
    pub fn contains(&self, path: &NormalizedPath) -> bool {
        match path {
            NormalizedPath::Clean(path) if !self.prefixes.is_empty() => {
                prefixes_of(path).any(|prefix| self.prefixes.contains(prefix))
            }
            _ => false,
        }
    }

    /// Whether the raw `:path`, read literally (no decoding), is under a prefix too. A bypass
    /// needs both readings: an upstream that does not decode sees `/%61dmin` as another path
    /// than `/admin`, perhaps one served by a catch-all route.
    pub fn contains_literally(&self, raw: &[u8]) -> bool {
        match literal_path(raw) {
            Some(path) if !self.prefixes.is_empty() && path.starts_with('/') => {
                prefixes_of(path).any(|prefix| self.prefixes.contains(prefix))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::path::normalize;

    #[test]
    fn bypass_paths_are_segment_aware_and_never_ambiguous() {
        let bypass = BypassPaths::new(["/admin".to_string(), "/healthz".to_string()]);
        let covers = |raw: &str| bypass.contains(&normalize(raw.as_bytes()));
        assert!(covers("/admin"));
        assert!(covers("/admin/"));
        assert!(covers("/admin/users?x=1"));
        assert!(covers("/%61dmin"));
        assert!(covers("/healthz"));
        assert!(!covers("/administrator"));
        assert!(!covers("/ADMIN"));
        assert!(!covers("/admin/../checkout"));
        assert!(!covers("/admin%2Fx"));
        assert!(!covers("/admin;x"));
        assert!(!covers("//admin"));
        assert!(!covers("/checkout?next=/admin"));
        assert!(!covers("/"));
        let everything = BypassPaths::new(["/".to_string()]);
        assert!(everything.contains(&normalize(b"/x")));
    }

    #[test]
    fn literal_reading_of_bypass_paths() {
        let bypass = BypassPaths::new(["/admin".to_string(), "/caf%C3%A9".to_string()]);
        assert!(bypass.contains_literally(b"/admin"));
        assert!(bypass.contains_literally(b"/admin/%7Euser?x=%61"));
        assert!(bypass.contains_literally(b"/caf%C3%A9/x"));
        // Readers that do not decode see other paths.
        assert!(!bypass.contains_literally(b"/%61dmin/x"));
        assert!(!bypass.contains_literally(b"/admi%6E"));
        assert!(!bypass.contains_literally(b"/caf%c3%a9/x"));
        assert!(!bypass.contains_literally(b"/administrator"));
        assert!(!bypass.contains_literally(b"admin"));
        assert!(!bypass.contains_literally(b"/admin/\xc3"));
        assert!(!bypass.contains_literally(b""));
        assert!(!BypassPaths::default().contains_literally(b"/admin"));
    }
}
