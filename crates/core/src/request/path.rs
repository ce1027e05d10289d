//! Request path normalization for matching.
//!
//! The filter matches on the path an upstream would most plausibly understand: the query and
//! fragment cut off, percent-encoded unreserved characters decoded, hex digits upper-cased, and
//! dot segments removed (RFC 3986 sections 6.2.2 and 5.2.4). Anything that upstreams, Envoy's router
//! and this filter could read differently makes the path [`Ambiguous`](NormalizedPath::Ambiguous):
//! the decision then fails closed (maintenance), so a path trick can never widen a bypass.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::bytes::hex_value;
use crate::refused::Refused;

/// The outcome of normalizing one request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizedPath<'a> {
    /// A path every reader agrees on, in normalized form: starts with `/`, no `//`, no dot segments.
    /// Borrowed from the request when nothing was decoded (most paths).
    Clean(Cow<'a, str>),
    /// A path that could be read more than one way; never bypassed, always in scope.
    Ambiguous(Ambiguity),
}

/// Why a path was judged ambiguous (shown in debug logs and test failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// Empty, `*`, or anything else that does not start with `/`.
    NotOriginForm,
    /// `\`, `;`, `#` (before the query), a control character or a raw non-ASCII byte.
    SuspiciousCharacter,
    /// `%2F`, `%5C`, `%3B`, `%00` and other encoded controls, `%25` followed by hex digits, or
    /// a Unicode compatibility form of `.`, `/`, `\`, `;` or `%` (such as the fullwidth `%EF%BC%8E`).
    SuspiciousEncoding,
    /// `%` not followed by two hex digits, or percent-encoded bytes that are not valid UTF-8.
    InvalidEncoding,
    /// `//`: servers that merge slashes and servers that do not see different segments.
    RepeatedSlash,
    /// A `.` or `..` segment, or any segment of only dots and encoded spaces (`...`, `..%20`,
    /// which Windows servers trim to `..`): Envoy's router (without `normalize_path`) and the
    /// upstream may resolve it differently from each other.
    DotSegment,
    /// A segment ending in `.` or an encoded space (`/shop./cart`, `/shop%20/cart`,
    /// `/shop%2e/cart`): Windows servers (IIS, ASP.NET) trim them and read `/shop/cart`.
    TrailingDotOrSpace,
}

impl NormalizedPath<'_> {
    /// The normalized path, or `None` when it is ambiguous.
    pub fn clean(&self) -> Option<&str> {
        match self {
            NormalizedPath::Clean(path) => Some(path),
            NormalizedPath::Ambiguous(_) => None,
        }
    }
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Characters whose Unicode compatibility form (NFKC, or Windows "best fit") holds `.` only,
/// `/`, `\`, `;` or `%`: an upstream that folds them would see a dot segment, a separator, a
/// path parameter or another encoding layer. As the normalized path spells them (UTF-8, upper hex).
const COMPATIBILITY_FORMS: &[&str] = &[
    "%CD%BE",    // U+037E greek question mark: ';'
    "%E2%80%A4", // U+2024 one dot leader: '.'
    "%E2%80%A5", // U+2025 two dot leader: '..'
    "%E2%80%A6", // U+2026 horizontal ellipsis: '...'
    "%E2%84%80", // U+2100 account of: 'a/c'
    "%E2%84%81", // U+2101 addressed to the subject: 'a/s'
    "%E2%84%85", // U+2105 care of: 'c/o'
    "%E2%84%86", // U+2106 cada una: 'c/u'
    "%EF%B8%94", // U+FE14 vertical semicolon: ';'
    "%EF%B8%99", // U+FE19 vertical ellipsis: '...'
    "%EF%B8%B0", // U+FE30 vertical two dot leader: '..'
    "%EF%B9%92", // U+FE52 small full stop: '.'
    "%EF%B9%94", // U+FE54 small semicolon: ';'
    "%EF%B9%A8", // U+FE68 small reverse solidus: '\'
    "%EF%B9%AA", // U+FE6A small percent sign: '%'
    "%EF%BC%85", // U+FF05 fullwidth percent sign: '%'
    "%EF%BC%8E", // U+FF0E fullwidth full stop: '.'
    "%EF%BC%8F", // U+FF0F fullwidth solidus: '/'
    "%EF%BC%9B", // U+FF1B fullwidth semicolon: ';'
    "%EF%BC%BC", // U+FF3C fullwidth reverse solidus: '\'
];

