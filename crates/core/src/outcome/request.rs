//! The request phase's outcome: the status endpoint, maintenance that does not apply, and the
//! rules' verdict ([`decide`](crate::decision::decide)) turned into a reply, a pass with its secrets stripped and its
//! marker, a would-be reply in `dry_run`, or a pass with a fallback armed.

use crate::access_log;
use crate::bypass::cookie::query_parameter;
use crate::decision::{self, decide_for_host, Decision, RequestFacts};
use crate::metrics::Counter;
use crate::outage;
use crate::outcome::input::{Field, RequestInput};
use crate::outcome::{Armed, Memo, Outcome};
use crate::plan::Plan;
use crate::reply::assets::AssetReply;
use crate::reply::cors::{CorsHeaders, CorsRequest};
use crate::reply::format::Format;
use crate::reply::local::{LocalReply, Page};
use crate::reply::status;
use crate::reply::status_endpoint::Endpoint;
use crate::request::hostname::normalize_host;
use crate::request::path::{loggable_path, normalize};
use crate::scope::MatchInput;

/// The outcome for a request; `debug`: whether to describe it for the debug log.
pub fn for_request<'p>(
    plan: &'p Plan,
    memo: &Memo,
    request: &impl RequestInput,
    debug: bool,
) -> Outcome<'p> {
    if let Some(endpoint) = &plan.status_endpoint {
        let path = request.field(Field::Path).unwrap_or_default();
        if let Some(which) = endpoint.which(path) {
            return status_endpoint(plan, memo, request, which);
        }
    }
    let fallback = !plan.fallback_statuses.is_empty();
    // The page's assets are served whenever the page can show: with a fallback or a preview,
    // whatever the state (headers are read for those anyway); else while maintenance applies.
    let page_shows = fallback || plan.status_endpoint.is_some();
    if page_shows {
        if let Some(outcome) = asset(plan, request) {
            return outcome;
        }
    }
    if !plan.enabled && !fallback {
        return passes_off(plan, request);
    }
    // The clock only matters with windows or expiring credentials.
    let now = if plan.uses_clock() { request.now() } else { 0 };
    let in_effect = plan.in_effect(now);
    if in_effect && !page_shows {
        if let Some(outcome) = asset(plan, request) {
            return outcome;
        }
    }
    // Advance notice: only in the lead time before a period does it cost more than this.
    let notice = match plan.notice_before {
        Some(lead) if !in_effect => memo.notice(plan, lead, now),
        _ => None,
    };
    if !fallback && !in_effect && notice.is_none() {
        return passes_off(plan, request);
    }
    // Bypass inputs only while maintenance applies and only for the kinds configured; the host
    // and the method only when routes test them (or the method for the debug log).
    let method = match plan.scope.uses_methods() || debug {
        true => request.field(Field::Method).unwrap_or_default(),
        false => &[],
    };
    let authority = match plan.scope.uses_hosts() {
        true => request.field(Field::Authority),
        false => None,
    };
    let host = normalize_host(authority);
    let label = |decision: &Decision| {
        // The access log only while maintenance applies, or in dry run.
        (in_effect || plan.dry_run).then(|| access_log::label(decision, plan.dry_run))
    };
    // A host no route names is out of scope whatever the path and the method, which are then
    // not read: the usual request when routes name other hosts. (The debug line shows them.)
    if !debug && !plan.scope.may_contain_host(&host) {
        return Outcome {
            label: label(&Decision::OutOfScope),
            ..Outcome::passes(plan, request, Counter::Passed, None)
        };
    }
    let path = request.field(Field::Path).unwrap_or_default();
    let token_values: Vec<Option<Vec<u8>>> = match in_effect {
        true => (plan.bypass.tokens.headers().iter())
            .map(|name| request.header(name))
            .collect(),
        false => Vec::new(),
    };
    let cookie = match plan.bypass.cookie {
        Some(_) if in_effect => request.field(Field::Cookie),
        _ => None,
    };
    let source_address = match in_effect && !plan.bypass.networks.is_empty() {
        true => request.source_address(),
        false => None,
    };
    let dynamic_metadata = match in_effect && !plan.bypass.jwt.is_empty() {
        true => request.dynamic_metadata(),
        false => None,
    };
    let facts = RequestFacts {
        method,
        authority,
        path,
        token_values: &token_values,
        cookie,
        source_address,
        dynamic_metadata,
    };
    let decision = decide_for_host(plan, &facts, &host, now);
    if decision == Decision::Maintenance && !plan.dry_run {
        if let Some(outcome) = preflight(plan, request) {
            return outcome;
        }
    }
    // The format only for decisions that reply or may reply later.
    let format = match decision {
        Decision::Maintenance if plan.dry_run => None,
        Decision::Maintenance => Some(format(memo, request)),
        Decision::PassWithFallback if fallback => Some(format(memo, request)),
        _ => None,
    };
    let trace = debug.then(|| trace(method, path, &decision, format));
    let label = label(&decision);
    let mut outcome = match decision {
        // Would-be maintenance: it goes through, without the secrets it carries (a wrong or
        // expired token, the bypass cookie).
        Decision::Maintenance if plan.dry_run => Outcome {
            strip: decision::strip(plan, &facts),
            dry_run: true,
            ..Outcome::passes(plan, request, Counter::DryRunResponses, None)
        },
        Decision::Maintenance => {
            let page = page(plan, memo, request, format, now);
            Outcome::replies(LocalReply::Maintenance(page), Some(Counter::Responses))
        }
        Decision::GrantCookie { set_cookie } => Outcome::replies(
            LocalReply::GrantCookie(set_cookie, cors(plan, request)),
            Some(Counter::Bypassed),
        ),
        // Outside maintenance a bypass path only exempts from the fallback: counted as passed,
        // not marked.
        Decision::Bypassed { via, strip } => {
            let (counter, via) = match in_effect {
                true => (Counter::Bypassed, Some(via)),
                false => (Counter::Passed, None),
            };
            Outcome {
                strip,
                notice,
                ..Outcome::passes(plan, request, counter, via)
            }
        }
        Decision::PassWithFallback => Outcome {
            fallback: format.map(|format| Armed {
                format,
                language: language(plan, request),
                cors: cors(plan, request),
            }),
            notice,
            ..Outcome::passes(plan, request, Counter::Passed, None)
        },
        Decision::Off | Decision::OutOfScope => {
            Outcome::passes(plan, request, Counter::Passed, None)
        }
    };
    outcome.label = label;
    outcome.trace = trace;
    outcome
}

