//! The configuration as operators write it (JSON, as Istio delivers `pluginConfig`): field
//! names, defaults and documentation. Validation and compilation are in `compile.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;

pub use super::compile::CompiledRoutes;
pub use crate::bypass::jwt::JwtRuleConfig;
pub use crate::reply::assets::{AssetConfig, AssetsConfig};
pub use crate::reply::cors::CorsConfig;

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
    /// (Each entry is a [`RawRoute`], compiled as soon as it is read.)
    pub routes: Option<CompiledRoutes>,
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
    /// Decides every request as usual but answers none: requests that would get the maintenance
    /// response, and upstream failures `upstream_fallback` would replace, go through unchanged
    /// (bypass secrets are still removed, the cookie link still works). Would-be answers are
    /// counted (`maintenance.dry_run_*` metrics) and shown in the access log. Default false.
    #[serde(default)]
    pub dry_run: bool,
    /// A path (e.g. `/.well-known/maintenance`) the plugin answers itself, on any host, whether
    /// maintenance is on or off: `GET`/`HEAD` get JSON saying whether maintenance applies, until
    /// when and the next planned period; this path + `/preview` shows the maintenance response
    /// as it would be now (status 200). Matched exactly, without the query. Costs a read of
    /// the request headers (one host call) on every request, even with maintenance off.
    pub status_path: Option<String>,
    /// Seconds (> 0) before a planned period (`windows` or `recurring`, with `enabled: true`)
    /// during which in-scope responses that pass carry a `maintenance-notice` header
    /// (`start=<RFC 3339>; end=<RFC 3339>`, `end` left out for an open-ended period).
    pub notice_before: Option<u64>,
    /// BCP 47 tag of the language of `title`, `reason` and `response.html` (e.g. `en`, `fr`,
    /// `pt-BR`). Default `en`. When set, or with `translations`, maintenance responses carry
    /// `content-language`.
    pub language: Option<String>,
    /// Other languages of the maintenance response, keyed by BCP 47 tag (`{"fr": {...}}`),
    /// chosen by the request's `Accept-Language` (q-values, RFC 4647 lookup: `fr-CA` gets
    /// `fr`); a request matching none gets `language`.
    pub translations: Option<BTreeMap<String, RawTranslation>>,
    /// Lets pages on these origins read what the plugin answers, and answers their preflights
    /// while maintenance applies (see `reply/cors.rs`).
    pub cors: Option<CorsConfig>,
}

/// One language of the maintenance response; what it leaves out comes from the top level
/// (`title`, `reason`, `response.html`) or, for `words`, the built-in English words.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTranslation {
    /// The heading in this language. At most 1 KiB.
    pub title: Option<String>,
    /// The reason in this language. At most 4 KiB.
    pub reason: Option<String>,
    /// An HTML page in this language replacing the built-in one (same placeholders as
    /// `response.html`).
    pub html: Option<String>,
    /// The built-in page's own words in this language.
    pub words: Option<RawWords>,
}

/// The built-in page's own words (also used by the plain-text response).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWords {
    /// Before the end of the window: default "Expected back by".
    pub expected_back: Option<String>,
    /// Shown when there is no `reason`: default "We are carrying out maintenance and will be
    /// back shortly. Please try again later."
    pub default_reason: Option<String>,
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
    /// A request header (e.g. `x-maintenance-bypass-kind`) that requests let through by a bypass
    /// while maintenance applies carry upstream, with the kind of bypass as value: `path`,
    /// `token`, `cookie` or `network`. Any copy a client sends is removed from every request.
    pub header: Option<String>,
    /// Whether ACME HTTP-01 challenges (`/.well-known/acme-challenge/...`) reach the upstream
    /// while maintenance applies, so certificates renew. Default true.
    pub acme: Option<bool>,
    /// Rules on the claims of a JWT that Envoy's `jwt_authn` filter verified: a request passes
    /// when any rule does (see `bypass/jwt.rs`).
    pub jwt: Option<Vec<JwtRuleConfig>>,
}

/// One bypass token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawToken {
    /// The request header carrying the secret, e.g. `x-maintenance-bypass`.
    pub header: String,
    /// SHA-256 of the secret, 64 hex digits (`printf %s "$TOKEN" | sha256sum`).
    pub sha256: String,
    /// RFC 3339 instant (e.g. `2025-06-01T18:00:00Z`) after which this token lets no one
    /// through. Absent: it never expires.
    pub not_after: Option<String>,
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
    /// RFC 3339 instant after which the cookie lets no one through and the link no longer sets
    /// it (a cookie it sets expires by then at the latest). Absent: it never expires.
    pub not_after: Option<String>,
}

/// The look of maintenance responses.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    /// Extra headers on every maintenance response (lower-cased names; each name once).
    #[serde(default, deserialize_with = "unique_keys")]
    pub headers: BTreeMap<String, String>,
    /// An HTML page replacing the built-in one. Placeholders: `{{title}}` and `{{reason}}`
    /// (HTML-escaped), `{{status}}` and `{{until}}` (the window's end, RFC 3339, or empty).
    pub html: Option<String>,
    /// Seconds (> 0) after which the built-in page reloads itself (a `<meta http-equiv="refresh">`),
    /// like Laravel's `--refresh`. Without it the page still reloads when the window ends.
    pub refresh: Option<u64>,
    /// The built-in page's own words in the `language` of the top level.
    pub words: Option<RawWords>,
    /// Files the gateway serves at `assets_path/<name>` (a logo, a stylesheet, a font), so the
    /// page is whole while the upstreams are down (see `reply/assets.rs`).
    pub assets: Option<AssetsConfig>,
    /// Where `assets` are served. Default `/__maintenance/assets`.
    pub assets_path: Option<String>,
    /// The name of an image among `assets` that the built-in page shows above its title.
    pub logo: Option<String>,
}

/// The end of `unique_keys`'s error (after the quoted key), also raised by `read`.
pub(super) const GIVEN_TWICE: &str = " is given twice";

/// A JSON object whose keys must be unique: serde_json keeps the last of duplicate keys, which
/// would silently drop what the operator wrote first.
fn unique_keys<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct UniqueKeys;

    impl<'de> serde::de::Visitor<'de> for UniqueKeys {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of strings")
        }

        fn visit_map<A>(self, mut map: A) -> Result<Self::Value, A::Error>
        where
            A: serde::de::MapAccess<'de>,
        {
            let mut entries = BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<String, String>()? {
                if entries.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!("{key:?}{GIVEN_TWICE}")));
                }
                entries.insert(key, value);
            }
            Ok(entries)
        }
    }

    deserializer.deserialize_map(UniqueKeys)
}