/// A segment that is `.`, `..`, or only dots and encoded spaces.
fn is_dot_segment(segment: &str) -> bool {
    let mut dots = 0;
    let mut rest = segment;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            dots += 1;
            rest = after;
        } else if let Some(after) = rest.strip_prefix("%20") {
            rest = after;
        } else {
            return false;
        }
    }
    dots > 0
}

/// Normalizes a raw `:path` header value (request-target in origin form).
pub fn normalize(raw: &[u8]) -> NormalizedPath<'_> {
    // One pass up to the query (this runs for every request maintenance applies to): what the
    // checks below need to know.
    let (mut end, mut fragment, mut encoded, mut suspicious) = (raw.len(), false, false, false);
    let (mut dot, mut repeated_slash, mut after_slash) = (false, false, false);
    for (index, &byte) in raw.iter().enumerate() {
        match byte {
            b'?' => {
                end = index;
                break;
            }
            b'#' => fragment = true,
            b'%' => encoded = true,
            b'.' => dot = true,
            b'/' => repeated_slash |= after_slash,
            b'\\' | b';' | 0x00..=0x20 | 0x7f..=0xff => suspicious = true,
            _ => {}
        }
        after_slash = byte == b'/';
    }
    let raw = &raw[..end];
    // A request-target has no fragment; an upstream may not cut at `#` as we would.
    if fragment {
        return NormalizedPath::Ambiguous(Ambiguity::SuspiciousCharacter);
    }
    if raw.first() != Some(&b'/') {
        return NormalizedPath::Ambiguous(Ambiguity::NotOriginForm);
    }
    if !encoded {
        // Nothing to decode (most requests): the loop below would copy every byte or stop at
        // the first suspicious one.
        if suspicious {
            return NormalizedPath::Ambiguous(Ambiguity::SuspiciousCharacter);
        }
        // Only ASCII is left, so this cannot fail.
        return match std::str::from_utf8(raw) {
            // Without a dot or a repeated slash, `checked` finds nothing.
            Ok(text) if !dot && !repeated_slash => NormalizedPath::Clean(Cow::Borrowed(text)),
            Ok(text) => checked(Cow::Borrowed(text)),
            Err(_) => NormalizedPath::Ambiguous(Ambiguity::SuspiciousCharacter),
        };
    }

    let mut decoded = String::with_capacity(raw.len());
    // Bytes of every percent-encoding seen, to check they form valid UTF-8 (rejects overlong forms).
    let mut encoded_bytes: Vec<u8> = Vec::new();
    let mut index = 0;
    while index < raw.len() {
        let byte = raw[index];
        match byte {
            b'%' => {
                let (Some(high), Some(low)) = (
                    raw.get(index + 1).copied().and_then(hex_value),
                    raw.get(index + 2).copied().and_then(hex_value),
                ) else {
                    return NormalizedPath::Ambiguous(Ambiguity::InvalidEncoding);
                };
                let value = high << 4 | low;
                if value < 0x20 || value == 0x7f || matches!(value, b'/' | b'\\' | b';') {
                    return NormalizedPath::Ambiguous(Ambiguity::SuspiciousEncoding);
                }
                // `%25` + two hex digits decodes to another encoding: a double-decoding upstream
                // would read one more layer than we do.
                if value == b'%'
                    && raw.get(index + 3).copied().and_then(hex_value).is_some()
                    && raw.get(index + 4).copied().and_then(hex_value).is_some()
                {
                    return NormalizedPath::Ambiguous(Ambiguity::SuspiciousEncoding);
                }
                if is_unreserved(value) {
                    // A decoded ASCII character ends a multi-byte run like a raw one
                    // (`%EF%BC%44%90` is not the valid `%EF%BC%90` with a `D` inside).
                    if !encoded_bytes.is_empty() {
                        if std::str::from_utf8(&encoded_bytes).is_err() {
                            return NormalizedPath::Ambiguous(Ambiguity::InvalidEncoding);
                        }
                        encoded_bytes.clear();
                    }
                    decoded.push(char::from(value));
                } else {
                    decoded.push('%');
                    decoded.push(char::from(HEX_UPPER[usize::from(high)]));
                    decoded.push(char::from(HEX_UPPER[usize::from(low)]));
                    if value >= 0x80 {
                        encoded_bytes.push(value);
                    } else if !encoded_bytes.is_empty() {
                        // An ASCII encoding ends a multi-byte run; check the run on its own.
                        if std::str::from_utf8(&encoded_bytes).is_err() {
                            return NormalizedPath::Ambiguous(Ambiguity::InvalidEncoding);
                        }
                        encoded_bytes.clear();
                    }
                }
                index += 3;
                continue;
            }
            b'\\' | b';' => return NormalizedPath::Ambiguous(Ambiguity::SuspiciousCharacter),
            0x00..=0x20 | 0x7f..=0xff => {
                return NormalizedPath::Ambiguous(Ambiguity::SuspiciousCharacter)
            }
            _ => decoded.push(char::from(byte)),
        }
        // Any raw character ends a run of encoded multi-byte sequences.
        if !encoded_bytes.is_empty() {
            if std::str::from_utf8(&encoded_bytes).is_err() {
                return NormalizedPath::Ambiguous(Ambiguity::InvalidEncoding);
            }
            encoded_bytes.clear();
        }
        index += 1;
    }
    if !encoded_bytes.is_empty() && std::str::from_utf8(&encoded_bytes).is_err() {
        return NormalizedPath::Ambiguous(Ambiguity::InvalidEncoding);
    }
    checked(Cow::Owned(decoded))
}

