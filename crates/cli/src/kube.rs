//! Kubernetes targets through `kubectl`: Istio `WasmPlugin` (`spec.pluginConfig`) and
//! `TrafficExtension` (`spec.wasm.pluginConfig`), Envoy Gateway `EnvoyExtensionPolicy`
//! (`spec.wasm[i].config`). Only the plugin configuration is changed, with a JSON patch that
//! first tests the resource version read, so a concurrent edit is not overwritten.

use std::process::Command;

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WasmPlugin,
    TrafficExtension,
    EnvoyExtensionPolicy,
}

impl Kind {
    /// A kind as typed on the command line: `wasmplugin`, `wasmplugins.extensions.istio.io`,
    /// `trafficextension`, `envoyextensionpolicy`, or the short `wp`, `te`, `eep`.
    pub fn from_arg(text: &str) -> Option<Kind> {
        let lower = text.to_ascii_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((name, group)) => (name.to_string(), Some(group.to_string())),
            None => (lower, None),
        };
        let kind = match name.as_str() {
            "wasmplugin" | "wasmplugins" | "wp" => Kind::WasmPlugin,
            "trafficextension" | "trafficextensions" | "te" => Kind::TrafficExtension,
            "envoyextensionpolicy" | "envoyextensionpolicies" | "eep" => Kind::EnvoyExtensionPolicy,
            _ => return None,
        };
        match group {
            Some(group) if group != kind.group() => None,
            _ => Some(kind),
        }
    }

    /// The `kind` field of a manifest.
    pub fn from_kind(kind: &str) -> Option<Kind> {
        match kind {
            "WasmPlugin" => Some(Kind::WasmPlugin),
            "TrafficExtension" => Some(Kind::TrafficExtension),
            "EnvoyExtensionPolicy" => Some(Kind::EnvoyExtensionPolicy),
            _ => None,
        }
    }

    fn group(self) -> &'static str {
        match self {
            Kind::WasmPlugin | Kind::TrafficExtension => "extensions.istio.io",
            Kind::EnvoyExtensionPolicy => "gateway.envoyproxy.io",
        }
    }

    /// The fully qualified resource name kubectl takes, unambiguous whatever else is installed.
    pub fn resource(self) -> String {
        let plural = match self {
            Kind::WasmPlugin => "wasmplugins",
            Kind::TrafficExtension => "trafficextensions",
            Kind::EnvoyExtensionPolicy => "envoyextensionpolicies",
        };
        format!("{plural}.{}", self.group())
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::WasmPlugin => "WasmPlugin",
            Kind::TrafficExtension => "TrafficExtension",
            Kind::EnvoyExtensionPolicy => "EnvoyExtensionPolicy",
        }
    }
}

/// Where the plugin configuration is in the resource, as a JSON pointer. `wasm_name` picks an
/// EnvoyExtensionPolicy's `spec.wasm[]` entry by name (needed only when it has several).
pub fn config_pointer(
    kind: Kind,
    object: &Value,
    wasm_name: Option<&str>,
) -> Result<String, String> {
    match kind {
        Kind::WasmPlugin => {
            object
                .pointer("/spec")
                .filter(|s| s.is_object())
                .ok_or("the WasmPlugin has no spec")?;
            Ok("/spec/pluginConfig".to_string())
        }
        Kind::TrafficExtension => {
            object
                .pointer("/spec/wasm")
                .filter(|s| s.is_object())
                .ok_or(
                    "the TrafficExtension has no spec.wasm (a Lua extension is not this plugin)",
                )?;
            Ok("/spec/wasm/pluginConfig".to_string())
        }
        Kind::EnvoyExtensionPolicy => {
            let entries = object
                .pointer("/spec/wasm")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or("the EnvoyExtensionPolicy has no spec.wasm entries")?;
            let names: Vec<&str> = entries
                .iter()
                .map(|e| e.get("name").and_then(Value::as_str).unwrap_or(""))
                .collect();
            let index = match wasm_name {
                Some(wanted) => names.iter().position(|n| *n == wanted).ok_or_else(|| {
                    format!("the EnvoyExtensionPolicy has no spec.wasm entry named {wanted:?} (it has {names:?})")
                })?,
                None if entries.len() == 1 => 0,
                None => {
                    return Err(format!(
                        "the EnvoyExtensionPolicy has {} spec.wasm entries ({names:?}): choose one with --wasm-name",
                        entries.len()
                    ))
                }
            };
            Ok(format!("/spec/wasm/{index}/config"))
        }
    }
}

