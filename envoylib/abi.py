"""Whether the pinned Envoy expects the native module's ABI version. Envoy says so when it loads
a dynamic module: "Dynamic module ABI version vX matched." for the version it was built with, a
deprecation warning for the previous one (still loaded), and a refusal for anything else. A
module is built for one Envoy minor version (and, by Envoy's guarantee, works with the next).

  python -m envoylib.abi [--envoy ENVOY] [--module MODULE]   (`make module-abi-check`; exit 1
                                                              unless Envoy reports a match)
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from envoylib.paths import envoy_bin, module_path
from envoylib.plugin import MODULE, Plugin
from envoylib.process import validate

ABI_MATCHED = re.compile(r"Dynamic module ABI version (\S+) matched\.")


class AbiReport(NamedTuple):
    version: str | None  # the version Envoy matched, None when it did not
    lines: list[str]  # what Envoy said about the module's ABI (or its last lines)

    @property
    def matched(self) -> bool:
        return self.version is not None


def abi_report(module: Plugin, workdir: Path | None = None, *, envoy: str | None = None) -> AbiReport:
    """Loads `module` in `envoy --mode validate` and reads Envoy's verdict on its ABI version."""
    output = validate("{}", workdir, envoy=envoy, plugin=module).output
    lines = [line for line in output.splitlines() if "ABI version" in line] or output.splitlines()[-15:]
    found = ABI_MATCHED.search(output)
    return AbiReport(found.group(1) if found else None, lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--envoy", default=None, help="default: the project's Envoy")
    ap.add_argument("--module", type=Path, default=None, help="default: the `make module` build")
    args = ap.parse_args(argv)
    module = Plugin(MODULE, (args.module or module_path()).resolve())
    if not module.path.is_file():
        print(f"error: no module at {module.path} (run `make module`)", file=sys.stderr)
        return 1
    envoy = args.envoy or envoy_bin()
    with tempfile.TemporaryDirectory(prefix="maintenance-abi-") as tmp:
        report = abi_report(module, Path(tmp), envoy=envoy)
    if report.matched:
        print(f"{module.path}: Envoy ({envoy}) expects its ABI version {report.version}")
        return 0
    print(f"error: Envoy ({envoy}) does not expect the ABI version of {module.path}:", file=sys.stderr)
    for line in report.lines:
        print(f"  {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
