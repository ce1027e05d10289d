//! Host names: the request's `:authority` normalized for matching, and the configured host
//! patterns it is matched against.

/// The request's host as matched against `hosts`: lower-case, no port, no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizedHost {
    Clean(String),
    /// Missing or malformed; matches every host condition (fails closed, like paths).
    Ambiguous,
}

/// Normalizes an `:authority` value.
pub fn normalize_host(raw: Option<&[u8]>) -> NormalizedHost {
    let Some(raw) = raw else {
        return NormalizedHost::Ambiguous;
    };
    let host = if raw.first() == Some(&b'[') {
        // IPv6 literal: `[::1]` or `[::1]:8080`.
        let Some(close) = raw.iter().position(|&b| b == b']') else {
            return NormalizedHost::Ambiguous;
        };
        let (literal, rest) = raw.split_at(close + 1);
        if !valid_port_suffix(rest)
            || !literal[1..close]
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return NormalizedHost::Ambiguous;
        }
        literal
    } else {
        let name = match raw.iter().rposition(|&b| b == b':') {
            Some(colon) => {
                if !valid_port_suffix(&raw[colon..]) {
                    return NormalizedHost::Ambiguous;
                }
                &raw[..colon]
            }
            None => raw,
        };
        let name = name.strip_suffix(b".").unwrap_or(name);
        if name.is_empty() || !name.iter().all(|&b| is_host_char(b)) {
            return NormalizedHost::Ambiguous;
        }
        name
    };
    match std::str::from_utf8(host) {
        Ok(host) => NormalizedHost::Clean(host.to_ascii_lowercase()),
        Err(_) => NormalizedHost::Ambiguous,
    }
}

fn is_host_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_')
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Any,
    /// Stored with its leading dot: `.example.com`.
    Suffix(Box<str>),
    Exact(Box<str>),
}

impl HostPattern {
    /// Parses a configured host; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<HostPattern, String> {
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
            return Err("must not be empty".into());
        }
        if name.contains('*') {
            return Err(
                "'*' is only allowed as '*' alone or as the first label ('*.example.com')".into(),
            );
        }
        if !is_suffix && name.starts_with('[') {
            if let NormalizedHost::Clean(literal) = normalize_host(Some(name.as_bytes())) {
                return Ok(HostPattern::Exact(literal.into()));
            }
            return Err("is not a valid IPv6 literal".into());
        }
        if name.contains(':') {
            return Err("must not include a port (ports are ignored when matching)".into());
        }
        if !name.bytes().all(is_host_char) || name.starts_with('.') || name.contains("..") {
            return Err("is not a valid host name".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn host(raw: &str) -> NormalizedHost {
        normalize_host(Some(raw.as_bytes()))
    }

    fn clean_host(name: &str) -> NormalizedHost {
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
        for bad in ["", "*foo", "a.*.b", "*.", "a b", "a:80", "a..b", ".a"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
