//! The seam between the plugin and its host: everything the plugin asks of Envoy, as one trait.
//! `plugin/` drives the lifecycle and the per-request flow against [`Host`]; `crates/wasm`
//! implements it with proxy-wasm; the fake host in `host/fake.rs` (tests only) records every
//! call so the flow is tested natively.
//!
//! Host data arrives as raw bytes: header names and values need not be UTF-8.

use std::ops::Range;
use std::time::Duration;

#[cfg(test)]
pub mod fake;

/// A host call the host refused or failed, with the host's status for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a shared-data write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError {
    /// Another VM wrote the key since it was read: read again.
    CasMismatch,
    /// The host refused the write.
    Refused(Refused),
}

/// The kinds of metric the plugin defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
}

/// A local reply, sent instead of the upstream's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// An HTTP response (the host adds `content-length`).
    Http {
        status: u16,
        headers: Vec<(&'a str, &'a str)>,
        body: Option<&'a [u8]>,
    },
}

/// A whole header map: (name, value) pairs in the host's order, as bytes.
#[cfg(test)]
pub type HeaderPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// A header map read by [`parse_header_map`]: (name, value) pairs in the host's order,
/// borrowed from the host's bytes.
pub type HeaderSlices<'a> = Vec<(&'a [u8], &'a [u8])>;

/// What the plugin asks of its host. Request headers can be read and changed only while the
/// host delivers them (`Stream::on_request_headers`), response headers only in
/// `Stream::on_response_headers`; the plugin keeps to that, and an implementation answers a
/// read it cannot serve with `None`/`Err`, never with a panic.
pub trait Host {
    /// The whole request header map in one host call, serialized as proxy-wasm's
    /// `proxy_get_header_map_pairs` returns it (read it with [`parse_header_map`]).
    fn request_header_map(&mut self) -> Result<Vec<u8>, Refused>;
    /// The first value of one request header (`name` in lower case); `None` when absent or
    /// unreadable.
    fn request_header(&mut self, name: &str) -> Option<Vec<u8>>;
    /// Removes every request header called `name`.
    fn remove_request_header(&mut self, name: &str) -> Result<(), Refused>;
    /// Replaces every request header called `name` by one with `value`.
    fn set_request_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused>;
    /// One response header; `None` when absent or unreadable.
    fn response_header(&mut self, name: &str) -> Option<Vec<u8>>;
    /// Replaces every response header called `name` by one with `value` (response-headers
    /// phase only).
    fn set_response_header(&mut self, name: &str, value: &[u8]) -> Result<(), Refused>;
    /// Answers the request locally (by value: the adapter hands the headers on uncopied).
    fn send_reply(&mut self, reply: Reply) -> Result<(), Refused>;
    /// The host clock in unix seconds; `None` when unreadable.
    fn now(&mut self) -> Option<i64>;
    /// A property such as `["source", "address"]` or `["plugin_name"]`; `None` when absent or
    /// unreadable.
    fn property(&mut self, path: &[&str]) -> Option<Vec<u8>>;
    /// Sets a property of the current stream: Envoy keeps it as filter state `wasm.<name>`,
    /// which its access log can print (see `access_log.rs`). Only while a stream is handled.
    fn set_property(&mut self, name: &str, value: &[u8]) -> Result<(), Refused>;
    /// The plugin configuration (empty when there is none).
    fn plugin_configuration(&mut self) -> Result<Vec<u8>, Refused>;
    /// Proxy-wide shared data: the value (`None` when unset) and its compare-and-swap token.
    fn shared_get(&mut self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Refused>;
    /// Writes shared data if nobody wrote it since the read that returned `cas` (`None`: write
    /// unconditionally).
    fn shared_set(&mut self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), SetError>;
    /// Defines a metric; its id.
    fn define_metric(&mut self, kind: MetricKind, name: &str) -> Result<u32, Refused>;
    fn increment_metric(&mut self, id: u32) -> Result<(), Refused>;
    fn record_metric(&mut self, id: u32, value: u64) -> Result<(), Refused>;
    /// Calls `Root::on_tick` every `period` (zero: never).
    fn set_tick_period(&mut self, period: Duration) -> Result<(), Refused>;
    /// Whether a line at `level` would be logged (debug lines cost reads).
    fn log_enabled(&self, level: log::Level) -> bool;
    fn log(&mut self, level: log::Level, line: &str);
}

/// Reads a serialized header map as proxy-wasm's `proxy_get_header_map_pairs` returns it: a
/// little-endian u32 count, then `count` pairs of u32 name and value lengths, then each name
/// and value followed by a NUL byte. Names and values stay bytes (another filter may have added
/// non-UTF-8 ones). `None` when the bytes do not follow that form.
pub fn parse_header_map(bytes: &[u8]) -> Option<HeaderSlices<'_>> {
    header_spans(bytes)?
        .into_iter()
        .map(|(name, value)| Some((bytes.get(name)?, bytes.get(value)?)))
        .collect()
}

/// Where each (name, value) pair of a serialized header map (see [`parse_header_map`]) lies in
/// `bytes`, so a reader can keep the bytes and the places together.
pub fn header_spans(bytes: &[u8]) -> Option<Vec<(Range<usize>, Range<usize>)>> {
    #[inline]
    fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
        let word = bytes.get(at..at.checked_add(4)?)?;
        let word: [u8; 4] = word.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(word)).ok()
    }
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let count = u32_at(bytes, 0)?;
    // Each pair takes at least 8 length bytes and 2 NULs: a count beyond that is a lie.
    if count > bytes.len() / 10 {
        return None;
    }
    let mut data = 4 + count * 8;
    let mut spans = Vec::with_capacity(count);
    // Each field, then its NUL; `data` moves past both.
    #[inline]
    fn take(bytes: &[u8], data: &mut usize, len: usize) -> Option<Range<usize>> {
        let end = data.checked_add(len)?;
        (bytes.get(end) == Some(&0)).then_some(())?;
        let field = *data..end;
        *data = end + 1;
        Some(field)
    }
    for index in 0..count {
        let name_len = u32_at(bytes, 4 + index * 8)?;
        let value_len = u32_at(bytes, 8 + index * 8)?;
        let name = take(bytes, &mut data, name_len)?;
        let value = take(bytes, &mut data, value_len)?;
        spans.push((name, value));
    }
    Some(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::fake::serialize;

    #[test]
    fn header_maps_are_read_as_bytes() {
        let pairs: [(&[u8], &[u8]); 4] = [
            (b":path", b"/"),
            (b"x-\xff", b"\xfe"),
            (b"cookie", b"a=1"),
            (b"empty", b""),
        ];
        let bytes = serialize(&pairs);
        let read = parse_header_map(&bytes).unwrap();
        assert_eq!(read, pairs);
        assert_eq!(parse_header_map(b""), Some(Vec::new()));
        assert_eq!(parse_header_map(&serialize(&[])), Some(Vec::new()));
    }

    #[test]
    fn malformed_header_maps_are_refused_without_panic() {
        let good = serialize(&[(b"a", b"b"), (b"cookie", b"x=y")]);
        // Every truncation, and a count or length that points past the end.
        for end in 1..good.len() {
            assert_eq!(parse_header_map(&good[..end]), None, "{end}");
        }
        let mut huge_count = good.clone();
        huge_count[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse_header_map(&huge_count), None);
        let mut huge_len = good.clone();
        huge_len[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse_header_map(&huge_len), None);
        let mut no_nul = good;
        let last = no_nul.len() - 1;
        no_nul[last] = b'!';
        assert_eq!(parse_header_map(&no_nul), None);
    }
}
