//! Changes to a plugin configuration (a JSON object): `on` with its options, `off`, and a
//! short description for `status`. Only the fields the command is about are touched; the rest
//! of the configuration is kept as it is.

use serde_json::{json, Map, Value};

use crate::clock::{format_rfc3339, human};

/// Cookie name and link path used when the configuration has no bypass cookie yet.
pub const DEFAULT_COOKIE: &str = "maintenance_bypass";
pub const DEFAULT_LINK_PATH: &str = "/__maintenance/bypass";
/// Cookie lifetime given by a new link when no end is known: 8 hours (a working day).
pub const DEFAULT_LINK_MAX_AGE: i64 = 8 * 3600;
/// The plugin's own limit for the cookie lifetime (400 days).
const MAX_COOKIE_MAX_AGE: i64 = 400 * 24 * 3600;

/// Which requests `on` puts under maintenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The routes already configured (none: every request).
    Keep,
    /// Every request: the configured routes are removed.
    All,
    /// These routes instead of the configured ones.
    Routes(Vec<RouteArg>),
}

/// One `--scope HOST/PATH` (either part may be missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteArg {
    pub host: Option<String>,
    pub path_prefix: Option<String>,
}

impl RouteArg {
    /// `shop.example.com`, `/checkout`, `shop.example.com/checkout`, `*.example.com/api`.
    pub fn parse(text: &str) -> Result<RouteArg, String> {
        let (host, path) = match text.find('/') {
            Some(i) => (&text[..i], Some(&text[i..])),
            None => (text, None),
        };
        if host.is_empty() && path.is_none() {
            return Err("--scope needs a host, a /path or host/path".to_string());
        }
        Ok(RouteArg {
            host: (!host.is_empty()).then(|| host.to_string()),
            path_prefix: path.map(str::to_string),
        })
    }

    fn to_json(&self) -> Value {
        let mut route = Map::new();
        if let Some(host) = &self.host {
            route.insert("hosts".into(), json!([host]));
        }
        if let Some(path) = &self.path_prefix {
            route.insert("path_prefix".into(), json!(path));
        }
        Value::Object(route)
    }
}

/// Everything `on` sets, resolved (times in Unix seconds).
#[derive(Debug, Clone, Default)]
pub struct OnChange {
    pub reason: Option<String>,
    pub title: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub scope: Option<Scope>,
    /// The digest of a new link secret, and whether the cookie may go over plain HTTP.
    pub link: Option<LinkChange>,
}

#[derive(Debug, Clone)]
pub struct LinkChange {
    pub sha256: String,
    pub insecure: bool,
}

/// The bypass link as configured after `on --link`: the path that sets the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub set_path: String,
    pub max_age: i64,
}

/// Parses a configuration text into an object; empty text is the empty configuration.
pub fn parse_object(text: &str, what: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{what} is not a JSON object")),
        Err(e) => Err(format!("{what} is not JSON: {e}")),
    }
}

/// Maintenance on. Returns notes for the user about what else changed, and the link. A bypass
/// (or its cookie) that is not an object is refused: the link changes only the cookie.
pub fn on(
    config: &mut Map<String, Value>,
    change: &OnChange,
    now: i64,
) -> Result<(Vec<String>, Option<Link>), String> {
    if change.link.is_some() {
        let bypass = config.get("bypass");
        let cookie = bypass.and_then(|b| b.get("cookie"));
        for (name, value) in [("bypass", bypass), ("bypass.cookie", cookie)] {
            if value.is_some_and(|v| !v.is_object() && !v.is_null()) {
                return Err(format!(
                    "--link sets only bypass.cookie, but `{name}` is not a JSON object here; \
                     write it as an object first"
                ));
            }
        }
    }
    let mut notes = Vec::new();
    config.insert("enabled".into(), Value::Bool(true));
    if let Some(reason) = &change.reason {
        config.insert("reason".into(), json!(reason));
    }
    if let Some(title) = &change.title {
        config.insert("title".into(), json!(title));
    }
    // `on` means maintenance now (or in the window asked for): earlier windows would otherwise
    // keep it off outside them.
    let had_windows = config.remove("windows").is_some();
    let had_recurring = config.remove("recurring").is_some();
    if had_windows || had_recurring {
        notes.push("removed the configured windows: maintenance follows this command now".into());
    }
    if change.start.is_some() || change.end.is_some() {
        let mut window = Map::new();
        if let Some(start) = change.start {
            window.insert("start".into(), json!(format_rfc3339(start)));
        }
        if let Some(end) = change.end {
            window.insert("end".into(), json!(format_rfc3339(end)));
        }
        config.insert("windows".into(), json!([window]));
        if change.end.is_some() && config.remove("retry_after").is_some() {
            notes.push(
                "removed retry_after, so Retry-After counts down to the end of the window".into(),
            );
        }
    }
    match &change.scope {
        None | Some(Scope::Keep) => {}
        Some(Scope::All) => {
            if config.remove("routes").is_some() {
                notes.push("removed the configured routes: every request is in scope".into());
            }
        }
        Some(Scope::Routes(routes)) => {
            config.insert(
                "routes".into(),
                Value::Array(routes.iter().map(RouteArg::to_json).collect()),
            );
        }
    }
    let link = change.link.as_ref().map(|link| {
        let lifetime = match change.end {
            Some(end) => (end - change.start.unwrap_or(now).max(now)).clamp(60, MAX_COOKIE_MAX_AGE),
            None => DEFAULT_LINK_MAX_AGE,
        };
        set_link(config, link, lifetime, &mut notes)
    });
    Ok((notes, link))
}

