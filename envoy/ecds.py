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
Standard library only; run.py and the tests import it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_FILE = REPO / ".run/ecds/maintenance-mode.json"
DEFAULT_WASM = REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm"
TEMPLATE = HERE / "envoy.yaml.tmpl"
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

# The filter's name in the listener (`http_filters[].name`) and of the ECDS resource; Envoy
# matches the two, and names its stats after it.
FILTER_NAME = "maintenance-mode"
WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
EXTENSION_CONFIG_TYPE = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"
STRING_VALUE_TYPE = "type.googleapis.com/google.protobuf.StringValue"


class EcdsError(Exception):
    """A problem to report to the user in one line."""


# ---------------------------------------------------------------------------
# the resource file
# ---------------------------------------------------------------------------


def wasm_filter(config_text: str | None, wasm: str) -> dict:
    """The Wasm HTTP filter config, with the plugin configuration as Istio sends it: a JSON
    string in a StringValue (a Struct would reach the plugin as binary protobuf). None: no
    configuration at all (the plugin's default: maintenance off)."""
    config: dict = {
        "name": FILTER_NAME,
        "root_id": FILTER_NAME,
        "vm_config": {
            "vm_id": FILTER_NAME,
            "runtime": "envoy.wasm.runtime.v8",
            "code": {"local": {"filename": wasm}},
        },
    }
    if config_text is not None:
        config["configuration"] = {"@type": STRING_VALUE_TYPE, "value": config_text}
    return {"@type": WASM_TYPE, "config": config}


def version_of(config_text: str) -> str:
    """Shown by Envoy as the stat `extension_config_discovery.http_filter.maintenance-mode.version_text`."""
    return "sha256:" + hashlib.sha256(config_text.encode("utf-8")).hexdigest()[:16]


def resource_document(config_text: str, wasm: str) -> dict:
    """The ECDS file: a DiscoveryResponse with one TypedExtensionConfig."""
    return {
        "version_info": version_of(config_text),
        "resources": [
            {
                "@type": EXTENSION_CONFIG_TYPE,
                "name": FILTER_NAME,
                "typed_config": wasm_filter(config_text, wasm),
            }
        ],
    }


def render_bootstrap(
    *,
    admin_address: str,
    admin_port: int,
    listen_address: str,
    listen_port: int,
    upstream_host: str,
    upstream_port: int,
    ecds_file: str,
    template: Path = TEMPLATE,
) -> str:
    """envoy/envoy.yaml.tmpl with these values (paths as Envoy will see them)."""
    q = lambda s: json.dumps(str(s), ensure_ascii=False)  # noqa: E731 - a JSON string is a YAML scalar
    return string.Template(template.read_text(encoding="utf-8")).substitute(
        ADMIN_ADDRESS=q(admin_address),
        ADMIN_PORT=int(admin_port),
        LISTEN_ADDRESS=q(listen_address),
        LISTEN_PORT=int(listen_port),
        UPSTREAM_HOST=q(upstream_host),
        UPSTREAM_PORT=int(upstream_port),
        ECDS_FILE=q(ecds_file),
        ECDS_DIR=q(PurePosixPath(ecds_file).parent),
    )


def docker_bootstrap() -> str:
    """What envoy/docker/envoy.yaml must contain."""
    return "# Generated from envoy/envoy.yaml.tmpl by `make docker-config`: edit the template.\n" + render_bootstrap(
        **DOCKER
    )


def dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


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


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never a part:
    a temporary file in the same directory, flushed, then renamed over `path`. The rename is
    what Envoy's `watched_directory` reacts to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; Envoy may run as another user (Docker)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
# checking a configuration with the real plugin
# ---------------------------------------------------------------------------


def validation_bootstrap(config_text: str, wasm: str) -> dict:
    """A minimal static bootstrap carrying the plugin configuration, for `envoy --mode
    validate`. (Validate mode does not load ECDS resources, so the plugin is inlined here.)"""
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "validate",
        "route_config": {
            "virtual_hosts": [
                {"name": "all", "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "app"}}]}
            ]
        },
        "http_filters": [
            {"name": FILTER_NAME, "typed_config": wasm_filter(config_text, wasm)},
            {
                "name": "envoy.filters.http.router",
                "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
            },
        ],
    }
    return {
        "static_resources": {
            "listeners": [
                {
                    "name": "validate",
                    "address": {"socket_address": {"address": "127.0.0.1", "port_value": 1}},
                    "filter_chains": [
                        {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}]}
                    ],
                }
            ],
            "clusters": [{"name": "app", "connect_timeout": "1s"}],
        }
    }


def validate(envoy: str, wasm: str, config_text: str, *, timeout: float = 120) -> tuple[bool, list[str], str]:
    """Runs the plugin's own validation in `envoy --mode validate`.

    Returns (accepted, the plugin's error messages, Envoy's whole output)."""
    with tempfile.TemporaryDirectory(prefix="maintenance-validate-") as tmp:
        boot = Path(tmp) / "validate.json"
        boot.write_text(json.dumps(validation_bootstrap(config_text, wasm)), encoding="utf-8")
        proc = subprocess.run(
            [envoy, "--mode", "validate", "-c", str(boot), "-l", "info", "--disable-hot-restart"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            start_new_session=True,
        )
    output = proc.stdout.decode("utf-8", "replace")
    marker = "invalid plugin configuration"
    errors = [line[line.index(marker) :] for line in output.splitlines() if marker in line]
    return proc.returncode == 0, errors, output


# ---------------------------------------------------------------------------
# watching Envoy apply it
# ---------------------------------------------------------------------------

UPDATE_STATS = ("update_success", "update_rejected")


def update_counts(admin: str) -> dict[str, int]:
    """Envoy's ECDS counters for the filter: how many updates it applied and rejected."""
    prefix = f"extension_config_discovery.http_filter.{FILTER_NAME}."
    url = f"http://{admin}/stats?format=json&filter=^{prefix.replace('.', '[.]')}"
    with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - the operator's own admin address
        stats = json.loads(resp.read())["stats"]
    values = {s["name"][len(prefix) :]: s.get("value", 0) for s in stats if s.get("name", "").startswith(prefix)}
    return {name: int(values.get(name, 0)) for name in UPDATE_STATS}


def wait_for_update(admin: str, before: dict[str, int], timeout: float = 10) -> str:
    """'applied', 'rejected' or 'unknown' (no change seen in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = update_counts(admin)
        if now["update_rejected"] > before["update_rejected"]:
            return "rejected"
        if now["update_success"] > before["update_success"]:
            return "applied"
        time.sleep(0.05)
    return "unknown"


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
        accepted, errors, output = validate(args.envoy, wasm, config_text)
        if not accepted:
            print("not written: the plugin rejects this configuration:", file=sys.stderr)
            for line in errors or output.splitlines()[-15:]:
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
