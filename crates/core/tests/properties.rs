//! Property tests over the config parser, the path normalizer and the decision: they never
//! panic, normalization is idempotent, no path that some upstream would read outside a bypass
//! prefix is ever bypassed, and the route and bypass-path indexes answer as reading every route
//! and bypass path one by one would.
//!
//! "Some upstream" is modelled by the readers below: each turns the raw `:path` into the path a
//! kind of server would route on (literal, RFC 3986, full decoding, servlet path parameters,
//! double decoding, Windows trimming and folding, Envoy unescaping slashes).

// A test crate: helpers outside `#[test]` functions may unwrap too.
#![allow(clippy::unwrap_used)]
// Native only: the configuration's key list comes from its reference (`config::reference`),
// which the wasm build leaves out.
#![cfg(not(target_arch = "wasm32"))]

use maintenance_core::bypass::cookie::{
    cookie_matches, query_parameter, without_cookie, CookieHeader,
};
use maintenance_core::bypass::networks::{parse_source_address, Cidr, Networks};
use maintenance_core::bypass::secret::Digest;
use maintenance_core::config::parse;
use maintenance_core::decision::{decide, Decision, RequestFacts, Via};
use maintenance_core::plan::Plan;
use maintenance_core::request::hostname::{normalize_host, NormalizedHost};
use maintenance_core::request::path::{literal_path, normalize, NormalizedPath};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// upstream readers
// ---------------------------------------------------------------------------

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

fn cut_query(raw: &[u8]) -> &[u8] {
    let end = raw.iter().position(|&b| b == b'?').unwrap_or(raw.len());
    &raw[..end]
}

