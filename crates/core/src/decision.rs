//! The per-request decision: pure, host-free, and the only place the rules meet.

use std::borrow::Cow;

use crate::bypass::acme::is_challenge;
use crate::bypass::cookie::{query_parameter, without_cookie, CookieHeader};
use crate::plan::Plan;
use crate::request::hostname::{normalize_host, NormalizedHost};
use crate::request::path::{normalize, NormalizedPath};
use crate::scope::MatchInput;

/// What the filter read from the request (raw bytes: headers need not be UTF-8). The bypass
/// fields are read only when that kind of bypass is configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a [u8],
    pub authority: Option<&'a [u8]>,
    pub path: &'a [u8],
    /// The value of each configured token header, in `plan.bypass.tokens.headers()` order.
    pub token_values: &'a [Option<Vec<u8>>],
    /// The `cookie` header.
    pub cookie: Option<&'a [u8]>,
    /// Envoy's `source.address` property (`ip:port`).
    pub source_address: Option<&'a [u8]>,
    /// Envoy's `metadata` property: the stream's dynamic metadata, where `jwt_authn` keeps
    /// verified JWT payloads (`bypass/jwt.rs`).
    pub dynamic_metadata: Option<&'a [u8]>,
}

/// Which bypass let a request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Path,
    Network,
    Token,
    Cookie,
    /// An ACME HTTP-01 challenge (`bypass/acme.rs`).
    Acme,
    /// Verified JWT claims (`bypass/jwt.rs`).
    Jwt,
}

impl Via {
    /// The bypass kind as `bypass.header` carries it upstream.
    pub fn name(self) -> &'static str {
        match self {
            Via::Path => "path",
            Via::Network => "network",
            Via::Token => "token",
            Via::Cookie => "cookie",
            Via::Acme => "acme",
            Via::Jwt => "jwt",
        }
    }
}

/// What to remove from a bypassed request before it goes upstream, so bypass secrets never
/// reach the application or its logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strip<'p> {
    /// Configured token headers present in the request.
    pub headers: Vec<&'p str>,
    /// The `cookie` header without the bypass cookie.
    pub cookie: CookieHeader,
}

/// What happens to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'p> {
    /// Maintenance does not apply now (off, or outside every window): the request passes
    /// untouched.
    Off,
    /// No route covers the request: it passes untouched.
    OutOfScope,
    /// In scope, but let through by a bypass: it passes with the bypass secrets removed (none
    /// outside maintenance, where only bypass paths count, to exempt them from the fallback).
    Bypassed { via: Via, strip: Strip<'p> },
    /// The cookie link with the right token: answer `302` to `/` with this `set-cookie`.
    GrantCookie { set_cookie: SetCookie },
    /// Answer with the maintenance response (in the format the request asks for: read only when
    /// it replies, see `outcome/`).
    Maintenance,
    /// Maintenance does not apply now, but the request is in scope and not bypassed: it passes,
    /// and an upstream failure with a `upstream_fallback` status gets the maintenance response
    /// instead.
    PassWithFallback,
}

/// A `set-cookie` value holding the bypass secret; its `Debug` hides it from logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie(pub String);

impl std::fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetCookie(<secret>)")
    }
}

impl Decision<'_> {
    /// Whether the request goes to the upstream.
    pub fn passes(&self) -> bool {
        !matches!(self, Decision::Maintenance | Decision::GrantCookie { .. })
    }
}

/// Decides what to do with one request at `now` (unix seconds; only read when the plan uses the
/// clock: windows, or credentials with `not_after`).
pub fn decide<'p>(plan: &'p Plan, request: &RequestFacts, now: i64) -> Decision<'p> {
    decide_for_host(plan, request, &normalize_host(request.authority), now)
}