fn set_link(
    config: &mut Map<String, Value>,
    link: &LinkChange,
    lifetime: i64,
    notes: &mut Vec<String>,
) -> Link {
    let mut bypass = take_object(config, "bypass");
    let mut cookie = take_object(&mut bypass, "cookie");
    cookie.insert("sha256".into(), json!(link.sha256));
    cookie
        .entry("name")
        .or_insert_with(|| json!(DEFAULT_COOKIE));
    let set_path = cookie
        .entry("set_path")
        .or_insert_with(|| json!(DEFAULT_LINK_PATH))
        .as_str()
        .unwrap_or(DEFAULT_LINK_PATH)
        .to_string();
    cookie.insert("max_age".into(), json!(lifetime));
    if link.insecure && cookie.get("secure") != Some(&Value::Bool(false)) {
        cookie.insert("secure".into(), Value::Bool(false));
        notes.push("the link is http://, so the cookie is not Secure (\"secure\": false)".into());
    }
    bypass.insert("cookie".into(), Value::Object(cookie));
    config.insert("bypass".into(), Value::Object(bypass));
    Link {
        set_path,
        max_age: lifetime,
    }
}

/// The object under `key`, removed from `map` (a new one when missing or not an object).
fn take_object(map: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match map.remove(key) {
        Some(Value::Object(inner)) => inner,
        _ => Map::new(),
    }
}

/// Maintenance off; everything else kept.
pub fn off(config: &mut Map<String, Value>) {
    config.insert("enabled".into(), Value::Bool(false));
}

