//! `cors`: lets pages on other origins read what the plugin answers (the maintenance response in
//! every format, the cookie link's redirect, the page's assets), and answers their preflights
//! while maintenance applies, so a single-page app on `app.example.com` calling
//! `api.example.com` shows "back at 15:00" instead of "network error".
//!
//! Only what the plugin answers itself: responses from the upstream keep the application's own
//! CORS headers. The status endpoint stays readable from any origin (`status.rs`).

use serde::Deserialize;

use crate::bytes::{is_token, is_token_char};
use crate::host::Reply;
use crate::schedule::calendar::Seconds;

/// Who may read, from a page on another origin, what the plugin answers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct CorsConfig {
    /// Origins whose pages may read the plugin's answers, as browsers send them in `Origin`:
    /// `https://app.example.com` (scheme, host and port, no path), `https://*.example.com` (any
    /// subdomain of `example.com`, not `example.com` itself), or `*` (every origin). At least
    /// one, each once.
    pub allow_origins: Vec<Origin>,
    /// Seconds (0 to 86400) browsers may keep the answer to a preflight
    /// (`access-control-max-age`). Absent: not sent (browsers then keep it for 5 seconds).
    pub max_age: Option<Seconds<0, MAX_MAX_AGE>>,
    /// Whether pages that send credentials (cookies: `fetch(url, {credentials: "include"})`)
    /// may read the answers (`access-control-allow-credentials: true`). Not with `*`, which
    /// browsers refuse for credentials. Default false.
    #[serde(default)]
    pub allow_credentials: bool,
}

/// Longest accepted `max_age`: a day (Firefox's cap; Chromium caps at two hours).
pub const MAX_MAX_AGE: u64 = 86_400;

/// The response headers a page's script may read besides the safelisted ones.
pub const EXPOSE_HEADERS: &str = "retry-after, maintenance-notice";

/// One entry of `cors.allow_origins`, lower case, without a default port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[cfg_attr(
    not(target_arch = "wasm32"),
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Origin(Allowed);

/// What is wrong with one `allow_origins` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginProblem {
    Empty,
    /// No `scheme://` in front.
    NoScheme,
    /// Anything after the host and port: `/`, a path, a query or a fragment.
    Path,
    /// `user@` before the host.
    Userinfo,
    /// Not a host name, IPv4 address or bracketed IPv6 address.
    Host,
    Port,
    /// `*` anywhere but as a whole first label (`https://*.example.com`) or the whole entry.
    Wildcard,
}

impl OriginProblem {
    fn text(self) -> &'static str {
        match self {
            OriginProblem::Empty => "is empty",
            OriginProblem::NoScheme => {
                "has no scheme; write it as browsers send it in Origin: scheme://host[:port]"
            }
            OriginProblem::Path => {
                "has a path; an origin is only scheme://host[:port] (no '/', path, query or \
                 fragment), as browsers send it in Origin"
            }
            OriginProblem::Userinfo => "has a user name ('@'); an origin is scheme://host[:port]",
            OriginProblem::Host => "has no valid host name",
            OriginProblem::Port => "has a port that is not a number between 1 and 65535",
            OriginProblem::Wildcard => {
                "uses '*' other than as the whole first label (https://*.example.com) or alone (*)"
            }
        }
    }
}

/// An origin refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginError {
    pub origin: String,
    pub problem: OriginProblem,
}

impl std::fmt::Display for OriginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}", self.origin, self.problem.text())
    }
}

impl TryFrom<String> for Origin {
    type Error = OriginError;

    fn try_from(origin: String) -> Result<Origin, OriginError> {
        match origin.as_str() {
            "*" => Ok(Origin(Allowed::Any)),
            text => parse_origin(text)
                .map(Origin)
                .map_err(|problem| OriginError { origin, problem }),
        }
    }
}

