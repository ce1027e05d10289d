//! Bypass tokens: secrets sent in request headers.

use super::secret::{matches_any, Digest};

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

    /// Whether a header value hashes to one of that header's digests; `values[i]` is the value
    /// of `headers()[i]`.
    pub fn accepts(&self, values: &[Option<Vec<u8>>]) -> bool {
        self.digests
            .iter()
            .zip(values)
            .fold(false, |found, (digests, value)| {
                found | value.as_deref().is_some_and(|v| matches_any(v, digests))
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
        tokens.add("x-a".into(), digest_of(b"one"));
        tokens.add("x-b".into(), digest_of(b"two"));
        tokens.add("x-a".into(), digest_of(b"three"));
        assert_eq!(tokens.headers(), ["x-a", "x-b"]);
        assert_eq!(tokens.len(), 3);
        assert!(tokens.accepts(&[Some(b"three".to_vec()), None]));
        assert!(tokens.accepts(&[None, Some(b"two".to_vec())]));
        assert!(!tokens.accepts(&[Some(b"two".to_vec()), Some(b"one".to_vec())]));
        assert!(!tokens.accepts(&[None, None]));
        assert!(!tokens.accepts(&[]));
    }
}
