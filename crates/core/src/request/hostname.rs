//! Host names: the request's `:authority` normalized for matching, and the configured host
//! patterns it is matched against.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::refused::Refused;

/// The request's host as matched against `hosts`: lower-case, no port, no trailing dot; an IP
/// address in canonical form (`127.0.0.1`, `[::1]`; an IPv4-mapped IPv6 address as its IPv4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizedHost<'a> {
    /// Borrowed from the request when it is already in this form (most are).
    Clean(Cow<'a, str>),
    /// Missing or malformed, with an empty label (`.a.com`, `a..com`, `a.com..`), or an IPv4
    /// address in a legacy form (`127.1`, `2130706433`, `0177.0.0.1`, `0x7f.1`) that resolvers
    /// read as another address than the text says; matches every host condition (fails closed,
    /// like paths).
    Ambiguous,
}

/// Normalizes an `:authority` value.
pub fn normalize_host(raw: Option<&[u8]>) -> NormalizedHost<'_> {
    let Some(raw) = raw else {
        return NormalizedHost::Ambiguous;
    };
    if raw.first() == Some(&b'[') {
        // IPv6 literal: `[::1]` or `[::1]:8080`.
        let Some(close) = raw.iter().position(|&b| b == b']') else {
            return NormalizedHost::Ambiguous;
        };
        let (literal, rest) = raw.split_at(close + 1);
        if !valid_port_suffix(rest) {
            return NormalizedHost::Ambiguous;
        }
        return match ipv6_literal(&literal[1..close]) {
            Some(canonical) => NormalizedHost::Clean(Cow::Owned(canonical)),
            None => NormalizedHost::Ambiguous,
        };
    }
    // One pass (this runs per request when routes name hosts): host characters up to the
    // port, no empty label (`.a`, `a..b`), and whether any is upper case.
    let mut label_empty = true;
    let mut upper = false;
    let mut end = raw.len();
    for (at, &byte) in raw.iter().enumerate() {
        match HOST_BYTES[usize::from(byte)] {
            HostByte::Name => label_empty = false,
            HostByte::Upper => {
                label_empty = false;
                upper = true;
            }
            HostByte::Dot if label_empty => return NormalizedHost::Ambiguous,
            HostByte::Dot => label_empty = true,
            HostByte::Other if byte == b':' => {
                end = at;
                break;
            }
            HostByte::Other => return NormalizedHost::Ambiguous,
        }
    }
    if !valid_port_suffix(&raw[end..]) {
        return NormalizedHost::Ambiguous;
    }
    // One trailing dot is allowed: the label before it is not empty, or the loop refused it.
    let name = match raw[..end].strip_suffix(b".") {
        Some(name) => {
            label_empty = false;
            name
        }
        None => &raw[..end],
    };
    if label_empty {
        return NormalizedHost::Ambiguous;
    }
    if ends_in_number(name) {
        // An IPv4 address: only the plain dotted quad is clean.
        return match ipv4_dotted_quad(name) {
            Some(address) => NormalizedHost::Clean(Cow::Owned(address.to_string())),
            None => NormalizedHost::Ambiguous,
        };
    }
    // Host characters are ASCII, so this cannot fail.
    match std::str::from_utf8(name) {
        Ok(host) if upper => NormalizedHost::Clean(Cow::Owned(host.to_ascii_lowercase())),
        Ok(host) => NormalizedHost::Clean(Cow::Borrowed(host)),
        Err(_) => NormalizedHost::Ambiguous,
    }
}

/// Whether the last label is a number as URL parsers (WHATWG) and `inet_aton` read one: decimal
/// digits, or `0x` and hex digits. Such a host is an IPv4 address to them, not a name.
fn ends_in_number(name: &[u8]) -> bool {
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    match last {
        [b'0', b'x' | b'X', hex @ ..] => hex.iter().all(u8::is_ascii_hexdigit),
        digits => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
    }
}

