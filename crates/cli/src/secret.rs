//! Bypass secrets: random bytes from the kernel, hex-encoded (safe in a cookie, a header and a
//! URL as they are), and their SHA-256 digests, which are all a configuration ever holds.

use std::io::Read;

use maintenance_core::bypass::secret::{lower_hex, Digest};

/// Bytes of randomness in a secret (64 hex digits).
const SECRET_BYTES: usize = 32;

/// A fresh secret from /dev/urandom.
pub fn fresh() -> Result<String, String> {
    let mut bytes = [0u8; SECRET_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read random bytes from /dev/urandom: {e}"))?;
    Ok(lower_hex(&bytes))
}

/// Lower-case hex of SHA-256 of the secret's bytes: what `printf %s "$SECRET" | sha256sum` prints.
pub fn digest(secret: &str) -> String {
    Digest::of(secret.as_bytes()).to_hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256sum_of_the_text() {
        // printf %s abc | sha256sum
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_are_fresh_hex() {
        let (a, b) = (fresh().unwrap(), fresh().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
