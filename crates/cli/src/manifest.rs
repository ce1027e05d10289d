//! A local manifest file (`-f`): the one plugin resource in it (WasmPlugin, TrafficExtension
//! or EnvoyExtensionPolicy; other documents may be there too and are kept), read without a
//! cluster or kubectl, and written back with only the plugin configuration's text changed.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::kube::{self, Kind};
use crate::yaml;

/// A plugin resource in a manifest file.
pub struct Manifest {
    pub path: PathBuf,
    text: String,
    documents: Vec<yaml::Node>,
    /// Which document is the plugin resource.
    index: usize,
    pub kind: Kind,
    pub object: Value,
    /// Where the plugin configuration is in `object` (a JSON pointer).
    pub pointer: String,
}

/// A manifest's text and documents, and which of them are plugin resources.
pub struct ManifestFile {
    pub path: PathBuf,
    text: String,
    documents: Vec<yaml::Node>,
}

impl ManifestFile {
    pub fn read(path: &Path) -> Result<ManifestFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{} does not exist", path.display()),
            std::io::ErrorKind::InvalidData => format!("{} is not UTF-8 text", path.display()),
            _ => format!("cannot read {}: {e}", path.display()),
        })?;
        let documents = yaml::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(ManifestFile {
            path: path.to_path_buf(),
            text,
            documents,
        })
    }

    /// `(index, kind, resource)` of each plugin resource, in file order.
    pub fn resources(&self) -> Vec<(usize, Kind, &Value)> {
        self.documents
            .iter()
            .enumerate()
            .filter_map(|(i, node)| {
                let kind = node.value.get("kind").and_then(Value::as_str)?;
                Some((i, Kind::from_kind(kind)?, &node.value))
            })
            .collect()
    }

    /// The one plugin resource, with its configuration's place (`wasm_name` picks an
    /// EnvoyExtensionPolicy's entry).
    pub fn only(self, wasm_name: Option<&str>) -> Result<Manifest, String> {
        let path = self.path.display().to_string();
        let resources = self.resources();
        let (index, kind, object) = match resources.as_slice() {
            [one] => (one.0, one.1, one.2.clone()),
            [] if self.text.trim().is_empty() => {
                return Err(format!(
                    "{path} is empty (a shell redirection to the file being read empties it \
                     first: use --in-place to change a file)"
                ))
            }
            [] => {
                return Err(format!(
                    "{path} holds no WasmPlugin, TrafficExtension or EnvoyExtensionPolicy"
                ))
            }
            several => {
                let names: Vec<String> = several.iter().map(|(_, k, o)| describe(*k, o)).collect();
                return Err(format!(
                    "{path} holds {} plugin resources ({}): give a file with one",
                    several.len(),
                    names.join(", ")
                ));
            }
        };
        let pointer = kube::config_pointer(kind, &object, wasm_name)?;
        Ok(Manifest {
            path: self.path,
            text: self.text,
            documents: self.documents,
            index,
            kind,
            object,
            pointer,
        })
    }
}

/// `WasmPlugin istio-system/maintenance-mode`.
pub fn describe(kind: Kind, object: &Value) -> String {
    let name = |key: &str| {
        object
            .pointer(&format!("/metadata/{key}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match name("namespace").as_str() {
        "" => format!("{} {}", kind.label(), name("name")),
        namespace => format!("{} {namespace}/{}", kind.label(), name("name")),
    }
}

impl Manifest {
    /// The resource with `config` as its plugin configuration.
    pub fn with_config(&self, config: &Value) -> Result<Value, String> {
        let mut object = self.object.clone();
        let (parent, key) = self
            .pointer
            .rsplit_once('/')
            .ok_or("the plugin configuration has no place")?;
        let holder = object
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{parent} is not an object"))?;
        holder.insert(key.to_string(), config.clone());
        Ok(object)
    }

    /// The manifest's text with the resource changed to `object`: only the plugin
    /// configuration's text differs.
    pub fn text_with(&self, object: &Value) -> Result<String, String> {
        yaml::edit(
            &self.text,
            &self.documents,
            self.index,
            object,
            &self.pointer,
        )
        .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// The manifest with the resource changed to `object` as JSON: the resource, or a kubectl
    /// `List` of every document when the file holds several.
    pub fn json_with(&self, object: &Value) -> String {
        let documents: Vec<Value> = self
            .documents
            .iter()
            .enumerate()
            .filter(|(_, node)| !node.value.is_null())
            .map(|(i, node)| {
                if i == self.index {
                    object.clone()
                } else {
                    node.value.clone()
                }
            })
            .collect();
        let value = match <[Value; 1]>::try_from(documents) {
            Ok([one]) => one,
            Err(items) => {
                serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})
            }
        };
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(text: &str) -> ManifestFile {
        ManifestFile {
            path: PathBuf::from("m.yaml"),
            text: text.to_string(),
            documents: yaml::parse(text).unwrap(),
        }
    }

    const TWO: &str = "kind: ConfigMap\nmetadata: {name: c}\n---\n# the plugin\nkind: WasmPlugin\nmetadata: {name: m, namespace: ns}\nspec:\n  url: oci://x\n";

    #[test]
    fn finds_the_one_plugin_resource_among_other_documents() {
        let manifest = file(TWO).only(None).unwrap();
        assert_eq!(manifest.kind, Kind::WasmPlugin);
        assert_eq!(manifest.pointer, "/spec/pluginConfig");
        let object = manifest.with_config(&json!({"enabled": true})).unwrap();
        assert_eq!(
            manifest.text_with(&object).unwrap(),
            format!("{TWO}  pluginConfig:\n    enabled: true\n")
        );
        let list: Value = serde_json::from_str(&manifest.json_with(&object)).unwrap();
        assert_eq!(list["kind"], "List");
        assert_eq!(
            list["items"][1]["spec"]["pluginConfig"],
            json!({"enabled": true})
        );
        assert_eq!(describe(Kind::WasmPlugin, &object), "WasmPlugin ns/m");
    }

    #[test]
    fn says_why_there_is_nothing_to_change() {
        let err = |text: &str| file(text).only(None).err().unwrap();
        assert!(err("").contains("is empty"));
        assert!(err("kind: ConfigMap\n").contains("holds no WasmPlugin"));
        assert!(
            err("kind: WasmPlugin\nspec: {}\n---\nkind: TrafficExtension\nspec: {wasm: {}}\n")
                .contains("holds 2 plugin resources (WasmPlugin , TrafficExtension )")
        );
        assert!(err("kind: WasmPlugin\n").contains("has no spec"));
    }
}
