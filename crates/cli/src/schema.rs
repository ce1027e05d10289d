//! The strict schemas of the resources that carry the plugin (istio/wasmplugin.schema.json,
//! istio/trafficextension.schema.json, gateway/envoyextensionpolicy.schema.json, the ones
//! `make manifests-check` uses through istio/check.py), built into the binary: an unknown or
//! misspelt field is an error here, where the API server would silently drop it.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::kube::Kind;

fn schema_text(kind: Kind) -> &'static str {
    match kind {
        Kind::WasmPlugin => include_str!("../../../istio/wasmplugin.schema.json"),
        Kind::TrafficExtension => include_str!("../../../istio/trafficextension.schema.json"),
        Kind::EnvoyExtensionPolicy => {
            include_str!("../../../gateway/envoyextensionpolicy.schema.json")
        }
    }
}

/// The URL schemes Istio fetches a module with (none: a path, as Istio accepts).
const URL_SCHEMES: &[&str] = &["", "oci", "https", "http", "file"];

/// Everything wrong with `document` (a resource of `kind`), each as `where: what`, by place.
/// `config_parent` is where the plugin configuration sits (`spec` for a WasmPlugin), so that a
/// plugin setting written beside it instead of inside it gets a hint.
pub fn problems(kind: Kind, document: &Value, config_parents: &[String]) -> Vec<String> {
    let schema: Value = match serde_json::from_str(schema_text(kind)) {
        Ok(schema) => schema,
        Err(e) => return vec![format!("the built-in {} schema: {e}", kind.label())],
    };
    let validator = match jsonschema::draft202012::new(&schema) {
        Ok(validator) => validator,
        Err(e) => return vec![format!("the built-in {} schema: {e}", kind.label())],
    };
    let mut found: Vec<(String, String)> = Vec::new();
    for error in validator.iter_errors(document) {
        let place: Vec<String> = error
            .instance_path()
            .into_iter()
            .map(|segment| segment.to_string())
            .collect();
        let dotted = place.join(".");
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for field in unexpected {
                    let at = if dotted.is_empty() {
                        field.clone()
                    } else {
                        format!("{dotted}.{field}")
                    };
                    let hint = match config_parents.iter().find(|p| **p == dotted) {
                        Some(parent) => {
                            let config = if kind == Kind::EnvoyExtensionPolicy {
                                "config"
                            } else {
                                "pluginConfig"
                            };
                            format!(" (a plugin setting belongs inside {parent}.{config})")
                        }
                        None => String::new(),
                    };
                    found.push((
                        at,
                        format!(
                            "unknown field: {} has no such field, and the API server would drop it{hint}",
                            kind.label()
                        ),
                    ));
                }
            }
            _ => found.push((
                if dotted.is_empty() {
                    "(document)".to_string()
                } else {
                    dotted
                },
                error.to_string(),
            )),
        }
    }
    let url = match kind {
        Kind::WasmPlugin => document.pointer("/spec/url"),
        Kind::TrafficExtension => document.pointer("/spec/wasm/url"),
        Kind::EnvoyExtensionPolicy => None,
    };
    if let Some(url) = url.and_then(Value::as_str) {
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        if !URL_SCHEMES.contains(&scheme) {
            let at = if kind == Kind::WasmPlugin {
                "spec.url"
            } else {
                "spec.wasm.url"
            };
            found.push((
                at.to_string(),
                format!("scheme {scheme:?} is not one of oci, https, http, file"),
            ));
        }
    }
    found.sort();
    found
        .into_iter()
        .map(|(at, what)| format!("{at}: {what}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wasm_plugin(spec: Value) -> Value {
        json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
               "metadata": {"name": "maintenance-mode", "namespace": "istio-system"}, "spec": spec})
    }

    #[test]
    fn every_built_in_schema_compiles_and_accepts_a_minimal_resource() {
        let good = [
            (
                Kind::WasmPlugin,
                wasm_plugin(json!({"url": "oci://x", "pluginConfig": {"a": 1}})),
            ),
            (
                Kind::TrafficExtension,
                json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "TrafficExtension",
                       "metadata": {"name": "m"}, "spec": {"wasm": {"url": "oci://x"}}}),
            ),
            (
                Kind::EnvoyExtensionPolicy,
                json!({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyExtensionPolicy",
                       "metadata": {"name": "m"},
                       "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"}],
                                "wasm": [{"name": "m", "code": {"type": "Image", "image": {"url": "x"}}}]}}),
            ),
        ];
        for (kind, document) in good {
            assert_eq!(
                problems(kind, &document, &[]),
                Vec::<String>::new(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_setting_beside_the_configuration_is_named_with_a_hint() {
        let document = wasm_plugin(json!({"url": "ftp://x", "bypass": {"paths": ["/a"]},
                                          "phase": "EARLY"}));
        let found = problems(Kind::WasmPlugin, &document, &["spec".to_string()]);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(
            found[0],
            "spec.bypass: unknown field: WasmPlugin has no such field, and the API server would drop it \
             (a plugin setting belongs inside spec.pluginConfig)"
        );
        assert!(found[1].starts_with("spec.phase: "), "{found:?}");
        assert_eq!(
            found[2],
            "spec.url: scheme \"ftp\" is not one of oci, https, http, file"
        );
    }
}
