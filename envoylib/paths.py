"""Where things are: the repository, the plugin under test, the Envoy binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
DEFAULT_WASM = REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm"
VENV_ENVOY = REPO / ".venv/bin/envoy"
TEMPLATE = REPO / "envoy/envoy.yaml.tmpl"


def wasm_path() -> Path:
    """The plugin: $MAINTENANCE_WASM, else the release build."""
    env = os.environ.get("MAINTENANCE_WASM")
    return (Path(env) if env else DEFAULT_WASM).resolve()


def envoy_bin() -> str:
    """$ENVOY_BIN, else the project venv's envoy, else envoy on PATH."""
    env = os.environ.get("ENVOY_BIN")
    if env:
        return env
    if VENV_ENVOY.exists():
        return str(VENV_ENVOY)
    found = shutil.which("envoy")
    if not found:
        raise RuntimeError("no envoy binary: run `make venv` (or set ENVOY_BIN)")
    return found
