//! The plugin configuration: `schema` (what operators write), `compile` (validation and
//! compilation), [`Plan`] (what the filter consults per request). [`parse`] goes from the bytes
//! to the plan.

use std::fmt;
use std::rc::Rc;

use crate::bypass::Bypass;
use crate::reply::language::Languages;
use crate::reply::maintenance::{PageOptions, ResponseSpec, DEFAULT_TITLE};
use crate::scope::Scope;

mod compile;
mod read;
mod schema;
mod wording;

pub use crate::plan::Plan;
use compile::compile;
pub(crate) use schema::RawConfig;

/// A configuration error: where (the offending field, `routes[2].hosts[0]`, `.` for the whole
/// document; for JSON syntax errors the place in the text, `line 5, column 22`) and what is
/// wrong there, in the words of someone writing JSON (see `wording`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn error(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

/// The configuration of an empty document: maintenance off.
impl Default for Plan {
    fn default() -> Plan {
        // Only valid input here, so compile cannot fail; fall back to an inert plan regardless.
        compile(RawConfig::default()).unwrap_or_else(|_| {
            let response_spec = ResponseSpec {
                title: DEFAULT_TITLE.to_string(),
                reason: String::new(),
                status: 503,
                template: None,
                retry_after: None,
                extra_headers: Vec::new(),
                options: PageOptions::default(),
                translations: Vec::new(),
            };
            Plan {
                enabled: false,
                reason: String::new(),
                scope: Scope::everything(),
                bypass: Bypass::default(),
                response: Rc::new(response_spec.render(None)),
                response_spec,
                schedule: None,
                fallback_statuses: Vec::new(),
                dry_run: false,
                status_endpoint: None,
                notice_before: None,
                languages: Languages::default(),
                cors: None,
                assets: None,
            }
        })
    }
}

/// Parses and compiles the plugin configuration. Empty (or all-whitespace) means "off".
pub fn parse(bytes: &[u8]) -> Result<Plan, ConfigError> {
    compile(read(bytes)?)
}

/// [`parse`], freeing the configuration bytes before compiling: in the VM, whose memory never
/// shrinks, the compiled indexes then reuse the bytes' space.
pub(crate) fn parse_owned(bytes: Vec<u8>) -> Result<Plan, ConfigError> {
    let raw = read(&bytes)?;
    drop(bytes);
    compile(raw)
}

/// The JSON as [`RawConfig`] (routes already compiled, see `CompiledRoutes`).
fn read(bytes: &[u8]) -> Result<RawConfig, ConfigError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Ok(RawConfig::default()),
        Some(b'{') => {}
        // serde would also read a struct from an array of its fields in order: not a format
        // anyone means to write.
        Some(_) => return Err(error(".", "must be a JSON object")),
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let raw = read::read(&mut deserializer)
        .map_err(|(e, path)| wording::config_error(path.as_deref().unwrap_or("."), &e, bytes))?;
    deserializer
        .end()
        .map_err(|e| wording::trailing(&e, bytes))?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::compile::{
        DEFAULT_COOKIE_MAX_AGE, MAX_REASON_BYTES, MAX_TEMPLATE_BYTES, MAX_TITLE_BYTES, MAX_WINDOWS,
    };
    use super::*;

    fn parse_str(text: &str) -> Result<Plan, ConfigError> {
        parse(text.as_bytes())
    }

    fn field_of(text: &str) -> String {
        match parse_str(text) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.field,
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
        assert_eq!(error.field, "response.headers");
        assert!(error.message.contains("\"x-a\" is given twice"), "{error}");
        // Differing in case only: still one header.
        let error =
            parse_str(r#"{"response": {"headers": {"X-A": "1", "x-a": "3"}}}"#).unwrap_err();
        assert!(error.message.contains("given twice"), "{error}");
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
        assert!(err.message.contains("64 hex digits"), "{err}");
        let err = parse_str(r#"{"bypass": {"cidrs": ["10.0.0.1/8"]}}"#)
            .err()
            .unwrap();
        assert!(err.message.contains("10.0.0.0/8"), "{err}");
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
        assert!(error.message.contains("is not after start"), "{error}");
        let error = parse_str(r#"{"windows": [{"start": "2025-13-01T04:00:00Z"}]}"#)
            .err()
            .unwrap();
        assert!(error.message.contains("month 13"), "{error}");
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
                r#"{"notice_before": 0, "windows": [{"start": "2030-01-01T00:00:00Z"}]}"#
                    .to_string(),
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
}
