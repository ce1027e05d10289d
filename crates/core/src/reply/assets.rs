//! `response.assets`: the maintenance page's own files (a logo, a stylesheet, a font), served by
//! the gateway at `<response.assets_path>/<name>` so the page is whole while every upstream is
//! down. `response.logo` names the one the built-in page shows above its title.

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

/// One asset as operators write it: its content type and its content, as text or in base64.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// The media type it is served with, e.g. `image/svg+xml`, `image/png`, `text/css`,
    /// `font/woff2`.
    pub content_type: String,
    /// The content as text (SVG, CSS). Give this or `body_base64`.
    pub body: Option<String>,
    /// The content in base64 (RFC 4648, padding optional, line breaks ignored), for binary files
    /// such as PNG or WOFF2. Give this or `body`.
    pub body_base64: Option<String>,
}

/// `response.assets`: assets by name (`logo.svg`), each name once.
#[derive(Debug, Default)]
pub struct AssetsConfig(pub Vec<(String, AssetConfig)>);

impl<'de> Deserialize<'de> for AssetsConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;

        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = AssetsConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of assets by name")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AssetsConfig, A::Error> {
                let mut entries: Vec<(String, AssetConfig)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if entries.iter().any(|(seen, _)| *seen == name) {
                        let message = format!("{name:?} is given twice");
                        return Err(serde::de::Error::custom(message));
                    }
                    entries.push((name, map.next_value()?));
                }
                Ok(AssetsConfig(entries))
            }
        }

        deserializer.deserialize_map(Entries)
    }
}

/// Why `response.assets`, `response.assets_path` or `response.logo` is refused;
/// [`AssetsError::field`] says where, inside `response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetsError {
    /// `{}`: omit it instead.
    NoAssets,
    TooMany(usize),
    /// A name with `/`: assets are one level under the assets path.
    NameWithSlash(String),
    /// Empty, too long, `.`/`..`, or a character outside letters, digits and `-._~`.
    BadName(String),
    BadContentType {
        name: String,
        content_type: String,
    },
    /// Neither or both of `body` and `body_base64`.
    BodyChoice {
        name: String,
        both: bool,
    },
    BadBase64(String),
    TooLarge(usize),
    BadPath {
        path: String,
        why: String,
    },
    /// `logo` names no configured asset.
    UnknownLogo(String),
    LogoNotAnImage {
        name: String,
        content_type: String,
    },
}

impl AssetsError {
    /// The offending field, relative to `response`.
    pub fn field(&self) -> String {
        match self {
            AssetsError::NoAssets | AssetsError::TooMany(_) | AssetsError::TooLarge(_) => {
                "assets".to_string()
            }
            AssetsError::NameWithSlash(name) | AssetsError::BadName(name) => {
                format!("assets.{name}")
            }
            AssetsError::BadContentType { name, .. } => format!("assets.{name}.content_type"),
            AssetsError::BodyChoice { name, .. } => format!("assets.{name}"),
            AssetsError::BadBase64(name) => format!("assets.{name}.body_base64"),
            AssetsError::BadPath { .. } => "assets_path".to_string(),
            AssetsError::UnknownLogo(_) | AssetsError::LogoNotAnImage { .. } => "logo".to_string(),
        }
    }
}

impl fmt::Display for AssetsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssetsError::NoAssets => f.write_str("is empty; omit it to serve no assets"),
            AssetsError::TooMany(count) => {
                write!(f, "has {count} assets; at most {MAX_ASSETS} are allowed")
            }
            AssetsError::NameWithSlash(name) => write!(
                f,
                "{name:?} has '/'; an asset name is one path segment (served at \
                 <assets_path>/<name>)"
            ),
            AssetsError::BadName(name) => write!(
                f,
                "{name:?} is not an asset name: 1 to {MAX_NAME_BYTES} letters, digits, '-', \
                 '.', '_' or '~', not \".\" or \"..\""
            ),
            AssetsError::BadContentType { content_type, .. } => write!(
                f,
                "{content_type:?} is not a media type such as \"image/svg+xml\" or \"font/woff2\""
            ),
            AssetsError::BodyChoice { both: true, .. } => {
                f.write_str("gives both body and body_base64; give one")
            }
            AssetsError::BodyChoice { both: false, .. } => {
                f.write_str("gives no content: give body (text) or body_base64")
            }
            AssetsError::BadBase64(_) => f.write_str("is not valid base64 (RFC 4648)"),
            AssetsError::TooLarge(total) => write!(
                f,
                "hold {total} bytes together; at most {MAX_ASSETS_BYTES} are allowed (every \
                 worker keeps a copy)"
            ),
            AssetsError::BadPath { path, why } => write!(f, "{path:?} {why}"),
            AssetsError::UnknownLogo(name) => {
                write!(f, "{name:?} is not one of response.assets")
            }
            AssetsError::LogoNotAnImage { name, content_type } => write!(
                f,
                "{name:?} is served as {content_type:?}; the logo must be an image (image/...)"
            ),
        }
    }
}

