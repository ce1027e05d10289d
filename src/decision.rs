//! The per-request decision: pure, host-free, and the only place the rules meet.

use crate::config::Plan;
use crate::credentials::{query_parameter, without_cookie, CookieHeader};
use crate::negotiate::{choose, Format};
use crate::path::{normalize, NormalizedPath};
use crate::scope::{normalize_host, MatchInput};

/// What the filter read from the request (raw bytes: headers need not be UTF-8). The bypass
/// fields are read only when that kind of bypass is configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a [u8],
    pub authority: Option<&'a [u8]>,
    pub path: &'a [u8],
    pub content_type: Option<&'a [u8]>,
    pub accept: Option<&'a [u8]>,
    /// The value of each configured token header, in `plan.bypass_tokens.headers()` order.
    pub token_values: &'a [Option<Vec<u8>>],
    /// The `cookie` header.
    pub cookie: Option<&'a [u8]>,
    /// Envoy's `source.address` property (`ip:port`).
    pub source_address: Option<&'a [u8]>,
}

/// Which bypass let a request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Path,
    Network,
    Token,
    Cookie,
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
    /// Maintenance is off: the request passes untouched.
    Off,
    /// Maintenance is on, but no route covers the request: it passes untouched.
    OutOfScope,
    /// In scope, but let through by a bypass: it passes with the bypass secrets removed.
    Bypassed { via: Via, strip: Strip<'p> },
    /// The cookie link with the right token: answer `302` to `/` with this `set-cookie`.
    GrantCookie { set_cookie: SetCookie },
    /// Answer with the maintenance response in this format.
    Maintenance(Format),
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
        !matches!(
            self,
            Decision::Maintenance(_) | Decision::GrantCookie { .. }
        )
    }
}

/// Decides what to do with one request.
pub fn decide<'p>(plan: &'p Plan, request: &RequestFacts) -> Decision<'p> {
    if !plan.enabled {
        return Decision::Off;
    }
    let path = normalize(request.path);
    let host = normalize_host(request.authority);
    let input = MatchInput {
        host: &host,
        path: &path,
        method: request.method,
    };
    if !plan.scope.contains(&input) {
        return Decision::OutOfScope;
    }
    let maintenance = || Decision::Maintenance(choose(request.content_type, request.accept));
    if let Some(cookie) = &plan.bypass_cookie {
        if let (Some(set_path), NormalizedPath::Clean(clean)) = (&cookie.set_path, &path) {
            if clean == set_path {
                // While maintenance applies the link is the filter's own: it never goes upstream.
                return match query_parameter(request.path, "token").and_then(|t| cookie.grant(&t)) {
                    Some(set_cookie) => Decision::GrantCookie {
                        set_cookie: SetCookie(set_cookie),
                    },
                    None => maintenance(),
                };
            }
        }
    }
    // Cheapest checks first; the token and cookie checks hash.
    let via = if plan.bypass_paths.covers(&path) && plan.bypass_paths.covers_literally(request.path)
    {
        Via::Path
    } else if !plan.bypass_networks.is_empty()
        && plan.bypass_networks.contain(request.source_address)
    {
        Via::Network
    } else if !plan.bypass_tokens.is_empty() && plan.bypass_tokens.accept(request.token_values) {
        Via::Token
    } else if plan
        .bypass_cookie
        .as_ref()
        .zip(request.cookie)
        .is_some_and(|(cookie, header)| cookie.accepts(header))
    {
        Via::Cookie
    } else {
        return maintenance();
    };
    Decision::Bypassed {
        via,
        strip: strip(plan, request),
    }
}

