//! Assembles a configuration that was read and checked into the [`Plan`] the filter consults:
//! every value is already valid (its type checked it as it was read, `conflicts.rs` checked
//! the rest), so nothing here can fail.

use std::sync::Arc;

use crate::bypass::cookie::BypassCookie;
use crate::bypass::expiry::Expiries;
use crate::bypass::jwt;
use crate::bypass::networks::Networks;
use crate::bypass::paths::BypassPaths;
use crate::bypass::tokens::Tokens;
use crate::bypass::Bypass;
use crate::plan::Plan;
use crate::reply::assets::{self, Assets};
use crate::reply::cors::CorsConfig;
use crate::reply::language::Languages;
use crate::reply::maintenance::{PageOptions, ResponseSpec, Words, DEFAULT_TITLE};
use crate::schedule::{Schedule, WeeklyWindow, Window};
use crate::scope::Scope;

use super::schema::*;

/// Default lifetime of the bypass cookie, in seconds.
pub(crate) const DEFAULT_COOKIE_MAX_AGE: u64 = 3600;
/// Upstream statuses replaced by default when `upstream_fallback` gives no `statuses`.
pub(crate) const DEFAULT_FALLBACK_STATUSES: [u16; 3] = [502, 503, 504];

pub(super) fn compile(raw: RawConfig) -> Plan {
    let title = raw
        .title
        .map_or_else(|| DEFAULT_TITLE.to_string(), |title| title.into_string());
    let reason = raw.reason.into_string();
    let scope = match raw.routes {
        None => Scope::everything(),
        Some(routes) => Scope::from_routes(routes.into_routes()),
    };
    let assets = (raw.response.assets)
        .map(|files| assets::compile(files, raw.response.assets_path, raw.response.logo));
    let languages_configured = raw.language.is_some() || raw.translations.is_some();
    let language = raw
        .language
        .map_or_else(|| "en".to_string(), |tag| tag.into_string());
    let mut response_spec = ResponseSpec {
        title,
        reason: reason.clone(),
        status: raw.status.map_or(503, |status| status.0),
        template: raw.response.html.map(|html| html.into_string()),
        retry_after: raw.retry_after,
        extra_headers: raw
            .response
            .headers
            .into_iter()
            .map(|(name, value)| (name.lower(), value.into_string()))
            .collect(),
        options: PageOptions {
            lang: language.clone(),
            content_language: languages_configured,
            words: words(raw.response.words),
            refresh: raw.response.refresh.map(|seconds| seconds.0),
            logo: assets.as_ref().and_then(Assets::logo_url),
        },
        translations: Vec::new(),
    };
    let mut languages = Languages {
        tags: Vec::new(),
        default: language,
    };
    for (tag, translation) in raw.translations.into_iter().flatten() {
        let tag = tag.into_string();
        response_spec.translations.push(ResponseSpec {
            title: translation
                .title
                .map_or_else(|| response_spec.title.clone(), |title| title.into_string()),
            reason: translation.reason.map_or_else(
                || response_spec.reason.clone(),
                |reason| reason.into_string(),
            ),
            status: response_spec.status,
            template: translation
                .html
                .map(|html| html.into_string())
                .or_else(|| response_spec.template.clone()),
            retry_after: response_spec.retry_after,
            extra_headers: response_spec.extra_headers.clone(),
            options: PageOptions {
                lang: tag.clone(),
                content_language: true,
                words: words(translation.words),
                refresh: response_spec.options.refresh,
                logo: response_spec.options.logo.clone(),
            },
            translations: Vec::new(),
        });
        languages.tags.push(tag);
    }
    let fallback_statuses = match raw.upstream_fallback {
        None => Vec::new(),
        Some(fallback) => fallback.statuses.map_or_else(
            || DEFAULT_FALLBACK_STATUSES.to_vec(),
            |statuses| statuses.into_iter().map(|status| status.0).collect(),
        ),
    };
    Plan {
        enabled: raw.enabled,
        reason,
        scope,
        bypass: bypass(raw.bypass),
        response: Arc::new(response_spec.render(None)),
        response_spec,
        schedule: schedule(raw.windows, raw.recurring),
        fallback_statuses,
        dry_run: raw.dry_run,
        status_endpoint: raw.status_path.map(|path| path.endpoint()),
        notice_before: raw
            .notice_before
            .and_then(|seconds| i64::try_from(seconds.0).ok()),
        languages,
        cors: raw.cors.map(CorsConfig::compile),
        assets,
    }
}

pub(super) fn words(raw: Option<RawWords>) -> Words {
    let mut words = Words::default();
    if let Some(raw) = raw {
        if let Some(expected_back) = raw.expected_back {
            words.expected_back = expected_back.into_string();
        }
        if let Some(default_reason) = raw.default_reason {
            words.default_reason = default_reason.into_string();
        }
    }
    words
}

fn bypass(raw: RawBypass) -> Bypass {
    let mut expiries = Expiries::default();
    let mut tokens = Tokens::default();
    for (index, token) in raw.tokens.into_iter().enumerate() {
        let header = token.header.into_name().into_string();
        let not_after = token.not_after.map(|instant| instant.seconds);
        if let Some(end) = not_after {
            expiries.push(format!("bypass.tokens[{index}] (header {header})"), end);
        }
        tokens.add(header, token.sha256, not_after);
    }
    let cookie = raw.cookie.map(|cookie| {
        let name = cookie.name.into_string();
        let not_after = cookie.not_after.map(|instant| instant.seconds);
        if let Some(end) = not_after {
            expiries.push(format!("bypass.cookie (cookie {name})"), end);
        }
        BypassCookie {
            name,
            digest: cookie.sha256,
            max_age: cookie
                .max_age
                .map_or(DEFAULT_COOKIE_MAX_AGE, |seconds| seconds.0),
            secure: cookie.secure.unwrap_or(true),
            set_path: cookie.set_path.map(|path| path.into_string()),
            not_after,
        }
    });
    Bypass {
        paths: BypassPaths::new(raw.paths.into_iter().map(|path| path.into_string())),
        tokens,
        cookie,
        networks: Networks::new(raw.cidrs),
        expiries,
        header: raw.header.map(|header| header.into_name().into_string()),
        acme: raw.acme.unwrap_or(true),
        jwt: raw.jwt.map(jwt::compile).unwrap_or_default(),
    }
}

fn schedule(
    windows: Option<Vec<RawWindow>>,
    recurring: Option<Vec<RawRecurring>>,
) -> Option<Schedule> {
    if windows.is_none() && recurring.is_none() {
        return None;
    }
    let windows = windows
        .into_iter()
        .flatten()
        .map(|window| Window {
            start: window.start.map(|start| start.seconds),
            end: window.end.map(|end| end.seconds),
        })
        .collect();
    // `conflicts.rs` refused a window whose end equals its start, the one `new` refuses.
    let weekly = recurring
        .into_iter()
        .flatten()
        .filter_map(|weekly| {
            let mut days = [weekly.days.is_none(); 7];
            for day in weekly.days.iter().flatten() {
                days[day.index] = true;
            }
            let offset = weekly.utc_offset.map_or(0, |offset| offset.0);
            WeeklyWindow::new(days, weekly.start.0, weekly.end.0, offset)
        })
        .collect();
    Some(Schedule { windows, weekly })
}
