#!/usr/bin/env python3
"""`make docker-config`: what envoy/docker-compose.yaml runs.

  python -m envoy.docker_config [--keep] [CONFIG.json]
      the ECDS file Docker mounts, .run/docker/ecds/maintenance-mode.json (git-ignored: run-time
      state), written by the kubectl-maintenance CLI from CONFIG.json (default
      envoy/maintenance.json) for the wasm at /etc/envoy/maintenance_mode.wasm; then
      envoy/docker/envoy.yaml from the template. --keep leaves an existing ECDS file as it is
      (`make docker-up`: a restart keeps the maintenance state).

The CLI writes nothing when the plugin's own validation rejects the configuration (a file Envoy
rejects at start leaves the filter unconfigured, and Envoy answers every request with an empty
500); then the bootstrap is not written either. Run it from the repository root (the Makefile
does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from envoylib import cli
from envoylib.bootstrap import render_template
from envoylib.config_file import UserError, read_config
from envoylib.paths import REPO

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="leave an existing ECDS file as it is")
    ap.add_argument("--ecds", type=Path, default=DOCKER_ECDS, help="the ECDS file to write (default: %(default)s)")
    ap.add_argument("--bootstrap", type=Path, default=DOCKER_DIR / "envoy.yaml", help="default: %(default)s")
    ap.add_argument("config", type=Path, nargs="?", default=HERE / "maintenance.json")
    args = ap.parse_args(argv)
    try:
        if args.keep and args.ecds.exists():
            done = f"kept {args.ecds}"
        else:
            try:
                cli.write_ecds(args.ecds, read_config(args.config), DOCKER_WASM)
            except cli.CliError as err:
                raise UserError(err.message.removeprefix("error: ")) from None
            done = f"wrote {args.ecds} (from {args.config})"
        args.bootstrap.write_text(docker_bootstrap(), encoding="utf-8")
        print(f"{done}; {args.bootstrap} is up to date")
        return 0
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
