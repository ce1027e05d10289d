//! A plain Envoy's ECDS resource file (see envoy/envoy.yaml.tmpl): a discovery response with one
//! `TypedExtensionConfig` whose Wasm filter carries the plugin configuration as a JSON string in
//! a `google.protobuf.StringValue`. Envoy watches the file's directory and applies a new file
//! when one is renamed over it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::admin::{self, Updates};
use crate::secret;

const STRING_VALUE_TYPE: &str = "type.googleapis.com/google.protobuf.StringValue";
/// The filter's name, root id and VM id; also the ECDS resource's name (Envoy names its ECDS
/// stats after it), as envoy/envoy.yaml.tmpl declares it.
const FILTER_NAME: &str = "maintenance-mode";
/// How long to wait for Envoy to report the update.
const WAIT: Duration = Duration::from_secs(10);

/// The resource file, read.
pub struct EcdsFile {
    pub path: PathBuf,
    document: Value,
}

impl EcdsFile {
    /// A new file at `path` (nothing read from it), without a plugin configuration yet: Envoy
    /// loads the plugin from `wasm`, in its V8 runtime.
    pub fn new(path: &Path, wasm: &str) -> EcdsFile {
        let document = json!({
            "version_info": "",
            "resources": [{
                "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
                "name": FILTER_NAME,
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                    "config": {
                        "name": FILTER_NAME,
                        "root_id": FILTER_NAME,
                        "vm_config": {
                            "vm_id": FILTER_NAME,
                            "runtime": "envoy.wasm.runtime.v8",
                            "code": {"local": {"filename": wasm}},
                        },
                    },
                },
            }],
        });
        EcdsFile {
            path: path.to_path_buf(),
            document,
        }
    }

    pub fn read(path: &Path) -> Result<EcdsFile, String> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "{} does not exist (is Envoy running with it, e.g. `make run`? or give --ecds \
                     FILE; `apply --ecds FILE --wasm PATH CONFIG.json` makes one)",
                    path.display()
                ))
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let document: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let file = EcdsFile {
            path: path.to_path_buf(),
            document,
        };
        if file.filter().is_none() || file.wasm_config().is_none() {
            return Err(format!(
                "{} is not an ECDS resource file with a Wasm filter (resources[0].typed_config.config)",
                path.display()
            ));
        }
        Ok(file)
    }

    fn wasm_config(&self) -> Option<&serde_json::Map<String, Value>> {
        self.document
            .pointer("/resources/0/typed_config/config")?
            .as_object()
    }

    /// The filter's name (`resources[0].name`): Envoy names its ECDS stats after it.
    pub fn filter(&self) -> Option<&str> {
        self.document.pointer("/resources/0/name")?.as_str()
    }

    /// The plugin configuration text ("" when there is none).
    pub fn config_text(&self) -> &str {
        self.document
            .pointer("/resources/0/typed_config/config/configuration/value")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The file's text with another plugin configuration (and version).
    pub fn with_config(&self, config_text: &str) -> String {
        let mut document = self.document.clone();
        if let Some(config) = document
            .pointer_mut("/resources/0/typed_config/config")
            .and_then(Value::as_object_mut)
        {
            config.insert(
                "configuration".into(),
                json!({"@type": STRING_VALUE_TYPE, "value": config_text}),
            );
        }
        if let Some(top) = document.as_object_mut() {
            top.insert("version_info".into(), json!(version_of(config_text)));
        }
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Shown by Envoy as `extension_config_discovery.http_filter.<name>.version_text`.
pub fn version_of(config_text: &str) -> String {
    let digest = secret::digest(config_text);
    format!("sha256:{}", &digest[..16])
}

/// Writes `text` so that readers see the old file or the new one, never a part: a temporary
/// file in the same directory, flushed, then renamed over `path` (the rename is what Envoy's
/// `watched_directory` reacts to).
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        fs::create_dir_all(&dir)?;
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        // Envoy may run as another user (Docker): readable by all.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644))?;
        }
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// What Envoy did with the file written after `before` was read.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Rejected,
    Unknown,
}

pub fn wait_for_update(address: &str, filter: &str, before: Updates) -> Outcome {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(now) = admin::updates(address, filter) {
            if now.rejected > before.rejected {
                return Outcome::Rejected;
            }
            if now.applied > before.applied {
                return Outcome::Applied;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Outcome::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join("maintenance-mode.json");
        let doc = json!({
            "version_info": "1",
            "resources": [{
                "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
                "name": "maintenance-mode",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                    "config": {"name": "maintenance-mode", "root_id": "maintenance-mode",
                               "vm_config": {"runtime": "envoy.wasm.runtime.v8"},
                               "configuration": {"@type": STRING_VALUE_TYPE, "value": "{\"enabled\": false}"}}
                }
            }]
        });
        fs::write(&path, doc.to_string()).unwrap();
        path
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kubectl-maintenance-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_and_rewrites_only_the_configuration_and_version() {
        let dir = tempdir("rewrite");
        let path = sample(&dir);
        let file = EcdsFile::read(&path).unwrap();
        assert_eq!(file.filter(), Some("maintenance-mode"));
        assert_eq!(file.config_text(), "{\"enabled\": false}");
        let text = file.with_config("{\"enabled\": true}");
        write_atomically(&path, &text).unwrap();
        let again = EcdsFile::read(&path).unwrap();
        assert_eq!(again.config_text(), "{\"enabled\": true}");
        assert_eq!(
            again.document["version_info"],
            json!(version_of("{\"enabled\": true}"))
        );
        assert_eq!(
            again.document["resources"][0]["typed_config"]["config"]["vm_config"],
            json!({"runtime": "envoy.wasm.runtime.v8"})
        );
        // no temporary file left, readable by others
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clear_errors_for_missing_and_foreign_files() {
        let dir = tempdir("errors");
        let missing = EcdsFile::read(&dir.join("nope.json")).err().unwrap();
        assert!(missing.contains("does not exist"), "{missing}");
        fs::write(dir.join("other.json"), "{\"resources\": []}").unwrap();
        let foreign = EcdsFile::read(&dir.join("other.json")).err().unwrap();
        assert!(
            foreign.contains("is not an ECDS resource file"),
            "{foreign}"
        );
        fs::write(dir.join("broken.json"), "{").unwrap();
        assert!(EcdsFile::read(&dir.join("broken.json"))
            .err()
            .unwrap()
            .contains("is not JSON"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_new_file_loads_the_given_wasm_and_gets_the_configuration() {
        let dir = tempdir("new");
        let path = dir.join("ecds").join("maintenance-mode.json");
        let file = EcdsFile::new(&path, "/etc/envoy/maintenance_mode.wasm");
        assert_eq!(file.config_text(), "");
        write_atomically(&path, &file.with_config("{\"enabled\": true}")).unwrap();
        let written = EcdsFile::read(&path).unwrap();
        assert_eq!(written.filter(), Some("maintenance-mode"));
        assert_eq!(written.config_text(), "{\"enabled\": true}");
        let config = &written.document["resources"][0]["typed_config"]["config"];
        assert_eq!(
            config["vm_config"]["code"]["local"]["filename"],
            json!("/etc/envoy/maintenance_mode.wasm")
        );
        assert_eq!(config["root_id"], json!("maintenance-mode"));
        assert_eq!(
            config["configuration"]["@type"],
            json!("type.googleapis.com/google.protobuf.StringValue")
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn version_is_a_short_digest() {
        assert_eq!(version_of("abc"), "sha256:ba7816bf8f01cfea");
    }
}
