#!/usr/bin/env python3
"""Each plugin VM's linear memory after applying the 10,000-route configurations (the throughput
benchmark's, with 10,000 bypass paths, and 10,000 path prefixes on one host), at
`--concurrency 1` and `4`: Envoy runs one VM per worker plus one on the main thread (and one to
check the configuration), so memory that a configuration keeps is paid per VM. Wasm memory
never shrinks, so this is also the peak while parsing.

Then Envoy's own memory (RSS) at `--concurrency 2` with 64 translations, against the same
configuration without them: a configuration's memory is bounded per VM (the plugin refuses one
over its budget), so translations must not multiply Envoy's memory.

The plugin logs `linear memory after configuration: N bytes` at debug level (crates/wasm/src/lib.rs); this
runs Envoy with `--component-log-level wasm:debug` and reads those lines, one per VM. The native module
has no VMs: Envoy makes its configuration object once and every worker shares it; the second
part compares Envoy's whole RSS with the module and the same configuration, at `--concurrency
4`, with Envoy without any filter (target: at most 8 MiB more), and with the no-op module given
the same configuration text: what Envoy itself keeps of a filter with a 10,000-route
configuration, so the module's own share shows. Run from the repository root as
`python -m bench.memory` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import re
import string
import sys
import tempfile
import time
from pathlib import Path

from bench.bench import rss_bytes
from bench.instructions import ON, many_rules, prefix_routes
from envoylib.paths import DEFAULT_MODULE, DEFAULT_WASM, REPO
from envoylib.plugin import MODULE, WASM, Plugin
from envoylib.process import PluginEnvoy

MiB = 1024 * 1024
TAGS = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase if a + b != "en"][:64]
LINE = re.compile(r"linear memory after configuration: (\d+) bytes")
CONFIGURATIONS = {
    "10,000 routes + 10,000 bypass paths": many_rules(),
    "10,000 path prefixes on one host": prefix_routes("/catalog"),
}


def vm_memory(config: dict, wasm: Path, concurrency: int, work: Path) -> list[int]:
    with PluginEnvoy(
        config, 1, work, plugin=Plugin(WASM, wasm), concurrency=concurrency,
        log_level="warning", component_log_level="wasm:debug", start_timeout=120,
    ) as envoy:  # fmt: skip
        return [int(n) for n in LINE.findall(envoy.log_text())]


def envoy_rss(plugin: Plugin | None, work: Path, requests: int = 200) -> int:
    """Envoy's RSS at `--concurrency 4` with `plugin` running the 10,000-route configuration
    (None: no filter), after `requests` requests (each worker's first ones touch its memory)."""
    with PluginEnvoy(
        many_rules(), 1, work / f"rss-{plugin.kind if plugin else 'none'}", plugin=plugin,
        with_plugin=plugin is not None, concurrency=4, log_level="warning", start_timeout=120,
    ) as envoy:  # fmt: skip
        for _ in range(requests):
            envoy.get("/catalog", host="shop.example.com")
        return rss_bytes(envoy.proc.pid)


def translated(placeholders: int) -> dict:
    """ON with 64 translations; with `placeholders`, each page repeats a 4 KiB reason of quotes
    (24 KiB once escaped) that many times (3: about the most the memory budget accepts)."""
    config = {
        **ON,
        "translations": {tag: {"title": f"Maintenance ({tag})", "reason": f"Back soon ({tag})."} for tag in TAGS},
    }
    if placeholders:
        config["reason"] = '"' * 4096
        config["response"] = {"html": "<p>{{reason}}</p>" * placeholders}
        config["translations"] = {tag: {"title": f"Maintenance ({tag})"} for tag in TAGS}
    return config


def envoy_memory(config: dict, wasm: Path, work: Path) -> tuple[int, list[int]]:
    """Envoy's RSS once configured at `--concurrency 2`, and each VM's linear memory."""
    with PluginEnvoy(
        config, 1, work, plugin=Plugin(WASM, wasm), concurrency=2, log_level="warning",
        component_log_level="wasm:debug", start_timeout=120,
    ) as envoy:  # fmt: skip
        time.sleep(2)
        return rss_bytes(envoy.proc.pid), [int(n) for n in LINE.findall(envoy.log_text())]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wasm", type=Path, default=DEFAULT_WASM)
    ap.add_argument("--module", type=Path, default=DEFAULT_MODULE, help="the native module (`make module`)")
    ap.add_argument("--noop-module", type=Path, default=REPO / "target/noop-module/release/libnoop_module.so")
    ap.add_argument("--limit-mib", type=float, default=3.0, help="target per VM")
    ap.add_argument("--module-limit-mib", type=float, default=8.0, help="target: Envoy RSS over no filter")
    ap.add_argument("--limit-ratio", type=float, default=1.5, help="target Envoy RSS ratio with 64 translations")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="maintenance-memory-") as tmp:
        for number, (name, config) in enumerate(CONFIGURATIONS.items()):
            for concurrency in (1, 4):
                sizes = vm_memory(config, args.wasm.resolve(), concurrency, Path(tmp) / f"{number}-c{concurrency}")
                if not sizes:
                    sys.exit("no `linear memory after configuration` line in the Envoy log")
                top = max(sizes)
                print(f"- {name}, --concurrency {concurrency}: {len(sizes)} VMs, linear memory per VM: "
                      f"{', '.join(f'{s / MiB:.2f}' for s in sizes)} MiB (total {sum(sizes) / MiB:.1f} MiB); "
                      f"target ≤ {args.limit_mib:g} MiB per VM: "
                      f"{'met' if top <= args.limit_mib * MiB else '**missed**'}")  # fmt: skip
        base = envoy_rss(None, Path(tmp))
        wasm = envoy_rss(Plugin(WASM, args.wasm.resolve()), Path(tmp))
        noop = envoy_rss(Plugin(MODULE, args.noop_module.resolve()), Path(tmp) / "noop")
        native = envoy_rss(Plugin(MODULE, args.module.resolve()), Path(tmp))
        extra = (native - base) / MiB
        print(f"- Envoy RSS, --concurrency 4, the 10,000-route configuration, after 200 requests: no filter "
              f"{base / MiB:.1f} MiB, wasm {wasm / MiB:.1f} MiB (+{(wasm - base) / MiB:.1f}), native module "
              f"{native / MiB:.1f} MiB (+{extra:.1f}; the no-op module with the same configuration text "
              f"+{(noop - base) / MiB:.1f}, so the module's own +{(native - noop) / MiB:.1f}); target ≤ "
              f"+{args.module_limit_mib:g} MiB for the module: "
              f"{'met' if extra <= args.module_limit_mib else '**missed**'}")  # fmt: skip
        base_vms_rss, base_vms = envoy_memory(ON, args.wasm.resolve(), Path(tmp) / "base")
        cases = (("64 translations", translated(0)), ("64 translations, heaviest pages accepted", translated(3)))
        for n, (title, config) in enumerate(cases):
            rss, vms = envoy_memory(config, args.wasm.resolve(), Path(tmp) / f"translations-{n}")
            ratio = rss / base_vms_rss
            print(f"- --concurrency 2, {title}: Envoy RSS {rss / MiB:.1f} MiB vs {base_vms_rss / MiB:.1f} MiB without "
                  f"translations ({ratio:.2f}x), linear memory per VM {max(vms) / MiB:.2f} MiB "
                  f"(without: {max(base_vms) / MiB:.2f}); target ≤ {args.limit_ratio:g}x: "
                  f"{'met' if ratio <= args.limit_ratio else '**missed**'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
