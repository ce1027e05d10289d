"""A real Envoy process: start, wait until ready, stop (process group), its log and stats;
`validate` (envoy --mode validate); loopback port checks. Nothing outlives its parent."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from collections.abc import Sequence
from typing import NamedTuple

from envoylib.bootstrap import plugin_bootstrap, write_bootstrap
from envoylib.client import H2Response, Response, h2_request, http1_request
from envoylib.paths import LOOPBACK, envoy_bin
from envoylib.plugin import Plugin
from envoylib.plugin import plugin as default_plugin

try:  # resolved here, not in the forked child (no imports between fork and exec)
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (ImportError, OSError, AttributeError):  # not Linux: best effort only
    _PRCTL = None


# ---------------------------------------------------------------------------
# child processes
# ---------------------------------------------------------------------------


def die_with_parent() -> None:
    """preexec_fn: on Linux, SIGTERM the child when its parent dies (even by SIGKILL),
    so no Envoy outlives the process that started it."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def kill_group(proc: subprocess.Popen | None) -> None:
    """SIGTERM the child's process group (it must have been started with
    start_new_session=True), then SIGKILL if it is still there after 5 s."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """True when `host:port` cannot be bound (someone listens there, or holds it)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """(status, body) of a GET; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


# ---------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------

PLUGIN_ERROR = "invalid plugin configuration"


def plugin_error_lines(output: str) -> list[str]:
    """The lines of Envoy's output in which the plugin rejects its configuration."""
    return [line for line in output.splitlines() if PLUGIN_ERROR in line]


class Validation(NamedTuple):
    """What `envoy --mode validate` said; unpacks as (returncode, output)."""

    returncode: int
    output: str  # Envoy's stdout and stderr

    @property
    def accepted(self) -> bool:
        return self.returncode == 0

    @property
    def errors(self) -> list[str]:
        """The plugin's own messages, from `invalid plugin configuration` on."""
        return [line[line.index(PLUGIN_ERROR) :] for line in plugin_error_lines(self.output)]


def validate(
    config,
    workdir: Path | None = None,
    *,
    envoy: str | None = None,
    plugin: Plugin | None = None,
    timeout: float = 120,
) -> Validation:
    """Loads the plugin (default: `plugin.plugin()`) with `config` (see `plugin.config_text`) in
    `envoy --mode validate`: Envoy loads the plugin and has it compile the configuration, so a
    rejected configuration exits non-zero. The bootstrap goes to `workdir` when given (kept),
    else to a temporary directory."""
    boot = plugin_bootstrap(config, upstream_port=1, plugin=plugin)
    with tempfile.TemporaryDirectory(prefix="maintenance-validate-") as tmp:
        return validate_bootstrap(write_bootstrap(Path(workdir or tmp), boot), envoy=envoy, timeout=timeout)


