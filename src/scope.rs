//! Which requests maintenance applies to (routes) and which of those go through anyway
//! (bypass paths). Everything here is compiled once at configure time; per request it costs a
//! few hash lookups, however many rules there are.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::path::{is_under_prefix, literal_path, NormalizedPath};

/// FNV-1a: the indexes are looked up several times per request with short keys, where std's
/// SipHash costs more than the lookup. Flooding is not a concern: only the configuration
/// chooses the stored keys; a request only chooses what it looks up.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Index = HashMap<String, Vec<usize>, BuildHasherDefault<Fnv>>;

/// The request's host as matched against `hosts`: lower-case, no port, no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizedHost {
    Clean(String),
    /// Missing or malformed; matches every host condition (fails closed, like paths).
    Ambiguous,
}

/// Normalizes an `:authority` value.
pub fn normalize_host(raw: Option<&[u8]>) -> NormalizedHost {
    let Some(raw) = raw else {
        return NormalizedHost::Ambiguous;
    };
    let host = if raw.first() == Some(&b'[') {
        // IPv6 literal: `[::1]` or `[::1]:8080`.
        let Some(close) = raw.iter().position(|&b| b == b']') else {
            return NormalizedHost::Ambiguous;
        };
        let (literal, rest) = raw.split_at(close + 1);
        if !valid_port_suffix(rest)
            || !literal[1..close]
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return NormalizedHost::Ambiguous;
        }
        literal
    } else {
        let name = match raw.iter().rposition(|&b| b == b':') {
            Some(colon) => {
                if !valid_port_suffix(&raw[colon..]) {
                    return NormalizedHost::Ambiguous;
                }
                &raw[..colon]
            }
            None => raw,
        };
        let name = name.strip_suffix(b".").unwrap_or(name);
        if name.is_empty() || !name.iter().all(|&b| is_host_char(b)) {
            return NormalizedHost::Ambiguous;
        }
        name
    };
    match std::str::from_utf8(host) {
        Ok(host) => NormalizedHost::Clean(host.to_ascii_lowercase()),
        Err(_) => NormalizedHost::Ambiguous,
    }
}

fn is_host_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_')
}

/// Empty, or `:` followed by 1 to 5 digits.
fn valid_port_suffix(rest: &[u8]) -> bool {
    match rest.split_first() {
        None => true,
        Some((b':', digits)) => {
            !digits.is_empty() && digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit)
        }
        Some(_) => false,
    }
}

/// One configured host: `*` (any), `*.example.com` (any subdomain) or an exact name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Any,
    /// Stored with its leading dot: `.example.com`.
    Suffix(String),
    Exact(String),
}

impl HostPattern {
    /// Parses a configured host; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        let lower = text.to_ascii_lowercase();
        let lower = lower.strip_suffix('.').unwrap_or(&lower);
        let (name, is_suffix) = match lower.strip_prefix("*.") {
            Some(rest) => (rest, true),
            None => (lower, false),
        };
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        if name.contains('*') {
            return Err(
                "'*' is only allowed as '*' alone or as the first label ('*.example.com')".into(),
            );
        }
        if !is_suffix && name.starts_with('[') {
            if let NormalizedHost::Clean(literal) = normalize_host(Some(name.as_bytes())) {
                return Ok(HostPattern::Exact(literal));
            }
            return Err("is not a valid IPv6 literal".into());
        }
        if name.contains(':') {
            return Err("must not include a port (ports are ignored when matching)".into());
        }
        if !name.bytes().all(is_host_char) || name.starts_with('.') || name.contains("..") {
            return Err("is not a valid host name".into());
        }
        Ok(if is_suffix {
            HostPattern::Suffix(format!(".{name}"))
        } else {
            HostPattern::Exact(name.to_owned())
        })
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Suffix(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
            HostPattern::Exact(name) => host == name,
        }
    }
}

/// The path condition of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathCondition {
    /// Segment-aware prefix, normalized without trailing slash (except `/`).
    Prefix(String),
    /// Exact normalized path.
    Exact(String),
}

/// One compiled route: all given conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub hosts: Option<Vec<HostPattern>>,
    pub path: Option<PathCondition>,
    /// Upper-case method names.
    pub methods: Option<Vec<String>>,
}

/// What a request looks like to the matchers.
#[derive(Debug)]
pub struct MatchInput<'a> {
    pub host: &'a NormalizedHost,
    pub path: &'a NormalizedPath,
    pub method: &'a [u8],
}