/// What `cors` says as a whole that its values alone cannot (`config/conflicts.rs` reports
/// these, each at its field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsFinding {
    NoOrigins,
    /// The `index`-th origin read is one given before.
    RepeatedOrigin(usize),
    /// `allow_credentials` with `*` (the `index`-th origin read).
    CredentialsWithAnyOrigin(usize),
}

impl std::fmt::Display for CorsFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CorsFinding::NoOrigins => {
                "is empty, which allows no origin; omit cors to send no CORS headers"
            }
            CorsFinding::RepeatedOrigin(_) => "is given twice",
            CorsFinding::CredentialsWithAnyOrigin(_) => {
                "cannot be true with \"*\" in allow_origins: browsers refuse credentials with \
                 any origin; list the origins"
            }
        })
    }
}

/// One allowed origin, lower case, without a default port.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    /// `*`.
    Any,
    /// `https://app.example.com`.
    Exact(String),
    /// `https://*.example.com:8443`: `scheme` is `https://`, `suffix` `.example.com:8443`.
    Subdomains { scheme: String, suffix: String },
}

/// The compiled `cors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// `*`: every origin.
    any: bool,
    allowed: Vec<Allowed>,
    max_age: Option<String>,
    credentials: bool,
}

impl CorsConfig {
    /// What the configuration says wrong as a whole, in reading order.
    pub fn findings(&self) -> Vec<CorsFinding> {
        let mut found = Vec::new();
        if self.allow_origins.is_empty() {
            found.push(CorsFinding::NoOrigins);
        }
        for (index, origin) in self.allow_origins.iter().enumerate() {
            if self.allow_origins[..index].contains(origin) {
                found.push(CorsFinding::RepeatedOrigin(index));
            }
        }
        let any = self.allow_origins.iter().position(|o| o.0 == Allowed::Any);
        if let (true, Some(index)) = (self.allow_credentials, any) {
            found.push(CorsFinding::CredentialsWithAnyOrigin(index));
        }
        found
    }

    /// The configuration the plugin consults (checked: see [`CorsConfig::findings`]).
    pub fn compile(self) -> Cors {
        let any = self.allow_origins.iter().any(|o| o.0 == Allowed::Any);
        let allowed = (self.allow_origins.into_iter())
            .map(|origin| origin.0)
            .filter(|allowed| *allowed != Allowed::Any)
            .collect();
        Cors {
            any,
            allowed,
            max_age: self.max_age.map(|seconds| seconds.0.to_string()),
            credentials: self.allow_credentials,
        }
    }
}

/// The configured origins' and preflight answers' bytes, for the memory budget.
pub fn memory_bytes(config: &CorsConfig) -> usize {
    config.allow_origins.len() * 64
}

/// A host name (letters, digits, `-`, dot-separated labels), an IPv4 address, or a bracketed
/// IPv6 address; lower case.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Reads one configured origin (not `*`).
fn parse_origin(origin: &str) -> Result<Allowed, OriginProblem> {
    if origin.is_empty() {
        return Err(OriginProblem::Empty);
    }
    let lower = origin.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return Err(OriginProblem::NoScheme);
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err(OriginProblem::NoScheme);
    }
    if rest.contains(['/', '?', '#']) {
        return Err(OriginProblem::Path);
    }
    if rest.contains('@') {
        return Err(OriginProblem::Userinfo);
    }
    // The port follows the last ':' after any bracketed IPv6 address.
    let port_at = match rest.rfind(']') {
        Some(bracket) => rest[bracket..].find(':').map(|at| bracket + at),
        None => rest.rfind(':'),
    };
    let (host, port) = match port_at {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let port = match port {
        None => None,
        Some(digits) => match digits.parse::<u16>() {
            Ok(port) if port > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Some(port),
            _ => return Err(OriginProblem::Port),
        },
    };
    // Browsers never send a scheme's default port.
    let port = match (scheme, port) {
        ("https", Some(443)) | ("http", Some(80)) => None,
        (_, port) => port,
    };
    let port = port.map(|port| format!(":{port}")).unwrap_or_default();
    match host.strip_prefix("*.") {
        Some(parent) if !parent.contains('*') && !parent.starts_with('[') => {
            // At least two labels under the wildcard: `*.com` would allow every .com site.
            if !valid_host(parent) || !parent.contains('.') {
                return Err(OriginProblem::Host);
            }
            Ok(Allowed::Subdomains {
                scheme: format!("{scheme}://"),
                suffix: format!(".{parent}{port}"),
            })
        }
        _ if host.contains('*') => Err(OriginProblem::Wildcard),
        _ if valid_host(host) => Ok(Allowed::Exact(format!("{scheme}://{host}{port}"))),
        _ => Err(OriginProblem::Host),
    }
}

