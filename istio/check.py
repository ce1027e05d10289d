#!/usr/bin/env python3
"""Checks the manifests that install the maintenance-mode plugin before they reach a cluster.

Kinds: Istio `WasmPlugin` and `TrafficExtension` (extensions.istio.io/v1alpha1), Envoy
Gateway `EnvoyExtensionPolicy` and `EnvoyProxy` (gateway.envoyproxy.io/v1alpha1; the latter for
its `dynamicModules` registry). For every such document in the given YAML files:

1. the resource against its strict schema (istio/wasmplugin.schema.json,
   istio/trafficextension.schema.json, gateway/envoyextensionpolicy.schema.json,
   gateway/envoyproxy.schema.json): an unknown or misspelt field is an error, where the API
   server would silently drop it;
2. for Istio, the `url` scheme (oci, https, http, file, or none, as Istio accepts); for an
   EnvoyProxy, unique module names; for an EnvoyExtensionPolicy's `dynamicModule[].name`, a
   module some EnvoyProxy in the same files registers (when the files hold one);
3. each plugin configuration (`pluginConfig`, each `wasm[].config`, each
   `dynamicModule[].config`), converted to the JSON text the gateway receives (protobuf JSON of
   the Struct for Istio, the stored JSON for Envoy Gateway; both sent to the proxy in a
   google.protobuf.StringValue), loaded by the real plugin (the wasm, or the native module for
   a dynamic module) in `envoy --mode validate`: the same check every gateway makes, so a
   configuration that passes here is one the gateways accept.

Usage: python -m istio.check [--envoy ENVOY] [--wasm WASM] [--module MODULE] FILE.yaml...
(from the repository root; `make manifests-check`)
Needs PyYAML and jsonschema (both in the project's .venv).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import yaml

from envoylib.paths import DEFAULT_MODULE, DEFAULT_WASM, VENV_ENVOY
from envoylib.plugin import MODULE, WASM, Plugin
from envoylib.process import validate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
URL_SCHEMES = ("", "oci", "https", "http", "file")


def _schema(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# pluginConfig → the StringValue istiod sends
# ---------------------------------------------------------------------------


def _number(value: float) -> str:
    """A protobuf `number_value` (a double) the way Go's protojson writes it: like
    encoding/json, plain decimal between 1e-6 and 1e21, exponent outside."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value} is not representable in JSON")
    if value == 0:
        return "0"
    if 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = repr(value).split("e")
    return f"{mantissa}e{'-' if exponent.startswith('-') else '+'}{exponent.lstrip('+-').lstrip('0') or '0'}"


def _to_json(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(float(value))  # a Struct holds every number as a double
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_to_json(v) for v in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"key {key!r} is not a string")
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_to_json(value[k])}" for k in sorted(value)) + "}"
    raise ValueError(f"{value!r} ({type(value).__name__}) has no JSON form")


def plugin_config_string(plugin_config: dict | None) -> str:
    """The plugin configuration text a gateway receives for this `pluginConfig`: compact JSON
    with sorted keys and numbers as doubles (protojson of a google.protobuf.Struct); an absent
    or empty pluginConfig sends no configuration at all (the plugin's default: off)."""
    if not plugin_config:
        return ""
    return _to_json(plugin_config)


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------


# A plugin configuration in a manifest: (where, value, is a protobuf Struct, the plugin build
# that loads it).
Config = tuple[str, "dict | None", bool, str]


def _wasm_plugin_configs(spec: dict) -> list[Config]:
    return [("spec.pluginConfig", spec.get("pluginConfig"), True, WASM)]


def _traffic_extension_configs(spec: dict) -> list[Config]:
    return [("spec.wasm.pluginConfig", (spec.get("wasm") or {}).get("pluginConfig"), True, WASM)]


def _extension_policy_configs(spec: dict) -> list[Config]:
    wasm = [(f"spec.wasm.{i}.config", w.get("config"), False, WASM) for i, w in enumerate(spec.get("wasm") or [])]
    modules = spec.get("dynamicModule") or []
    return wasm + [(f"spec.dynamicModule.{i}.config", m.get("config"), False, MODULE) for i, m in enumerate(modules)]


def _no_configs(spec: dict) -> list[Config]:
    return []


# kind -> (schema, where the Istio `url` is (None: no scheme rule), the plugin configurations)
KINDS = {
    "WasmPlugin": (_schema(HERE / "wasmplugin.schema.json"), ("url",), _wasm_plugin_configs),
    "TrafficExtension": (_schema(HERE / "trafficextension.schema.json"), ("wasm", "url"), _traffic_extension_configs),
    "EnvoyExtensionPolicy": (
        _schema(REPO / "gateway/envoyextensionpolicy.schema.json"),
        None,
        _extension_policy_configs,
    ),
    "EnvoyProxy": (_schema(REPO / "gateway/envoyproxy.schema.json"), None, _no_configs),
}


