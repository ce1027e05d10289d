//! `bypass.header`: the request header that tells the upstream which bypass let a request
//! through. The plugin sets it on those requests and removes it from every other one, so it
//! cannot be a header requests, proxies or backends give a meaning of their own.

use std::fmt;

use serde::Deserialize;

use crate::header_name::{HeaderName, HeaderNameProblem, HOP_BY_HOP};

/// Why a name cannot be removed from every request, exact or as a prefix (`x-envoy-`).
const MEANINGS: &[(&str, &str)] = &[
    ("authorization", "it carries the client's credentials"),
    ("proxy-authorization", "it carries the client's credentials"),
    ("cookie", "it carries the client's cookies"),
    ("host", "it names the site the request is for"),
    ("expect", "clients use it to send request bodies"),
    ("content-", "it describes the request body"),
    (
        "forwarded",
        "proxies record the client's address and protocol in it",
    ),
    (
        "x-forwarded-",
        "proxies record the client's address and protocol in it",
    ),
    ("x-real-ip", "proxies record the client's address in it"),
    ("via", "proxies record themselves in it"),
    ("x-envoy-", "Envoy reads and sets these headers"),
    ("x-request-id", "Envoy and tracing follow the request by it"),
    ("traceparent", "tracing follows the request by it"),
    ("tracestate", "tracing follows the request by it"),
    ("b3", "tracing follows the request by it"),
    ("x-b3-", "tracing follows the request by it"),
    ("grpc-", "gRPC clients and servers read it"),
    (
        "accept",
        "it chooses the response's format, language or encoding",
    ),
    (
        "accept-",
        "it chooses the response's format, language or encoding",
    ),
    ("range", "it asks for part of the response"),
    ("if-", "it makes the request conditional"),
    ("cache-control", "it tells caches what the client accepts"),
    ("pragma", "it tells caches what the client accepts"),
    ("origin", "browsers and CORS checks rely on it"),
    ("access-control-", "browsers and CORS checks rely on it"),
    ("sec-", "browsers set it and servers trust it"),
    ("user-agent", "servers tell clients apart by it"),
    ("referer", "servers read where the client came from in it"),
];

/// Why the name of a header with a meaning of its own cannot be `bypass.header`; `None` for a
/// name of no meaning. Backends read `_` as `-` (WSGI, Rack, PHP), so `x_forwarded_for` means
/// what `x-forwarded-for` means.
fn meaning(name: &str) -> Option<&'static str> {
    let name = name.replace('_', "-");
    if HOP_BY_HOP.contains(&name.as_str()) {
        return Some("it belongs to the connection, which only the proxy handles");
    }
    MEANINGS
        .iter()
        .find(|(known, _)| match known.strip_suffix('-') {
            Some(_) => name.starts_with(known),
            None => name == *known,
        })
        .map(|(_, why)| *why)
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
    /// A header with a meaning (as written, and the meaning).
    Meaningful(String, &'static str),
}

impl fmt::Display for BypassHeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BypassHeaderProblem::Name(problem) => problem.fmt(f),
            BypassHeaderProblem::Meaningful(written, why) => write!(
                f,
                "{written:?} cannot be used: the plugin removes it from every request, and {why}; \
                 choose a name of your own such as \"x-maintenance-bypass-kind\""
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
        match meaning(name.as_str()) {
            Some(why) => Err(BypassHeaderProblem::Meaningful(written, why)),
            None => Ok(BypassHeader(name)),
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
    fn names_with_a_meaning_are_refused_with_it() {
        for (name, why) in [
            ("authorization", "credentials"),
            ("Proxy-Authorization", "credentials"),
            ("content-encoding", "request body"),
            ("Content-Length", "request body"),
            ("x-forwarded-for", "client's address"),
            ("X-Forwarded-Proto", "client's address"),
            ("x_forwarded_for", "client's address"),
            ("forwarded", "client's address"),
            ("x-envoy-original-path", "Envoy"),
            ("cookie", "cookies"),
            ("host", "site"),
            ("transfer-encoding", "connection"),
            ("te", "connection"),
            ("traceparent", "tracing"),
            ("if-none-match", "conditional"),
            ("accept-language", "language"),
        ] {
            let message = refused(name).unwrap_or_else(|| panic!("{name} accepted"));
            assert!(message.contains(why), "{name}: {message}");
            assert!(
                message.contains("removes it from every request"),
                "{message}"
            );
        }
    }

    #[test]
    fn names_of_no_meaning_are_kept_lower_case() {
        for name in [
            "x-maintenance-bypass-kind",
            "X-Via",
            "x-bypass",
            "x-contented",
        ] {
            let header = BypassHeader::try_from(name.to_string()).unwrap();
            assert_eq!(header.name().as_str(), name.to_ascii_lowercase());
        }
        assert_eq!(refused("").as_deref(), Some("must not be empty"));
        assert_eq!(
            refused("a b").as_deref(),
            Some("\"a b\" is not a valid HTTP header name")
        );
    }
}