def validate_bootstrap(path: Path, *, envoy: str | None = None, timeout: float = 120) -> Validation:
    """`envoy --mode validate` of the bootstrap file `path`."""
    proc = subprocess.run(
        [envoy or envoy_bin(), "--mode", "validate", "-c", str(path), "-l", "info", "--disable-hot-restart"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        start_new_session=True,
    )
    return Validation(proc.returncode, proc.stdout.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------
# running Envoy
# ---------------------------------------------------------------------------


class EnvoyStartError(RuntimeError):
    pass


class Envoy:
    """One Envoy process running the bootstrap `boot` (a dict, written to
    `<workdir>/envoy.json`, or the path of a bootstrap file).

    Use as a context manager (or start()/stop()). Its admin address is read back from
    --admin-address-path (so admin port 0 works) into `admin` ("127.0.0.1:PORT"), the port of
    the listener named `listener` from /listeners into `port` (None when it has no such listener).
    `command_prefix` runs the binary under another program (valgrind); `args` are more options
    (e.g. `["--config-yaml", text]`, which Envoy merges into the bootstrap, as Istio applies a
    bootstrap override). The log (stdout+stderr) goes to
    `<workdir>/envoy.log`. The process runs in its own process group, is SIGTERMed if its
    parent dies, and stop() kills the group.
    """

    def __init__(
        self,
        boot: dict | Path,
        workdir: Path,
        *,
        concurrency: int = 1,
        log_level: str = "info",
        component_log_level: str | None = None,
        start_timeout: float = 30.0,
        listener: str = "ingress",
        envoy: str | None = None,
        command_prefix: Sequence[str] = (),
        args: Sequence[str] = (),
    ):
        self.envoy = envoy  # the binary; default: paths.envoy_bin()
        # Put in front of the binary, e.g. ["valgrind", "--tool=callgrind"] (then `envoy` must be
        # the real binary, paths.envoy_native_bin(), not the venv's Python launcher).
        self.command_prefix = list(command_prefix)
        self.args = list(args)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.boot_path = boot if isinstance(boot, Path) else write_bootstrap(self.workdir, boot)
        self.log_path = self.workdir / "envoy.log"
        self.admin_path = self.workdir / "admin.address"
        self.concurrency = concurrency
        self.log_level = log_level
        self.component_log_level = component_log_level
        self.start_timeout = start_timeout
        self.listener = listener
        self.proc: subprocess.Popen | None = None
        self.admin: str | None = None  # "127.0.0.1:PORT"
        self.port: int | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> None:
        """Starts Envoy and waits until /ready answers 200; EnvoyStartError (with the log's
        tail) if it exits or is not ready within start_timeout."""
        if self.admin_path.exists():
            self.admin_path.unlink()
        cmd = [
            *self.command_prefix,
            self.envoy or envoy_bin(),
            "-c", str(self.boot_path),
            "--use-dynamic-base-id",
            "--concurrency", str(self.concurrency),
            "-l", self.log_level,
            "--admin-address-path", str(self.admin_path),
            # File access logs written within 0.2 s rather than Envoy's 10 s, so a reader sees
            # each request's line while the test or demo runs.
            "--file-flush-interval-msec", "200",
            *self.args,
        ]  # fmt: skip
        if self.component_log_level:
            cmd += ["--component-log-level", self.component_log_level]
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        finally:
            log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EnvoyStartError(f"envoy exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.admin is None and self.admin_path.exists():
                text = self.admin_path.read_text().strip()
                if text:
                    self.admin = text
            if self.admin is not None:
                try:
                    status, _ = http_get(f"http://{self.admin}/ready", timeout=1)
                except OSError:
                    status = 0
                if status == 200:
                    self.port = self._listener_port()
                    return
            time.sleep(0.05)
        raise EnvoyStartError(f"envoy not ready after {self.start_timeout}s:\n{self.log_tail()}")

    def _listener_port(self) -> int:
        _, body = http_get(f"http://{self.admin}/listeners?format=json")
        for status in json.loads(body)["listener_statuses"]:
            if status["name"] == self.listener:
                return int(status["local_address"]["socket_address"]["port_value"])
        raise EnvoyStartError(f"no {self.listener} listener in {body}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        kill_group(proc)

    # -- inspection --------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_relevant(self, lines: int = 25) -> str:
        """The last plugin (`wasm`, `dynamic_modules`) lines and warnings/errors: what a failing
        test needs."""
        keep = [
            line
            for line in self.log_text().splitlines()
            if "wasm" in line
            or "][dynamic_modules]" in line
            or "][warning][" in line
            or "][error][" in line
            or "][critical][" in line
        ]
        return "\n".join(keep[-lines:])

    def stats(self, prefix: str = "") -> dict[str, int]:
        """Envoy's stats whose names match the regex `prefix` (admin /stats?filter=)."""
        _, body = http_get(f"http://{self.admin}/stats?format=json&filter={prefix}")
        return {s["name"]: s.get("value") for s in json.loads(body)["stats"] if "value" in s}

    # -- clients -----------------------------------------------------------

    def request(self, method: str = "GET", target: str | bytes = "/", **kw) -> Response:
        """One raw HTTP/1.1 request to the listener (see client.http1_request)."""
        assert self.port, "envoy not started"
        return http1_request(self.port, method, target, **kw)

    def get(self, target: str | bytes = "/", **kw) -> Response:
        return self.request("GET", target, **kw)

    def h2(self, method: str, path: str, headers=(), **kw) -> H2Response:
        """One h2c request to the listener (see client.h2_request)."""
        assert self.port, "envoy not started"
        return h2_request(self.port, method, path, headers, **kw)


class PluginEnvoy(Envoy):
    """Envoy running the plugin (default: `plugin.plugin()`) with `config` (see
    `bootstrap.plugin_bootstrap`, also for `before` and `per_filter_config`) in front of
    127.0.0.1:`upstream_port`; `with_plugin=False` is
    the same listener without the plugin."""

    def __init__(
        self,
        config,
        upstream_port: int,
        workdir: Path,
        *,
        with_plugin: bool = True,
        hcm=None,
        plugin: Plugin | None = None,
        before=(),
        per_filter_config=None,
        **kw,
    ):
        self.plugin = plugin or default_plugin()
        boot = plugin_bootstrap(
            config,
            upstream_port,
            with_plugin=with_plugin,
            hcm=hcm,
            plugin=self.plugin,
            before=before,
            per_filter_config=per_filter_config,
        )
        super().__init__(boot, workdir, **kw)
        self.config = config
