"""The ECDS resource file Envoy watches for the plugin (see envoy/envoy.yaml.tmpl), read, and
Envoy's counters that tell whether it applied or rejected a new one.

Writing the plugin's ECDS file is the CLI's job alone (`kubectl-maintenance --ecds FILE
on/off/apply`, and `apply --ecds FILE --wasm PATH CONFIG.json` for a new one; see
`envoylib.cli`). `extension_document`, `discovery_document` and `write_atomically` are for tests
that stand in for a control plane (istiod, Envoy Gateway): any filter by ECDS, listeners by LDS,
as the control plane would send them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from envoylib.plugin import FILTER_NAME, MODULE, MODULE_TYPE, WASM, Plugin

EXTENSION_CONFIG_TYPE = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"
UPDATE_STATS = ("update_success", "update_rejected")


def version_of(config_text: str) -> str:
    """Shown by Envoy as the stat `extension_config_discovery.http_filter.maintenance-mode.version_text`."""
    return "sha256:" + hashlib.sha256(config_text.encode("utf-8")).hexdigest()[:16]


def discovery_document(resources: list[dict]) -> dict:
    """A DiscoveryResponse for a file config source (`bootstrap.file_config_source`: ECDS, or
    LDS with listeners typed `bootstrap.LISTENER_TYPE`), versioned by its content."""
    return {"version_info": version_of(json.dumps(resources, sort_keys=True)), "resources": resources}


def extension_document(name: str, typed_config: dict) -> dict:
    """An ECDS file holding any filter: the TypedExtensionConfig `name` with `typed_config`
    (e.g. `Plugin.typed_config(...)`)."""
    return discovery_document([{"@type": EXTENSION_CONFIG_TYPE, "name": name, "typed_config": typed_config}])


def read_document(path: Path) -> dict:
    """An ECDS resource file holding the plugin (ValueError when it is not one)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        plugin_config_text(document)
        plugin_of(document)
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"{path} is not a maintenance-mode ECDS resource file") from None
    return document


def _typed_config(document: dict) -> dict:
    return document["resources"][0]["typed_config"]


def _string_value(document: dict) -> dict:
    """The StringValue holding the plugin configuration, in either build's filter config."""
    typed = _typed_config(document)
    if typed["@type"] == MODULE_TYPE:
        return typed["filter_config"]
    return typed["config"]["configuration"]


def plugin_config_text(document: dict) -> str:
    return _string_value(document)["value"]


def plugin_of(document: dict) -> Plugin:
    """The plugin build and path Envoy loads."""
    typed = _typed_config(document)
    if typed["@type"] == MODULE_TYPE:
        return Plugin(MODULE, Path(typed["dynamic_module_config"]["module"]["local"]["filename"]))
    return Plugin(WASM, Path(typed["config"]["vm_config"]["code"]["local"]["filename"]))


def dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never a part:
    a temporary file in the same directory, flushed, then renamed over `path`. The rename is
    what Envoy's `watched_directory` reacts to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; Envoy may run as another user (Docker)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
