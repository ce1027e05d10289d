//! The response phase's outcome, for a request that passed: replace an upstream failure with
//! the maintenance response when a fallback was armed (`reply/upstream_fallback.rs` tells which
//! responses), else add the notice the request was given.

use std::sync::Arc;

use crate::access_log;
use crate::metrics::Counter;
use crate::outcome::input::ResponseInput;
use crate::outcome::{Armed, Outcome};
use crate::plan::Plan;
use crate::reply::local::{LocalReply, Page};
use crate::reply::upstream_fallback;

/// The outcome for the response to a request that passed with `armed` and `notice` from its
/// request phase; `debug`: whether to describe a replacement for the debug log.
pub fn for_response<'p>(
    plan: &'p Plan,
    armed: Option<Armed>,
    notice: Option<Arc<str>>,
    response: &mut impl ResponseInput,
    debug: bool,
) -> Outcome<'p> {
    let keeps = |notice| Outcome {
        notice,
        ..Outcome::nothing()
    };
    let Some(Armed {
        format,
        language,
        cors,
    }) = armed
    else {
        return keeps(notice);
    };
    let status = response.header(":status");
    let grpc_status = match format.is_grpc() {
        true => response.header("grpc-status"),
        false => None,
    };
    // Only upstream responses and Envoy's own replies for a failed upstream, never another
    // filter's or plugin instance's local reply.
    let details = || response.code_details();
    if !upstream_fallback::replace(
        plan,
        format,
        status.as_deref(),
        grpc_status.as_deref(),
        details,
    ) {
        return keeps(notice);
    }
    let trace = debug.then(|| {
        format!(
            "upstream answered {} (grpc-status {}): sending the maintenance response instead",
            String::from_utf8_lossy(status.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(grpc_status.as_deref().unwrap_or(b"-"))
        )
    });
    // A would-be replacement passes on as it is, with the notice a response in the lead time
    // carries.
    if plan.dry_run {
        return Outcome {
            counter: Some(Counter::DryRunReplaced),
            label: Some(access_log::DRY_RUN_REPLACED),
            trace,
            ..keeps(notice)
        };
    }
    // Outside a window there is no end to announce: the plan's own response.
    let page = Page {
        response: Arc::clone(&plan.response),
        language,
        format,
        retry_after: None,
        cors,
    };
    Outcome {
        label: Some(access_log::REPLACED),
        trace,
        ..Outcome::replies(
            LocalReply::Maintenance(page),
            Some(Counter::UpstreamReplaced),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::host::Reply;
    use crate::reply::format::{Format, Grpc};

    /// A response: its headers and origin, recording what was read.
    struct Listed {
        headers: Vec<(&'static str, &'static [u8])>,
        details: &'static [u8],
        reads: Vec<&'static str>,
    }

    impl Listed {
        fn new(headers: &[(&'static str, &'static [u8])], details: &'static [u8]) -> Listed {
            Listed {
                headers: headers.to_vec(),
                details,
                reads: Vec::new(),
            }
        }
    }

    impl ResponseInput for Listed {
        fn header(&mut self, name: &str) -> Option<Vec<u8>> {
            let found = self.headers.iter().find(|(n, _)| *n == name)?;
            self.reads.push(found.0);
            Some(found.1.to_vec())
        }

        fn code_details(&mut self) -> Option<Vec<u8>> {
            self.reads.push("details");
            Some(self.details.to_vec())
        }
    }

    const JSON: Option<Armed> = Some(Armed {
        format: Format::Json,
        language: None,
        cors: None,
    });

    #[test]
    fn an_upstream_failure_is_replaced_in_the_armed_format() {
        let plan = parse(br#"{"upstream_fallback": {}, "reason": "later"}"#).unwrap();
        let mut response = Listed::new(&[(":status", b"503")], b"via_upstream");
        let outcome = for_response(&plan, JSON, None, &mut response, true);
        assert_eq!(outcome.counter, Some(Counter::UpstreamReplaced));
        assert_eq!(outcome.label, Some("replaced"));
        let reply = outcome.reply.as_ref().map(LocalReply::http);
        let Some(Reply::Http {
            status, headers, ..
        }) = reply
        else {
            panic!("{outcome:?}");
        };
        assert_eq!(status, 503);
        assert!(headers.contains(&("content-type", "application/problem+json")));
        assert!(outcome
            .trace
            .unwrap_or_default()
            .starts_with("upstream answered 503"));
        // gRPC: grpc-status is read too, and a trailers-only UNAVAILABLE is a failure.
        let grpc = Some(Armed {
            format: Format::Grpc(Grpc::Native),
            language: None,
            cors: None,
        });
        let mut response = Listed::new(
            &[(":status", b"200"), ("grpc-status", b"14")],
            b"via_upstream",
        );
        let outcome = for_response(&plan, grpc, None, &mut response, false);
        assert_eq!(outcome.counter, Some(Counter::UpstreamReplaced));
        assert_eq!(response.reads, [":status", "grpc-status", "details"]);
    }

    #[test]
    fn a_success_keeps_the_notice_and_its_origin_is_not_read() {
        let plan = parse(br#"{"upstream_fallback": {}}"#).unwrap();
        let notice: Option<Arc<str>> = Some(Arc::from("start=2030-01-01T00:00:00Z"));
        let mut response = Listed::new(&[(":status", b"200")], b"via_upstream");
        let outcome = for_response(&plan, JSON, notice.clone(), &mut response, false);
        assert!(outcome.reply.is_none() && outcome.counter.is_none() && outcome.label.is_none());
        assert_eq!(outcome.notice, notice);
        assert_eq!(response.reads, [":status"]);
        // Nothing armed: nothing read.
        let mut response = Listed::new(&[(":status", b"503")], b"via_upstream");
        let outcome = for_response(&plan, None, notice.clone(), &mut response, false);
        assert_eq!(outcome.notice, notice);
        assert!(response.reads.is_empty());
    }

    #[test]
    fn dry_run_counts_and_logs_a_would_be_replacement_and_keeps_the_notice() {
        let plan = parse(br#"{"dry_run": true, "upstream_fallback": {}}"#).unwrap();
        let notice: Option<Arc<str>> = Some(Arc::from("start=2030-01-01T00:00:00Z"));
        let mut response = Listed::new(&[(":status", b"502")], b"no_healthy_upstream");
        let outcome = for_response(&plan, JSON, notice.clone(), &mut response, false);
        assert!(outcome.reply.is_none());
        assert_eq!(outcome.counter, Some(Counter::DryRunReplaced));
        assert_eq!(outcome.label, Some("dry_run:replaced"));
        assert_eq!(outcome.notice, notice);
    }
}