/// `a.b.c.d`, four decimal numbers 0-255 without leading zeros (which some read as octal).
fn ipv4_dotted_quad(name: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = name.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        *octet = std::str::from_utf8(part).ok()?.parse().ok()?;
    }
    parts
        .next()
        .is_none()
        .then(|| std::net::Ipv4Addr::from(octets))
}

/// The canonical form of the inside of `[...]` (RFC 5952: `[0:0::1]` is `[::1]`); an
/// IPv4-mapped address (`[::ffff:127.0.0.1]`) as its IPv4 address. `None` when it is not an
/// IPv6 address (zone identifiers and `[v1.x]` forms included).
fn ipv6_literal(inside: &[u8]) -> Option<String> {
    let address: std::net::Ipv6Addr = std::str::from_utf8(inside).ok()?.parse().ok()?;
    Some(match address.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => format!("[{address}]"),
    })
}

/// `.a`, `a..b`, `a.` (once the one allowed trailing dot is gone).
fn has_empty_label(name: &[u8]) -> bool {
    name.split(|&b| b == b'.').any(<[u8]>::is_empty)
}

/// What a byte is in a host name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HostByte {
    /// A lower-case letter, a digit, `-` or `_`.
    Name,
    Upper,
    Dot,
    Other,
}

/// Each byte's [`HostByte`]: the request's host is checked with one lookup per byte, where
/// testing the classes in turn made the check about 30 instructions a byte.
const HOST_BYTES: [HostByte; 256] = {
    let mut table = [HostByte::Other; 256];
    let mut byte = 0;
    while byte < table.len() {
        table[byte] = match byte as u8 {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => HostByte::Name,
            b'A'..=b'Z' => HostByte::Upper,
            b'.' => HostByte::Dot,
            _ => HostByte::Other,
        };
        byte += 1;
    }
    table
};

fn is_host_char(byte: u8) -> bool {
    HOST_BYTES[usize::from(byte)] != HostByte::Other
}

/// Empty, or `:` followed by 1 to 5 digits.
fn valid_port_suffix(rest: &[u8]) -> bool {
    match rest.split_first() {
        None => true,
        Some((b':', digits)) => {
            !digits.is_empty() && digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit)
        }
        Some(_) => false,
    }
}

/// One configured host: `*` (any), `*.example.com` (any subdomain) or an exact name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub enum HostPattern {
    Any,
    /// Stored with its leading dot: `.example.com`.
    Suffix(Box<str>),
    Exact(Box<str>),
}

/// Why a configured host is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostProblem {
    Empty,
    MisplacedStar,
    NotIpv6,
    Port,
    NotAName,
    StarBeforeAddress,
    UnusualIpv4,
}

impl fmt::Display for HostProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostProblem::Empty => "must not be empty",
            HostProblem::MisplacedStar => {
                "'*' is only allowed as '*' alone or as the first label ('*.example.com')"
            }
            HostProblem::NotIpv6 => "is not a valid IPv6 literal",
            HostProblem::Port => "must not include a port (ports are ignored when matching)",
            HostProblem::NotAName => "is not a valid host name",
            HostProblem::StarBeforeAddress => "'*.' cannot come before an IPv4 address",
            HostProblem::UnusualIpv4 => {
                "is not an IPv4 address in the usual form: write four decimal numbers 0-255 \
                 without leading zeros (\"127.0.0.1\")"
            }
        })
    }
}

