//! Which responses `upstream_fallback` may replace, decided by where the response came from.
//!
//! Envoy records the origin of every response in the stream's response code details, readable
//! by the plugin in the response-headers phase as the `response.code_details` property:
//! `via_upstream` for an upstream's answer, the router's own values for the replies it makes
//! when no upstream answered (`no_healthy_upstream`, `upstream_reset_before_response_started{…}`,
//! `response_timeout`, …), `direct_response` for a route's fixed reply, and the sender's own
//! details for every other local reply (a Lua `respond()` is `lua_response`, a wasm filter's
//! local reply carries what the plugin passed, empty for the Rust SDK). So:
//!
//! - an **application's** response is replaced only when its status is one of `statuses` (an
//!   application's own 500 passes unless 500 is listed);
//! - **Envoy's reply for a failed upstream** is always replaced;
//! - a route's **`direct_response` with a 5xx status** is replaced: Envoy Gateway answers 500
//!   that way for a route whose backends are invalid or missing;
//! - **anything else generated locally** (another filter, another instance of this plugin,
//!   Envoy's rejections of bad requests, `route_not_found`, unknown or missing details) is never
//!   replaced.

use std::fmt;

use serde::Deserialize;

use crate::plan::Plan;
use crate::reply::format::Format;

/// Where a response came from, by its response code details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The upstream (the application) answered.
    Upstream,
    /// Envoy's router answered because no upstream did (none healthy, connection failure or
    /// reset, timeout, unknown cluster, overload drop).
    UpstreamFailure,
    /// A route's `direct_response`.
    DirectResponse,
    /// Any other local reply: another filter, another plugin instance, Envoy's own rejections.
    Other,
}

/// Envoy's response code details for router replies made because no upstream answered
/// (envoy/stream_info/stream_info.h, `ResponseCodeDetailValues`).
const UPSTREAM_FAILURES: &[&[u8]] = &[
    b"no_healthy_upstream",
    b"cluster_not_found",
    b"maintenance_mode",
    b"drop_overload",
    b"unconditional_drop_overload",
    b"response_timeout",
    b"upstream_per_try_timeout",
    b"upstream_per_try_idle_timeout",
    b"upstream_max_stream_duration_reached",
];

/// `upstream_reset_before_response_started`, alone or with `{reason}` appended.
const EARLY_RESET: &[u8] = b"upstream_reset_before_response_started";

/// The source named by `details` (the `response.code_details` property's bytes).
pub fn source(details: &[u8]) -> Source {
    match details {
        b"via_upstream" => Source::Upstream,
        b"direct_response" => Source::DirectResponse,
        _ if UPSTREAM_FAILURES.contains(&details) => Source::UpstreamFailure,
        _ if details == EARLY_RESET
            || (details.starts_with(EARLY_RESET)
                && details.get(EARLY_RESET.len()) == Some(&b'{')) =>
        {
            Source::UpstreamFailure
        }
        _ => Source::Other,
    }
}

/// gRPC's UNAVAILABLE, which Envoy puts in a trailers-only reply to a gRPC request where it
/// would answer 502, 503 or 504 (no healthy upstream, connection failure, timeout).
const GRPC_UNAVAILABLE: &[u8] = b"14";

/// Whether an upstream response (its `:status`, and `grpc-status` when the response headers
/// carry one) is a failure `upstream_fallback` replaces, for a request in `format`.
fn upstream_failed(
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
    format.is_grpc()
        && status == 200
        && grpc_status == Some(GRPC_UNAVAILABLE)
        && plan
            .fallback_statuses
            .iter()
            .any(|status| matches!(status, 502..=504))
}

fn parse_status(status: Option<&[u8]>) -> Option<u16> {
    std::str::from_utf8(status?).ok()?.parse().ok()
}

/// Whether a response with this `:status` (and, for gRPC requests, `grpc-status`) could be
/// replaced from some source. When not, the details need not be read (a host call).
fn candidate(plan: &Plan, format: Format, status: u16, grpc_status: Option<&[u8]>) -> bool {
    status >= 500
        || plan.fallback_statuses.contains(&status)
        || (format.is_grpc() && status == 200 && grpc_status.is_some_and(|s| s != b"0"))
}

