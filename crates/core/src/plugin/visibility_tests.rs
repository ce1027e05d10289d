//! Lifecycle tests of dry run, the decision recorded for the access log, `bypass.header` and
//! credentials that expire (`not_after`), against the fake host.

use log::Level;

use super::tests::{code_details, configure_on, configured, request, two_vms, ABC, GET_SHOP};
use super::*;
use crate::config;
use crate::host::fake::{Call, FakeHost};
use crate::schedule::calendar::parse_rfc3339;
use std::rc::Rc;

const DECISION: &str = "maintenance_mode.decision";

/// The decision recorded for the access log on the last stream, if any.
fn decision(host: &FakeHost) -> Vec<&str> {
    host.set_properties()
        .into_iter()
        .map(|(name, value)| {
            assert_eq!(name, DECISION);
            value
        })
        .collect()
}

fn with(config: &str) -> String {
    config.replace("ABC", ABC)
}

/// Every bypass kind, the cookie link and a route, with maintenance on.
const ALL_BYPASSES: &str = r#"{"enabled": true, "routes": [{"hosts": ["shop.example.com"]}],
    "bypass": {"paths": ["/admin"], "cidrs": ["10.0.0.0/8"],
      "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
      "cookie": {"name": "mm", "sha256": "ABC", "set_path": "/__mm/enter"}}}"#;