/// What the configuration says, in a few lines, evaluated at `now`.
pub fn describe(config: &Map<String, Value>, now: i64) -> String {
    let enabled = config.get("enabled") == Some(&Value::Bool(true));
    let windows: Vec<(Option<i64>, Option<i64>)> = config
        .get("windows")
        .and_then(Value::as_array)
        .map(|ws| {
            ws.iter()
                .map(|w| {
                    let at = |k: &str| {
                        w.get(k)
                            .and_then(Value::as_str)
                            .and_then(crate::clock::parse_rfc3339)
                    };
                    (at("start"), at("end"))
                })
                .collect()
        })
        .unwrap_or_default();
    let recurring = config
        .get("recurring")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut lines = Vec::new();
    let state = if !enabled {
        "OFF".to_string()
    } else if windows.is_empty() && recurring == 0 {
        "ON".to_string()
    } else if let Some((_, end)) = windows
        .iter()
        .find(|(s, e)| s.is_none_or(|s| s <= now) && e.is_none_or(|e| now < e))
    {
        match end {
            Some(end) => format!(
                "ON until {} ({} left)",
                format_rfc3339(*end),
                human(end - now)
            ),
            None => "ON (window with no end)".to_string(),
        }
    } else if let Some(next) = windows
        .iter()
        .filter_map(|(s, _)| *s)
        .filter(|s| *s > now)
        .min()
    {
        format!(
            "SCHEDULED: on from {} (in {})",
            format_rfc3339(next),
            human(next - now)
        )
    } else if recurring > 0 {
        format!("ON during {recurring} weekly window(s) (see `recurring`)")
    } else {
        "OFF: its windows are over".to_string()
    };
    lines.push(format!("maintenance: {state}"));
    for key in ["title", "reason"] {
        if let Some(text) = config.get(key).and_then(Value::as_str) {
            lines.push(format!("{key}: {text}"));
        }
    }
    let scope = match config.get("routes").and_then(Value::as_array) {
        None => "every request".to_string(),
        Some(routes) => format!("{} route(s)", routes.len()),
    };
    lines.push(format!("scope: {scope}"));
    let bypass = config.get("bypass");
    let count = |k: &str| {
        bypass
            .and_then(|b| b.get(k))
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    let mut kinds = vec![
        format!("{} path(s)", count("paths")),
        format!("{} token(s)", count("tokens")),
        format!("{} network(s)", count("cidrs")),
    ];
    if let Some(cookie) = bypass.and_then(|b| b.get("cookie")) {
        match cookie.get("set_path").and_then(Value::as_str) {
            Some(path) => kinds.push(format!("cookie link at {path}")),
            None => kinds.push("a cookie".to_string()),
        }
    }
    lines.push(format!("bypass: {}", kinds.join(", ")));
    lines.join("\n")
}

/// A line diff of two texts (`-` old, `+` new, ` ` kept), for `--dry-run`.
pub fn diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    // Longest common subsequence table; configurations are small.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_748_743_200; // 2025-06-01T02:00:00Z

    fn config(text: &str) -> Map<String, Value> {
        parse_object(text, "test").unwrap()
    }

    fn valid(config: &Map<String, Value>) {
        let text = serde_json::to_string(config).unwrap();
        if let Err(e) = maintenance_core::config::parse(text.as_bytes()) {
            panic!("the plugin rejects {text}: {e}");
        }
    }

    #[test]
    fn on_keeps_everything_else() {
        let mut c = config(
            r#"{"enabled": false, "reason": "old", "status": 503, "bypass": {"paths": ["/admin"]}}"#,
        );
        let (notes, link) = on(
            &mut c,
            &OnChange {
                reason: Some("new".into()),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
        assert!(notes.is_empty() && link.is_none());
        assert_eq!(
            Value::Object(c.clone()),
            json!({"enabled": true, "reason": "new", "status": 503, "bypass": {"paths": ["/admin"]}})
        );
        valid(&c);
        off(&mut c);
        assert_eq!(c["enabled"], json!(false));
        assert_eq!(c["reason"], json!("new"));
    }

    #[test]
    fn until_writes_a_window_and_drops_a_fixed_retry_after() {
        let mut c =
            config(r#"{"retry_after": 900, "recurring": [{"start": "01:00", "end": "02:00"}]}"#);
        let change = OnChange {
            end: Some(NOW + 7200),
            title: Some("Back soon".into()),
            ..Default::default()
        };
        let (notes, _) = on(&mut c, &change, NOW).unwrap();
        assert_eq!(c["windows"], json!([{"end": "2025-06-01T04:00:00Z"}]));
        assert!(c.get("retry_after").is_none() && c.get("recurring").is_none());
        assert_eq!(c["title"], json!("Back soon"));
        assert_eq!(notes.len(), 2, "{notes:?}");
        valid(&c);
        assert!(
            describe(&c, NOW).starts_with("maintenance: ON until 2025-06-01T04:00:00Z (2h left)")
        );
    }

    #[test]
    fn from_and_until_make_a_scheduled_window() {
        let mut c = Map::new();
        let change = OnChange {
            start: Some(NOW + 600),
            end: Some(NOW + 4200),
            ..Default::default()
        };
        on(&mut c, &change, NOW).unwrap();
        assert_eq!(
            c["windows"],
            json!([{"start": "2025-06-01T02:10:00Z", "end": "2025-06-01T03:10:00Z"}])
        );
        valid(&c);
        assert!(describe(&c, NOW)
            .starts_with("maintenance: SCHEDULED: on from 2025-06-01T02:10:00Z (in 10m)"));
        assert!(describe(&c, NOW + 5000).starts_with("maintenance: OFF: its windows are over"));
    }

    #[test]
    fn plain_on_removes_windows_so_maintenance_applies_now() {
        let mut c = config(r#"{"windows": [{"start": "2030-01-01T00:00:00Z"}]}"#);
        let (notes, _) = on(&mut c, &OnChange::default(), NOW).unwrap();
        assert!(c.get("windows").is_none());
        assert_eq!(notes.len(), 1);
        assert!(describe(&c, NOW).starts_with("maintenance: ON\n"));
    }

    #[test]
    fn scopes() {
        let mut c = config(r#"{"routes": [{"hosts": ["a.example.com"]}]}"#);
        on(
            &mut c,
            &OnChange {
                scope: Some(Scope::Keep),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
        assert_eq!(c["routes"], json!([{"hosts": ["a.example.com"]}]));
        let routes = vec![
            RouteArg::parse("shop.example.com/checkout").unwrap(),
            RouteArg::parse("/api").unwrap(),
            RouteArg::parse("*.example.com").unwrap(),
        ];
        on(
            &mut c,
            &OnChange {
                scope: Some(Scope::Routes(routes)),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            c["routes"],
            json!([
                {"hosts": ["shop.example.com"], "path_prefix": "/checkout"},
                {"path_prefix": "/api"},
                {"hosts": ["*.example.com"]}
            ])
        );
        valid(&c);
        on(
            &mut c,
            &OnChange {
                scope: Some(Scope::All),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
        assert!(c.get("routes").is_none());
        assert!(RouteArg::parse("").is_err());
    }

    #[test]
    fn link_adds_a_cookie_or_renews_its_digest() {
        let digest = "a".repeat(64);
        let mut c = Map::new();
        let change = OnChange {
            end: Some(NOW + 7200),
            link: Some(LinkChange {
                sha256: digest.clone(),
                insecure: false,
            }),
            ..Default::default()
        };
        let (_, link) = on(&mut c, &change, NOW).unwrap();
        assert_eq!(
            link,
            Some(Link {
                set_path: DEFAULT_LINK_PATH.into(),
                max_age: 7200
            })
        );
        assert_eq!(
            c["bypass"]["cookie"],
            json!({"name": DEFAULT_COOKIE, "sha256": digest, "set_path": DEFAULT_LINK_PATH, "max_age": 7200})
        );
        valid(&c);

        let mut c = config(
            r#"{"bypass": {"paths": ["/admin"], "cookie": {"name": "qa", "sha256": "00", "set_path": "/let-me-in"}}}"#,
        );
        let change = OnChange {
            link: Some(LinkChange {
                sha256: digest.clone(),
                insecure: true,
            }),
            ..Default::default()
        };
        let (notes, link) = on(&mut c, &change, NOW).unwrap();
        assert_eq!(link.unwrap().set_path, "/let-me-in");
        assert_eq!(
            c["bypass"],
            json!({"paths": ["/admin"], "cookie": {"name": "qa", "sha256": digest, "set_path": "/let-me-in",
                   "max_age": DEFAULT_LINK_MAX_AGE, "secure": false}})
        );
        assert_eq!(notes.len(), 1);
        valid(&c);
    }

    #[test]
    fn link_changes_only_the_cookie() {
        let bypass = json!({"paths": ["/healthz"], "cidrs": ["10.0.0.0/8"], "header": "x-via",
            "tokens": [{"header": "x-ops", "sha256": "b".repeat(64)}],
            "cookie": {"name": "qa", "sha256": "0".repeat(64), "set_path": "/qa", "secure": true}});
        let mut c = config(&json!({"enabled": false, "bypass": bypass}).to_string());
        let change = OnChange {
            link: Some(LinkChange {
                sha256: "c".repeat(64),
                insecure: false,
            }),
            ..Default::default()
        };
        on(&mut c, &change, NOW).unwrap();
        let mut expected = bypass.clone();
        expected["cookie"]["sha256"] = json!("c".repeat(64));
        expected["cookie"]["max_age"] = json!(DEFAULT_LINK_MAX_AGE);
        assert_eq!(c["bypass"], expected);

        // Bypass settings written as lists are not replaced by a new object.
        for odd in [
            r#"{"bypass": [["/admin"], [], null, [], null]}"#,
            r#"{"bypass": {"paths": ["/a"], "cookie": ["qa"]}}"#,
        ] {
            let mut c = config(odd);
            let before = c.clone();
            let err = on(&mut c, &change, NOW).unwrap_err();
            assert!(err.contains("is not a JSON object"), "{err}");
            assert_eq!(c, before);
        }
    }

    #[test]
    fn bad_documents() {
        assert_eq!(parse_object("  ", "x").unwrap(), Map::new());
        assert_eq!(
            parse_object("[1]", "the file").unwrap_err(),
            "the file is not a JSON object"
        );
        assert!(parse_object("{", "the file")
            .unwrap_err()
            .starts_with("the file is not JSON: "));
    }

    #[test]
    fn describe_counts_bypasses() {
        let c = config(
            r#"{"enabled": true, "reason": "r", "routes": [{}], "bypass": {"paths": ["/a"], "cidrs": ["10.0.0.0/8"],
                "cookie": {"name": "c", "sha256": "x"}}}"#,
        );
        assert_eq!(
            describe(&c, NOW),
            "maintenance: ON\nreason: r\nscope: 1 route(s)\nbypass: 1 path(s), 0 token(s), 1 network(s), a cookie"
        );
    }

    #[test]
    fn diff_marks_changed_lines() {
        assert_eq!(diff("a\nb\nc", "a\nB\nc\nd"), "  a\n- b\n+ B\n  c\n+ d\n");
    }
}