def config_string(config, struct: bool) -> str:
    """The text the plugin receives for a manifest's configuration. Istio (`struct`): protojson
    of the Struct, nothing for an absent or empty one. Envoy Gateway: the JSON the API server
    stored (Go's encoding/json: compact, sorted keys, the same number forms), nothing when absent."""
    return plugin_config_string(config) if struct else ("" if config is None else _to_json(config))


def _kind(doc):
    return KINDS.get(doc.get("kind")) if isinstance(doc, dict) else None


def schema_problems(doc) -> list[str]:
    schema, url_path, _ = _kind(doc) or KINDS["WasmPlugin"]
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        where = ".".join(str(p) for p in error.absolute_path) or "(document)"
        problems.append(f"{where}: {error.message}")
    url = doc.get("spec") if isinstance(doc, dict) else None
    for key in url_path or ():
        url = url.get(key) if isinstance(url, dict) else None
    if url_path and isinstance(url, str) and url:
        scheme = urlsplit(url).scheme if "://" in url else ""
        if scheme not in URL_SCHEMES:
            problems.append(f"spec.{'.'.join(url_path)}: scheme {scheme!r} is not one of oci, https, http, file")
    if not problems and doc.get("kind") == "EnvoyProxy":
        names = [entry["name"] for entry in doc["spec"]["dynamicModules"]]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"spec.dynamicModules: {name!r} is registered twice (the list is keyed by name)")
    return problems


def registered_modules(docs: list) -> set[str] | None:
    """The module names the EnvoyProxy documents among `docs` register; None when there is none."""
    proxies = [d for d in docs if isinstance(d, dict) and d.get("kind") == "EnvoyProxy"]
    if not proxies:
        return None
    return {entry.get("name") for d in proxies for entry in (d.get("spec") or {}).get("dynamicModules") or []}


def registration_problems(doc, registered: set[str] | None) -> list[str]:
    """An EnvoyExtensionPolicy's dynamic modules that no EnvoyProxy registers (Envoy Gateway
    rejects such a policy); nothing to say when no EnvoyProxy is known."""
    if registered is None or not isinstance(doc, dict) or doc.get("kind") != "EnvoyExtensionPolicy":
        return []
    return [
        f"spec.dynamicModule.{i}.name: {m.get('name')!r} is not in any EnvoyProxy's spec.dynamicModules"
        for i, m in enumerate((doc.get("spec") or {}).get("dynamicModule") or [])
        if m.get("name") not in registered
    ]


def config_problems(doc, envoy: str, wasm: str, module: str = str(DEFAULT_MODULE)) -> list[tuple[str, str, list[str]]]:
    """(where, the configuration text, the plugin's complaints) for each plugin configuration,
    each loaded by its build: `wasm`, or `module` for a dynamic module."""
    _, _, configs = _kind(doc) or KINDS["WasmPlugin"]
    builds = {WASM: Plugin(WASM, Path(wasm)), MODULE: Plugin(MODULE, Path(module))}
    results = []
    for where, value, struct, kind in configs(doc["spec"]):
        try:
            text = config_string(value, struct)
        except ValueError as err:
            results.append((where, "", [f"{where}: {err}"]))
            continue
        result = validate(text, envoy=envoy, plugin=builds[kind])
        if result.accepted:
            results.append((where, text, []))
        else:
            results.append(
                (
                    where,
                    text,
                    [f"{where}: {e}" for e in result.errors]
                    or [f"{where}: Envoy refused it:\n" + result.output[-2000:]],
                )
            )
    return results


def plugin_problems(doc, envoy: str, wasm: str, module: str = str(DEFAULT_MODULE)) -> tuple[str, list[str]]:
    """(the first configuration's text, every complaint): for documents with one configuration."""
    results = config_problems(doc, envoy, wasm, module)
    return (results[0][1] if results else ""), [p for _, _, problems in results for p in problems]


def load_documents(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def check_document(doc, envoy: str, wasm: str, module: str, registered: set[str] | None = None) -> list[str]:
    problems = schema_problems(doc)
    if not problems:
        problems += registration_problems(doc, registered)
        problems += plugin_problems(doc, envoy, wasm, module)[1]
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--envoy", default=str(VENV_ENVOY))
    ap.add_argument("--wasm", default=str(DEFAULT_WASM))
    ap.add_argument("--module", default=str(DEFAULT_MODULE))
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    failed = 0
    loaded = [(path, load_documents(path)) for path in args.files]
    registered = registered_modules([doc for _, docs in loaded for doc in docs])
    for path, docs in loaded:
        for index, doc in enumerate(docs):
            name = f"{path}#{index}"
            if isinstance(doc, dict) and doc.get("kind") not in KINDS:
                print(f"{name}: skipped ({doc.get('kind')})")
                continue
            if isinstance(doc, dict):
                name += f" ({doc.get('metadata', {}).get('name')})"
            problems = check_document(doc, args.envoy, args.wasm, args.module, registered)
            if problems:
                failed += 1
                print(f"{name}: FAILED")
                for p in problems:
                    print(f"  {p}")
            else:
                print(f"{name}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
