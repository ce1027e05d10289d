//! The plugin's lifecycle against the fake host: what it reads, when, what it sends, and the
//! "log once" protocols between VMs.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::config;
use crate::host::fake::{Call, FakeHost, Phase, SharedData};
use crate::log_once::{fingerprint, shared_key};
use crate::reply::current_window::TransitionLog;
use crate::schedule::calendar::parse_rfc3339;

/// SHA-256 of "abc".
pub(super) const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

pub(super) fn configured(config: &str) -> (Root, FakeHost) {
    let mut host = FakeHost::new();
    let root = configure_on(&mut host, config);
    (root, host)
}

pub(super) fn configure_on(host: &mut FakeHost, config: &str) -> Root {
    let mut root = Root::new(Arc::default());
    host.configuration = config.as_bytes().to_vec();
    assert!(root.on_vm_start(host));
    assert!(root.on_configure(host), "{:?}", host.logs);
    root
}

pub(super) fn request(
    root: &Root,
    host: &mut FakeHost,
    headers: &[(&str, &[u8])],
) -> (Stream, Flow) {
    host.request(headers);
    let mut stream = root.new_stream();
    let flow = stream.on_request_headers(host);
    (stream, flow)
}

pub(super) const GET_SHOP: &[(&str, &[u8])] = &[
    (":method", b"GET"),
    (":authority", b"shop.example.com"),
    (":path", b"/cart"),
    ("accept", b"application/json"),
];

#[test]
fn maintenance_off_reads_no_header() {
    for config in [
        "{}",
        r#"{"enabled": false, "bypass": {"cookie": {"name": "mm", "sha256": "ABC"}}}"#,
    ] {
        let (root, mut host) = configured(&config.replace("ABC", ABC));
        let (_, flow) = request(&root, &mut host, GET_SHOP);
        assert_eq!(flow, Flow::Continue);
        assert_eq!(host.calls, [], "{config}");
        assert_eq!(host.metric("maintenance.passed_total"), Some(1));
    }
    // Outside its windows: only the clock.
    let (root, mut host) =
        configured(r#"{"enabled": true, "windows": [{"start": "2030-01-01T00:00:00Z"}]}"#);
    let (_, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.calls, [Call::Now]);
}

#[test]
fn each_decision_reads_only_what_it_needs() {
    // Maintenance for everything: one read of the whole header map (path and format), the
    // decision for the access log, the reply: no other host call.
    let (root, mut host) = configured(r#"{"enabled": true}"#);
    let (_, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.reads(), ["*"]);
    assert_eq!(host.calls.len(), 3, "{:?}", host.calls);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(503));
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    // Routes by host and method: still one read.
    let (root, mut host) = configured(
        r#"{"enabled": true, "routes": [{"hosts": ["blog.example.com"], "methods": ["GET"]}]}"#,
    );
    let (_, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.reads(), ["*"]);
    // The read and the access-log decision.
    assert_eq!(host.calls.len(), 2, "{:?}", host.calls);
    assert!(host.replies().is_empty());

    // A bypass path: no format, no secrets.
    let (root, mut host) = configured(
        r#"{"enabled": true, "bypass": {"paths": ["/cart"], "cidrs": ["10.0.0.0/8"],
            "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
            "cookie": {"name": "mm", "sha256": "ABC"}}}"#
            .replace("ABC", ABC)
            .as_str(),
    );
    let (_, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Continue);
    // Every configured bypass input is taken from the one read of the map while maintenance
    // applies; the source address is a property, a call of its own.
    assert_eq!(host.reads(), ["*"]);
    assert!(host
        .calls
        .contains(&Call::Property(vec!["source".into(), "address".into()])));
    assert!(host.replies().is_empty());

    // With the debug log on, the method is taken for the log line: no extra read.
    let (root, mut host) = configured(r#"{"enabled": true}"#);
    host.debug = true;
    request(&root, &mut host, GET_SHOP);
    assert_eq!(host.reads(), ["*"]);
    assert_eq!(
        host.logged(log::Level::Debug),
        ["GET /cart -> Maintenance(Json)"]
    );
}

