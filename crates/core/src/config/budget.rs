//! How much memory a configuration takes in each VM (one per Envoy worker, plus the main
//! thread's), and the budget it must fit: the maintenance response rendered in every language
//! and format (again for the current window's end when there are windows), the texts it is
//! rendered from, and the route and bypass lists. Checked before the configuration's pages are
//! rendered: a page from a template is counted by its bound (`Template::page_bytes`), so a
//! refused configuration never takes that memory; the rest of a response is small and measured
//! by rendering it.

use super::compile::words;
use super::problem::{FieldPath, Problem};
use super::schema::{RawConfig, MAX_REFRESH};
use crate::bypass::jwt;
use crate::reply::assets::{self, DEFAULT_ASSETS_PATH};
use crate::reply::cors;
use crate::reply::maintenance::DEFAULT_TITLE;
use crate::reply::maintenance::{human_time, MaintenanceResponse, PageOptions, PageText, Words};
use crate::reply::page::Template;
use crate::schedule::calendar::{format_rfc3339, LAST_INSTANT};

/// The most memory a configuration may take in each VM.
pub(crate) const MAX_MEMORY_BYTES: usize = 8 << 20;

/// Per compiled entry (a route, a host, a path, a network, a token, a header): its slot and
/// index keys, besides its text.
const ENTRY_BYTES: usize = 64;
/// A language tag as the longest accepted (in the page and `content-language`).
const TAG_BYTES: usize = 64;

/// The memory a configuration takes, in upper bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Memory {
    /// Rendered responses and the texts they are rendered from.
    pub(crate) pages: usize,
    pub(crate) languages: usize,
    /// Routes, bypass paths, networks and tokens (and JWT rules, CORS origins).
    pub(crate) lists: usize,
    /// The page's own assets (`response.assets`), decoded.
    pub(crate) assets: usize,
}

impl Memory {
    pub(crate) fn total(&self) -> usize {
        self.pages
            .saturating_add(self.lists)
            .saturating_add(self.assets)
    }
}

/// One language's response, in every format, and what it is rendered from.
fn response_bytes(
    title: &str,
    reason: &str,
    words: Words,
    template: Option<&Template>,
    headers: &[(String, String)],
    logo: Option<&str>,
) -> usize {
    let source = template.map_or(0, |t| t.as_str().len())
        + title.len()
        + reason.len()
        + words.expected_back.len()
        + words.default_reason.len();
    let options = PageOptions {
        lang: "x".repeat(TAG_BYTES),
        content_language: true,
        words,
        refresh: Some(MAX_REFRESH),
        logo: logo.map(str::to_string),
    };
    // At its largest: with the window's end (the latest there can be), every header.
    let (until, human) = (format_rfc3339(LAST_INSTANT), human_time(LAST_INSTANT));
    let text = PageText {
        title,
        reason,
        status: 503,
        until: Some(&until),
        until_human: Some(&human),
        options: &options,
    };
    let built_in = MaintenanceResponse::render(&text, None, Some(u64::MAX), headers);
    let html = match template {
        Some(template) => template.page_bytes(reason, title),
        None => built_in.html.body.len(),
    };
    // gRPC: the encoded message, and the trailer frames holding it (base64 for text).
    let grpc = 4 * (built_in.grpc_message_encoded.len() + 64);
    let headers: usize = built_in
        .headers
        .iter()
        .map(|(name, value)| ENTRY_BYTES + name.len() + value.len())
        .sum();
    source + html + built_in.json.body.len() + built_in.plain.body.len() + grpc + headers
}

