//! Issue 23's features through the plugin's lifecycle against the fake host: CORS on what the
//! plugin answers and its preflight answer, the page's assets, ACME, the JWT bypass read from
//! the `metadata` property, `since` and the long-outage warning.

use super::tests::{configure_on, configured, request, two_vms};
use super::*;
use crate::access_log;
use crate::bypass::jwt::{wire, NAMESPACE};
use crate::host::fake::{Call, FakeHost};
use crate::schedule::calendar::DAY;

const ORIGIN: &str = "https://app.example.com";

fn reply(host: &FakeHost) -> crate::host::fake::OwnedReply {
    host.replies()
        .first()
        .map(|reply| (*reply).clone())
        .unwrap_or_else(|| panic!("no reply: {:?}", host.calls))
}

const CORS: &str = r#"{"enabled": true, "retry_after": 60,
    "cors": {"allow_origins": ["https://app.example.com"], "max_age": 600},
    "bypass": {"paths": ["/admin"]}}"#;

#[test]
fn maintenance_replies_carry_cors_for_allowed_origins_only() {
    let (root, mut host) = configured(CORS);
    let (_, flow) = request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/x"),
            ("origin", ORIGIN.as_bytes()),
        ],
    );
    assert_eq!(flow, Flow::Pause);
    let sent = reply(&host);
    assert_eq!(sent.status, Some(503));
    assert_eq!(sent.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        sent.header("access-control-expose-headers"),
        Some("retry-after, maintenance-notice")
    );
    assert_eq!(sent.header("vary"), Some("origin"));
    // Still one read of the headers.
    assert_eq!(host.reads(), ["*"]);
    for origin in [&b"https://evil.example"[..], b"null"] {
        request(
            &root,
            &mut host,
            &[(":method", b"GET"), (":path", b"/x"), ("origin", origin)],
        );
        assert!(reply(&host)
            .headers
            .iter()
            .all(|(name, _)| !name.starts_with("access-control-")));
    }
}

#[test]
fn preflights_are_answered_only_when_maintenance_would_be() {
    let (root, mut host) = configured(CORS);
    let preflight = |path: &'static [u8]| -> Vec<(&'static str, &'static [u8])> {
        vec![
            (":method", b"OPTIONS"),
            (":path", path),
            ("origin", ORIGIN.as_bytes()),
            ("access-control-request-method", b"PUT"),
            ("access-control-request-headers", b"x-request-id"),
        ]
    };
    let (_, flow) = request(&root, &mut host, &preflight(b"/api"));
    assert_eq!(flow, Flow::Pause);
    let sent = reply(&host);
    assert_eq!(sent.status, Some(204));
    assert_eq!(sent.header("access-control-allow-methods"), Some("PUT"));
    assert_eq!(
        sent.header("access-control-allow-headers"),
        Some("x-request-id")
    );
    assert_eq!(sent.header("access-control-max-age"), Some("600"));
    assert_eq!(
        host.set_properties(),
        [(access_log::PROPERTY, access_log::PREFLIGHT)]
    );
    assert_eq!(host.metric("maintenance.responses_total"), Some(1));
    // A bypassed path: the application answers its preflight.
    let (_, flow) = request(&root, &mut host, &preflight(b"/admin/users"));
    assert_eq!(flow, Flow::Continue);
    assert!(host.replies().is_empty());
    // In a dry run nothing is answered, preflights included.
    let (root, mut host) =
        configured(&CORS.replace("\"enabled\": true", "\"enabled\": true, \"dry_run\": true"));
    let (_, flow) = request(&root, &mut host, &preflight(b"/api"));
    assert_eq!(flow, Flow::Continue);
    // Without cors: the maintenance response.
    let (root, mut host) = configured(r#"{"enabled": true}"#);
    request(&root, &mut host, &preflight(b"/api"));
    assert_eq!(reply(&host).status, Some(503));
}

#[test]
fn the_cookie_link_and_a_replaced_failure_carry_cors() {
    let config = format!(
        r#"{{"enabled": true, "cors": {{"allow_origins": ["*"]}},
            "bypass": {{"cookie": {{"name": "mm", "sha256": "{}", "set_path": "/enter"}}}}}}"#,
        super::tests::ABC
    );
    let (root, mut host) = configured(&config);
    request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/enter?token=abc"),
            ("origin", b"https://x.example"),
        ],
    );
    let sent = reply(&host);
    assert_eq!(sent.status, Some(302));
    assert_eq!(sent.header("access-control-allow-origin"), Some("*"));

    let (root, mut host) =
        configured(r#"{"upstream_fallback": {}, "cors": {"allow_origins": ["*"]}}"#);
    let (mut stream, flow) = request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/x"),
            ("origin", b"https://x.example"),
        ],
    );
    assert_eq!(flow, Flow::Continue);
    host.respond(&[(":status", b"503")]);
    host.properties.insert(
        vec!["response".into(), "code_details".into()],
        b"via_upstream".to_vec(),
    );
    assert_eq!(stream.on_response_headers(&mut host), Flow::Pause);
    assert_eq!(
        reply(&host).header("access-control-allow-origin"),
        Some("*")
    );
}

