"""The ECDS resource file Envoy watches for the plugin (see envoy/envoy.yaml.tmpl), read, and
Envoy's counters that tell whether it applied or rejected a new one.

Writing the file is the CLI's job alone (`kubectl-maintenance --ecds FILE on/off/apply`, and
`apply --ecds FILE --wasm PATH CONFIG.json` for a new one; see `envoylib.cli`)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from envoylib.bootstrap import FILTER_NAME

UPDATE_STATS = ("update_success", "update_rejected")


def read_document(path: Path) -> dict:
    """An ECDS resource file holding the plugin (ValueError when it is not one)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        plugin_config_text(document)
        wasm_of(document)
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"{path} is not a maintenance-mode ECDS resource file") from None
    return document


def plugin_config_text(document: dict) -> str:
    return document["resources"][0]["typed_config"]["config"]["configuration"]["value"]


def wasm_of(document: dict) -> str:
    """The wasm path Envoy loads the plugin from."""
    return document["resources"][0]["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"]


def update_counts(admin: str) -> dict[str, int]:
    """Envoy's ECDS counters for the filter: how many updates it applied and rejected."""
    prefix = f"extension_config_discovery.http_filter.{FILTER_NAME}."
    url = f"http://{admin}/stats?format=json&filter=^{prefix.replace('.', '[.]')}"
    with urllib.request.urlopen(url, timeout=2) as resp:
        stats = json.loads(resp.read())["stats"]
    values = {s["name"][len(prefix) :]: s.get("value", 0) for s in stats if s.get("name", "").startswith(prefix)}
    return {name: int(values.get(name, 0)) for name in UPDATE_STATS}


def wait_for_update(admin: str, before: dict[str, int], timeout: float = 10) -> str:
    """'applied', 'rejected' or 'unknown' (no change seen in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = update_counts(admin)
        if now["update_rejected"] > before["update_rejected"]:
            return "rejected"
        if now["update_success"] > before["update_success"]:
            return "applied"
        time.sleep(0.05)
    return "unknown"