/// gRPC statuses Envoy gives a local reply with a 5xx HTTP status when the request is gRPC:
/// UNKNOWN (2) for 500, 501, 505…, UNAVAILABLE (14) for 502, 503, 504.
fn grpc_server_error(grpc_status: Option<&[u8]>) -> bool {
    matches!(grpc_status, Some(b"2" | b"14"))
}

/// Whether `upstream_fallback` replaces this response with the maintenance response. `details`
/// is called (once) only when the status leaves a choice, and yields the `response.code_details`
/// bytes (`None` when unreadable: then the response is not replaced).
pub fn replace<F>(
    plan: &Plan,
    format: Format,
    status: Option<&[u8]>,
    grpc_status: Option<&[u8]>,
    details: F,
) -> bool
where
    F: FnOnce() -> Option<Vec<u8>>,
{
    let Some(code) = parse_status(status) else {
        return false;
    };
    if plan.fallback_statuses.is_empty() || !candidate(plan, format, code, grpc_status) {
        return false;
    }
    let Some(details) = details() else {
        return false;
    };
    match source(&details) {
        Source::Upstream => upstream_failed(plan, format, status, grpc_status),
        Source::UpstreamFailure => true,
        Source::DirectResponse => match format {
            _ if format.is_grpc() && code == 200 => grpc_server_error(grpc_status),
            _ => code >= 500,
        },
        Source::Other => false,
    }
}

/// An upstream status `upstream_fallback` replaces: a server error, 500 to 599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "u32")
)]
pub struct ServerErrorStatus(pub u16);

/// A status out of 500 to 599.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerErrorStatusProblem(u32);

impl fmt::Display for ServerErrorStatusProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a server error status between 500 and 599",
            self.0
        )
    }
}

impl TryFrom<u32> for ServerErrorStatus {
    type Error = ServerErrorStatusProblem;