/// Decodes every `%XX` (`None` when an encoding is invalid: such servers answer 400).
fn decode_all(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let high = hex(*raw.get(i + 1)?)?;
            let low = hex(*raw.get(i + 2)?)?;
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Decodes only unreserved characters (RFC 3986 section 6.2.2.2); keeps the rest as is.
fn decode_unreserved(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            if let (Some(h), Some(l)) = (
                raw.get(i + 1).copied().and_then(hex),
                raw.get(i + 2).copied().and_then(hex),
            ) {
                let value = h << 4 | l;
                if value.is_ascii_alphanumeric() || b"-._~".contains(&value) {
                    out.push(value);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// RFC 3986 section 5.2.4, on `/`-separated segments.
fn remove_dot_segments(path: &[u8]) -> Vec<u8> {
    let mut out: Vec<&[u8]> = Vec::new();
    let segments: Vec<&[u8]> = path.split(|&b| b == b'/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            b"." => trailing_slash = i == last,
            b".." => {
                out.pop();
                trailing_slash = i == last;
            }
            other => {
                out.push(other);
                trailing_slash = false;
            }
        }
    }
    let mut result = Vec::new();
    for segment in &out {
        result.push(b'/');
        result.extend_from_slice(segment);
    }
    if trailing_slash || result.is_empty() {
        result.push(b'/');
    }
    result
}

fn merge_slashes(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    for &b in path {
        if !(b == b'/' && out.last() == Some(&b'/')) {
            out.push(b);
        }
    }
    out
}

fn backslash_to_slash(path: &[u8]) -> Vec<u8> {
    path.iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect()
}

/// Strips `;params` from every segment (servlet containers).
fn strip_path_parameters(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut first = true;
    for segment in path.split(|&b| b == b'/') {
        if !first {
            out.push(b'/');
        }
        first = false;
        let end = segment
            .iter()
            .position(|&b| b == b';')
            .unwrap_or(segment.len());
        out.extend_from_slice(&segment[..end]);
    }
    out
}

/// NFKC / Windows best-fit folding of the characters an attacker would use.
fn fold_compatibility(path: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(path);
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\u{FF0E}' | '\u{FE52}' | '\u{2024}' => out.push('.'),
            '\u{2025}' | '\u{FE30}' => out.push_str(".."),
            '\u{2026}' | '\u{FE19}' => out.push_str("..."),
            '\u{FF0F}' => out.push('/'),
            '\u{FF3C}' | '\u{FE68}' => out.push('\\'),
            '\u{FF05}' | '\u{FE6A}' => out.push('%'),
            '\u{FF1B}' | '\u{FE54}' | '\u{FE14}' | '\u{037E}' => out.push(';'),
            other => out.push(other),
        }
    }
    out.into_bytes()
}

/// Windows: trailing spaces are trimmed from segments (`.. ` is `..`), then trailing dots from
/// segments other than `.` and `..`.
fn trim_segments(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut first = true;
    for segment in path.split(|&b| b == b'/') {
        if !first {
            out.push(b'/');
        }
        first = false;
        let mut end = segment.len();
        while end > 0 && segment[end - 1] == b' ' {
            end -= 1;
        }
        if &segment[..end] == b"." || &segment[..end] == b".." {
            out.extend_from_slice(&segment[..end]);
            continue;
        }
        while end > 0 && matches!(segment[end - 1], b'.' | b' ') {
            end -= 1;
        }
        out.extend_from_slice(&segment[..end]);
    }
    out
}

/// A kind of upstream: how it reads the raw `:path` (`None`: it rejects the request).
struct Reader {
    name: &'static str,
    read: fn(&[u8]) -> Option<Vec<u8>>,
    case_insensitive: bool,
}

const READERS: &[Reader] = &[
    Reader {
        name: "literal (no decoding, e.g. Express routes)",
        read: |raw| Some(cut_query(raw).to_vec()),
        case_insensitive: false,
    },
    Reader {
        name: "RFC 3986 normalization",
        read: |raw| {
            let path = cut_query(raw);
            let end = path.iter().position(|&b| b == b'#').unwrap_or(path.len());
            Some(remove_dot_segments(&decode_unreserved(&path[..end])))
        },
        case_insensitive: false,
    },
    Reader {
        name: "full decoding, dots resolved (nginx without merge)",
        read: |raw| Some(remove_dot_segments(&decode_all(cut_query(raw))?)),
        case_insensitive: false,
    },
    Reader {
        name: "full decoding, slashes merged, dots resolved (nginx)",
        read: |raw| {
            Some(remove_dot_segments(&merge_slashes(&decode_all(
                cut_query(raw),
            )?)))
        },
        case_insensitive: false,
    },
    Reader {
        name: "servlet: path parameters stripped, decoded, dots resolved",
        read: |raw| {
            Some(remove_dot_segments(&decode_all(&strip_path_parameters(
                cut_query(raw),
            ))?))
        },
        case_insensitive: false,
    },
    Reader {
        name: "double decoding",
        read: |raw| {
            let once = decode_all(cut_query(raw))?;
            let twice = decode_all(&once).unwrap_or(once);
            Some(remove_dot_segments(&merge_slashes(&backslash_to_slash(
                &twice,
            ))))
        },
        case_insensitive: false,
    },
    Reader {
        name: "Envoy unescaping %2F and %5C, then normalize_path and merge_slashes",
        read: |raw| {
            let path = cut_query(raw);
            let mut unescaped = Vec::new();
            let mut i = 0;
            while i < path.len() {
                let triple = path.get(i..i + 3).map(|t| t.to_ascii_uppercase());
                match triple.as_deref() {
                    Some(b"%2F") | Some(b"%5C") => {
                        unescaped.push(b'/');
                        i += 3;
                    }
                    _ => {
                        unescaped.push(path[i]);
                        i += 1;
                    }
                }
            }
            Some(merge_slashes(&remove_dot_segments(&backslash_to_slash(
                &decode_unreserved(&unescaped),
            ))))
        },
        case_insensitive: false,
    },
    Reader {
        name: "Windows/IIS: decoded, folded, \\ as /, segments trimmed, case-insensitive",
        read: |raw| {
            let decoded = decode_all(cut_query(raw))?;
            let folded = backslash_to_slash(&fold_compatibility(&decoded));
            let folded = decode_all(&folded).unwrap_or(folded);
            Some(remove_dot_segments(&merge_slashes(&trim_segments(
                &backslash_to_slash(&folded),
            ))))
        },
        case_insensitive: true,
    },
];

fn under_prefix(path: &[u8], prefix: &[u8], case_insensitive: bool) -> bool {
    if prefix == b"/" {
        return true;
    }
    if path.len() < prefix.len() {
        return false;
    }
    let (head, rest) = path.split_at(prefix.len());
    let same = if case_insensitive {
        head.eq_ignore_ascii_case(prefix)
    } else {
        head == prefix
    };
    same && (rest.is_empty() || rest[0] == b'/')
}

// ---------------------------------------------------------------------------
// generators
// ---------------------------------------------------------------------------

const BYPASS_PREFIXES: &[&str] = &["/admin", "/api/v1/health", "/caf%C3%A9"];
const ROUTE_PREFIX: &str = "/shop";

/// Path pieces biased towards the tricks an attacker tries.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "admin", "ADMIN", "Admin", "shop", "SHOP", "api", "v1", "health", "x", "checkout",
            "caf%C3%A9", "caf%c3%a9", "café", "administrator", "shopping",
        ]).prop_map(str::to_owned),
        6 => prop::sample::select(vec![
            ".", "..", "...", "%2e", "%2E", "%2e%2e", ".%2e", "%2e.", "..%20", "%20", "%20..",
            "%2f", "%2F", "%5c", "%5C", "\\", "..\\", ";", ";x", "..;", ";jsessionid=1", "%3b",
            "%3B", "", "%00", "%0a", "\u{0}", "%c0%ae", "%c0%af", "%e0%80%ae", "%c0%2e",
            "%25", "%252e", "%252f", "%25%32%65", "%25%32%66", "%2525", "%61dmin", "%41DMIN",
            "%73hop", "admi%6e", "?", "#", "?x=/admin", "?next=/shop", "#/admin", "%3f", "%3F",
            "%23", "+", "~", "%7e", "%7E", "%", "%z", "%zz", "%4", "%e9", "%c3%a9", "%ef%bc%8e",
            "%ef%bc%8f", "%ef%bc%bc", "%e2%80%a5", "%ef%bc%85", "%ef%bc%8e%ef%bc%8e", "%cd%be",
            "\u{ff0e}", "admin.", "admin%2e", "admin%20", "shop.", "shop%20", "*", "http:",
            "//", "%u002e", "%%32%65",
        ]).prop_map(str::to_owned),
        // Whole-segment tricks that need several pieces to line up.
        3 => prop::sample::select(vec![
            "%25%32%65%25%32%65", "%25%32%45.", "%252e%252e", "%2e%2e%20", ".%20.", "%20%2e%2e",
            "%ef%bc%8e%ef%bc%8e", "%ef%bc%8e.", "..%ef%bc%8f", "%ef%bc%8f..%ef%bc%8f",
            "%e2%80%a5", "%e2%80%a4.", "..%ef%bc%bc", "%ef%bc%85%32%65%ef%bc%85%32%65",
            "%25%32%66..", "..%252f", "..%255c", "%c0%ae%c0%ae", "..;", "..%3b", "..%00",
            "..#", "#/..", "..%23", "%2e%2e%2f", "..%5c..", "...", "....", ". .", "..%09",
        ]).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9._~%;/\\\\?#-]{0,6}",
    ]
}

