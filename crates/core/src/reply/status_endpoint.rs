//! The status path and its preview path (`<status_path>/preview`), matched on the literal
//! request path without the query: cheap, and a percent-encoded spelling is not the status path.

use std::fmt;

use serde::Deserialize;

use crate::refused::Refused;
use crate::request::path::{literal_path, ExactPath, PathProblem};

/// The configured status path and its preview path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEndpoint {
    path: String,
    preview: String,
}

/// Which of the two paths a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Status,
    Preview,
}

impl StatusEndpoint {
    /// From a normalized configuration path.
    pub fn new(path: String) -> StatusEndpoint {
        let preview = format!("{}/preview", path.trim_end_matches('/'));
        StatusEndpoint { path, preview }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn preview(&self) -> &str {
        &self.preview
    }

    /// Which endpoint the raw `:path` is for, if any.
    pub fn which(&self, raw_path: &[u8]) -> Option<Endpoint> {
        let path = literal_path(raw_path)?;
        if path == self.path {
            Some(Endpoint::Status)
        } else if path == self.preview {
            Some(Endpoint::Preview)
        } else {
            None
        }
    }
}

/// `status_path`: an exact path other than `/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct StatusPath(ExactPath);

/// Why a status path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusPathProblem {
    Path(Refused<PathProblem>),
    Root,
}

impl fmt::Display for StatusPathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPathProblem::Path(refused) => refused.fmt(f),
            StatusPathProblem::Root => f.write_str(
                "\"/\" would answer the home page itself; use a path such as \"/.well-known/maintenance\"",
            ),
        }
    }
}

impl StatusPath {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The path and its preview path, as the plugin answers them.
    pub fn endpoint(self) -> StatusEndpoint {
        StatusEndpoint::new(self.0.into_string())
    }
}

impl TryFrom<String> for StatusPath {
    type Error = StatusPathProblem;

    fn try_from(written: String) -> Result<StatusPath, StatusPathProblem> {
        let path = ExactPath::try_from(written).map_err(StatusPathProblem::Path)?;
        match path.as_str() {
            "/" => Err(StatusPathProblem::Root),
            _ => Ok(StatusPath(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_literally_without_the_query() {
        let endpoint = StatusEndpoint::new("/.well-known/maintenance".to_string());
        assert_eq!(
            endpoint.which(b"/.well-known/maintenance"),
            Some(Endpoint::Status)
        );
        assert_eq!(
            endpoint.which(b"/.well-known/maintenance?x=1"),
            Some(Endpoint::Status)
        );
        assert_eq!(
            endpoint.which(b"/.well-known/maintenance/preview?format=html"),
            Some(Endpoint::Preview)
        );
        for other in [
            &b"/.well-known/maintenance/"[..],
            b"/.well-known/maintenancex",
            b"/.well-known/%6Daintenance",
            b"/",
            b"",
            b"/.well-known/maintenance/preview/x",
            b"/.well-known/maintenance\xff",
        ] {
            assert_eq!(endpoint.which(other), None, "{other:?}");
        }
    }
}