#[test]
fn a_host_with_cheap_calls_is_asked_one_header_at_a_time() {
    let single = |config: &str, headers: &[(&str, &[u8])]| {
        let mut host = FakeHost::new();
        host.whole_map = false;
        let root = configure_on(&mut host, &config.replace("ABC", ABC));
        let (_, flow) = request(&root, &mut host, headers);
        (flow, host)
    };
    // The page: the path (bypass paths), then the format.
    let (flow, host) = single(
        r#"{"enabled": true, "bypass": {"paths": ["/admin"]}}"#,
        GET_SHOP,
    );
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.reads(), [":path", "content-type", "accept"]);
    assert_eq!(
        host.replies()[0].header("content-type"),
        Some("application/problem+json")
    );
    // Routes by host, a token: each header once, the token's too.
    let config = r#"{"enabled": true, "routes": [{"hosts": ["shop.example.com"]}],
        "bypass": {"tokens": [{"header": "x-bypass", "sha256": "ABC"}]}}"#;
    let token = [GET_SHOP, &[("x-bypass", b"abc".as_slice())]].concat();
    let (flow, host) = single(config, &token);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.reads(), [":authority", ":path", "x-bypass"]);
    assert!(host.header("x-bypass").is_empty());
    // A list (the cookie, every line of it) comes from the map.
    let config = r#"{"enabled": true, "bypass": {"cookie": {"name": "mm", "sha256": "ABC"}}}"#;
    let cookies = [
        GET_SHOP,
        &[("cookie", b"a=1".as_slice()), ("cookie", b"mm=abc")],
    ]
    .concat();
    let (flow, host) = single(config, &cookies);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.reads(), [":path", "*"]);
    assert_eq!(host.header("cookie"), [b"a=1"]);
}

#[test]
fn every_feature_takes_its_headers_from_one_read() {
    // Status path, translations, bypass header, dry run, fallback, the access-log decision and
    // the cookie: whatever the combination and the outcome, one read of the header map.
    let all = r#""status_path": "/status", "translations": {"fr": {"title": "En maintenance"}},
        "bypass": {"header": "x-via", "paths": ["/admin"],
          "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
          "cookie": {"name": "mm", "sha256": "ABC"}}"#;
    let headers = |path: &'static [u8], extra: (&'static str, &'static [u8])| {
        vec![
            (":method", b"GET".as_slice()),
            (":authority", b"shop.example.com"),
            (":path", path),
            ("accept", b"text/plain"),
            ("accept-language", b"fr"),
            ("x-via", b"spoofed"),
            extra,
        ]
    };
    let none = ("x-none", b"".as_slice());
    // (config, request, the reply's status or None when it passes, its content-language or
    // the bypass header the upstream sees)
    type Case = (
        &'static str,
        Vec<(&'static str, &'static [u8])>,
        Option<u16>,
        Option<&'static str>,
    );
    let cases: [Case; 8] = [
        // The status document in French, the preview in the request's format.
        (
            r#""enabled": true"#,
            headers(b"/status", none),
            Some(200),
            Some("fr"),
        ),
        (
            r#""enabled": false"#,
            headers(b"/status/preview", none),
            Some(200),
            Some("fr"),
        ),
        // The page in French; the spoofed bypass header is never let through.
        (
            r#""enabled": true"#,
            headers(b"/cart", none),
            Some(503),
            Some("fr"),
        ),
        (
            r#""enabled": true"#,
            headers(b"/admin", none),
            None,
            Some("path"),
        ),
        (
            r#""enabled": true"#,
            headers(b"/cart", ("x-bypass", b"abc")),
            None,
            Some("token"),
        ),
        (
            r#""enabled": true"#,
            headers(b"/cart", ("cookie", b"a=1; mm=abc")),
            None,
            Some("cookie"),
        ),
        (
            r#""enabled": true, "dry_run": true"#,
            headers(b"/cart", none),
            None,
            None,
        ),
        (
            r#""enabled": false, "upstream_fallback": {}"#,
            headers(b"/cart", none),
            None,
            None,
        ),
    ];
    for (on, request_headers, status, marker) in cases {
        let config = format!("{{{on}, {}}}", all.replace("ABC", ABC));
        let (root, mut host) = configured(&config);
        let (_, flow) = request(&root, &mut host, &request_headers);
        assert_eq!(host.reads(), ["*"], "{config} {request_headers:?}");
        match status {
            Some(status) => {
                assert_eq!(flow, Flow::Pause);
                let reply = host.replies()[0].clone();
                assert_eq!(reply.status, Some(status), "{request_headers:?}");
                assert_eq!(reply.header("content-language"), marker);
            }
            None => {
                assert_eq!(flow, Flow::Continue, "{config} {request_headers:?}");
                let via: Vec<&[u8]> = marker.map(str::as_bytes).into_iter().collect();
                assert_eq!(host.header("x-via"), via, "{config} {request_headers:?}");
            }
        }
    }
}

