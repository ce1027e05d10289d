#!/usr/bin/env python3
"""Checks WasmPlugin manifests for the maintenance-mode plugin before they reach a cluster.

For every `WasmPlugin` document in the given YAML files:

1. the resource against the extensions.istio.io/v1alpha1 WasmPlugin schema
   (istio/wasmplugin.schema.json), strictly: an unknown or misspelt field is an
   error, where the API server would silently drop it;
2. the `url` scheme (oci, https, http, file, or none, as Istio accepts);
3. the `pluginConfig`, converted to JSON exactly as istiod does (protobuf JSON of
   the Struct, sent to the proxy in a google.protobuf.StringValue), loaded by the
   real plugin in `envoy --mode validate`: the same check every gateway makes, so a
   configuration that passes here is one the gateways accept.

Usage: python -m istio.check [--envoy ENVOY] [--wasm WASM] FILE.yaml...   (from the repository
root; `make istio-check`)
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

from envoylib.paths import DEFAULT_WASM, VENV_ENVOY
from envoylib.process import validate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA = json.loads((HERE / "wasmplugin.schema.json").read_text(encoding="utf-8"))
URL_SCHEMES = ("", "oci", "https", "http", "file")


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


def schema_problems(doc) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path) or "(document)"
        problems.append(f"{where}: {error.message}")
    spec = doc.get("spec") if isinstance(doc, dict) else None
    url = spec.get("url") if isinstance(spec, dict) else None
    if isinstance(url, str) and url:
        scheme = urlsplit(url).scheme if "://" in url else ""
        if scheme not in URL_SCHEMES:
            problems.append(f"spec.url: scheme {scheme!r} is not one of oci, https, http, file")
    return problems


def plugin_problems(doc, envoy: str, wasm: str) -> tuple[str, list[str]]:
    """(the configuration text, the plugin's complaints) for the document's pluginConfig."""
    try:
        text = plugin_config_string(doc["spec"].get("pluginConfig"))
    except ValueError as err:
        return "", [f"spec.pluginConfig: {err}"]
    result = validate(text, envoy=envoy, wasm=wasm)
    if result.accepted:
        return text, []
    return text, [f"spec.pluginConfig: {e}" for e in result.errors] or [
        "spec.pluginConfig: Envoy refused it:\n" + result.output[-2000:]
    ]


def load_documents(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def check_document(doc, envoy: str, wasm: str) -> list[str]:
    problems = schema_problems(doc)
    if not problems:
        problems += plugin_problems(doc, envoy, wasm)[1]
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--envoy", default=str(VENV_ENVOY))
    ap.add_argument("--wasm", default=str(DEFAULT_WASM))
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    failed = 0
    for path in args.files:
        for index, doc in enumerate(load_documents(path)):
            name = f"{path}#{index}"
            if isinstance(doc, dict) and doc.get("kind") != "WasmPlugin":
                print(f"{name}: skipped ({doc.get('kind')})")
                continue
            if isinstance(doc, dict):
                name += f" ({doc.get('metadata', {}).get('name')})"
            problems = check_document(doc, args.envoy, args.wasm)
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