/// What the plugin needs from a request to answer with CORS: its method and three headers.
#[derive(Debug, Default, Clone, Copy)]
pub struct CorsRequest<'r> {
    pub method: &'r [u8],
    pub origin: Option<&'r [u8]>,
    /// `access-control-request-method`.
    pub request_method: Option<&'r [u8]>,
    /// `access-control-request-headers`.
    pub request_headers: Option<&'r [u8]>,
}

/// The CORS headers of one answer to an allowed origin. Owned: the answer may be sent after the
/// request's headers are gone (a replaced upstream failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsHeaders {
    /// The request's origin; `None`: `*`.
    allow_origin: Option<Box<str>>,
    credentials: bool,
}

impl CorsHeaders {
    fn allow_origin(&self) -> &str {
        self.allow_origin.as_deref().unwrap_or("*")
    }

    /// Adds the headers of an actual (not preflight) answer.
    pub fn add_to<'a>(&'a self, headers: &mut Vec<(&'a str, &'a str)>) {
        headers.push(("access-control-allow-origin", self.allow_origin()));
        if self.credentials {
            headers.push(("access-control-allow-credentials", "true"));
        }
        headers.push(("access-control-expose-headers", EXPOSE_HEADERS));
        headers.push(("vary", "origin"));
    }
}

/// A preflight the plugin answers itself (`'p`: the configuration's lifetime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight<'p> {
    allow: CorsHeaders,
    method: Box<str>,
    headers: Option<Box<str>>,
    max_age: Option<&'p str>,
}

impl Preflight<'_> {
    /// `204` allowing the requested method and headers.
    pub fn reply(&self) -> Reply<'_> {
        let mut headers = vec![
            ("access-control-allow-origin", self.allow.allow_origin()),
            ("access-control-allow-methods", &*self.method),
        ];
        if let Some(requested) = &self.headers {
            headers.push(("access-control-allow-headers", requested));
        }
        if let Some(seconds) = self.max_age {
            headers.push(("access-control-max-age", seconds));
        }
        if self.allow.credentials {
            headers.push(("access-control-allow-credentials", "true"));
        }
        headers.push(("vary", "origin"));
        Reply::Http {
            status: 204,
            headers,
            body: None,
        }
    }
}

impl Cors {
    /// Whether `origin` (an `Origin` header's value) is allowed.
    pub fn allows(&self, origin: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let Ok(origin) = std::str::from_utf8(origin) else {
            return false;
        };
        let origin = origin.to_ascii_lowercase();
        self.allowed.iter().any(|allowed| match allowed {
            Allowed::Any => true,
            Allowed::Exact(exact) => *exact == origin,
            Allowed::Subdomains { scheme, suffix } => origin
                .strip_prefix(scheme.as_str())
                .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                .is_some_and(|labels| {
                    // Whole labels only, and nothing that could carry a port or path.
                    !labels.is_empty() && valid_host(labels)
                }),
        })
    }

