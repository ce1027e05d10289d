//! Bypass secrets: SHA-256 digests from the configuration and constant-time checks of request
//! values against them.
//!
//! The configuration holds only digests; a request proves it knows the secret by sending a value
//! whose SHA-256 is one of them.

use std::fmt;

use serde::Deserialize;

use crate::bytes::hex_value;
use sha2::{Digest as _, Sha256};

/// The SHA-256 of the empty string: a digest that would let an empty value through.
const EMPTY_DIGEST: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Digest([u8; 32]);

/// Why a configured digest is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestProblem {
    /// Not 64 characters long (this many instead).
    Length(usize),
    NotHex,
    /// The digest of the empty string.
    OfNothing,
}

impl fmt::Display for DigestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestProblem::Length(characters) => write!(
                f,
                "must be 64 hex digits (a SHA-256, the first field of `sha256sum` output), \
                 not {characters} characters"
            ),
            DigestProblem::NotHex => f.write_str("must contain only hex digits 0-9, a-f"),
            DigestProblem::OfNothing => f.write_str(
                "is the SHA-256 of the empty string, which would let an empty value through; \
                 hash a real secret (`printf %s \"$TOKEN\" | sha256sum`)",
            ),
        }
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestProblem;

    fn try_from(text: String) -> Result<Digest, DigestProblem> {
        Digest::parse_hex(&text)
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl Digest {
    /// Parses 64 hex digits (either case), as printed by `sha256sum`.
    pub fn parse_hex(text: &str) -> Result<Digest, DigestProblem> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(DigestProblem::Length(text.chars().count()));
        }
        let mut digest = [0u8; 32];
        for (slot, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
            match (hex_value(pair[0]), hex_value(pair[1])) {
                (Some(high), Some(low)) => *slot = high << 4 | low,
                _ => return Err(DigestProblem::NotHex),
            }
        }
        let digest = Digest(digest);
        if digest.to_hex() == EMPTY_DIGEST {
            return Err(DigestProblem::OfNothing);
        }
        Ok(digest)
    }

    /// The SHA-256 of `value`.
    pub fn of(value: &[u8]) -> Digest {
        Digest(Sha256::digest(value).into())
    }

    /// Lower-case hex.
    pub fn to_hex(self) -> String {
        lower_hex(&self.0)
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

/// Lower-case hex of `bytes`: how digests (and the CLI's fresh secrets) are written.
pub fn lower_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

/// Whether the SHA-256 of `value` is one of `digests`. Every digest is compared, so the time
/// taken does not tell which one matched or where a mismatch was.
pub fn matches_any(value: &[u8], digests: &[Digest]) -> bool {
    let candidate = Digest::of(value);
    digests.iter().fold(false, |found, digest| {
        found | candidate.constant_time_eq(digest)
    })
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
        let short = Digest::parse_hex("abcd").unwrap_err().to_string();
        assert!(short.contains("64 hex digits"), "{short}");
        assert!(short.contains("not 4"), "{short}");
        let sha256sum_line = format!("{SECRET_HEX}  -");
        assert!(Digest::parse_hex(&sha256sum_line).is_err());
        let non_hex = format!("{}zz", &SECRET_HEX[..62]);
        assert!(Digest::parse_hex(&non_hex)
            .unwrap_err()
            .to_string()
            .contains("only hex digits"));
        let multibyte = format!("{}é", &SECRET_HEX[..62]);
        assert!(Digest::parse_hex(&multibyte).is_err());
        assert!(Digest::parse_hex(EMPTY_DIGEST)
            .unwrap_err()
            .to_string()
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
}
