#!/usr/bin/env python3
"""Turn maintenance on and off in a running Envoy, without a restart.

Envoy reads the maintenance-mode filter from an ECDS resource file: the
listener's filter is a `config_discovery` entry with a `path_config_source`
whose `watched_directory` is the file's directory (see envoy/envoy.yaml.tmpl).
This tool rewrites that file atomically (a temporary file in the same
directory, then a rename), which is the event Envoy watches for; Envoy then
applies the new plugin configuration to new requests, with no restart and no
dropped connection. A configuration the plugin rejects is refused by Envoy,
which keeps serving with the last good one.

  ecds.py [OPTIONS] on [--reason TEXT]   maintenance on (and, if given, the new reason)
  ecds.py [OPTIONS] off                  maintenance off (the rest of the configuration is kept)
  ecds.py [OPTIONS] apply CONFIG.json    replace the whole plugin configuration
  ecds.py [OPTIONS] show                 print the plugin configuration in the file
  ecds.py --wasm PATH [--file F] render CONFIG.json   create the resource file
  ecds.py docker-config [CONFIG.json]    (re)generate envoy/docker/ from the template

OPTIONS (before the command): --file (the ECDS resource file), --envoy and --wasm
(check the new configuration with `envoy --mode validate` before writing it),
--admin HOST:PORT (wait until that Envoy reports the update applied or rejected).
Standard library only; uses the project's envoylib: run it from the repository root as
`python3 -m envoy.ecds` (the Makefile does).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path, PurePosixPath

from envoylib.bootstrap import render_template
from envoylib.ecds import dump, resource_document, update_counts, version_of, wait_for_update, write_atomically
from envoylib.paths import REPO
from envoylib.process import validate

HERE = REPO / "envoy"
DEFAULT_FILE = REPO / ".run/ecds/maintenance-mode.json"
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


class EcdsError(Exception):
    """A problem to report to the user in one line."""


# ---------------------------------------------------------------------------
# the resource file
# ---------------------------------------------------------------------------


def docker_bootstrap() -> str:
    """What envoy/docker/envoy.yaml must contain."""
    return "# Generated from envoy/envoy.yaml.tmpl by `make docker-config`: edit the template.\n" + render_template(
        **DOCKER
    )


def read_document(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EcdsError(f"{path} does not exist (is `make run` running? see README)") from None
    except (OSError, ValueError) as err:
        raise EcdsError(f"cannot read {path}: {err}") from None
    try:
        resource = document["resources"][0]
        resource["typed_config"]["config"]["configuration"]["value"]
    except (KeyError, IndexError, TypeError):
        raise EcdsError(f"{path} is not a maintenance-mode ECDS resource file") from None
    return document


def plugin_config_text(document: dict) -> str:
    return document["resources"][0]["typed_config"]["config"]["configuration"]["value"]


def wasm_of(document: dict) -> str:
    return document["resources"][0]["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"]


def with_config(document: dict, config_text: str) -> dict:
    """A copy of the resource file with another plugin configuration (and version)."""
    new = json.loads(json.dumps(document))
    new["resources"][0]["typed_config"]["config"]["configuration"]["value"] = config_text
    new["version_info"] = version_of(config_text)
    return new


# ---------------------------------------------------------------------------
# editing the plugin configuration
# ---------------------------------------------------------------------------


def parse_config(text: str, what: str) -> dict:
    if not text.strip():
        return {}
    try:
        config = json.loads(text)
    except ValueError as err:
        raise EcdsError(f"{what} is not JSON: {err}") from None
    if not isinstance(config, dict):
        raise EcdsError(f"{what} is not a JSON object")
    return config


def switched(config_text: str, *, enabled: bool, reason: str | None = None) -> str:
    """The configuration with `enabled` (and `reason`, when given) set; the rest kept."""
    config = parse_config(config_text, "the current plugin configuration")
    config["enabled"] = enabled
    if reason is not None:
        config["reason"] = reason
    return json.dumps(config, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------


def describe(config_text: str) -> str:
    try:
        config = parse_config(config_text, "the configuration")
    except EcdsError:
        return "a configuration that is not a JSON object"
    state = "ON" if config.get("enabled") else "OFF"
    reason = config.get("reason")
    return f"maintenance {state}" + (f" (reason: {reason!r})" if reason else "")


def push(args, document: dict, config_text: str) -> int:
    """Validate (when possible), write, and follow Envoy (when an admin address is given)."""
    wasm = str(args.wasm) if args.wasm else wasm_of(document)
    if args.envoy:
        if not Path(wasm).is_file():
            raise EcdsError(f"cannot validate: wasm {wasm} not found (run `make build`, or pass --wasm)")
        result = validate(config_text, envoy=args.envoy, wasm=wasm)
        if not result.accepted:
            print("not written: the plugin rejects this configuration:", file=sys.stderr)
            for line in result.errors or result.output.splitlines()[-15:]:
                print(f"  {line}", file=sys.stderr)
            return 1
    before = None
    if args.admin:
        try:
            before = update_counts(args.admin)
        except (OSError, ValueError) as err:
            print(f"note: no Envoy admin at {args.admin} ({err}); writing the file anyway", file=sys.stderr)
    write_atomically(args.file, dump(with_config(document, config_text)))
    print(f"{describe(config_text)}: written to {args.file} ({version_of(config_text)})")
    if before is None:
        return 0
    outcome = wait_for_update(args.admin, before)
    if outcome == "applied":
        print(f"Envoy at {args.admin} applied it.")
        return 0
    if outcome == "rejected":
        print(f"Envoy at {args.admin} REJECTED it and keeps the previous configuration; see its log.", file=sys.stderr)
        return 1
    print(f"Envoy at {args.admin} did not report the update in time; check its log.", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the ECDS resource file (default: %(default)s)")
    ap.add_argument("--envoy", help="Envoy binary: validate the new configuration with the plugin before writing it")
    ap.add_argument("--wasm", type=Path, help="the plugin to validate with (default: the one the file names)")
    ap.add_argument("--admin", help="Envoy admin HOST:PORT: wait until it reports the update applied or rejected")
    sub = ap.add_subparsers(dest="command", required=True)
    on = sub.add_parser("on", help="turn maintenance on")
    on.add_argument("--reason", help="the new reason (default: keep the current one)")
    sub.add_parser("off", help="turn maintenance off")
    apply = sub.add_parser("apply", help="replace the whole plugin configuration with a JSON file")
    apply.add_argument("config", type=Path)
    sub.add_parser("show", help="print the plugin configuration in the file")
    render = sub.add_parser("render", help="create the resource file from a plugin configuration")
    render.add_argument("config", type=Path)
    docker = sub.add_parser("docker-config", help="write envoy/docker/envoy.yaml and its ECDS file")
    docker.add_argument("config", type=Path, nargs="?", default=HERE / "maintenance.json")
    args = ap.parse_args(argv)

    try:
        if args.command == "render":
            if not args.wasm:
                raise EcdsError("render needs --wasm (the path Envoy will load the plugin from)")
            text = args.config.read_text(encoding="utf-8")
            write_atomically(args.file, dump(resource_document(text, str(args.wasm))))
            print(f"wrote {args.file}")
            return 0
        if args.command == "docker-config":
            write_atomically(DOCKER_DIR / "envoy.yaml", docker_bootstrap())
            text = args.config.read_text(encoding="utf-8")
            ecds_file = DOCKER_DIR / "ecds" / PurePosixPath(DOCKER["ecds_file"]).name
            write_atomically(ecds_file, dump(resource_document(text, DOCKER_WASM)))
            print(f"wrote {DOCKER_DIR / 'envoy.yaml'} and {ecds_file} (from {args.config})")
            return 0
        document = read_document(args.file)
        current = plugin_config_text(document)
        if args.command == "show":
            print(current)
            print(f"# {describe(current)}; {document.get('version_info', '')}", file=sys.stderr)
            return 0
        if args.command == "on":
            return push(args, document, switched(current, enabled=True, reason=args.reason))
        if args.command == "off":
            return push(args, document, switched(current, enabled=False))
        if args.command == "apply":
            text = args.config.read_text(encoding="utf-8")
            return push(args, document, text)
    except EcdsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
