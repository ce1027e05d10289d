//! Which requests maintenance applies to: routes, compiled once at configure time into an
//! index; per request it costs a few hash lookups, however many routes there are.

use crate::bytes::{fnv1a, index_number, HashIndex as Index};
use crate::request::hostname::{HostPattern, NormalizedHost};
use crate::request::path::{is_under_prefix, prefixes_of, NormalizedPath};

/// The path condition of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathCondition {
    /// Segment-aware prefix, normalized without trailing slash (except `/`).
    Prefix(Box<str>),
    /// Exact normalized path.
    Exact(Box<str>),
}

/// One compiled route: all given conditions must hold. Boxed slices and strings: exactly sized, and smaller than vectors (memory per route counts
/// with 10,000 of them in every VM).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub hosts: Option<Box<[HostPattern]>>,
    pub path: Option<PathCondition>,
    /// Upper-case method names.
    pub methods: Option<Box<[Box<str>]>>,
}

/// What a request looks like to the matchers.
#[derive(Debug)]
pub struct MatchInput<'a> {
    pub host: &'a NormalizedHost<'a>,
    pub path: &'a NormalizedPath<'a>,
    pub method: &'a [u8],
}

impl Route {
    fn matches(&self, request: &MatchInput) -> bool {
        let path_ok = match (&self.path, request.path) {
            (None, _) | (Some(_), NormalizedPath::Ambiguous(_)) => true,
            (Some(PathCondition::Prefix(prefix)), NormalizedPath::Clean(path)) => {
                is_under_prefix(path, prefix)
            }
            (Some(PathCondition::Exact(exact)), NormalizedPath::Clean(path)) => **path == **exact,
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
    fn host_keys(&self) -> Option<impl Iterator<Item = &str>> {
        let patterns = self.hosts.as_ref()?;
        if patterns
            .iter()
            .any(|pattern| matches!(pattern, HostPattern::Any))
        {
            return None;
        }
        Some(patterns.iter().map(|pattern| match pattern {
            HostPattern::Any => "",
            HostPattern::Suffix(key) | HostPattern::Exact(key) => &**key,
        }))
    }
}

/// The keys under which routes for `host` are indexed: the host itself and every suffix
/// starting at a dot that leaves at least one character before it (`a.b.c`: `a.b.c`, `.b.c`,
/// `.c`).
fn host_keys_of(host: &str) -> impl Iterator<Item = &str> {
    std::iter::once(host).chain(
        // Bytes, not chars (`.` never occurs inside a multi-byte character): cheaper per request.
        host.bytes()
            .enumerate()
            .skip(1)
            .filter(|&(_, b)| b == b'.')
            .map(move |(index, _)| &host[index..]),
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
    uses_paths: bool,
    uses_methods: bool,
}

impl Scope {
    /// Every request is in scope.
    pub fn everything() -> Scope {
        Scope::default()
    }

    pub fn from_routes(routes: Vec<Route>) -> Scope {
        let (mut by_host, mut by_prefix, mut by_exact_path) = (Vec::new(), Vec::new(), Vec::new());
        let mut unindexed = Vec::new();
        for (index, route) in routes.iter().enumerate() {
            let number = index_number(index);
            if let Some(keys) = route.host_keys() {
                by_host.extend(keys.map(|key| (fnv1a(key.as_bytes()), number)));
                continue;
            }
            match &route.path {
                Some(PathCondition::Prefix(prefix)) => {
                    by_prefix.push((fnv1a(prefix.as_bytes()), number));
                }
                Some(PathCondition::Exact(path)) => {
                    by_exact_path.push((fnv1a(path.as_bytes()), number));
                }
                None => unindexed.push(index),
            }
        }
        unindexed.shrink_to_fit();
        Scope {
            uses_hosts: routes.iter().any(|route| route.hosts.is_some()),
            uses_paths: routes.iter().any(|route| route.path.is_some()),
            uses_methods: routes.iter().any(|route| route.methods.is_some()),
            by_host: Index::new(by_host),
            by_prefix: Index::new(by_prefix),
            by_exact_path: Index::new(by_exact_path),
            unindexed,
            routes: Some(routes),
        }
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
    /// Whether any route has a path condition: without one, the request's path cannot change
    /// whether it is in scope.
    pub fn uses_paths(&self) -> bool {
        self.uses_paths
    }

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
        let candidate = |index: usize| {
            routes
                .get(index)
                .is_some_and(|route| route.matches(request))
        };
        let listed = |index: &Index, key: &str| index.get(key.as_bytes()).any(candidate);
        // An empty index is skipped without walking the keys it would be asked for.
        self.unindexed.iter().any(|&index| candidate(index))
            || (!self.by_host.is_empty()
                && host_keys_of(host).any(|key| listed(&self.by_host, key)))
            || (!self.by_exact_path.is_empty() && listed(&self.by_exact_path, path))
            || (!self.by_prefix.is_empty()
                && prefixes_of(path).any(|prefix| listed(&self.by_prefix, prefix)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::hostname::normalize_host;
    use crate::request::path::normalize;

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
            methods: methods.map(|m| m.iter().map(|&s| s.into()).collect()),
        }
    }

    fn in_scope(scope: &Scope, host_raw: &str, path_raw: &str, method: &str) -> bool {
        scope.contains(&MatchInput {
            host: &normalize_host(Some(host_raw.as_bytes())),
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
        // Empty labels fail closed: an upstream may read `.shop.example.com` as the host.
        assert!(in_scope(&scope, ".shop.example.com", "/cart", "POST"));
        assert!(in_scope(&scope, "shop.example.com..", "/cart", "POST"));
        assert!(in_scope(&scope, "shop..example.com", "/cart", "POST"));
        assert!(!in_scope(&scope, "shop..example.com", "/blog", "POST"));
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
                let path = PathCondition::Prefix(format!("/api/v{i}").into());
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
    fn ip_hosts_match_as_addresses_and_legacy_forms_fail_closed() {
        let scope = Scope::from_routes(vec![
            route(Some(&["[0:0::1]"]), None, None),
            route(
                Some(&["127.0.0.1"]),
                Some(PathCondition::Prefix("/shop".into())),
                None,
            ),
        ]);
        for same in ["[::1]", "[0:0::1]", "[0::1]:443", "[::0:0:1]"] {
            assert!(in_scope(&scope, same, "/x", "GET"), "{same}");
        }
        assert!(!in_scope(&scope, "[::2]", "/x", "GET"));
        for host in ["127.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]:8080"] {
            assert!(in_scope(&scope, host, "/shop", "GET"), "{host}");
        }
        // Legacy forms are ambiguous: in scope of every host condition.
        for host in ["127.1", "2130706433", "0177.0.0.1", "0x7f.1"] {
            assert!(in_scope(&scope, host, "/shop/x", "GET"), "{host}");
        }
        assert!(!in_scope(&scope, "127.0.0.2", "/shop", "GET"));
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
}
