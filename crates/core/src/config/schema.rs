//! The configuration as operators write it (JSON, as Istio delivers `pluginConfig`), declared
//! once: reading and its problems (`reader.rs`, through these derives), and the configuration
//! reference of the documentation (`reference.rs`, through `schemars` on native builds) come
//! from these types and their `///` docs. Each field's type checks its own value as it is
//! read (a host pattern, a CIDR, a digest, ...); `conflicts.rs` checks fields against each
//! other; `compile.rs` assembles the result.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::bypass::cookie::CookieName;
use crate::bypass::header::BypassHeader;
use crate::bypass::jwt::JwtRuleConfig;
use crate::bypass::networks::Cidr;
use crate::bypass::secret::Digest;
use crate::bypass::tokens::TokenHeader;
use crate::reply::assets::{AssetName, AssetsConfig, AssetsPath};
use crate::reply::cors::CorsConfig;
use crate::reply::language::LanguageTag;
use crate::reply::page::{ExtraHeaderName, HeaderValue, HttpStatus, Reason, Template, Title, Word};
use crate::reply::status_endpoint::StatusPath;
use crate::reply::upstream_fallback::ServerErrorStatus;
use crate::request::hostname::HostPattern;
use crate::request::method::Method;
use crate::request::path::{ExactPath, PathPrefix};
use crate::schedule::calendar::{DateTime, EndTime, Seconds, StartTime, UtcOffset, Weekday};

pub use super::routes::Routes;

/// Longest accepted `response.refresh`: a day.
pub(crate) const MAX_REFRESH: u64 = 86_400;
/// Longest accepted `notice_before`: a year.
pub(crate) const MAX_NOTICE_BEFORE: u64 = 366 * 86_400;
/// Longest accepted bypass cookie lifetime: 400 days, what browsers cap `Max-Age` at anyway.
pub(crate) const MAX_COOKIE_MAX_AGE: u64 = 400 * 24 * 3600;

/// The plugin configuration. Every field is optional; `{}` (or nothing at all) installs the
/// plugin with maintenance off.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawConfig {
    /// Turns maintenance on. Off by default, so installing the plugin changes nothing.
    #[serde(default)]
    pub enabled: bool,
    /// Why the service is down, shown to users (HTML page, JSON `detail`, plain text,
    /// `grpc-message`). At most 4 KiB.
    #[serde(default)]
    pub reason: Reason,
    /// The heading of the maintenance response. At most 1 KiB. Default: "Down for
    /// maintenance".
    pub title: Option<Title>,
    /// HTTP status of maintenance responses, 200 to 599. Default 503.
    pub status: Option<HttpStatus>,
    /// Seconds clients should wait before retrying; sent as `retry-after` when set (without
    /// it, responses during a window with an end say how long is left).
    pub retry_after: Option<u64>,
    /// Which requests maintenance applies to (a list of routes). Absent: every request. A
    /// request is in scope when any route matches it.
    pub routes: Option<Routes>,
    /// In-scope requests that still go to the upstream.
    #[serde(default)]
    pub bypass: RawBypass,
    /// How maintenance responses look.
    #[serde(default)]
    pub response: RawResponse,
    /// Planned windows with RFC 3339 bounds. When `windows` or `recurring` is given, `enabled`
    /// maintenance applies only while the clock is inside one of them. At most 256.
    pub windows: Option<Vec<RawWindow>>,
    /// Windows that repeat every week (same rule as `windows`). At most 256.
    pub recurring: Option<Vec<RawRecurring>>,
    /// Answers in-scope, non-bypassed requests with the maintenance response when the upstream
    /// (or Envoy on its behalf) fails with one of these statuses, even when maintenance is off.
    pub upstream_fallback: Option<RawUpstreamFallback>,
    /// Decides every request as usual but answers none: requests that would get the maintenance
    /// response, and upstream failures `upstream_fallback` would replace, go through unchanged
    /// (bypass secrets are still removed, the cookie link still works). Would-be answers are
    /// counted (`maintenance.dry_run_*` metrics) and shown in the access log. Default false.
    #[serde(default)]
    pub dry_run: bool,
    /// A path (e.g. `/.well-known/maintenance`) the plugin answers itself, on any host, whether
    /// maintenance is on or off: `GET`/`HEAD` get JSON saying whether maintenance applies, until
    /// when and the next planned period; this path + `/preview` shows the maintenance response
    /// as it would be now (status 200). Matched exactly, without the query. It may not be `/`,
    /// nor a path a bypass or the cookie link claims (the status endpoint would answer it
    /// first). Costs a read of the request headers (one host call) on every request, even with
    /// maintenance off.
    pub status_path: Option<StatusPath>,
    /// Seconds (1 to 366 days) before a planned period (`windows` or `recurring`, with
    /// `enabled: true`) during which in-scope responses that pass carry a `maintenance-notice`
    /// header (`start=<RFC 3339>; end=<RFC 3339>`, `end` left out for an open-ended period).
    pub notice_before: Option<Seconds<1, MAX_NOTICE_BEFORE>>,
    /// BCP 47 tag of the language of `title`, `reason` and `response.html` (e.g. `en`, `fr`,
    /// `pt-BR`). Default `en`. When set, or with `translations`, maintenance responses carry
    /// `content-language`.
    pub language: Option<LanguageTag>,
    /// Other languages of the maintenance response, keyed by BCP 47 tag (`{"fr": {...}}`, each
    /// tag once, ignoring case, and not `language`'s), chosen by the request's
    /// `Accept-Language` (q-values, RFC 4647 lookup: `fr-CA` gets `fr`); a request matching
    /// none gets `language`. At most 64.
    pub translations: Option<BTreeMap<LanguageTag, RawTranslation>>,
    /// Lets pages on other origins read what the plugin answers (the maintenance response, the
    /// cookie link's redirect, the page's assets), and answers their CORS preflights while
    /// maintenance applies. Absent: no CORS headers (the status endpoint is readable from any
    /// origin regardless).
    pub cors: Option<CorsConfig>,
}