impl Route {
    fn matches(&self, request: &MatchInput) -> bool {
        let path_ok = match (&self.path, request.path) {
            (None, _) | (Some(_), NormalizedPath::Ambiguous(_)) => true,
            (Some(PathCondition::Prefix(prefix)), NormalizedPath::Clean(path)) => {
                is_under_prefix(path, prefix)
            }
            (Some(PathCondition::Exact(exact)), NormalizedPath::Clean(path)) => path == exact,
        };
        let host_ok = match (&self.hosts, request.host) {
            (None, _) | (Some(_), NormalizedHost::Ambiguous) => true,
            (Some(patterns), NormalizedHost::Clean(host)) => {
                patterns.iter().any(|pattern| pattern.matches(host))
            }
        };
        // Methods are case-sensitive in HTTP, but some servers upper-case them: compare
        // case-insensitively so `post` cannot slip past a `POST` route.
        let method_ok = match &self.methods {
            None => true,
            Some(methods) => methods
                .iter()
                .any(|method| method.as_bytes().eq_ignore_ascii_case(request.method)),
        };
        path_ok && host_ok && method_ok
    }

    /// The keys this route is indexed under in [`Scope::by_host`]: every host pattern, when
    /// none is `*`.
    fn host_keys(&self) -> Option<Vec<&str>> {
        self.hosts
            .as_ref()?
            .iter()
            .map(|pattern| match pattern {
                HostPattern::Any => None,
                HostPattern::Suffix(suffix) => Some(suffix.as_str()),
                HostPattern::Exact(name) => Some(name.as_str()),
            })
            .collect()
    }
}

/// The keys under which routes for `host` are indexed: the host itself and every suffix
/// starting at a dot that leaves at least one character before it (`a.b.c`: `a.b.c`, `.b.c`,
/// `.c`).
fn host_keys_of(host: &str) -> impl Iterator<Item = &str> {
    std::iter::once(host).chain(
        host.char_indices()
            .skip(1)
            .filter(|&(_, c)| c == '.')
            .map(move |(index, _)| &host[index..]),
    )
}

/// Every ancestor prefix of a clean path, as configured prefixes are stored: for `/a/b/` that is
/// `/`, `/a`, `/a/b` and `/a/b/` (the last matters only for an exact path).
fn prefixes_of(path: &str) -> impl Iterator<Item = &str> {
    std::iter::once("/").chain(
        path.char_indices()
            .skip(1)
            .filter(|&(_, c)| c == '/')
            .map(move |(index, _)| &path[..index])
            .chain(std::iter::once(path).filter(|p| p.len() > 1 && !p.ends_with('/'))),
    )
}

/// The set of requests maintenance applies to.
///
/// Each route is indexed once, under its hosts when it names them (no `*`), else under its
/// path condition, else not at all; a clean request looks up only the keys its host and path
/// can match (a handful of hash lookups however many routes there are) and checks those routes
/// fully. Ambiguous requests, which match every host or path condition, check every route.
#[derive(Debug, Default)]
pub struct Scope {
    /// `None`: every request is in scope (no `routes` configured).
    routes: Option<Vec<Route>>,
    /// Route indexes by exact host name and by `*.` suffix (stored with its leading dot).
    by_host: Index,
    by_prefix: Index,
    by_exact_path: Index,
    /// Routes with neither host names nor a path condition: checked for every request.
    unindexed: Vec<usize>,
    uses_hosts: bool,
    uses_methods: bool,
}

impl Scope {
    /// Every request is in scope.
    pub fn everything() -> Scope {
        Scope::default()
    }

    pub fn from_routes(routes: Vec<Route>) -> Scope {
        let mut scope = Scope {
            uses_hosts: routes.iter().any(|route| route.hosts.is_some()),
            uses_methods: routes.iter().any(|route| route.methods.is_some()),
            ..Scope::default()
        };
        for (index, route) in routes.iter().enumerate() {
            if let Some(keys) = route.host_keys() {
                for key in keys {
                    let indexes = scope.by_host.entry(key.to_owned()).or_default();
                    // A route naming the same host twice is listed once.
                    if indexes.last() != Some(&index) {
                        indexes.push(index);
                    }
                }
                continue;
            }
            match &route.path {
                Some(PathCondition::Prefix(prefix)) => scope
                    .by_prefix
                    .entry(prefix.clone())
                    .or_default()
                    .push(index),
                Some(PathCondition::Exact(path)) => scope
                    .by_exact_path
                    .entry(path.clone())
                    .or_default()
                    .push(index),
                None => scope.unindexed.push(index),
            }
        }
        scope.routes = Some(routes);
        scope
    }