#[test]
fn grpc_requests_get_a_grpc_reply() {
    let (root, mut host) = configured(r#"{"enabled": true, "reason": "upgrade"}"#);
    request(
        &root,
        &mut host,
        &[
            (":path", b"/pkg.Svc/Call"),
            ("content-type", b"application/grpc"),
        ],
    );
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.header("content-type"), Some("application/grpc"));
    assert_eq!(reply.header("grpc-status"), Some("14"));
    assert_eq!(reply.header("grpc-message"), Some("upgrade"));
    assert!(reply.body.is_empty());
}

#[test]
fn grpc_web_requests_get_a_grpc_web_reply() {
    let config = r#"{"enabled": true, "reason": "db 100%", "retry_after": 60}"#;
    let (root, mut host) = configured(config);
    let block = b"grpc-status:14\r\ngrpc-message:db 100%25\r\n";
    let mut frame = vec![0x80, 0, 0, 0, block.len() as u8];
    frame.extend_from_slice(block);
    for (content_type, echoed, text) in [
        ("application/grpc-web", "application/grpc-web", false),
        (
            "Application/gRPC-Web+proto",
            "application/grpc-web+proto",
            false,
        ),
        (
            "application/grpc-web-text",
            "application/grpc-web-text",
            true,
        ),
        (
            "application/grpc-web-text+proto; x=1",
            "application/grpc-web-text+proto",
            true,
        ),
    ] {
        request(
            &root,
            &mut host,
            &[
                (":path", b"/pkg.Svc/Call"),
                ("content-type", content_type.as_bytes()),
            ],
        );
        let reply = host.replies()[0].clone();
        assert_eq!(reply.status, Some(200), "{content_type}");
        assert_eq!(reply.header("content-type"), Some(echoed));
        assert_eq!(reply.header("grpc-status"), Some("14"));
        assert_eq!(reply.header("grpc-message"), Some("db 100%25"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("retry-after"), Some("60"));
        let body = match text {
            true => crate::bytes::base64_encode(&frame),
            false => frame.clone(),
        };
        assert_eq!(reply.body, body, "{content_type}");
    }
    // gRPC in any spelling: the same trailers-only headers.
    request(
        &root,
        &mut host,
        &[
            (":path", b"/pkg.Svc/Call"),
            ("content-type", b"application/grpc; charset=utf-8"),
        ],
    );
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.header("grpc-status"), Some("14"));
    assert_eq!(reply.header("grpc-message"), Some("db 100%25"));
    assert!(reply.body.is_empty());
    // Not gRPC at all: the HTTP reply.
    request(
        &root,
        &mut host,
        &[
            (":path", b"/x"),
            ("content-type", b"application/grpc-webfoo"),
        ],
    );
    assert_eq!(host.replies()[0].status, Some(503));
}

#[test]
fn grpc_web_upstream_failures_get_the_grpc_web_reply() {
    let (root, mut host) = configured(r#"{"upstream_fallback": {}, "reason": "later"}"#);
    let grpc_web: &[(&str, &[u8])] = &[
        (":path", b"/pkg.Svc/Call"),
        ("content-type", b"application/grpc-web+proto"),
    ];
    // Without Envoy's grpc_web filter: the router's 503 for a failed upstream.
    let (mut stream, flow) = request(&root, &mut host, grpc_web);
    assert_eq!(flow, Flow::Continue);
    host.respond(&[(":status", b"503"), ("content-type", b"text/plain")]);
    host.properties
        .insert(code_details(), b"no_healthy_upstream".to_vec());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Pause);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    assert_eq!(
        reply.header("content-type"),
        Some("application/grpc-web+proto")
    );
    assert_eq!(reply.header("grpc-status"), Some("14"));
    assert_eq!(reply.header("grpc-message"), Some("later"));
    // A gRPC-web upstream's own trailers-only UNAVAILABLE is an upstream failure too.
    let (mut stream, _) = request(&root, &mut host, grpc_web);
    host.respond(&[(":status", b"200"), ("grpc-status", b"14")]);
    host.properties
        .insert(code_details(), b"via_upstream".to_vec());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Pause);
    assert_eq!(host.replies()[0].header("grpc-status"), Some("14"));
    // Its success passes.
    let (mut stream, _) = request(&root, &mut host, grpc_web);
    host.respond(&[(":status", b"200"), ("grpc-status", b"0")]);
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert!(host.replies().is_empty());
}

