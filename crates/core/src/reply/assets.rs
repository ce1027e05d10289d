//! `response.assets`: the maintenance page's own files (a logo, a stylesheet, a font), served by
//! the gateway at `<response.assets_path>/<name>` so the page is whole while every upstream is
//! down. `response.logo` names the one the built-in page shows above its title.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::bytes::{base64_decode, is_token};
use crate::host::Reply;
use crate::request::path::{literal_path, normalize_config_path};

/// Where assets are served when `response.assets_path` is not given.
pub const DEFAULT_ASSETS_PATH: &str = "/__maintenance/assets";
/// Most bytes all assets of a configuration may hold together (decoded): every worker's VM
/// keeps a copy.
pub const MAX_ASSETS_BYTES: usize = 256 * 1024;
/// Most assets in a configuration.
pub const MAX_ASSETS: usize = 32;
/// Longest asset name, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// How long browsers and caches may keep an asset: short, so a new logo shows within minutes.
pub const CACHE_CONTROL: &str = "public, max-age=300";
/// The methods assets answer, as a `405`'s `allow` says.
pub const ALLOW: &str = "GET, HEAD";

/// One of the page's files: its content type, and its content as text or in base64.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct AssetConfig {
    /// The media type it is served with, e.g. `image/svg+xml`, `image/png`, `text/css`,
    /// `font/woff2`.
    pub content_type: MediaType,
    /// The content as text (SVG, CSS). Give this or `body_base64`.
    pub body: Option<String>,
    /// The content in base64 (RFC 4648, padding optional, line breaks ignored), for binary files
    /// such as PNG or WOFF2. Give this or `body`.
    pub body_base64: Option<Base64Body>,
}

/// `response.assets`: assets by name (`logo.svg`), each name once.
pub type AssetsConfig = BTreeMap<AssetName, AssetConfig>;

/// An asset's name: one path segment of URL-safe characters, so it is served and linked exactly
/// as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct AssetName(String);

/// Why an asset name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetNameProblem {
    /// A name with `/`: assets are one level under the assets path.
    Slash(String),
    /// Empty, too long, `.`/`..`, or a character outside letters, digits and `-._~`.
    NotAName(String),
}

impl fmt::Display for AssetNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssetNameProblem::Slash(name) => write!(
                f,
                "{name:?} has '/'; an asset name is one path segment (served at \
                 <assets_path>/<name>)"
            ),
            AssetNameProblem::NotAName(name) => write!(
                f,
                "{name:?} is not an asset name: 1 to {MAX_NAME_BYTES} letters, digits, '-', \
                 '.', '_' or '~', not \".\" or \"..\""
            ),
        }
    }
}

impl TryFrom<String> for AssetName {
    type Error = AssetNameProblem;

    fn try_from(name: String) -> Result<AssetName, AssetNameProblem> {
        if name.contains('/') {
            return Err(AssetNameProblem::Slash(name));
        }
        let ok = !name.is_empty()
            && name.len() <= MAX_NAME_BYTES
            && name != "."
            && name != ".."
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        match ok {
            true => Ok(AssetName(name)),
            false => Err(AssetNameProblem::NotAName(name)),
        }
    }
}

impl AssetName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A media type: `type/subtype`, optionally with `; parameter=value`s of printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct MediaType(String);

/// A content type that is not a media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaTypeProblem(String);

impl fmt::Display for MediaTypeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a media type such as \"image/svg+xml\" or \"font/woff2\"",
            self.0
        )
    }
}

impl TryFrom<String> for MediaType {
    type Error = MediaTypeProblem;

    fn try_from(text: String) -> Result<MediaType, MediaTypeProblem> {
        let (essence, parameters) = text.split_once(';').unwrap_or((&text, ""));
        let valid_essence = (essence.trim().split_once('/'))
            .is_some_and(|(kind, subtype)| is_token(kind) && is_token(subtype));
        match valid_essence && parameters.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            true => Ok(MediaType(text.trim().to_string())),
            false => Err(MediaTypeProblem(text)),
        }
    }
}

impl MediaType {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_image(&self) -> bool {
        self.0.to_ascii_lowercase().starts_with("image/")
    }
}

/// An asset's content given in base64, decoded as it is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Base64Body(Vec<u8>);

/// Text that is not base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base64Problem;

impl fmt::Display for Base64Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("is not valid base64 (RFC 4648)")
    }
}

impl TryFrom<String> for Base64Body {
    type Error = Base64Problem;

