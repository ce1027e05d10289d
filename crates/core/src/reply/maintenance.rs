//! The maintenance responses, rendered once per configuration (and once per maintenance window
//! when the page says until when) so a request only picks one.

use crate::bytes::{base64_encode, grpc_percent_encode};
use crate::reply::format::{Format, Web};
use crate::reply::json::Object;
use crate::schedule::calendar::{civil_from_days, format_rfc3339, DAY};

/// The heading used when the configuration gives no `title`.
pub const DEFAULT_TITLE: &str = "Down for maintenance";

/// Shown on the HTML page when the configuration gives no `reason`.
const DEFAULT_HTML_REASON: &str =
    "We are carrying out maintenance and will be back shortly. Please try again later.";

/// Placeholders a custom `response.html` template may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &["{{reason}}", "{{title}}", "{{status}}", "{{until}}"];

/// The built-in page's own words, in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub expected_back: String,
    pub default_reason: String,
}

impl Default for Words {
    fn default() -> Words {
        Words {
            expected_back: "Expected back by".to_string(),
            default_reason: DEFAULT_HTML_REASON.to_string(),
        }
    }
}

/// How the built-in page is dressed, apart from its text.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// The language tag (the page's `lang`, `en` when not configured).
    pub lang: String,
    /// Whether responses say `content-language` (a language was configured).
    pub content_language: bool,
    pub words: Words,
    /// Reload the page every this many seconds.
    pub refresh: Option<u64>,
    /// The URL path of the logo shown above the title (`response.logo`, served by the gateway:
    /// `assets.rs`).
    pub logo: Option<String>,
}

/// The values a page is rendered from.
#[derive(Debug, Clone)]
pub struct PageText<'a> {
    pub title: &'a str,
    pub reason: &'a str,
    pub status: u16,
    /// When the maintenance window ends (RFC 3339), if known.
    pub until: Option<&'a str>,
    /// The same end for people (`2026-12-01 04:00 UTC`), if known.
    pub until_human: Option<&'a str>,
    pub options: &'a PageOptions,
}

/// One format's ready response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Everything needed to answer a request with maintenance.
#[derive(Debug, Clone)]
pub struct MaintenanceResponse {
    pub status: u16,
    /// The reason as `grpc-message`: percent-encoded as gRPC requires.
    pub grpc_message_encoded: String,
    /// The gRPC-web trailer frame (`grpc-status` and `grpc-message`), the body of a gRPC-web
    /// reply; and the same in base64 for `application/grpc-web-text`.
    grpc_web_trailers: Vec<u8>,
    grpc_web_trailers_text: Vec<u8>,
    /// `cache-control`, `retry-after` (when configured) and the configured extra headers.
    pub headers: Vec<(String, String)>,
    /// Without a configured `retry_after`: the end of the maintenance window, from which each
    /// response computes its `retry-after`.
    pub retry_after_until: Option<i64>,
    pub html: Rendered,
    pub json: Rendered,
    pub plain: Rendered,
    /// The same response in each of `translations` (see `language.rs`), in their order.
    pub translations: Vec<MaintenanceResponse>,
}

impl MaintenanceResponse {
    /// Renders every format. `template` replaces the built-in page when given.
    pub fn render(
        text: &PageText,
        template: Option<&str>,
        retry_after: Option<u64>,
        extra_headers: &[(String, String)],
    ) -> MaintenanceResponse {
        let mut headers = vec![("cache-control".to_string(), "no-store".to_string())];
        if let Some(seconds) = retry_after {
            headers.push(("retry-after".to_string(), seconds.to_string()));
        }
        headers.extend(extra_headers.iter().cloned());
        if text.options.content_language {
            headers.push(("content-language".to_string(), text.options.lang.clone()));
        }
        let grpc_message_encoded = grpc_percent_encode(text.reason.as_bytes());
        let grpc_web_trailers = grpc_web_trailer_frame(&grpc_message_encoded);
        MaintenanceResponse {
            status: text.status,
            grpc_web_trailers_text: base64_encode(&grpc_web_trailers),
            grpc_web_trailers,
            grpc_message_encoded,
            headers,
            retry_after_until: None,
            html: Rendered {
                content_type: "text/html; charset=utf-8",
                body: tight(match template {
                    Some(template) => fill_template(template, text),
                    None => builtin_page(text),
                }),
            },
            json: Rendered {
                content_type: "application/problem+json",
                body: tight(problem_json(text)),
            },
            plain: Rendered {
                content_type: "text/plain; charset=utf-8",
                body: tight(plain_text(text)),
            },
            translations: Vec::new(),
        }
    }