impl HostPattern {
    /// Parses a configured host; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<HostPattern, HostProblem> {
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        let lower = text.to_ascii_lowercase();
        let lower = lower.strip_suffix('.').unwrap_or(&lower);
        let (name, is_suffix) = match lower.strip_prefix("*.") {
            Some(rest) => (rest, true),
            None => (lower, false),
        };
        if name.is_empty() {
            return Err(HostProblem::Empty);
        }
        if name.contains('*') {
            return Err(HostProblem::MisplacedStar);
        }
        if !is_suffix && name.starts_with('[') {
            if let Some(canonical) = name
                .strip_suffix(']')
                .and_then(|literal| ipv6_literal(&literal.as_bytes()[1..]))
            {
                return Ok(HostPattern::Exact(canonical.into()));
            }
            return Err(HostProblem::NotIpv6);
        }
        if name.contains(':') {
            return Err(HostProblem::Port);
        }
        if !name.bytes().all(is_host_char) || has_empty_label(name.as_bytes()) {
            return Err(HostProblem::NotAName);
        }
        if ends_in_number(name.as_bytes()) {
            if is_suffix {
                return Err(HostProblem::StarBeforeAddress);
            }
            if ipv4_dotted_quad(name.as_bytes()).is_none() {
                return Err(HostProblem::UnusualIpv4);
            }
        }
        Ok(if is_suffix {
            HostPattern::Suffix(format!(".{name}").into())
        } else {
            HostPattern::Exact(name.into())
        })
    }

    pub(crate) fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Suffix(suffix) => host.len() > suffix.len() && host.ends_with(&**suffix),
            HostPattern::Exact(name) => host == &**name,
        }
    }
}

impl FromStr for HostPattern {
    type Err = Refused<HostProblem>;

    fn from_str(text: &str) -> Result<HostPattern, Self::Err> {
        HostPattern::parse(text).map_err(|why| Refused::new(text, why))
    }
}

impl TryFrom<String> for HostPattern {
    type Error = Refused<HostProblem>;

