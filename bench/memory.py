#!/usr/bin/env python3
"""Each plugin VM's linear memory after applying the 10,000-route configuration, at
`--concurrency 1` and `4`: Envoy runs one VM per worker plus one on the main thread (and one to
check the configuration), so memory that a configuration keeps is paid per VM. Wasm memory
never shrinks, so this is also the peak while parsing.

The plugin logs `linear memory after configuration: N bytes` at debug level (crates/wasm/src/lib.rs); this
runs Envoy with `--component-log-level wasm:debug` and reads those lines, one per VM. Run from
the repository root as `python -m bench.memory` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from bench.instructions import many_rules
from envoylib.paths import REPO
from envoylib.process import PluginEnvoy

MiB = 1024 * 1024
LINE = re.compile(r"linear memory after configuration: (\d+) bytes")


def vm_memory(wasm: Path, concurrency: int, work: Path) -> list[int]:
    with PluginEnvoy(
        many_rules(), 1, work / f"c{concurrency}", wasm=wasm, concurrency=concurrency,
        log_level="warning", component_log_level="wasm:debug", start_timeout=120,
    ) as envoy:  # fmt: skip
        return [int(n) for n in LINE.findall(envoy.log_text())]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wasm", type=Path, default=REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm")
    ap.add_argument("--limit-mib", type=float, default=3.0, help="target per VM")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
