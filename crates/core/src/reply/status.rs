//! `status_path`: an endpoint the plugin answers itself, whether maintenance is on or off, so
//! single-page and mobile apps can ask whether maintenance applies and until when, and
//! operators can preview the maintenance response (`<status_path>/preview`).
//!
//! Matched on the literal request path without the query (cheap; a percent-encoded spelling is
//! not the status path and is handled like any other request). Never subject to scope or
//! bypass rules.

use crate::host::{Host, Refused, Reply};
use crate::plan::Plan;
use crate::reply::format::Format;
use crate::reply::json::Object;
use crate::reply::maintenance::MaintenanceResponse;
use crate::schedule::calendar::format_rfc3339;

/// The methods the status endpoint answers, as its `allow` header says.
pub const ALLOW: &str = "GET, HEAD";
/// Marks a preview response.
pub const PREVIEW_HEADER: &str = "maintenance-preview";

/// The status document at `now`, with `title` and `reason` in the language `choice` made:
/// `active` (whether maintenance applies now to requests in scope; never in a dry run, where
/// nothing is answered), `dry_run`, `would_be_active` (in a dry run only: whether maintenance
/// would apply now), `title`, `reason`, `until` (the end of the current maintenance period,
/// when it applies and has one, else null), `next` (the next planned period, `start` and
/// `end`, or null) and `since` (when maintenance began to apply, `outage.rs`; null when it is
/// not active).
pub fn document(plan: &Plan, now: i64, choice: Option<usize>, since: Option<i64>) -> String {
    let spec = choice
        .and_then(|index| plan.response_spec.translations.get(index))
        .unwrap_or(&plan.response_spec);
    let in_effect = plan.in_effect(now);
    let until = match (&plan.schedule, in_effect) {
        (Some(schedule), true) => schedule
            .active_window(now)
            .and_then(|window| window.end)
            .map(format_rfc3339),
        _ => None,
    };
    let next = plan.next_period(now).map(|(start, end)| {
        Object::new()
            .string("start", &format_rfc3339(start))
            .string_or_null("end", end.map(format_rfc3339).as_deref())
            .finish()
    });
    let mut document = Object::new();
    document
        .bool("active", in_effect && !plan.dry_run)
        .bool("dry_run", plan.dry_run);
    if plan.dry_run {
        document.bool("would_be_active", in_effect);
    }
    document
        .string("title", &spec.title)
        .string("reason", &spec.reason)
        .string_or_null("until", until.as_deref())
        .raw("next", next.as_deref().unwrap_or("null"))
        .string_or_null("since", since.map(format_rfc3339).as_deref())
        .finish()
}

/// Whether the status endpoint answers `method` (others get [`send_not_allowed`]).
pub fn allows(method: &[u8]) -> bool {
    method == b"GET" || method == b"HEAD"
}

/// `405` with `allow: GET, HEAD`.
pub fn send_not_allowed(host: &mut impl Host) -> Result<(), Refused> {
    host.send_reply(Reply::Http {
        status: 405,
        headers: vec![
            ("allow", ALLOW),
            ("cache-control", "no-store"),
            ("access-control-allow-origin", "*"),
        ],
        body: None,
    })
}

/// Answers with the status `document`, in `language` when one is configured.
pub fn send_status(
    host: &mut impl Host,
    document: &str,
    language: Option<&str>,
) -> Result<(), Refused> {
    let mut headers = vec![
        ("content-type", "application/json"),
        ("cache-control", "no-store"),
        ("access-control-allow-origin", "*"),
    ];
    if let Some(language) = language {
        headers.push(("content-language", language));
    }
    // Envoy drops the body of a reply to HEAD but keeps its content-length.
    host.send_reply(Reply::Http {
        status: 200,
        headers,
        body: Some(document.as_bytes()),
    })
}