/// The JSON patch replacing the plugin configuration, with `test` operations first (the
/// resource version, the wasm entry's name) so it fails rather than overwrite a concurrent change.
pub fn patch(object: &Value, pointer: &str, config: &Value) -> Value {
    let mut ops = Vec::new();
    if let Some(version) = object.pointer("/metadata/resourceVersion") {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": version}));
    }
    if let Some(entry) = pointer.strip_suffix("/config") {
        if let Some(name) = object.pointer(&format!("{entry}/name")) {
            ops.push(json!({"op": "test", "path": format!("{entry}/name"), "value": name}));
        }
    }
    ops.push(json!({"op": "add", "path": pointer, "value": config}));
    Value::Array(ops)
}

/// How kubectl is run: the program (`$KUBECTL`, else `kubectl`) and the flags passed through.
#[derive(Debug, Clone, Default)]
pub struct Kubectl {
    pub program: String,
    pub namespace: Option<String>,
    pub context: Option<String>,
    pub kubeconfig: Option<String>,
}

impl Kubectl {
    pub fn new(
        namespace: Option<String>,
        context: Option<String>,
        kubeconfig: Option<String>,
    ) -> Kubectl {
        Kubectl {
            program: std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".to_string()),
            namespace,
            context,
            kubeconfig,
        }
    }

    fn global(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(c) = &self.kubeconfig {
            args.extend(["--kubeconfig".to_string(), c.clone()]);
        }
        if let Some(c) = &self.context {
            args.extend(["--context".to_string(), c.clone()]);
        }
        if let Some(n) = &self.namespace {
            args.extend(["--namespace".to_string(), n.clone()]);
        }
        args
    }

    /// The command line, for messages and `--dry-run`.
    pub fn show(&self, args: &[String]) -> String {
        let mut words = vec![self.program.clone()];
        words.extend(self.global());
        words.extend(args.iter().cloned());
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn run(&self, args: &[String]) -> Result<String, String> {
        let mut all = self.global();
        all.extend(args.iter().cloned());
        let output = Command::new(&self.program)
            .args(&all)
            .output()
            .map_err(|e| {
                format!(
                    "cannot run {:?} ({e}); install kubectl or point $KUBECTL at it",
                    self.program
                )
            })?;
        if !output.status.success() {
            return Err(format!(
                "kubectl {}: {}",
                args.first().map_or("", String::as_str),
                essential_error(&String::from_utf8_lossy(&output.stderr))
            ));
        }
        String::from_utf8(output.stdout)
            .map_err(|_| "kubectl printed something that is not UTF-8".to_string())
    }

    /// `kubectl get RESOURCE NAME -o json`.
    pub fn get(&self, kind: Kind, name: &str) -> Result<Value, String> {
        let text = self.run(&[
            "get".into(),
            kind.resource(),
            name.into(),
            "-o".into(),
            "json".into(),
        ])?;
        serde_json::from_str(&text).map_err(|e| format!("kubectl get printed no JSON object: {e}"))
    }

    /// Applies a JSON patch to the resource in the cluster; kubectl's own message.
    pub fn patch(&self, kind: Kind, name: &str, patch: &Value) -> Result<String, String> {
        self.run(&Self::patch_args(kind, name, patch))
    }

    pub fn patch_args(kind: Kind, name: &str, patch: &Value) -> Vec<String> {
        vec![
            "patch".into(),
            kind.resource(),
            name.into(),
            "--type".into(),
            "json".into(),
            "-p".into(),
            patch.to_string(),
        ]
    }
}

/// The line of kubectl's error output that says what went wrong: its own message (the last
/// line that is not client-go's log), without its `error: ` prefix; else the last log line's
/// message. kubectl repeats connection failures as log lines before the one line that matters.
pub fn essential_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(line) = lines.iter().rev().find(|line| log_message(line).is_none()) {
        return line.strip_prefix("error: ").unwrap_or(line).to_string();
    }
    lines
        .last()
        .and_then(|line| log_message(line))
        .unwrap_or("kubectl failed without a message")
        .to_string()
}

