//! Bypass tokens: secrets sent in request headers.

use std::fmt;

use serde::Deserialize;

use super::expiry::valid_at;
use super::secret::Digest;
use crate::header_name::{HeaderName, HeaderNameProblem};

/// The configured bypass tokens, grouped by header so each header is read and hashed once.
#[derive(Debug, Default)]
pub struct Tokens {
    /// Lower-case header names, each once, in configuration order.
    headers: Vec<String>,
    /// The accepted digests of each header (same index as `headers`), each with its `not_after`
    /// (unix seconds; `None`: never expires).
    digests: Vec<Vec<(Digest, Option<i64>)>>,
}

impl Tokens {
    /// Adds one token; `header` must already be a valid lower-case name.
    pub fn add(&mut self, header: String, digest: Digest, not_after: Option<i64>) {
        let entry = (digest, not_after);
        match self.headers.iter().position(|known| *known == header) {
            Some(index) => {
                if let Some(digests) = self.digests.get_mut(index) {
                    digests.push(entry);
                }
            }
            None => {
                self.headers.push(header);
                self.digests.push(vec![entry]);
            }
        }
    }

    /// The headers to read from each request, in the order [`Tokens::accepts`] expects values.
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

    /// Whether a header value hashes to one of that header's digests not expired at `now`;
    /// `values[i]` is the value of `headers()[i]`. Every digest is compared (see
    /// `secret::matches_any`).
    pub fn accepts(&self, values: &[Option<Vec<u8>>], now: i64) -> bool {
        self.digests
            .iter()
            .zip(values)
            .fold(false, |found, (digests, value)| {
                let Some(value) = value else {
                    return found;
                };
                let candidate = Digest::of(value);
                digests.iter().fold(found, |found, (digest, not_after)| {
                    found | (candidate.constant_time_eq(digest) & valid_at(*not_after, now))
                })
            })
    }
}

/// Headers a bypass token cannot travel in: the request needs them, or (`cookie`) the cookie
/// bypass handles them.
const RESERVED: &[&str] = &["cookie", "host", "content-length", "content-type"];

/// The request header a bypass token travels in (removed before the request goes upstream).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct TokenHeader(HeaderName);

/// Why a header cannot carry a bypass token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHeaderProblem {
    Name(HeaderNameProblem),
    /// Needed by the request, or the cookie's (as written).
    Reserved(String),
}

impl fmt::Display for TokenHeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenHeaderProblem::Name(problem) => problem.fmt(f),
            TokenHeaderProblem::Reserved(written) => write!(
                f,
                "{written:?} cannot carry a bypass token (the header is removed before the \
                 request goes upstream{})",
                if written.eq_ignore_ascii_case("cookie") {
                    "; use bypass.cookie for a cookie"
                } else {
                    ", and the request needs it"
                }
            ),
        }
    }
}

impl TokenHeader {
    pub fn name(&self) -> &HeaderName {
        &self.0
    }

    pub fn into_name(self) -> HeaderName {
        self.0
    }
}

impl TryFrom<String> for TokenHeader {
    type Error = TokenHeaderProblem;

    fn try_from(written: String) -> Result<TokenHeader, TokenHeaderProblem> {
        let name = HeaderName::parse(&written).map_err(TokenHeaderProblem::Name)?;
        if RESERVED.contains(&name.as_str()) || name.is_hop_by_hop() {
            return Err(TokenHeaderProblem::Reserved(written));
        }
        Ok(TokenHeader(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(secret: &[u8]) -> Digest {
        Digest::of(secret)
    }

    #[test]
    fn tokens_group_digests_by_header() {
        let mut tokens = Tokens::default();
        tokens.add("x-a".into(), digest_of(b"one"), None);
        tokens.add("x-b".into(), digest_of(b"two"), None);
        tokens.add("x-a".into(), digest_of(b"three"), None);
        assert_eq!(tokens.headers(), ["x-a", "x-b"]);
        assert_eq!(tokens.len(), 3);
        assert!(tokens.accepts(&[Some(b"three".to_vec()), None], 0));
        assert!(tokens.accepts(&[None, Some(b"two".to_vec())], 0));
        assert!(!tokens.accepts(&[Some(b"two".to_vec()), Some(b"one".to_vec())], 0));
        assert!(!tokens.accepts(&[None, None], 0));
        assert!(!tokens.accepts(&[], 0));
    }

    #[test]
    fn expired_tokens_let_no_one_through() {
        let mut tokens = Tokens::default();
        tokens.add("x-a".into(), digest_of(b"old"), Some(100));
        tokens.add("x-a".into(), digest_of(b"new"), None);
        let old = [Some(b"old".to_vec())];
        assert!(tokens.accepts(&old, 100));
        assert!(!tokens.accepts(&old, 101));
        assert!(tokens.accepts(&[Some(b"new".to_vec())], 101));
    }
}
