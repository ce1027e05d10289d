//! The bypass cookie: finding it among the request's cookies, removing it before the request
//! goes upstream, and the cookie link (`?token=` on a configured path) that sets it.

use std::fmt;

use serde::Deserialize;

use super::expiry::valid_at;
use super::secret::{matches_any, Digest};
use crate::bytes::{is_token, percent_decode};

/// `cookie-octet` (RFC 6265 section 4.1.1): what a cookie value may hold without quoting.
pub fn is_cookie_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

/// What to do with the request's `cookie` header once the request is let through.
#[derive(Clone, PartialEq, Eq)]
pub enum CookieHeader {
    /// No bypass cookie in it (or no header): leave it alone.
    Keep,
    /// It held only bypass cookies: remove the header.
    Remove,
    /// Replace it by this value: the other cookies, in order, without the bypass cookie.
    Replace(Vec<u8>),
}

/// Shows no cookie values: other people's session cookies have no place in debug logs.
impl std::fmt::Debug for CookieHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CookieHeader::Keep => f.write_str("Keep"),
            CookieHeader::Remove => f.write_str("Remove"),
            CookieHeader::Replace(rest) => write!(f, "Replace(<{} bytes>)", rest.len()),
        }
    }
}

/// The `name=value` pairs of a `cookie` header, split on `;` with surrounding whitespace trimmed;
/// a pair without `=` has an empty name (it can never be the bypass cookie).
fn cookie_pairs(header: &[u8]) -> impl Iterator<Item = (&[u8], &[u8], &[u8])> {
    header
        .split(|&b| b == b';')
        .map(<[u8]>::trim_ascii)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(equals) => (
                pair,
                pair[..equals].trim_ascii(),
                pair[equals + 1..].trim_ascii(),
            ),
            None => (pair, &b""[..], pair),
        })
}

/// All `cookie` header values as one header, joined with `; ` as HTTP/2 does (RFC 9113
/// section 8.2.3); `None` when there is none. An HTTP/1.1 client may send several.
pub fn join_cookie_headers<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    values.into_iter().fold(None, |joined, value| match joined {
        None => Some(value.to_vec()),
        Some(mut joined) => {
            joined.extend_from_slice(b"; ");
            joined.extend_from_slice(value);
            Some(joined)
        }
    })
}

/// How many cookies called the bypass cookie's name are checked, first to last; later ones are
/// ignored (and still removed). A browser sends a few at most (one per path and domain it was
/// set for); thousands of them in one request would otherwise cost one SHA-256 each.
pub const MAX_CHECKED_COOKIES: usize = 4;

/// Whether one of the first [`MAX_CHECKED_COOKIES`] cookies called `name` in the header hashes
/// to one of `digests` (cookie names are case-sensitive).
pub fn cookie_matches(header: &[u8], name: &str, digests: &[Digest]) -> bool {
    cookie_pairs(header)
        .filter(|(_, pair_name, _)| *pair_name == name.as_bytes())
        .take(MAX_CHECKED_COOKIES)
        .fold(false, |found, (_, _, value)| {
            found | matches_any(value, digests)
        })
}

/// The header without any cookie called `name`; other cookies are kept as sent.
pub fn without_cookie(header: &[u8], name: &str) -> CookieHeader {
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut removed = false;
    for (pair, pair_name, _) in cookie_pairs(header) {
        if pair_name == name.as_bytes() {
            removed = true;
        } else {
            kept.push(pair);
        }
    }
    match (removed, kept.is_empty()) {
        (false, _) => CookieHeader::Keep,
        (true, true) => CookieHeader::Remove,
        (true, false) => CookieHeader::Replace(kept.join(&b"; "[..])),
    }
}

/// The first `key` parameter of a `:path` query, percent-decoded (`+` stays `+`: tokens are not
/// form data). `None` when absent or when its encoding is invalid.
pub fn query_parameter(path: &[u8], key: &str) -> Option<Vec<u8>> {
    let path = path
        .iter()
        .position(|&b| b == b'#')
        .map_or(path, |end| &path[..end]);
    let start = path.iter().position(|&b| b == b'?')? + 1;
    let query = &path[start..];
    let value = query.split(|&b| b == b'&').find_map(|pair| {
        let equals = pair.iter().position(|&b| b == b'=')?;
        (&pair[..equals] == key.as_bytes()).then(|| &pair[equals + 1..])
    })?;
    percent_decode(value)
}

/// The bypass cookie's name, as written (a cookie name is case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct CookieName(String);

/// Why a cookie name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieNameProblem {
    Empty,
    NotAToken(String),
}

