"""The two builds of the plugin and how each looks to Envoy: the wasm (proxy-wasm filter on V8)
and the native dynamic module (`envoy.filters.http.dynamic_modules`). Everything that differs
between them for a test, a script or the benchmark lives here: the HTTP filter's typed config,
the plugin's own log lines, the metric prefix.

Both take the plugin configuration the way Istio and Envoy Gateway deliver it: a JSON string in
a google.protobuf.StringValue (wasm `configuration`, module `filter_config`; a Struct would reach
the wasm as binary protobuf). The plugin's name is the instance name (metrics, log lines): the
wasm plugin's `name`, the module's `filter_name`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from envoylib.paths import module_path, wasm_path

# The plugin's name, root id and VM id; also the ECDS resource's name (Envoy names the ECDS
# stats after it).
FILTER_NAME = "maintenance-mode"
WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
MODULE_TYPE = "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter"
STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue"

WASM = "wasm"
MODULE = "module"
KINDS = (WASM, MODULE)

# The filter state the plugin records its decision in: the same key for both builds (Envoy keeps
# a wasm property NAME as `wasm.NAME`; the module sets the same key), so one access-log format
# serves both: %FILTER_STATE(wasm.maintenance_mode.decision:PLAIN)%.
DECISION_STATE = "wasm.maintenance_mode.decision"


def config_text(config) -> str:
    """The plugin configuration as the string Envoy hands the plugin: dict/list → JSON; str as
    given; bytes decoded (b"" is the empty configuration)."""
    if isinstance(config, bytes):
        return config.decode("utf-8")
    if isinstance(config, str):
        return config
    return json.dumps(config)


def _string_value(config) -> dict:
    return {"@type": STRING_VALUE_TYPE, "value": config_text(config)}


@dataclass(frozen=True)
class Plugin:
    """One build of the plugin: `kind` (WASM or MODULE) and the file Envoy loads."""

    kind: str
    path: Path

    @property
    def is_wasm(self) -> bool:
        return self.kind == WASM

    def typed_config(self, config, *, instance: str = FILTER_NAME, vm_id: str = FILTER_NAME) -> dict:
        """The HTTP filter's typed config running the plugin with `config` (see `config_text`;
        None gives no configuration at all: the plugin's default, maintenance off), named
        `instance`. Wasm plugins with the same code and `vm_id` share one VM (Envoy Gateway gives
        each policy its own); the module has no VMs: one compiled configuration per filter,
        shared by every worker."""
        if self.is_wasm:
            inner: dict = {
                "name": instance,
                "root_id": FILTER_NAME,
                "vm_config": {
                    "vm_id": vm_id,
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": str(self.path)}},
                },
            }
            if config is not None:
                inner["configuration"] = _string_value(config)
            return {"@type": WASM_TYPE, "config": inner}
        typed: dict = {
            "@type": MODULE_TYPE,
            "dynamic_module_config": {"module": {"local": {"filename": str(self.path)}}},
            "filter_name": instance,
        }
        if config is not None:
            typed["filter_config"] = _string_value(config)
        return typed

    def http_filter(
        self, config, *, name: str | None = None, instance: str = FILTER_NAME, vm_id: str = FILTER_NAME
    ) -> dict:
        """An `http_filters` entry running the plugin with `config` (see `typed_config`)."""
        default = "envoy.filters.http.wasm" if self.is_wasm else "envoy.filters.http.dynamic_modules"
        return {"name": name or default, "typed_config": self.typed_config(config, instance=instance, vm_id=vm_id)}

    @property
    def stats_prefix(self) -> str:
        """Where Envoy files the plugin's metrics in /stats (measured on Envoy 1.40):
        `wasmcustom.maintenance.…` or `dynamicmodulescustom.maintenance.…`."""
        return "wasmcustom." if self.is_wasm else "dynamicmodulescustom."

    @property
    def prometheus_prefix(self) -> str:
        """The same in /stats/prometheus: Envoy strips the wasm's `wasmcustom.` and adds no
        `envoy_`; it keeps the module's `dynamicmodulescustom` under `envoy_`."""
        return "" if self.is_wasm else "envoy_dynamicmodulescustom_"

    def metric(self, name: str, instance: str = FILTER_NAME) -> str:
        """The /stats name of the plugin metric `name` (e.g. `responses_total`) of `instance`."""
        middle = f"instance.{instance}." if instance else ""
        return f"{self.stats_prefix}maintenance.{middle}{name}"

    def message(self, line: str) -> str | None:
        """The plugin's own message in a line of Envoy's log, None for any other line. Envoy
        prefixes a wasm plugin's lines with `wasm log <root id> <vm id>: ` and a module's with
        its `[dynamic_modules]` logger and an empty source location `[:] `."""
        if self.is_wasm:
            if "wasm log " not in line:
                return None
            return line.rstrip().split("wasm log ", 1)[1].split(": ", 1)[-1]
        marker = "][dynamic_modules] [:] "
        if marker not in line:
            return None
        return line.rstrip().split(marker, 1)[1]

    def log_lines(self, text: str) -> list[str]:
        """The lines of Envoy's log the plugin wrote."""
        return [line for line in text.splitlines() if self.message(line) is not None]


def plugin(kind: str | None = None) -> Plugin:
    """The build `kind` (default: $MAINTENANCE_PLUGIN, else the wasm), at its path
    ($MAINTENANCE_WASM / $MAINTENANCE_MODULE, else the release build)."""
    kind = kind or os.environ.get("MAINTENANCE_PLUGIN") or WASM
    if kind not in KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}: {' or '.join(KINDS)}")
    return Plugin(kind, wasm_path() if kind == WASM else module_path())