    fn try_from(text: String) -> Result<Base64Body, Base64Problem> {
        base64_decode(text.as_bytes())
            .map(Base64Body)
            .ok_or(Base64Problem)
    }
}

/// `response.assets_path`: a plain path, not `/`, kept without a final `/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct AssetsPath(String);

/// An assets path refused: the path, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetsPathProblem {
    path: String,
    why: String,
}

impl fmt::Display for AssetsPathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.path, self.why)
    }
}

impl TryFrom<String> for AssetsPath {
    type Error = AssetsPathProblem;

    fn try_from(path: String) -> Result<AssetsPath, AssetsPathProblem> {
        let normalized = match normalize_config_path(&path) {
            Ok(normalized) => normalized,
            Err(why) => {
                let why = why.to_string();
                return Err(AssetsPathProblem { path, why });
            }
        };
        let trimmed = normalized.trim_end_matches('/');
        if trimmed.is_empty() {
            let why = "would serve assets for every path; use a path such as \
                       \"/__maintenance/assets\""
                .to_string();
            return Err(AssetsPathProblem { path, why });
        }
        Ok(AssetsPath(trimmed.to_string()))
    }
}

impl AssetsPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What `response.assets`, `response.assets_path` and `response.logo` say together that their
/// values alone cannot (`config/conflicts.rs` reports these); [`AssetsFinding::field`] says
/// where, inside `response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetsFinding {
    /// `{}`: omit it instead.
    NoAssets,
    TooMany(usize),
    /// Neither or both of `body` and `body_base64`.
    BodyChoice {
        name: String,
        both: bool,
    },
    TooLarge(usize),
    /// `logo` names no configured asset.
    UnknownLogo(String),
    LogoNotAnImage {
        name: String,
        content_type: String,
    },
    /// `assets_path` or `logo` without `assets`.
    NeedsAssets(&'static str),
}

impl AssetsFinding {
    /// The field concerned, as steps inside `response`.
    pub fn field(&self) -> Vec<&str> {
        match self {
            AssetsFinding::NoAssets | AssetsFinding::TooMany(_) | AssetsFinding::TooLarge(_) => {
                vec!["assets"]
            }
            AssetsFinding::BodyChoice { name, .. } => vec!["assets", name],
            AssetsFinding::UnknownLogo(_) | AssetsFinding::LogoNotAnImage { .. } => vec!["logo"],
            AssetsFinding::NeedsAssets(field) => vec![field],
        }
    }
}

impl fmt::Display for AssetsFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssetsFinding::NoAssets => f.write_str("is empty; omit it to serve no assets"),
            AssetsFinding::TooMany(count) => {
                write!(f, "has {count} assets; at most {MAX_ASSETS} are allowed")
            }
            AssetsFinding::BodyChoice { both: true, .. } => {
                f.write_str("gives both body and body_base64; give one")
            }
            AssetsFinding::BodyChoice { both: false, .. } => {
                f.write_str("gives no content: give body (text) or body_base64")
            }
            AssetsFinding::TooLarge(total) => write!(
                f,
                "hold {total} bytes together; at most {MAX_ASSETS_BYTES} are allowed (every \
                 worker keeps a copy)"
            ),
            AssetsFinding::UnknownLogo(name) => {
                write!(f, "{name:?} is not one of response.assets")
            }
            AssetsFinding::LogoNotAnImage { name, content_type } => write!(
                f,
                "{name:?} is served as {content_type:?}; the logo must be an image (image/...)"
            ),
            AssetsFinding::NeedsAssets(_) => f.write_str("needs response.assets"),
        }
    }
}

/// One asset, ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    name: String,
    content_type: String,
    body: Vec<u8>,
}

/// The compiled assets and where they are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    /// The assets path with a final `/` (`/__maintenance/assets/`).
    prefix: String,
    files: Vec<Asset>,
    /// The logo's index in `files`.
    logo: Option<usize>,
}

/// An asset's content: as given, or decoded from base64 (`None`: neither or both given).
fn body_of(asset: &AssetConfig) -> Option<&[u8]> {
    match (&asset.body, &asset.body_base64) {
        (Some(text), None) => Some(text.as_bytes()),
        (None, Some(decoded)) => Some(&decoded.0),
        _ => None,
    }
}

/// The bytes all assets hold, decoded (what every VM keeps).
pub fn total_bytes(assets: &AssetsConfig) -> usize {
    assets
        .values()
        .filter_map(body_of)
        .map(<[u8]>::len)
        .fold(0, usize::saturating_add)
}