#[test]
fn secrets_are_stripped_before_the_request_goes_upstream() {
    let config = r#"{"enabled": true, "bypass": {
        "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
        "cookie": {"name": "mm", "sha256": "ABC"}}}"#
        .replace("ABC", ABC);
    let (root, mut host) = configured(&config);
    host.request(&[
        (":path", b"/"),
        ("x-bypass", b"abc"),
        ("cookie", b"a=1"),
        ("cookie", b"mm=abc; b=2"),
    ]);
    // Another filter may add names and values that are not UTF-8.
    host.request
        .insert(3, (b"x-\xff".to_vec(), b"\xfe".to_vec()));
    let flow = root.new_stream().on_request_headers(&mut host);
    assert_eq!(flow, Flow::Continue);
    assert!(host.header("x-bypass").is_empty());
    assert_eq!(host.header("cookie"), [&b"a=1; b=2"[..]]);
    assert_eq!(host.metric("maintenance.bypassed_total"), Some(1));

    // A cookie-only request loses the whole header.
    let (_, flow) = request(&root, &mut host, &[(":path", b"/"), ("cookie", b"mm=abc")]);
    assert_eq!(flow, Flow::Continue);
    assert!(host.header("cookie").is_empty());
    assert_eq!(host.calls.last(), Some(&Call::Remove("cookie".into())));
}

#[test]
fn a_secret_that_cannot_be_stripped_fails_closed() {
    let config = r#"{"enabled": true, "bypass": {
        "tokens": [{"header": "x-bypass", "sha256": "ABC"}],
        "cookie": {"name": "mm", "sha256": "ABC"}}}"#
        .replace("ABC", ABC);
    let (root, mut host) = configured(&config);
    host.refuse_changes = true;
    let token: &[(&str, &[u8])] = &[(":path", b"/"), ("x-bypass", b"abc")];
    let cookie: &[(&str, &[u8])] = &[(":path", b"/"), ("cookie", b"a=1; mm=abc")];
    for headers in [token, cookie] {
        let (mut stream, flow) = request(&root, &mut host, headers);
        assert_eq!(flow, Flow::Pause);
        assert_eq!(host.replies().len(), 1);
        assert_eq!(host.replies()[0].status, Some(503));
        // The reply is the plugin's own: the response phase leaves it alone.
        host.respond(&[(":status", b"503")]);
        assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
        assert_eq!(host.replies().len(), 1);
    }
    assert_eq!(host.metric("maintenance.responses_total"), Some(2));
    assert_eq!(host.metric("maintenance.bypassed_total"), Some(0));
}

#[test]
fn the_plugins_own_reply_is_never_replaced() {
    // Maintenance with a fallback: the response phase sees the plugin's own 503.
    let (root, mut host) = configured(r#"{"enabled": true, "upstream_fallback": {}}"#);
    let (mut stream, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Pause);
    host.respond(&[(":status", b"503")]);
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert_eq!(host.replies().len(), 1);
    assert!(!host
        .calls
        .iter()
        .any(|call| matches!(call, Call::ResponseHeader(_))));

    // The cookie link's redirect too.
    let config = r#"{"enabled": true, "upstream_fallback": {},
        "bypass": {"cookie": {"name": "mm", "sha256": "ABC", "set_path": "/__mm"}}}"#
        .replace("ABC", ABC);
    let (root, mut host) = configured(&config);
    let (mut stream, flow) = request(&root, &mut host, &[(":path", b"/__mm?token=abc")]);
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.replies()[0].status, Some(302));
    host.respond(&[(":status", b"502")]);
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert_eq!(host.replies().len(), 1);
}

#[test]
fn upstream_failures_are_replaced_once_in_the_requested_format() {
    let (root, mut host) = configured(r#"{"upstream_fallback": {}}"#);
    let (mut stream, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Continue);
    // The format is read in the request phase, the only one where it can be.
    assert_eq!(host.reads(), ["*"]);
    host.respond(&[(":status", b"502")]);
    host.properties
        .insert(code_details(), b"via_upstream".to_vec());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Pause);
    let reply = host.replies()[0].clone();
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(host.metric("maintenance.upstream_replaced_total"), Some(1));
    // A later response-headers call (the reply itself) passes.
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert_eq!(host.replies().len(), 1);
    // Nothing read out of phase.
    assert!(!host
        .calls
        .iter()
        .any(|call| matches!(call, Call::OutOfPhase(_))));

    // A success passes untouched, and its origin is not even asked.
    let (mut stream, _) = request(&root, &mut host, GET_SHOP);
    host.respond(&[(":status", b"200")]);
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert!(host.replies().is_empty());
    assert!(!host
        .calls
        .iter()
        .any(|call| matches!(call, Call::Property(path) if *path == code_details())));

    // Another filter's or plugin instance's local 503 (empty details) is never replaced.
    let (mut stream, _) = request(&root, &mut host, GET_SHOP);
    host.respond(&[(":status", b"503")]);
    host.properties.insert(code_details(), Vec::new());
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert!(host.replies().is_empty());
}

