//! The plugin configuration: the JSON schema (as Istio delivers `pluginConfig`), its validation,
//! and its compilation into a [`Plan`] the filter uses per request.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use serde::Deserialize;

use crate::cidr::{Cidr, Networks};
use crate::credentials::{is_token, BypassCookie, Digest, Tokens};
use crate::path::{normalize_config_path, normalize_config_prefix};
use crate::response::{
    escape_html, MaintenanceResponse, ResponseSpec, DEFAULT_TITLE, TEMPLATE_PLACEHOLDERS,
};
use crate::schedule::{
    format_rfc3339, parse_rfc3339, parse_time_of_day, parse_utc_offset, parse_weekday, Schedule,
    WeeklyWindow, Window,
};
use crate::scope::{BypassPaths, HostPattern, PathCondition, Route, Scope};

/// Longest accepted `reason`, in bytes.
pub const MAX_REASON_BYTES: usize = 4096;
/// Longest accepted `title`, in bytes.
pub const MAX_TITLE_BYTES: usize = 1024;
/// Largest accepted `response.html` template, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Largest accepted HTML page rendered from the template: placeholders repeat the (escaped)
/// reason and title, so a template within its own limit could otherwise render hundreds of MB.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Default lifetime of the bypass cookie, in seconds.
pub const DEFAULT_COOKIE_MAX_AGE: u64 = 3600;
/// Longest accepted bypass cookie lifetime: 400 days, what browsers cap `Max-Age` at anyway.
pub const MAX_COOKIE_MAX_AGE: u64 = 400 * 24 * 3600;
/// Most entries accepted in `windows`, and in `recurring`.
pub const MAX_WINDOWS: usize = 256;
/// Upstream statuses replaced by default when `upstream_fallback` gives no `statuses`.
pub const DEFAULT_FALLBACK_STATUSES: [u16; 3] = [502, 503, 504];

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
    /// Planned windows with RFC 3339 bounds. When `windows` or `recurring` is given, `enabled`
    /// maintenance applies only while the clock is inside one of them.
    pub windows: Option<Vec<RawWindow>>,
    /// Windows that repeat every week (same rule as `windows`).
    pub recurring: Option<Vec<RawRecurring>>,
    /// Answers in-scope, non-bypassed requests with the maintenance response when the upstream
    /// (or Envoy on its behalf) fails with one of these statuses, even when maintenance is off.
    pub upstream_fallback: Option<RawUpstreamFallback>,
}

/// A planned window `[start, end)`; either bound may be left open, not both.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    /// RFC 3339 date-time the window opens, e.g. `2025-06-01T02:00:00Z`. Absent: open since ever.
    pub start: Option<String>,
    /// RFC 3339 date-time the window closes. Absent: open until the window is removed.
    pub end: Option<String>,
}

/// A weekly window: on each of `days`, from `start` to `end` local time at `utc_offset`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecurring {
    /// Days the window starts on: `mon` … `sun`. Absent: every day.
    pub days: Option<Vec<String>>,
    /// Local start `HH:MM`.
    pub start: String,
    /// Local end `HH:MM`; `24:00` is the end of the day; not after `start` means the next day.
    pub end: String,
    /// The local time's offset from UTC, `+02:00`, `-05:30` or `Z`. Default `Z` (UTC).
    pub utc_offset: Option<String>,
}

/// Which upstream failures get the maintenance response instead.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstreamFallback {
    /// Response statuses (500..=599) replaced. Default `[502, 503, 504]`.
    pub statuses: Option<Vec<u32>>,
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
    /// Secret request headers: a request passes when the header's value hashes to the digest.
    /// The header is removed before the request goes upstream.
    #[serde(default)]
    pub tokens: Vec<RawToken>,
    /// A bypass cookie holding a secret, and the link that sets it.
    pub cookie: Option<RawCookie>,
    /// IPv4/IPv6 networks (`10.0.0.0/8`, `2001:db8::/32`, or single addresses) whose clients
    /// pass, judged by Envoy's downstream address (`source.address`).
    #[serde(default)]
    pub cidrs: Vec<String>,
}

/// One bypass token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawToken {
    /// The request header carrying the secret, e.g. `x-maintenance-bypass`.
    pub header: String,
    /// SHA-256 of the secret, 64 hex digits (`printf %s "$TOKEN" | sha256sum`).
    pub sha256: String,
}