impl fmt::Display for CookieNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CookieNameProblem::Empty => f.write_str("must not be empty"),
            CookieNameProblem::NotAToken(name) => write!(f, "{name:?} is not a valid cookie name"),
        }
    }
}

impl CookieName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// `__Secure-` and `__Host-` cookies, which browsers drop without `Secure`; browsers match
    /// these prefixes case-insensitively (RFC 6265bis).
    pub fn needs_secure(&self) -> bool {
        let lower = self.0.to_ascii_lowercase();
        lower.starts_with("__secure-") || lower.starts_with("__host-")
    }
}

impl TryFrom<String> for CookieName {
    type Error = CookieNameProblem;

    fn try_from(name: String) -> Result<CookieName, CookieNameProblem> {
        if name.is_empty() {
            return Err(CookieNameProblem::Empty);
        }
        if !is_token(&name) {
            return Err(CookieNameProblem::NotAToken(name));
        }
        Ok(CookieName(name))
    }
}

/// The configured bypass cookie.
#[derive(Debug)]
pub struct BypassCookie {
    pub name: String,
    pub digest: Digest,
    pub max_age: u64,
    pub secure: bool,
    /// The normalized path of the cookie link, if any.
    pub set_path: Option<String>,
    /// After this instant (unix seconds) the cookie and its link let no one through; `None`:
    /// never.
    pub not_after: Option<i64>,
}

impl BypassCookie {
    /// Whether the request's `cookie` header carries the bypass cookie with the secret, and the
    /// cookie has not expired at `now`.
    pub fn accepts(&self, cookie_header: &[u8], now: i64) -> bool {
        valid_at(self.not_after, now)
            && cookie_matches(
                cookie_header,
                &self.name,
                std::slice::from_ref(&self.digest),
            )
    }