pub(super) fn code_details() -> Vec<String> {
    vec!["response".to_string(), "code_details".to_string()]
}

fn at(text: &str) -> i64 {
    parse_rfc3339(text).unwrap()
}

const WINDOWED: &str = r#"{"enabled": true,
    "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#;

#[test]
fn ticks_follow_the_windows() {
    let mut host = FakeHost::new();
    host.clock = Some(at("2025-06-01T01:59:59Z"));
    let mut root = configure_on(&mut host, WINDOWED);
    assert_eq!(host.tick, Some(TICK));
    assert_eq!(host.metric("maintenance.active"), Some(0));
    let mut open_lines = Vec::new();
    for (now, active) in [
        ("2025-06-01T01:59:59Z", 0),
        ("2025-06-01T02:00:00Z", 1),
        ("2025-06-01T03:00:00Z", 1),
        ("2025-06-01T04:00:00Z", 0),
    ] {
        host.clock = Some(at(now));
        root.on_tick(&mut host);
        assert_eq!(host.metric("maintenance.active"), Some(active), "{now}");
        open_lines = host.logged(log::Level::Info);
    }
    let changes: Vec<&&str> = open_lines
        .iter()
        .filter(|line| line.starts_with("maintenance window"))
        .collect();
    assert_eq!(changes.len(), 2, "{open_lines:?}");
    assert!(changes[0].starts_with("maintenance window opened"));
    assert!(changes[1].starts_with("maintenance window closed"));

    // Without windows: a slow tick for the long-outage warning only while maintenance is on;
    // the gauge says whether it is.
    let (_, host) = configured(r#"{"enabled": true}"#);
    assert_eq!(host.tick, Some(OUTAGE_TICK));
    assert_eq!(host.metric("maintenance.active"), Some(1));
    let (_, host) = configured(r#"{"enabled": false}"#);
    assert_eq!(host.tick, Some(Duration::ZERO));
    assert_eq!(host.metric("maintenance.active"), Some(0));
}

/// Two VMs of one proxy: their own roots and VM state, one shared data.
pub(super) fn two_vms() -> (FakeHost, FakeHost, Rc<RefCell<SharedData>>) {
    let shared: Rc<RefCell<SharedData>> = Rc::default();
    let mut a = FakeHost::sharing(Rc::clone(&shared));
    let mut b = FakeHost::sharing(Rc::clone(&shared));
    for host in [&mut a, &mut b] {
        host.properties
            .insert(vec!["plugin_name".into()], b"maintenance-mode".to_vec());
    }
    (a, b, shared)
}

fn applied(host: &FakeHost) -> usize {
    host.logged(log::Level::Info)
        .iter()
        .filter(|line| line.contains("configuration applied"))
        .count()
}

#[test]
fn each_configuration_and_start_is_logged_once_per_proxy() {
    let (mut a, mut b, _) = two_vms();
    configure_on(&mut a, r#"{"enabled": true}"#);
    configure_on(&mut b, r#"{"enabled": true}"#);
    assert_eq!(applied(&a) + applied(&b), 1);
    let started = |host: &FakeHost| {
        host.logged(log::Level::Info)
            .iter()
            .filter(|line| **line == format!("maintenance-mode {} started", crate::VERSION))
            .count()
    };
    assert_eq!(started(&a) + started(&b), 1);
    // A new configuration: logged once again.
    configure_on(&mut b, r#"{"enabled": false}"#);
    configure_on(&mut a, r#"{"enabled": false}"#);
    assert_eq!(applied(&a) + applied(&b), 2);
}

#[test]
fn the_audit_history_survives_a_lost_compare_and_swap() {
    let key = shared_key("applied", "maintenance-mode");
    let config = r#"{"enabled": true}"#;
    let mark = fingerprint(config.as_bytes());

    // Another VM applies the same configuration between this VM's read and its write: this VM
    // loses the compare-and-swap, reads again, finds it recorded and stays quiet.
    let (mut a, _, shared) = two_vms();
    shared
        .borrow_mut()
        .write_for_test(&key, b"1 0000000000000000\n");
    let theirs = format!("1 0000000000000000\n2 {mark}\n").into_bytes();
    shared.borrow_mut().interleave.push((key.clone(), theirs));
    configure_on(&mut a, config);
    assert_eq!(shared.borrow().cas_failures, 1);
    assert_eq!(applied(&a), 0);

    // Another VM applies a different configuration meanwhile: this VM retries and leads.
    let (mut a, _, shared) = two_vms();
    shared
        .borrow_mut()
        .write_for_test(&key, b"1 0000000000000000\n");
    let other = b"1 0000000000000000\n2 1111111111111111\n".to_vec();
    shared.borrow_mut().interleave.push((key.clone(), other));
    configure_on(&mut a, config);
    assert_eq!(shared.borrow().cas_failures, 1);
    assert_eq!(applied(&a), 1);
    let history = String::from_utf8_lossy(shared.borrow().value(&key).unwrap()).into_owned();
    assert!(history.ends_with(&format!("3 {mark}\n")), "{history}");

    // Shared data unusable: log rather than stay silent.
    let (mut a, _, shared) = two_vms();
    shared.borrow_mut().refuse = true;
    configure_on(&mut a, config);
    assert_eq!(applied(&a), 1);
}

#[test]
fn a_window_change_is_logged_by_one_vm() {
    let opened = |host: &FakeHost| {
        host.logged(log::Level::Info)
            .iter()
            .filter(|line| line.contains("maintenance window opened"))
            .count()
    };
    let (mut a, mut b, _) = two_vms();
    for host in [&mut a, &mut b] {
        host.clock = Some(at("2025-06-01T01:00:00Z"));
    }
    let mut root_a = configure_on(&mut a, WINDOWED);
    let mut root_b = configure_on(&mut b, WINDOWED);
    for (host, root) in [(&mut a, &mut root_a), (&mut b, &mut root_b)] {
        host.clock = Some(at("2025-06-01T02:00:00Z"));
        root.on_tick(host);
    }
    assert_eq!(opened(&a) + opened(&b), 1);

    // Under contention: the last change is on record, another VM records the opening between
    // this VM's read and write; this VM's compare-and-swap fails and it stays quiet.
    let whose = format!("maintenance-mode/{}", fingerprint(WINDOWED.as_bytes()));
    let key = shared_key("window-change", &whose);
    let (mut a, _, shared_c) = two_vms();
    a.clock = Some(at("2025-06-01T01:00:00Z"));
    let mut root = configure_on(&mut a, WINDOWED);
    a.clock = Some(at("2025-06-01T02:00:00Z"));
    let plan = config::parse(WINDOWED.as_bytes()).unwrap();
    let mut theirs = TransitionLog::default();
    theirs.observe(&plan, at("2025-06-01T01:00:00Z"));
    let line = theirs.observe(&plan, at("2025-06-01T02:00:00Z")).unwrap();
    shared_c.borrow_mut().write_for_test(&key, b"older change");
    shared_c
        .borrow_mut()
        .interleave
        .push((key.clone(), line.into_bytes()));
    root.on_tick(&mut a);
    assert_eq!(shared_c.borrow().cas_failures, 1);
    assert_eq!(opened(&a), 0);
}

/// Configures one more plugin instance called `name` in the VM of `host`.
fn instance(host: &mut FakeHost, vm: &Arc<Mutex<VmState>>, name: &str, config: &str) -> Root {
    host.properties
        .insert(vec!["plugin_name".into()], name.as_bytes().to_vec());
    let mut root = Root::new(Arc::clone(vm));
    host.configuration = config.as_bytes().to_vec();
    assert!(root.on_vm_start(host));
    assert!(root.on_configure(host), "{:?}", host.logs);
    root
}

#[test]
fn instances_in_one_vm_are_independent() {
    let mut host = FakeHost::new();
    host.clock = Some(at("2025-06-01T01:00:00Z"));
    let vm: Arc<Mutex<VmState>> = Arc::default();
    // Two instances with the same windowed configuration, one off, one unnamed (old names).
    let mut on = instance(&mut host, &vm, "default.shop", WINDOWED);
    let mut twin = instance(&mut host, &vm, "default.blog", WINDOWED);
    let off = instance(&mut host, &vm, "default.api", r#"{"enabled": false}"#);
    let unnamed = instance(&mut host, &vm, "", r#"{"enabled": true}"#);
    // Each applied configuration is logged (the twin's too).
    assert_eq!(applied(&host), 4);
    host.clock = Some(at("2025-06-01T02:00:00Z"));
    on.on_tick(&mut host);
    twin.on_tick(&mut host);
    let active =
        |host: &FakeHost, name: &str| host.metric(&format!("maintenance.instance.{name}.active"));
    assert_eq!(active(&host, "default.shop"), Some(1));
    assert_eq!(active(&host, "default.blog"), Some(1));
    assert_eq!(active(&host, "default.api"), Some(0));
    assert_eq!(host.metric("maintenance.active"), Some(1));
    // Both twins log their window opening (the "log once" key is per instance), each line
    // naming its instance; so do the audit lines.
    let info = host.logged(log::Level::Info);
    let opened: Vec<_> = info
        .iter()
        .filter(|line| line.contains("maintenance window opened"))
        .collect();
    assert_eq!(opened.len(), 2);
    assert!(opened[0].starts_with("[plugin default.shop] maintenance window opened"));
    assert!(opened[1].starts_with("[plugin default.blog] maintenance window opened"));
    for name in ["default.shop", "default.blog", "default.api"] {
        let tag = format!("[plugin {name}] configuration applied: ");
        let applied = info.iter().filter(|line| line.starts_with(&tag));
        assert_eq!(applied.count(), 1, "{name}");
    }
    assert!(info
        .iter()
        .any(|line| line.starts_with("configuration applied: ")));
    // Requests count per instance.
    for root in [&on, &off, &off] {
        request(root, &mut host, GET_SHOP);
    }
    request(&unnamed, &mut host, GET_SHOP);
    let count = |host: &FakeHost, name: &str, what: &str| {
        host.metric(&format!("maintenance.instance.{name}.{what}"))
    };
    assert_eq!(count(&host, "default.shop", "responses_total"), Some(1));
    assert_eq!(count(&host, "default.shop", "passed_total"), Some(0));
    assert_eq!(count(&host, "default.api", "passed_total"), Some(2));
    assert_eq!(count(&host, "default.api", "responses_total"), Some(0));
    assert_eq!(host.metric("maintenance.responses_total"), Some(1));
}

#[test]
fn requests_read_headers_only_in_their_phase() {
    let (root, mut host) = configured(r#"{"upstream_fallback": {}}"#);
    let (mut stream, _) = request(&root, &mut host, GET_SHOP);
    host.respond(&[(":status", b"503")]);
    stream.on_response_headers(&mut host);
    assert!(host.phase == Phase::ResponseHeaders);
    assert!(!host
        .calls
        .iter()
        .any(|call| matches!(call, Call::OutOfPhase(_))));
}

const STATUS: &str = "/.well-known/maintenance";

fn get(path: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (":method", b"GET".to_vec()),
        (":path", path.as_bytes().to_vec()),
    ]
}

fn send(root: &Root, host: &mut FakeHost, headers: &[(&'static str, Vec<u8>)]) -> (Stream, Flow) {
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    request(root, host, &headers)
}

#[test]
fn status_path_is_answered_with_maintenance_off() {
    let config = r#"{"status_path": "/.well-known/maintenance", "reason": "db"}"#;
    let (root, mut host) = configured(config);
    let (_, flow) = send(&root, &mut host, &get(STATUS));
    assert_eq!(flow, Flow::Pause);
    // Without windows and translations: one read of the headers (path and method), no clock.
    assert_eq!(host.reads(), ["*"]);
    assert!(!host.calls.contains(&Call::Now));
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["active"], false);
    assert_eq!(body["reason"], "db");

    // Any other request: the headers, once, and nothing else.
    let (_, flow) = send(&root, &mut host, &get("/cart"));
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.reads(), ["*"]);
    assert_eq!(host.calls, [Call::RequestHeaders]);
    assert_eq!(host.replies().len(), 0);
}

#[test]
fn status_path_escapes_maintenance_and_refuses_other_methods() {
    let config = r#"{"enabled": true, "status_path": "/.well-known/maintenance",
        "bypass": {"paths": ["/admin"]}}"#;
    let (root, mut host) = configured(config);
    let (_, flow) = send(&root, &mut host, &get(&format!("{STATUS}?x=1")));
    assert_eq!(flow, Flow::Pause);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["active"], true);

    let mut post = get(STATUS);
    post[0].1 = b"POST".to_vec();
    let (_, flow) = send(&root, &mut host, &post);
    assert_eq!(flow, Flow::Pause);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(405));
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));

    // The rest is in maintenance, reading the headers once.
    let (_, flow) = send(&root, &mut host, &get("/cart"));
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.reads(), ["*"]);
    assert_eq!(host.replies()[0].status, Some(503));
}

#[test]
fn preview_shows_the_maintenance_response_with_200() {
    let config = r#"{"status_path": "/status", "title": "Back soon", "retry_after": 60}"#;
    let (root, mut host) = configured(config);
    let mut headers = get("/status/preview");
    headers.push(("accept", b"text/html".to_vec()));
    let (_, flow) = send(&root, &mut host, &headers);
    assert_eq!(flow, Flow::Pause);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.header("maintenance-preview"), Some("true"));
    assert_eq!(reply.header("retry-after"), Some("60"));
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&reply.body).contains("<h1>Back soon</h1>"));
    // gRPC: the trailers-only reply a gRPC client gets, marked.
    let mut headers = get("/status/preview");
    headers.push(("content-type", b"application/grpc".to_vec()));
    send(&root, &mut host, &headers);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.header("content-type"), Some("application/grpc"));
    assert_eq!(reply.header("grpc-status"), Some("14"));
    assert_eq!(reply.header("maintenance-preview"), Some("true"));
}