    /// This response in the language `choice` made (`Language::choose`); `None`: the default.
    pub fn in_language(&self, choice: Option<usize>) -> &MaintenanceResponse {
        choice
            .and_then(|index| self.translations.get(index))
            .unwrap_or(self)
    }

    /// The `retry-after` a response sent at `now` needs on top of `headers`: the whole seconds
    /// left in the window (at least 1), unless `retry_after` is configured.
    pub fn retry_after_at(&self, now: i64) -> Option<u64> {
        self.retry_after_until
            .map(|end| u64::try_from(end.saturating_sub(now)).unwrap_or(0).max(1))
    }

    /// The rendered body for an HTTP format; `None` for gRPC, which has no body.
    pub fn rendered(&self, format: Format) -> Option<&Rendered> {
        match format {
            Format::Html => Some(&self.html),
            Format::Json => Some(&self.json),
            Format::Plain => Some(&self.plain),
            Format::Grpc(_) => None,
        }
    }
}

/// A rendered text as kept for the configuration's life: without the spare capacity it grew
/// with (up to as much again, in every VM and language).
fn tight(text: String) -> Vec<u8> {
    let mut bytes = text.into_bytes();
    bytes.shrink_to_fit();
    bytes
}

/// The gRPC status of every maintenance reply: UNAVAILABLE.
pub const GRPC_UNAVAILABLE: &str = "14";

/// A gRPC-web trailer frame (PROTOCOL-WEB.md): flag byte 0x80, the length (u32, big-endian),
/// then the trailers as an HTTP/1 header block, `name:value\r\n` each (as Envoy's grpc_web
/// filter writes them).
fn grpc_web_trailer_frame(encoded_message: &str) -> Vec<u8> {
    let mut block = format!("grpc-status:{GRPC_UNAVAILABLE}\r\n");
    if !encoded_message.is_empty() {
        block.push_str(&format!("grpc-message:{encoded_message}\r\n"));
    }
    // The block is a few hundred bytes at most (the reason is limited by the configuration).
    let length = u32::try_from(block.len()).unwrap_or(u32::MAX);
    let mut frame = Vec::with_capacity(5 + block.len());
    frame.push(0x80);
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(block.as_bytes());
    frame
}