    /// The `set-cookie` value for a link that presented `token` at `now`, or `None` when the
    /// token is not the secret, cannot be a cookie value as is, or the cookie has expired. With a
    /// `not_after`, the cookie set expires by then at the latest.
    pub fn grant(&self, token: &[u8], now: i64) -> Option<String> {
        if !valid_at(self.not_after, now)
            || !is_cookie_value(token)
            || !matches_any(token, std::slice::from_ref(&self.digest))
        {
            return None;
        }
        let max_age = match self.not_after {
            Some(end) => self
                .max_age
                .min(u64::try_from(end.saturating_sub(now)).unwrap_or(0).max(1)),
            None => self.max_age,
        };
        // Only cookie-octets (ASCII) remain, so this is lossless.
        let value = String::from_utf8_lossy(token);
        Some(format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.name,
            if self.secure { "; Secure" } else { "" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::is_token;

    const SECRET: &[u8] = b"s3cret-token";

    fn digest_of(secret: &[u8]) -> Digest {
        Digest::of(secret)
    }

    #[test]
    fn bypass_cookie_is_found_among_others() {
        let digests = [digest_of(SECRET)];
        let name = "mm_bypass";
        assert!(cookie_matches(b"mm_bypass=s3cret-token", name, &digests));
        assert!(cookie_matches(
            b"a=1; mm_bypass=s3cret-token; b=2",
            name,
            &digests
        ));
        assert!(cookie_matches(
            b"mm_bypass=old;mm_bypass=s3cret-token",
            name,
            &digests
        ));
        assert!(cookie_matches(
            b" mm_bypass = s3cret-token ;",
            name,
            &digests
        ));
        assert!(!cookie_matches(b"MM_BYPASS=s3cret-token", name, &digests));
        assert!(!cookie_matches(b"x_mm_bypass=s3cret-token", name, &digests));
        assert!(!cookie_matches(b"mm_bypass=wrong", name, &digests));
        assert!(!cookie_matches(b"mm_bypass", name, &digests));
        assert!(!cookie_matches(b"s3cret-token", name, &digests));
        assert!(!cookie_matches(b"", name, &digests));
    }

    #[test]
    fn only_the_first_few_same_name_cookies_are_hashed() {
        let digests = [digest_of(SECRET)];
        let flood = |wrong: usize| {
            let mut header = "mm=wrong; ".repeat(wrong);
            header.push_str("mm=s3cret-token");
            header
        };
        // The right cookie among the first few counts...
        assert!(cookie_matches(
            flood(MAX_CHECKED_COOKIES - 1).as_bytes(),
            "mm",
            &digests
        ));
        // ...after them it is never hashed: a request with thousands costs a few hashes.
        assert!(!cookie_matches(
            flood(MAX_CHECKED_COOKIES).as_bytes(),
            "mm",
            &digests
        ));
        assert!(!cookie_matches(flood(5000).as_bytes(), "mm", &digests));
        // Other cookies do not count towards the limit, and every copy is still removed.
        let others = format!("{}mm=s3cret-token", "a=1; ".repeat(5000));
        assert!(cookie_matches(others.as_bytes(), "mm", &digests));
        assert_eq!(
            without_cookie(flood(5000).as_bytes(), "mm"),
            CookieHeader::Remove
        );
    }

    #[test]
    fn only_the_bypass_cookie_is_removed() {
        let name = "mm_bypass";
        assert_eq!(
            without_cookie(b"a=1; mm_bypass=x; b=2", name),
            CookieHeader::Replace(b"a=1; b=2".to_vec())
        );
        assert_eq!(
            without_cookie(b"mm_bypass=x;a=1;mm_bypass=y", name),
            CookieHeader::Replace(b"a=1".to_vec())
        );
        assert_eq!(without_cookie(b"mm_bypass=x", name), CookieHeader::Remove);
        assert_eq!(
            without_cookie(b"mm_bypass=x; mm_bypass=y", name),
            CookieHeader::Remove
        );
        assert_eq!(without_cookie(b"a=1; b=2", name), CookieHeader::Keep);
        assert_eq!(
            without_cookie(b"a=\xff; mm_bypass=x", name),
            CookieHeader::Replace(b"a=\xff".to_vec())
        );
    }

    #[test]
    fn cookie_values_stay_out_of_debug_output() {
        let rewritten = without_cookie(b"session=abc123; mm_bypass=x", "mm_bypass");
        assert_eq!(format!("{rewritten:?}"), "Replace(<14 bytes>)");
    }

    #[test]
    fn several_cookie_headers_are_one() {
        assert_eq!(join_cookie_headers([]), None);
        assert_eq!(
            join_cookie_headers([&b"a=1"[..]]).as_deref(),
            Some(&b"a=1"[..])
        );
        let joined = join_cookie_headers([&b"a=1"[..], b"mm=x; b=2"]).unwrap();
        assert_eq!(joined, b"a=1; mm=x; b=2");
        assert_eq!(
            without_cookie(&joined, "mm"),
            CookieHeader::Replace(b"a=1; b=2".to_vec())
        );
    }

    #[test]
    fn query_parameters_are_found_and_decoded() {
        assert_eq!(
            query_parameter(b"/set?token=abc", "token").as_deref(),
            Some(&b"abc"[..])
        );
        assert_eq!(
            query_parameter(b"/set?x=1&token=a%2Bb+c&token=second#frag", "token").as_deref(),
            Some(&b"a+b+c"[..])
        );
        assert_eq!(
            query_parameter(b"/set?token=a#b", "token").as_deref(),
            Some(&b"a"[..])
        );
        assert_eq!(
            query_parameter(b"/set?token=", "token").as_deref(),
            Some(&b""[..])
        );
        assert_eq!(query_parameter(b"/set", "token"), None);
        assert_eq!(query_parameter(b"/set?tokens=a", "token"), None);
        assert_eq!(query_parameter(b"/set?token", "token"), None);
        assert_eq!(query_parameter(b"/set?token=%zz", "token"), None);
        assert_eq!(query_parameter(b"/set#?token=a", "token"), None);
    }

    #[test]
    fn an_expired_cookie_lets_no_one_through_and_is_not_granted() {
        let cookie = BypassCookie {
            name: "mm".into(),
            digest: digest_of(SECRET),
            max_age: 3600,
            secure: true,
            set_path: None,
            not_after: Some(1000),
        };
        assert!(cookie.accepts(b"mm=s3cret-token", 1000));
        assert!(!cookie.accepts(b"mm=s3cret-token", 1001));
        // Granted close to the end: the cookie lasts until then, not max_age.
        let granted = cookie.grant(SECRET, 400).unwrap();
        assert!(granted.contains("Max-Age=600;"), "{granted}");
        assert!(cookie.grant(SECRET, 0).unwrap().contains("Max-Age=1000;"));
        assert!(cookie.grant(SECRET, 1000).unwrap().contains("Max-Age=1;"));
        assert_eq!(cookie.grant(SECRET, 1001), None);
        let forever = BypassCookie {
            not_after: None,
            ..cookie
        };
        assert!(forever
            .grant(SECRET, i64::MAX)
            .unwrap()
            .contains("Max-Age=3600;"));
    }

    #[test]
    fn cookie_syntax_checks() {
        assert!(is_token("mm_bypass"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a=b"));
        assert!(is_cookie_value(b"abc-DEF_123.~+/="));
        for bad in [
            &b"a b"[..],
            b"a;b",
            b"a,b",
            b"a\"b",
            b"a\\b",
            b"a\x7f",
            b"\xc3\xa9",
        ] {
            assert!(!is_cookie_value(bad), "{bad:?}");
        }
    }
}