    pub fn route_count(&self) -> usize {
        self.routes.as_ref().map_or(0, Vec::len)
    }

    /// Whether any route has a host condition: if not, the request's host cannot change whether
    /// it is in scope, and the filter need not read it.
    pub fn uses_hosts(&self) -> bool {
        self.uses_hosts
    }

    /// Whether any route has a method condition (see [`Scope::uses_hosts`]).
    pub fn uses_methods(&self) -> bool {
        self.uses_methods
    }

    /// Whether maintenance applies to this request.
    pub fn contains(&self, request: &MatchInput) -> bool {
        let Some(routes) = &self.routes else {
            return true;
        };
        let (NormalizedHost::Clean(host), NormalizedPath::Clean(path)) =
            (request.host, request.path)
        else {
            return routes.iter().any(|route| route.matches(request));
        };
        let candidate = |index: &usize| {
            routes
                .get(*index)
                .is_some_and(|route| route.matches(request))
        };
        let listed = |index: &Index, key: &str| {
            index
                .get(key)
                .is_some_and(|indexes| indexes.iter().any(candidate))
        };
        self.unindexed.iter().any(candidate)
            || host_keys_of(host).any(|key| listed(&self.by_host, key))
            || listed(&self.by_exact_path, path)
            || prefixes_of(path).any(|prefix| listed(&self.by_prefix, prefix))
    }
}

/// Paths that go upstream even while maintenance applies.
#[derive(Debug, Default)]
pub struct BypassPaths {
    /// Normalized prefixes without trailing slash (except `/`).
    prefixes: HashSet<String, BuildHasherDefault<Fnv>>,
}