    fn try_from(text: String) -> Result<HostPattern, Self::Error> {
        HostPattern::parse(&text).map_err(|why| Refused::new(text, why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn host(raw: &str) -> NormalizedHost<'_> {
        normalize_host(Some(raw.as_bytes()))
    }

    proptest! {
        /// Names (not IP addresses) as the definition reads: the port after the last colon
        /// (1 to 5 digits), then one trailing dot, taken off; what is left is host characters
        /// in non-empty labels, lower-cased.
        #[test]
        fn names_are_normalized_as_defined(raw in "[aZ09._:-]{0,12}|[a-zA-Z.-]{1,8}(:[0-9]{0,6})?[.:]?") {
            let (name, port) = match raw.rfind(':') {
                Some(colon) => (&raw[..colon], Some(&raw[colon + 1..])),
                None => (&raw[..], None),
            };
            let port_ok = port.is_none_or(|digits| {
                (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            });
            let name = name.strip_suffix('.').unwrap_or(name);
            let clean = port_ok
                && !name.is_empty()
                && name.bytes().all(is_host_char)
                && !has_empty_label(name.as_bytes());
            prop_assume!(!clean || !ends_in_number(name.as_bytes()));
            let expected = match clean {
                true => NormalizedHost::Clean(name.to_ascii_lowercase().into()),
                false => NormalizedHost::Ambiguous,
            };
            prop_assert_eq!(host(&raw), expected);
        }
    }

    fn clean_host(name: &str) -> NormalizedHost<'_> {
        NormalizedHost::Clean(name.into())
    }

    #[test]
    fn hosts_are_normalized() {
        assert_eq!(host("Shop.Example.COM"), clean_host("shop.example.com"));
        assert_eq!(
            host("shop.example.com:8443"),
            clean_host("shop.example.com")
        );
        assert_eq!(host("shop.example.com."), clean_host("shop.example.com"));
        assert_eq!(host("shop.example.com.:80"), clean_host("shop.example.com"));
        assert_eq!(host("[::1]:10000"), clean_host("[::1]"));
        assert_eq!(host("[::1]"), clean_host("[::1]"));
        assert_eq!(host("127.0.0.1:10000"), clean_host("127.0.0.1"));
        for bad in [
            "", ":80", "a:b", "a b", "a/b", "[::1", "[zz]", "a:123456", "a@b",
        ] {
            assert_eq!(host(bad), NormalizedHost::Ambiguous, "{bad}");
        }
        assert_eq!(normalize_host(None), NormalizedHost::Ambiguous);
    }

    #[test]
    fn empty_labels_are_ambiguous() {
        for bad in [
            "shop.example.com..",
            ".shop.example.com",
            "shop..example.com",
            "shop.example.com..:443",
            "..",
            ".",
            "a.:80.",
        ] {
            assert_eq!(host(bad), NormalizedHost::Ambiguous, "{bad}");
        }
    }

    #[test]
    fn ip_literals_compare_as_addresses() {
        for same in [
            "[::1]",
            "[0:0::1]",
            "[0::1]:443",
            "[0000:0:0:0:0:0:0:1]",
            "[::0:1]",
        ] {
            assert_eq!(host(same), clean_host("[::1]"), "{same}");
        }
        assert_eq!(host("[2001:DB8::A]"), clean_host("[2001:db8::a]"));
        assert_eq!(host("[2001:db8:0:0:0:0:0:a]"), clean_host("[2001:db8::a]"));
        // IPv4-mapped IPv6 is the IPv4 address.
        for same in [
            "[::ffff:127.0.0.1]",
            "[::FFFF:7f00:1]:80",
            "127.0.0.1.",
            "127.0.0.1:1",
        ] {
            assert_eq!(host(same), clean_host("127.0.0.1"), "{same}");
        }
        for bad in [
            "[fe80::1%25eth0]",
            "[v1.x]",
            "[::1::2]",
            "[1.2.3.4]",
            "[]",
            "[::1]x",
        ] {
            assert_eq!(host(bad), NormalizedHost::Ambiguous, "{bad}");
        }
    }

    #[test]
    fn legacy_ipv4_forms_are_ambiguous() {
        for bad in [
            "127.1",
            "2130706433",
            "0177.0.0.1",
            "0x7f.1",
            "0x7F.0.0.1",
            "127.0.0.01",
            "127.0.0.256",
            "1.2.3.4.5",
            "0x7f000001",
            "0x",
            "shop.example.123",
            "www.0x1f",
        ] {
            assert_eq!(host(bad), NormalizedHost::Ambiguous, "{bad}");
        }
        assert_eq!(host("0.0.0.0"), clean_host("0.0.0.0"));
        assert_eq!(host("10.200.0.1:80"), clean_host("10.200.0.1"));
        // Numbers inside a name are fine: only a numeric last label makes an address.
        assert_eq!(host("1.2.3.example"), clean_host("1.2.3.example"));
        assert_eq!(host("0x7f.example"), clean_host("0x7f.example"));
    }

    #[test]
    fn ip_patterns_are_canonical() {
        let v6 = HostPattern::parse("[0:0::1]").unwrap();
        assert_eq!(v6, HostPattern::Exact("[::1]".into()));
        let NormalizedHost::Clean(request) = host("[0::1]:443") else {
            panic!("clean")
        };
        assert!(v6.matches(&request));
        assert_eq!(
            HostPattern::parse("[::ffff:10.0.0.1]").unwrap(),
            HostPattern::Exact("10.0.0.1".into())
        );
        assert_eq!(
            HostPattern::parse("10.0.0.1").unwrap(),
            HostPattern::Exact("10.0.0.1".into())
        );
        for bad in [
            "127.1",
            "2130706433",
            "0177.0.0.1",
            "0x7f.1",
            "*.0.0.1",
            "[::1]:80",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
        let why = HostPattern::parse("127.1").unwrap_err().to_string();
        assert!(why.contains("127.0.0.1"), "{why}");
    }

    #[test]
    fn host_patterns() {
        let suffix = HostPattern::parse("*.Example.com").unwrap();
        assert!(suffix.matches("a.example.com"));
        assert!(suffix.matches("a.b.example.com"));
        assert!(!suffix.matches("example.com"));
        assert!(!suffix.matches("badexample.com"));
        let exact = HostPattern::parse("Shop.example.com.").unwrap();
        assert!(exact.matches("shop.example.com"));
        assert!(!exact.matches("x.shop.example.com"));
        assert!(HostPattern::parse("*").unwrap().matches("anything"));
        for bad in [
            "", "*foo", "a.*.b", "*.", "a b", "a:80", "a..b", ".a", "a..", "*.a..",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
