//! Credentials that expire: `not_after` on bypass tokens and on the bypass cookie. A credential
//! is valid up to and including its `not_after` second; after it, it lets no one through.

/// Whether a credential with this `not_after` (unix seconds; `None`: never expires) is valid at
/// `now`.
pub fn valid_at(not_after: Option<i64>, now: i64) -> bool {
    not_after.is_none_or(|end| now <= end)
}

/// The credentials of a configuration that expire, for the log: what each one is (in the
/// operator's words, never its secret) and its `not_after`.
#[derive(Debug, Default)]
pub struct Expiries(Vec<(String, i64)>);

impl Expiries {
    pub fn push(&mut self, what: String, not_after: i64) {
        self.0.push((what, not_after));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The credentials expired at `now`, with their `not_after`.
    pub fn expired_at(&self, now: i64) -> impl Iterator<Item = (&str, i64)> {
        self.0
            .iter()
            .filter(move |(_, end)| !valid_at(Some(*end), now))
            .map(|(what, end)| (what.as_str(), *end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_through_the_not_after_second() {
        assert!(valid_at(None, i64::MAX));
        assert!(valid_at(Some(100), 99));
        assert!(valid_at(Some(100), 100));
        assert!(!valid_at(Some(100), 101));
        let mut expiries = Expiries::default();
        assert!(expiries.is_empty());
        expiries.push("a".into(), 10);
        expiries.push("b".into(), 20);
        assert_eq!(expiries.expired_at(10).count(), 0);
        assert_eq!(expiries.expired_at(11).collect::<Vec<_>>(), [("a", 10)]);
        assert_eq!(expiries.expired_at(21).count(), 2);
    }
}