impl BypassPaths {
    pub fn new(prefixes: impl IntoIterator<Item = String>) -> BypassPaths {
        BypassPaths {
            prefixes: prefixes.into_iter().collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.prefixes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }

    /// Only a clean path can be bypassed: ambiguity never widens a bypass.
    pub fn covers(&self, path: &NormalizedPath) -> bool {
        match path {
            NormalizedPath::Clean(path) if !self.prefixes.is_empty() => {
                prefixes_of(path).any(|prefix| self.prefixes.contains(prefix))
            }
            _ => false,
        }
    }

    /// Whether the raw `:path`, read literally (no decoding), is under a prefix too. A bypass
    /// needs both readings: an upstream that does not decode sees `/%61dmin` as another path
    /// than `/admin`, perhaps one served by a catch-all route.
    pub fn covers_literally(&self, raw: &[u8]) -> bool {
        match literal_path(raw) {
            Some(path) if !self.prefixes.is_empty() && path.starts_with('/') => {
                prefixes_of(path).any(|prefix| self.prefixes.contains(prefix))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::normalize;

    fn host(raw: &str) -> NormalizedHost {
        normalize_host(Some(raw.as_bytes()))
    }

    fn clean_host(name: &str) -> NormalizedHost {
        NormalizedHost::Clean(name.into())
    }

    #[test]
    fn hosts_are_normalized() {
        assert_eq!(host("Shop.Example.COM"), clean_host("shop.example.com"));
        assert_eq!(
            host("shop.example.com:8443"),
            clean_host("shop.example.com")
        );
        assert_eq!(host("shop.example.com."), clean_host("shop.example.com"));
        assert_eq!(host("shop.example.com.:80"), clean_host("shop.example.com"));
        assert_eq!(host("[::1]:10000"), clean_host("[::1]"));
        assert_eq!(host("[::1]"), clean_host("[::1]"));
        assert_eq!(host("127.0.0.1:10000"), clean_host("127.0.0.1"));
        for bad in [
            "", ":80", "a:b", "a b", "a/b", "[::1", "[zz]", "a:123456", "a@b",
        ] {
            assert_eq!(host(bad), NormalizedHost::Ambiguous, "{bad}");
        }
        assert_eq!(normalize_host(None), NormalizedHost::Ambiguous);
    }

    #[test]
    fn host_patterns() {
        let suffix = HostPattern::parse("*.Example.com").unwrap();
        assert!(suffix.matches("a.example.com"));
        assert!(suffix.matches("a.b.example.com"));
        assert!(!suffix.matches("example.com"));
        assert!(!suffix.matches("badexample.com"));
        let exact = HostPattern::parse("Shop.example.com.").unwrap();
        assert!(exact.matches("shop.example.com"));
        assert!(!exact.matches("x.shop.example.com"));
        assert!(HostPattern::parse("*").unwrap().matches("anything"));
        for bad in ["", "*foo", "a.*.b", "*.", "a b", "a:80", "a..b", ".a"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }

    fn route(
        hosts: Option<&[&str]>,
        path: Option<PathCondition>,
        methods: Option<&[&str]>,
    ) -> Route {
        Route {
            hosts: hosts.map(|hosts| {
                hosts
                    .iter()
                    .map(|h| HostPattern::parse(h).unwrap())
                    .collect()
            }),
            path,
            methods: methods.map(|m| m.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn in_scope(scope: &Scope, host_raw: &str, path_raw: &str, method: &str) -> bool {
        scope.contains(&MatchInput {
            host: &host(host_raw),
            path: &normalize(path_raw.as_bytes()),
            method: method.as_bytes(),
        })
    }

    #[test]
    fn routes_are_conjunctions_and_any_route_counts() {
        let scope = Scope::from_routes(vec![
            route(
                Some(&["shop.example.com"]),
                Some(PathCondition::Prefix("/cart".into())),
                None,
            ),
            route(
                None,
                Some(PathCondition::Exact("/login".into())),
                Some(&["POST"]),
            ),
            route(Some(&["*.api.example.com"]), None, Some(&["PUT", "DELETE"])),
        ]);
        assert!(in_scope(&scope, "shop.example.com", "/cart/1", "GET"));
        assert!(!in_scope(&scope, "shop.example.com", "/carts", "GET"));
        assert!(!in_scope(&scope, "other.example.com", "/cart", "GET"));
        assert!(in_scope(&scope, "x", "/login", "POST"));
        assert!(in_scope(&scope, "x", "/login", "post"));
        assert!(!in_scope(&scope, "x", "/login", "GET"));
        assert!(!in_scope(&scope, "x", "/login/", "POST"));
        assert!(in_scope(
            &scope,
            "v1.api.example.com",
            "/anything",
            "DELETE"
        ));
        assert!(!in_scope(&scope, "v1.api.example.com", "/anything", "GET"));
        // Ambiguous paths satisfy path conditions; ambiguous hosts satisfy host conditions.
        assert!(in_scope(&scope, "shop.example.com", "/blog/../cart", "GET"));
        assert!(in_scope(&scope, "x", "/x;y", "POST"));
        assert!(in_scope(&scope, "bad host", "/cart", "GET"));
        assert!(!in_scope(&scope, "bad host", "/blog", "GET"));
    }

    #[test]
    fn host_indexed_routes_still_check_path_and_method() {
        let scope = Scope::from_routes(vec![
            route(
                Some(&["shop.example.com", "*.shop.example.com"]),
                Some(PathCondition::Prefix("/cart".into())),
                Some(&["POST"]),
            ),
            // `*` cannot be indexed by host: indexed by path instead.
            route(
                Some(&["*", "x.example.com"]),
                Some(PathCondition::Exact("/login".into())),
                None,
            ),
        ]);
        assert!(in_scope(&scope, "shop.example.com", "/cart/1", "POST"));
        assert!(in_scope(
            &scope,
            "a.b.shop.example.com:8443",
            "/cart",
            "POST"
        ));
        assert!(!in_scope(&scope, "shop.example.com", "/cart/1", "GET"));
        assert!(!in_scope(&scope, "shop.example.com", "/blog", "POST"));
        assert!(!in_scope(&scope, "example.com", "/cart", "POST"));
        assert!(!in_scope(&scope, "badshop.example.com", "/cart", "POST"));
        assert!(!in_scope(&scope, ".shop.example.com", "/cart", "POST"));
        assert!(in_scope(&scope, "anything.test", "/login", "GET"));
        assert!(!in_scope(&scope, "anything.test", "/logout", "GET"));
        // Ambiguous hosts and paths still reach host-indexed routes.
        assert!(in_scope(&scope, "bad host", "/cart", "POST"));
        assert!(in_scope(&scope, "shop.example.com", "//cart", "POST"));
    }

    #[test]
    fn many_routes_match_like_few() {
        let mut routes: Vec<Route> = (0..10_000)
            .map(|i| {
                let host = format!("app-{i}.example.org");
                let path = PathCondition::Prefix(format!("/api/v{i}"));
                match i % 3 {
                    0 => route(Some(&[host.as_str()]), None, None),
                    1 => route(Some(&["*.example.net"]), Some(path), None),
                    _ => route(None, Some(path), Some(&["DELETE"])),
                }
            })
            .collect();
        routes.push(route(
            Some(&["*.shop.example.com"]),
            Some(PathCondition::Prefix("/checkout".into())),
            None,
        ));
        let scope = Scope::from_routes(routes);
        assert!(!in_scope(
            &scope,
            "shop.example.com",
            "/catalog/item",
            "GET"
        ));
        assert!(in_scope(
            &scope,
            "eu.shop.example.com",
            "/checkout/pay",
            "GET"
        ));
        assert!(!in_scope(&scope, "eu.shop.example.com", "/catalog", "GET"));
        assert!(in_scope(&scope, "app-9999.example.org", "/x", "GET"));
        assert!(!in_scope(&scope, "app-9998.example.org", "/x", "GET"));
        assert!(in_scope(&scope, "a.example.net", "/api/v4/x", "GET"));
        assert!(!in_scope(&scope, "a.example.com", "/api/v4/x", "GET"));
        assert!(in_scope(&scope, "a.example.com", "/api/v5", "DELETE"));
        assert!(!in_scope(&scope, "a.example.com", "/api/v5", "GET"));
    }

    #[test]
    fn scope_says_which_request_facts_it_uses() {
        assert!(!Scope::everything().uses_hosts() && !Scope::everything().uses_methods());
        let paths = Scope::from_routes(vec![route(
            None,
            Some(PathCondition::Prefix("/a".into())),
            None,
        )]);
        assert!(!paths.uses_hosts() && !paths.uses_methods());
        let both = Scope::from_routes(vec![
            route(Some(&["a.example"]), None, None),
            route(None, None, Some(&["POST"])),
        ]);
        assert!(both.uses_hosts() && both.uses_methods());
    }

    #[test]
    fn a_route_without_fields_matches_everything() {
        let scope = Scope::from_routes(vec![Route::default()]);
        assert!(in_scope(&scope, "a", "/", "GET"));
        assert!(Scope::everything().contains(&MatchInput {
            host: &NormalizedHost::Ambiguous,
            path: &normalize(b"*"),
            method: b"OPTIONS",
        }));
    }

    #[test]
    fn root_prefix_route_covers_everything() {
        let scope = Scope::from_routes(vec![route(
            None,
            Some(PathCondition::Prefix("/".into())),
            None,
        )]);
        assert!(in_scope(&scope, "a", "/", "GET"));
        assert!(in_scope(&scope, "a", "/x/y", "GET"));
    }

    #[test]
    fn bypass_paths_are_segment_aware_and_never_ambiguous() {
        let bypass = BypassPaths::new(["/admin".to_string(), "/healthz".to_string()]);
        let covers = |raw: &str| bypass.covers(&normalize(raw.as_bytes()));
        assert!(covers("/admin"));
        assert!(covers("/admin/"));
        assert!(covers("/admin/users?x=1"));
        assert!(covers("/%61dmin"));
        assert!(covers("/healthz"));
        assert!(!covers("/administrator"));
        assert!(!covers("/ADMIN"));
        assert!(!covers("/admin/../checkout"));
        assert!(!covers("/admin%2Fx"));
        assert!(!covers("/admin;x"));
        assert!(!covers("//admin"));
        assert!(!covers("/checkout?next=/admin"));
        assert!(!covers("/"));
        let everything = BypassPaths::new(["/".to_string()]);
        assert!(everything.covers(&normalize(b"/x")));
    }

    #[test]
    fn literal_reading_of_bypass_paths() {
        let bypass = BypassPaths::new(["/admin".to_string(), "/caf%C3%A9".to_string()]);
        assert!(bypass.covers_literally(b"/admin"));
        assert!(bypass.covers_literally(b"/admin/%7Euser?x=%61"));
        assert!(bypass.covers_literally(b"/caf%C3%A9/x"));
        // Readers that do not decode see other paths.
        assert!(!bypass.covers_literally(b"/%61dmin/x"));
        assert!(!bypass.covers_literally(b"/admi%6E"));
        assert!(!bypass.covers_literally(b"/caf%c3%a9/x"));
        assert!(!bypass.covers_literally(b"/administrator"));
        assert!(!bypass.covers_literally(b"admin"));
        assert!(!bypass.covers_literally(b"/admin/\xc3"));
        assert!(!bypass.covers_literally(b""));
        assert!(!BypassPaths::default().covers_literally(b"/admin"));
    }

    #[test]
    fn prefixes_of_lists_ancestors() {
        assert_eq!(prefixes_of("/").collect::<Vec<_>>(), ["/"]);
        assert_eq!(prefixes_of("/a/b").collect::<Vec<_>>(), ["/", "/a", "/a/b"]);
        assert_eq!(
            prefixes_of("/a/b/").collect::<Vec<_>>(),
            ["/", "/a", "/a/b"]
        );
    }
}
