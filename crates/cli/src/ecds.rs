//! A plain Envoy's ECDS resource file (see envoy/envoy.yaml.tmpl): a discovery response with one
//! `TypedExtensionConfig` whose filter, the wasm (`config.configuration`) or the native module
//! (`filter_config`), carries the plugin configuration as a JSON string in a
//! `google.protobuf.StringValue`. Envoy watches the file's directory and applies a new file when
//! one is renamed over it.
//!
//! Concurrent updates: a command that changes the file holds an exclusive lock on a sidecar
//! file (`.NAME.lock` beside it, `flock`) from reading the file until Envoy has applied the new
//! one, so two commands run one after the other and each changes the file the other wrote.
//! Before renaming, it also checks that the file is still the one it read (a writer that does
//! not take the lock), and gives up with an error rather than overwrite that change.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::admin::{self, Updates};
use crate::args::Build;
use crate::files;
use crate::secret;

const STRING_VALUE_TYPE: &str = "type.googleapis.com/google.protobuf.StringValue";
const MODULE_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter";
const WASM_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
/// The filter's name, root id and VM id, and the ECDS resource's name (Envoy names its ECDS
/// stats after it), as envoy/envoy.yaml.tmpl declares it.
const FILTER_NAME: &str = "maintenance-mode";
/// How long to wait for Envoy to report the update.
const WAIT: Duration = Duration::from_secs(10);
/// How long to wait for another command's lock: longer than its wait for Envoy.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The resource file, read.
pub struct EcdsFile {
    pub path: PathBuf,
    /// The text read, to tell whether the file changed before it is replaced (`None`: there
    /// was no file).
    text: Option<String>,
    document: Value,
}

/// The exclusive lock on an ECDS file's sidecar lock file, released when dropped.
pub struct Lock {
    _file: fs::File,
}

/// Takes the lock of the ECDS file at `path`, waiting up to [`LOCK_WAIT`] for another command
/// to finish. The lock file stays (removing it would let two commands lock different files).
pub fn lock(path: &Path) -> Result<Lock, String> {
    let lock_path = files::sidecar(path, "lock");
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .or_else(|_| fs::File::open(&lock_path))
        .map_err(|e| format!("cannot open the lock file {}: {e}", lock_path.display()))?;
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "another command has been changing {} for {} s (it holds {}); nothing \
                     written: run this again once it is done",
                    path.display(),
                    LOCK_WAIT.as_secs(),
                    lock_path.display()
                ))
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()))
            }
        }
    }
}