/// A raw `:path`: usually `/`-joined pieces, sometimes glued, sometimes not starting with `/`,
/// often starting with a bypass or route prefix (only such paths can be bypassed or in scope).
fn tricky_path() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((piece(), prop::bool::weighted(0.8)), 1..7),
        prop::bool::weighted(0.95),
        prop::option::weighted(
            0.6,
            prop::sample::select(vec!["/admin/", "/api/v1/health/", "/caf%C3%A9/", "/shop/"]),
        ),
    )
        .prop_map(|(pieces, leading_slash, start)| {
            let mut path = String::new();
            if let Some(start) = start {
                path.push_str(start);
            } else if leading_slash {
                path.push('/');
            }
            for (index, (piece, slash)) in pieces.iter().enumerate() {
                if index > 0 && *slash {
                    path.push('/');
                }
                path.push_str(piece);
            }
            path.into_bytes()
        })
}

fn arbitrary_path() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        tricky_path(),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::collection::vec(
            prop::sample::select(b"/%.2eEfF5cC3bB;\\?#aA0".to_vec()),
            0..30
        ),
    ]
}

fn bypass_paths_plan() -> Plan {
    let config = json!({"enabled": true, "bypass": {"paths": BYPASS_PREFIXES}});
    parse(config.to_string().as_bytes()).unwrap()
}

