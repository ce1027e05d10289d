//! The path and host normalizers on arbitrary bytes: they never panic, and normalizing a
//! normalized path or host gives it back unchanged (idempotence). What the configuration accepts
//! as a path or an exact host is also what a request normalizes to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maintenance_core::request::hostname::{normalize_host, HostPattern, NormalizedHost};
use maintenance_core::request::path::{
    loggable_path, normalize, normalize_config_path, NormalizedPath,
};

fuzz_target!(|data: &[u8]| {
    if let NormalizedPath::Clean(path) = normalize(data) {
        assert!(path.starts_with('/'), "{path:?}");
        assert!(!path.contains("//"), "{path:?}");
        assert_eq!(
            normalize(path.as_bytes()),
            NormalizedPath::Clean(path.clone())
        );
    }
    assert!(data.starts_with(loggable_path(data)));
    if let NormalizedHost::Clean(host) = normalize_host(Some(data)) {
        assert_eq!(
            normalize_host(Some(host.as_bytes())),
            NormalizedHost::Clean(host.clone())
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(path) = normalize_config_path(text) {
            assert_eq!(
                normalize(path.as_bytes()),
                NormalizedPath::Clean(path.as_str().into())
            );
        }
        if let Ok(HostPattern::Exact(name)) = HostPattern::parse(text) {
            assert_eq!(
                normalize_host(Some(name.as_bytes())),
                NormalizedHost::Clean(name.to_string().into())
            );
        }
    }
});
