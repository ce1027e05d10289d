//! The configuration end to end: from JSON text to a plan or to every problem, in words.

use super::compile::DEFAULT_COOKIE_MAX_AGE;
use super::conflicts::MAX_WINDOWS;
use serde_json::Value;

use super::*;
use crate::reply::page::{MAX_REASON_BYTES, MAX_TEMPLATE_BYTES, MAX_TITLE_BYTES};

/// The configuration, or its first problem.
fn parse_str(text: &str) -> Result<Plan, Problem> {
    parse(text.as_bytes()).map_err(|problems| problems.first().cloned().unwrap())
}

fn field_of(text: &str) -> String {
    match parse_str(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.field(),
    }
}

#[test]
fn empty_config_means_off() {
    assert!(!parse(b"").unwrap().enabled);
    assert!(!parse(b"  \n").unwrap().enabled);
    assert!(!parse_str("{}").unwrap().enabled);
}

#[test]
fn full_config_compiles() {
    let plan = parse_str(
        r#"{"enabled": true, "reason": "db upgrade", "title": "Back soon", "status": 503,
            "retry_after": 600,
            "routes": [{"hosts": ["shop.example.com", "*.api.example.com"], "path_prefix": "/cart"},
                       {"path": "/login", "methods": ["POST"]}, {}],
            "bypass": {"paths": ["/admin", "/healthz/"]},
            "response": {"headers": {"X-Maintenance": "yes"}, "html": "<h1>{{title}}</h1>"}}"#,
    )
    .unwrap();
    assert!(plan.enabled);
    assert_eq!(plan.scope.route_count(), 3);
    assert_eq!(plan.bypass.paths.len(), 2);
    assert_eq!(plan.response.html.body, b"<h1>Back soon</h1>");
    assert!(plan
        .response
        .headers
        .contains(&("x-maintenance".to_string(), "yes".to_string())));
    assert!(plan.summary().contains("ENABLED"));
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (r#"{"enabeld": true}"#, "enabeld"),
        (
            r#"{"routes": [{"hosts": ["a"], "paths": "/x"}]}"#,
            "routes[0].paths",
        ),
        (r#"{"enabled": "yes"}"#, "enabled"),
        (r#"{"status": 199}"#, "status"),
        (r#"{"status": 600}"#, "status"),
        (r#"{"status": -1}"#, "status"),
        (r#"{"retry_after": -5}"#, "retry_after"),
        (r#"{"retry_after": 1.5}"#, "retry_after"),
        (r#"{"routes": []}"#, "routes"),
        (
            r#"{"routes": [{"path_prefix": "shop"}]}"#,
            "routes[0].path_prefix",
        ),
        (
            r#"{"routes": [{}, {"path": "/a", "path_prefix": "/b"}]}"#,
            "routes[1].path",
        ),
        (r#"{"routes": [{"hosts": [""]}]}"#, "routes[0].hosts[0]"),
        (
            r#"{"routes": [{"hosts": ["a", "*foo"]}]}"#,
            "routes[0].hosts[1]",
        ),
        (r#"{"routes": [{"hosts": []}]}"#, "routes[0].hosts"),
        (
            r#"{"routes": [{"methods": ["get"]}]}"#,
            "routes[0].methods[0]",
        ),
        (r#"{"routes": [{"methods": [1]}]}"#, "routes[0].methods[0]"),
        (
            r#"{"bypass": {"paths": ["/ok", "admin"]}}"#,
            "bypass.paths[1]",
        ),
        (r#"{"bypass": {"path": ["/admin"]}}"#, "bypass.path"),
        (
            r#"{"response": {"headers": {"bad name": "x"}}}"#,
            "response.headers.bad name",
        ),
        (
            r#"{"response": {"headers": {"x": "a\nb"}}}"#,
            "response.headers.x",
        ),
        (
            r#"{"response": {"headers": {"x": 1}}}"#,
            "response.headers.x",
        ),
        (
            r#"{"response": {"headers": {"Cache-Control": "max-age=1"}}}"#,
            "response.headers.Cache-Control",
        ),
        (r#"{"response": {"html": "{{nope}}"}}"#, "response.html"),
        (
            r#"{"response": {"headers": {"Connection": "close"}}}"#,
            "response.headers.Connection",
        ),
        (
            r#"{"response": {"headers": {"content-length": "1"}}}"#,
            "response.headers.content-length",
        ),
        (
            r#"{"bypass": {"tokens": [{"header": "transfer-encoding", "sha256": "4c2b4c2c1f4d1c5e4c2b4c2c1f4d1c5e4c2b4c2c1f4d1c5e4c2b4c2c1f4d1c5e"}]}}"#,
            "bypass.tokens[0].header",
        ),
        (
            r#"{"bypass": {"tokens": [{"header": "Cookie", "sha256": "4c2b4c2c1f4d1c5e4c2b4c2c1f4d1c5e4c2b4c2c1f4d1c5e4c2b4c2c1f4d1c5e"}]}}"#,
            "bypass.tokens[0].header",
        ),
        (r#"{} {}"#, "line 1, column 4"),
        (r#"[]"#, "."),
        (r#"[true, "positional", null]"#, "."),
        (r#""enabled""#, "."),
        (r#"{"enabled": true"#, "line 1, column 16"),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(text), field, "{text}");
    }
    let long = format!(r#"{{"reason": "{}"}}"#, "x".repeat(MAX_REASON_BYTES + 1));
    assert_eq!(field_of(&long), "reason");
    let ok = format!(r#"{{"reason": "{}"}}"#, "x".repeat(MAX_REASON_BYTES));
    assert!(parse_str(&ok).is_ok());
}

#[test]
fn duplicate_response_headers_are_errors() {
    // Exactly the same name twice: JSON parsers keep the last one.
    let error = parse_str(r#"{"response": {"headers": {"x-a": "1", "x-b": "2", "x-a": "3"}}}"#)
        .unwrap_err();
    assert_eq!(error.field(), "response.headers");
    assert!(
        error.message().contains("\"x-a\" is given twice"),
        "{error}"
    );
    // Differing in case only: still one header.
    let error = parse_str(r#"{"response": {"headers": {"X-A": "1", "x-a": "3"}}}"#).unwrap_err();
    assert!(error.message().contains("given twice"), "{error}");
    // Duplicate fields of the document itself were errors already.
    assert!(parse_str(r#"{"reason": "a", "reason": "b"}"#).is_err());
    assert!(parse_str(r#"{"response": {"headers": {"x-a": "1", "x-b": "1"}}}"#).is_ok());
}

#[test]
fn unknown_field_message_names_it() {
    let err = parse_str(r#"{"enabled": true, "reasn": "x"}"#)
        .err()
        .unwrap();
    assert!(err.to_string().contains("`reasn`"), "{err}");
}

const ABC_SHA: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

#[test]
fn bypass_credentials_compile() {
    let config = format!(
        r#"{{"enabled": true, "bypass": {{
            "tokens": [{{"header": "X-Bypass", "sha256": "{upper}"}},
                       {{"header": "x-bypass", "sha256": "{ABC_SHA}"}},
                       {{"header": "x-ci", "sha256": "{ABC_SHA}"}}],
            "cookie": {{"name": "mm", "sha256": "{ABC_SHA}", "set_path": "/%5F_mm"}},
            "cidrs": ["10.0.0.0/8", "::1"]}}}}"#,
        upper = ABC_SHA.to_ascii_uppercase()
    );
    let plan = parse_str(&config).unwrap();
    assert_eq!(plan.bypass.tokens.headers(), ["x-bypass", "x-ci"]);
    assert_eq!(plan.bypass.tokens.len(), 3);
    let cookie = plan.bypass.cookie.as_ref().unwrap();
    assert_eq!(cookie.digest.to_hex(), ABC_SHA);
    assert_eq!(cookie.max_age, DEFAULT_COOKIE_MAX_AGE);
    assert!(cookie.secure);
    assert_eq!(cookie.set_path.as_deref(), Some("/__mm"));
    assert_eq!(plan.bypass.networks.len(), 2);
    assert!(plan
        .summary()
        .contains("; bypass tokens: 3; bypass cookie with link; bypass networks: 2"));
    let plain = parse_str("{}").unwrap();
    assert!(plain.bypass.tokens.is_empty());
    assert!(plain.bypass.cookie.is_none());
    assert!(plain.bypass.networks.is_empty());
    assert!(!plain.summary().contains("bypass tokens"));
    assert!(!plain.summary().contains("bypass cookie"));
    assert!(!plain.summary().contains("bypass networks"));
}

#[test]
fn bad_bypass_config_names_the_field() {
    let token = |header: &str, sha: &str| {
        format!(
            r#"{{"bypass": {{"tokens": [{{"header": "x-ok", "sha256": "{ABC_SHA}"}}, {{"header": "{header}", "sha256": "{sha}"}}]}}}}"#
        )
    };
    let cookie = |extra: &str| {
        format!(r#"{{"bypass": {{"cookie": {{"name": "mm", "sha256": "{ABC_SHA}"{extra}}}}}}}"#)
    };
    let empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let cases = [
        (token("", ABC_SHA), "bypass.tokens[1].header"),
        (token("x bypass", ABC_SHA), "bypass.tokens[1].header"),
        (token(":path", ABC_SHA), "bypass.tokens[1].header"),
        (token("Cookie", ABC_SHA), "bypass.tokens[1].header"),
        (token("host", ABC_SHA), "bypass.tokens[1].header"),
        (token("x-b", &ABC_SHA[1..]), "bypass.tokens[1].sha256"),
        (
            token("x-b", &format!("{ABC_SHA}0")),
            "bypass.tokens[1].sha256",
        ),
        (
            token("x-b", &format!("{}g", &ABC_SHA[1..])),
            "bypass.tokens[1].sha256",
        ),
        (token("x-b", ""), "bypass.tokens[1].sha256"),
        (token("x-b", empty_sha), "bypass.tokens[1].sha256"),
        (
            r#"{"bypass": {"tokens": [{"header": "x"}]}}"#.into(),
            "bypass.tokens[0]",
        ),
        (
            format!(
                r#"{{"bypass": {{"tokens": [{{"header": "x", "sha256": "{ABC_SHA}", "value": "s"}}]}}}}"#
            ),
            "bypass.tokens[0].value",
        ),
        (r#"{"bypass": {"tokens": {}}}"#.into(), "bypass.tokens"),
        (
            r#"{"bypass": {"cookie": {"name": "", "sha256": "00"}}}"#.into(),
            "bypass.cookie.name",
        ),
        (
            format!(r#"{{"bypass": {{"cookie": {{"name": "a=b", "sha256": "{ABC_SHA}"}}}}}}"#),
            "bypass.cookie.name",
        ),
        (
            r#"{"bypass": {"cookie": {"name": "mm", "sha256": "abc"}}}"#.into(),
            "bypass.cookie.sha256",
        ),
        (
            r#"{"bypass": {"cookie": {"name": "mm"}}}"#.into(),
            "bypass.cookie",
        ),
        (cookie(r#", "max_age": 0"#), "bypass.cookie.max_age"),
        (cookie(r#", "max_age": 34560001"#), "bypass.cookie.max_age"),
        (cookie(r#", "max_age": -1"#), "bypass.cookie.max_age"),
        (cookie(r#", "secure": "no""#), "bypass.cookie.secure"),
        (cookie(r#", "set_path": "enter""#), "bypass.cookie.set_path"),
        (
            cookie(r#", "set_path": "/enter?token=x""#),
            "bypass.cookie.set_path",
        ),
        (
            cookie(r#", "set_path": "/a/../enter""#),
            "bypass.cookie.set_path",
        ),
        (
            cookie(r#", "set_path": "https://x/enter""#),
            "bypass.cookie.set_path",
        ),
        (cookie(r#", "set_path": """#), "bypass.cookie.set_path"),
        (cookie(r#", "path": "/enter""#), "bypass.cookie.path"),
        (
            format!(
                r#"{{"bypass": {{"cookie": {{"name": "__Host-mm", "sha256": "{ABC_SHA}", "secure": false}}}}}}"#
            ),
            "bypass.cookie.secure",
        ),
        // Browsers match the prefixes case-insensitively.
        (
            format!(
                r#"{{"bypass": {{"cookie": {{"name": "__HOST-mm", "sha256": "{ABC_SHA}", "secure": false}}}}}}"#
            ),
            "bypass.cookie.secure",
        ),
        (
            format!(
                r#"{{"bypass": {{"cookie": {{"name": "__secure-mm", "sha256": "{ABC_SHA}", "secure": false}}}}}}"#
            ),
            "bypass.cookie.secure",
        ),
        (
            r#"{"bypass": {"cidrs": ["10.0.0.0/8", "10.0.0.0/33"]}}"#.into(),
            "bypass.cidrs[1]",
        ),
        (
            r#"{"bypass": {"cidrs": ["10.0.0.1/8"]}}"#.into(),
            "bypass.cidrs[0]",
        ),
        (
            r#"{"bypass": {"cidrs": ["localhost"]}}"#.into(),
            "bypass.cidrs[0]",
        ),
        (r#"{"bypass": {"cidrs": [""]}}"#.into(), "bypass.cidrs[0]"),
        (
            r#"{"bypass": {"cidrs": "10.0.0.0/8"}}"#.into(),
            "bypass.cidrs",
        ),
    ];
    for (text, field) in &cases {
        assert_eq!(field_of(text), *field, "{text}");
    }
    let err = parse_str(&token("x-b", &ABC_SHA[1..])).err().unwrap();
    assert!(err.message().contains("64 hex digits"), "{err}");
    let err = parse_str(r#"{"bypass": {"cidrs": ["10.0.0.1/8"]}}"#)
        .err()
        .unwrap();
    assert!(err.message().contains("10.0.0.0/8"), "{err}");
}

#[test]
fn windows_and_fallback_compile() {
    let plan = parse_str(
        r#"{"enabled": true,
            "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T06:00:00.5+02:00"},
                        {"start": "2025-07-01T00:00:00Z"}, {"end": "2025-01-01T00:00:00Z"}],
            "recurring": [{"days": ["sat", "SUN"], "start": "22:00", "end": "02:00", "utc_offset": "-05:30"},
                          {"start": "00:00", "end": "24:00"}],
            "upstream_fallback": {"statuses": [500, 503]}}"#,
    )
    .unwrap();
    let schedule = plan.schedule.as_ref().unwrap();
    assert_eq!(schedule.windows.len(), 3);
    assert_eq!(schedule.windows[0].end, Some(1_748_743_200 + 7200));
    assert_eq!(schedule.weekly.len(), 2);
    assert_eq!(schedule.weekly[0].utc_offset, -19_800);
    assert_eq!(schedule.weekly[0].length, 4 * 3600);
    assert_eq!(schedule.weekly[1].days, [true; 7]);
    assert_eq!(schedule.weekly[1].utc_offset, 0);
    assert_eq!(plan.fallback_statuses, vec![500, 503]);
    let summary = plan.summary();
    assert!(
        summary.contains("windows: 3 planned, 2 weekly"),
        "{summary}"
    );
    assert!(
        summary.contains("upstream fallback on 500, 503"),
        "{summary}"
    );

    let plan = parse_str(r#"{"upstream_fallback": {}}"#).unwrap();
    assert_eq!(plan.fallback_statuses, vec![502, 503, 504]);
    assert!(plan.schedule.is_none());
    assert!(parse_str("{}").unwrap().fallback_statuses.is_empty());
}

#[test]
fn schedule_status_says_where_we_are() {
    let plan = parse_str(
        r#"{"enabled": true,
            "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#,
    )
    .unwrap();
    let at = |text: &str| crate::schedule::calendar::parse_rfc3339(text).unwrap();
    assert_eq!(
        plan.schedule_status(at("2025-06-01T00:00:00Z")).unwrap(),
        "outside maintenance windows; the next opens at 2025-06-01T02:00:00Z"
    );
    assert_eq!(
        plan.schedule_status(at("2025-06-01T03:00:00Z")).unwrap(),
        "inside a maintenance window until 2025-06-01T04:00:00Z"
    );
    assert!(plan.in_effect(at("2025-06-01T03:00:00Z")));
    assert!(!plan.in_effect(at("2025-06-01T04:00:00Z")));
    assert_eq!(parse_str("{}").unwrap().schedule_status(0), None);
}

#[test]
fn bad_windows_and_fallbacks_name_the_field() {
    let cases = [
        (r#"{"windows": []}"#, "windows"),
        (r#"{"recurring": []}"#, "recurring"),
        (r#"{"windows": {}}"#, "windows"),
        (r#"{"windows": [{}]}"#, "windows[0]"),
        (
            r#"{"windows": [{"start": "2025-06-01T02:00:00Z", "stop": "x"}]}"#,
            "windows[0].stop",
        ),
        (
            r#"{"windows": [{"start": "2025-06-01T02:00:00"}]}"#,
            "windows[0].start",
        ),
        (
            r#"{"windows": [{"start": "2025-06-01T02:00:00Z"}, {"end": "2025-02-29T00:00:00Z"}]}"#,
            "windows[1].end",
        ),
        (
            r#"{"windows": [{"start": 1748743200}]}"#,
            "windows[0].start",
        ),
        (
            r#"{"windows": [{"start": "2025-06-01T04:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#,
            "windows[0].end",
        ),
        (
            r#"{"windows": [{"start": "2025-06-01T04:00:00Z", "end": "2025-06-01T05:00:00+02:00"}]}"#,
            "windows[0].end",
        ),
        (
            r#"{"windows": [{"start": "2025-06-01T04:00:00+25:00"}]}"#,
            "windows[0].start",
        ),
        (
            r#"{"recurring": [{"start": "22:00", "end": "02:00"}, {"days": ["sat", "sonntag"], "start": "22:00", "end": "02:00"}]}"#,
            "recurring[1].days[1]",
        ),
        (
            r#"{"recurring": [{"days": ["sat", "sat"], "start": "22:00", "end": "02:00"}]}"#,
            "recurring[0].days[1]",
        ),
        (
            r#"{"recurring": [{"days": [], "start": "22:00", "end": "02:00"}]}"#,
            "recurring[0].days",
        ),
        (
            r#"{"recurring": [{"start": "24:00", "end": "02:00"}]}"#,
            "recurring[0].start",
        ),
        (
            r#"{"recurring": [{"start": "9:00", "end": "12:00"}]}"#,
            "recurring[0].start",
        ),
        (
            r#"{"recurring": [{"start": "09:00", "end": "12:60"}]}"#,
            "recurring[0].end",
        ),
        (
            r#"{"recurring": [{"start": "09:00", "end": "09:00"}]}"#,
            "recurring[0].end",
        ),
        (
            r#"{"recurring": [{"start": "09:00", "end": "10:00", "utc_offset": "+2"}]}"#,
            "recurring[0].utc_offset",
        ),
        (
            r#"{"recurring": [{"start": "09:00", "end": "10:00", "utc_offset": "CET"}]}"#,
            "recurring[0].utc_offset",
        ),
        (r#"{"recurring": [{"start": "09:00"}]}"#, "recurring[0]"),
        (
            r#"{"upstream_fallback": {"statuses": []}}"#,
            "upstream_fallback.statuses",
        ),
        (
            r#"{"upstream_fallback": {"statuses": [503, 404]}}"#,
            "upstream_fallback.statuses[1]",
        ),
        (
            r#"{"upstream_fallback": {"statuses": [600]}}"#,
            "upstream_fallback.statuses[0]",
        ),
        (
            r#"{"upstream_fallback": {"statuses": [70000]}}"#,
            "upstream_fallback.statuses[0]",
        ),
        (
            r#"{"upstream_fallback": {"statuses": [503, 503]}}"#,
            "upstream_fallback.statuses[1]",
        ),
        (
            r#"{"upstream_fallback": {"statuses": ["503"]}}"#,
            "upstream_fallback.statuses[0]",
        ),
        (
            r#"{"upstream_fallback": {"status": [503]}}"#,
            "upstream_fallback.status",
        ),
        (r#"{"upstream_fallback": true}"#, "upstream_fallback"),
        (r#"{"response": {"html": "{{untl}}"}}"#, "response.html"),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(text), field, "{text}");
    }
    let too_many = format!(
        r#"{{"windows": [{}]}}"#,
        vec![r#"{"end": "2025-01-01T00:00:00Z"}"#; MAX_WINDOWS + 1].join(",")
    );
    assert_eq!(field_of(&too_many), "windows");
    let error = parse_str(
        r#"{"windows": [{"start": "2025-06-01T04:00:00Z", "end": "2025-06-01T03:00:00Z"}]}"#,
    )
    .err()
    .unwrap();
    assert!(error.message().contains("is not after start"), "{error}");
    let error = parse_str(r#"{"windows": [{"start": "2025-13-01T04:00:00Z"}]}"#)
        .err()
        .unwrap();
    assert!(error.message().contains("month 13"), "{error}");
    assert!(parse_str(r#"{"response": {"html": "{{until}}"}}"#).is_ok());
}

#[test]
fn a_template_repeating_placeholders_cannot_render_a_huge_page() {
    // Each `{{reason}}` is a 4 KiB reason escaped to 24 KiB: within the template and
    // reason limits, 26,214 of them would render a 644 MB page (in every worker VM, and
    // again for each window end).
    let config = |placeholders: usize| {
        serde_json::json!({
            "reason": "\"".repeat(MAX_REASON_BYTES),
            "response": {"html": "{{reason}}".repeat(placeholders)},
        })
        .to_string()
    };
    assert_eq!(field_of(&config(MAX_TEMPLATE_BYTES / 10)), "response.html");
    assert_eq!(field_of(&config(64)), "response.html");
    let page = parse_str(&config(40)).unwrap().response.html.body.len();
    assert_eq!(page, 40 * 6 * MAX_REASON_BYTES);
    // A template at its size limit, with every placeholder and the longest reason and title.
    let full = serde_json::json!({
        "reason": "\"".repeat(MAX_REASON_BYTES),
        "title": "\"".repeat(MAX_TITLE_BYTES),
        "response": {"html": format!(
            "{}{{{{reason}}}}{{{{title}}}}{{{{until}}}}{{{{status}}}}",
            "x".repeat(MAX_TEMPLATE_BYTES - 40)
        )},
    });
    assert!(parse_str(&full.to_string()).is_ok());
}

#[test]
fn notice_status_and_language_errors_name_the_field() {
    let long_title = "t".repeat(MAX_TITLE_BYTES + 1);
    let cases = [
        (r#"{"status_path": "status"}"#.to_string(), "status_path"),
        (r#"{"status_path": "/"}"#.to_string(), "status_path"),
        (r#"{"notice_before": 60}"#.to_string(), "notice_before"),
        (
            r#"{"notice_before": 0, "windows": [{"start": "2030-01-01T00:00:00Z"}]}"#.to_string(),
            "notice_before",
        ),
        (r#"{"language": "english"}"#.to_string(), "language"),
        (r#"{"language": "fr_FR"}"#.to_string(), "language"),
        (r#"{"translations": {}}"#.to_string(), "translations"),
        (
            r#"{"translations": {"fr_CA": {"title": "x"}}}"#.to_string(),
            "translations.fr_CA",
        ),
        (
            r#"{"translations": {"en": {"title": "x"}}}"#.to_string(),
            "translations.en",
        ),
        (
            r#"{"translations": {"fr": {"titel": "x"}}}"#.to_string(),
            "translations.fr.titel",
        ),
        (
            format!(r#"{{"translations": {{"fr": {{"title": "{long_title}"}}}}}}"#),
            "translations.fr.title",
        ),
        (
            r#"{"translations": {"fr": {"html": "{{nope}}"}}}"#.to_string(),
            "translations.fr.html",
        ),
        (
            r#"{"translations": {"fr": {"words": {"expected_back": " "}}}}"#.to_string(),
            "translations.fr.words.expected_back",
        ),
        (
            r#"{"translations": {"fr": {}, "FR": {}}}"#.to_string(),
            "translations.fr",
        ),
        (
            r#"{"response": {"refresh": 0}}"#.to_string(),
            "response.refresh",
        ),
        (
            r#"{"response": {"words": {"default_reason": ""}}}"#.to_string(),
            "response.words.default_reason",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(&text), field, "{text}");
    }
    let err = parse_str(r#"{"translations": {"fr_CA": {}}}"#)
        .err()
        .unwrap();
    assert!(err.to_string().contains("BCP 47"), "{err}");
    let plan = parse_str(
        r#"{"status_path": "/.well-known/maintenance", "language": "de-CH",
            "notice_before": 600, "windows": [{"start": "2030-01-01T00:00:00Z"}],
            "response": {"refresh": 30, "words": {"expected_back": "Zurück um"}},
            "translations": {"fr": {"title": "Maintenance"}, "it": {}}}"#,
    )
    .unwrap();
    assert_eq!(plan.languages.tags, ["fr", "it"]);
    assert_eq!(plan.response_spec.translations.len(), 2);
    let summary = plan.summary();
    assert!(
        summary.contains("status path /.well-known/maintenance"),
        "{summary}"
    );
    assert!(summary.contains("notice 600 s"), "{summary}");
    assert!(summary.contains("languages: de-CH, fr, it"), "{summary}");
}

// The words of syntax and type errors.

/// The problem of a configuration about `field` (the start of `expected`), as the log shows it.
/// A few cases below make another mistake too (`"sha256": "b"`), reported on its own line.
fn message(text: &str) -> String {
    match parse(text.as_bytes()) {
        Ok(_) => panic!("accepted: {text}"),
        Err(problems) => problems.to_string(),
    }
}

#[test]
fn syntax_errors_say_what_is_wrong_where() {
    let cases = [
        (
            "{\n  \"enabled\": true,\n  \"reason\": \"x\",\n}",
            "line 4, column 1: a comma before `}` (JSON does not allow trailing commas)",
        ),
        (
            r#"{"bypass": {"paths": ["/a",]}}"#,
            "line 1, column 28: a comma before `]` (JSON does not allow trailing commas)",
        ),
        (
            r#"{"enabled": true "reason": "x"}"#,
            "line 1, column 18: expected `,` before the next field, or `}` to close the object (is a comma missing?)",
        ),
        (
            r#"{"bypass": {"paths": ["/a" "/b"]}}"#,
            "line 1, column 28: expected `,` before the next item, or `]` to close the list (is a comma missing?)",
        ),
        (
            "{'enabled': true}",
            "line 1, column 2: expected a quoted field name (JSON needs double quotes, not single quotes)",
        ),
        (
            "{enabled: true}",
            "line 1, column 2: expected a quoted field name (field names need double quotes)",
        ),
        (
            "{\"enabled\": true, 5: 1}",
            "line 1, column 19: expected a quoted field name",
        ),
        (
            r#"{"reason": 'x'}"#,
            "line 1, column 12: expected a value: a string in double quotes, a number, true, false, null, a list or an object (JSON needs double quotes, not single quotes)",
        ),
        (
            r#"{"reason": }"#,
            "line 1, column 12: expected a value: a string in double quotes, a number, true, false, null, a list or an object",
        ),
        (
            r#"{"enabled": True}"#,
            "line 1, column 13: expected a value: a string in double quotes, a number, true, false, null, a list or an object (true, false and null are written in lower case)",
        ),
        (
            "{\"reason\": \"Back\nsoon\"}",
            "line 1, column 17: a line break or control character inside a string (write it as \\n, \\t or \\uXXXX)",
        ),
        (
            r#"{"enabled": tru}"#,
            "line 1, column 16: not a JSON value (true, false and null are written in lower case; text needs double quotes)",
        ),
        (
            r#"{"enabled" true}"#,
            "line 1, column 12: expected `:` after the field name",
        ),
        (
            r#"{"reason": "abc"#,
            "line 1, column 15: the text ends inside a string (a closing `\"` is missing)",
        ),
        (
            r#"{"enabled": true"#,
            "line 1, column 16: the text ends before the object is closed (a `}` is missing)",
        ),
        (
            r#"{"bypass": {"paths": ["/a""#,
            "line 1, column 26: the text ends before the list is closed (a `]` is missing)",
        ),
        (
            r#"{"enabled":"#,
            "line 1, column 11: the text ends where a value was expected",
        ),
        (
            "{\"reason\": \"a\tb\"}",
            "line 1, column 14: a line break or control character inside a string (write it as \\n, \\t or \\uXXXX)",
        ),
        (
            r#"{"reason": "a\qb"}"#,
            r#"line 1, column 15: invalid escape in a string (after a backslash: \" \\ \/ \b \f \n \r \t or \uXXXX)"#,
        ),
        (
            r#"{"reason": "\ud800"}"#,
            "line 1, column 19: invalid \\uXXXX escape in a string",
        ),
        (r#"{"status": 5.}"#, "line 1, column 14: invalid number"),
        (
            r#"{"retry_after": 1e400}"#,
            "line 1, column 21: the number is too large",
        ),
        (
            r#"{"enabled": true} x"#,
            "line 1, column 19: unexpected text after the end of the configuration (it must be one JSON object)",
        ),
        (
            r#"{"enabled": true}{"enabled": false}"#,
            "line 1, column 18: unexpected text after the end of the configuration (it must be one JSON object)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(message(text), expected, "{text}");
    }
}

#[test]
fn type_errors_name_json_types() {
    let cases = [
        // whole numbers (u64, u32)
        (
            r#"{"retry_after": "ten"}"#,
            r#"retry_after: expected a whole number, got "ten""#,
        ),
        (
            r#"{"retry_after": 1.5}"#,
            "retry_after: expected a whole number, got 1.5",
        ),
        (
            r#"{"retry_after": -1}"#,
            "retry_after: expected a whole number (0 or more), got -1",
        ),
        (
            r#"{"retry_after": 100000000000000000000}"#,
            "retry_after: expected a whole number, got 1e+20",
        ),
        (
            r#"{"status": "503"}"#,
            r#"status: expected a whole number, got "503""#,
        ),
        (
            r#"{"status": -503}"#,
            "status: expected a whole number (0 or more), got -503",
        ),
        (
            r#"{"status": 5000000000}"#,
            "status: expected a whole number from 0 to 4294967295, got 5000000000",
        ),
        (
            r#"{"upstream_fallback": {"statuses": [true]}}"#,
            "upstream_fallback.statuses[0]: expected a whole number, got true",
        ),
        (
            r#"{"bypass": {"cookie": {"name": "a", "sha256": "b", "max_age": "1h"}}}"#,
            r#"bypass.cookie.max_age: expected a whole number, got "1h""#,
        ),
        // true or false
        (
            r#"{"enabled": "yes"}"#,
            r#"enabled: expected true or false, got "yes""#,
        ),
        (
            r#"{"enabled": 1}"#,
            "enabled: expected true or false, got 1",
        ),
        (
            r#"{"enabled": null}"#,
            "enabled: expected true or false, got null",
        ),
        (
            r#"{"bypass": {"cookie": {"name": "a", "sha256": "b", "secure": "no"}}}"#,
            r#"bypass.cookie.secure: expected true or false, got "no""#,
        ),
        // strings
        (r#"{"reason": 42}"#, "reason: expected a string, got 42"),
        (
            r#"{"title": {"text": "x"}}"#,
            "title: expected a string, got an object",
        ),
        (
            r#"{"bypass": {"paths": ["/a", ["/b"]]}}"#,
            "bypass.paths[1]: expected a string, got a list",
        ),
        (
            r#"{"response": {"headers": {"x-a": false}}}"#,
            "response.headers.x-a: expected a string, got false",
        ),
        // lists
        (
            r#"{"routes": {"path_prefix": "/a"}}"#,
            "routes: expected a list, got an object",
        ),
        (
            r#"{"routes": [{"hosts": "shop.example.com"}]}"#,
            r#"routes[0].hosts: expected a list, got "shop.example.com""#,
        ),
        (
            r#"{"windows": "2025-06-01T02:00:00Z"}"#,
            r#"windows: expected a list, got "2025-06-01T02:00:00Z""#,
        ),
        // objects (maps and structs)
        (
            r#"{"response": {"headers": [["x-a", "b"]]}}"#,
            "response.headers: expected an object of strings, got a list",
        ),
        (
            r#"{"routes": ["/shop"]}"#,
            r#"routes[0]: expected an object, got "/shop""#,
        ),
        (
            r#"{"upstream_fallback": true}"#,
            "upstream_fallback: expected an object, got true",
        ),
        (
            r#"{"bypass": {"cookie": "mm"}}"#,
            r#"bypass.cookie: expected an object, got "mm""#,
        ),
        // fields
        (
            r#"{"bypass": {"tokens": [{"header": "x"}]}}"#,
            "bypass.tokens[0]: the required field `sha256` is missing",
        ),
        (
            r#"{"enabled": true, "enabled": false}"#,
            "enabled: is given twice (each field may appear once)",
        ),
        (
            r#"{"routes": [{"hosts": ["a"], "hosts": ["b"]}]}"#,
            "routes[0].hosts: is given twice (each field may appear once)",
        ),
    ];
    for (text, expected) in cases {
        assert!(
            message(text).lines().any(|line| line == expected),
            "{text}: {}",
            message(text)
        );
    }
    // Unknown fields: the valid ones are listed (the lists grow with the schema: only their
    // start is pinned); a likely typo gets a suggestion.
    let unknown = [
        (
            r#"{"response": {"body": "x"}}"#,
            "response.body: unknown field `body`; valid here: `headers`, `html`",
        ),
        (
            r#"{"bypass": {"cidr": ["10.0.0.0/8"]}}"#,
            "bypass.cidr: unknown field `cidr` (did you mean `cidrs`?); valid here: `paths`, `tokens`, `cookie`, `cidrs`",
        ),
        (
            r#"{"routes": [{"prefix": "/shop"}]}"#,
            "routes[0].prefix: unknown field `prefix`; valid here: `hosts`, `path_prefix`, `path`, `methods`",
        ),
    ];
    for (text, start) in unknown {
        assert!(
            message(text).starts_with(start),
            "{text}: {}",
            message(text)
        );
    }
    let typo = message(r#"{"retryafter": 5}"#);
    assert!(
        typo.starts_with("retryafter: unknown field `retryafter` (did you mean `retry_after`?); valid here: `enabled`, `reason`, "),
        "{typo}"
    );
    assert!(message(r#"{"Title": "x"}"#).contains("(did you mean `title`?)"));
    assert!(!message(r#"{"colour": "x"}"#).contains("did you mean"));
}

#[test]
fn no_rust_words_and_long_values_shortened() {
    let long = format!(r#"{{"status": "{}"}}"#, "x".repeat(5000));
    let text = message(&long);
    assert!(text.len() < 150, "{text}");
    assert!(text.ends_with("…\" (5002 bytes)"), "{text}");
    for text in [
        r#"{"retry_after": "ten"}"#,
        r#"{"status": -1}"#,
        r#"{"routes": [1]}"#,
        r#"{"bypass": {"cookie": []}}"#,
        r#"{"upstream_fallback": {"statuses": {}}}"#,
    ] {
        let m = message(text);
        for jargon in [
            "u64",
            "u32",
            "u16",
            "struct",
            "sequence",
            "map",
            "Raw",
            "integer",
            "at line",
            "invalid type",
        ] {
            assert!(!m.contains(jargon), "{jargon} in {m}");
        }
    }
}

/// The fields and exact messages tests/bad_configs.json pins (checked end to end in Envoy's
/// log too).
#[test]
fn bad_configs_corpus_messages() {
    let corpus: Vec<Value> =
        serde_json::from_str(include_str!("../../../../tests/bad_configs.json")).unwrap();
    let mut checked = 0;
    for entry in &corpus {
        let config = entry["config"].as_str().unwrap();
        let Err(problems) = parse(config.as_bytes()) else {
            panic!("accepted: {config}");
        };
        // Each entry makes one mistake: one problem, one log line.
        assert_eq!(problems.len(), 1, "{config}: {problems}");
        let error = problems.first().unwrap();
        let fields: Vec<&str> = match &entry["field"] {
            Value::Array(fields) => fields.iter().filter_map(Value::as_str).collect(),
            field => field.as_str().into_iter().collect(),
        };
        assert!(
            fields.contains(&error.field().as_str()),
            "{config}: {error}"
        );
        if let Some(words) = entry["contains"].as_str() {
            assert!(error.to_string().contains(words), "{config}: {error}");
        }
        if let Some(message) = entry["message"].as_str() {
            assert_eq!(error.to_string(), message, "{config}");
            checked += 1;
        }
    }
    assert!(corpus.len() > 80 && checked > 40, "{checked}");
}

// Syntax: placed where serde_json places it.

/// serde_json's syntax error for `text` as (line, column, kind), its column 0 for a line break
/// read as the end of the line before (as the plugin reports it).
fn serde_json_syntax(text: &[u8]) -> Option<(usize, usize, json::Syntax)> {
    use json::Syntax::*;
    let error = serde_json::from_slice::<Value>(text).err()?;
    let message = error.to_string();
    let kinds = [
        ("key must be a string", KeyMustBeAString),
        ("trailing comma", TrailingComma),
        ("expected `:`", ExpectedColon),
        ("expected `,` or `}`", ExpectedObjectCommaOrEnd),
        ("expected `,` or `]`", ExpectedListCommaOrEnd),
        ("expected ident", ExpectedSomeIdent),
        ("expected value", ExpectedSomeValue),
        ("EOF while parsing an object", EofWhileParsingObject),
        ("EOF while parsing a list", EofWhileParsingList),
        ("EOF while parsing a string", EofWhileParsingString),
        ("EOF while parsing a value", EofWhileParsingValue),
        ("invalid escape", InvalidEscape),
        ("invalid number", InvalidNumber),
        ("number out of range", NumberOutOfRange),
        ("control character", ControlCharacterInString),
        ("lone leading surrogate", InvalidUnicodeEscape),
        ("unexpected end of hex escape", InvalidUnicodeEscape),
        ("invalid unicode code point", NotUtf8),
        ("recursion limit exceeded", RecursionLimitExceeded),
        ("trailing characters", TrailingCharacters),
    ];
    let kind = kinds
        .iter()
        .find(|(words, _)| message.starts_with(words))
        .map(|(_, kind)| *kind)
        .unwrap_or_else(|| panic!("unknown serde_json error {message}"));
    let (mut line, mut column) = (error.line(), error.column());
    if column == 0 && line > 1 {
        line -= 1;
        column = text
            .split(|b| *b == b'\n')
            .nth(line - 1)
            .map_or(0, <[u8]>::len)
            + 1;
    }
    Some((line, column, kind))
}

fn our_syntax(text: &[u8]) -> Option<(usize, usize, json::Syntax)> {
    let error = Lexer::new(text).check_document().err()?;
    Some((error.line, error.column, error.syntax))
}

/// A configuration text using every JSON construct: nesting, escapes, numbers of each kind.
const EVERY_CONSTRUCT: &str = r#"{
  "enabled": true, "dry_run": false, "title": null,
  "reason": "Back \"soon\" \\ \/ \b\f\n\r\t \u00e9\ud83d\ude00 é",
  "status": 503, "retry_after": -0, "x": [1.5, -2e-3, 1E+2, 0, 12345678901234567890123],
  "routes": [{"hosts": ["a.example", "*.b.example"], "path_prefix": "/p"}, {}, []],
  "nested": {"a": {"b": [[], {}, [{"c": ""}]]}}
}"#;

#[test]
fn syntax_errors_are_placed_as_serde_json_places_them() {
    let mut texts: Vec<Vec<u8>> = Vec::new();
    let full = EVERY_CONSTRUCT.as_bytes();
    let compact: Vec<u8> = EVERY_CONSTRUCT.bytes().filter(|b| *b != b'\n').collect();
    for text in [full, &compact[..]] {
        for cut in 1..=text.len() {
            texts.push(text[..cut].to_vec());
        }
        let bytes: &[&[u8]] = &[
            b",", b":", b"}", b"]", b"{", b"[", b"\"", b"'", b"\\", b"T", b"n", b"0", b"-", b".",
            b"e", b" ", b"\n", b"\x01", b"\xff", b"\xc3", b"1e400", b"\\u", b"\\ud800",
        ];
        for at in 0..text.len() {
            for inserted in bytes {
                let mut mutant = text[..at].to_vec();
                mutant.extend_from_slice(inserted);
                mutant.extend_from_slice(&text[at..]);
                texts.push(mutant);
                let mut replaced = text[..at].to_vec();
                replaced.extend_from_slice(inserted);
                replaced.extend_from_slice(&text[at + 1..]);
                texts.push(replaced);
            }
            let mut removed = text.to_vec();
            removed.remove(at);
            texts.push(removed);
        }
    }
    texts.push(format!("{{\"a\": {}1{}}}", "[".repeat(126), "]".repeat(126)).into_bytes());
    texts.push(format!("{{\"a\": {}1{}}}", "[".repeat(127), "]".repeat(127)).into_bytes());
    texts.push(b"{\"a\": 1e99999999999}".to_vec());
    texts.push(b"{\"a\": 0e99999999999, \"b\": 1e-99999999999}".to_vec());
    let (mut broken, mut whole) = (0, 0);
    for text in &texts {
        let ours = our_syntax(text);
        assert_eq!(
            ours,
            serde_json_syntax(text),
            "{}",
            String::from_utf8_lossy(text)
        );
        match ours {
            Some(_) => broken += 1,
            None => whole += 1,
        }
    }
    assert!(broken > 5000 && whole > 500, "{broken} {whole}");
}

// Every problem, each at its field.

fn fields(text: &str) -> Vec<String> {
    match parse(text.as_bytes()) {
        Ok(_) => panic!("accepted: {text}"),
        Err(problems) => problems.iter().map(Problem::field).collect(),
    }
}

#[test]
fn every_problem_is_reported_at_its_field_in_reading_order() {
    let text = r#"{"enabled": "yes", "status": 700,
        "routes": [{"hosts": ["*foo"]}, {"path": "/a", "path_prefix": "/b"}],
        "bypass": {"cidrs": ["10.0.0.1/8"], "paht": ["/x"], "cidrs": []},
        "windows": [{"start": "2025-13-01T00:00:00Z"}, {}],
        "recurring": [{"start": "09:00"}], "reason": "ok"}"#;
    assert_eq!(
        fields(text),
        [
            "enabled",
            "status",
            "routes[0].hosts[0]",
            "bypass.cidrs[0]",
            "bypass.paht",
            "bypass.cidrs",
            "windows[0].start",
            "recurring[0]",
            // Found once everything is read: fields against each other, lists as a whole.
            "routes[1].path",
            "windows[1]",
        ]
    );
    let problems = parse(text.as_bytes()).unwrap_err();
    assert_eq!(problems.to_string().lines().count(), problems.len());
    assert!(problems
        .to_string()
        .contains("bypass.paht: unknown field `paht` (did you mean `paths`?)"));
}

#[test]
fn a_value_skipped_for_its_problem_causes_no_other() {
    // A required field refused is not also missing; a list left empty by its refused items is
    // not also empty.
    assert_eq!(
        fields(r#"{"recurring": [{"start": 9, "end": "10:00"}]}"#),
        ["recurring[0].start"]
    );
    assert_eq!(
        fields(r#"{"routes": [{"hosts": ["*foo"]}]}"#),
        ["routes[0].hosts[0]"]
    );
    assert_eq!(
        fields(r#"{"routes": [{"methods": [1]}]}"#),
        ["routes[0].methods[0]"]
    );
    assert_eq!(
        fields(r#"{"notice_before": 60, "windows": "2025-06-01T02:00:00Z"}"#),
        ["windows"]
    );
    // After a skipped item, the others keep their written index.
    assert_eq!(
        fields(
            r#"{"recurring": [{"start": "9:00", "end": "10:00"},
                              {"days": ["mon", "mon"], "start": "09:00", "end": "09:00"}]}"#
        ),
        [
            "recurring[0].start",
            "recurring[1].days[1]",
            "recurring[1].end"
        ]
    );
    assert_eq!(
        fields(r#"{"upstream_fallback": {"statuses": [404, 503, 503]}}"#),
        [
            "upstream_fallback.statuses[0]",
            "upstream_fallback.statuses[2]"
        ]
    );
}

#[test]
fn objects_written_as_lists_are_refused() {
    for (text, field) in [
        (r#"{"bypass": [["/admin"], [], null, [], null]}"#, "bypass"),
        (r#"{"bypass": {"cookie": ["mm", "ab"]}}"#, "bypass.cookie"),
        (r#"{"routes": [["/shop"]]}"#, "routes[0]"),
        (r#"{"response": [{}, null, null, null]}"#, "response"),
        (r#"{"translations": {"fr": ["t", "r"]}}"#, "translations.fr"),
    ] {
        let problems = parse(text.as_bytes()).unwrap_err();
        assert_eq!(
            problems.to_string(),
            format!("{field}: expected an object, got a list"),
            "{text}"
        );
    }
}

#[test]
fn keys_given_twice_are_refused() {
    let problems =
        parse(br#"{"translations": {"fr": {"title": "a"}, "fr": {"title": "b"}}}"#).unwrap_err();
    assert_eq!(problems.to_string(), "translations: \"fr\" is given twice");
    assert_eq!(
        fields(r#"{"bypass": {"cookie": {"name": "a", "name": "b", "sha256": "x"}}}"#),
        ["bypass.cookie.name", "bypass.cookie.sha256"]
    );
}

/// A configuration using every field.
fn everything() -> Value {
    serde_json::json!({
        "enabled": true, "reason": "r", "title": "t", "status": 503, "retry_after": 5,
        "routes": [{"hosts": ["a.example", "*.b.example"], "path_prefix": "/p",
                    "methods": ["GET"]}, {"path": "/x"}],
        "bypass": {"paths": ["/admin"], "cidrs": ["10.0.0.0/8"], "header": "x-bypass-kind",
                   "tokens": [{"header": "x-t", "sha256": ABC_SHA, "not_after": "2030-01-01T00:00:00Z"}],
                   "cookie": {"name": "c", "sha256": ABC_SHA, "max_age": 60, "secure": true,
                              "set_path": "/set", "not_after": "2030-01-01T00:00:00Z"}},
        "response": {"headers": {"x-a": "b"}, "html": "<p>{{reason}}", "refresh": 30,
                     "words": {"expected_back": "e", "default_reason": "d"}},
        "windows": [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}],
        "recurring": [{"days": ["mon"], "start": "01:00", "end": "02:00", "utc_offset": "Z"}],
        "upstream_fallback": {"statuses": [502, 503]},
        "dry_run": false, "status_path": "/s", "notice_before": 60, "language": "en",
        "translations": {"fr": {"title": "t", "reason": "r", "html": "<p>",
                                "words": {"expected_back": "e"}}}
    })
}

/// Every variant of `value` with one value somewhere replaced by one of each JSON type, or an
/// object's member removed or joined by an unknown one.
fn mutants(value: &Value) -> Vec<Value> {
    let replacements = [
        "null",
        "true",
        "0",
        "-1",
        "1.5",
        "5000000000",
        "1e300",
        "\"x\"",
        "\"\"",
        "[]",
        "[1]",
        "{}",
        "{\"a\": 1}",
        "[\"x\", \"y\"]",
    ];
    let mut out: Vec<Value> = replacements
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                for changed in mutants(item) {
                    let mut copy = items.clone();
                    copy[i] = changed;
                    out.push(Value::Array(copy));
                }
            }
        }
        Value::Object(members) => {
            let mut unknown = members.clone();
            unknown.insert("zz \"odd\" \\ key".into(), Value::from(1));
            out.push(Value::Object(unknown));
            for (key, member) in members {
                let mut removed = members.clone();
                removed.remove(key);
                out.push(Value::Object(removed));
                for changed in mutants(member) {
                    let mut copy = members.clone();
                    copy.insert(key.clone(), changed);
                    out.push(Value::Object(copy));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn every_problem_names_a_field_in_json_words() {
    assert!(parse(everything().to_string().as_bytes()).is_ok());
    let (mut accepted, mut refused) = (0, 0);
    for mutant in mutants(&everything()) {
        let text = mutant.to_string();
        let Err(problems) = parse(text.as_bytes()) else {
            accepted += 1;
            continue;
        };
        refused += 1;
        for problem in &problems {
            let (field, message) = (problem.field(), problem.message());
            assert!(!field.is_empty() && !message.is_empty(), "{text}");
            for jargon in [
                "u64",
                "u32",
                "u16",
                "struct",
                "sequence",
                "a map",
                "Raw",
                "integer",
                "option",
                "invalid type",
                "invalid value",
                "at line",
            ] {
                assert!(!message.contains(jargon), "{jargon} in {problem} ({text})");
            }
        }
    }
    assert!(accepted > 100 && refused > 800, "{accepted} {refused}");
}

#[test]
fn a_bypass_header_with_a_meaning_of_its_own_is_refused_saying_why() {
    for (header, why) in [
        ("authorization", "it carries the client's credentials"),
        ("Content-Encoding", "it describes the request body"),
        (
            "x-forwarded-for",
            "proxies record the client's address and protocol in it",
        ),
        (
            "X_Forwarded_Proto",
            "proxies record the client's address and protocol in it",
        ),
    ] {
        let text = format!(r#"{{"enabled": true, "bypass": {{"header": "{header}"}}}}"#);
        let problems = parse(text.as_bytes()).unwrap_err();
        assert_eq!(
            problems.to_string(),
            format!(
                "bypass.header: {header:?} cannot be used: the plugin removes it from every \
                 request, and {why}; choose a name of your own such as \"x-maintenance-bypass-kind\""
            )
        );
    }
    assert!(parse(br#"{"bypass": {"header": "x-maintenance-bypass-kind"}}"#).is_ok());
}

#[test]
fn features_claiming_one_path_are_refused() {
    let cookie = |set_path: &str| {
        format!(r#""cookie": {{"name": "mm", "sha256": "{ABC_SHA}", "set_path": "{set_path}"}}"#)
    };
    let first =
        "the status endpoint answers it first, on every host, whether maintenance is on or off";
    let cases = [
        (
            r#"{"status_path": "/healthz", "bypass": {"paths": ["/healthz"]}}"#.to_string(),
            format!(
                "status_path: \"/healthz\" is also claimed by bypass.paths[0] (\"/healthz\"): \
                 {first}, so requests for it never reach the upstream as the bypass means; give \
                 each its own path"
            ),
        ),
        (
            r#"{"status_path": "/ops/status", "bypass": {"paths": ["/admin", "/ops/"]}}"#
                .to_string(),
            format!(
                "status_path: \"/ops/status\" is also claimed by bypass.paths[1] (\"/ops\"): \
                 {first}, so requests for it never reach the upstream as the bypass means; give \
                 each its own path"
            ),
        ),
        (
            r#"{"status_path": "/s", "bypass": {"paths": ["/s/preview"]}}"#.to_string(),
            format!(
                "status_path: \"/s/preview\" (status_path + \"/preview\") is also claimed by \
                 bypass.paths[0] (\"/s/preview\"): {first}, so requests for it never reach the \
                 upstream as the bypass means; give each its own path"
            ),
        ),
        (
            format!(
                r#"{{"status_path": "/enter", "bypass": {{{}}}}}"#,
                cookie("/enter")
            ),
            format!(
                "status_path: \"/enter\" is also claimed by bypass.cookie.set_path (\"/enter\"): \
                 {first}, so the link never sets the bypass cookie; give each its own path"
            ),
        ),
        (
            format!(
                r#"{{"bypass": {{"paths": ["/admin"], {}}}}}"#,
                cookie("/admin/enter")
            ),
            "bypass.cookie.set_path: \"/admin/enter\" is also claimed by bypass.paths[0] \
             (\"/admin\"): the cookie link answers it first while maintenance applies, so \
             requests for it never reach the upstream as the bypass means; give each its own path"
                .to_string(),
        ),
    ];
    for (text, message) in cases {
        let problems = parse(text.as_bytes()).unwrap_err();
        assert_eq!(problems.to_string(), message, "{text}");
    }
    let apart = format!(
        r#"{{"status_path": "/.well-known/maintenance",
            "bypass": {{"paths": ["/admin", "/healthz", "/.well-known/acme-challenge"], {}}}}}"#,
        cookie("/__maintenance/enter")
    );
    assert!(parse(apart.as_bytes()).is_ok());
}