const ASSETS: &str = r#"{"enabled": true, "cors": {"allow_origins": ["https://app.example.com"]},
    "response": {"assets": {"logo.svg": {"content_type": "image/svg+xml", "body": "<svg/>"}},
                 "logo": "logo.svg"}}"#;

#[test]
fn assets_are_served_while_maintenance_applies() {
    let (root, mut host) = configured(ASSETS);
    let (_, flow) = request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/__maintenance/assets/logo.svg"),
            ("origin", ORIGIN.as_bytes()),
        ],
    );
    assert_eq!(flow, Flow::Pause);
    let sent = reply(&host);
    assert_eq!(sent.status, Some(200));
    assert_eq!(sent.body, b"<svg/>");
    assert_eq!(sent.header("content-type"), Some("image/svg+xml"));
    assert_eq!(sent.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        host.set_properties(),
        [(access_log::PROPERTY, access_log::ASSET)]
    );
    request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/__maintenance/assets/x.png"),
        ],
    );
    assert_eq!(reply(&host).status, Some(404));
    // The page links the logo.
    request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/"),
            ("accept", b"text/html"),
        ],
    );
    let page = String::from_utf8(reply(&host).body).unwrap();
    assert!(
        page.contains("<img class=\"logo\" src=\"/__maintenance/assets/logo.svg\""),
        "{page}"
    );

    // With maintenance off and no page to show, the path is the application's, and no header
    // is read for it.
    let (root, mut host) = configured(&ASSETS.replace("\"enabled\": true", "\"enabled\": false"));
    let (_, flow) = request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/__maintenance/assets/logo.svg"),
        ],
    );
    assert_eq!(flow, Flow::Continue);
    assert_eq!(host.calls, []);
    // With a status path (its preview shows the page) or a fallback, always served.
    for extra in [r#""status_path": "/status""#, r#""upstream_fallback": {}"#] {
        let config = ASSETS.replace("\"enabled\": true", &format!("\"enabled\": false, {extra}"));
        let (root, mut host) = configured(&config);
        let (_, flow) = request(
            &root,
            &mut host,
            &[
                (":method", b"GET"),
                (":path", b"/__maintenance/assets/logo.svg"),
            ],
        );
        assert_eq!(flow, Flow::Pause, "{extra}");
        assert_eq!(reply(&host).status, Some(200));
    }
}

#[test]
fn jwt_rules_on_a_host_without_dynamic_metadata_are_warned_about_and_pass_nothing() {
    let config = r#"{"enabled": true,
        "bypass": {"jwt": [{"payload": "payload", "claim": "role", "any_of": ["admin"]}]}}"#;
    let mut host = FakeHost::new();
    host.dynamic_metadata = false;
    let root = configure_on(&mut host, config);
    let warned = host.logged(log::Level::Warn);
    assert!(
        warned
            .iter()
            .any(|line| line.contains("bypass.jwt: this build cannot read")),
        "{warned:?}"
    );
    let (_, flow) = request(&root, &mut host, &[(":method", b"GET"), (":path", b"/x")]);
    assert_eq!(flow, Flow::Pause);
    // A host that reads metadata is not warned.
    let (_, host) = configured(config);
    assert!(host.logged(log::Level::Warn).is_empty());
}

fn jwt_metadata(role: &str) -> Vec<u8> {
    wire::metadata(NAMESPACE, &serde_json::json!({"payload": {"role": role}}))
}

#[test]
fn verified_claims_are_read_from_the_metadata_property_only_when_needed() {
    let config = r#"{"enabled": true, "bypass": {"header": "x-kind",
        "jwt": [{"payload": "payload", "claim": "role", "any_of": ["admin"]}]}}"#;
    let (root, mut host) = configured(config);
    host.properties
        .insert(vec!["metadata".into()], jwt_metadata("admin"));
    let (_, flow) = request(&root, &mut host, &[(":method", b"GET"), (":path", b"/x")]);
    assert_eq!(flow, Flow::Continue);
    assert!(host
        .calls
        .contains(&Call::Property(vec!["metadata".into()])));
    assert!(host
        .calls
        .contains(&Call::Set("x-kind".into(), b"jwt".to_vec())));
    assert_eq!(
        host.set_properties(),
        [(access_log::PROPERTY, "bypass:jwt")]
    );
    host.properties
        .insert(vec!["metadata".into()], jwt_metadata("user"));
    let (_, flow) = request(&root, &mut host, &[(":method", b"GET"), (":path", b"/x")]);
    assert_eq!(flow, Flow::Pause);
    // Without rules, the property is never read.
    let (root, mut host) = configured(r#"{"enabled": true}"#);
    host.properties
        .insert(vec!["metadata".into()], jwt_metadata("admin"));
    request(&root, &mut host, &[(":method", b"GET"), (":path", b"/x")]);
    assert!(!host
        .calls
        .contains(&Call::Property(vec!["metadata".into()])));
    assert_eq!(reply(&host).status, Some(503));
}

