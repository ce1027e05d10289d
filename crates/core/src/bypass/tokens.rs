//! Bypass tokens: secrets sent in request headers.

use super::expiry::valid_at;
use super::secret::Digest;

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
