//! Bypass paths: prefixes that go upstream even while maintenance applies.

use crate::bytes::{index_number, Fnv, HashIndex};
use crate::request::path::{literal_path, NormalizedPath, PrefixHashes};

/// Paths that go upstream even while maintenance applies.
#[derive(Debug, Default)]
pub struct BypassPaths {
    /// Normalized prefixes without trailing slash (except `/`), as configured.
    prefixes: Box<[Box<str>]>,
    /// Where each prefix is, by hash (compact: see [`HashIndex`]).
    index: HashIndex,
    /// How many different prefixes there are.
    distinct: usize,
}

impl BypassPaths {
    pub fn new(prefixes: impl IntoIterator<Item = String>) -> BypassPaths {
        let prefixes: Box<[Box<str>]> = prefixes.into_iter().map(String::into_boxed_str).collect();
        let index = HashIndex::new(
            prefixes
                .iter()
                .enumerate()
                .map(|(number, prefix)| {
                    (
                        Fnv::START.bytes(prefix.as_bytes()).key(),
                        index_number(number),
                    )
                })
                .collect(),
        );
        // Equal prefixes have equal hashes, so they sit next to each other in the index.
        let entries = index.entries();
        let distinct = (0..entries.len())
            .filter(|&at| {
                let (hash, number) = entries[at];
                !entries[..at]
                    .iter()
                    .rev()
                    .take_while(|(h, _)| *h == hash)
                    .any(|&(_, earlier)| {
                        prefixes.get(earlier as usize) == prefixes.get(number as usize)
                    })
            })
            .count();
        BypassPaths {
            prefixes,
            index,
            distinct,
        }
    }

    #[allow(clippy::len_without_is_empty)] // only counted for the summary
    pub fn len(&self) -> usize {
        self.distinct
    }

    /// Whether a prefix of `path` is listed: one hash lookup per prefix, hashed in one pass.
    fn covers(&self, path: &str) -> bool {
        PrefixHashes::new(path, Fnv::START).any(|(prefix, hash)| {
            self.index.get(hash.key()).any(|number| {
                self.prefixes
                    .get(number)
                    .is_some_and(|p| p.as_bytes() == prefix)
            })
        })
    }

    /// Only a clean path can be bypassed: ambiguity never widens a bypass.
    pub fn contains(&self, path: &NormalizedPath) -> bool {
        match path {
            NormalizedPath::Clean(path) if !self.prefixes.is_empty() => self.covers(path),
            _ => false,
        }
    }

    /// Whether the raw `:path`, read literally (no decoding), is under a prefix too. A bypass
    /// needs both readings: an upstream that does not decode sees `/%61dmin` as another path
    /// than `/admin`, perhaps one served by a catch-all route.
    pub fn contains_literally(&self, raw: &[u8]) -> bool {
        match literal_path(raw) {
            Some(path) if !self.prefixes.is_empty() && path.starts_with('/') => self.covers(path),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::path::normalize;

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

    #[test]
    fn repeated_prefixes_count_once() {
        let bypass = BypassPaths::new(["/a", "/b", "/a", "/a"].map(String::from));
        assert_eq!(bypass.len(), 2);
        assert!(bypass.contains(&normalize(b"/a/x")) && bypass.contains(&normalize(b"/b")));
        assert!(!bypass.contains(&normalize(b"/c")));
    }
}
