//! Validation of the raw configuration and its compilation into a [`Plan`]: every error names
//! the field in the operator's words.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::bypass::cookie::BypassCookie;
use crate::bypass::expiry::Expiries;
use crate::bypass::jwt::{self, JwtRules};
use crate::bypass::networks::{Cidr, Networks};
use crate::bypass::paths::BypassPaths;
use crate::bypass::secret::Digest;
use crate::bypass::tokens::Tokens;
use crate::bypass::Bypass;
use crate::bytes::{is_token, is_token_char};
use crate::reply::assets::Assets;
use crate::reply::language::{check_tag, Languages};
use crate::reply::maintenance::{
    escape_html, PageOptions, ResponseSpec, Words, DEFAULT_TITLE, TEMPLATE_PLACEHOLDERS,
};
use crate::reply::status_endpoint::StatusEndpoint;
use crate::request::hostname::HostPattern;
use crate::request::path::{normalize_config_path, normalize_config_prefix};
use crate::schedule::calendar::{
    parse_rfc3339, parse_time_of_day, parse_utc_offset, parse_weekday,
};
use crate::schedule::{Schedule, WeeklyWindow, Window};
use crate::scope::{PathCondition, Route, Scope};

use super::schema::*;
use super::{error, ConfigError};
use crate::plan::Plan;

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

impl CompiledRoutes {
    /// Compiles the next route read (after a route error, only counts it).
    pub(super) fn add(&mut self, raw: RawRoute) {
        if self.error.is_none() {
            match compile_route(raw, &format!("routes[{}]", self.count)) {
                Ok(route) => self.routes.push(route),
                Err(problem) => {
                    self.error = Some(problem);
                    self.routes = Vec::new();
                }
            }
        }
        self.count += 1;
    }

