//! `status_path`: an endpoint the plugin answers itself, whether maintenance is on or off, so
//! single-page and mobile apps can ask whether maintenance applies and until when, and
//! operators can preview the maintenance response (`<status_path>/preview`).
//!
//! Matched on the literal request path without the query (cheap; a percent-encoded spelling is
//! not the status path and is handled like any other request). Never subject to scope or
//! bypass rules.

use crate::plan::Plan;
use crate::reply::json::Object;
use crate::schedule::calendar::format_rfc3339;

/// The methods the status endpoint answers, as its `allow` header says.
pub const ALLOW: &str = "GET, HEAD";
/// Marks a preview response.
pub const PREVIEW_HEADER: &str = "maintenance-preview";

/// The status document at `now`, with `title` and `reason` in the language `choice` made, for
/// a request `in_scope` or not (whether the routes cover the host and path it asks about):
/// `active` (whether maintenance applies now there; never in a dry run, where nothing is
/// answered), `in_scope`, `dry_run`, `would_be_active` (in a dry run only: whether maintenance
/// would apply now there), `title`, `reason`, `until` (the end of the current maintenance
/// period, when it applies there and has one, else null), `next` (the next planned period,
/// `start` and `end`, or null; null out of scope too: nothing is planned there) and `since`
/// (when maintenance began to apply, `outage.rs`, as RFC 3339; null unless `active`).
pub fn document(
    plan: &Plan,
    now: i64,
    choice: Option<usize>,
    in_scope: bool,
    since: Option<&str>,
) -> String {
    let spec = choice
        .and_then(|index| plan.response_spec.translations.get(index))
        .unwrap_or(&plan.response_spec);
    let applies = in_scope && plan.in_effect(now);
    let until = match (&plan.schedule, applies) {
        (Some(schedule), true) => schedule
            .active_window(now)
            .and_then(|window| window.end)
            .map(format_rfc3339),
        _ => None,
    };
    let next = (plan.next_period(now))
        .filter(|_| in_scope)
        .map(|(start, end)| {
            Object::new()
                .string("start", &format_rfc3339(start))
                .string_or_null("end", end.map(format_rfc3339).as_deref())
                .finish()
        });
    let mut document = Object::new();
    document
        .bool("active", applies && !plan.dry_run)
        .bool("in_scope", in_scope)
        .bool("dry_run", plan.dry_run);
    if plan.dry_run {
        document.bool("would_be_active", applies);
    }
    document
        .string("title", &spec.title)
        .string("reason", &spec.reason)
        .string_or_null("until", until.as_deref())
        .raw("next", next.as_deref().unwrap_or("null"))
        .string_or_null("since", since.filter(|_| applies && !plan.dry_run))
        .finish()
}

/// Whether the status endpoint answers `method` (others get `405`, see `reply/local.rs`).
pub fn allows(method: &[u8]) -> bool {
    method == b"GET" || method == b"HEAD"
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
        let since = crate::outage::since(&plan, now, None).map(format_rfc3339);
        serde_json::from_str(&document(&plan, now, None, true, since.as_deref())).unwrap()
    }

    #[test]
    fn off_on_and_no_schedule() {
        let off = status(r#"{"reason": "db"}"#, 0);
        assert_eq!(
            off,
            serde_json::json!({"active": false, "in_scope": true, "dry_run": false,
                "title": "Down for maintenance", "reason": "db", "until": null, "next": null,
                "since": null})
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
    fn out_of_scope_nothing_applies_or_is_planned() {
        let plan = parse(
            br#"{"enabled": true, "dry_run": true, "routes": [{"hosts": ["shop"]}], "windows": [
                {"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T02:00:00Z"},
                {"start": "2030-01-02T00:00:00Z"}]}"#,
        )
        .unwrap();
        let value = |now: &str, in_scope| -> serde_json::Value {
            let since = crate::outage::since(&plan, at(now), None).map(format_rfc3339);
            serde_json::from_str(&document(&plan, at(now), None, in_scope, since.as_deref()))
                .unwrap()
        };
        let inside = value("2030-01-01T01:00:00Z", true);
        assert_eq!(inside["would_be_active"], true);
        assert_eq!(inside["until"], "2030-01-01T02:00:00Z");
        let elsewhere = value("2030-01-01T01:00:00Z", false);
        assert_eq!(
            (&elsewhere["active"], &elsewhere["in_scope"]),
            (&false.into(), &false.into())
        );
        assert_eq!(elsewhere["would_be_active"], false);
        assert_eq!(elsewhere["until"], serde_json::Value::Null);
        assert_eq!(elsewhere["next"], serde_json::Value::Null);
        // Nothing answers in a dry run, and nothing applies out of scope: no since either.
        assert_eq!(inside["since"], serde_json::Value::Null);
        assert_eq!(elsewhere["since"], serde_json::Value::Null);
        assert_eq!(
            value("2029-12-31T00:00:00Z", true)["next"]["start"],
            "2030-01-01T00:00:00Z"
        );
    }

    #[test]
    fn translated_title_and_reason() {
        let plan = parse(
            r#"{"reason": "db", "translations": {"fr": {"title": "Maintenance", "reason": "base"}}}"#
                .as_bytes(),
        )
        .unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&document(&plan, 0, Some(0), true, None)).unwrap();
        assert_eq!(value["title"], "Maintenance");
        assert_eq!(value["reason"], "base");
    }
}