fn route_plan() -> Plan {
    let config = json!({"enabled": true, "routes": [{"path_prefix": ROUTE_PREFIX}]});
    parse(config.to_string().as_bytes()).unwrap()
}

fn sha(secret: &str) -> String {
    Digest::of(secret.as_bytes()).to_hex()
}

fn full_plan() -> Plan {
    let config = json!({
        "enabled": true,
        "routes": [{"hosts": ["shop.example.com"], "path_prefix": "/shop"}, {"methods": ["POST"]}],
        "bypass": {
            "paths": ["/admin"],
            "tokens": [{"header": "x-bypass", "sha256": sha("ops")}, {"header": "x-ci", "sha256": sha("ci")}],
            "cookie": {"name": "mm", "sha256": sha("qa"), "set_path": "/shop/__mm"},
            "cidrs": ["10.0.0.0/8", "2001:db8::/32"],
            "jwt": [{"payload": "payload", "claim": "realm_access.roles", "any_of": ["admin"]}],
        },
    });
    parse(config.to_string().as_bytes()).unwrap()
}

fn facts(path: &[u8]) -> RequestFacts<'_> {
    RequestFacts {
        method: b"GET",
        authority: Some(b"shop.example.com"),
        path,
        ..RequestFacts::default()
    }
}

// ---------------------------------------------------------------------------
// routes and bypass paths, read one by one
// ---------------------------------------------------------------------------

/// Routes as a configuration writes them, from small sets of hosts, paths and methods so that
/// requests below meet them, and bypass paths from the same paths.
fn routes_config() -> impl Strategy<Value = Value> {
    let host = prop::sample::select(vec![
        "*",
        "a.example",
        "A.Example",
        "*.example",
        "*.a.example",
        "example",
        "b.a.example",
        "[0:0::1]",
        "127.0.0.1",
        "*.other",
    ]);
    let path = prop::sample::select(vec![
        "/",
        "/a",
        "/a/b",
        "/ab",
        "/b",
        "/a/b/c",
        "/x/y",
        "/caf%C3%A9",
    ]);
    let method = prop::sample::select(vec!["GET", "POST", "DELETE"]);
    let route = (
        prop::option::of(prop::collection::vec(host, 1..3)),
        prop::option::of((any::<bool>(), path.clone())),
        prop::option::of(prop::collection::vec(method, 1..3)),
    )
        .prop_map(|(hosts, path, methods)| {
            let mut route = Map::new();
            if let Some(hosts) = hosts {
                route.insert("hosts".into(), json!(hosts));
            }
            if let Some((prefix, path)) = path {
                route.insert(
                    if prefix { "path_prefix" } else { "path" }.into(),
                    json!(path),
                );
            }
            if let Some(methods) = methods {
                route.insert("methods".into(), json!(methods));
            }
            Value::Object(route)
        });
    let routes = prop_oneof![
        3 => prop::collection::vec(route.clone(), 1..10),
        1 => prop::collection::vec(route, 10..50),
    ];
    (routes, prop::collection::vec(path, 0..4)).prop_map(
        |(routes, bypass)| json!({"enabled": true, "routes": routes, "bypass": {"paths": bypass}}),
    )
}