/// The outcome when a bypass secret cannot be removed: it must not reach the upstream, so the
/// request gets the maintenance response (even in dry run).
pub fn fail_closed<'p>(plan: &'p Plan, memo: &Memo, request: &impl RequestInput) -> Outcome<'p> {
    let now = if plan.uses_clock() { request.now() } else { 0 };
    let page = page(plan, memo, request, None, now);
    Outcome {
        label: Some(access_log::label(&Decision::Maintenance, false)),
        ..Outcome::replies(LocalReply::Maintenance(page), Some(Counter::Responses))
    }
}

/// A request that passes because maintenance does not apply: in dry run the access log says
/// so.
fn passes_off<'p>(plan: &'p Plan, request: &impl RequestInput) -> Outcome<'p> {
    Outcome {
        label: (plan.dry_run).then(|| access_log::label(&Decision::Off, true)),
        ..Outcome::passes(plan, request, Counter::Passed, None)
    }
}

/// The status endpoint (`reply/status.rs`), whether maintenance is on or off: never counted,
/// logged or marked.
fn status_endpoint<'p>(
    plan: &'p Plan,
    memo: &Memo,
    request: &impl RequestInput,
    which: Endpoint,
) -> Outcome<'p> {
    let method = request.field(Field::Method).unwrap_or_default();
    if !status::allows(method) {
        let grpc =
            crate::reply::format::grpc(request.field(Field::ContentType).unwrap_or_default());
        return Outcome::replies(LocalReply::NotAllowed(grpc), None);
    }
    let now = if plan.schedule.is_some() {
        request.now()
    } else {
        0
    };
    let reply = match which {
        Endpoint::Status => {
            let in_scope = covers(plan, request, method);
            let language = language(plan, request);
            let tag = plan.response_spec.options.content_language.then(|| {
                language
                    .and_then(|index| plan.languages.tags.get(index))
                    .unwrap_or(&plan.languages.default)
                    .as_str()
            });
            let since = outage::since(plan, now, memo.observed_since()).map(|at| memo.since(at));
            LocalReply::Status {
                document: status::document(plan, now, language, in_scope, since.as_deref()),
                language: tag,
            }
        }
        Endpoint::Preview => LocalReply::Preview(page(plan, memo, request, None, now)),
    };
    Outcome::replies(reply, None)
}

