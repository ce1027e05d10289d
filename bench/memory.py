#!/usr/bin/env python3
"""Each plugin VM's linear memory after applying the 10,000-route configuration, at
`--concurrency 1` and `4`: Envoy runs one VM per worker plus one on the main thread (and one to
check the configuration), so memory that a configuration keeps is paid per VM. Wasm memory
never shrinks, so this is also the peak while parsing.

Then Envoy's own memory (RSS) at `--concurrency 2` with 64 translations, against the same
configuration without them: a configuration's memory is bounded per VM (the plugin refuses one
over its budget), so translations must not multiply Envoy's memory.

The plugin logs `linear memory after configuration: N bytes` at debug level (crates/wasm/src/lib.rs); this
runs Envoy with `--component-log-level wasm:debug` and reads those lines, one per VM. Run from
the repository root as `python -m bench.memory` (part of `make bench`).
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
from bench.instructions import ON, many_rules
from envoylib.paths import REPO
from envoylib.process import PluginEnvoy

MiB = 1024 * 1024
TAGS = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase if a + b != "en"][:64]
LINE = re.compile(r"linear memory after configuration: (\d+) bytes")


def vm_memory(wasm: Path, concurrency: int, work: Path) -> list[int]:
    with PluginEnvoy(
        many_rules(), 1, work / f"c{concurrency}", wasm=wasm, concurrency=concurrency,
        log_level="warning", component_log_level="wasm:debug", start_timeout=120,
    ) as envoy:  # fmt: skip
        return [int(n) for n in LINE.findall(envoy.log_text())]


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
        config, 1, work, wasm=wasm, concurrency=2, log_level="warning",
        component_log_level="wasm:debug", start_timeout=120,
    ) as envoy:  # fmt: skip
        time.sleep(2)
        return rss_bytes(envoy.proc.pid), [int(n) for n in LINE.findall(envoy.log_text())]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wasm", type=Path, default=REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm")
    ap.add_argument("--limit-mib", type=float, default=3.0, help="target per VM")
    ap.add_argument("--limit-ratio", type=float, default=1.5, help="target Envoy RSS ratio with 64 translations")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="maintenance-memory-") as tmp:
        for concurrency in (1, 4):
            sizes = vm_memory(args.wasm.resolve(), concurrency, Path(tmp))
            if not sizes:
                sys.exit("no `linear memory after configuration` line in the Envoy log")
            top = max(sizes)
            print(f"- --concurrency {concurrency}: {len(sizes)} VMs, linear memory per VM after the "
                  f"10,000-route configuration: {', '.join(f'{s / MiB:.2f}' for s in sizes)} MiB "
                  f"(total {sum(sizes) / MiB:.1f} MiB); target ≤ {args.limit_mib:g} MiB per VM: "
                  f"{'met' if top <= args.limit_mib * MiB else '**missed**'}")  # fmt: skip
        base, base_vms = envoy_memory(ON, args.wasm.resolve(), Path(tmp) / "base")
        cases = (("64 translations", translated(0)), ("64 translations, heaviest pages accepted", translated(3)))
        for n, (title, config) in enumerate(cases):
            rss, vms = envoy_memory(config, args.wasm.resolve(), Path(tmp) / f"translations-{n}")
            ratio = rss / base
            print(f"- --concurrency 2, {title}: Envoy RSS {rss / MiB:.1f} MiB vs {base / MiB:.1f} MiB without "
                  f"translations ({ratio:.2f}x), linear memory per VM {max(vms) / MiB:.2f} MiB "
                  f"(without: {max(base_vms) / MiB:.2f}); target ≤ {args.limit_ratio:g}x: "
                  f"{'met' if ratio <= args.limit_ratio else '**missed**'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