/// One language of the maintenance response; what it leaves out comes from the top level
/// (`title`, `reason`, `response.html`) or, for `words`, the built-in English words.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawTranslation {
    /// The heading in this language. At most 1 KiB.
    pub title: Option<Title>,
    /// The reason in this language. At most 4 KiB.
    pub reason: Option<Reason>,
    /// An HTML page in this language replacing the built-in one (same placeholders as
    /// `response.html`).
    pub html: Option<Template>,
    /// The built-in page's own words in this language.
    pub words: Option<RawWords>,
}

/// The built-in page's own words (also used by the plain-text response). Each at most 1 KiB,
/// not blank.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawWords {
    /// Before the end of the window: default "Expected back by".
    pub expected_back: Option<Word>,
    /// Shown when there is no `reason`: default "We are carrying out maintenance and will be
    /// back shortly. Please try again later."
    pub default_reason: Option<Word>,
}

/// A planned window `[start, end)`; either bound may be left open, not both.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawWindow {
    /// RFC 3339 date-time the window opens, e.g. `2025-06-01T02:00:00Z` (in UTC within the
    /// years 0000 to 9999, as every date-time of the configuration). Absent: open since ever.
    pub start: Option<DateTime>,
    /// RFC 3339 date-time the window closes, after `start`. Absent: open until the window is
    /// removed.
    pub end: Option<DateTime>,
}

/// A weekly window: on each of `days`, from `start` to `end` local time at `utc_offset`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawRecurring {
    /// Days the window starts on: `mon` … `sun` (any case, each once). Absent: every day.
    pub days: Option<Vec<Weekday>>,
    /// Local start `HH:MM`, `00:00` to `23:59`.
    pub start: StartTime,
    /// Local end `HH:MM`; `24:00` is the end of the day; before `start` means the next day.
    pub end: EndTime,
    /// The local time's offset from UTC, `+02:00`, `-05:30` or `Z`. Default `Z` (UTC).
    pub utc_offset: Option<UtcOffset>,
}

/// Which upstream failures get the maintenance response instead.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawUpstreamFallback {
    /// Response statuses (500 to 599, each once) replaced. Default `[502, 503, 504]`.
    pub statuses: Option<Vec<ServerErrorStatus>>,
}

/// One route: matches when every field it gives matches; a route with no fields matches all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawRoute {
    /// Host names: exact (`shop.example.com`), wildcard (`*.example.com`, subdomains only) or
    /// `*`. Case-insensitive; the port of `:authority` is ignored.
    pub hosts: Option<Vec<HostPattern>>,
    /// Segment-aware path prefix: `/shop` matches `/shop`, `/shop/` and `/shop/x`, not
    /// `/shopping`. Cannot be combined with `path`.
    pub path_prefix: Option<PathPrefix>,
    /// Exact path (without query). Cannot be combined with `path_prefix`.
    pub path: Option<ExactPath>,
    /// Upper-case HTTP method names, e.g. `["POST", "PUT", "DELETE"]`.
    pub methods: Option<Vec<Method>>,
}

