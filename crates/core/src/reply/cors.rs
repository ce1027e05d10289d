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

/// `cors` as operators write it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins whose pages may read the plugin's answers, as browsers send them in `Origin`:
    /// `https://app.example.com` (scheme, host and port, no path), `https://*.example.com` (any
    /// subdomain of `example.com`, not `example.com` itself), or `*` (every origin). At least
    /// one.
    pub allow_origins: Vec<String>,
    /// Seconds browsers may keep the answer to a preflight (`access-control-max-age`),
    /// 0..=86400. Absent: not sent (browsers then keep it for 5 seconds).
    pub max_age: Option<u64>,
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

/// Why a `cors` configuration is refused; [`CorsError::field`] says where, inside `cors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsError {
    NoOrigins,
    Origin {
        index: usize,
        origin: String,
        problem: OriginProblem,
    },
    RepeatedOrigin {
        index: usize,
        origin: String,
    },
    MaxAge(u64),
    CredentialsWithAnyOrigin,
}

impl CorsError {
    /// The offending field, relative to `cors`.
    pub fn field(&self) -> String {
        match self {
            CorsError::NoOrigins => "allow_origins".to_string(),
            CorsError::Origin { index, .. } | CorsError::RepeatedOrigin { index, .. } => {
                format!("allow_origins[{index}]")
            }
            CorsError::MaxAge(_) => "max_age".to_string(),
            CorsError::CredentialsWithAnyOrigin => "allow_credentials".to_string(),
        }
    }
}

impl std::fmt::Display for CorsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorsError::NoOrigins => {
                f.write_str("is empty, which allows no origin; omit cors to send no CORS headers")
            }
            CorsError::Origin {
                origin, problem, ..
            } => write!(f, "{origin:?} {}", problem.text()),
            CorsError::RepeatedOrigin { origin, .. } => write!(f, "{origin:?} is given twice"),
            CorsError::MaxAge(seconds) => {
                write!(f, "{seconds} is not between 0 and {MAX_MAX_AGE} seconds")
            }
            CorsError::CredentialsWithAnyOrigin => f.write_str(
                "cannot be true with \"*\" in allow_origins: browsers refuse credentials with \
                 any origin; list the origins",
            ),
        }
    }
}

impl std::error::Error for CorsError {}

/// One allowed origin, lower case, without a default port.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
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
    pub fn compile(self) -> Result<Cors, CorsError> {
        if self.allow_origins.is_empty() {
            return Err(CorsError::NoOrigins);
        }
        let mut cors = Cors {
            any: false,
            allowed: Vec::with_capacity(self.allow_origins.len()),
            max_age: None,
            credentials: self.allow_credentials,
        };
        for (index, origin) in self.allow_origins.into_iter().enumerate() {
            if origin == "*" {
                if cors.any {
                    return Err(CorsError::RepeatedOrigin { index, origin });
                }
                cors.any = true;
                continue;
            }
            let allowed = parse_origin(&origin).map_err(|problem| CorsError::Origin {
                index,
                origin: origin.clone(),
                problem,
            })?;
            if cors.allowed.contains(&allowed) {
                return Err(CorsError::RepeatedOrigin { index, origin });
            }
            cors.allowed.push(allowed);
        }
        if cors.any && cors.credentials {
            return Err(CorsError::CredentialsWithAnyOrigin);
        }
        cors.max_age = match self.max_age {
            None => None,
            Some(seconds @ 0..=MAX_MAX_AGE) => Some(seconds.to_string()),
            Some(other) => return Err(CorsError::MaxAge(other)),
        };
        Ok(cors)
    }
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

    fn cors(origins: &[&str]) -> Result<Cors, CorsError> {
        CorsConfig {
            allow_origins: origins.iter().map(|o| o.to_string()).collect(),
            max_age: Some(600),
            allow_credentials: false,
        }
        .compile()
    }

    #[test]
    fn exact_and_wildcard_origins() {
        let cors = cors(&[
            "https://app.example.com",
            "https://*.example.org",
            "http://localhost:3000",
        ])
        .unwrap();
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
        let cors = cors(&["https://app.example.com:443", "http://*.example.net:80"]).unwrap();
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
        let cors = cors(&["*"]).unwrap();
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
        let cors = CorsConfig {
            allow_origins: vec!["https://app.example.com".into()],
            max_age: None,
            allow_credentials: true,
        }
        .compile()
        .unwrap();
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
        let cors = cors(&["https://app.example.com"]).unwrap();
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
        let cors = cors(&["https://app.example.com"]).unwrap();
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
    fn bad_configurations_name_the_entry() {
        let problem = |origin: &str| match cors(&["https://ok.example.com", origin]) {
            Err(CorsError::Origin {
                index: 1, problem, ..
            }) => problem,
            other => panic!("{origin}: {other:?}"),
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
        let error = cors(&["https://app.example.com/"]).unwrap_err();
        assert_eq!(error.field(), "allow_origins[0]");
        assert!(
            error
                .to_string()
                .starts_with("\"https://app.example.com/\" has a path"),
            "{error}"
        );
        assert_eq!(cors(&[]).unwrap_err(), CorsError::NoOrigins);
        assert_eq!(cors(&[]).unwrap_err().field(), "allow_origins");
        let repeated = cors(&["https://a.example.com", "https://A.example.com:443"]).unwrap_err();
        assert_eq!(repeated.field(), "allow_origins[1]");
        assert!(cors(&["*", "*"]).is_err());
        let max_age = CorsConfig {
            allow_origins: vec!["*".into()],
            max_age: Some(MAX_MAX_AGE + 1),
            allow_credentials: false,
        };
        assert_eq!(max_age.compile().unwrap_err().field(), "max_age");
        let credentials = CorsConfig {
            allow_origins: vec!["https://a.example.com".into(), "*".into()],
            max_age: None,
            allow_credentials: true,
        };
        assert_eq!(
            credentials.compile().unwrap_err(),
            CorsError::CredentialsWithAnyOrigin
        );
        // IPv6 and IPv4 hosts.
        let ip = cors(&["http://[::1]:8080", "http://127.0.0.1:5173"]).unwrap();
        assert!(ip.allows(b"http://[::1]:8080") && ip.allows(b"http://127.0.0.1:5173"));
    }

    #[test]
    fn read_from_json() {
        let config: CorsConfig = serde_json::from_str(
            r#"{"allow_origins": ["https://app.example.com", "https://*.example.com"], "max_age": 600}"#,
        )
        .unwrap();
        let cors = config.compile().unwrap();
        assert!(cors.allows(b"https://x.example.com"));
        assert!(serde_json::from_str::<CorsConfig>(r#"{"allow_origin": []}"#).is_err());
        assert!(serde_json::from_str::<CorsConfig>(r#"{"max_age": 1}"#).is_err());
    }
}