/// [`decide`], with `request.authority` already normalized as `host` (the filter looks at the
/// host first, see `outcome/request.rs`).
pub(crate) fn decide_for_host<'p>(
    plan: &'p Plan,
    request: &RequestFacts,
    host: &NormalizedHost,
    now: i64,
) -> Decision<'p> {
    let in_effect = plan.in_effect(now);
    // Outside maintenance, scope still matters for the upstream fallback and advance notice.
    if !in_effect && plan.fallback_statuses.is_empty() && plan.notice_before.is_none() {
        return Decision::Off;
    }
    // Without path conditions in the routes, a request out of scope is told without
    // normalizing its path: any clean path matches the same routes.
    let uses_paths = plan.scope.uses_paths();
    let scope_path = match uses_paths {
        true => normalize(request.path),
        false => NormalizedPath::Clean(Cow::Borrowed("/")),
    };
    let input = MatchInput {
        host,
        path: &scope_path,
        method: request.method,
    };
    if !plan.scope.contains(&input) {
        return Decision::OutOfScope;
    }
    let path = match uses_paths {
        true => scope_path,
        false => normalize(request.path),
    };
    if in_effect {
        if let Some(decision) = cookie_link(plan, request, &path, now) {
            return decision.unwrap_or(Decision::Maintenance);
        }
    }
    // Cheapest checks first; the token and cookie checks hash.
    let via = if plan.bypass.paths.contains(&path)
        && plan.bypass.paths.contains_literally(request.path)
    {
        Via::Path
    } else if plan.bypass.acme && is_challenge(&path, request.path) {
        Via::Acme
    } else if !in_effect {
        return Decision::PassWithFallback;
    } else if !plan.bypass.networks.is_empty()
        && plan.bypass.networks.contains(request.source_address)
    {
        Via::Network
    } else if !plan.bypass.tokens.is_empty()
        && plan.bypass.tokens.accepts(request.token_values, now)
    {
        Via::Token
    } else if plan
        .bypass
        .cookie
        .as_ref()
        .zip(request.cookie)
        .is_some_and(|(cookie, header)| cookie.accepts(header, now))
    {
        Via::Cookie
    } else if !plan.bypass.jwt.is_empty() && plan.bypass.jwt.accepts(request.dynamic_metadata) {
        Via::Jwt
    } else {
        return Decision::Maintenance;
    };
    let strip = if in_effect {
        strip(plan, request)
    } else {
        Strip {
            headers: Vec::new(),
            cookie: CookieHeader::Keep,
        }
    };
    Decision::Bypassed { via, strip }
}

/// The cookie link, while maintenance applies: `None` when the request is not for it,
/// `Some(None)` when it is but without the right token.
fn cookie_link<'p>(
    plan: &Plan,
    request: &RequestFacts,
    path: &NormalizedPath,
    now: i64,
) -> Option<Option<Decision<'p>>> {
    let cookie = plan.bypass.cookie.as_ref()?;
    let (Some(set_path), NormalizedPath::Clean(clean)) = (&cookie.set_path, path) else {
        return None;
    };
    if clean != set_path {
        return None;
    }
    // The link is the filter's own: it never goes upstream while maintenance applies.
    Some(
        query_parameter(request.path, "token")
            .and_then(|token| cookie.grant(&token, now))
            .map(|set_cookie| Decision::GrantCookie {
                set_cookie: SetCookie(set_cookie),
            }),
    )
}