/// Owned request headers.
type Headers = Vec<(&'static str, Vec<u8>)>;

fn shop(path: &str) -> Headers {
    vec![
        (":method", b"GET".to_vec()),
        (":authority", b"shop.example.com".to_vec()),
        (":path", path.as_bytes().to_vec()),
    ]
}

fn send(root: &Root, host: &mut FakeHost, headers: &Headers) -> (Stream, Flow) {
    let borrowed: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    request(root, host, &borrowed)
}

fn plus(mut headers: Headers, name: &'static str, value: &str) -> Headers {
    headers.push((name, value.as_bytes().to_vec()));
    headers
}

#[test]
fn each_decision_is_recorded_for_the_access_log_while_maintenance_applies() {
    let config = with(ALL_BYPASSES);
    let (root, mut host) = configured(&config);
    let source = vec!["source".to_string(), "address".to_string()];
    let cases: [(Headers, Option<&str>, &str); 7] = [
        (shop("/cart"), None, "maintenance"),
        (shop("/admin/x"), None, "bypass:path"),
        (plus(shop("/cart"), "x-bypass", "abc"), None, "bypass:token"),
        (
            plus(shop("/cart"), "cookie", "mm=abc"),
            None,
            "bypass:cookie",
        ),
        (shop("/cart"), Some("10.1.2.3:5000"), "bypass:network"),
        (shop("/__mm/enter?token=abc"), None, "cookie_link"),
        (
            vec![
                (":authority", b"blog.example.com".to_vec()),
                (":path", b"/".to_vec()),
            ],
            None,
            "out_of_scope",
        ),
    ];
    for (headers, address, expected) in cases {
        match address {
            Some(address) => host.properties.insert(source.clone(), address.into()),
            None => host.properties.remove(&source),
        };
        send(&root, &mut host, &headers);
        assert_eq!(decision(&host), [expected]);
        // Recorded before any reply, so the access log of a local reply has it too.
        let set_at = host
            .calls
            .iter()
            .position(|c| matches!(c, Call::SetProperty(..)));
        let reply_at = host.calls.iter().position(|c| matches!(c, Call::Reply(_)));
        assert!(
            reply_at.is_none_or(|reply_at| set_at < Some(reply_at)),
            "{expected}"
        );
    }

    // Maintenance off, and no dry run: nothing is recorded (nor anything else done).
    let (root, mut host) = configured(&with(&ALL_BYPASSES.replace("true", "false")));
    send(&root, &mut host, &shop("/cart"));
    assert_eq!(host.calls, []);
}

#[test]
fn a_replaced_upstream_failure_is_recorded() {
    let (root, mut host) = configured(r#"{"upstream_fallback": {}}"#);
    let (mut stream, _) = request(&root, &mut host, GET_SHOP);
    // Maintenance does not apply: nothing recorded for the request.
    assert_eq!(decision(&host), Vec::<&str>::new());
    host.respond(&[(":status", b"503")]);
    host.properties
        .insert(code_details(), b"via_upstream".to_vec());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Pause);
    assert_eq!(decision(&host), ["replaced"]);
}

#[test]
fn dry_run_answers_nothing_but_counts_and_records_what_it_would() {
    let config = with(
        r#"{"enabled": true, "dry_run": true, "upstream_fallback": {},
            "routes": [{"hosts": ["shop.example.com"]}],
            "bypass": {"tokens": [{"header": "x-bypass", "sha256": "ABC"}],
              "cookie": {"name": "mm", "sha256": "ABC", "set_path": "/__mm/enter"}}}"#,
    );
    let (root, mut host) = configured(&config);
    assert!(host
        .logged(Level::Info)
        .iter()
        .any(|l| l.contains("DRY RUN")));
    assert!(root.plan().dry_run);

    // A would-be maintenance response goes through, without the secrets it carries.
    let headers = plus(
        plus(shop("/cart"), "x-bypass", "wrong"),
        "cookie",
        "a=1; mm=wrong",
    );
    let (mut stream, flow) = send(&root, &mut host, &headers);
    assert_eq!(flow, Flow::Continue);
    assert!(host.replies().is_empty());
    assert_eq!(decision(&host), ["dry_run"]);
    assert!(host.header("x-bypass").is_empty());
    assert_eq!(host.header("cookie"), [b"a=1"]);
    assert_eq!(host.metric("maintenance.dry_run_responses_total"), Some(1));
    assert_eq!(host.metric("maintenance.responses_total"), Some(0));
    // It would have been answered: no fallback for it, not even a would-be one.
    host.respond(&[(":status", b"503")]);
    host.properties
        .insert(code_details(), b"via_upstream".to_vec());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert_eq!(host.metric("maintenance.dry_run_replaced_total"), Some(0));

    // The cookie link still works.
    let (_, flow) = send(&root, &mut host, &shop("/__mm/enter?token=abc"));
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.replies()[0].status, Some(302));
    assert_eq!(decision(&host), ["cookie_link"]);

    // Outside maintenance, a would-be replacement passes on, counted and recorded.
    let (root, mut host) = configured(r#"{"dry_run": true, "upstream_fallback": {}}"#);
    let (mut stream, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(decision(&host), ["pass"]);
    host.respond(&[(":status", b"502")]);
    host.properties
        .insert(code_details(), b"via_upstream".to_vec());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert!(host.replies().is_empty());
    assert_eq!(decision(&host), ["pass", "dry_run:replaced"]);
    assert_eq!(host.metric("maintenance.dry_run_replaced_total"), Some(1));
    assert_eq!(host.metric("maintenance.upstream_replaced_total"), Some(0));

    // In dry run with maintenance off, each request still says why it passed.
    let (root, mut host) = configured(r#"{"dry_run": true}"#);
    request(&root, &mut host, GET_SHOP);
    assert_eq!(decision(&host), ["off"]);
}

#[test]
fn dry_run_still_fails_closed_when_a_secret_cannot_be_removed() {
    let config = with(
        r#"{"enabled": true, "dry_run": true,
        "bypass": {"tokens": [{"header": "x-bypass", "sha256": "ABC"}]}}"#,
    );
    let (root, mut host) = configured(&config);
    host.refuse_changes = true;
    let (_, flow) = send(&root, &mut host, &plus(shop("/"), "x-bypass", "wrong"));
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.replies()[0].status, Some(503));
    assert_eq!(decision(&host), ["dry_run", "maintenance"]);
}