    /// The headers for an answer to a request from `origin`; `None` without an `Origin` or for
    /// one that is not allowed.
    pub fn headers(&self, origin: Option<&[u8]>) -> Option<CorsHeaders> {
        let origin = origin.filter(|origin| self.allows(origin))?;
        let allow_origin = match self.any {
            true => None,
            // Allowed origins are ASCII (checked by `allows`).
            false => Some(std::str::from_utf8(origin).ok()?.into()),
        };
        Some(CorsHeaders {
            allow_origin,
            credentials: self.credentials,
        })
    }

    /// The preflight answer for `request`, when it is a preflight (`OPTIONS` with `Origin` and
    /// `access-control-request-method`) from an allowed origin asking for a well-formed method
    /// and headers; `None` otherwise (the request is then answered like any other).
    pub fn preflight(&self, request: &CorsRequest) -> Option<Preflight<'_>> {
        if request.method != b"OPTIONS" {
            return None;
        }
        let allow = self.headers(request.origin)?;
        let method = std::str::from_utf8(request.request_method?)
            .ok()
            .filter(|method| is_token(method))?;
        let requested = match request.request_headers {
            None => None,
            Some(names) => {
                let names = std::str::from_utf8(names)
                    .ok()
                    .filter(|names| is_header_list(names.as_bytes()))?
                    .trim();
                (!names.is_empty()).then(|| names.into())
            }
        };
        Some(Preflight {
            allow,
            method: method.into(),
            headers: requested,
            max_age: self.max_age.as_deref(),
        })
    }
}