/// The bypass secrets a request carries, to remove before it goes upstream (also for a would-be
/// maintenance response in dry run).
pub(crate) fn strip<'p>(plan: &'p Plan, request: &RequestFacts) -> Strip<'p> {
    let headers = plan
        .bypass
        .tokens
        .headers()
        .iter()
        .zip(request.token_values)
        .filter(|(_, value)| value.is_some())
        .map(|(name, _)| name.as_str())
        .collect();
    let cookie = match (&plan.bypass.cookie, request.cookie) {
        (Some(cookie), Some(header)) => without_cookie(header, &cookie.name),
        _ => CookieHeader::Keep,
    };
    Strip { headers, cookie }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn facts<'a>(method: &'a str, host: &'a str, path: &'a str) -> RequestFacts<'a> {
        RequestFacts {
            method: method.as_bytes(),
            authority: Some(host.as_bytes()),
            path: path.as_bytes(),
            ..RequestFacts::default()
        }
    }

    const NO_STRIP: Strip<'static> = Strip {
        headers: Vec::new(),
        cookie: CookieHeader::Keep,
    };

    #[test]
    fn off_passes_everything() {
        let plan = parse(br#"{"enabled": false, "routes": [{}]}"#).unwrap();
        assert_eq!(decide(&plan, &facts("GET", "a", "/"), 0), Decision::Off);
    }

    #[test]
    fn on_answers_in_scope_requests_and_lets_bypasses_through() {
        let plan = parse(
            br#"{"enabled": true,
                "routes": [{"hosts": ["shop.example.com"]}],
                "bypass": {"paths": ["/admin"]}}"#,
        )
        .unwrap();
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/cart"), 0),
            Decision::Maintenance
        );
        assert_eq!(
            decide(&plan, &facts("GET", "blog.example.com", "/cart"), 0),
            Decision::OutOfScope
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin/x"), 0),
            Decision::Bypassed {
                via: Via::Path,
                strip: NO_STRIP
            }
        );
        assert_eq!(
            decide(
                &plan,
                &facts("GET", "shop.example.com", "/admin/../cart"),
                0
            ),
            Decision::Maintenance
        );
        // In scope as /admin, but an upstream that does not decode reads another path.
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/%61dmin/x"), 0),
            Decision::Maintenance
        );
        assert!(decide(&plan, &facts("GET", "shop.example.com", "/admin/%7Ex"), 0).passes());
        // The response format is the outcome's (`outcome/`), asked for only when it replies.
    }

    fn at(text: &str) -> i64 {
        crate::schedule::calendar::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn windows_limit_when_maintenance_applies() {
        let plan = parse(
            br#"{"enabled": true,
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}],
                "recurring": [{"days": ["sat"], "start": "22:00", "end": "01:00", "utc_offset": "+02:00"}]}"#,
        )
        .unwrap();
        let request = facts("GET", "a", "/");
        for (now, expected) in [
            ("2025-06-01T01:59:59Z", Decision::Off),
            ("2025-06-01T02:00:00Z", Decision::Maintenance),
            ("2025-06-01T03:59:59Z", Decision::Maintenance),
            ("2025-06-01T04:00:00Z", Decision::Off),
            // Saturday 2025-06-07 22:30 at +02:00, and past midnight into Sunday.
            ("2025-06-07T20:30:00Z", Decision::Maintenance),
            ("2025-06-07T22:59:59Z", Decision::Maintenance),
            ("2025-06-07T23:00:00Z", Decision::Off),
            ("2025-06-07T19:59:59Z", Decision::Off),
        ] {
            assert_eq!(decide(&plan, &request, at(now)), expected, "{now}");
        }
        // Windows do not switch on a disabled plan.
        let plan = parse(br#"{"windows": [{"start": "2025-06-01T02:00:00Z"}]}"#).unwrap();
        assert_eq!(
            decide(&plan, &request, at("2025-07-01T00:00:00Z")),
            Decision::Off
        );
    }

    #[test]
    fn fallback_marks_in_scope_requests_that_pass() {
        let plan = parse(
            br#"{"upstream_fallback": {},
                "routes": [{"hosts": ["shop.example.com"]}],
                "bypass": {"paths": ["/admin"]}}"#,
        )
        .unwrap();
        let html = facts("GET", "shop.example.com", "/cart");
        assert_eq!(decide(&plan, &html, 0), Decision::PassWithFallback);
        assert_eq!(
            decide(&plan, &facts("GET", "blog.example.com", "/"), 0),
            Decision::OutOfScope
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin"), 0),
            Decision::Bypassed {
                via: Via::Path,
                strip: NO_STRIP
            }
        );
        assert!(Decision::PassWithFallback.passes());
        // While maintenance applies, the request gets maintenance right away.
        let plan = parse(
            br#"{"enabled": true, "upstream_fallback": {},
                "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#,
        )
        .unwrap();
        let request = facts("GET", "a", "/");
        assert_eq!(
            decide(&plan, &request, at("2025-06-01T03:00:00Z")),
            Decision::Maintenance
        );
        assert_eq!(
            decide(&plan, &request, at("2025-06-01T05:00:00Z")),
            Decision::PassWithFallback
        );
    }

    const OPS_SECRET: &str = "ops-secret";
    const QA_SECRET: &str = "qa-secret";

    fn sha(secret: &str) -> String {
        crate::bypass::secret::Digest::of(secret.as_bytes()).to_hex()
    }

    fn bypass_plan(routes: &str) -> Plan {
        let config = format!(
            r#"{{"enabled": true, "routes": {routes},
                "bypass": {{"paths": ["/admin"],
                  "tokens": [{{"header": "X-Bypass", "sha256": "{}"}},
                             {{"header": "x-bypass", "sha256": "{}"}},
                             {{"header": "x-other", "sha256": "{}"}}],
                  "cookie": {{"name": "mm", "sha256": "{}", "set_path": "/__mm/enter"}},
                  "cidrs": ["10.0.0.0/8", "2001:db8::/32"]}}}}"#,
            sha(OPS_SECRET),
            sha("rotated-secret"),
            sha("other-secret"),
            sha(QA_SECRET),
        );
        parse(config.as_bytes()).unwrap()
    }

    fn with_tokens<'a>(
        mut request: RequestFacts<'a>,
        values: &'a [Option<Vec<u8>>],
    ) -> RequestFacts<'a> {
        request.token_values = values;
        request
    }

    #[test]
    fn token_headers_let_the_right_secret_through_and_are_stripped() {
        let plan = bypass_plan("[{}]");
        assert_eq!(plan.bypass.tokens.headers(), ["x-bypass", "x-other"]);
        let base = facts("GET", "shop", "/cart");
        let right = [Some(OPS_SECRET.as_bytes().to_vec()), None];
        assert_eq!(
            decide(&plan, &with_tokens(base, &right), 0),
            Decision::Bypassed {
                via: Via::Token,
                strip: Strip {
                    headers: vec!["x-bypass"],
                    cookie: CookieHeader::Keep
                }
            }
        );
        let rotated = [Some(b"rotated-secret".to_vec()), Some(b"nope".to_vec())];
        assert_eq!(
            decide(&plan, &with_tokens(base, &rotated), 0),
            Decision::Bypassed {
                via: Via::Token,
                strip: Strip {
                    headers: vec!["x-bypass", "x-other"],
                    cookie: CookieHeader::Keep
                }
            }
        );
        for wrong in [
            [Some(b"ops-secreT".to_vec()), None],
            [Some(b"".to_vec()), None],
            [None, Some(OPS_SECRET.as_bytes().to_vec())],
            [Some(sha(OPS_SECRET).into_bytes()), None],
            [None, None],
        ] {
            assert_eq!(
                decide(&plan, &with_tokens(base, &wrong), 0),
                Decision::Maintenance,
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn bypass_secrets_are_stripped_whatever_bypass_let_the_request_through() {
        let plan = bypass_plan("[{}]");
        let wrong = [Some(b"wrong".to_vec()), None];
        let mut admin = with_tokens(facts("GET", "shop", "/admin/x"), &wrong);
        admin.cookie = Some(b"mm=wrong; theme=dark");
        assert_eq!(
            decide(&plan, &admin, 0),
            Decision::Bypassed {
                via: Via::Path,
                strip: Strip {
                    headers: vec!["x-bypass"],
                    cookie: CookieHeader::Replace(b"theme=dark".to_vec())
                }
            }
        );
    }

    #[test]
    fn bypass_cookie_lets_the_right_secret_through_and_is_stripped() {
        let plan = bypass_plan("[{}]");
        let none = [None, None];
        let mut request = with_tokens(facts("GET", "shop", "/cart"), &none);
        request.cookie = Some(b"a=1; mm=qa-secret; b=2");
        assert_eq!(
            decide(&plan, &request, 0),
            Decision::Bypassed {
                via: Via::Cookie,
                strip: Strip {
                    headers: vec![],
                    cookie: CookieHeader::Replace(b"a=1; b=2".to_vec())
                }
            }
        );
        request.cookie = Some(b"mm=qa-secret");
        assert_eq!(
            decide(&plan, &request, 0),
            Decision::Bypassed {
                via: Via::Cookie,
                strip: Strip {
                    headers: vec![],
                    cookie: CookieHeader::Remove
                }
            }
        );
        for wrong in [
            &b"mm=qa-secreT"[..],
            b"MM=qa-secret",
            b"mmm=qa-secret",
            b"x=mm=qa-secret",
            b"mm=ops-secret",
            b"",
        ] {
            request.cookie = Some(wrong);
            assert_eq!(
                decide(&plan, &request, 0),
                Decision::Maintenance,
                "{}",
                String::from_utf8_lossy(wrong)
            );
        }
    }

    #[test]
    fn cookie_link_sets_the_cookie_only_with_the_right_token_in_scope() {
        let plan = bypass_plan(r#"[{"hosts": ["shop"]}]"#);
        let grant = |path: &str| decide(&plan, &facts("GET", "shop", path), 0);
        assert_eq!(
            grant("/__mm/enter?token=qa-secret"),
            Decision::GrantCookie {
                set_cookie: SetCookie(
                    "mm=qa-secret; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure".into()
                )
            }
        );
        assert_eq!(
            grant("/__mm/enter?x=1&token=qa%2Dsecret"),
            grant("/__mm/enter?token=qa-secret")
        );
        assert_eq!(
            grant("/%5F_mm/enter?token=qa-secret"),
            grant("/__mm/enter?token=qa-secret")
        );
        for refused in [
            "/__mm/enter",
            "/__mm/enter?token=",
            "/__mm/enter?token=wrong",
            "/__mm/enter?token=ops-secret",
            "/__mm/enter?Token=qa-secret",
            "/__mm/enter?token=wrong&token=qa-secret",
        ] {
            assert_eq!(grant(refused), Decision::Maintenance, "{refused}");
        }
        // Not the link (ambiguous or different path): ordinary requests, so maintenance here.
        for other in [
            "/__mm/enter/?token=qa-secret",
            "//__mm/enter?token=qa-secret",
            "/__mm/x/../enter?token=qa-secret",
            "/__mm/enter;x?token=qa-secret",
            "/__MM/enter?token=qa-secret",
        ] {
            assert_eq!(grant(other), Decision::Maintenance, "{other}");
        }
        // Even a request bypassed otherwise gets the maintenance response with a wrong token.
        let mut trusted = facts("GET", "shop", "/__mm/enter?token=wrong");
        trusted.source_address = Some(b"10.1.2.3:4000");
        assert_eq!(decide(&plan, &trusted, 0), Decision::Maintenance);
        // Outside maintenance the link is an ordinary path.
        assert_eq!(
            decide(
                &plan,
                &facts("GET", "blog", "/__mm/enter?token=qa-secret"),
                0
            ),
            Decision::OutOfScope
        );
        let off = parse(br#"{"bypass": {"cookie": {"name": "mm", "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "set_path": "/x"}}}"#).unwrap();
        assert_eq!(
            decide(&off, &facts("GET", "a", "/x?token=abc"), 0),
            Decision::Off
        );
    }

    #[test]
    fn cookie_link_honours_max_age_and_secure() {
        let config = format!(
            r#"{{"enabled": true, "bypass": {{"cookie": {{"name": "__bypass", "sha256": "{}",
                 "max_age": 60, "secure": false, "set_path": "/enter"}}}}}}"#,
            sha("a b;c")
        );
        let plan = parse(config.as_bytes()).unwrap();
        let abc = format!(
            r#"{{"enabled": true, "bypass": {{"cookie": {{"name": "k", "sha256": "{}",
                 "set_path": "/enter"}}}}}}"#,
            sha("abc")
        );
        let abc = parse(abc.as_bytes()).unwrap();
        assert_eq!(
            decide(&abc, &facts("GET", "a", "/enter?token=abc"), 0),
            Decision::GrantCookie {
                set_cookie: SetCookie(
                    "k=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure".into()
                )
            }
        );
        // The right secret, but not storable in a cookie as is: refused.
        assert_eq!(
            decide(&plan, &facts("GET", "a", "/enter?token=a%20b%3Bc"), 0),
            Decision::Maintenance
        );
        let config = format!(
            r#"{{"enabled": true, "bypass": {{"cookie": {{"name": "__bypass", "sha256": "{}",
                 "max_age": 60, "secure": false, "set_path": "/enter"}}}}}}"#,
            sha("t0k3n/+=")
        );
        let plan = parse(config.as_bytes()).unwrap();
        assert_eq!(
            decide(&plan, &facts("HEAD", "a", "/enter?token=t0k3n%2F%2B%3D"), 0),
            Decision::GrantCookie {
                set_cookie: SetCookie(
                    "__bypass=t0k3n/+=; Path=/; Max-Age=60; HttpOnly; SameSite=Lax".into()
                )
            }
        );
    }

    #[test]
    fn acme_challenges_pass_unless_turned_off() {
        let plan = parse(br#"{"enabled": true, "routes": [{"hosts": ["shop"]}]}"#).unwrap();
        let challenge = facts("GET", "shop", "/.well-known/acme-challenge/abc");
        assert_eq!(
            decide(&plan, &challenge, 0),
            Decision::Bypassed {
                via: Via::Acme,
                strip: NO_STRIP
            }
        );
        let tricked = facts("GET", "shop", "/.well-known/acme-challenge/../admin");
        assert_eq!(decide(&plan, &tricked, 0), Decision::Maintenance);
        let off = parse(br#"{"enabled": true, "bypass": {"acme": false}}"#).unwrap();
        assert_eq!(decide(&off, &challenge, 0), Decision::Maintenance);
        // Out of scope it passes anyway, untouched.
        let blog = facts("GET", "blog", "/.well-known/acme-challenge/abc");
        assert_eq!(decide(&plan, &blog, 0), Decision::OutOfScope);
    }

    #[test]
    fn verified_jwt_claims_pass() {
        use crate::bypass::jwt::{wire, NAMESPACE};
        let plan = parse(
            br#"{"enabled": true, "bypass": {"jwt": [
                {"payload": "p", "claim": "groups", "any_of": ["sre"]}]}}"#,
        )
        .unwrap();
        let metadata = |groups: serde_json::Value| {
            wire::metadata(NAMESPACE, &serde_json::json!({"p": {"groups": groups}}))
        };
        let sre = metadata(serde_json::json!(["dev", "sre"]));
        let dev = metadata(serde_json::json!(["dev"]));
        let mut request = facts("GET", "a", "/");
        request.dynamic_metadata = Some(&sre);
        assert_eq!(
            decide(&plan, &request, 0),
            Decision::Bypassed {
                via: Via::Jwt,
                strip: NO_STRIP
            }
        );
        request.dynamic_metadata = Some(&dev);
        assert_eq!(decide(&plan, &request, 0), Decision::Maintenance);
        request.dynamic_metadata = None;
        assert_eq!(decide(&plan, &request, 0), Decision::Maintenance);
    }

    #[test]
    fn set_cookie_is_redacted_in_debug_output() {
        let decision = Decision::GrantCookie {
            set_cookie: SetCookie("mm=qa-secret".into()),
        };
        assert!(!format!("{decision:?}").contains("qa-secret"));
        assert!(!decision.passes());
    }

    #[test]
    fn trusted_networks_pass() {
        let plan = bypass_plan("[{}]");
        let mut request = facts("GET", "shop", "/cart");
        for (source, expected) in [
            ("10.9.8.7:51000", true),
            ("[2001:db8::7]:443", true),
            ("[::ffff:10.0.0.1]:1", true),
            ("11.0.0.1:51000", false),
            ("[2001:db9::7]:443", false),
            ("garbage", false),
        ] {
            request.source_address = Some(source.as_bytes());
            let decision = decide(&plan, &request, 0);
            assert_eq!(
                decision,
                if expected {
                    Decision::Bypassed {
                        via: Via::Network,
                        strip: NO_STRIP,
                    }
                } else {
                    Decision::Maintenance
                },
                "{source}"
            );
        }
        request.source_address = None;
        assert_eq!(decide(&plan, &request, 0), Decision::Maintenance);
    }

    #[test]
    fn no_bypass_applies_outside_maintenance() {
        let plan = bypass_plan(r#"[{"path_prefix": "/shop"}]"#);
        let right = [Some(OPS_SECRET.as_bytes().to_vec()), None];
        let mut request = with_tokens(facts("GET", "a", "/blog"), &right);
        request.cookie = Some(b"mm=qa-secret");
        request.source_address = Some(b"10.0.0.1:1");
        assert_eq!(decide(&plan, &request, 0), Decision::OutOfScope);
        request.path = b"/shop/x";
        assert!(matches!(
            decide(&plan, &request, 0),
            Decision::Bypassed { .. }
        ));
    }

    #[test]
    fn outside_a_window_credentials_neither_pass_nor_are_stripped() {
        let config = format!(
            r#"{{"enabled": true, "upstream_fallback": {{}},
                "windows": [{{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}}],
                "bypass": {{"paths": ["/admin"],
                  "tokens": [{{"header": "x-bypass", "sha256": "{}"}}],
                  "cookie": {{"name": "mm", "sha256": "{}", "set_path": "/__mm"}},
                  "cidrs": ["10.0.0.0/8"]}}}}"#,
            sha(OPS_SECRET),
            sha(QA_SECRET),
        );
        let plan = parse(config.as_bytes()).unwrap();
        let right = [Some(OPS_SECRET.as_bytes().to_vec())];
        let mut request = with_tokens(facts("GET", "shop", "/cart"), &right);
        request.cookie = Some(b"mm=qa-secret; a=1");
        request.source_address = Some(b"10.0.0.1:1");
        let during = at("2025-06-01T03:00:00Z");
        let after = at("2025-06-01T05:00:00Z");
        assert!(matches!(
            decide(&plan, &request, during),
            Decision::Bypassed {
                via: Via::Network,
                ..
            }
        ));
        assert_eq!(decide(&plan, &request, after), Decision::PassWithFallback);
        // Bypass paths stay exempt from the fallback, and nothing is stripped from them.
        request.path = b"/admin/x";
        assert_eq!(
            decide(&plan, &request, after),
            Decision::Bypassed {
                via: Via::Path,
                strip: NO_STRIP
            }
        );
        assert!(matches!(
            decide(&plan, &request, during),
            Decision::Bypassed { strip, .. } if strip.headers == ["x-bypass"]
                && strip.cookie == CookieHeader::Replace(b"a=1".to_vec())
        ));
        // The link is an ordinary request outside maintenance.
        let link = facts("GET", "shop", "/__mm?token=qa-secret");
        assert_eq!(decide(&plan, &link, after), Decision::PassWithFallback);
        assert!(matches!(
            decide(&plan, &link, during),
            Decision::GrantCookie { .. }
        ));
    }
}