/// The checks on a decoded path (`/`, then printable ASCII with `%XX` for what stays encoded).
fn checked(decoded: Cow<'_, str>) -> NormalizedPath<'_> {
    // Byte scans rather than substring searches: these paths are short, and a searcher's setup
    // costs more than the scan (this runs for every request maintenance applies to).
    let encoded = decoded.as_bytes().contains(&b'%');
    // The same once decoded: `%25%32%65` becomes `%252e` here, `%2e` after one more decoding.
    if encoded
        && decoded
            .as_bytes()
            .windows(5)
            .any(|w| w.starts_with(b"%25") && w[3].is_ascii_hexdigit() && w[4].is_ascii_hexdigit())
    {
        return NormalizedPath::Ambiguous(Ambiguity::SuspiciousEncoding);
    }
    if decoded.as_bytes().windows(2).any(|w| w == b"//") {
        return NormalizedPath::Ambiguous(Ambiguity::RepeatedSlash);
    }
    // What follows needs a dot or an encoding (`%20`, compatibility forms): most paths have
    // neither, and skip the segment walks.
    if !encoded && !decoded.as_bytes().contains(&b'.') {
        return NormalizedPath::Clean(decoded);
    }
    if decoded[1..].split('/').any(is_dot_segment) {
        return NormalizedPath::Ambiguous(Ambiguity::DotSegment);
    }
    // Every multi-byte sequence here came from a valid encoding, so a match is a whole character.
    if encoded
        && (decoded.contains("%E") || decoded.contains("%C"))
        && COMPATIBILITY_FORMS
            .iter()
            .any(|form| decoded.contains(form))
    {
        return NormalizedPath::Ambiguous(Ambiguity::SuspiciousEncoding);
    }
    if decoded[1..]
        .split('/')
        .any(|segment| segment.ends_with('.') || segment.ends_with("%20"))
    {
        return NormalizedPath::Ambiguous(Ambiguity::TrailingDotOrSpace);
    }
    NormalizedPath::Clean(decoded)
}

/// Why a path written in the configuration is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    NotAbsolute,
    QueryOrFragment,
    NotPlain(Ambiguity),
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathProblem::NotAbsolute => f.write_str("must start with '/'"),
            PathProblem::QueryOrFragment => f.write_str("must not contain a query or fragment"),
            PathProblem::NotPlain(why) => write!(
                f,
                "is not a plain path ({}); write it the way clients send it, without dot \
                 segments, '//', ';', '\\', control characters or encoded '/', '\\', ';'",
                ambiguity_text(*why)
            ),
        }
    }
}