/// A comma-separated list of header names, as `access-control-request-headers` holds.
fn is_header_list(names: &[u8]) -> bool {
    names
        .iter()
        .all(|&b| is_token_char(b) || matches!(b, b',' | b' ' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::notice;

    fn config(origins: &[&str], credentials: bool) -> Result<CorsConfig, String> {
        let origins: Vec<Origin> = origins
            .iter()
            .map(|origin| Origin::try_from(origin.to_string()))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        Ok(CorsConfig {
            allow_origins: origins,
            max_age: Some(Seconds(600)),
            allow_credentials: credentials,
        })
    }

    fn cors(origins: &[&str]) -> Cors {
        let config = config(origins, false).unwrap();
        assert_eq!(config.findings(), []);
        config.compile()
    }

    #[test]
    fn exact_and_wildcard_origins() {
        let cors = cors(&[
            "https://app.example.com",
            "https://*.example.org",
            "http://localhost:3000",
        ]);
        for allowed in [
            "https://app.example.com",
            "HTTPS://App.Example.COM",
            "https://a.example.org",
            "https://a.b.example.org",
            "http://localhost:3000",
        ] {
            assert!(cors.allows(allowed.as_bytes()), "{allowed}");
        }
        for refused in [
            "https://example.org",
            "https://.example.org",
            "https://evilexample.org",
            "https://a.example.org:8443",
            "http://a.example.org",
            "https://app.example.com:8443",
            "https://app.example.com.evil.net",
            "http://app.example.com",
            "https://evil.net/.example.org",
            "https://a..example.org",
            "https://a_b.example.org",
            "http://localhost",
            "null",
            "",
            "https://app.example.com\u{0}",
        ] {
            assert!(!cors.allows(refused.as_bytes()), "{refused}");
        }
        assert!(!cors.allows(b"https://app.example.com\xff"));
    }

    #[test]
    fn default_ports_are_the_same_origin() {
        let cors = cors(&["https://app.example.com:443", "http://*.example.net:80"]);
        assert!(cors.allows(b"https://app.example.com"));
        assert!(cors.allows(b"http://a.example.net"));
        assert!(!cors.allows(b"https://app.example.com:443"));
    }

    #[test]
    fn the_notice_header_is_exposed() {
        assert!(EXPOSE_HEADERS
            .split(", ")
            .any(|name| name == notice::HEADER));
    }

    #[test]
    fn any_origin() {
        let cors = cors(&["*"]);
        assert!(cors.allows(b"https://anything.example") && cors.allows(b"null"));
        let headers = cors.headers(Some(b"https://a.example")).unwrap();
        let mut list = Vec::new();
        headers.add_to(&mut list);
        assert_eq!(
            list,
            [
                ("access-control-allow-origin", "*"),
                (
                    "access-control-expose-headers",
                    "retry-after, maintenance-notice"
                ),
                ("vary", "origin"),
            ]
        );
        // Not a cross-origin request: nothing to add.
        assert_eq!(cors.headers(None), None);
    }

    #[test]
    fn answers_echo_the_allowed_origin() {
        let cors = config(&["https://app.example.com"], true)
            .unwrap()
            .compile();
        let mut list = Vec::new();
        let headers = cors.headers(Some(b"https://app.example.com")).unwrap();
        headers.add_to(&mut list);
        assert_eq!(
            list,
            [
                ("access-control-allow-origin", "https://app.example.com"),
                ("access-control-allow-credentials", "true"),
                (
                    "access-control-expose-headers",
                    "retry-after, maintenance-notice"
                ),
                ("vary", "origin"),
            ]
        );
        assert_eq!(cors.headers(Some(b"https://other.example.com")), None);
    }

    fn preflight_request<'a>(
        origin: &'a str,
        method: &'a str,
        headers: Option<&'a str>,
    ) -> CorsRequest<'a> {
        CorsRequest {
            method: b"OPTIONS",
            origin: Some(origin.as_bytes()),
            request_method: Some(method.as_bytes()),
            request_headers: headers.map(str::as_bytes),
        }
    }

    #[test]
    fn preflights_from_allowed_origins_are_answered() {
        let cors = cors(&["https://app.example.com"]);
        let request = preflight_request(
            "https://app.example.com",
            "PUT",
            Some("content-type,x-request-id"),
        );
        assert_eq!(
            cors.preflight(&request).unwrap().reply(),
            Reply::Http {
                status: 204,
                headers: vec![
                    ("access-control-allow-origin", "https://app.example.com"),
                    ("access-control-allow-methods", "PUT"),
                    ("access-control-allow-headers", "content-type,x-request-id"),
                    ("access-control-max-age", "600"),
                    ("vary", "origin"),
                ],
                body: None,
            }
        );
        let without_headers = preflight_request("https://app.example.com", "DELETE", None);
        let preflight = cors.preflight(&without_headers).unwrap();
        let Reply::Http { headers, .. } = preflight.reply();
        assert!(!headers
            .iter()
            .any(|(name, _)| *name == "access-control-allow-headers"));
        let blank_headers = preflight_request("https://app.example.com", "GET", Some(" "));
        assert_eq!(cors.preflight(&blank_headers).unwrap().headers, None);
    }

    #[test]
    fn other_requests_are_not_preflights() {
        let cors = cors(&["https://app.example.com"]);
        let mut request = preflight_request("https://app.example.com", "PUT", None);
        request.method = b"GET";
        assert_eq!(cors.preflight(&request), None);
        for (origin, method, headers) in [
            ("https://evil.example.com", "PUT", None),
            ("https://app.example.com", "PU T", None),
            ("https://app.example.com", "", None),
            ("https://app.example.com", "PUT", Some("x-a\r\nx-b")),
            ("https://app.example.com", "PUT", Some("x-a;x-b")),
        ] {
            let request = preflight_request(origin, method, headers);
            assert_eq!(
                cors.preflight(&request),
                None,
                "{origin} {method} {headers:?}"
            );
        }
        let no_method = CorsRequest {
            request_method: None,
            ..preflight_request("https://app.example.com", "PUT", None)
        };
        assert_eq!(cors.preflight(&no_method), None);
        let no_origin = CorsRequest {
            origin: None,
            ..preflight_request("https://app.example.com", "PUT", None)
        };
        assert_eq!(cors.preflight(&no_origin), None);
    }

    #[test]
    fn bad_origins_say_what_is_wrong() {
        let problem = |origin: &str| match Origin::try_from(origin.to_string()) {
            Err(OriginError { problem, .. }) => problem,
            Ok(_) => panic!("{origin} accepted"),
        };
        assert_eq!(problem("https://app.example.com/"), OriginProblem::Path);
        assert_eq!(problem("https://app.example.com/api"), OriginProblem::Path);
        assert_eq!(problem("https://app.example.com?x"), OriginProblem::Path);
        assert_eq!(problem("app.example.com"), OriginProblem::NoScheme);
        assert_eq!(problem("://app.example.com"), OriginProblem::NoScheme);
        assert_eq!(problem("1http://app.example.com"), OriginProblem::NoScheme);
        assert_eq!(
            problem("https://user@app.example.com"),
            OriginProblem::Userinfo
        );
        assert_eq!(problem("https://app.example.com:0"), OriginProblem::Port);
        assert_eq!(
            problem("https://app.example.com:99999"),
            OriginProblem::Port
        );
        assert_eq!(problem("https://app.example.com:+1"), OriginProblem::Port);
        assert_eq!(problem("https://"), OriginProblem::Host);
        assert_eq!(problem("https://app_x.example.com"), OriginProblem::Host);
        assert_eq!(problem("https://*.com"), OriginProblem::Host);
        assert_eq!(problem("https://app.*.com"), OriginProblem::Wildcard);
        assert_eq!(problem("https://*example.com"), OriginProblem::Wildcard);
        assert_eq!(problem("https://*.*.example.com"), OriginProblem::Wildcard);
        assert_eq!(problem(""), OriginProblem::Empty);
        let error = Origin::try_from("https://app.example.com/".to_string()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("\"https://app.example.com/\" has a path"),
            "{error}"
        );
        // IPv6 and IPv4 hosts.
        let ip = cors(&["http://[::1]:8080", "http://127.0.0.1:5173"]);
        assert!(ip.allows(b"http://[::1]:8080") && ip.allows(b"http://127.0.0.1:5173"));
    }

    #[test]
    fn findings_over_the_whole_list() {
        assert_eq!(
            config(&[], false).unwrap().findings(),
            [CorsFinding::NoOrigins]
        );
        let repeated = config(
            &["https://a.example.com", "https://A.example.com:443"],
            false,
        );
        assert_eq!(
            repeated.unwrap().findings(),
            [CorsFinding::RepeatedOrigin(1)]
        );
        assert_eq!(
            config(&["*", "*"], false).unwrap().findings(),
            [CorsFinding::RepeatedOrigin(1)]
        );
        assert_eq!(
            config(&["https://a.example.com", "*"], true)
                .unwrap()
                .findings(),
            [CorsFinding::CredentialsWithAnyOrigin(1)]
        );
        assert!(CorsFinding::NoOrigins.to_string().contains("omit cors"));
    }

    #[test]
    fn read_from_json() {
        let config: CorsConfig = serde_json::from_str(
            r#"{"allow_origins": ["https://app.example.com", "https://*.example.com"], "max_age": 600}"#,
        )
        .unwrap();
        let cors = config.compile();
        assert!(cors.allows(b"https://x.example.com"));
        assert!(serde_json::from_str::<CorsConfig>(r#"{"allow_origin": []}"#).is_err());
        assert!(serde_json::from_str::<CorsConfig>(r#"{"max_age": 1}"#).is_err());
        let max_age =
            serde_json::from_str::<CorsConfig>(r#"{"allow_origins": ["*"], "max_age": 86401}"#)
                .unwrap_err();
        assert!(
            max_age
                .to_string()
                .contains("86401 is not between 0 and 86400 seconds"),
            "{max_age}"
        );
        let path =
            serde_json::from_str::<CorsConfig>(r#"{"allow_origins": ["https://a.example/"]}"#)
                .unwrap_err();
        assert!(path.to_string().contains("has a path"), "{path}");
    }
}