/// The findings about `response.assets`, `assets_path` and `logo`, in the order of the fields.
pub fn findings(
    assets: Option<&AssetsConfig>,
    path: Option<&AssetsPath>,
    logo: Option<&AssetName>,
) -> Vec<AssetsFinding> {
    let mut found = Vec::new();
    let Some(assets) = assets else {
        if path.is_some() {
            found.push(AssetsFinding::NeedsAssets("assets_path"));
        }
        if logo.is_some() {
            found.push(AssetsFinding::NeedsAssets("logo"));
        }
        return found;
    };
    if assets.is_empty() {
        found.push(AssetsFinding::NoAssets);
    }
    if assets.len() > MAX_ASSETS {
        found.push(AssetsFinding::TooMany(assets.len()));
    }
    for (name, asset) in assets {
        if body_of(asset).is_none() {
            let both = asset.body.is_some();
            let name = name.0.clone();
            found.push(AssetsFinding::BodyChoice { name, both });
        }
    }
    let total = total_bytes(assets);
    if total > MAX_ASSETS_BYTES {
        found.push(AssetsFinding::TooLarge(total));
    }
    if let Some(logo) = logo {
        match assets.get(logo) {
            None => found.push(AssetsFinding::UnknownLogo(logo.0.clone())),
            Some(asset) if !asset.content_type.is_image() => {
                found.push(AssetsFinding::LogoNotAnImage {
                    name: logo.0.clone(),
                    content_type: asset.content_type.0.clone(),
                })
            }
            Some(_) => {}
        }
    }
    found
}

/// The assets the plugin serves (checked: see [`findings`]).
pub fn compile(assets: AssetsConfig, path: Option<AssetsPath>, logo: Option<AssetName>) -> Assets {
    let path = path.map_or_else(|| DEFAULT_ASSETS_PATH.to_string(), |path| path.0);
    let logo = logo.and_then(|logo| assets.keys().position(|name| *name == logo));
    let files = (assets.into_iter())
        .map(|(name, asset)| {
            let body = match (asset.body, asset.body_base64) {
                (Some(text), _) => text.into_bytes(),
                (None, Some(decoded)) => decoded.0,
                (None, None) => Vec::new(),
            };
            Asset {
                name: name.0,
                content_type: asset.content_type.0,
                body,
            }
        })
        .collect();
    Assets {
        prefix: format!("{path}/"),
        files,
        logo,
    }
}

/// What the gateway answers a request for its assets path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetReply<'a> {
    Found(&'a Asset),
    /// Under the assets path, but no asset of that name: `404`.
    NotFound,
    /// A method other than `GET` and `HEAD`: `405`.
    NotAllowed,
}

impl Assets {
    /// The assets path, without the final `/` (for the summary and the docs).
    pub fn path(&self) -> &str {
        self.prefix.trim_end_matches('/')
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The logo's URL path, for the built-in page.
    pub fn logo_url(&self) -> Option<String> {
        let logo = self.files.get(self.logo?)?;
        Some(format!("{}{}", self.prefix, logo.name))
    }

    /// The answer for a request with `:path` `raw_path` and `:method` `method`; `None` when the
    /// path is not under the assets path (read literally, without the query, as the status
    /// path is: an encoded spelling is not an asset).
    pub fn answer(&self, raw_path: &[u8], method: &[u8]) -> Option<AssetReply<'_>> {
        let name = literal_path(raw_path)?.strip_prefix(self.prefix.as_str())?;
        if method != b"GET" && method != b"HEAD" {
            return Some(AssetReply::NotAllowed);
        }
        Some(
            self.files
                .iter()
                .find(|file| file.name == name)
                .map_or(AssetReply::NotFound, AssetReply::Found),
        )
    }
}

