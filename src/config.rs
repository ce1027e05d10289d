//! The plugin configuration: the JSON schema (as Istio delivers `pluginConfig`), its validation,
//! and its compilation into a [`Plan`] the filter uses per request.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::path::{normalize_config_path, normalize_config_prefix};
use crate::response::{MaintenanceResponse, PageText, DEFAULT_TITLE, TEMPLATE_PLACEHOLDERS};
use crate::scope::{BypassPaths, HostPattern, PathCondition, Route, Scope};

/// Longest accepted `reason`, in bytes.
pub const MAX_REASON_BYTES: usize = 4096;
/// Longest accepted `title`, in bytes.
pub const MAX_TITLE_BYTES: usize = 1024;
/// Largest accepted `response.html` template, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// The configuration as written by the operator. Unknown fields are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Turns maintenance on. Off by default, so installing the plugin changes nothing.
    #[serde(default)]
    pub enabled: bool,
    /// Why the service is down, shown to users (HTML page, JSON `detail`, plain text,
    /// `grpc-message`). At most 4 KiB.
    #[serde(default)]
    pub reason: String,
    /// The heading of the maintenance response. Default: "Down for maintenance".
    pub title: Option<String>,
    /// HTTP status of maintenance responses, 200..=599. Default 503.
    pub status: Option<u32>,
    /// Seconds clients should wait before retrying; sent as `retry-after` when set.
    pub retry_after: Option<u64>,
    /// Which requests maintenance applies to. Absent: every request. A request is in scope when
    /// any route matches it.
    pub routes: Option<Vec<RawRoute>>,
    /// In-scope requests that still go to the upstream.
    #[serde(default)]
    pub bypass: RawBypass,
    /// How maintenance responses look.
    #[serde(default)]
    pub response: RawResponse,
}

/// One route: matches when every field it gives matches; a route with no fields matches all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Host names: exact (`shop.example.com`), wildcard (`*.example.com`, subdomains only) or
    /// `*`. Case-insensitive; the port of `:authority` is ignored.
    pub hosts: Option<Vec<String>>,
    /// Segment-aware path prefix: `/shop` matches `/shop`, `/shop/` and `/shop/x`, not
    /// `/shopping`. Cannot be combined with `path`.
    pub path_prefix: Option<String>,
    /// Exact path (without query). Cannot be combined with `path_prefix`.
    pub path: Option<String>,
    /// Upper-case HTTP method names, e.g. `["POST", "PUT", "DELETE"]`.
    pub methods: Option<Vec<String>>,
}

/// Who gets through while maintenance applies.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBypass {
    /// Segment-aware path prefixes (like `path_prefix`) that reach the upstream untouched.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// The look of maintenance responses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    /// Extra headers on every maintenance response (lower-cased names).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// An HTML page replacing the built-in one. Placeholders: `{{title}}` and `{{reason}}`
    /// (HTML-escaped) and `{{status}}`.
    pub html: Option<String>,
}

/// A configuration error: the offending field (`routes[2].hosts[0]`, `.` for the whole
/// document) and what is wrong with it.
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

/// The compiled configuration the filter consults per request.
#[derive(Debug)]
pub struct Plan {
    pub enabled: bool,
    pub reason: String,
    pub scope: Scope,
    pub bypass_paths: BypassPaths,
    pub response: MaintenanceResponse,
}

impl Default for Plan {
    fn default() -> Plan {
        // Only valid input here, so compile cannot fail; fall back to an inert plan regardless.
        compile(RawConfig::default()).unwrap_or_else(|_| Plan {
            enabled: false,
            reason: String::new(),
            scope: Scope::everything(),
            bypass_paths: BypassPaths::default(),
            response: MaintenanceResponse::render(
                &PageText {
                    title: DEFAULT_TITLE,
                    reason: "",
                    status: 503,
                },
                None,
                None,
                &[],
            ),
        })
    }
}

impl Plan {
    /// One line describing the effective state, logged whenever a configuration is applied.
    pub fn summary(&self) -> String {
        let routes = match self.scope.route_count() {
            0 => "all requests".to_string(),
            count => format!("{count} route(s)"),
        };
        format!(
            "maintenance {}; status {}; scope: {routes}; bypass paths: {}; reason: {:?}",
            if self.enabled { "ENABLED" } else { "disabled" },
            self.response.status,
            self.bypass_paths.len(),
            self.reason,
        )
    }
}

/// Parses and compiles the plugin configuration. Empty (or all-whitespace) means "off".
pub fn parse(bytes: &[u8]) -> Result<Plan, ConfigError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return compile(RawConfig::default());
    }
    let raw: RawConfig = crate::json::from_slice(bytes).map_err(|e| error(e.field, e.message))?;
    compile(raw)
}

