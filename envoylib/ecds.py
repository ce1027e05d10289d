"""The ECDS resource file Envoy watches for the plugin (see envoy/envoy.yaml.tmpl), and Envoy's
counters that tell whether it applied or rejected a new one.

Changing the configuration in a file is the CLI's job (`kubectl-maintenance --ecds FILE on/off/
apply`); `write_first` creates one, and only with a configuration the plugin accepts: a file
Envoy rejects at start leaves the filter without a configuration, and Envoy then answers every
request with an empty 500.

`extension_document` and `discovery_document` write other xDS files Envoy watches the same way:
any filter by ECDS, or listeners by LDS (the tests' gateways configured as Istio and Envoy
Gateway configure theirs)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from envoylib.bootstrap import FILTER_NAME, wasm_config
from envoylib.process import validate

EXTENSION_CONFIG_TYPE = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"
UPDATE_STATS = ("update_success", "update_rejected")


def version_of(config_text: str) -> str:
    """Shown by Envoy as the stat `extension_config_discovery.http_filter.maintenance-mode.version_text`."""
    return "sha256:" + hashlib.sha256(config_text.encode("utf-8")).hexdigest()[:16]


def resource_document(config_text: str, wasm: str) -> dict:
    """The ECDS file: a DiscoveryResponse with one TypedExtensionConfig."""
    return {
        "version_info": version_of(config_text),
        "resources": [
            {"@type": EXTENSION_CONFIG_TYPE, "name": FILTER_NAME, "typed_config": wasm_config(config_text, wasm)}
        ],
    }


def discovery_document(resources: list[dict]) -> dict:
    """A DiscoveryResponse for a file config source (`bootstrap.file_config_source`: ECDS, or
    LDS with listeners typed `bootstrap.LISTENER_TYPE`), versioned by its content."""
    return {"version_info": version_of(json.dumps(resources, sort_keys=True)), "resources": resources}


def extension_document(name: str, typed_config: dict) -> dict:
    """An ECDS file holding any filter: the TypedExtensionConfig `name` with `typed_config`
    (e.g. `bootstrap.wasm_config(...)`)."""
    return discovery_document([{"@type": EXTENSION_CONFIG_TYPE, "name": name, "typed_config": typed_config}])


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


def with_config(document: dict, config_text: str) -> dict:
    """A copy of the resource file with another plugin configuration (and version)."""
    new = json.loads(json.dumps(document))
    new["resources"][0]["typed_config"]["config"]["configuration"]["value"] = config_text
    new["version_info"] = version_of(config_text)
    return new


class Rejected(Exception):
    """The plugin rejects the configuration: `lines` are its messages (or Envoy's last lines)."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def write_first(path: Path, config_text: str, wasm: str, *, envoy: str, check_wasm: Path) -> None:
    """Writes the resource file for `config_text` (Envoy loading the plugin from `wasm`) after
    the plugin (`check_wasm`, run by `envoy --mode validate`) accepted it; raises `Rejected`
    and writes nothing otherwise."""
    result = validate(config_text, envoy=envoy, wasm=check_wasm)
    if not result.accepted:
        raise Rejected(result.errors or result.output.splitlines()[-15:])
    write_atomically(path, dump(resource_document(config_text, wasm)))


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