/// Who gets through while maintenance applies.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawBypass {
    /// Segment-aware path prefixes (like `path_prefix`) that reach the upstream untouched.
    #[serde(default)]
    pub paths: Vec<PathPrefix>,
    /// Secret request headers: a request passes when the header's value hashes to the digest.
    /// The header is removed before the request goes upstream.
    #[serde(default)]
    pub tokens: Vec<RawToken>,
    /// A bypass cookie holding a secret, and the link that sets it.
    pub cookie: Option<RawCookie>,
    /// IPv4/IPv6 networks (`10.0.0.0/8`, `2001:db8::/32`, or single addresses) whose clients
    /// pass, judged by Envoy's downstream address (`source.address`).
    #[serde(default)]
    pub cidrs: Vec<Cidr>,
    /// A request header (e.g. `x-maintenance-bypass-kind`) that requests let through by a bypass
    /// while maintenance applies carry upstream, with the kind of bypass as value: `path`,
    /// `token`, `cookie`, `network`, `acme` or `jwt`. Any copy a client sends is removed from
    /// every request
    /// (in every spelling a backend may read as the same name), so it cannot be a header with
    /// a meaning of its own (`authorization`, `content-*`, `x-forwarded-*`, `x-envoy-*`, ...)
    /// nor a bypass token's header.
    pub header: Option<BypassHeader>,
    /// Whether ACME HTTP-01 challenges (under `/.well-known/acme-challenge`, read as bypass
    /// paths are) reach the upstream while maintenance applies, so certificates renew. Default
    /// true.
    pub acme: Option<bool>,
    /// Rules on the claims of a JWT that Envoy's `jwt_authn` filter verified before this filter
    /// ran (read from its dynamic metadata, never from a token): a request passes when any rule
    /// does. 1 to 16 rules.
    pub jwt: Option<Vec<JwtRuleConfig>>,
}

/// One bypass token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawToken {
    /// The request header carrying the secret, e.g. `x-maintenance-bypass` (not one the request
    /// needs, such as `host` or `cookie`).
    pub header: TokenHeader,
    /// SHA-256 of the secret, 64 hex digits (`printf %s "$TOKEN" | sha256sum`).
    pub sha256: Digest,
    /// RFC 3339 instant (e.g. `2025-06-01T18:00:00Z`) after which this token lets no one
    /// through. Absent: it never expires.
    pub not_after: Option<DateTime>,
}

/// The bypass cookie.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawCookie {
    /// The cookie name, e.g. `maintenance_bypass`.
    pub name: CookieName,
    /// SHA-256 of the secret the cookie holds, 64 hex digits.
    pub sha256: Digest,
    /// Lifetime of the cookie set by the link, in seconds (1 to 400 days). Default 3600.
    pub max_age: Option<Seconds<1, MAX_COOKIE_MAX_AGE>>,
    /// Whether the cookie set by the link is `Secure` (HTTPS only). Default true; must be true
    /// for `__Secure-` and `__Host-` names.
    pub secure: Option<bool>,
    /// A path (e.g. `/__maintenance/bypass`) where `?token=SECRET` sets the cookie and
    /// redirects to `/`. Absent: no link; the cookie must be set otherwise.
    pub set_path: Option<ExactPath>,
    /// RFC 3339 instant after which the cookie lets no one through and the link no longer sets
    /// it (a cookie it sets expires by then at the latest). Absent: it never expires.
    pub not_after: Option<DateTime>,
}

/// The look of maintenance responses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RawResponse {
    /// Extra headers on every maintenance response (each name once, ignoring case; not one the
    /// plugin or the proxy sets, such as `cache-control` or `content-type`).
    #[serde(default)]
    pub headers: BTreeMap<ExtraHeaderName, HeaderValue>,
    /// An HTML page replacing the built-in one, at most 256 KiB. Placeholders: `{{title}}` and
    /// `{{reason}}` (HTML-escaped), `{{status}}` and `{{until}}` (the window's end, RFC 3339, or
    /// empty). The page it renders may take at most 1 MiB.
    pub html: Option<Template>,
    /// Seconds (1 to 86400) after which the built-in page reloads itself (a `<meta
    /// http-equiv="refresh">`), like Laravel's `--refresh`. Without it the page still reloads
    /// when the window ends.
    pub refresh: Option<Seconds<1, MAX_REFRESH>>,
    /// The built-in page's own words in the `language` of the top level.
    pub words: Option<RawWords>,
    /// Files the gateway serves itself at `assets_path/<name>` (a logo, a stylesheet, a font)
    /// for `GET` and `HEAD`, whenever the page can show, so the page is whole while every
    /// upstream is down. Names are one path segment (letters, digits, `-._~`). At most 32
    /// assets and 256 KiB together.
    pub assets: Option<AssetsConfig>,
    /// Where `assets` are served: a plain path, not `/`. Default `/__maintenance/assets`.
    pub assets_path: Option<AssetsPath>,
    /// The name of an image among `assets` that the built-in page shows above its title, with
    /// the title as its text.
    pub logo: Option<AssetName>,
}