#[test]
fn the_bypass_header_names_the_bypass_and_is_never_spoofed() {
    let config = ALL_BYPASSES.replace(r#""paths""#, r#""header": "X-Via", "paths""#);
    let (root, mut host) = configured(&with(&config));
    let source = vec!["source".to_string(), "address".to_string()];
    let spoof = |headers| plus(headers, "x-via", "token");
    let cases: [(Headers, Option<&str>, &str); 4] = [
        (spoof(shop("/admin")), None, "path"),
        (spoof(plus(shop("/cart"), "x-bypass", "abc")), None, "token"),
        (
            spoof(plus(shop("/cart"), "cookie", "mm=abc")),
            None,
            "cookie",
        ),
        (spoof(shop("/cart")), Some("10.0.0.1:1"), "network"),
    ];
    for (headers, address, expected) in cases {
        match address {
            Some(address) => host.properties.insert(source.clone(), address.into()),
            None => host.properties.remove(&source),
        };
        send(&root, &mut host, &headers);
        assert_eq!(host.header("x-via"), [expected.as_bytes()]);
    }
    // Out of scope: the client's copy is removed.
    send(
        &root,
        &mut host,
        &spoof(vec![(":authority", b"blog".to_vec())]),
    );
    assert!(host.header("x-via").is_empty());
    assert!(host.calls.contains(&Call::Remove("x-via".into())));

    // Maintenance off: the header names (one read), and each spelling a client sent removed;
    // none sent, nothing removed.
    let off = config.replace(r#""enabled": true"#, r#""enabled": false"#);
    let (root, mut host) = configured(&with(&off));
    send(
        &root,
        &mut host,
        &plus(spoof(shop("/admin")), "X_Via", "cookie"),
    );
    let removed = [Call::Remove("X_Via".into()), Call::Remove("x-via".into())];
    assert_eq!(host.calls, [&[Call::RequestHeaders][..], &removed].concat());
    assert!(host.header("x-via").is_empty() && host.header("X_Via").is_empty());
    send(&root, &mut host, &shop("/admin"));
    assert_eq!(host.calls, [Call::RequestHeaders]);
    // While maintenance applies, every other spelling goes too and the header is set.
    let (root, mut host) = configured(&with(&config));
    let spoofs = plus(
        plus(spoof(shop("/admin")), "x_via", "token"),
        "x-VIA",
        "cookie",
    );
    send(&root, &mut host, &spoofs);
    assert_eq!(host.header("x-via"), [b"path"]);
    assert!(host.header("x_via").is_empty() && host.header("x-VIA").is_empty());
    // Outside maintenance, a bypass path only exempts from the fallback: no marker.
    let fallback = off.replace(r#""enabled": false"#, r#""upstream_fallback": {}"#);
    let (root, mut host) = configured(&with(&fallback));
    send(&root, &mut host, &spoof(shop("/admin")));
    assert!(host.header("x-via").is_empty());
}

#[test]
fn bypass_header_configuration_errors_name_the_field() {
    for header in ["", "a b", "cookie", "x-bypass", ":path"] {
        let config = with(&format!(
            r#"{{"bypass": {{"header": "{header}",
                "tokens": [{{"header": "x-bypass", "sha256": "ABC"}}]}}}}"#
        ));
        let problems = config::parse(config.as_bytes()).unwrap_err();
        let problem = problems.first().unwrap();
        assert_eq!(problem.field(), "bypass.header", "{header}: {problem}");
    }
    let problem = config::parse(
        br#"{"bypass": {"cookie": {"name": "mm",
        "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "not_after": "tomorrow"}}}"#,
    )
    .unwrap_err();
    assert_eq!(problem.first().unwrap().field(), "bypass.cookie.not_after");
    let problem = config::parse(
        with(
            r#"{"bypass": {"tokens": [{"header": "x-a", "sha256": "ABC"},
            {"header": "x-b", "sha256": "ABC", "not_after": "2025-13-01T00:00:00Z"}]}}"#,
        )
        .as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        problem.first().unwrap().field(),
        "bypass.tokens[1].not_after"
    );
}

