#!/usr/bin/env python3
"""Create a first ECDS resource file for the plugin, only with a configuration it accepts.

Envoy reads the maintenance-mode filter from an ECDS resource file (see envoy/envoy.yaml.tmpl
and docs/src/plain-envoy.md). This writes one; changing it afterwards is the CLI's job
(`kubectl-maintenance --ecds FILE on/off/apply`, or `make on/off/apply`).

  python -m envoy.ecds render --file F --wasm PATH CONFIG.json
      the resource file F for CONFIG.json, Envoy loading the plugin from PATH
  python -m envoy.ecds docker-config [--keep] [CONFIG.json]
      envoy/docker/envoy.yaml from the template, and the ECDS file Docker mounts,
      .run/docker/ecds/maintenance-mode.json (git-ignored: run-time state), from CONFIG.json
      (default envoy/maintenance.json); --keep leaves an existing ECDS file as it is

Both check the configuration with the plugin first (`envoy --mode validate` with the locally
built wasm, or --check-wasm) and write nothing when it is rejected: a file Envoy rejects at
start leaves the filter unconfigured, and Envoy answers every request with an empty 500.
Run it from the repository root as `python -m envoy.ecds` (the Makefile does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from envoylib.bootstrap import render_template
from envoylib.ecds import Rejected, write_atomically, write_first
from envoylib.paths import REPO, envoy_bin, wasm_path
from envoylib.config_file import UserError, read_config

HERE = REPO / "envoy"
DOCKER_DIR = HERE / "docker"

# The values envoy/docker/envoy.yaml is rendered with; docker-compose.yaml mounts the files
# at these paths and publishes these ports (a test checks they agree).
DOCKER = {
    "admin_address": "0.0.0.0",
    "admin_port": 9901,
    "listen_address": "0.0.0.0",
    "listen_port": 10000,
    "upstream_host": "app",
    "upstream_port": 80,
    "ecds_file": "/etc/envoy/ecds/maintenance-mode.json",
}
DOCKER_WASM = "/etc/envoy/maintenance_mode.wasm"
# The ECDS file on this machine, mounted (its directory) at DOCKER["ecds_file"]'s directory.
DOCKER_ECDS = REPO / ".run/docker/ecds" / PurePosixPath(DOCKER["ecds_file"]).name


def docker_bootstrap() -> str:
    """What envoy/docker/envoy.yaml must contain."""
    return "# Generated from envoy/envoy.yaml.tmpl by `make docker-config`: edit the template.\n" + render_template(
        **DOCKER
    )


def write_checked(target: Path, config: Path, wasm: str, args) -> None:
    check_wasm = args.check_wasm or (Path(wasm) if Path(wasm).is_file() else wasm_path())
    if not check_wasm.is_file():
        raise UserError(f"cannot check the configuration: no plugin at {check_wasm} (run `make build`)")
    text = read_config(config)
    try:
        write_first(target, text, wasm, envoy=args.envoy or envoy_bin(), check_wasm=check_wasm)
    except Rejected as err:
        lines = "\n".join(f"  {line}" for line in err.lines)
        raise UserError(f"{target} not written: the plugin rejects {config}:\n{lines}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--envoy", help="the Envoy that checks the configuration (default: the project's)")
    ap.add_argument("--check-wasm", type=Path, help="the plugin that checks it (default: the local build)")
    sub = ap.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="write an ECDS resource file for a plugin configuration")
    render.add_argument("--file", type=Path, required=True, help="the ECDS resource file to write")
    render.add_argument("--wasm", required=True, help="the path Envoy loads the plugin from")
    render.add_argument("config", type=Path)
    docker = sub.add_parser("docker-config", help="write envoy/docker/envoy.yaml and the ECDS file Docker mounts")
    docker.add_argument("--keep", action="store_true", help="leave an existing ECDS file as it is")
    docker.add_argument("--ecds", type=Path, default=DOCKER_ECDS, help="the ECDS file to write (default: %(default)s)")
    docker.add_argument("--bootstrap", type=Path, default=DOCKER_DIR / "envoy.yaml", help="default: %(default)s")
    docker.add_argument("config", type=Path, nargs="?", default=HERE / "maintenance.json")
    args = ap.parse_args(argv)

    try:
        if args.command == "render":
            write_checked(args.file, args.config, args.wasm, args)
            print(f"wrote {args.file} (from {args.config})")
            return 0
        if args.keep and args.ecds.exists():
            done = f"kept {args.ecds}"
        else:
            write_checked(args.ecds, args.config, DOCKER_WASM, args)
            done = f"wrote {args.ecds} (from {args.config})"
        write_atomically(args.bootstrap, docker_bootstrap())
        print(f"{done}; {args.bootstrap} is up to date")
        return 0
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