pub(crate) fn memory(raw: &RawConfig) -> Memory {
    let title = raw.title.as_ref().map_or(DEFAULT_TITLE, |t| t.as_str());
    let reason = raw.reason.as_str();
    let headers: Vec<(String, String)> = raw
        .response
        .headers
        .iter()
        .map(|(name, value)| (name.lower(), value.as_str().to_string()))
        .collect();
    let template = raw.response.html.as_ref();
    let logo = (raw.response.logo.as_ref()).map(|name| {
        let path = (raw.response.assets_path.as_ref()).map_or(DEFAULT_ASSETS_PATH, |p| p.as_str());
        format!("{path}/{}", name.as_str())
    });
    let mut pages = response_bytes(
        title,
        reason,
        words(raw.response.words.clone()),
        template,
        &headers,
        logo.as_deref(),
    );
    let mut languages = 1;
    for translation in raw.translations.iter().flat_map(|t| t.values()) {
        languages += 1;
        pages = pages.saturating_add(response_bytes(
            translation.title.as_ref().map_or(title, |t| t.as_str()),
            translation.reason.as_ref().map_or(reason, |r| r.as_str()),
            words(translation.words.clone()),
            translation.html.as_ref().or(template),
            &headers,
            logo.as_deref(),
        ));
    }
    // With windows, the response announcing the current window's end is kept beside it.
    if raw.windows.is_some() || raw.recurring.is_some() {
        pages = pages.saturating_mul(2);
    }
    let entry = |text: &str| ENTRY_BYTES + text.len();
    let mut lists: usize = raw.bypass.paths.iter().map(|p| entry(p.as_str())).sum();
    lists += (raw.bypass.cidrs.len() + raw.bypass.tokens.len()) * ENTRY_BYTES;
    if let Some(routes) = &raw.routes {
        lists += routes.memory(ENTRY_BYTES);
    }
    lists += raw.bypass.jwt.as_deref().map_or(0, jwt::memory_bytes);
    lists += raw.cors.as_ref().map_or(0, cors::memory_bytes);
    let assets = raw.response.assets.as_ref().map_or(0, assets::total_bytes);
    Memory {
        pages,
        languages,
        lists,
        assets,
    }
}

