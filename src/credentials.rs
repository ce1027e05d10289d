//! Bypass secrets: SHA-256 digests from the configuration, constant-time checks of request
//! values against them, and the `cookie` header handling of the bypass cookie.
//!
//! The configuration holds only digests; a request proves it knows the secret by sending a value
//! whose SHA-256 is one of them.

use crate::path::hex_value;
use sha2::{Digest as _, Sha256};

/// The SHA-256 of the empty string: a digest that would let an empty value through.
const EMPTY_DIGEST: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest([u8; 32]);

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl Digest {
    /// Parses 64 hex digits (either case), as printed by `sha256sum`.
    pub fn parse_hex(text: &str) -> Result<Digest, String> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(format!(
                "must be 64 hex digits (a SHA-256, the first field of `sha256sum` output), \
                 not {} characters",
                text.chars().count()
            ));
        }
        let mut digest = [0u8; 32];
        for (slot, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
            match (hex_value(pair[0]), hex_value(pair[1])) {
                (Some(high), Some(low)) => *slot = high << 4 | low,
                _ => return Err("must contain only hex digits 0-9, a-f".into()),
            }
        }
        let digest = Digest(digest);
        if digest.to_hex() == EMPTY_DIGEST {
            return Err(
                "is the SHA-256 of the empty string, which would let an empty value \
                        through; hash a real secret (`printf %s \"$TOKEN\" | sha256sum`)"
                    .into(),
            );
        }
        Ok(digest)
    }

    /// The SHA-256 of `value`.
    pub fn of(value: &[u8]) -> Digest {
        Digest(Sha256::digest(value).into())
    }

    /// Lower-case hex.
    pub fn to_hex(self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(64);
        for byte in self.0 {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        text
    }

    /// Compares in time independent of where the digests differ.
    pub fn constant_time_eq(&self, other: &Digest) -> bool {
        let difference = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(difference) == 0
    }
}

/// Whether the SHA-256 of `value` is one of `digests`. Every digest is compared, so the time
/// taken does not tell which one matched or where a mismatch was.
pub fn matches_any(value: &[u8], digests: &[Digest]) -> bool {
    let candidate = Digest::of(value);
    digests.iter().fold(false, |found, digest| {
        found | candidate.constant_time_eq(digest)
    })
}

/// `cookie-name` is an HTTP token (RFC 6265 section 4.1.1).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

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

/// Whether any cookie called `name` in the header hashes to one of `digests` (cookie names are
/// case-sensitive).
pub fn cookie_matches(header: &[u8], name: &str, digests: &[Digest]) -> bool {
    cookie_pairs(header)
        .filter(|(_, pair_name, _)| *pair_name == name.as_bytes())
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

fn percent_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        if text[index] == b'%' {
            let high = text.get(index + 1).copied().and_then(hex_value)?;
            let low = text.get(index + 2).copied().and_then(hex_value)?;
            decoded.push(high << 4 | low);
            index += 3;
        } else {
            decoded.push(text[index]);
            index += 1;
        }
    }
    Some(decoded)
}

/// The configured bypass tokens, grouped by header so each header is read and hashed once.
#[derive(Debug, Default)]
pub struct Tokens {
    /// Lower-case header names, each once, in configuration order.
    headers: Vec<String>,
    /// The accepted digests of each header (same index as `headers`).
    digests: Vec<Vec<Digest>>,
}

impl Tokens {
    /// Adds one token; `header` must already be a valid lower-case name.
    pub fn add(&mut self, header: String, digest: Digest) {
        match self.headers.iter().position(|known| *known == header) {
            Some(index) => {
                if let Some(digests) = self.digests.get_mut(index) {
                    digests.push(digest);
                }
            }
            None => {
                self.headers.push(header);
                self.digests.push(vec![digest]);
            }
        }
    }

