//! Validation of the raw configuration and its compilation into a [`Plan`]: every error names
//! the field in the operator's words.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::bypass::cookie::BypassCookie;
use crate::bypass::networks::{Cidr, Networks};
use crate::bypass::paths::BypassPaths;
use crate::bypass::secret::Digest;
use crate::bypass::tokens::Tokens;
use crate::bypass::Bypass;
use crate::bytes::{is_token, is_token_char};
use crate::response::{escape_html, ResponseSpec, DEFAULT_TITLE, TEMPLATE_PLACEHOLDERS};
use crate::schedule::calendar::{
    parse_rfc3339, parse_time_of_day, parse_utc_offset, parse_weekday,
};
use crate::schedule::{Schedule, WeeklyWindow, Window};
use crate::scope::{PathCondition, Route, Scope};
use crate::target::hostname::HostPattern;
use crate::target::path::{normalize_config_path, normalize_config_prefix};

use super::plan::Plan;
use super::schema::*;
use super::{error, ConfigError};

/// Longest accepted `reason`, in bytes.
pub(crate) const MAX_REASON_BYTES: usize = 4096;
/// Longest accepted `title`, in bytes.
pub(crate) const MAX_TITLE_BYTES: usize = 1024;
/// Largest accepted `response.html` template, in bytes.
pub(crate) const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Largest accepted HTML page rendered from the template: placeholders repeat the (escaped)
/// reason and title, so a template within its own limit could otherwise render hundreds of MB.
pub(crate) const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Default lifetime of the bypass cookie, in seconds.
pub(crate) const DEFAULT_COOKIE_MAX_AGE: u64 = 3600;
/// Longest accepted bypass cookie lifetime: 400 days, what browsers cap `Max-Age` at anyway.
pub(crate) const MAX_COOKIE_MAX_AGE: u64 = 400 * 24 * 3600;
/// Most entries accepted in `windows`, and in `recurring`.
pub(crate) const MAX_WINDOWS: usize = 256;
/// Upstream statuses replaced by default when `upstream_fallback` gives no `statuses`.
pub(crate) const DEFAULT_FALLBACK_STATUSES: [u16; 3] = [502, 503, 504];

/// Parses each entry of a string list, freeing each as it goes (VM memory never shrinks, so
/// the peak counts); an error names the entry (`field[index]`) and quotes it.
fn compile_each<T>(
    entries: Vec<String>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ConfigError> {
    let mut compiled = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let item = parse(&entry)
            .map_err(|why| error(format!("{field}[{index}]"), format!("{entry:?} {why}")))?;
        compiled.push(item);
    }
    Ok(compiled)
}

/// `routes`, compiled one by one while the JSON is read, so the raw routes never all exist at
/// once (with 10,000 routes they would take more VM memory than the compiled ones). The first
/// route error is kept for [`compile`] to report at its turn; the remaining routes are still
/// read, so a JSON error later in the document still comes first, as it always did.
#[derive(Debug, Default)]
pub struct CompiledRoutes {
    routes: Vec<Route>,
    count: usize,
    error: Option<ConfigError>,
}

impl<'de> serde::Deserialize<'de> for CompiledRoutes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Routes;
        impl<'de> serde::de::Visitor<'de> for Routes {
            type Value = CompiledRoutes;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CompiledRoutes, A::Error> {
                let mut out = CompiledRoutes::default();
                while let Some(raw) = seq.next_element::<RawRoute>()? {
                    if out.error.is_none() {
                        match compile_route(raw, &format!("routes[{}]", out.count)) {
                            Ok(route) => out.routes.push(route),
                            Err(problem) => {
                                out.error = Some(problem);
                                out.routes = Vec::new();
                            }
                        }
                    }
                    out.count += 1;
                }
                out.routes.shrink_to_fit();
                Ok(out)
            }
        }
        deserializer.deserialize_seq(Routes)
    }
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
        Some(routes) if routes.count == 0 => {
            return Err(error(
                "routes",
                "is empty, which would put no request in scope; omit it to cover every request",
            ))
        }
        Some(CompiledRoutes {
            error: Some(problem),
            ..
        }) => return Err(problem),
        Some(CompiledRoutes { routes, .. }) => Scope::from_routes(routes),
    };

    let bypass_paths = BypassPaths::new(compile_each(
        raw.bypass.paths,
        "bypass.paths",
        normalize_config_prefix,
    )?);

    let bypass_tokens = compile_tokens(&raw.bypass.tokens)?;
    let bypass_cookie = raw.bypass.cookie.map(compile_cookie).transpose()?;
    let bypass_networks =
        Networks::new(compile_each(raw.bypass.cidrs, "bypass.cidrs", Cidr::parse)?);

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
        bypass: Bypass {
            paths: bypass_paths,
            tokens: bypass_tokens,
            cookie: bypass_cookie,
            networks: bypass_networks,
        },
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
        Some(hosts) => Some(
            compile_each(hosts, &format!("{field}.hosts"), HostPattern::parse)?.into_boxed_slice(),
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
            normalize_config_prefix(&prefix)
                .map_err(|why| error(format!("{field}.path_prefix"), format!("{prefix:?} {why}")))?
                .into(),
        )),
        (None, Some(path)) => Some(PathCondition::Exact(
            normalize_config_path(&path)
                .map_err(|why| error(format!("{field}.path"), format!("{path:?} {why}")))?
                .into(),
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
            Some(methods.into_iter().map(String::into_boxed_str).collect())
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