/// The bypass cookie.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCookie {
    /// The cookie name, e.g. `maintenance_bypass`.
    pub name: String,
    /// SHA-256 of the secret the cookie holds, 64 hex digits.
    pub sha256: String,
    /// Lifetime of the cookie set by the link, in seconds. Default 3600.
    pub max_age: Option<u64>,
    /// Whether the cookie set by the link is `Secure` (HTTPS only). Default true.
    pub secure: Option<bool>,
    /// A path (e.g. `/__maintenance/bypass`) where `?token=SECRET` sets the cookie and
    /// redirects to `/`. Absent: no link; the cookie must be set otherwise.
    pub set_path: Option<String>,
}

/// The look of maintenance responses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    /// Extra headers on every maintenance response (lower-cased names).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// An HTML page replacing the built-in one. Placeholders: `{{title}}` and `{{reason}}`
    /// (HTML-escaped), `{{status}}` and `{{until}}` (the window's end, RFC 3339, or empty).
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

/// Parses each entry of a string list; an error names the entry (`field[index]`) and quotes it.
fn compile_each<T>(
    entries: &[String],
    field: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ConfigError> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            parse(entry)
                .map_err(|why| error(format!("{field}[{index}]"), format!("{entry:?} {why}")))
        })
        .collect()
}

/// The compiled configuration the filter consults per request.
#[derive(Debug)]
pub struct Plan {
    pub enabled: bool,
    pub reason: String,
    pub scope: Scope,
    pub bypass_paths: BypassPaths,
    pub bypass_tokens: Tokens,
    pub bypass_cookie: Option<BypassCookie>,
    pub bypass_networks: Networks,
    /// The maintenance response with no window end to announce.
    pub response: Rc<MaintenanceResponse>,
    /// What `response` was rendered from, to render it again for each window's end.
    pub response_spec: ResponseSpec,
    /// When `enabled` maintenance applies; `None`: always.
    pub schedule: Option<Schedule>,
    /// Upstream response statuses replaced with the maintenance response; empty: none.
    pub fallback_statuses: Vec<u16>,
}

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
            };
            Plan {
                enabled: false,
                reason: String::new(),
                scope: Scope::everything(),
                bypass_paths: BypassPaths::default(),
                bypass_tokens: Tokens::default(),
                bypass_cookie: None,
                bypass_networks: Networks::default(),
                response: Rc::new(response_spec.render(None)),
                response_spec,
                schedule: None,
                fallback_statuses: Vec::new(),
            }
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
        let mut summary = format!(
            "maintenance {}; status {}; scope: {routes}; bypass paths: {}; reason: {:?}",
            if self.enabled { "ENABLED" } else { "disabled" },
            self.response.status,
            self.bypass_paths.len(),
            self.reason,
        );
        if !self.bypass_tokens.is_empty() {
            summary.push_str(&format!("; bypass tokens: {}", self.bypass_tokens.len()));
        }
        if let Some(cookie) = &self.bypass_cookie {
            summary.push_str(match cookie.set_path {
                Some(_) => "; bypass cookie with link",
                None => "; bypass cookie",
            });
        }
        if !self.bypass_networks.is_empty() {
            summary.push_str(&format!(
                "; bypass networks: {}",
                self.bypass_networks.len()
            ));
        }
        if let Some(schedule) = &self.schedule {
            summary.push_str(&format!(
                "; windows: {} planned, {} weekly",
                schedule.windows.len(),
                schedule.weekly.len()
            ));
        }
        if !self.fallback_statuses.is_empty() {
            let statuses: Vec<String> = self.fallback_statuses.iter().map(u16::to_string).collect();
            summary.push_str(&format!("; upstream fallback on {}", statuses.join(", ")));
        }
        summary
    }

    /// Whether maintenance applies at `now` (unix seconds; ignored without a schedule).
    pub fn in_effect(&self, now: i64) -> bool {
        self.enabled
            && self
                .schedule
                .as_ref()
                .is_none_or(|schedule| schedule.covers(now))
    }

    /// Where the schedule stands at `now`, for the log; `None` without one.
    pub fn schedule_status(&self, now: i64) -> Option<String> {
        let state = self.schedule.as_ref()?.state_at(now);
        Some(match (state.active, state.next_transition) {
            (Some(_), Some(end)) => {
                format!("inside a maintenance window until {}", format_rfc3339(end))
            }
            (Some(_), None) => "inside a maintenance window with no end".to_string(),
            (None, Some(start)) => format!(
                "outside maintenance windows; the next opens at {}",
                format_rfc3339(start)
            ),
            (None, None) => "outside maintenance windows; none is ahead".to_string(),
        })
    }
}