/// Whether the routes cover the status request's host and the path it asks about (its `path`
/// query parameter, percent-decoded; `/` without one), for its method.
fn covers(plan: &Plan, request: &impl RequestInput, method: &[u8]) -> bool {
    if plan.scope.route_count() == 0 {
        return true;
    }
    let raw_path = request.field(Field::Path).unwrap_or_default();
    let asked = query_parameter(raw_path, "path");
    let authority = match plan.scope.uses_hosts() {
        true => request.field(Field::Authority),
        false => None,
    };
    let input = MatchInput {
        host: &normalize_host(authority),
        path: &normalize(asked.as_deref().unwrap_or(b"/")),
        method,
    };
    plan.scope.contains(&input)
}

/// The maintenance response for this request at `now`, in its language and `format` (read from
/// the request when not given).
fn page(
    plan: &Plan,
    memo: &Memo,
    request: &impl RequestInput,
    format: Option<Format>,
    now: i64,
) -> Page {
    let format = format.unwrap_or_else(|| self::format(memo, request));
    let response = memo.response_at(plan, now);
    let language = language(plan, request);
    let retry_after = (response.in_language(language).retry_after_at(now))
        .map(|seconds| memo.retry_after(seconds));
    Page {
        response,
        language,
        format,
        retry_after,
        cors: cors(plan, request),
    }
}

/// The CORS headers for an answer to this request, with `cors` and an allowed `Origin`.
fn cors(plan: &Plan, request: &impl RequestInput) -> Option<CorsHeaders> {
    plan.cors.as_ref()?.headers(request.field(Field::Origin))
}

/// The answer to a CORS preflight from an allowed origin, for a request that would get the
/// maintenance response (`reply/cors.rs`): counted as a response.
fn preflight<'p>(plan: &'p Plan, request: &impl RequestInput) -> Option<Outcome<'p>> {
    let cors = plan.cors.as_ref()?;
    let asked = CorsRequest {
        method: request.field(Field::Method).unwrap_or_default(),
        origin: request.field(Field::Origin),
        request_method: request.field(Field::RequestMethod),
        request_headers: request.field(Field::RequestHeaders),
    };
    let preflight = cors.preflight(&asked)?;
    Some(Outcome {
        label: Some(access_log::PREFLIGHT),
        ..Outcome::replies(LocalReply::Preflight(preflight), Some(Counter::Responses))
    })
}

/// The answer to a request for one of the page's assets (`reply/assets.rs`), if it is one:
/// not counted, labelled for the access log.
fn asset<'p>(plan: &'p Plan, request: &impl RequestInput) -> Option<Outcome<'p>> {
    let assets = plan.assets.as_ref()?;
    let path = request.field(Field::Path).unwrap_or_default();
    let method = request.field(Field::Method).unwrap_or_default();
    let answer = assets.answer(path, method)?;
    let cors = match answer {
        AssetReply::Found(_) => cors(plan, request),
        _ => None,
    };
    Some(Outcome {
        label: Some(access_log::ASSET),
        ..Outcome::replies(LocalReply::Asset(answer, cors), None)
    })
}

/// The response format, from `content-type` and `accept`.
fn format(memo: &Memo, request: &impl RequestInput) -> Format {
    let content_type = request.field(Field::ContentType);
    memo.format(content_type, request.field(Field::Accept))
}

/// The response language (`None`: the default), from `accept-language`, looked at only when
/// translations are configured.
fn language(plan: &Plan, request: &impl RequestInput) -> Option<usize> {
    if plan.languages.tags.is_empty() {
        return None;
    }
    plan.languages.choose(request.field(Field::AcceptLanguage))
}