fn route_request() -> impl Strategy<Value = (Option<&'static str>, &'static str, &'static str)> {
    let host = prop::sample::select(vec![
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
    ]);
    let path = prop::sample::select(vec![
        "/",
        "/a",
        "/a/",
        "/a/b",
        "/a/b/",
        "/a/b/c/d",
        "/ab",
        "/abc",
        "/b/c",
        "/x/y/z",
        "/caf%C3%A9/x",
        "/caf%c3%a9",
        "/%61/b",
        "/a/../b",
        "//a",
        "/a;x",
        "/x/y?z",
        "*",
    ]);
    let method = prop::sample::select(vec!["GET", "get", "POST", "PATCH", "DELETE"]);
    (prop::option::of(host), path, method)
}

/// Whether the configured route covers the request, as the configuration reference reads it:
/// every condition given must hold; an ambiguous host or path holds for every host or path
/// condition.
fn route_covers(route: &Value, host: &NormalizedHost, path: &NormalizedPath, method: &str) -> bool {
    let host_ok = match (route.get("hosts").and_then(Value::as_array), host) {
        (None, _) | (Some(_), NormalizedHost::Ambiguous) => true,
        (Some(patterns), NormalizedHost::Clean(host)) => patterns.iter().any(|pattern| {
            let pattern = pattern
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .replace("[0:0::1]", "[::1]");
            match pattern.strip_prefix('*') {
                Some("") => true,
                Some(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
                None => **host == *pattern,
            }
        }),
    };
    let clean = match path {
        NormalizedPath::Clean(path) => Some(decoded(path)),
        NormalizedPath::Ambiguous(_) => None,
    };
    let path_ok = match (&clean, route.get("path_prefix"), route.get("path")) {
        (None, _, _) | (_, None, None) => true,
        (Some(path), Some(prefix), _) => under(path, &decoded(prefix.as_str().unwrap())),
        (Some(path), _, Some(exact)) => *path == decoded(exact.as_str().unwrap()),
    };
    let method_ok = match route.get("methods").and_then(Value::as_array) {
        None => true,
        Some(methods) => methods
            .iter()
            .any(|m| m.as_str().unwrap().eq_ignore_ascii_case(method)),
    };
    host_ok && path_ok && method_ok
}

/// Segment-aware: `/a` covers `/a` and `/a/...`, `/` covers everything.
fn under(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A path with every `%XX` decoded (the paths above encode only UTF-8).
fn decoded(path: &str) -> String {
    String::from_utf8(decode_all(path.as_bytes()).unwrap()).unwrap()
}

/// Arbitrary JSON built from the configuration's own field names (every name the schema
/// declares, at any depth, and a response header's), so generated documents get past the
/// unknown-field check and exercise validation.
fn config_value() -> impl Strategy<Value = Value> {
    let mut names = maintenance_core::config::reference::field_names();
    names.push("x-bypass".to_string());
    let keys = prop::sample::select(names);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u16>().prop_map(Value::from),
        (0.0f64..1e6).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "/",
            "/admin",
            "admin",
            "/a/../b",
            "10.0.0.0/8",
            "::1",
            "10.0.0.1/8",
            "*.example.com",
            "POST",
            "get",
            "x-bypass",
            "cookie",
            "{{title}}",
            "{{nope}}",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "abc",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

// ---------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4096,
        // Failures print their minimal input; no regression files in the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn normalize_never_panics_and_is_idempotent(raw in arbitrary_path()) {
        if let NormalizedPath::Clean(path) = normalize(&raw) {
            prop_assert!(path.starts_with('/'));
            prop_assert!(!path.contains("//"), "{path}");
            prop_assert!(!path.contains(['?', '#', ';', '\\']), "{path}");
            prop_assert_eq!(normalize(path.as_bytes()), NormalizedPath::Clean(path.clone()));
        }
    }

    /// The heart of it: a path bypass holds for every reader.
    #[test]
    fn no_reader_sees_a_bypassed_path_outside_the_bypass(raw in arbitrary_path()) {
        let plan = bypass_paths_plan();
        let decision = decide(&plan, &facts(&raw), 0);
        if decision.passes() {
            prop_assert!(
                matches!(decision, Decision::Bypassed { via: Via::Path, .. }),
                "{decision:?}"
            );
            for reader in READERS {
                let Some(read) = (reader.read)(&raw) else { continue };
                // The reader reads the configured prefix its own way too (`%C3%A9` is `é` once decoded).
                prop_assert!(
                    BYPASS_PREFIXES.iter().any(|prefix| (reader.read)(prefix.as_bytes())
                        .is_some_and(|prefix| under_prefix(&read, &prefix, reader.case_insensitive))),
                    "{:?} was bypassed, but a {} upstream reads {:?}",
                    String::from_utf8_lossy(&raw),
                    reader.name,
                    String::from_utf8_lossy(&read)
                );
            }
        }
    }

    /// The same, for scope: a path trick never takes a request out of maintenance. Routes are
    /// case-sensitive by design, so every reader's path is compared case-sensitively here (the
    /// Windows reader still trims and folds: `/shop./cart` is `/shop/cart` to it).
    #[test]
    fn no_reader_sees_an_out_of_scope_path_inside_the_route(raw in arbitrary_path()) {
        let plan = route_plan();
        if decide(&plan, &facts(&raw), 0) == Decision::OutOfScope {
            for reader in READERS {
                let Some(read) = (reader.read)(&raw) else { continue };
                prop_assert!(
                    !under_prefix(&read, ROUTE_PREFIX.as_bytes(), false),
                    "{:?} was out of scope, but a {} upstream reads {:?}",
                    String::from_utf8_lossy(&raw),
                    reader.name,
                    String::from_utf8_lossy(&read)
                );
            }
        }
    }

    /// Scope and bypass paths decide as reading every route and every bypass path one by one
    /// would, whatever the routes share: hosts, paths, methods, wildcards.
    #[test]
    fn scope_and_bypass_are_the_routes_read_one_by_one(
        config in routes_config(),
        requests in prop::collection::vec(route_request(), 1..10),
    ) {
        let plan = parse(config.to_string().as_bytes()).unwrap();
        let routes = config["routes"].as_array().unwrap();
        let bypass: Vec<String> = config["bypass"]["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        for (host, raw_path, method) in requests {
            let request = RequestFacts {
                method: method.as_bytes(),
                authority: host.map(str::as_bytes),
                path: raw_path.as_bytes(),
                ..RequestFacts::default()
            };
            let (host, path) = (normalize_host(request.authority), normalize(request.path));
            let in_scope = routes.iter().any(|route| route_covers(route, &host, &path, method));
            // A bypass path needs the clean path and the literal one under it (both readings).
            let bypassed = match (&path, literal_path(request.path)) {
                (NormalizedPath::Clean(clean), Some(literal)) => bypass.iter().any(|prefix| {
                    under(&decoded(clean), &decoded(prefix)) && under(literal, prefix)
                }),
                _ => false,
            };
            let expected = match (in_scope, bypassed) {
                (false, _) => Decision::OutOfScope,
                (true, false) => Decision::Maintenance,
                (true, true) => Decision::Bypassed {
                    via: Via::Path,
                    strip: match decide(&plan, &request, 0) {
                        Decision::Bypassed { strip, .. } => strip,
                        other => return Err(TestCaseError::fail(format!("{other:?} for {request:?}"))),
                    },
                },
            };
            prop_assert_eq!(decide(&plan, &request, 0), expected, "{:?}", request);
        }
    }

    /// A clean host normalizes to itself, has no empty label, and reads as at most one address.
    #[test]
    fn host_normalization_is_idempotent(
        raw in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..30),
            prop::collection::vec(prop::sample::select(b"[]:.0179afxAFX:".to_vec()), 0..24),
            "[a-z0-9.]{0,12}(:[0-9]{1,6})?".prop_map(String::into_bytes),
        ]
    ) {
        if let NormalizedHost::Clean(host) = normalize_host(Some(&raw)) {
            prop_assert_eq!(
                normalize_host(Some(host.as_bytes())),
                NormalizedHost::Clean(host.clone())
            );
            if !host.starts_with('[') {
                prop_assert!(!host.split('.').any(str::is_empty), "{host}");
            }
        }
    }

    /// Every spelling of an IPv6 address (hex case, zero runs, IPv4-mapped) is one host.
    #[test]
    fn ip_literals_are_one_host_however_written(
        bits in prop_oneof![any::<u128>(), any::<u32>().prop_map(|v4| 0xffff_0000_0000 | u128::from(v4))],
        port in 0u32..65536,
    ) {
        let address = std::net::Ipv6Addr::from(bits);
        let segments = address.segments();
        let expanded: Vec<String> = segments.iter().map(|s| format!("{s:04X}")).collect();
        let bracketed = format!("[{address}]");
        let canonical = normalize_host(Some(bracketed.as_bytes()));
        prop_assert!(matches!(canonical, NormalizedHost::Clean(_)));
        let expanded = format!("[{}]", expanded.join(":"));
        prop_assert_eq!(&normalize_host(Some(expanded.as_bytes())), &canonical);
        let with_port = format!("[{address}]:{port}");
        prop_assert_eq!(&normalize_host(Some(with_port.as_bytes())), &canonical);
        if let Some(v4) = address.to_ipv4_mapped() {
            prop_assert_eq!(&canonical, &NormalizedHost::Clean(v4.to_string().into()));
        }
    }

    #[test]
    fn decide_never_panics(
        method in prop::collection::vec(any::<u8>(), 0..8),
        authority in prop::option::of(prop::collection::vec(any::<u8>(), 0..24)),
        path in arbitrary_path(),
        token in prop::option::of(prop::collection::vec(any::<u8>(), 0..8)),
        cookie in prop::option::of(prop::collection::vec(any::<u8>(), 0..30)),
        source in prop::option::of(prop::collection::vec(any::<u8>(), 0..24)),
        metadata in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    ) {
        let plan = full_plan();
        let tokens = [token, None];
        let decision = decide(&plan, &RequestFacts {
            method: &method,
            authority: authority.as_deref(),
            path: &path,
            token_values: &tokens,
            cookie: cookie.as_deref(),
            source_address: source.as_deref(),
            dynamic_metadata: metadata.as_deref(),
        }, 0);
        // Random values never carry a secret or a verified claim, so only a path (or an ACME
        // challenge's) or a network can let one through.
        if let Decision::Bypassed { via, .. } = decision {
            prop_assert!(matches!(via, Via::Path | Via::Acme | Via::Network), "{via:?}");
        }
    }

    #[test]
    fn wrong_secrets_never_pass(
        // Values that hold a secret once split at `;`, `&`, `#` or decoded are not wrong.
        secret in prop::collection::vec(
            any::<u8>().prop_filter("separator", |b| !b";&#%".contains(b)),
            0..40,
        ),
    ) {
        prop_assume!(![&b"ops"[..], b"ci", b"qa"].contains(&secret.trim_ascii()));
        let plan = full_plan();
        let tokens = [Some(secret.clone()), Some(secret.clone())];
        let mut cookie = b"mm=".to_vec();
        cookie.extend_from_slice(&secret);
        let mut link = b"/shop/__mm?token=".to_vec();
        link.extend_from_slice(&secret);
        let request = RequestFacts {
            token_values: &tokens,
            cookie: Some(&cookie),
            ..facts(b"/shop/cart")
        };
        prop_assert!(!decide(&plan, &request, 0).passes());
        prop_assert!(!decide(&plan, &facts(&link), 0).passes());
    }

    #[test]
    fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_config_shaped_json(value in config_value()) {
        let text = value.to_string();
        match parse(text.as_bytes()) {
            Ok(plan) => { let _ = plan.summary(); }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for problem in &problems {
                    prop_assert!(!problem.field().is_empty() && !problem.message().is_empty());
                }
            }
        }
    }

    #[test]
    fn bypass_config_errors_name_a_bypass_field(
        header in "[ -~]{0,10}",
        digest in "[0-9a-fA-Fg ]{0,70}",
        cidr in "[0-9a-f.:/]{0,20}",
        set_path in "[ -~]{0,12}",
        max_age in any::<u64>(),
    ) {
        let config = json!({"bypass": {
            "tokens": [{"header": header, "sha256": digest}],
            "cookie": {"name": "mm", "sha256": sha("qa"), "max_age": max_age, "set_path": set_path},
            "cidrs": [cidr],
        }});
        if let Err(problems) = parse(config.to_string().as_bytes()) {
            for error in &problems {
                prop_assert!(
                    [
                        "bypass.tokens[0].header",
                        "bypass.tokens[0].sha256",
                        "bypass.cookie.max_age",
                        "bypass.cookie.set_path",
                        "bypass.cidrs[0]",
                    ]
                    .contains(&error.field().as_str()),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn stripping_removes_exactly_the_bypass_cookie(
        pairs in prop::collection::vec(
            (prop::sample::select(vec!["mm", "MM", "mmx", "a", "b", "session"]), "[!#-+\\--:<-\\[\\]-~]{0,8}"),
            0..6
        ),
    ) {
        let header = pairs
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let others: Vec<String> = pairs
            .iter()
            .filter(|(name, _)| *name != "mm")
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let expected = match (others.len() == pairs.len(), others.is_empty()) {
            (true, _) => CookieHeader::Keep,
            (false, true) => CookieHeader::Remove,
            (false, false) => CookieHeader::Replace(others.join("; ").into_bytes()),
        };
        prop_assert_eq!(without_cookie(header.as_bytes(), "mm"), expected);
        let digest = [Digest::of(b"qa")];
        let has_secret = pairs.iter().any(|(name, value)| *name == "mm" && value == "qa");
        prop_assert_eq!(cookie_matches(header.as_bytes(), "mm", &digest), has_secret);
    }

    #[test]
    fn query_parameter_never_panics(raw in prop::collection::vec(any::<u8>(), 0..60)) {
        let _ = query_parameter(&raw, "token");
    }

    #[test]
    fn cidr_membership_matches_bit_arithmetic(address in any::<u32>(), other in any::<u32>(), prefix in 0u8..=32) {
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
        let network = std::net::Ipv4Addr::from(address & mask);
        let cidr = Cidr::parse(&format!("{network}/{prefix}")).unwrap();
        let networks = Networks::new(vec![cidr]);
        let source = format!("{}:443", std::net::Ipv4Addr::from(other));
        prop_assert_eq!(networks.contains(Some(source.as_bytes())), other & mask == address & mask);
        let mapped = format!("[::ffff:{}]:443", std::net::Ipv4Addr::from(other));
        prop_assert_eq!(networks.contains(Some(mapped.as_bytes())), other & mask == address & mask);
    }

    #[test]
    fn cidr_and_source_parsing_never_panic(text in "[0-9a-fA-F.:/\\[\\]%]{0,45}") {
        let _ = Cidr::parse(&text);
        let _ = parse_source_address(text.as_bytes());
    }
}