/// Parses and compiles the plugin configuration. Empty (or all-whitespace) means "off".
pub fn parse(bytes: &[u8]) -> Result<Plan, ConfigError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return compile(RawConfig::default()),
        Some(b'{') => {}
        // serde would also read a struct from an array of its fields in order: not a format
        // anyone means to write.
        Some(_) => return Err(error(".", "must be a JSON object")),
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let raw: RawConfig = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        // The path ends in `?` where the JSON broke off before a field name was read.
        let path = e.path().to_string();
        let field = match path.trim_end_matches('?').trim_end_matches('.') {
            "" => ".".to_string(),
            known => known.to_string(),
        };
        error(field, e.into_inner().to_string())
    })?;
    deserializer
        .end()
        .map_err(|e| error(".", format!("unexpected data after the configuration: {e}")))?;
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

    let bypass_paths = BypassPaths::new(compile_each(
        &raw.bypass.paths,
        "bypass.paths",
        normalize_config_prefix,
    )?);

    let bypass_tokens = compile_tokens(&raw.bypass.tokens)?;
    let bypass_cookie = raw.bypass.cookie.map(compile_cookie).transpose()?;
    let bypass_networks = Networks::new(compile_each(
        &raw.bypass.cidrs,
        "bypass.cidrs",
        Cidr::parse,
    )?);

    let extra_headers = compile_headers(&raw.response.headers)?;
    if let Some(template) = &raw.response.html {
        check_template(template, &raw.reason, title)?;
    }
    let schedule = compile_schedule(raw.windows, raw.recurring)?;
    let fallback_statuses = match raw.upstream_fallback {
        None => Vec::new(),
        Some(fallback) => compile_fallback_statuses(fallback.statuses)?,
    };
    let response_spec = ResponseSpec {
        title: title.to_string(),
        reason: raw.reason.clone(),
        status,
        template: raw.response.html,
        retry_after: raw.retry_after,
        extra_headers,
    };
    Ok(Plan {
        enabled: raw.enabled,
        reason: raw.reason,
        scope,
        bypass_paths,
        bypass_tokens,
        bypass_cookie,
        bypass_networks,
        response: Rc::new(response_spec.render(None)),
        response_spec,
        schedule,
        fallback_statuses,
    })
}

fn compile_schedule(
    windows: Option<Vec<RawWindow>>,
    recurring: Option<Vec<RawRecurring>>,
) -> Result<Option<Schedule>, ConfigError> {
    if windows.is_none() && recurring.is_none() {
        return Ok(None);
    }
    let mut schedule = Schedule::default();
    for (name, count) in [
        ("windows", windows.as_ref().map(Vec::len)),
        ("recurring", recurring.as_ref().map(Vec::len)),
    ] {
        match count {
            Some(0) => {
                return Err(error(
                    name,
                    "is empty, which would never apply maintenance; omit it to apply it always",
                ))
            }
            Some(count) if count > MAX_WINDOWS => {
                return Err(error(
                    name,
                    format!("has {count} entries; at most {MAX_WINDOWS} are allowed"),
                ))
            }
            _ => {}
        }
    }
    for (index, window) in windows.into_iter().flatten().enumerate() {
        let field = format!("windows[{index}]");
        let bound = |text: &Option<String>, name: &str| {
            text.as_deref()
                .map(|text| {
                    parse_rfc3339(text)
                        .map_err(|why| error(format!("{field}.{name}"), format!("{text:?} {why}")))
                })
                .transpose()
        };
        let start = bound(&window.start, "start")?;
        let end = bound(&window.end, "end")?;
        match (start, end) {
            (None, None) => {
                return Err(error(
                    field,
                    "gives neither start nor end; a window needs at least one",
                ))
            }
            (Some(start), Some(end)) if start >= end => {
                return Err(error(
                    format!("{field}.end"),
                    format!(
                        "{:?} is not after start {:?}",
                        window.end.unwrap_or_default(),
                        window.start.unwrap_or_default()
                    ),
                ))
            }
            _ => schedule.windows.push(Window { start, end }),
        }
    }
    for (index, weekly) in recurring.into_iter().flatten().enumerate() {
        schedule
            .weekly
            .push(compile_weekly(weekly, &format!("recurring[{index}]"))?);
    }
    Ok(Some(schedule))
}