impl std::error::Error for AssetsError {}

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

/// An asset name: one path segment of URL-safe characters, so it is served and linked exactly
/// as written.
fn check_name(name: &str) -> Result<(), AssetsError> {
    if name.contains('/') {
        return Err(AssetsError::NameWithSlash(name.to_string()));
    }
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    match ok {
        true => Ok(()),
        false => Err(AssetsError::BadName(name.to_string())),
    }
}

/// `type/subtype`, optionally with `; parameter=value`s of printable ASCII.
fn is_media_type(text: &str) -> bool {
    let (essence, parameters) = text.split_once(';').unwrap_or((text, ""));
    let valid_essence = essence
        .trim()
        .split_once('/')
        .is_some_and(|(kind, subtype)| is_token(kind) && is_token(subtype));
    valid_essence && parameters.bytes().all(|b| (b' '..=b'~').contains(&b))
}

impl AssetsConfig {
    /// Compiles the assets with `response.assets_path` (`path`) and `response.logo` (`logo`).
    pub fn compile(self, path: Option<&str>, logo: Option<&str>) -> Result<Assets, AssetsError> {
        if self.0.is_empty() {
            return Err(AssetsError::NoAssets);
        }
        if self.0.len() > MAX_ASSETS {
            return Err(AssetsError::TooMany(self.0.len()));
        }
        let prefix = compile_assets_path(path)?;
        let mut files = Vec::with_capacity(self.0.len());
        let mut total = 0usize;
        for (name, asset) in self.0 {
            check_name(&name)?;
            let content_type = asset.content_type.trim().to_string();
            if !is_media_type(&content_type) {
                return Err(AssetsError::BadContentType {
                    name,
                    content_type: asset.content_type,
                });
            }
            let body = match (asset.body, asset.body_base64) {
                (Some(text), None) => text.into_bytes(),
                (None, Some(encoded)) => match base64_decode(encoded.as_bytes()) {
                    Some(body) => body,
                    None => return Err(AssetsError::BadBase64(name)),
                },
                (body, _) => {
                    let both = body.is_some();
                    return Err(AssetsError::BodyChoice { name, both });
                }
            };
            total = total.saturating_add(body.len());
            if total > MAX_ASSETS_BYTES {
                return Err(AssetsError::TooLarge(total));
            }
            files.push(Asset {
                name,
                content_type,
                body,
            });
        }
        let logo = match logo {
            None => None,
            Some(logo) => {
                let Some(index) = files.iter().position(|file| file.name == logo) else {
                    return Err(AssetsError::UnknownLogo(logo.to_string()));
                };
                let content_type = &files[index].content_type;
                if !content_type.to_ascii_lowercase().starts_with("image/") {
                    return Err(AssetsError::LogoNotAnImage {
                        name: logo.to_string(),
                        content_type: content_type.clone(),
                    });
                }
                Some(index)
            }
        };
        Ok(Assets {
            prefix,
            files,
            logo,
        })
    }
}