fn strip<'p>(plan: &'p Plan, request: &RequestFacts) -> Strip<'p> {
    let headers = plan
        .bypass_tokens
        .headers()
        .iter()
        .zip(request.token_values)
        .filter(|(_, value)| value.is_some())
        .map(|(name, _)| name.as_str())
        .collect();
    let cookie = match (&plan.bypass_cookie, request.cookie) {
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
            content_type: None,
            accept: None,
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
        assert_eq!(decide(&plan, &facts("GET", "a", "/")), Decision::Off);
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
            decide(&plan, &facts("GET", "shop.example.com", "/cart")),
            Decision::Maintenance(Format::Plain)
        );
        assert_eq!(
            decide(&plan, &facts("GET", "blog.example.com", "/cart")),
            Decision::OutOfScope
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin/x")),
            Decision::Bypassed {
                via: Via::Path,
                strip: NO_STRIP
            }
        );
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/admin/../cart")),
            Decision::Maintenance(Format::Plain)
        );
        // In scope as /admin, but an upstream that does not decode reads another path.
        assert_eq!(
            decide(&plan, &facts("GET", "shop.example.com", "/%61dmin/x")),
            Decision::Maintenance(Format::Plain)
        );
        assert!(decide(&plan, &facts("GET", "shop.example.com", "/admin/%7Ex")).passes());
        let mut grpc = facts("POST", "shop.example.com", "/pkg.Svc/Call");
        grpc.content_type = Some(b"application/grpc");
        assert_eq!(decide(&plan, &grpc), Decision::Maintenance(Format::Grpc));
    }

    const OPS_SECRET: &str = "ops-secret";
    const QA_SECRET: &str = "qa-secret";

    fn sha(secret: &str) -> String {
        crate::credentials::Digest::of(secret.as_bytes()).to_hex()
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
        assert_eq!(plan.bypass_tokens.headers(), ["x-bypass", "x-other"]);
        let base = facts("GET", "shop", "/cart");
        let right = [Some(OPS_SECRET.as_bytes().to_vec()), None];
        assert_eq!(
            decide(&plan, &with_tokens(base, &right)),
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
            decide(&plan, &with_tokens(base, &rotated)),
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
                decide(&plan, &with_tokens(base, &wrong)),
                Decision::Maintenance(Format::Plain),
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
            decide(&plan, &admin),
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
            decide(&plan, &request),
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
            decide(&plan, &request),
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
                decide(&plan, &request),
                Decision::Maintenance(Format::Plain),
                "{}",
                String::from_utf8_lossy(wrong)
            );
        }
    }

    #[test]
    fn cookie_link_sets_the_cookie_only_with_the_right_token_in_scope() {
        let plan = bypass_plan(r#"[{"hosts": ["shop"]}]"#);
        let grant = |path: &str| decide(&plan, &facts("GET", "shop", path));
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
            assert_eq!(
                grant(refused),
                Decision::Maintenance(Format::Plain),
                "{refused}"
            );
        }
        // Not the link (ambiguous or different path): ordinary requests, so maintenance here.
        for other in [
            "/__mm/enter/?token=qa-secret",
            "//__mm/enter?token=qa-secret",
            "/__mm/x/../enter?token=qa-secret",
            "/__mm/enter;x?token=qa-secret",
            "/__MM/enter?token=qa-secret",
        ] {
            assert_eq!(
                grant(other),
                Decision::Maintenance(Format::Plain),
                "{other}"
            );
        }
        // Even a request bypassed otherwise gets the maintenance response with a wrong token.
        let mut trusted = facts("GET", "shop", "/__mm/enter?token=wrong");
        trusted.source_address = Some(b"10.1.2.3:4000");
        assert_eq!(
            decide(&plan, &trusted),
            Decision::Maintenance(Format::Plain)
        );
        // Outside maintenance the link is an ordinary path.
        assert_eq!(
            decide(&plan, &facts("GET", "blog", "/__mm/enter?token=qa-secret")),
            Decision::OutOfScope
        );
        let off = parse(br#"{"bypass": {"cookie": {"name": "mm", "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "set_path": "/x"}}}"#).unwrap();
        assert_eq!(
            decide(&off, &facts("GET", "a", "/x?token=abc")),
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
            decide(&abc, &facts("GET", "a", "/enter?token=abc")),
            Decision::GrantCookie {
                set_cookie: SetCookie(
                    "k=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure".into()
                )
            }
        );
        // The right secret, but not storable in a cookie as is: refused.
        assert_eq!(
            decide(&plan, &facts("GET", "a", "/enter?token=a%20b%3Bc")),
            Decision::Maintenance(Format::Plain)
        );
        let config = format!(
            r#"{{"enabled": true, "bypass": {{"cookie": {{"name": "__bypass", "sha256": "{}",
                 "max_age": 60, "secure": false, "set_path": "/enter"}}}}}}"#,
            sha("t0k3n/+=")
        );
        let plan = parse(config.as_bytes()).unwrap();
        assert_eq!(
            decide(&plan, &facts("HEAD", "a", "/enter?token=t0k3n%2F%2B%3D")),
            Decision::GrantCookie {
                set_cookie: SetCookie(
                    "__bypass=t0k3n/+=; Path=/; Max-Age=60; HttpOnly; SameSite=Lax".into()
                )
            }
        );
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
            let decision = decide(&plan, &request);
            assert_eq!(
                decision,
                if expected {
                    Decision::Bypassed {
                        via: Via::Network,
                        strip: NO_STRIP,
                    }
                } else {
                    Decision::Maintenance(Format::Plain)
                },
                "{source}"
            );
        }
        request.source_address = None;
        assert_eq!(
            decide(&plan, &request),
            Decision::Maintenance(Format::Plain)
        );
    }

    #[test]
    fn no_bypass_applies_outside_maintenance() {
        let plan = bypass_plan(r#"[{"path_prefix": "/shop"}]"#);
        let right = [Some(OPS_SECRET.as_bytes().to_vec()), None];
        let mut request = with_tokens(facts("GET", "a", "/blog"), &right);
        request.cookie = Some(b"mm=qa-secret");
        request.source_address = Some(b"10.0.0.1:1");
        assert_eq!(decide(&plan, &request), Decision::OutOfScope);
        request.path = b"/shop/x";
        assert!(matches!(decide(&plan, &request), Decision::Bypassed { .. }));
    }
}