    /// Once every route is read.
    pub(super) fn finish(mut self) -> CompiledRoutes {
        self.routes.shrink_to_fit();
        self
    }
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
                    out.add(raw);
                }
                Ok(out.finish())
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

    let mut expiries = Expiries::default();
    let bypass_tokens = compile_tokens(&raw.bypass.tokens, &mut expiries)?;
    let bypass_cookie = raw
        .bypass
        .cookie
        .map(|cookie| compile_cookie(cookie, &mut expiries))
        .transpose()?;
    let bypass_header = raw
        .bypass
        .header
        .as_deref()
        .map(|header| compile_bypass_header(header, &bypass_tokens))
        .transpose()?;
    let bypass_networks =
        Networks::new(compile_each(raw.bypass.cidrs, "bypass.cidrs", Cidr::parse)?);

    let bypass_acme = raw.bypass.acme.unwrap_or(true);
    let bypass_jwt = match raw.bypass.jwt {
        None => JwtRules::default(),
        Some(rules) => jwt::compile(rules)
            .map_err(|e| error(format!("bypass.jwt{}", e.field()), e.to_string()))?,
    };
    let cors = raw
        .cors
        .map(|cors| {
            cors.compile()
                .map_err(|e| error(format!("cors.{}", e.field()), e.to_string()))
        })
        .transpose()?;
    let assets = match raw.response.assets {
        Some(assets) => Some(
            assets
                .compile(
                    raw.response.assets_path.as_deref(),
                    raw.response.logo.as_deref(),
                )
                .map_err(|e| error(format!("response.{}", e.field()), e.to_string()))?,
        ),
        None => match (&raw.response.assets_path, &raw.response.logo) {
            (Some(_), _) => return Err(error("response.assets_path", "needs response.assets")),
            (_, Some(_)) => return Err(error("response.logo", "needs response.assets")),
            _ => None,
        },
    };
    let extra_headers = compile_headers(&raw.response.headers)?;
    if cors.is_some() {
        if let Some((name, _)) = extra_headers
            .iter()
            .find(|(name, _)| name.starts_with("access-control-"))
        {
            return Err(error(
                format!("response.headers.{name}"),
                "is set by cors; configure it there",
            ));
        }
    }
    if let Some(template) = &raw.response.html {
        check_template(template, &raw.reason, title, "response.html")?;
    }
    let schedule = compile_schedule(raw.windows, raw.recurring)?;
    let fallback_statuses = match raw.upstream_fallback {
        None => Vec::new(),
        Some(fallback) => compile_fallback_statuses(fallback.statuses)?,
    };
    let status_endpoint = compile_status_path(raw.status_path.as_deref())?;
    let notice_before = compile_notice_before(raw.notice_before, schedule.is_some())?;
    let languages_configured = raw.language.is_some() || raw.translations.is_some();
    let language = match raw.language {
        None => "en".to_string(),
        Some(tag) => {
            check_tag(&tag).map_err(|why| error("language", why))?;
            tag
        }
    };
    let refresh = match raw.response.refresh {
        None => None,
        Some(seconds @ 1..=MAX_REFRESH) => Some(seconds),
        Some(other) => {
            return Err(error(
                "response.refresh",
                format!("{other} is not between 1 and {MAX_REFRESH} seconds"),
            ))
        }
    };
    let mut response_spec = ResponseSpec {
        title: title.to_string(),
        reason: raw.reason.clone(),
        status,
        template: raw.response.html,
        retry_after: raw.retry_after,
        extra_headers,
        options: PageOptions {
            lang: language.clone(),
            content_language: languages_configured,
            words: compile_words(raw.response.words, "response.words")?,
            refresh,
            logo: assets.as_ref().and_then(Assets::logo_url),
        },
        translations: Vec::new(),
    };
    let languages = compile_translations(raw.translations, language, &mut response_spec)?;
    Ok(Plan {
        enabled: raw.enabled,
        reason: raw.reason,
        scope,
        bypass: Bypass {
            paths: bypass_paths,
            tokens: bypass_tokens,
            cookie: bypass_cookie,
            networks: bypass_networks,
            expiries,
            header: bypass_header,
            acme: bypass_acme,
            jwt: bypass_jwt,
        },
        response: Rc::new(response_spec.render(None)),
        response_spec,
        schedule,
        fallback_statuses,
        dry_run: raw.dry_run,
        status_endpoint,
        notice_before,
        languages,
        cors,
        assets,
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

/// A `not_after` field: an RFC 3339 instant, recorded in `expiries` as `what`.
fn compile_not_after(
    text: Option<&str>,
    field: &str,
    what: String,
    expiries: &mut Expiries,
) -> Result<Option<i64>, ConfigError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let end = parse_rfc3339(text)
        .map_err(|why| error(format!("{field}.not_after"), format!("{text:?} {why}")))?;
    expiries.push(what, end);
    Ok(Some(end))
}

/// `bypass.header`: a header name the plugin sets on bypassed requests and removes from all
/// others, so it cannot be one the request needs or a bypass token travels in.
fn compile_bypass_header(header: &str, tokens: &Tokens) -> Result<String, ConfigError> {
    let field = "bypass.header";
    let lower = header.to_ascii_lowercase();
    if lower.is_empty() {
        return Err(error(field, "must not be empty"));
    }
    if !is_token(&lower) {
        return Err(error(
            field,
            format!("{header:?} is not a valid HTTP header name"),
        ));
    }
    if RESERVED_TOKEN_HEADERS.contains(&lower.as_str())
        || HOP_BY_HOP_HEADERS.contains(&lower.as_str())
    {
        return Err(error(
            field,
            format!(
                "{header:?} cannot be used: it is removed from every request, and requests need it"
            ),
        ));
    }
    if tokens.headers().contains(&lower) {
        return Err(error(
            field,
            format!("{header:?} is also a bypass token header; use another name"),
        ));
    }
    Ok(lower)
}

fn compile_tokens(raw: &[RawToken], expiries: &mut Expiries) -> Result<Tokens, ConfigError> {
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
        let what = format!("{field} (header {header})");
        let not_after = compile_not_after(token.not_after.as_deref(), &field, what, expiries)?;
        tokens.add(header, digest, not_after);
    }
    Ok(tokens)
}