/// `response.assets_path` (or the default) with a final `/`.
fn compile_assets_path(path: Option<&str>) -> Result<String, AssetsError> {
    let given = path.unwrap_or(DEFAULT_ASSETS_PATH);
    let bad = |why: String| AssetsError::BadPath {
        path: given.to_string(),
        why,
    };
    let normalized = normalize_config_path(given).map_err(bad)?;
    let trimmed = normalized.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(bad(
            "would serve assets for every path; use a path such as \"/__maintenance/assets\""
                .to_string(),
        ));
    }
    Ok(format!("{trimmed}/"))
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

    fn assets(json: &str, path: Option<&str>, logo: Option<&str>) -> Result<Assets, AssetsError> {
        read(json).compile(path, logo)
    }

    fn two() -> Assets {
        let json = format!(
            r#"{{"logo.svg": {{"content_type": "image/svg+xml", "body": {svg}}},
                "font.woff2": {{"content_type": "font/woff2", "body_base64": "d09GMgABAAAA"}}}}"#,
            svg = serde_json::to_string(SVG).unwrap()
        );
        assets(&json, None, Some("logo.svg")).unwrap()
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
        let assets = assets(json, Some("/static/maintenance/"), None).unwrap();
        assert_eq!(assets.path(), "/static/maintenance");
        assert_eq!(assets.logo_url(), None);
        assert!(matches!(
            assets.answer(b"/static/maintenance/a.css", b"GET"),
            Some(AssetReply::Found(_))
        ));
        assert_eq!(assets.answer(b"/__maintenance/assets/a.css", b"GET"), None);
    }

    #[test]
    fn bad_assets_are_refused_with_the_field() {
        let one = |name: &str, asset: &str| {
            format!(r#"{{{}: {asset}}}"#, serde_json::to_string(name).unwrap())
        };
        let svg = r#"{"content_type": "image/svg+xml", "body": "<svg/>"}"#;
        // (assets, assets_path, logo, field, message)
        type Case<'a> = (String, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            ("{}".into(), None, None, "assets", "is empty"),
            (
                one("img/logo.svg", svg),
                None,
                None,
                "assets.img/logo.svg",
                "has '/'",
            ),
            (one("", svg), None, None, "assets.", "is not an asset name"),
            (
                one("..", svg),
                None,
                None,
                "assets...",
                "is not an asset name",
            ),
            (
                one("logo svg", svg),
                None,
                None,
                "assets.logo svg",
                "is not an asset name",
            ),
            (
                one("logo%20.svg", svg),
                None,
                None,
                "assets.logo%20.svg",
                "is not an asset name",
            ),
            (
                one("a", r#"{"content_type": "svg", "body": "x"}"#),
                None,
                None,
                "assets.a.content_type",
                "is not a media type",
            ),
            (
                one("a", r#"{"content_type": "text/css\r\nx: y", "body": "x"}"#),
                None,
                None,
                "assets.a.content_type",
                "is not a media type",
            ),
            (
                one(
                    "a",
                    r#"{"content_type": "text/css", "body": "x", "body_base64": "eA=="}"#,
                ),
                None,
                None,
                "assets.a",
                "both",
            ),
            (
                one("a", r#"{"content_type": "text/css"}"#),
                None,
                None,
                "assets.a",
                "no content",
            ),
            (
                one(
                    "a",
                    r#"{"content_type": "font/woff2", "body_base64": "not base64!"}"#,
                ),
                None,
                None,
                "assets.a.body_base64",
                "base64",
            ),
            (
                one("a.svg", svg),
                Some("assets"),
                None,
                "assets_path",
                "must start with '/'",
            ),
            (
                one("a.svg", svg),
                Some("/"),
                None,
                "assets_path",
                "every path",
            ),
            (
                one("a.svg", svg),
                Some("/a/../b"),
                None,
                "assets_path",
                "not a plain path",
            ),
            (
                one("a.svg", svg),
                None,
                Some("b.svg"),
                "logo",
                "is not one of response.assets",
            ),
            (
                one("a.css", r#"{"content_type": "text/css", "body": "p{}"}"#),
                None,
                Some("a.css"),
                "logo",
                "must be an image",
            ),
        ];
        for (json, path, logo, field, message) in cases {
            let error = assets(&json, path, logo).unwrap_err();
            assert_eq!(error.field(), field, "{json}");
            assert!(error.to_string().contains(message), "{json}: {error}");
        }
        let repeated = serde_json::from_str::<AssetsConfig>(
            r#"{"a.svg": {"content_type": "image/png", "body": "x"}, "a.svg": {"content_type": "image/png", "body": "y"}}"#,
        )
        .unwrap_err();
        assert!(
            repeated.to_string().contains("\"a.svg\" is given twice"),
            "{repeated}"
        );
        assert!(serde_json::from_str::<AssetsConfig>(
            r#"{"a": {"content_type": "x/y", "bdy": "x"}}"#
        )
        .is_err());
    }

    #[test]
    fn the_size_and_count_are_limited() {
        let big = "x".repeat(MAX_ASSETS_BYTES / 2 + 1);
        let json = format!(
            r#"{{"a.txt": {{"content_type": "text/plain", "body": "{big}"}},
                "b.txt": {{"content_type": "text/plain", "body": "{big}"}}}}"#
        );
        let error = assets(&json, None, None).unwrap_err();
        assert_eq!(error, AssetsError::TooLarge(2 * big.len()));
        assert_eq!(error.field(), "assets");
        let exact = "x".repeat(MAX_ASSETS_BYTES);
        let json = format!(r#"{{"a.txt": {{"content_type": "text/plain", "body": "{exact}"}}}}"#);
        assert!(assets(&json, None, None).is_ok());
        let many: Vec<(String, AssetConfig)> = (0..=MAX_ASSETS)
            .map(|n| {
                let asset = AssetConfig {
                    content_type: "text/plain".into(),
                    body: Some(String::new()),
                    body_base64: None,
                };
                (format!("{n}.txt"), asset)
            })
            .collect();
        let error = AssetsConfig(many).compile(None, None).unwrap_err();
        assert_eq!(error, AssetsError::TooMany(MAX_ASSETS + 1));
    }
}