#[test]
fn a_refused_configuration_logs_its_problems_bounded() {
    let refuse = |config: &str| {
        let mut host = FakeHost::new();
        let mut root = Root::new(Rc::default());
        host.configuration = config.as_bytes().to_vec();
        assert!(root.on_vm_start(&mut host));
        assert!(!root.on_configure(&mut host));
        host.logged(Level::Error)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let three = refuse(r#"{"enabled": "yes", "status": 700, "bypass": {"cidrs": ["10.0.0.1/8"]}}"#);
    assert_eq!(three.len(), 3, "{three:?}");
    for (line, field) in three.iter().zip(["enabled", "status", "bypass.cidrs[0]"]) {
        assert!(
            line.contains(&format!("invalid plugin configuration: {field}: ")),
            "{line}"
        );
    }
    let paths: Vec<String> = (0..13).map(|n| format!("\"p{n}\"")).collect();
    let many = refuse(&format!(
        r#"{{"bypass": {{"paths": [{}]}}}}"#,
        paths.join(", ")
    ));
    assert_eq!(many.len(), 11, "{many:?}");
    assert!(many[9].contains("invalid plugin configuration: bypass.paths[9]: \"p9\" must start"));
    assert!(many[10].contains(
        "invalid plugin configuration: … and 3 more problems (`kubectl maintenance validate` lists them all)"
    ));
}

fn at(text: &str) -> i64 {
    parse_rfc3339(text).unwrap()
}

const EXPIRING: &str = r#"{"enabled": true,
    "bypass": {"tokens": [{"header": "x-qa", "sha256": "ABC", "not_after": "2030-01-01T00:00:00Z"}],
      "cookie": {"name": "mm", "sha256": "ABC", "set_path": "/__mm/enter",
                 "not_after": "2030-01-01T00:00:00Z"}}}"#;

#[test]
fn credentials_let_no_one_through_after_not_after() {
    let (root, mut host) = configured(&with(EXPIRING));
    // The clock is read per request, and ticks watch for the expiry.
    assert_eq!(host.tick, Some(TICK));
    for (now, token, cookie, link) in [
        (
            "2029-12-31T23:00:00Z",
            Flow::Continue,
            Flow::Continue,
            Some(302),
        ),
        (
            "2030-01-01T00:00:00Z",
            Flow::Continue,
            Flow::Continue,
            Some(302),
        ),
        ("2030-01-01T00:00:01Z", Flow::Pause, Flow::Pause, Some(503)),
    ] {
        host.clock = Some(at(now));
        let (_, flow) = send(&root, &mut host, &plus(shop("/"), "x-qa", "abc"));
        assert_eq!(flow, token, "{now}");
        assert!(host.calls.contains(&Call::Now));
        let (_, flow) = send(&root, &mut host, &plus(shop("/"), "cookie", "mm=abc"));
        assert_eq!(flow, cookie, "{now}");
        send(&root, &mut host, &shop("/__mm/enter?token=abc"));
        assert_eq!(host.replies()[0].status, link, "{now}");
    }
    // A link close to the end sets a cookie that ends with it.
    host.clock = Some(at("2029-12-31T23:50:00Z"));
    send(&root, &mut host, &shop("/__mm/enter?token=abc"));
    let set_cookie = host.replies()[0]
        .header("set-cookie")
        .unwrap_or_default()
        .to_string();
    assert!(set_cookie.contains("Max-Age=600;"), "{set_cookie}");
    // Expired tokens are still removed from requests that get through otherwise.
    let open = with(&EXPIRING.replace(r#""bypass": {"#, r#""bypass": {"paths": ["/admin"], "#));
    let (root, mut host) = configured(&open);
    host.clock = Some(at("2031-01-01T00:00:00Z"));
    send(&root, &mut host, &plus(shop("/admin"), "x-qa", "abc"));
    assert!(host.header("x-qa").is_empty());
}

#[test]
fn an_expiry_is_logged_once_per_proxy() {
    let (mut a, mut b, _) = two_vms();
    let expired = |host: &FakeHost| {
        host.logged(Level::Info)
            .iter()
            .filter(|line| line.contains("expired at 2030-01-01T00:00:00Z"))
            .count()
    };
    a.clock = Some(at("2029-12-31T23:59:59Z"));
    b.clock = a.clock;
    let config = with(EXPIRING);
    let mut root_a = configure_on(&mut a, &config);
    let mut root_b = configure_on(&mut b, &config);
    assert_eq!(expired(&a) + expired(&b), 0);
    for _ in 0..3 {
        for (root, host) in [(&mut root_a, &mut a), (&mut root_b, &mut b)] {
            host.clock = Some(at("2030-01-01T00:00:05Z"));
            root.on_tick(host);
        }
    }
    // One line per credential, from one VM.
    assert_eq!(expired(&a) + expired(&b), 2);
    let lines = a.logged(Level::Info).join("\n") + &b.logged(Level::Info).join("\n");
    assert!(
        lines.contains("bypass.tokens[0] (header x-qa) expired at"),
        "{lines}"
    );
    assert!(
        lines.contains("bypass.cookie (cookie mm) expired at"),
        "{lines}"
    );
    // The same configuration applied again later: still not logged again.
    // (The same instance: expiry lines are per plugin instance.)
    let mut c = FakeHost::sharing(Rc::clone(&a.shared));
    c.properties
        .insert(vec!["plugin_name".into()], b"maintenance-mode".to_vec());
    c.clock = Some(at("2030-02-01T00:00:00Z"));
    configure_on(&mut c, &config);
    assert_eq!(expired(&c), 0);
}