/// The maintenance response as it would be sent now, with status 200 and marked as a preview.
/// gRPC has no body to show: plain text stands in for it.
pub fn send_preview(
    host: &mut impl Host,
    response: &MaintenanceResponse,
    format: Format,
    retry_after: Option<u64>,
) -> Result<(), Refused> {
    let rendered = response.rendered(format).unwrap_or(&response.plain);
    let retry_after = retry_after.map(|seconds| seconds.to_string());
    let mut headers: Vec<(&str, &str)> = vec![("content-type", rendered.content_type)];
    headers.extend(
        response
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    if let Some(seconds) = &retry_after {
        headers.push(("retry-after", seconds));
    }
    headers.push((PREVIEW_HEADER, "true"));
    host.send_reply(Reply::Http {
        status: 200,
        headers,
        body: Some(&rendered.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::schedule::calendar::parse_rfc3339;

    fn at(text: &str) -> i64 {
        parse_rfc3339(text).unwrap()
    }

    fn status(config: &str, now: i64) -> serde_json::Value {
        let plan = parse(config.as_bytes()).unwrap();
        let since = crate::outage::since(&plan, now, None);
        serde_json::from_str(&document(&plan, now, None, since)).unwrap()
    }

    #[test]
    fn off_on_and_no_schedule() {
        let off = status(r#"{"reason": "db"}"#, 0);
        assert_eq!(
            off,
            serde_json::json!({"active": false, "dry_run": false, "title": "Down for maintenance",
                "reason": "db", "until": null, "next": null, "since": null})
        );
        let on = status(r#"{"enabled": true, "title": "Back soon"}"#, 0);
        assert_eq!(on["active"], true);
        assert_eq!(on["title"], "Back soon");
        assert_eq!(on["until"], serde_json::Value::Null);
        assert_eq!(on.get("would_be_active"), None);
        // A dry run answers nothing: not active, but says what would apply.
        let dry = status(r#"{"enabled": true, "dry_run": true}"#, 0);
        assert_eq!(dry["active"], false);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["would_be_active"], true);
    }

    #[test]
    fn in_and_before_a_window() {
        let config = r#"{"enabled": true, "windows": [
            {"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T02:00:00Z"},
            {"start": "2030-01-02T00:00:00Z"}]}"#;
        let before = status(config, at("2029-12-31T00:00:00Z"));
        assert_eq!(before["active"], false);
        assert_eq!(before["until"], serde_json::Value::Null);
        assert_eq!(
            before["next"],
            serde_json::json!({"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T02:00:00Z"})
        );
        let inside = status(config, at("2030-01-01T01:00:00Z"));
        assert_eq!(inside["active"], true);
        assert_eq!(inside["until"], "2030-01-01T02:00:00Z");
        assert_eq!(inside["since"], "2030-01-01T00:00:00Z");
        // Open-ended: `end` null.
        assert_eq!(
            inside["next"],
            serde_json::json!({"start": "2030-01-02T00:00:00Z", "end": null})
        );
        let last = status(config, at("2030-01-03T00:00:00Z"));
        assert_eq!(last["active"], true);
        assert_eq!(last["until"], serde_json::Value::Null);
        assert_eq!(last["next"], serde_json::Value::Null);
        // Disabled: nothing is planned.
        let disabled = status(&config.replace("true", "false"), at("2029-12-31T00:00:00Z"));
        assert_eq!(disabled["next"], serde_json::Value::Null);
    }

    #[test]
    fn weekly_next_period() {
        let config = r#"{"enabled": true, "recurring": [{"days": ["sun"], "start": "02:00", "end": "04:00"}]}"#;
        // Thursday 2030-01-03.
        let value = status(config, at("2030-01-03T12:00:00Z"));
        assert_eq!(
            value["next"],
            serde_json::json!({"start": "2030-01-06T02:00:00Z", "end": "2030-01-06T04:00:00Z"})
        );
        let inside = status(config, at("2030-01-06T03:00:00Z"));
        assert_eq!(inside["until"], "2030-01-06T04:00:00Z");
        assert_eq!(inside["next"]["start"], "2030-01-13T02:00:00Z");
    }

    #[test]
    fn translated_title_and_reason() {
        let plan = parse(
            r#"{"reason": "db", "translations": {"fr": {"title": "Maintenance", "reason": "base"}}}"#
                .as_bytes(),
        )
        .unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&document(&plan, 0, Some(0), None)).unwrap();
        assert_eq!(value["title"], "Maintenance");
        assert_eq!(value["reason"], "base");
    }
}
