//! Which requests maintenance applies to: routes, compiled once at configure time into an
//! index; per request it costs a few hash lookups, however many routes there are, on one host or
//! on many.

use crate::bytes::{index_number, listed, Entry, Fnv};
use crate::request::hostname::{HostPattern, NormalizedHost};
use crate::request::path::{is_under_prefix, NormalizedPath, PrefixHashes};

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
    /// The definition of a match; the index only names the routes worth asking.
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

    /// The host names this route is listed under: every pattern's key, unless one is `*`
    /// (then, like a route without `hosts`, it has no host condition).
    fn host_names(&self) -> Option<&[HostPattern]> {
        let patterns = self.hosts.as_deref()?;
        let any = patterns
            .iter()
            .any(|pattern| matches!(pattern, HostPattern::Any));
        (!any).then_some(patterns)
    }
}

/// The keys under which routes for `host` are listed: the host itself and every suffix
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

/// A key's host part: a host name (exact, or a `*.` suffix with its leading dot) for routes
/// that name it; none for routes without a host condition; or any name, under which every route
/// with a host condition is listed too, for requests whose host is ambiguous (every host
/// condition holds for them).
#[derive(Debug, Clone, Copy)]
enum HostPart<'a> {
    Name(&'a str),
    NoHost,
    SomeHost,
}

