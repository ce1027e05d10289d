//! A configured value its type refuses: what was written, and why (`"shop" must start with
//! '/'`). Each domain type says why in its own typed error (`Why`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused<Why> {
    pub written: String,
    pub why: Why,
}

impl<Why> Refused<Why> {
    pub fn new(written: impl Into<String>, why: Why) -> Refused<Why> {
        Refused {
            written: written.into(),
            why,
        }
    }
}

impl<Why: fmt::Display> fmt::Display for Refused<Why> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.written, self.why)
    }
}

impl<Why: fmt::Display + fmt::Debug> std::error::Error for Refused<Why> {}