/// Validates the raw configuration and compiles it.
pub fn compile(raw: RawConfig) -> Result<Plan, ConfigError> {
    if raw.reason.len() > MAX_REASON_BYTES {
        return Err(error(
            "reason",
            format!(
                "is {} bytes; at most {MAX_REASON_BYTES} are allowed",
                raw.reason.len()
            ),
        ));
    }
    let title = raw.title.as_deref().unwrap_or(DEFAULT_TITLE);
    if title.len() > MAX_TITLE_BYTES {
        return Err(error(
            "title",
            format!(
                "is {} bytes; at most {MAX_TITLE_BYTES} are allowed",
                title.len()
            ),
        ));
    }
    let status = match raw.status {
        None => 503,
        Some(status @ 200..=599) => status as u16,
        Some(other) => {
            return Err(error(
                "status",
                format!("{other} is not an HTTP status between 200 and 599"),
            ))
        }
    };

    let scope = match raw.routes {
        None => Scope::everything(),
        Some(routes) if routes.is_empty() => {
            return Err(error(
                "routes",
                "is empty, which would put no request in scope; omit it to cover every request",
            ))
        }
        Some(routes) => Scope::from_routes(
            routes
                .into_iter()
                .enumerate()
                .map(|(index, route)| compile_route(route, &format!("routes[{index}]")))
                .collect::<Result<_, _>>()?,
        ),
    };

    let bypass_paths = BypassPaths::new(
        raw.bypass
            .paths
            .iter()
            .enumerate()
            .map(|(index, path)| {
                normalize_config_prefix(path).map_err(|why| {
                    error(format!("bypass.paths[{index}]"), format!("{path:?} {why}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    );

    let extra_headers = compile_headers(&raw.response.headers)?;
    if let Some(template) = &raw.response.html {
        check_template(template)?;
    }
    let response = MaintenanceResponse::render(
        &PageText {
            title,
            reason: &raw.reason,
            status,
        },
        raw.response.html.as_deref(),
        raw.retry_after,
        &extra_headers,
    );
    Ok(Plan {
        enabled: raw.enabled,
        reason: raw.reason,
        scope,
        bypass_paths,
        response,
    })
}

fn compile_route(raw: RawRoute, field: &str) -> Result<Route, ConfigError> {
    let hosts = match raw.hosts {
        None => None,
        Some(hosts) if hosts.is_empty() => {
            return Err(error(
                format!("{field}.hosts"),
                "is empty, which matches no host; omit it to match every host",
            ))
        }
        Some(hosts) => Some(
            hosts
                .iter()
                .enumerate()
                .map(|(index, host)| {
                    HostPattern::parse(host).map_err(|why| {
                        error(format!("{field}.hosts[{index}]"), format!("{host:?} {why}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let path = match (raw.path_prefix, raw.path) {
        (Some(_), Some(_)) => {
            return Err(error(
                format!("{field}.path"),
                "cannot be combined with path_prefix in one route; use two routes",
            ))
        }
        (Some(prefix), None) => Some(PathCondition::Prefix(
            normalize_config_prefix(&prefix).map_err(|why| {
                error(format!("{field}.path_prefix"), format!("{prefix:?} {why}"))
            })?,
        )),
        (None, Some(path)) => Some(PathCondition::Exact(
            normalize_config_path(&path)
                .map_err(|why| error(format!("{field}.path"), format!("{path:?} {why}")))?,
        )),
        (None, None) => None,
    };
    let methods = match raw.methods {
        None => None,
        Some(methods) if methods.is_empty() => {
            return Err(error(
                format!("{field}.methods"),
                "is empty, which matches no request; omit it to match every method",
            ))
        }
        Some(methods) => {
            for (index, method) in methods.iter().enumerate() {
                if method.is_empty()
                    || !method
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
                {
                    return Err(error(
                        format!("{field}.methods[{index}]"),
                        format!(
                            "{method:?} is not an upper-case HTTP method name such as \"POST\""
                        ),
                    ));
                }
            }
            Some(methods)
        }
    };
    Ok(Route {
        hosts,
        path,
        methods,
    })
}

/// Headers the plugin sets itself, or that only the proxy may set.
const RESERVED_HEADERS: &[&str] = &[
    "cache-control",
    "retry-after",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
    "grpc-status",
    "grpc-message",
];

fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn compile_headers(
    headers: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut compiled = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let field = format!("response.headers.{name}");
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(error(field, "is not a valid HTTP header name"));
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(error(
                field,
                "is set by the plugin or the proxy and cannot be configured",
            ));
        }
        if compiled.iter().any(|(existing, _)| existing == &lower) {
            return Err(error(field, "is given twice (names are case-insensitive)"));
        }
        if !value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return Err(error(
                field,
                "value must be printable ASCII (no line breaks or control characters)",
            ));
        }
        compiled.push((lower, value.trim().to_string()));
    }
    Ok(compiled)
}

fn check_template(template: &str) -> Result<(), ConfigError> {
    if template.len() > MAX_TEMPLATE_BYTES {
        return Err(error(
            "response.html",
            format!(
                "is {} bytes; at most {MAX_TEMPLATE_BYTES} are allowed",
                template.len()
            ),
        ));
    }
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start..];
        let end = after.find("}}").map_or(after.len(), |end| end + 2);
        let placeholder = &after[..end];
        if !TEMPLATE_PLACEHOLDERS.contains(&placeholder) {
            return Err(error(
                "response.html",
                format!(
                    "has unknown placeholder {placeholder:?}; known: {}",
                    TEMPLATE_PLACEHOLDERS.join(", ")
                ),
            ));
        }
        rest = &after[end..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
        assert_eq!(plan.bypass_paths.len(), 2);
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
            (r#"{} {}"#, "."),
            (r#"[]"#, "."),
            (r#"{"enabled": true"#, "."),
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
    fn unknown_field_message_names_it() {
        let err = parse_str(r#"{"enabled": true, "reasn": "x"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("`reasn`"), "{err}");
    }
}