/// A key's path part: a path prefix, an exact path, or any path: under "any path" every route
/// is listed too, with or without a path condition, so that one lookup finds the routes of a
/// host part that need no path walk (those without a path condition, and any route when the
/// request's path is ambiguous), and tells whether the walk is worth it.
#[derive(Debug, Clone, Copy)]
enum PathPart<'a> {
    Prefix(&'a str),
    Exact(&'a str),
    AnyPath,
}

/// How many kinds of keys there are: three host parts with three path parts.
const KINDS: usize = 9;

/// A key's kind, below [`KINDS`]: each kind has an index of its own, so keys of different kinds
/// never meet.
fn kind(host: HostPart, path: PathPart) -> usize {
    let host = match host {
        HostPart::Name(_) => 0,
        HostPart::NoHost => 1,
        HostPart::SomeHost => 2,
    };
    let path = match path {
        PathPart::Prefix(_) => 0,
        PathPart::Exact(_) => 1,
        PathPart::AnyPath => 2,
    };
    host * 3 + path
}

/// The hash a key starts with: its host name, if it has one. Host names hold no `/` and paths
/// start with one, so a path carrying on from it makes no key of another host and path.
fn host_hash(host: HostPart) -> Fnv {
    match host {
        HostPart::Name(name) => Fnv::START.bytes(name.as_bytes()),
        HostPart::NoHost | HostPart::SomeHost => Fnv::START,
    }
}

fn key(host: HostPart, path: PathPart) -> u32 {
    match path {
        PathPart::Prefix(path) | PathPart::Exact(path) => host_hash(host).bytes(path.as_bytes()),
        PathPart::AnyPath => host_hash(host),
    }
    .key()
}

/// Every key a route is listed under: each of its host parts with each of its path parts.
fn keys_of(route: &Route) -> impl Iterator<Item = (HostPart<'_>, PathPart<'_>)> {
    let (names, host_tag) = match route.host_names() {
        Some(patterns) => (patterns, HostPart::SomeHost),
        None => (&[][..], HostPart::NoHost),
    };
    let hosts = names
        .iter()
        .filter_map(|pattern| match pattern {
            HostPattern::Suffix(name) | HostPattern::Exact(name) => Some(HostPart::Name(name)),
            HostPattern::Any => None,
        })
        .chain(std::iter::once(host_tag));
    let path = match &route.path {
        Some(PathCondition::Prefix(prefix)) => Some(PathPart::Prefix(prefix)),
        Some(PathCondition::Exact(path)) => Some(PathPart::Exact(path)),
        None => None,
    };
    hosts.flat_map(move |host| {
        path.into_iter()
            .chain(std::iter::once(PathPart::AnyPath))
            .map(move |path| (host, path))
    })
}

/// Whether two routes listed under one key of `kind` are one to the requests looking that key
/// up: what decides a match besides the key is their hosts when the key names a host, their
/// path when it names a path (under "any path", only whether they have one), and their methods.
/// The index lists one of such routes: under "any path" of `shop.example.com`, say, that leaves
/// one route with a path per set of methods, however many paths there are.
fn same_rest(a: &Route, b: &Route, kind: usize) -> bool {
    let host_named = kind / 3 == 0;
    let path_same = match kind % 3 {
        2 => a.path.is_some() == b.path.is_some(),
        _ => a.path == b.path,
    };
    (!host_named || a.hosts == b.hosts) && path_same && a.methods == b.methods
}

/// How many routes already listed under a key a route is compared with before it is listed too:
/// enough for the few sets of methods a configuration has, bounded for one that has many.
const COMPARED: usize = 16;

/// Route numbers by key, kind by kind: each kind's entries sorted by key in a range of their
/// own (8 bytes per entry; a hash only names candidates, which are checked in full, so a
/// collision costs one more check, never a wrong answer).
#[derive(Debug, Default)]
struct Keys {
    entries: Box<[Entry]>,
    /// Where each kind's range starts; the last is where the last one ends.
    starts: [usize; KINDS + 1],
    /// Bit `kind` set when that kind has keys (per request, cheaper than comparing `starts`).
    kinds: u16,
}

impl Keys {
    fn new(routes: &[Route]) -> Keys {
        // Counted first, to allocate once.
        let mut starts = [0; KINDS + 1];
        for route in routes {
            for (host, path) in keys_of(route) {
                starts[kind(host, path) + 1] += 1;
            }
        }
        for at in 0..KINDS {
            starts[at + 1] += starts[at];
        }
        let mut entries = vec![(0, 0); starts[KINDS]];
        let mut next = starts;
        for (index, route) in routes.iter().enumerate() {
            for (host, path) in keys_of(route) {
                let at = &mut next[kind(host, path)];
                entries[*at] = (key(host, path), index_number(index));
                *at += 1;
            }
        }
        // Each range sorted, and routes the same as one already listed under a key (by hash:
        // within a kind, routes with the same rest have the same keys) left out.
        let mut kept = 0;
        for kind in 0..KINDS {
            let range = starts[kind]..starts[kind + 1];
            entries[range.clone()].sort_unstable();
            let same = |a: u32, b: u32| match (routes.get(a as usize), routes.get(b as usize)) {
                (Some(a), Some(b)) => same_rest(a, b, kind),
                _ => false,
            };
            starts[kind] = kept;
            let mut key_start = kept;
            for at in range {
                let (hash, number) = entries[at];
                if kept == starts[kind] || entries[kept - 1].0 != hash {
                    key_start = kept;
                }
                let listed = entries[key_start..kept]
                    .iter()
                    .rev()
                    .take(COMPARED)
                    .any(|&(_, other)| same(other, number));
                if !listed {
                    entries[kept] = (hash, number);
                    kept += 1;
                }
            }
        }
        starts[KINDS] = kept;
        entries.truncate(kept);
        let kinds = (0..KINDS)
            .filter(|&kind| starts[kind] < starts[kind + 1])
            .fold(0, |kinds, kind| kinds | 1 << kind);
        Keys {
            entries: entries.into_boxed_slice(),
            starts,
            kinds,
        }
    }

    fn of_kind(&self, kind: usize) -> &[Entry] {
        match (self.starts.get(kind), self.starts.get(kind + 1)) {
            (Some(&start), Some(&end)) => self.entries.get(start..end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Whether any key of this kind is listed (the others are not looked up). Only the kinds
    /// of the parts count, not their texts.
    fn has_kind(&self, host: HostPart, path: PathPart) -> bool {
        self.kinds & 1 << kind(host, path) != 0
    }
}

/// The set of requests maintenance applies to.
///
/// Each route is listed under keys that pair each of its host parts (the host names it names,
/// or none; and "any name" when it names one) with each of its path parts (its path, if it has
/// one, and "any path"). A request looks up the keys its host and path can match: a handful of
/// hash lookups, however many routes there are on one host or on many, and checks the routes
/// found in full. An ambiguous host or path, which every host or path condition matches, looks
/// up "any name" or "any path" instead.
#[derive(Debug, Default)]
pub struct Scope {
    /// `None`: every request is in scope (no `routes` configured).
    routes: Option<Vec<Route>>,
    keys: Keys,
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
        let keys = Keys::new(&routes);
        let with_path = |host| {
            keys.has_kind(host, PathPart::Prefix("")) || keys.has_kind(host, PathPart::Exact(""))
        };
        Scope {
            uses_hosts: keys.has_kind(HostPart::SomeHost, PathPart::AnyPath),
            uses_paths: with_path(HostPart::NoHost) || with_path(HostPart::SomeHost),
            uses_methods: routes.iter().any(|route| route.methods.is_some()),
            keys,
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

    /// Whether any route has a path condition: without one, the request's path cannot change
    /// whether it is in scope.
    pub fn uses_paths(&self) -> bool {
        self.uses_paths
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
        let under = |host: HostPart| self.under(routes, host, request);
        under(HostPart::NoHost)
            || match request.host {
                NormalizedHost::Clean(host) => {
                    self.uses_hosts() && host_keys_of(host).any(|name| under(HostPart::Name(name)))
                }
                NormalizedHost::Ambiguous => under(HostPart::SomeHost),
            }
    }

    /// Whether any route may cover a request with this host, whatever its path and method:
    /// false tells a request out of scope without reading its path. One lookup per key of the
    /// host, as [`Scope::contains`] starts with.
    pub fn may_contain_host(&self, host: &NormalizedHost) -> bool {
        let listed_under = |host: HostPart| {
            self.keys.has_kind(host, PathPart::AnyPath)
                && listed(
                    self.keys.of_kind(kind(host, PathPart::AnyPath)),
                    host_hash(host).key(),
                )
                .next()
                .is_some()
        };
        self.routes.is_none()
            || listed_under(HostPart::NoHost)
            || match host {
                NormalizedHost::Clean(host) => {
                    self.uses_hosts()
                        && host_keys_of(host).any(|name| listed_under(HostPart::Name(name)))
                }
                NormalizedHost::Ambiguous => listed_under(HostPart::SomeHost),
            }
    }

    /// Whether a route listed under the host part `host` matches the request.
    fn under(&self, routes: &[Route], host: HostPart, request: &MatchInput) -> bool {
        // Kinds only: the texts do not matter here.
        if !self.keys.has_kind(host, PathPart::AnyPath) {
            return false;
        }
        let start = host_hash(host);
        let mut with_path = false;
        for number in listed(
            self.keys.of_kind(kind(host, PathPart::AnyPath)),
            start.key(),
        ) {
            let Some(route) = routes.get(number) else {
                continue;
            };
            if route.matches(request) {
                return true;
            }
            with_path |= route.path.is_some();
        }
        // With an ambiguous path, every route of this host part was just checked.
        let (true, NormalizedPath::Clean(path)) = (with_path, request.path) else {
            return false;
        };
        let found = |path: PathPart, key: Fnv| {
            listed(self.keys.of_kind(kind(host, path)), key.key()).any(|number| {
                routes
                    .get(number)
                    .is_some_and(|route| route.matches(request))
            })
        };
        let mut prefixes = PrefixHashes::new(path, start);
        (self.keys.has_kind(host, PathPart::Prefix(""))
            && prefixes.any(|(_, hash)| found(PathPart::Prefix(""), hash)))
            || (self.keys.has_kind(host, PathPart::Exact(""))
                && found(PathPart::Exact(""), prefixes.whole()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::KEY_BITS;
    use crate::request::hostname::normalize_host;
    use crate::request::path::normalize;
    use proptest::prelude::*;
    use proptest::sample::select;

    fn host_pattern() -> impl Strategy<Value = HostPattern> {
        select(
            &[
                "*",
                "a.example",
                "*.example",
                "*.a.example",
                "example",
                "b.a.example",
                "[::1]",
                "127.0.0.1",
                "*.b.a.example",
                "*.other",
            ][..],
        )
        .prop_map(|text| HostPattern::parse(text).unwrap())
    }

    fn path_condition() -> impl Strategy<Value = PathCondition> {
        let prefixes = select(
            &[
                "/",
                "/a",
                "/a/b",
                "/ab",
                "/b",
                "/a/b/c",
                "/x/y",
                "/caf\u{e9}",
            ][..],
        );
        let exact = select(&["/", "/a", "/a/", "/a/b", "/ab/", "/b/c", "/a/b/c"][..]);
        prop_oneof![
            prefixes.prop_map(|p| PathCondition::Prefix(p.into())),
            exact.prop_map(|p| PathCondition::Exact(p.into())),
        ]
    }

    fn any_route() -> impl Strategy<Value = Route> {
        let methods = prop::collection::vec(select(&["GET", "POST", "DELETE"][..]), 0..3);
        (
            prop::option::of(prop::collection::vec(host_pattern(), 0..3)),
            prop::option::of(path_condition()),
            prop::option::of(methods),
        )
            .prop_map(|(hosts, path, methods)| Route {
                hosts: hosts.map(Vec::into_boxed_slice),
                path,
                methods: methods.map(|m| m.into_iter().map(Box::from).collect()),
            })
    }

    /// Requests with hosts and paths the routes above name, their neighbours, and ambiguous ones.
    fn any_request() -> impl Strategy<Value = (Option<&'static str>, &'static str, &'static str)> {
        let hosts = select(
            &[
                "a.example",
                "A.Example:8080",
                "x.a.example",
                "b.a.example",
                "c.b.a.example",
                "example",
                "y.other",
                "other",
                "[::1]",
                "[0::1]:80",
                "127.0.0.1",
                "127.1",
                "bad host",
                ".a.example",
                "",
            ][..],
        );
        let paths = select(
            &[
                "/",
                "/a",
                "/a/",
                "/a/b",
                "/a/b/",
                "/a/b/c/d",
                "/ab",
                "/ab/",
                "/abc",
                "/b/c",
                "/x/y/z",
                "/caf%C3%A9/x",
                "/a/../b",
                "//a",
                "/a;x",
                "/x/y?z",
                "*",
                "/%61/b",
            ][..],
        );
        let methods = select(&["GET", "get", "POST", "PATCH", "DELETE"][..]);
        (prop::option::of(hosts), paths, methods)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The index answers as checking every route would, with full keys and with keys of
        /// a few bits, where many keys collide.
        #[test]
        fn index_agrees_with_checking_every_route(
            routes in prop_oneof![
                3 => prop::collection::vec(any_route(), 0..12),
                1 => prop::collection::vec(any_route(), 12..60),
            ],
            requests in prop::collection::vec(any_request(), 1..12),
            bits in select(&[2, 3, 4, 32][..]),
        ) {
            KEY_BITS.with(|mask| mask.set(u32::MAX >> (32 - bits)));
            let scope = Scope::from_routes(routes.clone());
            for (host, path, method) in requests {
                let host = normalize_host(host.map(str::as_bytes));
                let path = normalize(path.as_bytes());
                let request = MatchInput { host: &host, path: &path, method: method.as_bytes() };
                let linear = routes.iter().any(|route| route.matches(&request));
                prop_assert_eq!(scope.contains(&request), linear, "{:?}", request);
                // The host alone rules a request out only when no route covers it.
                prop_assert!(scope.may_contain_host(&host) || !linear, "{:?}", request);
            }
            KEY_BITS.with(|mask| mask.set(u32::MAX));
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
    fn routes_alike_to_a_key_are_listed_once() {
        let methods = [&["GET"][..], &["POST", "PUT"], &["DELETE"]];
        let routes: Vec<Route> = (0..9_999)
            .map(|i| {
                route(
                    Some(&["shop.example.com"]),
                    Some(PathCondition::Prefix(format!("/department-{i}").into())),
                    Some(methods[i % 3]),
                )
            })
            .collect();
        let keys = Keys::new(&routes);
        let count = |host, path| keys.of_kind(kind(host, path)).len();
        let name = HostPart::Name("");
        // Every prefix under the name, and under any name (for an ambiguous host)...
        assert_eq!(count(name, PathPart::Prefix("")), 9_999);
        assert_eq!(count(HostPart::SomeHost, PathPart::Prefix("")), 9_999);
        // ... but one route per set of methods under any path.
        assert_eq!(count(name, PathPart::AnyPath), 3);
        assert_eq!(count(HostPart::SomeHost, PathPart::AnyPath), 3);
        assert_eq!(keys.entries.len(), 2 * 9_999 + 6);
        let scope = Scope::from_routes(routes);
        assert!(in_scope(
            &scope,
            "shop.example.com",
            "/department-9998/x",
            "DELETE"
        ));
        assert!(!in_scope(
            &scope,
            "shop.example.com",
            "/department-9998/x",
            "GET"
        ));
        assert!(in_scope(
            &scope,
            "shop.example.com",
            "/a/../department-1",
            "GET"
        ));
        assert!(!in_scope(&scope, "shop.example.com", "/a/../b", "PATCH"));
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
