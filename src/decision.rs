//! The per-request decision: pure, host-free, and the only place the rules meet.

use crate::config::Plan;
use crate::negotiate::{choose, Format};
use crate::path::normalize;
use crate::scope::{normalize_host, MatchInput};

/// What the filter read from the request headers (raw bytes: headers need not be UTF-8).
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a [u8],
    pub authority: Option<&'a [u8]>,
    pub path: &'a [u8],
    pub content_type: Option<&'a [u8]>,
    pub accept: Option<&'a [u8]>,
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Maintenance is off: the request passes untouched.
    Off,
    /// Maintenance is on, but no route covers the request: it passes untouched.
    OutOfScope,
    /// In scope, but under a bypass path: it passes untouched.
    Bypassed,
    /// Answer with the maintenance response in this format.
    Maintenance(Format),
}

impl Decision {
    /// Whether the request goes to the upstream.
    pub fn passes(self) -> bool {
        !matches!(self, Decision::Maintenance(_))
    }
}

/// Decides what to do with one request.
pub fn decide(plan: &Plan, request: &RequestFacts) -> Decision {
    if !plan.enabled {
        return Decision::Off;
    }
    let path = normalize(request.path);
    let host = normalize_host(request.authority);
    let input = MatchInput {
        host: &host,
        path: &path,
        method: request.method,
    };
    if !plan.scope.contains(&input) {
        return Decision::OutOfScope;
    }
    if plan.bypass_paths.covers(&path) {
        return Decision::Bypassed;
    }
    Decision::Maintenance(choose(request.content_type, request.accept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn facts<'a>(method: &'a str, host: &'a str, path: &'a str) -> RequestFacts<'a> {
        RequestFacts {
            method: method.as_bytes(),
            authority: Some(host.as_bytes()),
            path: path.as_bytes(),
            content_type: None,
            accept: None,
        }
    }

    #[test]
    fn off_passes_everything() {
        let plan = parse(br#"{"enabled": false, "routes": [{}]}"#).unwrap();
        assert_eq!(decide(&plan, &facts("GET", "a", "/")), Decision::Off);
    }

    #[test]
    fn on_answers_in_scope_requests_and_lets_bypasses_through() {
        let plan = parse(
            br#"{"enabled": true,
                "routes": [{"hosts": ["shop.example.com"]}],
                "bypass": {"paths": ["/admin"]}}"#,
        )
        .unwrap();
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/cart")),
            Decision::Maintenance(Format::Plain)
        );
        assert_eq!(
            decide(&plan, &facts("GET", "blog.example.com", "/cart")),
            Decision::OutOfScope
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin/x")),
            Decision::Bypassed
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin/../cart")),
            Decision::Maintenance(Format::Plain)
        );
        let mut grpc = facts("POST", "shop.example.com", "/pkg.Svc/Call");
        grpc.content_type = Some(b"application/grpc");
        assert_eq!(decide(&plan, &grpc), Decision::Maintenance(Format::Grpc));
    }
}