fn compile_weekly(raw: RawRecurring, field: &str) -> Result<WeeklyWindow, ConfigError> {
    let days = match raw.days {
        None => [true; 7],
        Some(names) if names.is_empty() => {
            return Err(error(
                format!("{field}.days"),
                "is empty, which is never; omit it for every day",
            ))
        }
        Some(names) => {
            let mut days = [false; 7];
            for (index, name) in names.iter().enumerate() {
                let day = parse_weekday(name).map_err(|why| {
                    error(format!("{field}.days[{index}]"), format!("{name:?} {why}"))
                })?;
                if days[day] {
                    return Err(error(
                        format!("{field}.days[{index}]"),
                        format!("{name:?} is given twice"),
                    ));
                }
                days[day] = true;
            }
            days
        }
    };
    let start = parse_time_of_day(&raw.start, false)
        .map_err(|why| error(format!("{field}.start"), format!("{:?} {why}", raw.start)))?;
    let end = parse_time_of_day(&raw.end, true)
        .map_err(|why| error(format!("{field}.end"), format!("{:?} {why}", raw.end)))?;
    let utc_offset = match &raw.utc_offset {
        None => 0,
        Some(text) => parse_utc_offset(text)
            .map_err(|why| error(format!("{field}.utc_offset"), format!("{text:?} {why}")))?,
    };
    WeeklyWindow::new(days, start, end, utc_offset).ok_or_else(|| {
        error(
            format!("{field}.end"),
            format!(
                "{:?} equals start, which is no window; use \"00:00\" to \"24:00\" for a whole day",
                raw.end
            ),
        )
    })
}

fn compile_fallback_statuses(statuses: Option<Vec<u32>>) -> Result<Vec<u16>, ConfigError> {
    let Some(statuses) = statuses else {
        return Ok(DEFAULT_FALLBACK_STATUSES.to_vec());
    };
    if statuses.is_empty() {
        return Err(error(
            "upstream_fallback.statuses",
            "is empty, which replaces nothing; omit upstream_fallback to turn it off",
        ));
    }
    let mut compiled = Vec::with_capacity(statuses.len());
    for (index, status) in statuses.into_iter().enumerate() {
        let field = format!("upstream_fallback.statuses[{index}]");
        let status = match u16::try_from(status) {
            Ok(status @ 500..=599) => status,
            _ => {
                return Err(error(
                    field,
                    format!("{status} is not a server error status between 500 and 599"),
                ))
            }
        };
        if compiled.contains(&status) {
            return Err(error(field, format!("{status} is given twice")));
        }
        compiled.push(status);
    }
    Ok(compiled)
}

/// Headers a bypass token cannot travel in: the request needs them, or (`cookie`) the cookie
/// bypass handles them.
const RESERVED_TOKEN_HEADERS: &[&str] = &["cookie", "host", "content-length", "content-type"];

