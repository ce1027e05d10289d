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
    /// Maintenance does not apply now (off, or outside every window): the request passes
    /// untouched.
    Off,
    /// No route covers the request: it passes untouched.
    OutOfScope,
    /// In scope, but under a bypass path: it passes untouched.
    Bypassed,
    /// Answer with the maintenance response in this format.
    Maintenance(Format),
    /// Maintenance does not apply now, but the request is in scope and not bypassed: it passes,
    /// and an upstream failure with a `upstream_fallback` status gets the maintenance response
    /// in this format instead.
    PassWithFallback(Format),
}

impl Decision {
    /// Whether the request goes to the upstream.
    pub fn passes(self) -> bool {
        !matches!(self, Decision::Maintenance(_))
    }
}

/// Decides what to do with one request at `now` (unix seconds; only read when the plan has
/// windows).
pub fn decide(plan: &Plan, request: &RequestFacts, now: i64) -> Decision {
    let in_effect = plan.in_effect(now);
    if !in_effect && plan.fallback_statuses.is_empty() {
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
    let format = choose(request.content_type, request.accept);
    if in_effect {
        Decision::Maintenance(format)
    } else {
        Decision::PassWithFallback(format)
    }
}

/// gRPC's UNAVAILABLE, which Envoy puts in a trailers-only reply to a gRPC request where it
/// would answer 502, 503 or 504 (no healthy upstream, connection failure, timeout).
const GRPC_UNAVAILABLE: &[u8] = b"14";

/// Whether an upstream response (its `:status`, and `grpc-status` when the response headers
/// carry one) is a failure `upstream_fallback` replaces, for a request in `format`.
pub fn upstream_failed(
    plan: &Plan,
    format: Format,
    status: Option<&[u8]>,
    grpc_status: Option<&[u8]>,
) -> bool {
    let Some(status) = status
        .and_then(|status| std::str::from_utf8(status).ok())
        .and_then(|status| status.parse::<u16>().ok())
    else {
        return false;
    };
    if plan.fallback_statuses.contains(&status) {
        return true;
    }
    format == Format::Grpc
        && status == 200
        && grpc_status == Some(GRPC_UNAVAILABLE)
        && plan
            .fallback_statuses
            .iter()
            .any(|status| matches!(status, 502..=504))
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
        assert_eq!(decide(&plan, &facts("GET", "a", "/"), 0), Decision::Off);
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
            decide(&plan, &facts("GET", "shop.example.com", "/cart"), 0),
            Decision::Maintenance(Format::Plain)
        );
        assert_eq!(
            decide(&plan, &facts("GET", "blog.example.com", "/cart"), 0),
            Decision::OutOfScope
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin/x"), 0),
            Decision::Bypassed
        );
        assert_eq!(
            decide(
                &plan,
                &facts("GET", "shop.example.com", "/admin/../cart"),
                0
            ),
            Decision::Maintenance(Format::Plain)
        );
        let mut grpc = facts("POST", "shop.example.com", "/pkg.Svc/Call");
        grpc.content_type = Some(b"application/grpc");
        assert_eq!(decide(&plan, &grpc, 0), Decision::Maintenance(Format::Grpc));
    }

    fn at(text: &str) -> i64 {
        crate::schedule::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn windows_limit_when_maintenance_applies() {
        let plan = parse(
            br#"{"enabled": true,
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}],
                "recurring": [{"days": ["sat"], "start": "22:00", "end": "01:00", "utc_offset": "+02:00"}]}"#,
        )
        .unwrap();
        let request = facts("GET", "a", "/");
        for (now, expected) in [
            ("2025-06-01T01:59:59Z", Decision::Off),
            ("2025-06-01T02:00:00Z", Decision::Maintenance(Format::Plain)),
            ("2025-06-01T03:59:59Z", Decision::Maintenance(Format::Plain)),
            ("2025-06-01T04:00:00Z", Decision::Off),
            // Saturday 2025-06-07 22:30 at +02:00, and past midnight into Sunday.
            ("2025-06-07T20:30:00Z", Decision::Maintenance(Format::Plain)),
            ("2025-06-07T22:59:59Z", Decision::Maintenance(Format::Plain)),
            ("2025-06-07T23:00:00Z", Decision::Off),
            ("2025-06-07T19:59:59Z", Decision::Off),
        ] {
            assert_eq!(decide(&plan, &request, at(now)), expected, "{now}");
        }
        // Windows do not switch on a disabled plan.
        let plan = parse(br#"{"windows": [{"start": "2025-06-01T02:00:00Z"}]}"#).unwrap();
        assert_eq!(
            decide(&plan, &request, at("2025-07-01T00:00:00Z")),
            Decision::Off
        );
    }

    #[test]
    fn fallback_marks_in_scope_requests_that_pass() {
        let plan = parse(
            br#"{"upstream_fallback": {},
                "routes": [{"hosts": ["shop.example.com"]}],
                "bypass": {"paths": ["/admin"]}}"#,
        )
        .unwrap();
        let mut html = facts("GET", "shop.example.com", "/cart");
        html.accept = Some(b"text/html");
        assert_eq!(
            decide(&plan, &html, 0),
            Decision::PassWithFallback(Format::Html)
        );
        assert_eq!(
            decide(&plan, &facts("GET", "blog.example.com", "/"), 0),
            Decision::OutOfScope
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin"), 0),
            Decision::Bypassed
        );
        assert!(Decision::PassWithFallback(Format::Html).passes());
        // While maintenance applies, the request gets maintenance right away.
        let plan = parse(
            br#"{"enabled": true, "upstream_fallback": {},
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#,
        )
        .unwrap();
        let request = facts("GET", "a", "/");
        assert_eq!(
            decide(&plan, &request, at("2025-06-01T03:00:00Z")),
            Decision::Maintenance(Format::Plain)
        );
        assert_eq!(
            decide(&plan, &request, at("2025-06-01T05:00:00Z")),
            Decision::PassWithFallback(Format::Plain)
        );
    }

    #[test]
    fn upstream_failures_by_status() {
        let plan = parse(br#"{"upstream_fallback": {}}"#).unwrap();
        for status in ["502", "503", "504"] {
            assert!(upstream_failed(
                &plan,
                Format::Html,
                Some(status.as_bytes()),
                None
            ));
        }
        for status in ["200", "500", "501", "505", "404", "", "503 ", "x", "99999"] {
            assert!(
                !upstream_failed(&plan, Format::Html, Some(status.as_bytes()), None),
                "{status}"
            );
        }
        assert!(!upstream_failed(&plan, Format::Html, None, None));
        let plan = parse(br#"{"upstream_fallback": {"statuses": [500]}}"#).unwrap();
        assert!(upstream_failed(&plan, Format::Json, Some(b"500"), None));
        assert!(!upstream_failed(&plan, Format::Json, Some(b"503"), None));
    }

    #[test]
    fn grpc_unavailable_counts_as_a_failure_for_grpc_requests() {
        let plan = parse(br#"{"upstream_fallback": {"statuses": [503]}}"#).unwrap();
        assert!(upstream_failed(
            &plan,
            Format::Grpc,
            Some(b"200"),
            Some(b"14")
        ));
        assert!(upstream_failed(&plan, Format::Grpc, Some(b"503"), None));
        // Other gRPC errors are the application's answer.
        assert!(!upstream_failed(
            &plan,
            Format::Grpc,
            Some(b"200"),
            Some(b"2")
        ));
        assert!(!upstream_failed(&plan, Format::Grpc, Some(b"200"), None));
        // Only gRPC requests get this reading.
        assert!(!upstream_failed(
            &plan,
            Format::Html,
            Some(b"200"),
            Some(b"14")
        ));
        // Without 502..=504 among the statuses, UNAVAILABLE is not replaced.
        let plan = parse(br#"{"upstream_fallback": {"statuses": [500]}}"#).unwrap();
        assert!(!upstream_failed(
            &plan,
            Format::Grpc,
            Some(b"200"),
            Some(b"14")
        ));
    }
}
