//! `bypass.header`: the request header that tells the upstream which bypass let a request
//! through. The plugin sets it on those requests and removes it from every other one, so it
//! cannot be a header requests need.

use std::fmt;

use serde::Deserialize;

use crate::header_name::{HeaderName, HeaderNameProblem, HOP_BY_HOP};

/// Headers requests need: removing them from every request would break requests.
const NEEDED: &[&str] = &["cookie", "host", "content-length", "content-type"];

/// Whether requests need the header, so it cannot be removed from every one.
fn needed(name: &str) -> bool {
    NEEDED.contains(&name) || HOP_BY_HOP.contains(&name)
}

/// `bypass.header`, lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct BypassHeader(HeaderName);

/// Why a name cannot be `bypass.header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BypassHeaderProblem {
    Name(HeaderNameProblem),
    /// A header requests need (as written).
    Needed(String),
}

impl fmt::Display for BypassHeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BypassHeaderProblem::Name(problem) => problem.fmt(f),
            BypassHeaderProblem::Needed(written) => write!(
                f,
                "{written:?} cannot be used: it is removed from every request, and requests need it"
            ),
        }
    }
}

impl BypassHeader {
    pub fn name(&self) -> &HeaderName {
        &self.0
    }

    pub fn into_name(self) -> HeaderName {
        self.0
    }
}

impl TryFrom<String> for BypassHeader {
    type Error = BypassHeaderProblem;

    fn try_from(written: String) -> Result<BypassHeader, BypassHeaderProblem> {
        let name = HeaderName::parse(&written).map_err(BypassHeaderProblem::Name)?;
        match needed(name.as_str()) {
            true => Err(BypassHeaderProblem::Needed(written)),
            false => Ok(BypassHeader(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> Option<String> {
        BypassHeader::try_from(name.to_string())
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn names_are_kept_lower_case_and_needed_ones_refused() {
        for name in ["x-maintenance-bypass-kind", "X-Via", "x-bypass"] {
            let header = BypassHeader::try_from(name.to_string()).unwrap();
            assert_eq!(header.name().as_str(), name.to_ascii_lowercase());
        }
        for name in ["cookie", "Host", "transfer-encoding"] {
            assert!(
                refused(name).unwrap().contains("requests need it"),
                "{name}"
            );
        }
        assert_eq!(refused("").as_deref(), Some("must not be empty"));
        assert_eq!(
            refused("a b").as_deref(),
            Some("\"a b\" is not a valid HTTP header name")
        );
    }
}