impl MaintenanceResponse {
    /// The body of a gRPC-web reply: the trailer frame, base64-encoded for the text variants.
    pub fn grpc_web_body(&self, web: Web) -> &[u8] {
        match web.is_text() {
            true => &self.grpc_web_trailers_text,
            false => &self.grpc_web_trailers,
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// What `MaintenanceResponse`s are rendered from, kept to render again when the window changes.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    pub title: String,
    pub reason: String,
    pub status: u16,
    pub template: Option<String>,
    pub retry_after: Option<u64>,
    pub extra_headers: Vec<(String, String)>,
    pub options: PageOptions,
    /// The same in other languages (their `translations` are empty).
    pub translations: Vec<ResponseSpec>,
}

impl ResponseSpec {
    /// Renders every format for a maintenance window ending at `until` (unix seconds), if known,
    /// in every language.
    pub fn render(&self, until: Option<i64>) -> MaintenanceResponse {
        let until_text = until.map(format_rfc3339);
        let until_human = until.map(human_time);
        let mut response = MaintenanceResponse::render(
            &PageText {
                title: &self.title,
                reason: &self.reason,
                status: self.status,
                until: until_text.as_deref(),
                until_human: until_human.as_deref(),
                options: &self.options,
            },
            self.template.as_deref(),
            self.retry_after,
            &self.extra_headers,
        );
        if self.retry_after.is_none() {
            response.retry_after_until = until;
        }
        response.translations = self.translations.iter().map(|t| t.render(until)).collect();
        response
    }
}

/// `2026-12-01 04:00 UTC`: the end of a window for people, in any language, rounded up to the
/// minute (the page says "back by"). The page's script shows it in the visitor's time zone.
pub fn human_time(seconds: i64) -> String {
    let seconds = seconds.saturating_add(59).div_euclid(60) * 60;
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let minutes = seconds.rem_euclid(DAY) / 60;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// Fills placeholders in one pass, so placeholder-like text inside the reason or title stays
/// literal. The page is sized first and allocated once: a string grown as it is filled could
/// keep up to twice the page, for the whole configuration's life, in every VM and language.
fn fill_template(template: &str, text: &PageText) -> String {
    let (reason, title) = (escape_html(text.reason), escape_html(text.title));
    let (status, until) = (
        text.status.to_string(),
        escape_html(text.until.unwrap_or_default()),
    );
    let values = [
        ("{{reason}}", reason.as_str()),
        ("{{title}}", title.as_str()),
        ("{{status}}", status.as_str()),
        ("{{until}}", until.as_str()),
    ];
    let walk = |piece: &mut dyn FnMut(&str)| {
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            piece(&rest[..start]);
            let after = &rest[start..];
            let (value, length) = values
                .iter()
                .find(|(placeholder, _)| after.starts_with(placeholder))
                .map_or(("{{", 2), |(placeholder, value)| {
                    (*value, placeholder.len())
                });
            piece(value);
            rest = &after[length..];
        }
        piece(rest);
    };
    let mut size = 0;
    walk(&mut |piece| size += piece.len());
    let mut filled = String::with_capacity(size);
    walk(&mut |piece| filled.push_str(piece));
    filled
}

/// Shows the window's end in the visitor's time zone and language, and reloads the page some
/// 5 to 10 seconds after it (spread so visitors do not all come back at once; at least 5 s
/// away, so a fast client clock cannot make it reload in a loop; capped below the 24.8 days
/// beyond which `setTimeout` fires at once).
const UNTIL_SCRIPT: &str = "<script>(function(){var t=document.querySelector(\"time\"),\
d=new Date(t.dateTime);try{t.textContent=d.toLocaleString(document.documentElement.lang,\
{dateStyle:\"long\",timeStyle:\"short\"})}catch(e){}setTimeout(function(){location.reload()},\
Math.min(Math.max(d-Date.now(),0)+5e3*(1+Math.random()),2e9))})()</script>\n";

fn builtin_page(text: &PageText) -> String {
    let options = text.options;
    let title = escape_html(text.title);
    let reason = if text.reason.is_empty() {
        escape_html(&options.words.default_reason)
    } else {
        escape_html(text.reason)
    };
    let (until, script) = match (text.until, text.until_human) {
        (Some(until), Some(human)) => (
            format!(
                "<p>{} <time datetime=\"{}\">{}</time>.</p>\n",
                escape_html(&options.words.expected_back),
                escape_html(until),
                escape_html(human)
            ),
            UNTIL_SCRIPT,
        ),
        _ => (String::new(), ""),
    };
    let refresh = match options.refresh {
        Some(seconds) => format!("<meta http-equiv=\"refresh\" content=\"{seconds}\">\n"),
        None => String::new(),
    };
    let lang = match options.lang.as_str() {
        "" => "en".to_string(),
        lang => escape_html(lang),
    };
    // The title as the logo's text: it stands for the organisation the page speaks for.
    let (logo, logo_style) = match &options.logo {
        Some(url) => (
            format!(
                "<img class=\"logo\" src=\"{}\" alt=\"{title}\">\n",
                escape_html(url)
            ),
            ".logo{display:block;max-width:100%;max-height:6rem;height:auto;margin:0 0 1.5rem}\n",
        ),
        None => (String::new(), ""),
    };
    // Self-contained (no external assets: the upstreams may be down), readable on a phone
    // (long words and URLs wrap anywhere), dark-mode aware, with a landmark and a heading for
    // screen readers; works without its script.
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n{refresh}<title>{title}</title>\n<style>\n\
:root{{color-scheme:light dark}}\n\
body{{margin:0;min-height:100vh;display:grid;place-items:center;\
font:1.125rem/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;\
background:#f6f7f9;color:#1f2328}}\n\
main{{max-width:36rem;min-width:0;padding:2rem 1.5rem;overflow-wrap:anywhere}}\n\
h1{{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}}\n\
p{{margin:0 0 1rem;white-space:pre-line}}\n\
.status{{color:#59636e;font-size:.875rem}}\n\
@media (prefers-color-scheme:dark){{body{{background:#0d1117;color:#e6edf3}}.status{{color:#9198a1}}}}\n\
{logo_style}</style>\n</head>\n<body>\n<main>\n{logo}<h1>{title}</h1>\n<p>{reason}</p>\n\
{until}<p class=\"status\">HTTP {status}</p>\n</main>\n{script}</body>\n</html>\n",
        status = text.status
    )
}

/// RFC 9457 problem details, members in the RFC's order for readability: `title`, `status`,
/// `detail`, and `until` (RFC 3339 end of the maintenance window, an extension member) when
/// known.
fn problem_json(text: &PageText) -> String {
    let mut problem = Object::new();
    problem
        .string("title", text.title)
        .number("status", text.status)
        .string("detail", text.reason);
    if let Some(until) = text.until {
        problem.string("until", until);
    }
    problem.finish()
}

fn plain_text(text: &PageText) -> String {
    let mut plain = format!("{}\n", text.title);
    if !text.reason.is_empty() {
        plain.push_str(&format!("\n{}\n", text.reason));
    }
    if let Some(until) = text.until {
        let words = &text.options.words.expected_back;
        plain.push_str(&format!("\n{words} {until}.\n"));
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "<script>alert(\"x\")</script> & 'quotes' \\ \n line2 \u{1F6A7} {{title}}";

    static OPTIONS: std::sync::LazyLock<PageOptions> = std::sync::LazyLock::new(|| PageOptions {
        lang: "en".to_string(),
        ..PageOptions::default()
    });

    fn text(reason: &str) -> PageText<'_> {
        PageText {
            title: "Back soon",
            reason,
            status: 503,
            until: None,
            until_human: None,
            options: &OPTIONS,
        }
    }

    fn spec(options: PageOptions) -> ResponseSpec {
        ResponseSpec {
            title: "Back soon".to_string(),
            reason: "db".to_string(),
            status: 503,
            template: None,
            retry_after: None,
            extra_headers: vec![],
            options,
            translations: vec![],
        }
    }

    #[test]
    fn grpc_web_body_is_one_trailer_frame() {
        let page = MaintenanceResponse::render(&text("db 100% \u{e9}"), None, None, &[]);
        assert_eq!(page.grpc_message_encoded, "db 100%25 %C3%A9");
        let block = b"grpc-status:14\r\ngrpc-message:db 100%25 %C3%A9\r\n";
        let mut frame = vec![0x80, 0, 0, 0, block.len() as u8];
        frame.extend_from_slice(block);
        assert_eq!(page.grpc_web_body(Web::Binary), frame.as_slice());
        assert_eq!(page.grpc_web_body(Web::BinaryProto), frame.as_slice());
        assert_eq!(
            page.grpc_web_body(Web::TextProto),
            crate::bytes::base64_encode(&frame).as_slice()
        );
        // Without a reason: the status alone.
        let page = MaintenanceResponse::render(&text(""), None, None, &[]);
        assert_eq!(
            page.grpc_web_body(Web::Text),
            crate::bytes::base64_encode(b"\x80\0\0\0\x10grpc-status:14\r\n").as_slice()
        );
    }

    #[test]
    fn html_escapes_the_reason() {
        let page = MaintenanceResponse::render(&text(NASTY), None, None, &[]);
        let body = String::from_utf8(page.html.body).unwrap();
        assert!(!body.contains("<script>"));
        assert!(body
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"));
        assert!(body.contains("<title>Back soon</title>"));
        assert!(body.contains("HTTP 503"));
        // Placeholders inside the reason are not expanded.
        assert!(body.contains("{{title}}"));
    }

    #[test]
    fn json_round_trips_any_reason() {
        let page = MaintenanceResponse::render(&text(NASTY), None, None, &[]);
        let value: serde_json::Value = serde_json::from_slice(&page.json.body).unwrap();
        assert_eq!(value["detail"], NASTY);
        assert_eq!(value["title"], "Back soon");
        assert_eq!(value["status"], 503);
        assert_eq!(page.json.content_type, "application/problem+json");
    }

    #[test]
    fn plain_text_has_title_and_reason() {
        let page = MaintenanceResponse::render(&text("db upgrade"), None, None, &[]);
        assert_eq!(page.plain.body, b"Back soon\n\ndb upgrade\n");
        let page = MaintenanceResponse::render(&text(""), None, None, &[]);
        assert_eq!(page.plain.body, b"Back soon\n");
    }

    #[test]
    fn placeholders_inside_the_reason_stay_literal() {
        let page = MaintenanceResponse::render(
            &text("{{title}} {{status}}"),
            Some("<p>{{reason}}</p>"),
            None,
            &[],
        );
        assert_eq!(page.html.body, b"<p>{{title}} {{status}}</p>".to_vec());
    }

    #[test]
    fn template_placeholders_are_filled_and_escaped() {
        let page = MaintenanceResponse::render(
            &text("<b>"),
            Some("<h1>{{title}}</h1><p>{{reason}}</p><i>{{status}}</i>{{reason}}"),
            None,
            &[],
        );
        assert_eq!(
            page.html.body,
            b"<h1>Back soon</h1><p>&lt;b&gt;</p><i>503</i>&lt;b&gt;".to_vec()
        );
    }

    #[test]
    fn headers_carry_no_store_retry_after_and_extras() {
        let extra = vec![("x-maintenance".to_string(), "yes".to_string())];
        let page = MaintenanceResponse::render(&text("r"), None, Some(120), &extra);
        assert_eq!(
            page.headers,
            vec![
                ("cache-control".to_string(), "no-store".to_string()),
                ("retry-after".to_string(), "120".to_string()),
                ("x-maintenance".to_string(), "yes".to_string()),
            ]
        );
        let page = MaintenanceResponse::render(&text("r"), None, None, &[]);
        assert!(page.headers.iter().all(|(name, _)| name != "retry-after"));
    }

    #[test]
    fn builtin_page_is_small_and_self_contained() {
        let page = MaintenanceResponse::render(&text("r"), None, None, &[]);
        let body = String::from_utf8(page.html.body).unwrap();
        assert!(body.len() < 2048, "{}", body.len());
        assert!(!body.contains("http://") && !body.contains("https://") && !body.contains("src="));
        assert!(body.contains("name=\"viewport\""));
        assert!(body.contains("<html lang=\"en\">"));
    }

    #[test]
    fn template_is_filled_in_one_pass() {
        let page = MaintenanceResponse::render(
            &PageText {
                title: "{{reason}}",
                reason: "{{title}} {{until}} {{status}}",
                status: 503,
                until: Some("2025-06-01T04:00:00Z"),
                until_human: None,
                options: &OPTIONS,
            },
            Some("{{title}}|{{reason}}|{{until}}|{{x}}"),
            None,
            &[],
        );
        assert_eq!(
            page.html.body,
            b"{{reason}}|{{title}} {{until}} {{status}}|2025-06-01T04:00:00Z|{{x}}".to_vec()
        );
    }

    #[test]
    fn until_appears_in_every_body_when_known() {
        let spec = spec(OPTIONS.clone());
        let page = spec.render(Some(1_748_743_200));
        let html = String::from_utf8(page.html.body.clone()).unwrap();
        assert!(html.contains(
            "Expected back by <time datetime=\"2025-06-01T02:00:00Z\">2025-06-01 02:00 UTC</time>."
        ));
        // The script that shows it in local time and reloads the page when the window ends.
        assert!(html.contains("location.reload()"));
        assert!(html.len() < 2048, "{}", html.len());
        let json: serde_json::Value = serde_json::from_slice(&page.json.body).unwrap();
        assert_eq!(json["until"], "2025-06-01T02:00:00Z");
        assert_eq!(
            page.plain.body,
            b"Back soon\n\ndb\n\nExpected back by 2025-06-01T02:00:00Z.\n".to_vec()
        );
        assert_eq!(page.retry_after_until, Some(1_748_743_200));
        let page = spec.render(None);
        assert!(!String::from_utf8(page.html.body)
            .unwrap()
            .contains("Expected"));
        assert_eq!(page.plain.body, b"Back soon\n\ndb\n".to_vec());
        assert_eq!(page.retry_after_until, None);
        let json: serde_json::Value = serde_json::from_slice(&page.json.body).unwrap();
        assert!(json.get("until").is_none());
    }

    #[test]
    fn human_time_rounds_up_to_the_minute() {
        assert_eq!(human_time(1_748_743_200), "2025-06-01 02:00 UTC");
        assert_eq!(human_time(1_748_743_201), "2025-06-01 02:01 UTC");
        assert_eq!(human_time(1_748_743_259), "2025-06-01 02:01 UTC");
        assert_eq!(human_time(86_400 - 1), "1970-01-02 00:00 UTC");
    }

    #[test]
    fn words_language_and_refresh_on_the_builtin_page() {
        let french = PageOptions {
            lang: "fr".to_string(),
            content_language: true,
            words: Words {
                expected_back: "Retour prévu le".to_string(),
                default_reason: "Nous revenons vite.".to_string(),
            },
            refresh: Some(30),
            logo: None,
        };
        let mut spec = spec(french);
        spec.reason = String::new();
        let page = spec.render(Some(1_748_743_200));
        let html = String::from_utf8(page.html.body.clone()).unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("<p>Nous revenons vite.</p>"));
        assert!(html.contains("Retour prévu le <time datetime="));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
        assert!(!html.contains("Expected"));
        assert_eq!(
            page.plain.body,
            "Back soon\n\nRetour prévu le 2025-06-01T02:00:00Z.\n".as_bytes()
        );
        assert!(page
            .headers
            .contains(&("content-language".to_string(), "fr".to_string())));
        // Without a configured language: no content-language, no refresh, no script.
        let page = MaintenanceResponse::render(&text("r"), None, None, &[]);
        assert!(page
            .headers
            .iter()
            .all(|(name, _)| name != "content-language"));
        let html = String::from_utf8(page.html.body).unwrap();
        assert!(!html.contains("refresh") && !html.contains("<script>"));
    }

    #[test]
    fn builtin_page_stays_small_with_everything_on() {
        let options = PageOptions {
            lang: "zh-Hant-TW".to_string(),
            content_language: true,
            words: Words::default(),
            refresh: Some(86_400),
            logo: Some("/__maintenance/assets/a-rather-long-logo-name.svg".to_string()),
        };
        let mut spec = spec(options);
        spec.title = DEFAULT_TITLE.to_string();
        spec.reason = String::new();
        let html = spec.render(Some(i64::from(i32::MAX))).html.body;
        // The default reason stands in for the reason here; the limit is before the reason.
        let without_reason = html.len() - DEFAULT_HTML_REASON.len();
        assert!(without_reason < 2048, "{without_reason}");
    }

    #[test]
    fn the_logo_shows_above_the_title_with_the_title_as_text() {
        let mut options = OPTIONS.clone();
        options.logo = Some("/__maintenance/assets/logo.svg".to_string());
        let mut with_logo = spec(options);
        with_logo.title = "Shop & Co".to_string();
        let html = String::from_utf8(with_logo.render(None).html.body).unwrap();
        assert!(
            html.contains(
                "<main>\n<img class=\"logo\" src=\"/__maintenance/assets/logo.svg\" alt=\"Shop &amp; Co\">\n<h1>Shop &amp; Co</h1>"
            ),
            "{html}"
        );
        assert!(html.contains(".logo{"));
        let plain = String::from_utf8(spec(OPTIONS.clone()).render(None).html.body).unwrap();
        assert!(!plain.contains("<img") && !plain.contains(".logo{"));
    }

    #[test]
    fn translations_render_with_the_same_end() {
        let mut spec = spec(OPTIONS.clone());
        let mut french = spec.clone();
        french.title = "Maintenance".to_string();
        french.options.lang = "fr".to_string();
        spec.translations.push(french);
        let page = spec.render(Some(1_748_743_200));
        assert_eq!(page.translations.len(), 1);
        let chosen = page.in_language(Some(0));
        assert!(chosen.plain.body.starts_with(b"Maintenance\n"));
        assert!(String::from_utf8_lossy(&chosen.html.body).contains("2025-06-01T02:00:00Z"));
        assert!(page.in_language(None).plain.body.starts_with(b"Back soon"));
        assert!(page
            .in_language(Some(5))
            .plain
            .body
            .starts_with(b"Back soon"));
    }
}