fn mebibytes(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The problem of a configuration over the budget, with its own figures.
pub(super) fn check(raw: &RawConfig) -> Option<Problem> {
    let memory = memory(raw);
    if memory.total() <= MAX_MEMORY_BYTES {
        return None;
    }
    let (field, advice) = match (memory.pages >= memory.lists, raw.translations.is_some()) {
        (true, true) => (
            "translations",
            "use fewer translations, shorter templates or fewer placeholders",
        ),
        (true, false) => (
            "response.html",
            "use a shorter template or fewer placeholders",
        ),
        (false, _) => ("routes", "use fewer routes or bypass paths"),
    };
    let field = field
        .split('.')
        .fold(FieldPath::default(), |path, name| path.key(name));
    Some(Problem::check(
        field,
        format!(
            "this configuration would take up to {} of memory in each Envoy worker (the \
             maintenance response in {} language{}: {}; routes and bypass lists: {}{}); at most \
             {} are allowed: {advice}",
            mebibytes(memory.total()),
            memory.languages,
            if memory.languages == 1 { "" } else { "s" },
            mebibytes(memory.pages),
            mebibytes(memory.lists),
            match memory.assets {
                0 => String::new(),
                bytes => format!("; the page's assets: {}", mebibytes(bytes)),
            },
            mebibytes(MAX_MEMORY_BYTES),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;
    use crate::reply::maintenance::MaintenanceResponse;
    use crate::schedule::calendar::LAST_INSTANT;

    /// The configuration as read, before any check.
    fn read(text: &str) -> RawConfig {
        super::super::reader::read::<RawConfig>(text.as_bytes())
            .value
            .unwrap()
    }

    /// What a rendered response holds, in every language.
    fn rendered(response: &MaintenanceResponse) -> usize {
        [response]
            .into_iter()
            .chain(&response.translations)
            .map(|r| {
                r.html.body.len()
                    + r.json.body.len()
                    + r.plain.body.len()
                    + r.grpc_message_encoded.len()
            })
            .sum()
    }

    /// 64 translations (2-letter tags, `en` left out), each with `extra` fields.
    fn translations(extra: &str) -> String {
        let tags = ('a'..='z')
            .flat_map(|a| ('a'..='z').map(move |b| format!("{a}{b}")))
            .filter(|tag| tag != "en")
            .take(64);
        tags.map(|tag| format!(r#""{tag}": {{"title": "{tag}"{extra}}}"#))
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn the_estimate_bounds_what_is_rendered() {
        let quotes = "\\\"".repeat(4096);
        let template = "{{reason}}".repeat(40);
        let configs = [
            "{}".to_string(),
            format!(
                r#"{{"reason": "{quotes}", "title": "{}"}}"#,
                "<".repeat(1024)
            ),
            format!(r#"{{"reason": "{quotes}", "response": {{"html": "{template}"}}}}"#),
            format!(
                r#"{{"reason": "{quotes}", "response": {{"html": "{template}"}},
                    "translations": {{"fr": {{"reason": "r"}}, "de": {{"html": "<p>{{{{title}}}}"}}}}}}"#
            ),
            format!(
                r#"{{"reason": "{quotes}", "translations": {{{}}},
                    "windows": [{{"end": "2030-01-01T00:00:00Z"}}]}}"#,
                translations(r#", "words": {"expected_back": "Zurück"}"#)
            ),
        ];
        for text in configs {
            let plan: Plan = super::super::parse(text.as_bytes()).unwrap();
            let mut actual = rendered(&plan.response);
            if plan.schedule.is_some() {
                actual += rendered(&plan.response_spec.render(Some(LAST_INSTANT)));
            }
            let estimate = memory(&read(&text)).pages;
            assert!(
                actual <= estimate,
                "{actual} > {estimate}: {}",
                &text[..80.min(text.len())]
            );
            // An upper bound, not a guess from nowhere: within a few times what it bounds.
            assert!(
                estimate <= 4 * actual + 16 * 1024,
                "{estimate} for {actual}"
            );
        }
    }

    #[test]
    fn sixty_four_heavy_translations_are_refused_with_their_figure() {
        // Each page repeats a 4 KiB reason of quotes (24 KiB once escaped) 8 times: 200 KiB,
        // well within the page limit; 65 of them are not within the budget.
        let heavy = format!(
            r#"{{"enabled": true, "reason": "{}", "response": {{"html": "{}"}},
                "translations": {{{}}}}}"#,
            "\\\"".repeat(4096),
            "{{reason}}".repeat(8),
            translations("")
        );
        let problems = super::super::parse(heavy.as_bytes()).unwrap_err();
        let message = problems.to_string();
        assert_eq!(problems.len(), 1, "{message}");
        assert!(
            message.starts_with("translations: this configuration would take up to ")
                && message.contains("in 65 languages")
                && message.contains("at most 8.0 MiB are allowed"),
            "{message}"
        );
        let total = memory(&read(&heavy)).total();
        assert!(message.contains(&format!("{:.1} MiB", total as f64 / 1048576.0)));
        assert!(total > MAX_MEMORY_BYTES);
        // The same pages in fewer languages fit.
        let light = heavy.replace(&translations(""), r#""fr": {}, "de": {}"#);
        assert!(super::super::parse(light.as_bytes()).is_ok());
    }

    #[test]
    fn ten_thousand_routes_and_bypass_paths_fit() {
        let routes: Vec<String> = (0..10_000)
            .map(|i| match i % 2 {
                1 => format!(
                    r#"{{"hosts": ["svc-{i}.example.com", "*.svc-{i}.example.net"], "path_prefix": "/api/v{i}"}}"#
                ),
                _ => format!(r#"{{"hosts": ["app-{i}.example.org"]}}"#),
            })
            .collect();
        let paths: Vec<String> = (0..10_000)
            .map(|i| format!(r#""/internal/health-{i}""#))
            .collect();
        let text = format!(
            r#"{{"enabled": true, "routes": [{}], "bypass": {{"paths": [{}]}}}}"#,
            routes.join(","),
            paths.join(",")
        );
        let memory = memory(&read(&text));
        assert!(memory.total() < MAX_MEMORY_BYTES / 2, "{memory:?}");
        assert!(memory.lists > 1 << 20, "{memory:?}");
    }
}