#[test]
fn acme_challenges_pass_and_are_marked() {
    let (root, mut host) = configured(r#"{"enabled": true, "bypass": {"header": "x-kind"}}"#);
    let (_, flow) = request(
        &root,
        &mut host,
        &[
            (":method", b"GET"),
            (":path", b"/.well-known/acme-challenge/t0k3n"),
        ],
    );
    assert_eq!(flow, Flow::Continue);
    assert!(host
        .calls
        .contains(&Call::Set("x-kind".into(), b"acme".to_vec())));
    assert_eq!(host.metric("maintenance.bypassed_total"), Some(1));
}

fn status_since(root: &Root, host: &mut FakeHost) -> serde_json::Value {
    let (_, flow) = request(root, host, &[(":method", b"GET"), (":path", b"/status")]);
    assert_eq!(flow, Flow::Pause);
    let body: serde_json::Value = serde_json::from_slice(&reply(host).body).unwrap();
    body["since"].clone()
}

#[test]
fn since_is_kept_across_vms_and_configurations_and_cleared_when_off() {
    let (mut a, mut b, _) = two_vms();
    a.clock = Some(1_000);
    let on = r#"{"enabled": true, "status_path": "/status"}"#;
    let root_a = configure_on(&mut a, on);
    b.clock = Some(5_000);
    let root_b = configure_on(&mut b, on);
    assert_eq!(status_since(&root_a, &mut a), "1970-01-01T00:16:40Z");
    assert_eq!(status_since(&root_b, &mut b), "1970-01-01T00:16:40Z");
    // A new configuration that keeps maintenance on keeps the date.
    let root_b = configure_on(&mut b, &on.replace("}", r#", "reason": "still"}"#));
    assert_eq!(status_since(&root_b, &mut b), "1970-01-01T00:16:40Z");
    // Off, then on again: a new date.
    let off = configure_on(&mut a, r#"{"status_path": "/status"}"#);
    assert_eq!(status_since(&off, &mut a), serde_json::Value::Null);
    a.clock = Some(9_000);
    let again = configure_on(&mut a, on);
    assert_eq!(status_since(&again, &mut a), "1970-01-01T02:30:00Z");
}

#[test]
fn a_long_outage_is_warned_about_once_per_proxy() {
    let (mut a, mut b, _) = two_vms();
    let on = r#"{"enabled": true}"#;
    a.clock = Some(0);
    let mut root_a = configure_on(&mut a, on);
    b.clock = Some(0);
    let mut root_b = configure_on(&mut b, on);
    let warnings = |host: &FakeHost| {
        host.logged(log::Level::Warn)
            .iter()
            .filter(|line| line.contains("maintenance has applied since"))
            .count()
    };
    for host in [&mut a, &mut b] {
        host.clock = Some(6 * DAY);
    }
    root_a.on_tick(&mut a);
    root_b.on_tick(&mut b);
    assert_eq!(warnings(&a) + warnings(&b), 0);
    for now in [6 * DAY + 1, 6 * DAY + 60, 7 * DAY] {
        for host in [&mut a, &mut b] {
            host.clock = Some(now);
        }
        root_a.on_tick(&mut a);
        root_b.on_tick(&mut b);
    }
    assert_eq!(warnings(&a) + warnings(&b), 1, "{:?} {:?}", a.logs, b.logs);
    let line = a
        .logged(log::Level::Warn)
        .into_iter()
        .chain(b.logged(log::Level::Warn))
        .find(|line| line.contains("maintenance has applied since"))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.starts_with(
            "[plugin maintenance-mode] maintenance has applied since 1970-01-01T00:00:00Z (6 days)"
        ),
        "{line}"
    );
}

#[test]
fn the_applied_configuration_line_names_the_features() {
    let (_, host) = configured(
        r#"{"enabled": true, "cors": {"allow_origins": ["*"]},
            "bypass": {"acme": false, "jwt": [{"payload": "p", "claim": "role", "any_of": ["a"]}]},
            "response": {"assets": {"a.svg": {"content_type": "image/svg+xml", "body": "<svg/>"}},
                         "assets_path": "/static"}}"#,
    );
    let applied = host
        .logged(log::Level::Info)
        .into_iter()
        .find(|line| line.contains("configuration applied"))
        .unwrap_or_default()
        .to_string();
    for part in [
        "; bypass jwt rules: 1",
        "; ACME challenges not bypassed",
        "; cors",
        "; assets: 1 at /static",
    ] {
        assert!(applied.contains(part), "{part}: {applied}");
    }
}
