//! Small byte-level helpers shared by the parsers: hex digits, percent-decoding, HTTP token
//! characters, FNV-1a. One copy each.

/// The value of one hex digit.
pub(crate) fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes every `%XX`; `None` when a `%` is not followed by two hex digits. `+` stays `+`.
pub(crate) fn percent_decode(text: &[u8]) -> Option<Vec<u8>> {
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

/// Percent-encodes as gRPC requires for `grpc-message`: every byte outside printable ASCII
/// (0x20-0x7E), and `%`, becomes `%XX` (upper-case hex).
pub(crate) fn grpc_percent_encode(text: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(text.len());
    for &byte in text {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

/// Standard base64 (RFC 4648 section 4) with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for position in 0..4 {
            if position <= chunk.len() {
                encoded.push(ALPHABET[(n >> (18 - 6 * position) & 0x3f) as usize]);
            } else {
                encoded.push(b'=');
            }
        }
    }
    encoded
}

/// Decodes standard base64 (RFC 4648 section 4); padding is optional, whitespace (line breaks
/// in a long value) is skipped. `None` for any other character, a lone final character, or
/// padding anywhere but at the end.
pub(crate) fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(value))
    }
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    let padding = digits
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'=')
        .count();
    let digits = &digits[..digits.len() - padding];
    if padding > 2
        || (padding > 0 && !(digits.len() + padding).is_multiple_of(4))
        || digits.len() % 4 == 1
    {
        return None;
    }
    let mut decoded = Vec::with_capacity(digits.len() / 4 * 3 + 2);
    for chunk in digits.chunks(4) {
        let mut n = 0;
        for (position, &byte) in chunk.iter().enumerate() {
            n |= value(byte)? << (18 - 6 * position);
        }
        let bytes = n.to_be_bytes();
        decoded.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(decoded)
}

/// An HTTP `tchar` (RFC 9110 section 5.6.2).
pub(crate) fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// An HTTP token: header names, cookie names (RFC 6265 section 4.1.1).
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token_char)
}

/// FNV-1a (64-bit), fed as bytes arrive: the route and bypass indexes are looked up several
/// times per request with short keys, where std's SipHash costs more than the lookup, and a walk
/// over a path hashes each of its prefixes by carrying on from the one before. Flooding is not a
/// concern: only the configuration chooses the stored keys; a request only chooses what it looks
/// up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) const START: Fnv = Fnv(0xcbf2_9ce4_8422_2325);

    #[inline]
    pub(crate) fn byte(self, byte: u8) -> Fnv {
        Fnv((self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
    }

    #[inline]
    pub(crate) fn bytes(mut self, bytes: &[u8]) -> Fnv {
        for &byte in bytes {
            self = self.byte(byte);
        }
        self
    }

    /// The 32 bits a [`HashIndex`] keeps (both halves folded in).
    #[inline]
    pub(crate) fn key(self) -> u32 {
        let key = (self.0 ^ (self.0 >> 32)) as u32;
        #[cfg(test)]
        let key = key & KEY_BITS.with(std::cell::Cell::get);
        key
    }
}

#[cfg(test)]
thread_local! {
    /// The bits of a key that tests keep: fewer make every index collide, to show that a
    /// collision costs checks, never a wrong answer.
    pub(crate) static KEY_BITS: std::cell::Cell<u32> = const { std::cell::Cell::new(u32::MAX) };
}

/// The FNV-1a hash of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    Fnv::START.bytes(bytes).0
}

/// Numbers (of routes, of bypass paths) by a 32-bit hash of their keys ([`Fnv::key`]), sorted:
/// 8 bytes per entry, where a hash map of key strings took several allocations per key (VM
/// memory never shrinks, and every worker has its own VM). A hash only names candidates: callers
/// check each candidate in full, so a collision costs one more check, never a wrong answer.
#[derive(Debug, Default)]
pub(crate) struct HashIndex(Box<[Entry]>);

/// A (key, number) pair of a [`HashIndex`].
pub(crate) type Entry = (u32, u32);

impl HashIndex {
    /// From (key, number) pairs; a number listed twice under one key is kept once.
    pub(crate) fn new(mut entries: Vec<Entry>) -> HashIndex {
        entries.sort_unstable();
        entries.dedup();
        HashIndex(entries.into_boxed_slice())
    }

    /// The numbers listed under `key`.
    pub(crate) fn get(&self, key: u32) -> impl Iterator<Item = usize> + '_ {
        listed(&self.0, key)
    }

    /// Every (key, number), sorted.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.0
    }
}

/// The numbers listed under `key` in entries sorted by key (as a [`HashIndex`] keeps them).
#[inline]
pub(crate) fn listed(entries: &[Entry], key: u32) -> impl Iterator<Item = usize> + '_ {
    let start = entries.partition_point(|&(k, _)| k < key);
    entries
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(move |&&(k, _)| k == key)
        .map(|&(_, number)| number as usize)
}

/// `index` as the u32 a [`HashIndex`] stores (a configuration cannot list more).
pub(crate) fn index_number(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_known_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        // Carrying on from a prefix is hashing the whole.
        assert_eq!(
            Fnv::START.bytes(b"foo").bytes(b"bar").key(),
            Fnv::START.bytes(b"foobar").key()
        );
    }

    #[test]
    fn index_lists_numbers_by_key() {
        let index = HashIndex::new(vec![(7, 2), (3, 1), (7, 0), (7, 2)]);
        assert_eq!(index.get(7).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(index.get(3).collect::<Vec<_>>(), [1]);
        assert_eq!(index.get(4).count() + index.get(u32::MAX).count(), 0);
        assert_eq!(HashIndex::default().get(0).count(), 0);
    }

    #[test]
    fn percent_decoding_is_strict() {
        assert_eq!(percent_decode(b"a%2Fb+c"), Some(b"a/b+c".to_vec()));
        assert_eq!(percent_decode(b"%zz"), None);
        assert_eq!(percent_decode(b"%4"), None);
        assert!(is_token("x-a.b"));
        assert!(!is_token("x a") && !is_token(""));
    }

    #[test]
    fn grpc_messages_are_percent_encoded() {
        assert_eq!(grpc_percent_encode(b"Back soon"), "Back soon");
        assert_eq!(grpc_percent_encode(b"100% \n"), "100%25 %0A");
        assert_eq!(
            grpc_percent_encode("caf\u{e9} \u{1F6A7}~".as_bytes()),
            "caf%C3%A9 %F0%9F%9A%A7~"
        );
        assert_eq!(grpc_percent_encode(b"\x7f\x00"), "%7F%00");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(
                base64_encode(plain.as_bytes()),
                encoded.as_bytes(),
                "{plain}"
            );
        }
        assert_eq!(base64_encode(&[0xff, 0xfe, 0x80]), b"//6A");
    }

    #[test]
    fn base64_decodes_what_it_encodes_and_refuses_the_rest() {
        for plain in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0xff, 0, 0x80],
        ] {
            let encoded = base64_encode(plain);
            assert_eq!(base64_decode(&encoded).as_deref(), Some(plain));
            let unpadded: Vec<u8> = encoded.iter().copied().filter(|&b| b != b'=').collect();
            assert_eq!(base64_decode(&unpadded).as_deref(), Some(plain));
        }
        assert_eq!(
            base64_decode(b"Zm9v\nYmFy\n").as_deref(),
            Some(&b"foobar"[..])
        );
        for bad in [
            &b"Zm9v!"[..],
            b"Z",
            b"Zm9vY",
            b"Zg===",
            b"Z=g=",
            b"Zm9v-_",
            b"=Zg",
        ] {
            assert_eq!(base64_decode(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