/// The debug log line: the method, the path without its query (even an encoded one: the cookie
/// link carries its secret there), and the decision.
fn trace(method: &[u8], path: &[u8], decision: &Decision, format: Option<Format>) -> String {
    let shown = match (decision, format) {
        (Decision::Maintenance, Some(format)) => format!("Maintenance({format:?})"),
        (Decision::PassWithFallback, Some(format)) => format!("PassWithFallback({format:?})"),
        _ => format!("{decision:?}"),
    };
    format!(
        "{} {} -> {shown}",
        String::from_utf8_lossy(method),
        String::from_utf8_lossy(loggable_path(path))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bypass::cookie::CookieHeader;
    use crate::config::parse;
    use crate::decision::{SetCookie, Strip, Via};
    use crate::host::Reply;
    use crate::outcome::input::tests::ListedRequest;
    use crate::outcome::{Marker, NO_STRIP};
    use crate::reply::format::Grpc;

    /// SHA-256 of "abc".
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn plan(config: &str) -> Plan {
        parse(config.replace("ABC", ABC).as_bytes()).unwrap()
    }

    const ALL: &str = r#"{"enabled": true, "routes": [{"hosts": ["shop"]}],
        "bypass": {"header": "x-via", "paths": ["/admin"], "cidrs": ["10.0.0.0/8"],
          "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
          "cookie": {"name": "mm", "sha256": "ABC", "set_path": "/__mm"}}}"#;

    fn shop(path: &'static str) -> Vec<(&'static str, &'static [u8])> {
        vec![
            (":method", b"GET"),
            (":authority", b"shop"),
            (":path", path.as_bytes()),
            ("accept", b"application/json"),
        ]
    }

    fn marked(via: Via) -> Option<Marker<'static>> {
        Some(Marker {
            set: Some(("x-via", via)),
            remove: Vec::new(),
        })
    }

    fn outcome<'p>(plan: &'p Plan, request: &ListedRequest) -> Outcome<'p> {
        for_request(plan, &Memo::default(), request, false)
    }

    fn status(outcome: &Outcome) -> Option<u16> {
        outcome.reply.as_ref().map(|reply| match reply.http() {
            Reply::Http { status, .. } => status,
        })
    }

    #[test]
    fn each_decision_has_its_whole_outcome() {
        let plan = plan(ALL);
        // (request, source address, reply status, counter, label, marker, stripped)
        type Case = (
            Vec<(&'static str, &'static [u8])>,
            Option<&'static [u8]>,
            Option<u16>,
            Counter,
            &'static str,
            Option<Marker<'static>>,
            Strip<'static>,
        );
        let with = |mut headers: Vec<_>, extra| {
            headers.push(extra);
            headers
        };
        let cases: [Case; 7] = [
            (
                shop("/cart"),
                None,
                Some(503),
                Counter::Responses,
                "maintenance",
                None,
                NO_STRIP,
            ),
            (
                shop("/admin"),
                None,
                None,
                Counter::Bypassed,
                "bypass:path",
                marked(Via::Path),
                NO_STRIP,
            ),
            (
                with(shop("/cart"), ("x-bypass", b"abc")),
                None,
                None,
                Counter::Bypassed,
                "bypass:token",
                marked(Via::Token),
                Strip {
                    headers: vec!["x-bypass"],
                    cookie: CookieHeader::Keep,
                },
            ),
            (
                with(shop("/cart"), ("cookie", b"a=1; mm=abc")),
                None,
                None,
                Counter::Bypassed,
                "bypass:cookie",
                marked(Via::Cookie),
                Strip {
                    headers: vec![],
                    cookie: CookieHeader::Replace(b"a=1".to_vec()),
                },
            ),
            (
                shop("/cart"),
                Some(b"10.0.0.1:1"),
                None,
                Counter::Bypassed,
                "bypass:network",
                marked(Via::Network),
                NO_STRIP,
            ),
            (
                shop("/__mm?token=abc"),
                None,
                Some(302),
                Counter::Bypassed,
                "cookie_link",
                None,
                NO_STRIP,
            ),
            (
                vec![
                    (":authority", b"blog"),
                    (":path", b"/"),
                    ("x_via", b"token"),
                    ("X-Via", b"path"),
                ],
                None,
                None,
                Counter::Passed,
                "out_of_scope",
                Some(Marker {
                    set: None,
                    remove: vec!["X-Via".to_string(), "x_via".to_string()],
                }),
                NO_STRIP,
            ),
        ];
        for (headers, source, reply, counter, label, marker, strip) in cases {
            let mut request = ListedRequest::new(&headers);
            request.source_address = source;
            let outcome = outcome(&plan, &request);
            assert_eq!(status(&outcome), reply, "{label}");
            assert_eq!(outcome.counter, Some(counter), "{label}");
            assert_eq!(outcome.label, Some(label));
            assert_eq!(outcome.marker, marker, "{label}");
            assert_eq!(outcome.strip, strip, "{label}");
            assert!(outcome.fallback.is_none() && outcome.notice.is_none() && !outcome.dry_run);
            assert!(outcome.trace.is_none());
        }
    }

    #[test]
    fn maintenance_that_does_not_apply_reads_nothing_but_the_bypass_headers_spellings() {
        let plan = plan(r#"{"bypass": {"paths": ["/admin"]}}"#);
        let request = ListedRequest::new(&shop("/cart"));
        let outcome = outcome(&plan, &request);
        assert_eq!(outcome.counter, Some(Counter::Passed));
        assert_eq!((outcome.label, outcome.marker), (None, None));
        assert!(request.reads.borrow().is_empty());
        // With bypass.header, the header names, for a client's copies in any spelling.
        let plan = self::plan(r#"{"bypass": {"header": "x-via"}}"#);
        let mut headers = shop("/cart");
        headers.extend([
            ("x-via", &b"token"[..]),
            ("x_VIA", b"path"),
            ("x-via", b"x"),
        ]);
        let request = ListedRequest::new(&headers);
        let outcome = self::outcome(&plan, &request);
        let marker = outcome.marker.unwrap();
        assert_eq!(marker.set, None);
        assert_eq!(marker.remove, ["x-via", "x_VIA"]);
        assert_eq!(*request.reads.borrow(), ["*"]);
        // In dry run the access log says why it passed.
        let plan = self::plan(r#"{"dry_run": true}"#);
        assert_eq!(outcome_label(&plan, &shop("/")), Some("off"));
    }

    fn outcome_label(
        plan: &Plan,
        headers: &[(&'static str, &'static [u8])],
    ) -> Option<&'static str> {
        outcome(plan, &ListedRequest::new(headers)).label
    }

    #[test]
    fn the_format_and_language_are_read_only_for_a_reply() {
        let plan = plan(
            r#"{"enabled": true, "routes": [{"hosts": ["shop"]}],
                "translations": {"fr": {"title": "En maintenance"}}}"#,
        );
        let mut headers = shop("/cart");
        headers.push(("accept-language", b"fr"));
        let request = ListedRequest::new(&headers);
        let outcome = outcome(&plan, &request);
        assert_eq!(
            *request.reads.borrow(),
            [
                ":authority",
                ":path",
                "content-type",
                "accept",
                "accept-language"
            ]
        );
        let Some(LocalReply::Maintenance(page)) = outcome.reply else {
            panic!("{outcome:?}");
        };
        assert_eq!((page.format, page.language), (Format::Json, Some(0)));
        // Out of scope: neither is read, nor the path when no route names the host; the
        // access log still says why the request passed.
        let request = ListedRequest::new(&[(":authority", b"blog"), (":path", b"/")]);
        let outcome = self::outcome(&plan, &request);
        assert_eq!(outcome.reply.map(|_| ()), None);
        assert_eq!(outcome.label, Some("out_of_scope"));
        assert_eq!(outcome.counter, Some(Counter::Passed));
        assert_eq!(*request.reads.borrow(), [":authority"]);
    }

    #[test]
    fn dry_run_passes_the_would_be_reply_without_its_secrets() {
        let plan = plan(&ALL.replace(r#""enabled": true"#, r#""enabled": true, "dry_run": true"#));
        let mut headers = shop("/cart");
        headers.push(("x-bypass", b"wrong"));
        let request = ListedRequest::new(&headers);
        let outcome = outcome(&plan, &request);
        assert!(outcome.reply.is_none() && outcome.dry_run);
        assert_eq!(outcome.counter, Some(Counter::DryRunResponses));
        assert_eq!(outcome.label, Some("dry_run"));
        assert_eq!(outcome.strip.headers, ["x-bypass"]);
        assert_eq!(outcome.marker, None);
        // The format is not even read: nothing is answered.
        assert!(!request.reads.borrow().iter().any(|read| read == "accept"));
        // A secret that cannot be stripped: the maintenance response after all.
        let closed = fail_closed(&plan, &Memo::default(), &request);
        assert_eq!(status(&closed), Some(503));
        assert_eq!(closed.counter, Some(Counter::Responses));
        assert_eq!(closed.label, Some("maintenance"));
        assert_eq!((closed.marker, closed.strip), (None, NO_STRIP));
    }

    #[test]
    fn outside_maintenance_a_fallback_is_armed_and_the_notice_kept() {
        let plan = plan(
            r#"{"enabled": true, "upstream_fallback": {}, "notice_before": 3600,
                "bypass": {"paths": ["/admin"]},
                "translations": {"fr": {"title": "En maintenance"}},
                "windows": [{"start": "2030-01-01T02:00:00Z", "end": "2030-01-01T04:00:00Z"}]}"#,
        );
        let mut headers = shop("/cart");
        headers.push(("content-type", b"application/grpc-web"));
        headers.push(("accept-language", b"fr"));
        let mut request = ListedRequest::new(&headers);
        request.now = crate::schedule::calendar::parse_rfc3339("2030-01-01T01:30:00Z").unwrap();
        let outcome = outcome(&plan, &request);
        assert!(outcome.reply.is_none());
        assert_eq!(outcome.counter, Some(Counter::Passed));
        assert_eq!(outcome.label, None);
        assert_eq!(
            outcome.fallback,
            Some(Armed {
                format: Format::Grpc(Grpc::Web(crate::reply::format::Web::Binary)),
                language: Some(0),
                cors: None,
            })
        );
        assert_eq!(
            outcome.notice.as_deref(),
            Some("start=2030-01-01T02:00:00Z; end=2030-01-01T04:00:00Z")
        );
        // A bypass path outside maintenance: only exempt from the fallback, counted as passed.
        let mut request = ListedRequest::new(&shop("/admin"));
        request.now = 0;
        let outcome = self::outcome(&plan, &request);
        assert_eq!(outcome.counter, Some(Counter::Passed));
        assert!(outcome.fallback.is_none());
        assert_eq!(outcome.marker, None);
    }

    #[test]
    fn the_status_endpoint_is_neither_counted_nor_logged() {
        let plan = plan(r#"{"enabled": true, "status_path": "/status"}"#);
        for (method, expected) in [(&b"GET"[..], 200), (b"HEAD", 200), (b"POST", 405)] {
            let request = ListedRequest::new(&[(":method", method), (":path", b"/status")]);
            let outcome = outcome(&plan, &request);
            assert_eq!(status(&outcome), Some(expected));
            assert_eq!((outcome.counter, outcome.label), (None, None));
            assert_eq!(outcome.marker, None);
        }
    }

    #[test]
    fn the_status_document_says_whether_the_routes_cover_the_host_and_path() {
        let plan = plan(
            r#"{"enabled": true, "status_path": "/status",
                "routes": [{"hosts": ["shop"]}, {"hosts": ["blog"], "path_prefix": "/news"}]}"#,
        );
        for (host, path, covered) in [
            ("shop", "/status", true),
            ("shop", "/status?path=/anything", true),
            ("blog", "/status", false),
            ("blog", "/status?path=/news/today", true),
            ("blog", "/status?path=%2Fnews", true),
            ("blog", "/status?path=/newsletter", false),
            ("wiki", "/status?path=/news", false),
        ] {
            let headers = [
                (":method", &b"GET"[..]),
                (":authority", host.as_bytes()),
                (":path", path.as_bytes()),
            ];
            let request = ListedRequest::new(&headers);
            let Some(LocalReply::Status { document, .. }) = outcome(&plan, &request).reply else {
                panic!("{host}{path}");
            };
            let document: serde_json::Value = serde_json::from_str(&document).unwrap();
            assert_eq!(document["in_scope"], covered, "{host}{path}");
            assert_eq!(document["active"], covered, "{host}{path}");
        }
    }

    #[test]
    fn the_debug_line_hides_the_query() {
        let plan = plan(ALL);
        let request = ListedRequest::new(&shop("/__mm?token=abc"));
        let outcome = for_request(&plan, &Memo::default(), &request, true);
        let trace = outcome.trace.unwrap_or_default();
        assert_eq!(
            trace,
            "GET /__mm -> GrantCookie { set_cookie: SetCookie(<secret>) }"
        );
        let request = ListedRequest::new(&shop("/cart"));
        let outcome = for_request(&plan, &Memo::default(), &request, true);
        assert_eq!(
            outcome.trace.as_deref(),
            Some("GET /cart -> Maintenance(Json)")
        );
        let _ = SetCookie(String::new());
    }
}