fn compile_cookie(raw: RawCookie, expiries: &mut Expiries) -> Result<BypassCookie, ConfigError> {
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
    // Browsers match these prefixes case-insensitively (RFC 6265bis): `__HOST-` is `__Host-`.
    let lower_name = raw.name.to_ascii_lowercase();
    if !secure && (lower_name.starts_with("__secure-") || lower_name.starts_with("__host-")) {
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
    let what = format!("bypass.cookie (cookie {})", raw.name);
    let not_after = compile_not_after(raw.not_after.as_deref(), "bypass.cookie", what, expiries)?;
    Ok(BypassCookie {
        name: raw.name,
        digest,
        max_age,
        secure,
        set_path,
        not_after,
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

fn check_template(
    template: &str,
    reason: &str,
    title: &str,
    field: &str,
) -> Result<(), ConfigError> {
    if template.len() > MAX_TEMPLATE_BYTES {
        return Err(error(
            field,
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
                field,
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
            field,
            format!(
                "renders a page of {page_bytes} bytes with this reason and title; at most \
                 {MAX_PAGE_BYTES} are allowed (use fewer placeholders)"
            ),
        ));
    }
    Ok(())
}

/// Longest accepted `response.refresh`: a day.
pub(crate) const MAX_REFRESH: u64 = 86_400;
/// Longest accepted `notice_before`: a year.
pub(crate) const MAX_NOTICE_BEFORE: u64 = 366 * 86_400;
/// Most entries accepted in `translations`.
pub(crate) const MAX_TRANSLATIONS: usize = 64;
/// Longest accepted built-in page word (`words.*`), in bytes.
pub(crate) const MAX_WORDS_BYTES: usize = 1024;

fn compile_status_path(path: Option<&str>) -> Result<Option<StatusEndpoint>, ConfigError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let normalized = normalize_config_path(path)
        .map_err(|why| error("status_path", format!("{path:?} {why}")))?;
    if normalized == "/" {
        return Err(error(
            "status_path",
            "\"/\" would answer the home page itself; use a path such as \"/.well-known/maintenance\"",
        ));
    }
    Ok(Some(StatusEndpoint::new(normalized)))
}

fn compile_notice_before(
    seconds: Option<u64>,
    scheduled: bool,
) -> Result<Option<i64>, ConfigError> {
    match seconds {
        None => Ok(None),
        Some(_) if !scheduled => Err(error(
            "notice_before",
            "needs planned periods (windows or recurring) to give notice of",
        )),
        Some(seconds @ 1..=MAX_NOTICE_BEFORE) => Ok(i64::try_from(seconds).ok()),
        Some(other) => Err(error(
            "notice_before",
            format!("{other} is not between 1 and {MAX_NOTICE_BEFORE} seconds (366 days)"),
        )),
    }
}

fn compile_words(raw: Option<RawWords>, field: &str) -> Result<Words, ConfigError> {
    let mut words = Words::default();
    let Some(raw) = raw else {
        return Ok(words);
    };
    for (name, given, slot) in [
        ("expected_back", raw.expected_back, &mut words.expected_back),
        (
            "default_reason",
            raw.default_reason,
            &mut words.default_reason,
        ),
    ] {
        let Some(given) = given else { continue };
        if given.trim().is_empty() {
            return Err(error(format!("{field}.{name}"), "must not be empty"));
        }
        if given.len() > MAX_WORDS_BYTES {
            return Err(error(
                format!("{field}.{name}"),
                format!(
                    "is {} bytes; at most {MAX_WORDS_BYTES} are allowed",
                    given.len()
                ),
            ));
        }
        *slot = given;
    }
    Ok(words)
}

/// Compiles `translations` into `spec.translations` (in the order of their tags) and the
/// languages a request can choose from.
fn compile_translations(
    raw: Option<BTreeMap<String, RawTranslation>>,
    default: String,
    spec: &mut ResponseSpec,
) -> Result<Languages, ConfigError> {
    let mut languages = Languages {
        tags: Vec::new(),
        default,
    };
    let Some(raw) = raw else {
        return Ok(languages);
    };
    if raw.is_empty() {
        return Err(error(
            "translations",
            "is empty; omit it to answer in `language` only",
        ));
    }
    if raw.len() > MAX_TRANSLATIONS {
        return Err(error(
            "translations",
            format!(
                "has {} entries; at most {MAX_TRANSLATIONS} are allowed",
                raw.len()
            ),
        ));
    }
    for (tag, translation) in raw {
        let field = format!("translations.{tag}");
        check_tag(&tag).map_err(|why| error(&field, why))?;
        if tag.eq_ignore_ascii_case(&languages.default) {
            return Err(error(
                &field,
                format!(
                    "is the default language (`language`: {:?}); give its text at the top level",
                    languages.default
                ),
            ));
        }
        if languages.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            return Err(error(
                &field,
                "is given twice (language tags are case-insensitive)",
            ));
        }
        let title = translation.title.unwrap_or_else(|| spec.title.clone());
        if title.len() > MAX_TITLE_BYTES {
            return Err(error(
                format!("{field}.title"),
                format!(
                    "is {} bytes; at most {MAX_TITLE_BYTES} are allowed",
                    title.len()
                ),
            ));
        }
        let reason = translation.reason.unwrap_or_else(|| spec.reason.clone());
        if reason.len() > MAX_REASON_BYTES {
            return Err(error(
                format!("{field}.reason"),
                format!(
                    "is {} bytes; at most {MAX_REASON_BYTES} are allowed",
                    reason.len()
                ),
            ));
        }
        let template = match translation.html {
            Some(html) => {
                check_template(&html, &reason, &title, &format!("{field}.html"))?;
                Some(html)
            }
            None => {
                if let Some(html) = &spec.template {
                    check_template(html, &reason, &title, "response.html")?;
                }
                spec.template.clone()
            }
        };
        let words = compile_words(translation.words, &format!("{field}.words"))?;
        spec.translations.push(ResponseSpec {
            title,
            reason,
            status: spec.status,
            template,
            retry_after: spec.retry_after,
            extra_headers: spec.extra_headers.clone(),
            options: PageOptions {
                lang: tag.clone(),
                content_language: true,
                words,
                refresh: spec.options.refresh,
                logo: spec.options.logo.clone(),
            },
            translations: Vec::new(),
        });
        languages.tags.push(tag);
    }
    Ok(languages)
}
