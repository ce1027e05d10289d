//! What operators configure of the maintenance response, each value checked as it is read: the
//! status, the texts and their sizes, the built-in page's words, a template, extra headers.

use std::fmt;

use serde::Deserialize;

use crate::header_name::{HeaderName, HOP_BY_HOP};
use crate::reply::maintenance::{escape_html, TEMPLATE_PLACEHOLDERS};
use crate::schedule::calendar::{format_rfc3339, LAST_INSTANT};

/// Longest accepted `reason`, in bytes.
pub const MAX_REASON_BYTES: usize = 4096;
/// Longest accepted `title`, in bytes.
pub const MAX_TITLE_BYTES: usize = 1024;
/// Largest accepted `response.html` template, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Largest accepted HTML page rendered from a template: placeholders repeat the (escaped)
/// reason and title, so a template within its own limit could otherwise render hundreds of MB.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Longest accepted built-in page word (`words.*`), in bytes.
pub const MAX_WORDS_BYTES: usize = 1024;

/// The HTTP status of maintenance responses, 200 to 599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "u32")
)]
pub struct HttpStatus(pub u16);

/// A status out of 200 to 599.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpStatusProblem(u32);

impl fmt::Display for HttpStatusProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not an HTTP status between 200 and 599", self.0)
    }
}

impl TryFrom<u32> for HttpStatus {
    type Error = HttpStatusProblem;

    fn try_from(status: u32) -> Result<HttpStatus, HttpStatusProblem> {
        match u16::try_from(status) {
            Ok(status @ 200..=599) => Ok(HttpStatus(status)),
            _ => Err(HttpStatusProblem(status)),
        }
    }
}

/// A text of at most `MAX` bytes (`reason`, `title`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Text<const MAX: usize>(String);

pub type Reason = Text<MAX_REASON_BYTES>;
pub type Title = Text<MAX_TITLE_BYTES>;

/// A text of `bytes` bytes where at most `max` are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    pub bytes: usize,
    pub max: usize,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "is {} bytes; at most {} are allowed",
            self.bytes, self.max
        )
    }
}

impl<const MAX: usize> Text<MAX> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> TryFrom<String> for Text<MAX> {
    type Error = TooLong;

    fn try_from(text: String) -> Result<Text<MAX>, TooLong> {
        match text.len() <= MAX {
            true => Ok(Text(text)),
            false => Err(TooLong {
                bytes: text.len(),
                max: MAX,
            }),
        }
    }
}

/// One of the built-in page's own words: not blank, at most [`MAX_WORDS_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Word(String);

/// Why a word is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordProblem {
    Blank,
    TooLong(TooLong),
}

impl fmt::Display for WordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WordProblem::Blank => f.write_str("must not be empty"),
            WordProblem::TooLong(too_long) => too_long.fmt(f),
        }
    }
}

impl Word {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for Word {
    type Error = WordProblem;

    fn try_from(word: String) -> Result<Word, WordProblem> {
        if word.trim().is_empty() {
            return Err(WordProblem::Blank);
        }
        if word.len() > MAX_WORDS_BYTES {
            return Err(WordProblem::TooLong(TooLong {
                bytes: word.len(),
                max: MAX_WORDS_BYTES,
            }));
        }
        Ok(Word(word))
    }
}

/// An HTML page replacing the built-in one: at most [`MAX_TEMPLATE_BYTES`], with known
/// placeholders only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Template(String);

/// Why a template is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateProblem {
    TooLong(TooLong),
    UnknownPlaceholder(String),
}

impl fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateProblem::TooLong(too_long) => too_long.fmt(f),
            TemplateProblem::UnknownPlaceholder(placeholder) => write!(
                f,
                "has unknown placeholder {placeholder:?}; known: {}",
                TEMPLATE_PLACEHOLDERS.join(", ")
            ),
        }
    }
}

impl Template {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Each `{{...}}` of the template, up to its `}}` (or the end).
    fn placeholders(&self) -> impl Iterator<Item = &str> {
        let mut rest = self.0.as_str();
        std::iter::from_fn(move || {
            let start = rest.find("{{")?;
            let after = &rest[start..];
            let end = after.find("}}").map_or(after.len(), |end| end + 2);
            rest = &after[end..];
            Some(&after[..end])
        })
    }

    /// The most bytes a page rendered from this template can take with this reason and title
    /// (`{{until}}` at its longest).
    pub fn page_bytes(&self, reason: &str, title: &str) -> usize {
        let (reason_bytes, title_bytes) = (escape_html(reason).len(), escape_html(title).len());
        let until_bytes = format_rfc3339(LAST_INSTANT).len();
        self.placeholders()
            .fold(self.0.len(), |bytes, placeholder| {
                let value_bytes = match placeholder {
                    "{{reason}}" => reason_bytes,
                    "{{title}}" => title_bytes,
                    "{{status}}" => 3,
                    "{{until}}" => until_bytes,
                    _ => 0,
                };
                bytes
                    .saturating_sub(placeholder.len())
                    .saturating_add(value_bytes)
            })
    }
}

impl TryFrom<String> for Template {
    type Error = TemplateProblem;

    fn try_from(html: String) -> Result<Template, TemplateProblem> {
        if html.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateProblem::TooLong(TooLong {
                bytes: html.len(),
                max: MAX_TEMPLATE_BYTES,
            }));
        }
        let template = Template(html);
        if let Some(unknown) = template
            .placeholders()
            .find(|placeholder| !TEMPLATE_PLACEHOLDERS.contains(placeholder))
        {
            return Err(TemplateProblem::UnknownPlaceholder(unknown.to_string()));
        }
        Ok(template)
    }
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

/// The name of an extra header of maintenance responses, as written (ordered as written;
/// names that differ only in case are one header, which `conflicts.rs` refuses).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct ExtraHeaderName(String);

/// Why a response header name is refused (the field path names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraHeaderProblem {
    NotAName,
    Reserved,
}

impl fmt::Display for ExtraHeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExtraHeaderProblem::NotAName => "is not a valid HTTP header name",
            ExtraHeaderProblem::Reserved => {
                "is set by the plugin or the proxy and cannot be configured"
            }
        })
    }
}

impl ExtraHeaderName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn lower(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl TryFrom<String> for ExtraHeaderName {
    type Error = ExtraHeaderProblem;

    fn try_from(written: String) -> Result<ExtraHeaderName, ExtraHeaderProblem> {
        let name = HeaderName::parse(&written).map_err(|_| ExtraHeaderProblem::NotAName)?;
        if RESERVED_HEADERS.contains(&name.as_str()) || HOP_BY_HOP.contains(&name.as_str()) {
            return Err(ExtraHeaderProblem::Reserved);
        }
        Ok(ExtraHeaderName(written))
    }
}

/// An extra header's value: printable ASCII, without the spaces around it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct HeaderValue(String);

/// A value with line breaks or control characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderValueProblem;

impl fmt::Display for HeaderValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("value must be printable ASCII (no line breaks or control characters)")
    }
}

impl HeaderValue {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<String> for HeaderValue {
    type Error = HeaderValueProblem;

    fn try_from(value: String) -> Result<HeaderValue, HeaderValueProblem> {
        match value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            true => Ok(HeaderValue(value.trim().to_string())),
            false => Err(HeaderValueProblem),
        }
    }
}