/// The message of a client-go log line (`E1205 00:03:39.346601   14382 memcache.go:381] msg`).
fn log_message(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let header_ok = bytes.len() > 5
        && b"IWEF".contains(&bytes[0])
        && bytes[1..5].iter().all(u8::is_ascii_digit)
        && bytes[5] == b' ';
    if !header_ok {
        return None;
    }
    line.split_once("] ").map(|(_, message)| message)
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_the_command_line() {
        assert_eq!(Kind::from_arg("wasmplugin"), Some(Kind::WasmPlugin));
        assert_eq!(
            Kind::from_arg("WasmPlugins.extensions.istio.io"),
            Some(Kind::WasmPlugin)
        );
        assert_eq!(Kind::from_arg("te"), Some(Kind::TrafficExtension));
        assert_eq!(Kind::from_arg("eep"), Some(Kind::EnvoyExtensionPolicy));
        assert_eq!(
            Kind::from_arg("envoyextensionpolicies.gateway.envoyproxy.io"),
            Some(Kind::EnvoyExtensionPolicy)
        );
        assert_eq!(Kind::from_arg("wasmplugin.gateway.envoyproxy.io"), None);
        assert_eq!(Kind::from_arg("deployment"), None);
        assert_eq!(
            Kind::EnvoyExtensionPolicy.resource(),
            "envoyextensionpolicies.gateway.envoyproxy.io"
        );
    }

    #[test]
    fn config_pointers() {
        let wp = json!({"spec": {"url": "x"}});
        assert_eq!(
            config_pointer(Kind::WasmPlugin, &wp, None).unwrap(),
            "/spec/pluginConfig"
        );
        let te = json!({"spec": {"wasm": {"url": "x"}}});
        assert_eq!(
            config_pointer(Kind::TrafficExtension, &te, None).unwrap(),
            "/spec/wasm/pluginConfig"
        );
        assert!(
            config_pointer(Kind::TrafficExtension, &json!({"spec": {"lua": {}}}), None).is_err()
        );
        let one = json!({"spec": {"wasm": [{"name": "maintenance"}]}});
        assert_eq!(
            config_pointer(Kind::EnvoyExtensionPolicy, &one, None).unwrap(),
            "/spec/wasm/0/config"
        );
        let two = json!({"spec": {"wasm": [{"name": "a"}, {"name": "maintenance"}]}});
        let err = config_pointer(Kind::EnvoyExtensionPolicy, &two, None).unwrap_err();
        assert!(err.contains("--wasm-name"), "{err}");
        assert_eq!(
            config_pointer(Kind::EnvoyExtensionPolicy, &two, Some("maintenance")).unwrap(),
            "/spec/wasm/1/config"
        );
        assert!(config_pointer(Kind::EnvoyExtensionPolicy, &two, Some("b")).is_err());
    }

    #[test]
    fn patches_guard_against_concurrent_changes() {
        let object =
            json!({"metadata": {"resourceVersion": "42"}, "spec": {"wasm": [{"name": "m"}]}});
        let config = json!({"enabled": true});
        assert_eq!(
            patch(&object, "/spec/wasm/0/config", &config),
            json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "42"},
                {"op": "test", "path": "/spec/wasm/0/name", "value": "m"},
                {"op": "add", "path": "/spec/wasm/0/config", "value": {"enabled": true}}
            ])
        );
        assert_eq!(
            patch(&json!({"spec": {}}), "/spec/pluginConfig", &config),
            json!([{"op": "add", "path": "/spec/pluginConfig", "value": {"enabled": true}}])
        );
    }

    #[test]
    fn kubectl_errors_come_down_to_the_line_that_matters() {
        let refused = "E1205 00:03:39.346601   14382 memcache.go:381] \"Couldn't get current server API group list\" err=\"dial tcp\"\n\
            E1205 00:03:39.346890   14382 memcache.go:381] \"Couldn't get current server API group list\"\n\
            The connection to the server localhost:8080 was refused - did you specify the right host or port?\n";
        assert_eq!(
            essential_error(refused),
            "The connection to the server localhost:8080 was refused - did you specify the right host or port?"
        );
        assert_eq!(
            essential_error(
                "Error from server (NotFound): wasmplugins.extensions.istio.io \"x\" not found\n"
            ),
            "Error from server (NotFound): wasmplugins.extensions.istio.io \"x\" not found"
        );
        assert_eq!(
            essential_error("error: unable to parse \"[\"\n"),
            "unable to parse \"[\""
        );
        assert_eq!(
            essential_error("W0101 00:00:00.000000       1 loader.go:1] only a log line\n"),
            "only a log line"
        );
        assert_eq!(essential_error(""), "kubectl failed without a message");
    }

    #[test]
    fn quoting() {
        assert_eq!(
            shell_quote("wasmplugins.extensions.istio.io"),
            "wasmplugins.extensions.istio.io"
        );
        assert_eq!(shell_quote("it's $5"), "'it'\\''s $5'");
        assert_eq!(shell_quote(""), "''");
    }
}
