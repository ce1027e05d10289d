//! The plugin's lifecycle against the fake host: what it reads, when, what it sends, and the
//! "log once" protocols between VMs.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::*;
use crate::host::fake::{Call, FakeHost, Phase, SharedData};
use crate::schedule::calendar::parse_rfc3339;

/// SHA-256 of "abc".
const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn configured(config: &str) -> (Root, FakeHost) {
    let mut host = FakeHost::new();
    let root = configure_on(&mut host, config);
    (root, host)
}

fn configure_on(host: &mut FakeHost, config: &str) -> Root {
    let mut root = Root::new(Rc::default());
    host.configuration = config.as_bytes().to_vec();
    assert!(root.on_vm_start(host));
    assert!(root.on_configure(host), "{:?}", host.logs);
    root
}

fn request(root: &Root, host: &mut FakeHost, headers: &[(&str, &[u8])]) -> (Stream, Flow) {
    host.request(headers);
    let mut stream = root.new_stream();
    let flow = stream.on_request_headers(host);
    (stream, flow)
}

const GET_SHOP: &[(&str, &[u8])] = &[
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
    // Maintenance for everything: one read of the whole header map (path and format), one
    // counter, the reply: no other host call.
    let (root, mut host) = configured(r#"{"enabled": true}"#);
    let (_, flow) = request(&root, &mut host, GET_SHOP);
    assert_eq!(flow, Flow::Pause);
    assert_eq!(host.reads(), ["*"]);
    assert_eq!(host.calls.len(), 2, "{:?}", host.calls);
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
    assert_eq!(host.calls.len(), 1, "{:?}", host.calls);
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
    assert_eq!(reply.status, None);
    assert_eq!(reply.body, b"upgrade");
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

fn code_details() -> Vec<String> {
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
    assert_eq!(host.metric(ACTIVE_GAUGE), Some(0));
    let mut open_lines = Vec::new();
    for (now, active) in [
        ("2025-06-01T01:59:59Z", 0),
        ("2025-06-01T02:00:00Z", 1),
        ("2025-06-01T03:00:00Z", 1),
        ("2025-06-01T04:00:00Z", 0),
    ] {
        host.clock = Some(at(now));
        root.on_tick(&mut host);
        assert_eq!(host.metric(ACTIVE_GAUGE), Some(active), "{now}");
        open_lines = host.logged(log::Level::Info);
    }
    let changes: Vec<&&str> = open_lines
        .iter()
        .filter(|line| line.starts_with("maintenance window"))
        .collect();
    assert_eq!(changes.len(), 2, "{open_lines:?}");
    assert!(changes[0].starts_with("maintenance window opened"));
    assert!(changes[1].starts_with("maintenance window closed"));

    // Without windows: no ticks, the gauge says whether maintenance is on.
    let (_, host) = configured(r#"{"enabled": true}"#);
    assert_eq!(host.tick, Some(Duration::ZERO));
    assert_eq!(host.metric(ACTIVE_GAUGE), Some(1));
}

/// Two VMs of one proxy: their own roots and VM state, one shared data.
fn two_vms() -> (FakeHost, FakeHost, Rc<RefCell<SharedData>>) {
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
        .filter(|line| line.starts_with("configuration applied"))
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
            .filter(|line| line.ends_with("started"))
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
            .filter(|line| line.starts_with("maintenance window opened"))
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
    let key = shared_key("window-change", &fingerprint(WINDOWED.as_bytes()));
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