impl<'a> AssetReply<'a> {
    /// The reply, with `extra` headers (CORS) added.
    pub fn reply(self, extra: Vec<(&'a str, &'a str)>) -> Reply<'a> {
        let (status, mut headers, body) = match self {
            AssetReply::Found(asset) => (
                200,
                vec![
                    ("content-type", asset.content_type.as_str()),
                    ("cache-control", CACHE_CONTROL),
                    ("x-content-type-options", "nosniff"),
                ],
                // Envoy drops the body of a reply to HEAD but keeps its content-length.
                Some(asset.body.as_slice()),
            ),
            AssetReply::NotFound => (
                404,
                vec![
                    ("content-type", "text/plain; charset=utf-8"),
                    ("cache-control", "no-store"),
                    ("x-content-type-options", "nosniff"),
                ],
                Some(&b"Not found\n"[..]),
            ),
            AssetReply::NotAllowed => (
                405,
                vec![("allow", ALLOW), ("cache-control", "no-store")],
                None,
            ),
        };
        headers.extend(extra);
        Reply::Http {
            status,
            headers,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>";

    fn read(json: &str) -> AssetsConfig {
        serde_json::from_str(json).unwrap()
    }

    fn name(text: &str) -> AssetName {
        AssetName::try_from(text.to_string()).unwrap()
    }

    fn path(text: &str) -> AssetsPath {
        AssetsPath::try_from(text.to_string()).unwrap()
    }

    fn two() -> Assets {
        let json = format!(
            r#"{{"logo.svg": {{"content_type": "image/svg+xml", "body": {svg}}},
                "font.woff2": {{"content_type": "font/woff2", "body_base64": "d09GMgABAAAA"}}}}"#,
            svg = serde_json::to_string(SVG).unwrap()
        );
        let assets = read(&json);
        assert_eq!(findings(Some(&assets), None, Some(&name("logo.svg"))), []);
        compile(assets, None, Some(name("logo.svg")))
    }

    #[test]
    fn assets_are_served_with_their_type_for_get_and_head() {
        let assets = two();
        assert_eq!(assets.path(), "/__maintenance/assets");
        assert_eq!(
            assets.logo_url().as_deref(),
            Some("/__maintenance/assets/logo.svg")
        );
        for method in [&b"GET"[..], b"HEAD"] {
            let answer = assets
                .answer(b"/__maintenance/assets/logo.svg?v=2", method)
                .unwrap();
            assert_eq!(
                answer.reply(vec![("vary", "origin")]),
                Reply::Http {
                    status: 200,
                    headers: vec![
                        ("content-type", "image/svg+xml"),
                        ("cache-control", "public, max-age=300"),
                        ("x-content-type-options", "nosniff"),
                        ("vary", "origin"),
                    ],
                    body: Some(SVG.as_bytes()),
                }
            );
        }
        let font = assets
            .answer(b"/__maintenance/assets/font.woff2", b"GET")
            .unwrap();
        let Reply::Http { body, headers, .. } = font.reply(Vec::new());
        assert_eq!(body, Some(&b"wOF2\x00\x01\x00\x00\x00"[..]));
        assert_eq!(headers[0], ("content-type", "font/woff2"));
    }

    #[test]
    fn unknown_names_are_not_found_and_other_paths_are_not_assets() {
        let assets = two();
        for missing in [
            &b"/__maintenance/assets/missing.png"[..],
            b"/__maintenance/assets/",
            b"/__maintenance/assets/logo.svg/",
            b"/__maintenance/assets/LOGO.SVG",
            b"/__maintenance/assets/%6Cogo.svg",
            b"/__maintenance/assets/sub/logo.svg",
        ] {
            assert_eq!(
                assets.answer(missing, b"GET"),
                Some(AssetReply::NotFound),
                "{}",
                String::from_utf8_lossy(missing)
            );
        }
        let Reply::Http { status, .. } = AssetReply::NotFound.reply(Vec::new());
        assert_eq!(status, 404);
        assert_eq!(
            assets.answer(b"/__maintenance/assets/logo.svg", b"POST"),
            Some(AssetReply::NotAllowed)
        );
        let Reply::Http {
            status, headers, ..
        } = AssetReply::NotAllowed.reply(Vec::new());
        assert_eq!((status, headers[0]), (405, ("allow", "GET, HEAD")));
        for other in [
            &b"/__maintenance/assets"[..],
            b"/__maintenance/assetsx/logo.svg",
            b"/logo.svg",
            b"/__maintenance/%61ssets/logo.svg",
            b"",
            b"/__maintenance/assets/\xff",
        ] {
            assert_eq!(
                assets.answer(other, b"GET"),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn the_assets_path_can_be_changed() {
        let json = r#"{"a.css": {"content_type": "text/css; charset=utf-8", "body": "p{}"}}"#;
        let assets = compile(read(json), Some(path("/static/maintenance/")), None);
        assert_eq!(assets.path(), "/static/maintenance");
        assert_eq!(assets.logo_url(), None);
        assert!(matches!(
            assets.answer(b"/static/maintenance/a.css", b"GET"),
            Some(AssetReply::Found(_))
        ));
        assert_eq!(assets.answer(b"/__maintenance/assets/a.css", b"GET"), None);
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let problem = |text: &str| AssetName::try_from(text.to_string()).unwrap_err();
        assert_eq!(
            problem("img/logo.svg").to_string(),
            "\"img/logo.svg\" has '/'; an asset name is one path segment (served at \
             <assets_path>/<name>)"
        );
        for bad in [
            "",
            ".",
            "..",
            "logo svg",
            "logo%20.svg",
            &"x".repeat(MAX_NAME_BYTES + 1),
        ] {
            assert!(
                matches!(problem(bad), AssetNameProblem::NotAName(_)),
                "{bad}"
            );
        }
        for bad in ["svg", "text/css\r\nx: y", "/x", "a b/c"] {
            assert!(MediaType::try_from(bad.to_string()).is_err(), "{bad}");
        }
        assert!(Base64Body::try_from("not base64!".to_string()).is_err());
        for (bad, why) in [
            ("assets", "must start with '/'"),
            ("/", "every path"),
            ("/a/../b", "not a plain path"),
        ] {
            let error = AssetsPath::try_from(bad.to_string()).unwrap_err();
            assert!(error.to_string().contains(why), "{bad}: {error}");
        }
        // A map key given twice is the reader's to refuse; unknown fields are refused.
        assert!(serde_json::from_str::<AssetsConfig>(
            r#"{"a": {"content_type": "x/y", "bdy": "x"}}"#
        )
        .is_err());
    }

    #[test]
    fn findings_over_the_whole() {
        let svg = r#"{"content_type": "image/svg+xml", "body": "<svg/>"}"#;
        let css = r#"{"content_type": "text/css", "body": "p{}"}"#;
        let cases: [(String, Option<&str>, Vec<&str>, &str); 6] = [
            ("{}".into(), None, vec!["assets"], "is empty"),
            (
                r#"{"a.css": {"content_type": "text/css", "body": "x", "body_base64": "eA=="}}"#
                    .into(),
                None,
                vec!["assets", "a.css"],
                "both",
            ),
            (
                r#"{"a.css": {"content_type": "text/css"}}"#.into(),
                None,
                vec!["assets", "a.css"],
                "no content",
            ),
            (
                format!(r#"{{"a.svg": {svg}}}"#),
                Some("b.svg"),
                vec!["logo"],
                "is not one of response.assets",
            ),
            (
                format!(r#"{{"a.css": {css}}}"#),
                Some("a.css"),
                vec!["logo"],
                "must be an image",
            ),
            (
                format!(r#"{{"a.svg": {svg}, "b.css": {css}}}"#),
                Some("a.svg"),
                vec![],
                "",
            ),
        ];
        for (json, logo, field, message) in cases {
            let assets = read(&json);
            let logo = logo.map(name);
            let found = findings(Some(&assets), None, logo.as_ref());
            match found.as_slice() {
                [] => assert!(field.is_empty(), "{json}"),
                [finding] => {
                    assert_eq!(finding.field(), field, "{json}");
                    assert!(finding.to_string().contains(message), "{json}: {finding}");
                }
                more => panic!("{json}: {more:?}"),
            }
        }
        assert_eq!(
            findings(None, Some(&path("/x")), Some(&name("a.svg"))),
            [
                AssetsFinding::NeedsAssets("assets_path"),
                AssetsFinding::NeedsAssets("logo")
            ]
        );
    }

    #[test]
    fn the_size_and_count_are_limited() {
        let big = "x".repeat(MAX_ASSETS_BYTES / 2 + 1);
        let json = format!(
            r#"{{"a.txt": {{"content_type": "text/plain", "body": "{big}"}},
                "b.txt": {{"content_type": "text/plain", "body": "{big}"}}}}"#
        );
        let assets = read(&json);
        assert_eq!(total_bytes(&assets), 2 * big.len());
        assert_eq!(
            findings(Some(&assets), None, None),
            [AssetsFinding::TooLarge(2 * big.len())]
        );
        let exact = "x".repeat(MAX_ASSETS_BYTES);
        let json = format!(r#"{{"a.txt": {{"content_type": "text/plain", "body": "{exact}"}}}}"#);
        assert_eq!(findings(Some(&read(&json)), None, None), []);
        let many: AssetsConfig = (0..=MAX_ASSETS)
            .map(|n| {
                let asset = AssetConfig {
                    content_type: MediaType::try_from("text/plain".to_string()).unwrap(),
                    body: Some(String::new()),
                    body_base64: None,
                };
                (name(&format!("{n}.txt")), asset)
            })
            .collect();
        assert_eq!(
            findings(Some(&many), None, None),
            [AssetsFinding::TooMany(MAX_ASSETS + 1)]
        );
    }
}
