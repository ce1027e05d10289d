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
    /// Whether the plugin reads the request headers it needs with one `request_header_map`
    /// call rather than one `request_header` call each. Proxy-wasm in Envoy: the map (a call
    /// costs about as much as the whole map of a browser's request; README, Performance). A
    /// host whose calls are cheap answers false; lists (`cookie`, `accept-language`) and header
    /// names still come from the map.
    fn reads_whole_map(&self) -> bool {
        true
    }
    /// Whether `property(&["metadata"])` gives the stream's dynamic metadata, where
    /// `jwt_authn` keeps verified payloads (`bypass.jwt`). Proxy-wasm does; Envoy's dynamic
    /// module ABI reads a namespace's top-level values (strings, numbers, bools, lists of them),
    /// never inside the `Struct` a payload is.
    fn reads_dynamic_metadata(&self) -> bool {
        true
    }
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

/// The host clock in unix seconds. Should it fail (logged), 1970: outside every window.
pub fn unix_now(host: &mut impl Host) -> i64 {
    host.now().unwrap_or_else(|| {
        let line = "cannot read the clock; maintenance windows are not applied";
        host.log(log::Level::Warn, line);
        0
    })
}

/// Serializes a header map as proxy-wasm's `proxy_get_header_map_pairs` returns it (see
/// [`parse_header_map`]): for a host that reads the map another way (the native module).
pub fn serialize_header_map<'a, I>(pairs: I) -> Vec<u8>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
    I::IntoIter: ExactSizeIterator + Clone,
{
    let pairs = pairs.into_iter();
    let size = pairs
        .clone()
        .map(|(n, v)| n.len() + v.len() + 10)
        .sum::<usize>()
        + 4;
    let mut out = Vec::with_capacity(size);
    // A length beyond u32 (no header is that long) makes a map the reader refuses: no headers.
    let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    out.extend_from_slice(&len(pairs.len()));
    for (name, value) in pairs.clone() {
        out.extend_from_slice(&len(name.len()));
        out.extend_from_slice(&len(value.len()));
    }
    for (name, value) in pairs {
        out.extend_from_slice(name);
        out.push(0);
        out.extend_from_slice(value);
        out.push(0);
    }
    out
}

/// Reads a serialized header map as proxy-wasm's `proxy_get_header_map_pairs` returns it: a
/// little-endian u32 count, then `count` pairs of u32 name and value lengths, then each name
/// and value followed by a NUL byte. Names and values stay bytes (another filter may have added
/// non-UTF-8 ones). `None` when the bytes do not follow that form.
pub fn parse_header_map(bytes: &[u8]) -> Option<HeaderSlices<'_>> {
    if !is_header_map(bytes) {
        return None;
    }
    header_spans(bytes)
        .map(|(name, value)| Some((bytes.get(name)?, bytes.get(value)?)))
        .collect()
}

/// Whether `bytes` is a whole serialized header map (see [`parse_header_map`]).
pub fn is_header_map(bytes: &[u8]) -> bool {
    let mut spans = header_spans(bytes);
    spans.by_ref().for_each(drop);
    spans.complete()
}

/// Where each (name, value) pair of a serialized header map (see [`parse_header_map`]) lies in
/// `bytes`, in order, without allocating. It stops at the first pair that does not fit: check a
/// map with [`is_header_map`] before trusting what it yields.
pub fn header_spans(bytes: &[u8]) -> HeaderSpans<'_> {
    // No bytes: no headers. Each pair takes at least 8 length bytes and 2 NULs: a count beyond
    // that is a lie.
    let count = match bytes.is_empty() {
        true => Some(0),
        false => u32_at(bytes, 0).filter(|&count| count <= bytes.len() / 10),
    };
    let (count, failed) = match count {
        Some(count) => (count, None),
        None => (0, Some(())),
    };
    HeaderSpans {
        bytes,
        count,
        index: 0,
        end: 4 + count * 8,
        failed,
    }
}

/// The iterator [`header_spans`] returns.
pub struct HeaderSpans<'a> {
    bytes: &'a [u8],
    count: usize,
    index: usize,
    /// Where the next name starts; after the last pair, the end of the map.
    end: usize,
    failed: Option<()>,
}

#[inline(always)]
fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    let word: [u8; 4] = word.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(word)).ok()
}

impl HeaderSpans<'_> {
    /// Whether every pair so far fit (after the last one: whether the map is whole).
    pub fn complete(&self) -> bool {
        self.failed.is_none()
    }

    /// The next field of `len` bytes and its NUL; `end` moves past both.
    #[inline(always)]
    fn take(&mut self, len: usize) -> Option<Range<usize>> {
        let start = self.end;
        let end = start.checked_add(len)?;
        (self.bytes.get(end) == Some(&0)).then_some(())?;
        self.end = end + 1;
        Some(start..end)
    }

    #[inline(always)]
    fn pair(&mut self) -> Option<(Range<usize>, Range<usize>)> {
        let name_len = u32_at(self.bytes, 4 + self.index * 8)?;
        let value_len = u32_at(self.bytes, 8 + self.index * 8)?;
        let name = self.take(name_len)?;
        let value = self.take(value_len)?;
        Some((name, value))
    }
}

impl Iterator for HeaderSpans<'_> {
    type Item = (Range<usize>, Range<usize>);

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.index >= self.count || self.failed.is_some() {
            return None;
        }
        let pair = self.pair();
        self.index += 1;
        if pair.is_none() {
            self.failed = Some(());
        }
        pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialize(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        serialize_header_map(pairs.iter().copied())
    }

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