/// Normalizes a path written in the configuration. Config paths must be clean: the operator
/// wrote them, so anything ambiguous is a mistake worth an error rather than a silent rewrite.
pub fn normalize_config_path(path: &str) -> Result<String, PathProblem> {
    if !path.starts_with('/') {
        return Err(PathProblem::NotAbsolute);
    }
    if path.contains(['?', '#']) {
        return Err(PathProblem::QueryOrFragment);
    }
    match normalize(path.as_bytes()) {
        NormalizedPath::Clean(normalized) => Ok(normalized.into_owned()),
        NormalizedPath::Ambiguous(why) => Err(PathProblem::NotPlain(why)),
    }
}

/// An exact path from the configuration (a route's `path`, the cookie link's `set_path`),
/// normalized as request paths are.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct ExactPath(String);

impl ExactPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for ExactPath {
    type Error = Refused<PathProblem>;

    fn try_from(written: String) -> Result<ExactPath, Self::Error> {
        match normalize_config_path(&written) {
            Ok(path) => Ok(ExactPath(path)),
            Err(why) => Err(Refused::new(written, why)),
        }
    }
}

impl FromStr for ExactPath {
    type Err = Refused<PathProblem>;

    fn from_str(written: &str) -> Result<ExactPath, Self::Err> {
        ExactPath::try_from(written.to_string())
    }
}

/// A segment-aware path prefix from the configuration (a route's `path_prefix`, a bypass path):
/// normalized, without a trailing slash except for the root `/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct PathPrefix(String);

impl PathPrefix {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for PathPrefix {
    type Error = Refused<PathProblem>;

    fn try_from(written: String) -> Result<PathPrefix, Self::Error> {
        match normalize_config_prefix(&written) {
            Ok(prefix) => Ok(PathPrefix(prefix)),
            Err(why) => Err(Refused::new(written, why)),
        }
    }
}

impl FromStr for PathPrefix {
    type Err = Refused<PathProblem>;

    fn from_str(written: &str) -> Result<PathPrefix, Self::Err> {
        PathPrefix::try_from(written.to_string())
    }
}

fn ambiguity_text(why: Ambiguity) -> &'static str {
    match why {
        Ambiguity::NotOriginForm => "does not start with '/'",
        Ambiguity::SuspiciousCharacter => "has a suspicious character",
        Ambiguity::SuspiciousEncoding => "has a suspicious percent-encoding",
        Ambiguity::InvalidEncoding => "has an invalid percent-encoding",
        Ambiguity::RepeatedSlash => "has '//'",
        Ambiguity::DotSegment => "has a '.' or '..' segment",
        Ambiguity::TrailingDotOrSpace => "has a segment ending in '.' or a space",
    }
}

/// The raw path up to the query, as a reader that does not percent-decode sees it; `None` when
/// it is not ASCII (such a path is never clean anyway).
pub fn literal_path(raw: &[u8]) -> Option<&str> {
    let end = raw.iter().position(|&b| b == b'?').unwrap_or(raw.len());
    std::str::from_utf8(&raw[..end])
        .ok()
        .filter(|path| path.is_ascii())
}