/// Connection-level headers, which only the proxy handles.
const HOP_BY_HOP_HEADERS: &[&str] = &[
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

fn compile_tokens(raw: &[RawToken]) -> Result<Tokens, ConfigError> {
    let mut tokens = Tokens::default();
    for (index, token) in raw.iter().enumerate() {
        let field = format!("bypass.tokens[{index}]");
        let header = token.header.to_ascii_lowercase();
        if header.is_empty() {
            return Err(error(format!("{field}.header"), "must not be empty"));
        }
        if !is_token(&header) {
            return Err(error(
                format!("{field}.header"),
                format!("{:?} is not a valid HTTP header name", token.header),
            ));
        }
        if RESERVED_TOKEN_HEADERS.contains(&header.as_str())
            || HOP_BY_HOP_HEADERS.contains(&header.as_str())
        {
            return Err(error(
                format!("{field}.header"),
                format!(
                    "{:?} cannot carry a bypass token (the header is removed before the request goes upstream{})",
                    token.header,
                    if header == "cookie" {
                        "; use bypass.cookie for a cookie"
                    } else {
                        ", and the request needs it"
                    }
                ),
            ));
        }
        let digest = Digest::parse_hex(&token.sha256)
            .map_err(|why| error(format!("{field}.sha256"), why))?;
        tokens.add(header, digest);
    }
    Ok(tokens)
}

fn compile_cookie(raw: RawCookie) -> Result<BypassCookie, ConfigError> {
    if raw.name.is_empty() {
        return Err(error("bypass.cookie.name", "must not be empty"));
    }
    if !is_token(&raw.name) {
        return Err(error(
            "bypass.cookie.name",
            format!("{:?} is not a valid cookie name", raw.name),
        ));
    }
    let digest =
        Digest::parse_hex(&raw.sha256).map_err(|why| error("bypass.cookie.sha256", why))?;
    let max_age = raw.max_age.unwrap_or(DEFAULT_COOKIE_MAX_AGE);
    if max_age == 0 || max_age > MAX_COOKIE_MAX_AGE {
        return Err(error(
            "bypass.cookie.max_age",
            format!("{max_age} is not between 1 and {MAX_COOKIE_MAX_AGE} seconds (400 days)"),
        ));
    }
    let secure = raw.secure.unwrap_or(true);
    if !secure && (raw.name.starts_with("__Secure-") || raw.name.starts_with("__Host-")) {
        return Err(error(
            "bypass.cookie.secure",
            format!(
                "must be true for {:?}: browsers drop __Secure- and __Host- cookies without Secure",
                raw.name
            ),
        ));
    }
    let set_path = raw
        .set_path
        .map(|path| {
            normalize_config_path(&path)
                .map_err(|why| error("bypass.cookie.set_path", format!("{path:?} {why}")))
        })
        .transpose()?;
    Ok(BypassCookie {
        name: raw.name,
        digest,
        max_age,
        secure,
        set_path,
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
        Some(hosts) => Some(compile_each(
            &hosts,
            &format!("{field}.hosts"),
            HostPattern::parse,
        )?),
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
        if RESERVED_HEADERS.contains(&lower.as_str())
            || HOP_BY_HOP_HEADERS.contains(&lower.as_str())
        {
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

fn check_template(template: &str, reason: &str, title: &str) -> Result<(), ConfigError> {
    if template.len() > MAX_TEMPLATE_BYTES {
        return Err(error(
            "response.html",
            format!(
                "is {} bytes; at most {MAX_TEMPLATE_BYTES} are allowed",
                template.len()
            ),
        ));
    }
    let (reason_bytes, title_bytes) = (escape_html(reason).len(), escape_html(title).len());
    let mut page_bytes = template.len();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start..];
        let end = after.find("}}").map_or(after.len(), |end| end + 2);
        let placeholder = &after[..end];
        // What the placeholder renders to at most ({{until}}: an RFC 3339 end up to year 10000).
        let value_bytes = match placeholder {
            "{{reason}}" => reason_bytes,
            "{{title}}" => title_bytes,
            "{{status}}" => 3,
            "{{until}}" => "10000-01-01T00:00:00Z".len(),
            _ => 0,
        };
        page_bytes = page_bytes
            .saturating_sub(placeholder.len())
            .saturating_add(value_bytes);
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
    if page_bytes > MAX_PAGE_BYTES {
        return Err(error(
            "response.html",
            format!(
                "renders a page of {page_bytes} bytes with this reason and title; at most \
                 {MAX_PAGE_BYTES} are allowed (use fewer placeholders)"
            ),
        ));
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
            (r#"{} {}"#, "."),
            (r#"[]"#, "."),
            (r#"[true, "positional", null]"#, "."),
            (r#""enabled""#, "."),
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
        assert_eq!(plan.bypass_tokens.headers(), ["x-bypass", "x-ci"]);
        assert_eq!(plan.bypass_tokens.len(), 3);
        let cookie = plan.bypass_cookie.as_ref().unwrap();
        assert_eq!(cookie.digest.to_hex(), ABC_SHA);
        assert_eq!(cookie.max_age, DEFAULT_COOKIE_MAX_AGE);
        assert!(cookie.secure);
        assert_eq!(cookie.set_path.as_deref(), Some("/__mm"));
        assert_eq!(plan.bypass_networks.len(), 2);
        assert!(plan
            .summary()
            .contains("; bypass tokens: 3; bypass cookie with link; bypass networks: 2"));
        let plain = parse_str("{}").unwrap();
        assert!(plain.bypass_tokens.is_empty());
        assert!(plain.bypass_cookie.is_none());
        assert!(plain.bypass_networks.is_empty());
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
        let at = |text: &str| crate::schedule::parse_rfc3339(text).unwrap();
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
}
