//! The checks that need more than one value: fields against each other (a window's end after
//! its start, a `__Host-` cookie that must be `Secure`), lists as a whole (empty, too long,
//! an entry given twice), and features that claim the same request path. One home, run once
//! every field is read; every finding is reported.

use std::collections::BTreeSet;

use super::problem::{FieldPath, Problem};
use super::routes::RouteFlaw;
use super::schema::*;
use crate::bypass::jwt::JwtFinding;
use crate::reply;
use crate::reply::assets::{AssetsFinding, DEFAULT_ASSETS_PATH};
use crate::reply::cors::CorsFinding;
use crate::reply::page::MAX_PAGE_BYTES;
use crate::request::path::is_under_prefix;

/// Most entries accepted in `windows`, and in `recurring`.
pub(crate) const MAX_WINDOWS: usize = 256;
/// Most entries accepted in `translations`.
pub(crate) const MAX_TRANSLATIONS: usize = 64;

/// Field paths as written: reading may have skipped list items (each with a problem of its
/// own), so the n-th item read is not always the n-th written.
pub(super) struct Places<'a> {
    skipped: &'a [FieldPath],
}

impl<'a> Places<'a> {
    pub(super) fn new(skipped: &'a [FieldPath]) -> Places<'a> {
        Places { skipped }
    }

    /// The `read`-th item read of the list at `list`.
    pub(super) fn item(&self, list: &FieldPath, read: usize) -> FieldPath {
        let mut seen = 0;
        for written in 0.. {
            let path = list.index(written);
            if self.skipped.contains(&path) {
                continue;
            }
            if seen == read {
                return path;
            }
            seen += 1;
        }
        list.index(read)
    }
}

fn field(name: &str) -> FieldPath {
    FieldPath::default().key(name)
}

/// Every finding, in the order of the fields.
pub(super) fn check(raw: &RawConfig, places: &Places) -> Vec<Problem> {
    let mut found = Vec::new();
    routes(raw, places, &mut found);
    bypass(raw, places, &mut found);
    response_headers(raw, &mut found);
    pages(raw, &mut found);
    schedule(raw, places, &mut found);
    fallback(raw, places, &mut found);
    notice(raw, &mut found);
    translations(raw, &mut found);
    cors(raw, places, &mut found);
    assets(raw, &mut found);
    jwt(raw, places, &mut found);
    claimed_paths(raw, places, &mut found);
    found
}

/// `cors` as a whole (`reply/cors.rs`), and response headers it sets itself.
fn cors(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    let Some(config) = &raw.cors else { return };
    let cors = field("cors");
    let origins = cors.key("allow_origins");
    for finding in config.findings() {
        let at = match finding {
            CorsFinding::NoOrigins => origins.clone(),
            CorsFinding::RepeatedOrigin(index) => places.item(&origins, index),
            CorsFinding::CredentialsWithAnyOrigin(_) => cors.key("allow_credentials"),
        };
        let problem = Problem::check(at, finding.to_string());
        found.push(match finding {
            CorsFinding::CredentialsWithAnyOrigin(index) => {
                problem.involving([places.item(&origins, index)])
            }
            _ => problem,
        });
    }
    let headers = field("response").key("headers");
    for name in raw.response.headers.keys() {
        if name.lower().starts_with("access-control-") {
            found.push(
                Problem::check(
                    headers.key(name.as_str()),
                    "is set by cors on the plugin's answers; configure CORS there",
                )
                .involving([cors.clone()]),
            );
        }
    }
}

/// `response.assets`, `assets_path` and `logo` together (`reply/assets.rs`).
fn assets(raw: &RawConfig, found: &mut Vec<Problem>) {
    let response = &raw.response;
    let place = field("response");
    for finding in reply::assets::findings(
        response.assets.as_ref(),
        response.assets_path.as_ref(),
        response.logo.as_ref(),
    ) {
        let at = (finding.field().into_iter()).fold(place.clone(), |at, step| at.key(step));
        let problem = Problem::check(at, finding.to_string());
        found.push(match finding {
            AssetsFinding::UnknownLogo(_) | AssetsFinding::LogoNotAnImage { .. } => {
                problem.involving([place.key("assets")])
            }
            _ => problem,
        });
    }
}

/// `bypass.jwt` as a whole (`bypass/jwt.rs`).
fn jwt(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    let Some(rules) = &raw.bypass.jwt else { return };
    let list = field("bypass").key("jwt");
    for finding in crate::bypass::jwt::findings(rules) {
        let at = match finding {
            JwtFinding::NoRules | JwtFinding::TooManyRules(_) => list.clone(),
            JwtFinding::EmptyAnyOf { rule } | JwtFinding::TooManyValues { rule, .. } => {
                places.item(&list, rule).key("any_of")
            }
        };
        found.push(Problem::check(at, finding.to_string()));
    }
}

fn routes(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    let Some(routes) = &raw.routes else { return };
    let list = field("routes");
    if routes.len() == 0 {
        found.push(Problem::check(
            list.clone(),
            "is empty, which would put no request in scope; omit it to cover every request",
        ));
    }
    for (number, flaw) in &routes.flaws {
        let route = places.item(&list, *number);
        found.push(match flaw {
            RouteFlaw::BothPaths => Problem::check(
                route.key("path"),
                "cannot be combined with path_prefix in one route; use two routes",
            )
            .involving([route.key("path_prefix")]),
            RouteFlaw::NoHosts => Problem::check(
                route.key("hosts"),
                "is empty, which matches no host; omit it to match every host",
            ),
            RouteFlaw::NoMethods => Problem::check(
                route.key("methods"),
                "is empty, which matches no request; omit it to match every method",
            ),
        });
    }
}

fn bypass(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    let bypass = field("bypass");
    if let Some(cookie) = &raw.bypass.cookie {
        if cookie.secure == Some(false) && cookie.name.needs_secure() {
            let cookie_field = bypass.key("cookie");
            found.push(
                Problem::check(
                    cookie_field.key("secure"),
                    format!(
                        "must be true for {:?}: browsers drop __Secure- and __Host- cookies \
                         without Secure",
                        cookie.name.as_str()
                    ),
                )
                .involving([cookie_field.key("name")]),
            );
        }
    }
    if let Some(header) = &raw.bypass.header {
        let tokens = bypass.key("tokens");
        if let Some(number) = raw
            .bypass
            .tokens
            .iter()
            .position(|token| token.header.name() == header.name())
        {
            found.push(
                Problem::check(
                    bypass.key("header"),
                    format!(
                        "{:?} is also a bypass token header; use another name",
                        header.name().as_str()
                    ),
                )
                .involving([places.item(&tokens, number).key("header")]),
            );
        }
    }
}

fn response_headers(raw: &RawConfig, found: &mut Vec<Problem>) {
    let headers = field("response").key("headers");
    let mut seen = BTreeSet::new();
    for name in raw.response.headers.keys() {
        if !seen.insert(name.lower()) {
            found.push(Problem::check(
                headers.key(name.as_str()),
                "is given twice (names are case-insensitive)",
            ));
        }
    }
}

/// Pages rendered from a template stay within [`MAX_PAGE_BYTES`] with the texts they repeat.
fn pages(raw: &RawConfig, found: &mut Vec<Problem>) {
    let title = raw
        .title
        .as_ref()
        .map_or(crate::reply::maintenance::DEFAULT_TITLE, |title| {
            title.as_str()
        });
    let html = field("response").key("html");
    let too_big = |bytes: usize, at: FieldPath| {
        Problem::check(
            at,
            format!(
                "renders a page of {bytes} bytes with this reason and title; at most \
                 {MAX_PAGE_BYTES} are allowed (use fewer placeholders)"
            ),
        )
    };
    if let Some(template) = &raw.response.html {
        let bytes = template.page_bytes(raw.reason.as_str(), title);
        if bytes > MAX_PAGE_BYTES {
            found.push(too_big(bytes, html.clone()).involving([field("reason"), field("title")]));
        }
    }
    let translations = field("translations");
    for (tag, translation) in raw.translations.iter().flatten() {
        let at = translations.key(tag.as_str());
        let reason = translation
            .reason
            .as_ref()
            .map_or(raw.reason.as_str(), |reason| reason.as_str());
        let title = translation
            .title
            .as_ref()
            .map_or(title, |title| title.as_str());
        let (template, place) = match (&translation.html, &raw.response.html) {
            (Some(own), _) => (own, at.key("html")),
            (None, Some(shared)) => (shared, html.clone()),
            (None, None) => continue,
        };
        let bytes = template.page_bytes(reason, title);
        if bytes > MAX_PAGE_BYTES {
            found.push(too_big(bytes, place).involving([at]));
        }
    }
}

fn schedule(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    for (name, count) in [
        ("windows", raw.windows.as_ref().map(Vec::len)),
        ("recurring", raw.recurring.as_ref().map(Vec::len)),
    ] {
        match count {
            Some(0) => found.push(Problem::check(
                field(name),
                "is empty, which would never apply maintenance; omit it to apply it always",
            )),
            Some(count) if count > MAX_WINDOWS => found.push(Problem::check(
                field(name),
                format!("has {count} entries; at most {MAX_WINDOWS} are allowed"),
            )),
            _ => {}
        }
    }
    let windows = field("windows");
    for (number, window) in raw.windows.iter().flatten().enumerate() {
        let at = places.item(&windows, number);
        match (&window.start, &window.end) {
            (None, None) => found.push(Problem::check(
                at,
                "gives neither start nor end; a window needs at least one",
            )),
            (Some(start), Some(end)) if start.seconds >= end.seconds => found.push(
                Problem::check(
                    at.key("end"),
                    format!("{:?} is not after start {:?}", end.written, start.written),
                )
                .involving([at.key("start")]),
            ),
            _ => {}
        }
    }
    let recurring = field("recurring");
    for (number, weekly) in raw.recurring.iter().flatten().enumerate() {
        let at = places.item(&recurring, number);
        if let Some(days) = &weekly.days {
            let list = at.key("days");
            if days.is_empty() {
                found.push(Problem::check(
                    list.clone(),
                    "is empty, which is never; omit it for every day",
                ));
            }
            for (n, day) in days.iter().enumerate() {
                if days[..n].iter().any(|earlier| earlier.index == day.index) {
                    found.push(Problem::check(
                        places.item(&list, n),
                        format!("{:?} is given twice", day.written),
                    ));
                }
            }
        }
        if weekly.start.0 == weekly.end.0 {
            found.push(
                Problem::check(
                    at.key("end"),
                    format!(
                        "{:?} equals start, which is no window; use \"00:00\" to \"24:00\" for a \
                         whole day",
                        weekly.end.to_string()
                    ),
                )
                .involving([at.key("start")]),
            );
        }
    }
}

fn fallback(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    let Some(statuses) = raw
        .upstream_fallback
        .as_ref()
        .and_then(|fallback| fallback.statuses.as_ref())
    else {
        return;
    };
    let list = field("upstream_fallback").key("statuses");
    if statuses.is_empty() {
        found.push(Problem::check(
            list.clone(),
            "is empty, which replaces nothing; omit upstream_fallback to turn it off",
        ));
    }
    for (n, status) in statuses.iter().enumerate() {
        if statuses[..n].contains(status) {
            found.push(Problem::check(
                places.item(&list, n),
                format!("{} is given twice", status.0),
            ));
        }
    }
}

fn notice(raw: &RawConfig, found: &mut Vec<Problem>) {
    if raw.notice_before.is_some() && raw.windows.is_none() && raw.recurring.is_none() {
        found.push(
            Problem::check(
                field("notice_before"),
                "needs planned periods (windows or recurring) to give notice of",
            )
            .involving([field("windows"), field("recurring")]),
        );
    }
}

fn translations(raw: &RawConfig, found: &mut Vec<Problem>) {
    let Some(translations) = &raw.translations else {
        return;
    };
    let list = field("translations");
    if translations.is_empty() {
        found.push(Problem::check(
            list.clone(),
            "is empty; omit it to answer in `language` only",
        ));
    }
    if translations.len() > MAX_TRANSLATIONS {
        found.push(Problem::check(
            list.clone(),
            format!(
                "has {} entries; at most {MAX_TRANSLATIONS} are allowed",
                translations.len()
            ),
        ));
    }
    let default = raw.language.as_ref().map_or("en", |tag| tag.as_str());
    let mut seen: Vec<&str> = Vec::new();
    for tag in translations.keys() {
        let at = list.key(tag.as_str());
        if tag.as_str().eq_ignore_ascii_case(default) {
            found.push(
                Problem::check(
                    at,
                    format!(
                        "is the default language (`language`: {default:?}); give its text at \
                         the top level"
                    ),
                )
                .involving([field("language")]),
            );
        } else if seen.iter().any(|t| t.eq_ignore_ascii_case(tag.as_str())) {
            found.push(Problem::check(
                at,
                "is given twice (language tags are case-insensitive)",
            ));
        }
        seen.push(tag.as_str());
    }
}

/// A request path a feature takes.
struct Claim<'a> {
    feature: Feature,
    path: &'a str,
    /// How the path relates to the feature's field (`status_path + "/preview"`).
    note: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Feature {
    /// Answered first, on every host, whether maintenance is on or off.
    StatusEndpoint,
    /// The page's assets: answered next, whenever the page can show.
    Assets,
    /// Answered next while maintenance applies.
    CookieLink,
    /// Sent to the upstream: the `n`-th bypass path read.
    BypassPath(usize),
}

impl Feature {
    fn field(self, places: &Places) -> FieldPath {
        let bypass = field("bypass");
        match self {
            Feature::StatusEndpoint => field("status_path"),
            Feature::Assets => field("response").key("assets_path"),
            Feature::CookieLink => bypass.key("cookie").key("set_path"),
            Feature::BypassPath(number) => places.item(&bypass.key("paths"), number),
        }
    }

