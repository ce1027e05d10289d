//! HTTP header names in the configuration: RFC 9110 tokens, compared without case (kept
//! lower-case), and the connection-level names no configuration may use.

use std::fmt;

use crate::bytes::is_token;

/// Connection-level headers, which only the proxy handles.
pub(crate) const HOP_BY_HOP: &[&str] = &[
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// A valid header name, lower-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeaderName(String);

/// Why a configured header name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderNameProblem {
    Empty,
    /// Not a token (as written).
    NotAToken(String),
}

impl fmt::Display for HeaderNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderNameProblem::Empty => f.write_str("must not be empty"),
            HeaderNameProblem::NotAToken(written) => {
                write!(f, "{written:?} is not a valid HTTP header name")
            }
        }
    }
}

impl HeaderName {
    pub fn parse(written: &str) -> Result<HeaderName, HeaderNameProblem> {
        let lower = written.to_ascii_lowercase();
        if lower.is_empty() {
            return Err(HeaderNameProblem::Empty);
        }
        if !is_token(&lower) {
            return Err(HeaderNameProblem::NotAToken(written.to_string()));
        }
        Ok(HeaderName(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub(crate) fn is_hop_by_hop(&self) -> bool {
        HOP_BY_HOP.contains(&self.0.as_str())
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