#[test]
fn translations_follow_accept_language_read_only_when_configured() {
    let config = r#"{"enabled": true, "title": "Back soon",
        "translations": {"fr": {"title": "Maintenance en cours"}}}"#;
    let (root, mut host) = configured(config);
    let mut headers = get("/");
    headers.push(("accept-language", b"fr-CA, en;q=0.5".to_vec()));
    send(&root, &mut host, &headers);
    // accept-language comes from the one read of the headers.
    assert_eq!(host.reads(), ["*"]);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.header("content-language"), Some("fr"));
    assert_eq!(reply.body, b"Maintenance en cours\n");
    headers[2].1 = b"de".to_vec();
    send(&root, &mut host, &headers);
    let reply = host.replies()[0].clone();
    assert_eq!(reply.header("content-language"), Some("en"));
    assert_eq!(reply.body, b"Back soon\n");
    // No translations: accept-language is ignored, no content-language.
    let (root, mut host) = configured(r#"{"enabled": true}"#);
    send(&root, &mut host, &headers);
    assert_eq!(host.reads(), ["*"]);
    assert_eq!(host.replies()[0].header("content-language"), None);
    assert_eq!(host.replies()[0].body, b"Down for maintenance\n");
}

#[test]
fn notice_only_inside_the_lead_time_and_in_scope() {
    let config = r#"{"enabled": true, "notice_before": 3600,
        "routes": [{"path_prefix": "/shop"}],
        "windows": [{"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T04:00:00Z"}]}"#;
    let mut host = FakeHost::new();
    host.clock = Some(at("2025-06-01T00:00:00Z"));
    let root = configure_on(&mut host, config);
    // Outside the lead time: the clock only, nothing added.
    let (mut stream, flow) = send(&root, &mut host, &get("/shop"));
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.calls, [Call::Now]);
    host.respond(&[(":status", b"200")]);
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert_eq!(host.calls, [Call::Now]);

    // Inside it, in scope: the header on the response; one read of the headers.
    host.clock = Some(at("2025-06-01T01:30:00Z"));
    let (mut stream, flow) = send(&root, &mut host, &get("/shop/cart"));
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.reads(), ["*"]);
    host.respond(&[(":status", b"200")]);
    assert_eq!(stream.on_response_headers(&mut host), Flow::Continue);
    assert!(host.calls.contains(&Call::SetResponse(
        "maintenance-notice".to_string(),
        b"start=2025-06-01T02:00:00Z; end=2025-06-01T04:00:00Z".to_vec()
    )));

    // Out of scope: nothing.
    let (mut stream, _) = send(&root, &mut host, &get("/blog"));
    host.respond(&[(":status", b"200")]);
    stream.on_response_headers(&mut host);
    assert!(!host
        .calls
        .iter()
        .any(|call| matches!(call, Call::SetResponse(..))));
}

#[test]
fn the_cookie_link_secret_stays_out_of_the_debug_log() {
    let config = r#"{"enabled": true,
        "bypass": {"cookie": {"name": "mm", "sha256": "ABC", "set_path": "/__mm"}}}"#
        .replace("ABC", ABC);
    let (root, mut host) = configured(&config);
    host.debug = true;
    // The `?` percent-encoded (once or twice), or a plain one: none of it shows the secret.
    for path in [
        &b"/__mm%3Ftoken=abc"[..],
        b"/__mm%3ftoken=abc",
        b"/__mm%253Ftoken=abc",
        b"/__mm?token=abc",
        b"/__mm%23?token=abc",
    ] {
        request(&root, &mut host, &[(":method", b"GET"), (":path", path)]);
    }
    let lines = host.logged(log::Level::Debug);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines.iter().all(|line| !line.contains("abc")), "{lines:?}");
    assert!(lines[0].starts_with("GET /__mm -> "), "{lines:?}");
}
