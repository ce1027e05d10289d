"""The kubectl-maintenance CLI (crates/cli), the one writer of ECDS files, as scripts and tests
run it: `make cli-native` builds it (`paths.cli_path()`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from envoylib.paths import cli_path


class CliError(Exception):
    """The CLI refused or failed: `message` is what it said."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def run(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs the CLI with `args`, its output captured."""
    cli = cli_path()
    if not cli.is_file():
        raise CliError(f"{cli} is missing: run `make cli-native` (or set MAINTENANCE_CLI)")
    return subprocess.run([str(cli), *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def write_ecds(ecds_file: Path, config_text: str, wasm: Path | str) -> None:
    """Writes a new ECDS file `ecds_file` (its directory made if missing) with `config_text`,
    Envoy loading the plugin from `wasm`, after the plugin's own validation accepted it;
    nothing is written and CliError says why otherwise."""
    done = run("apply", "--ecds", str(ecds_file), "--wasm", str(wasm), "--write-only", "-", stdin=config_text)
    if done.returncode != 0:
        raise CliError(done.stderr.strip() or done.stdout.strip())


def apply(ecds_file: Path, config_text: str, admin: str) -> subprocess.CompletedProcess:
    """Pushes `config_text` into the ECDS file of the Envoy at `admin` and waits for its verdict
    (exit status 0: applied)."""
    return run("apply", "--ecds", str(ecds_file), "--admin", admin, "-", stdin=config_text)