    /// The headers to read from each request, in the order [`Tokens::accept`] expects values.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// How many tokens are configured.
    pub fn len(&self) -> usize {
        self.digests.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// Whether a header value hashes to one of that header's digests; `values[i]` is the value
    /// of `headers()[i]`.
    pub fn accept(&self, values: &[Option<Vec<u8>>]) -> bool {
        self.digests
            .iter()
            .zip(values)
            .fold(false, |found, (digests, value)| {
                found | value.as_deref().is_some_and(|v| matches_any(v, digests))
            })
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
}

impl BypassCookie {
    /// Whether the request's `cookie` header carries the bypass cookie with the secret.
    pub fn accepts(&self, cookie_header: &[u8]) -> bool {
        cookie_matches(
            cookie_header,
            &self.name,
            std::slice::from_ref(&self.digest),
        )
    }

    /// The `set-cookie` value for a link that presented `token`, or `None` when the token is not
    /// the secret or cannot be a cookie value as is.
    pub fn grant(&self, token: &[u8]) -> Option<String> {
        if !is_cookie_value(token) || !matches_any(token, std::slice::from_ref(&self.digest)) {
            return None;
        }
        // Only cookie-octets (ASCII) remain, so this is lossless.
        let value = String::from_utf8_lossy(token);
        Some(format!(
            "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            self.name,
            self.max_age,
            if self.secure { "; Secure" } else { "" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"s3cret-token";
    // printf %s s3cret-token | sha256sum
    const SECRET_HEX: &str = "a81e611a041b13f078bf8ebe5dab4d4fd63fcc5594661c918bec093a2f416a7e";

    fn digest_of(secret: &[u8]) -> Digest {
        Digest::of(secret)
    }

    #[test]
    fn tokens_group_digests_by_header() {
        let mut tokens = Tokens::default();
        tokens.add("x-a".into(), digest_of(b"one"));
        tokens.add("x-b".into(), digest_of(b"two"));
        tokens.add("x-a".into(), digest_of(b"three"));
        assert_eq!(tokens.headers(), ["x-a", "x-b"]);
        assert_eq!(tokens.len(), 3);
        assert!(tokens.accept(&[Some(b"three".to_vec()), None]));
        assert!(tokens.accept(&[None, Some(b"two".to_vec())]));
        assert!(!tokens.accept(&[Some(b"two".to_vec()), Some(b"one".to_vec())]));
        assert!(!tokens.accept(&[None, None]));
        assert!(!tokens.accept(&[]));
    }

    #[test]
    fn sha256_matches_known_vectors() {
        assert_eq!(Digest::of(b"").to_hex(), EMPTY_DIGEST);
        assert_eq!(
            Digest::of(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_digests_parse_in_either_case_and_render_lowercase() {
        let upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
        let digest = Digest::parse_hex(upper).unwrap();
        assert_eq!(digest, Digest::of(b"abc"));
        assert_eq!(digest.to_hex(), upper.to_ascii_lowercase());
        assert_eq!(Digest::parse_hex(SECRET_HEX).unwrap(), Digest::of(SECRET));
    }

    #[test]
    fn bad_hex_is_rejected_with_a_reason() {
        let short = Digest::parse_hex("abcd").unwrap_err();
        assert!(short.contains("64 hex digits"), "{short}");
        assert!(short.contains("not 4"), "{short}");
        let sha256sum_line = format!("{SECRET_HEX}  -");
        assert!(Digest::parse_hex(&sha256sum_line).is_err());
        let non_hex = format!("{}zz", &SECRET_HEX[..62]);
        assert!(Digest::parse_hex(&non_hex)
            .unwrap_err()
            .contains("only hex digits"));
        let multibyte = format!("{}é", &SECRET_HEX[..62]);
        assert!(Digest::parse_hex(&multibyte).is_err());
        assert!(Digest::parse_hex(EMPTY_DIGEST)
            .unwrap_err()
            .contains("empty string"));
    }

    #[test]
    fn values_match_only_their_digest() {
        let digests = [digest_of(b"other"), digest_of(SECRET)];
        assert!(matches_any(SECRET, &digests));
        assert!(!matches_any(b"s3cret-tokeN", &digests));
        assert!(!matches_any(b"s3cret-token ", &digests));
        assert!(!matches_any(b"", &digests));
        assert!(!matches_any(SECRET, &[]));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        let a = digest_of(b"a");
        let mut flipped = a;
        flipped.0[31] ^= 1;
        assert!(a.constant_time_eq(&a));
        assert!(!a.constant_time_eq(&flipped));
        assert!(!a.constant_time_eq(&digest_of(b"b")));
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