    fn try_from(status: u32) -> Result<ServerErrorStatus, ServerErrorStatusProblem> {
        match u16::try_from(status) {
            Ok(status @ 500..=599) => Ok(ServerErrorStatus(status)),
            _ => Err(ServerErrorStatusProblem(status)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::reply::format::Grpc;

    fn plan(config: &str) -> Plan {
        parse(config.as_bytes()).unwrap()
    }

    fn http(plan: &Plan, status: &str, details: &str) -> bool {
        replace(plan, Format::Html, Some(status.as_bytes()), None, || {
            Some(details.as_bytes().to_vec())
        })
    }

    fn grpc(plan: &Plan, status: &str, grpc_status: Option<&str>, details: &str) -> bool {
        replace(
            plan,
            Format::Grpc(Grpc::Native),
            Some(status.as_bytes()),
            grpc_status.map(str::as_bytes),
            || Some(details.as_bytes().to_vec()),
        )
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
            Format::Grpc(Grpc::Native),
            Some(b"200"),
            Some(b"14")
        ));
        assert!(upstream_failed(
            &plan,
            Format::Grpc(Grpc::Native),
            Some(b"503"),
            None
        ));
        // Other gRPC errors are the application's answer.
        assert!(!upstream_failed(
            &plan,
            Format::Grpc(Grpc::Native),
            Some(b"200"),
            Some(b"2")
        ));
        assert!(!upstream_failed(
            &plan,
            Format::Grpc(Grpc::Native),
            Some(b"200"),
            None
        ));
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
            Format::Grpc(Grpc::Native),
            Some(b"200"),
            Some(b"14")
        ));
    }

    #[test]
    fn sources() {
        assert_eq!(source(b"via_upstream"), Source::Upstream);
        assert_eq!(source(b"direct_response"), Source::DirectResponse);
        for failure in [
            "no_healthy_upstream",
            "cluster_not_found",
            "response_timeout",
            "upstream_per_try_timeout",
            "upstream_reset_before_response_started",
            "upstream_reset_before_response_started{connection_failure}",
            "upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}",
            "upstream_reset_before_response_started{overflow}",
        ] {
            assert_eq!(source(failure.as_bytes()), Source::UpstreamFailure, "{failure}");
        }
        for other in [
            "",
            "lua_response",
            "route_not_found",
            "request_payload_too_large",
            "overload",
            "upstream_reset_after_response_started{remote_reset}",
            "upstream_reset_before_response_startedX",
            "VIA_UPSTREAM",
            "via_upstream ",
            "ext_authz_denied",
        ] {
            assert_eq!(source(other.as_bytes()), Source::Other, "{other:?}");
        }
    }

    #[test]
    fn application_responses_follow_statuses() {
        let plan = plan(r#"{"upstream_fallback": {}}"#);
        for status in ["502", "503", "504"] {
            assert!(http(&plan, status, "via_upstream"), "{status}");
        }
        for status in ["200", "404", "500", "501", "505"] {
            assert!(!http(&plan, status, "via_upstream"), "{status}");
        }
        let plan = self::plan(r#"{"upstream_fallback": {"statuses": [500]}}"#);
        assert!(http(&plan, "500", "via_upstream"));
        assert!(!http(&plan, "503", "via_upstream"));
    }

    #[test]
    fn envoys_upstream_failures_are_always_replaced() {
        let plan = plan(r#"{"upstream_fallback": {"statuses": [500]}}"#);
        assert!(http(&plan, "503", "no_healthy_upstream"));
        assert!(http(&plan, "504", "response_timeout"));
        assert!(http(
            &plan,
            "503",
            "upstream_reset_before_response_started{connection_failure}"
        ));
        assert!(grpc(&plan, "200", Some("14"), "no_healthy_upstream"));
        // a cluster_not_found configured to answer 404 is not a 5xx: not read, not replaced
        assert!(!http(&plan, "404", "cluster_not_found"));
    }

    #[test]
    fn direct_response_counts_when_5xx() {
        let plan = plan(r#"{"upstream_fallback": {}}"#);
        assert!(http(&plan, "500", "direct_response"));
        assert!(http(&plan, "503", "direct_response"));
        for status in ["200", "301", "404", "429"] {
            assert!(!http(&plan, status, "direct_response"), "{status}");
        }
        // gRPC requests: Envoy turns the 500 into grpc-status 2 (UNKNOWN), 503 into 14
        assert!(grpc(&plan, "200", Some("2"), "direct_response"));
        assert!(grpc(&plan, "200", Some("14"), "direct_response"));
        assert!(!grpc(&plan, "200", Some("12"), "direct_response"));
        assert!(!grpc(&plan, "200", Some("0"), "direct_response"));
        assert!(!grpc(&plan, "200", None, "direct_response"));
    }

    #[test]
    fn other_local_replies_are_never_replaced() {
        let plan = plan(r#"{"upstream_fallback": {"statuses": [500, 502, 503, 504]}}"#);
        for details in [
            "",
            "lua_response",
            "route_not_found",
            "overload",
            "anything",
        ] {
            for status in ["500", "502", "503", "504"] {
                assert!(!http(&plan, status, details), "{details} {status}");
            }
            assert!(!grpc(&plan, "200", Some("14"), details), "{details}");
        }
    }

    #[test]
    fn details_are_read_only_when_the_status_leaves_a_choice() {
        let plan = plan(r#"{"upstream_fallback": {}}"#);
        let unread = |format, status: &str, grpc_status: Option<&str>| {
            !replace(
                &plan,
                format,
                Some(status.as_bytes()),
                grpc_status.map(str::as_bytes),
                || panic!("details read for {status}"),
            )
        };
        assert!(unread(Format::Html, "200", None));
        assert!(unread(Format::Json, "404", None));
        assert!(unread(Format::Grpc(Grpc::Native), "200", None));
        assert!(unread(Format::Grpc(Grpc::Native), "200", Some("0")));
        let mut read = false;
        replace(&plan, Format::Html, Some(b"500"), None, || {
            read = true;
            None
        });
        assert!(read);
    }

    #[test]
    fn unreadable_inputs_never_replace() {
        let plan = plan(r#"{"upstream_fallback": {}}"#);
        assert!(!replace(&plan, Format::Html, Some(b"503"), None, || None));
        assert!(!replace(&plan, Format::Html, None, None, || Some(
            b"via_upstream".to_vec()
        )));
        assert!(!http(&plan, "5o3", "no_healthy_upstream"));
        // without upstream_fallback nothing is replaced
        let off = self::plan("{}");
        assert!(!http(&off, "503", "no_healthy_upstream"));
    }
}