/// The raw path as it may be logged: cut before the query and before anything some reader could
/// take for a query or fragment, `?` and `#` plain or percent-encoded, once or more (`%3F`,
/// `%253F`, `%23`): a cookie link with an encoded `?` still carries its secret after it.
pub fn loggable_path(raw: &[u8]) -> &[u8] {
    let mut index = 0;
    while index < raw.len() {
        match raw[index] {
            b'?' | b'#' => break,
            b'%' => {
                let mut rest = &raw[index + 1..];
                while let Some(after) = rest.strip_prefix(b"25") {
                    rest = after;
                }
                if rest.len() >= 2 && (rest[..2].eq_ignore_ascii_case(b"3f") || rest[..2] == *b"23")
                {
                    break;
                }
            }
            _ => {}
        }
        index += 1;
    }
    &raw[..index]
}

/// A segment-aware path prefix: `/shop` covers `/shop`, `/shop/` and `/shop/x`, not `/shopping`.
pub fn is_under_prefix(path: &str, prefix: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Normalizes a configured prefix: clean, and without a trailing slash (except the root `/`),
/// so `/shop/` and `/shop` mean the same thing.
pub fn normalize_config_prefix(prefix: &str) -> Result<String, PathProblem> {
    let mut normalized = normalize_config_path(prefix)?;
    while normalized.len() > 1 && normalized.ends_with('/') {
        normalized.pop();
    }
    Ok(normalized)
}

/// Every ancestor prefix of a clean path, as configured prefixes are stored: for `/a/b/` that is
/// `/`, `/a`, `/a/b` and `/a/b/` (the last matters only for an exact path).
pub(crate) fn prefixes_of(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once("/").chain(
        // Bytes, not chars: `/` never occurs inside a multi-byte character, and a char walk
        // costs several times more per request.
        path.bytes()
            .enumerate()
            .skip(1)
            .filter(|&(_, b)| b == b'/')
            .map(move |(index, _)| &path[..index])
            .chain(std::iter::once(path).filter(|p| p.len() > 1 && !p.ends_with('/'))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_lists_ancestors() {
        assert_eq!(prefixes_of("/").collect::<Vec<_>>(), ["/"]);
        assert_eq!(prefixes_of("/a/b").collect::<Vec<_>>(), ["/", "/a", "/a/b"]);
        assert_eq!(
            prefixes_of("/a/b/").collect::<Vec<_>>(),
            ["/", "/a", "/a/b"]
        );
    }

    fn clean(raw: &str) -> Option<String> {
        normalize(raw.as_bytes()).clean().map(str::to_owned)
    }

    #[test]
    fn plain_paths_are_kept() {
        assert_eq!(clean("/").as_deref(), Some("/"));
        assert_eq!(clean("/shop/cart").as_deref(), Some("/shop/cart"));
        assert_eq!(clean("/shop/").as_deref(), Some("/shop/"));
        assert_eq!(clean("/a...b/..c").as_deref(), Some("/a...b/..c"));
    }

    #[test]
    fn query_is_cut() {
        assert_eq!(clean("/checkout?next=/admin").as_deref(), Some("/checkout"));
        assert_eq!(clean("/x?a=%2F;..//").as_deref(), Some("/x"));
        assert_eq!(clean("/x?a#/admin").as_deref(), Some("/x"));
    }

    #[test]
    fn fragment_before_the_query_is_ambiguous() {
        // An upstream that does not cut at `#` would resolve `/admin#/../checkout` to /checkout.
        for raw in [
            "/admin#/../checkout",
            "/checkout#/admin",
            "/admin#",
            "/a#b?c",
        ] {
            assert_eq!(
                normalize(raw.as_bytes()),
                NormalizedPath::Ambiguous(Ambiguity::SuspiciousCharacter),
                "{raw}"
            );
        }
    }

    #[test]
    fn segments_of_dots_and_spaces_are_ambiguous() {
        // Windows servers trim trailing dots and spaces: `..%20` and `...` can become `..`.
        for raw in [
            "/admin/..%20/checkout",
            "/admin/.%20./checkout",
            "/admin/.../checkout",
            "/admin/%2e%2e%2e",
            "/admin/%20../x",
            "/admin/.%20",
        ] {
            assert_eq!(
                normalize(raw.as_bytes()),
                NormalizedPath::Ambiguous(Ambiguity::DotSegment),
                "{raw}"
            );
        }
        assert_eq!(clean("/a/..b/.c").as_deref(), Some("/a/..b/.c"));
    }

    #[test]
    fn segments_ending_in_dot_or_space_are_ambiguous() {
        // Windows servers trim them: `/shop./cart` and `/shop%20/cart` are `/shop/cart` there.
        for raw in [
            "/shop./cart",
            "/shop%20/cart",
            "/shop%2e/cart",
            "/shop%2E",
            "/shop.",
            "/shop/cart.",
            "/shop/cart%20",
            "/shop.%20/cart",
            "/shop%20./cart",
            "/a/%20/b",
            "/a...b/..c.",
            "/shop./",
        ] {
            assert_eq!(
                normalize(raw.as_bytes()),
                NormalizedPath::Ambiguous(Ambiguity::TrailingDotOrSpace),
                "{raw}"
            );
        }
        assert_eq!(clean("/shop.html/x").as_deref(), Some("/shop.html/x"));
        assert_eq!(clean("/a%20b/.c").as_deref(), Some("/a%20b/.c"));
        assert_eq!(clean("/v1.2/x").as_deref(), Some("/v1.2/x"));
        assert!(normalize_config_path("/shop.")
            .unwrap_err()
            .to_string()
            .contains("ending in '.'"));
    }

    #[test]
    fn compatibility_forms_of_separators_and_dots_are_ambiguous() {
        for raw in [
            "/admin/%ef%bc%8e%ef%bc%8e/checkout",
            "/admin%EF%BC%8Fx",
            "/admin/%ef%bc%bc..",
            "/admin/%e2%80%a5/checkout",
            "/admin/%ef%bc%85%32%65",
            "/admin/x%cd%bex",
        ] {
            assert_eq!(
                normalize(raw.as_bytes()),
                NormalizedPath::Ambiguous(Ambiguity::SuspiciousEncoding),
                "{raw}"
            );
        }
        // Ordinary non-ASCII text stays clean.
        assert_eq!(
            clean("/caf%c3%a9/%e2%82%ac").as_deref(),
            Some("/caf%C3%A9/%E2%82%AC")
        );
        assert_eq!(clean("/%ef%bc%a1").as_deref(), Some("/%EF%BC%A1"));
    }

    #[test]
    fn unreserved_characters_are_decoded_and_hex_uppercased() {
        assert_eq!(clean("/%61dmin").as_deref(), Some("/admin"));
        assert_eq!(clean("/a%7e%2D%5f").as_deref(), Some("/a~-_"));
        assert_eq!(clean("/caf%c3%a9").as_deref(), Some("/caf%C3%A9"));
        assert_eq!(clean("/a%20b").as_deref(), Some("/a%20b"));
    }

    #[test]
    fn dot_segments_are_ambiguous_plain_or_encoded() {
        for raw in [
            "/admin/../checkout",
            "/admin/./x",
            "/admin/%2e%2e/checkout",
            "/admin/%2E./checkout",
            "/..",
            "/admin/..",
            "/x/.",
        ] {
            assert_eq!(
                normalize(raw.as_bytes()),
                NormalizedPath::Ambiguous(Ambiguity::DotSegment),
                "{raw}"
            );
        }
    }

    #[test]
    fn suspicious_input_is_ambiguous() {
        let cases: &[(&[u8], Ambiguity)] = &[
            (b"", Ambiguity::NotOriginForm),
            (b"*", Ambiguity::NotOriginForm),
            (b"http://x/admin", Ambiguity::NotOriginForm),
            (b"/admin\\..\\checkout", Ambiguity::SuspiciousCharacter),
            (b"/admin;x/../y", Ambiguity::SuspiciousCharacter),
            (b"/admin/..;/checkout", Ambiguity::SuspiciousCharacter),
            (b"/a b", Ambiguity::SuspiciousCharacter),
            (b"/a\x00", Ambiguity::SuspiciousCharacter),
            (b"/caf\xc3\xa9", Ambiguity::SuspiciousCharacter),
            (b"/admin%2Fx", Ambiguity::SuspiciousEncoding),
            (b"/admin%2fx", Ambiguity::SuspiciousEncoding),
            (b"/admin%5C..", Ambiguity::SuspiciousEncoding),
            (b"/admin%3bx", Ambiguity::SuspiciousEncoding),
            (b"/admin%00", Ambiguity::SuspiciousEncoding),
            (b"/admin%0a", Ambiguity::SuspiciousEncoding),
            (b"/%252e%252e/admin", Ambiguity::SuspiciousEncoding),
            // Double encoding spelled with encoded unreserved characters.
            (
                b"/admin/%25%32%65%25%32%65/x",
                Ambiguity::SuspiciousEncoding,
            ),
            (b"/admin/%25%34%31", Ambiguity::SuspiciousEncoding),
            (b"/admin/%252%46", Ambiguity::SuspiciousEncoding),
            (b"/a%", Ambiguity::InvalidEncoding),
            (b"/a%4", Ambiguity::InvalidEncoding),
            (b"/a%zz", Ambiguity::InvalidEncoding),
            (b"/%c0%ae%c0%ae/admin", Ambiguity::InvalidEncoding),
            (b"/%ff", Ambiguity::InvalidEncoding),
            (b"/%c3", Ambiguity::InvalidEncoding),
            (b"/%c3/%a9", Ambiguity::InvalidEncoding),
            // Found by fuzzing: an encoded unreserved character inside a multi-byte sequence.
            (b"/caf%C3%Ae/%ef%bc%44%90x", Ambiguity::InvalidEncoding),
            (b"/%ef%bc%41%8e", Ambiguity::InvalidEncoding),
            (b"/%c3%61%a9", Ambiguity::InvalidEncoding),
            (b"//admin", Ambiguity::RepeatedSlash),
            (b"/admin//x", Ambiguity::RepeatedSlash),
        ];
        for (raw, why) in cases {
            assert_eq!(
                normalize(raw),
                NormalizedPath::Ambiguous(*why),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn percent_sign_on_its_own_is_fine() {
        assert_eq!(clean("/100%25").as_deref(), Some("/100%25"));
        assert_eq!(clean("/100%25off").as_deref(), Some("/100%25off"));
    }

    #[test]
    fn loggable_paths_end_before_any_query() {
        for (raw, shown) in [
            ("/a/b", "/a/b"),
            ("/set?token=s3cret", "/set"),
            ("/set%3Ftoken=s3cret", "/set"),
            ("/set%3ftoken=s3cret", "/set"),
            ("/set%253Ftoken=s3cret", "/set"),
            ("/set%25253ftoken=s3cret", "/set"),
            ("/set%23token=s3cret", "/set"),
            ("/set#?token=s3cret", "/set"),
            ("/100%25/x%2", "/100%25/x%2"),
            ("/%3", "/%3"),
        ] {
            assert_eq!(loggable_path(raw.as_bytes()), shown.as_bytes(), "{raw}");
        }
    }

    #[test]
    fn prefixes_are_segment_aware() {
        assert!(is_under_prefix("/shop", "/shop"));
        assert!(is_under_prefix("/shop/", "/shop"));
        assert!(is_under_prefix("/shop/x", "/shop"));
        assert!(!is_under_prefix("/shopping", "/shop"));
        assert!(!is_under_prefix("/sho", "/shop"));
        assert!(is_under_prefix("/anything", "/"));
    }

    #[test]
    fn config_paths_must_be_clean() {
        assert_eq!(normalize_config_prefix("/shop/").as_deref(), Ok("/shop"));
        assert_eq!(normalize_config_prefix("/").as_deref(), Ok("/"));
        assert_eq!(normalize_config_prefix("/%61pi").as_deref(), Ok("/api"));
        assert!(normalize_config_path("shop").is_err());
        assert!(normalize_config_path("/a/../b").is_err());
        assert!(normalize_config_path("/a?b").is_err());
        assert!(normalize_config_path("/a//b").is_err());
    }
}