    /// Why it wins a path it shares.
    fn first(self) -> &'static str {
        match self {
            Feature::StatusEndpoint => {
                "the status endpoint answers it first, on every host, whether maintenance is on or off"
            }
            Feature::Assets => "the gateway serves the page's assets there first",
            Feature::CookieLink => "the cookie link answers it first while maintenance applies",
            Feature::BypassPath(_) => "the bypass lets it through",
        }
    }

    /// What it then never does.
    fn lost(self) -> &'static str {
        match self {
            Feature::StatusEndpoint => "the status endpoint never answers it",
            Feature::Assets => "the page's assets are never served there",
            Feature::CookieLink => "the link never sets the bypass cookie",
            Feature::BypassPath(_) => {
                "requests for it never reach the upstream as the bypass means"
            }
        }
    }
}

/// Features whose paths overlap: the one the plugin serves first shadows the other, which
/// then never does what it is configured for (a status path on a health check's bypass path
/// answers the health checks itself, on every host, even when every pod is down). The status
/// endpoint and the cookie link take exact paths, bypasses take prefixes; reported at the
/// feature served first (the one to move), once per pair of fields.
fn claimed_paths(raw: &RawConfig, places: &Places, found: &mut Vec<Problem>) {
    let endpoint = raw.status_path.clone().map(|path| path.endpoint());
    let mut exact: Vec<Claim> = Vec::new();
    if let Some(endpoint) = &endpoint {
        exact.push(Claim {
            feature: Feature::StatusEndpoint,
            path: endpoint.path(),
            note: "",
        });
        exact.push(Claim {
            feature: Feature::StatusEndpoint,
            path: endpoint.preview(),
            note: " (status_path + \"/preview\")",
        });
    }
    if let Some(set_path) = raw.bypass.cookie.as_ref().and_then(|c| c.set_path.as_ref()) {
        exact.push(Claim {
            feature: Feature::CookieLink,
            path: set_path.as_str(),
            note: "",
        });
    }
    let bypasses = raw
        .bypass
        .paths
        .iter()
        .enumerate()
        .map(|(n, prefix)| Claim {
            feature: Feature::BypassPath(n),
            path: prefix.as_str(),
            note: "",
        });
    let mut pairs: Vec<(Feature, Feature)> = Vec::new();
    let mut report = |winner: &Claim, loser: &Claim| {
        if pairs.contains(&(winner.feature, loser.feature)) {
            return;
        }
        pairs.push((winner.feature, loser.feature));
        let (field, other) = (winner.feature.field(places), loser.feature.field(places));
        let message = format!(
            "{:?}{} is also claimed by {other} ({:?}): {}, so {}; give each its own path",
            winner.path,
            winner.note,
            loser.path,
            winner.feature.first(),
            loser.feature.lost()
        );
        found.push(Problem::check(field, message).involving([other]));
    };
    for (n, first) in exact.iter().enumerate() {
        for second in &exact[n + 1..] {
            if first.feature != second.feature && first.path == second.path {
                report(first, second);
            }
        }
    }
    // The assets path (a prefix), when assets are served.
    let assets_path = (raw.response.assets.as_ref()).map(|_| {
        (raw.response.assets_path.as_ref()).map_or(DEFAULT_ASSETS_PATH, |path| path.as_str())
    });
    let assets = assets_path.map(|path| Claim {
        feature: Feature::Assets,
        path,
        note: "",
    });
    if let Some(assets) = &assets {
        for claim in exact
            .iter()
            .filter(|c| is_under_prefix(c.path, assets.path))
        {
            match claim.feature {
                Feature::StatusEndpoint => report(claim, assets),
                _ => report(assets, claim),
            }
        }
    }
    for bypass in bypasses {
        for claim in &exact {
            if is_under_prefix(claim.path, bypass.path) {
                report(claim, &bypass);
            }
        }
        if let Some(assets) = &assets {
            if is_under_prefix(bypass.path, assets.path)
                || is_under_prefix(assets.path, bypass.path)
            {
                report(assets, &bypass);
            }
        }
    }
}