impl EcdsFile {
    /// A new file at `path`, without a plugin configuration yet, Envoy loading `build`; what
    /// is there now (if anything) is only read to tell whether it changes before it is replaced.
    pub fn new(path: &Path, build: &Build) -> Result<EcdsFile, String> {
        let text = match fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let typed_config = match build {
            Build::Wasm(wasm) => json!({
                "@type": WASM_TYPE,
                "config": {
                    "name": FILTER_NAME,
                    "root_id": FILTER_NAME,
                    "vm_config": {
                        "vm_id": FILTER_NAME,
                        "runtime": "envoy.wasm.runtime.v8",
                        "code": {"local": {"filename": wasm}},
                    },
                },
            }),
            Build::Module(module) => json!({
                "@type": MODULE_TYPE,
                "dynamic_module_config": {"module": {"local": {"filename": module}}},
                "filter_name": FILTER_NAME,
            }),
        };
        let document = json!({
            "version_info": "",
            "resources": [{
                "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
                "name": FILTER_NAME,
                "typed_config": typed_config,
            }],
        });
        Ok(EcdsFile {
            path: path.to_path_buf(),
            text,
            document,
        })
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
            text: Some(text),
            document,
        };
        if file.filter().is_none() || file.document.pointer(file.holder().0).is_none() {
            return Err(format!(
                "{} is not an ECDS resource file with the plugin's filter \
                 (resources[0].typed_config: a Wasm filter's config, or a dynamic module filter)",
                path.display()
            ));
        }
        Ok(file)
    }

    /// Where the plugin configuration's StringValue is: the object holding it and its key.
    fn holder(&self) -> (&'static str, &'static str) {
        let module = self
            .document
            .pointer("/resources/0/typed_config/@type")
            .and_then(Value::as_str)
            == Some(MODULE_TYPE);
        match module {
            true => ("/resources/0/typed_config", "filter_config"),
            false => ("/resources/0/typed_config/config", "configuration"),
        }
    }

    /// The filter's name (`resources[0].name`): Envoy names its ECDS stats after it.
    pub fn filter(&self) -> Option<&str> {
        self.document.pointer("/resources/0/name")?.as_str()
    }

    /// The plugin configuration text ("" when there is none).
    pub fn config_text(&self) -> &str {
        let (holder, key) = self.holder();
        self.document
            .pointer(holder)
            .and_then(|holder| holder.get(key)?.get("value")?.as_str())
            .unwrap_or("")
    }

    /// The file's text with another plugin configuration (and version).
    pub fn with_config(&self, config_text: &str) -> String {
        let (holder, key) = self.holder();
        let mut document = self.document.clone();
        if let Some(holder) = document.pointer_mut(holder).and_then(Value::as_object_mut) {
            holder.insert(
                key.into(),
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

impl EcdsFile {
    /// Replaces the file with `text` unless it changed since it was read.
    pub fn replace(&self, text: &str) -> Result<(), String> {
        let now = match fs::read_to_string(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            read => read.map(Some),
        };
        match now {
            Ok(now) if now == self.text => write_atomically(&self.path, text),
            Ok(_) => Err(format!(
                "{} changed while this command ran (another writer, not through \
                 kubectl-maintenance); nothing written: run this again",
                self.path.display()
            )),
            Err(e) => Err(format!("cannot read {} again: {e}", self.path.display())),
        }
    }
}

/// Shown by Envoy as `extension_config_discovery.http_filter.<name>.version_text`.
pub fn version_of(config_text: &str) -> String {
    let digest = secret::digest(config_text);
    format!("sha256:{}", &digest[..16])
}

/// Writes `text` so that readers see the old file or the new one, never a part (the rename is
/// what Envoy's `watched_directory` reacts to).
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    // Envoy may run as another user (Docker): readable by all.
    files::replace(path, text, 0o644)
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

    #[test]
    fn a_new_file_loads_the_build_and_replaces_only_what_was_there() {
        let dir = tempdir("new");
        let path = dir.join("maintenance-mode.json");
        let wasm = EcdsFile::new(&path, &Build::Wasm("/etc/envoy/m.wasm".into())).unwrap();
        assert_eq!(wasm.config_text(), "");
        wasm.replace(&wasm.with_config("{\"enabled\": true}"))
            .unwrap();
        let written = EcdsFile::read(&path).unwrap();
        assert_eq!(written.filter(), Some("maintenance-mode"));
        assert_eq!(written.config_text(), "{\"enabled\": true}");
        let config = &written.document["resources"][0]["typed_config"]["config"];
        assert_eq!(
            config["vm_config"]["code"]["local"]["filename"],
            json!("/etc/envoy/m.wasm")
        );
        assert_eq!(config["root_id"], json!("maintenance-mode"));
        // The module's filter, over the file that is there now.
        let module = EcdsFile::new(&path, &Build::Module("/m.so".into())).unwrap();
        module.replace(&module.with_config("{}")).unwrap();
        let written = EcdsFile::read(&path).unwrap();
        assert_eq!(written.config_text(), "{}");
        let typed = &written.document["resources"][0]["typed_config"];
        assert_eq!(typed["@type"], json!(MODULE_TYPE));
        assert_eq!(typed["filter_name"], json!("maintenance-mode"));
        // Another writer between reading and replacing: nothing written.
        let late = EcdsFile::new(&path, &Build::Wasm("/w.wasm".into())).unwrap();
        fs::write(&path, "changed").unwrap();
        let refused = late.replace(&late.with_config("{}")).unwrap_err();
        assert!(
            refused.contains("changed while this command ran"),
            "{refused}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "changed");
        // A file made meanwhile where there was none: refused too.
        let gone = dir.join("other.json");
        let fresh = EcdsFile::new(&gone, &Build::Wasm("/w.wasm".into())).unwrap();
        fs::write(&gone, "theirs").unwrap();
        assert!(fresh.replace("{}").is_err());
        fs::remove_dir_all(&dir).unwrap();
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
    fn a_native_module_file_keeps_everything_but_its_filter_config() {
        let dir = tempdir("module");
        let path = dir.join("maintenance-mode.json");
        let module = json!({"local": {"filename": "/etc/envoy/libmaintenance_mode_module.so"}});
        let doc = json!({
            "version_info": "1",
            "resources": [{
                "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
                "name": "maintenance-mode",
                "typed_config": {
                    "@type": MODULE_TYPE,
                    "dynamic_module_config": {"module": module},
                    "filter_name": "maintenance-mode",
                    "filter_config": {"@type": STRING_VALUE_TYPE, "value": "{\"enabled\": false}"}
                }
            }]
        });
        fs::write(&path, doc.to_string()).unwrap();
        let file = EcdsFile::read(&path).unwrap();
        assert_eq!(file.config_text(), "{\"enabled\": false}");
        write_atomically(&path, &file.with_config("{\"enabled\": true}")).unwrap();
        let again = EcdsFile::read(&path).unwrap();
        assert_eq!(again.config_text(), "{\"enabled\": true}");
        let typed = &again.document["resources"][0]["typed_config"];
        assert_eq!(typed["dynamic_module_config"]["module"], module);
        assert_eq!(typed["filter_name"], "maintenance-mode");
        assert!(
            typed.get("config").is_none(),
            "no wasm config added: {typed}"
        );
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
    fn locked_updates_never_lose_a_change() {
        let dir = tempdir("lock");
        let path = sample(&dir);
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let _lock = lock(&path).unwrap();
                    let file = EcdsFile::read(&path).unwrap();
                    let mut config: Value = serde_json::from_str(file.config_text()).unwrap();
                    std::thread::sleep(Duration::from_millis(5));
                    config[format!("k{i}")] = json!(i);
                    file.replace(&file.with_config(&config.to_string()))
                        .unwrap();
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let config: Value =
            serde_json::from_str(EcdsFile::read(&path).unwrap().config_text()).unwrap();
        for i in 0..8 {
            assert_eq!(config[format!("k{i}")], json!(i), "{config}");
        }
        assert!(dir.join(".maintenance-mode.json.lock").is_file());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_change_made_without_the_lock_is_not_overwritten() {
        let dir = tempdir("cas");
        let path = sample(&dir);
        let file = EcdsFile::read(&path).unwrap();
        let theirs = file.with_config("{\"enabled\": true, \"reason\": \"theirs\"}");
        write_atomically(&path, &theirs).unwrap();
        let err = file.replace(&file.with_config("{}")).unwrap_err();
        assert!(err.contains("changed while this command ran"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), theirs);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn version_is_a_short_digest() {
        assert_eq!(version_of("abc"), "sha256:ba7816bf8f01cfea");
    }
}
