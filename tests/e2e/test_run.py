"""`make run` as an operator uses it (issue 12): a second run that fails changes nothing of the
running one, run options pass through make, and user errors read as one line, not a traceback.
Also: the tests' own echo upstream stays quiet when a client hangs up (issue 9)."""

from __future__ import annotations

import json
import os
import shlex
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import harness
import pytest
from envoylib import ecds as ecds_lib
from envoylib.process import http_get, kill_group

REPO = harness.REPO
LOOPBACK = harness.LOOPBACK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def run_args(workdir: Path, ports: dict[str, int]) -> list[str]:
    return [
        "--workdir", str(workdir),
        "--listen-port", str(ports["listen"]),
        "--admin-port", str(ports["admin"]),
        "--upstream-port", str(ports["upstream"]),
    ]  # fmt: skip


def envoy_run(plugin: harness.Plugin, config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "envoy.run", "--envoy", harness.envoy_bin(), f"--{plugin.kind}", str(plugin.path),
            "--config", str(config), *args]  # fmt: skip


class Running:
    """A `make run` (or `python -m envoy.run`) process in its own process group, up once its
    Envoy's admin answers /ready; stopped with SIGTERM to the group."""

    def __init__(self, cmd: list[str], admin_port: int, log: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"run exited with {self.proc.returncode}:\n{log.read_text()}")
            try:
                if http_get(f"http://{LOOPBACK}:{admin_port}/ready", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"run not ready:\n{log.read_text()}")

    def stop(self) -> None:
        kill_group(self.proc)


def maintenance_reason(port: int) -> str | None:
    """The reason of the maintenance response on the listener, None when the app answered."""
    r = harness.http1_request(port, "GET", "/", headers=[("accept", "application/json")])
    if r.status == 200 and r.header("x-served-by") == "demo-app":
        return None
    assert r.status == 503 and r.header("cache-control") == "no-store", r
    return r.json()["detail"]


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_a_failed_second_run_changes_nothing_of_the_running_one(tmp_path, plugin):
    first_config = tmp_path / "first.json"
    first_config.write_text(json.dumps({"enabled": True, "reason": "first run"}))
    second_config = tmp_path / "second.json"
    second_config.write_text(json.dumps({"enabled": False}))
    workdir = tmp_path / "run"
    ports = {"listen": free_port(), "admin": free_port(), "upstream": free_port()}
    first = Running(envoy_run(plugin, first_config, *run_args(workdir, ports)), ports["admin"], tmp_path / "first.log")
    try:
        assert maintenance_reason(ports["listen"]) == "first run"
        state = {p: p.read_bytes() for p in sorted(workdir.rglob("*")) if p.is_file() and p.name != "envoy.log"}
        assert workdir / "ecds" / "maintenance-mode.json" in state

        # the same command again (same work directory and ports), with another configuration
        again = subprocess.run(envoy_run(plugin, second_config, *run_args(workdir, ports)),
                               cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert "another `make run`" in one_line_error(again)
        # its own work directory, the running one's ports
        elsewhere = tmp_path / "elsewhere"
        other = subprocess.run(envoy_run(plugin, second_config, *run_args(elsewhere, ports)),
                               cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert f"{LOOPBACK}:{ports['listen']} is in use" in one_line_error(other)
        assert not (elsewhere / "ecds").exists()

        after = {p: p.read_bytes() for p in sorted(workdir.rglob("*")) if p.is_file() and p.name != "envoy.log"}
        assert after == state, "the failed runs rewrote the running one's files"
        time.sleep(0.5)  # what a rewritten ECDS file would take to apply (it is applied within ms)
        assert maintenance_reason(ports["listen"]) == "first run"
        assert first.proc.poll() is None
    finally:
        first.stop()


def test_make_run_passes_config_and_run_args(tmp_path, plugin):
    config = tmp_path / "mine.json"
    config.write_text(json.dumps({"enabled": True, "reason": "passed through make", "bypass": {"paths": ["/admin"]}}))
    workdir = tmp_path / "run"
    ports = {"listen": free_port(), "admin": free_port(), "upstream": free_port()}
    args = " ".join(run_args(workdir, ports))
    cmd = ["make", "--no-print-directory", "run", f"CONFIG={config}", f"RUN_ARGS={args}"]
    if not plugin.is_wasm:
        cmd.append("MODULE=1")
    running = Running(cmd, ports["admin"], tmp_path / "make-run.log")
    try:
        assert maintenance_reason(ports["listen"]) == "passed through make"
        app = harness.http1_request(ports["upstream"], "GET", "/admin/")
        assert app.status == 200 and app.header("x-served-by") == "demo-app", app
        through = harness.http1_request(ports["listen"], "GET", "/admin/")
        assert through.status == 200 and through.header("x-served-by") == "demo-app", through
        live = ecds_lib.read_document(workdir / "ecds" / "maintenance-mode.json")
        assert ecds_lib.plugin_of(live).kind == plugin.kind
        assert json.loads(ecds_lib.plugin_config_text(live))["reason"] == "passed through make"
    finally:
        running.stop()


@pytest.mark.parametrize("problem", ["missing", "directory", "not utf-8"])
def test_an_unreadable_config_is_one_line_and_writes_nothing(tmp_path, problem, plugin):
    config = tmp_path / "config.json"
    if problem == "directory":
        config.mkdir()
    elif problem == "not utf-8":
        config.write_bytes(b'{"reason": "caf\xe9"}')
    workdir = tmp_path / "run"
    ports = {"listen": free_port(), "admin": free_port(), "upstream": free_port()}
    done = subprocess.run(envoy_run(plugin, config, *run_args(workdir, ports)), cwd=REPO, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    line = one_line_error(done)
    assert str(config) in line, line
    assert not workdir.exists()


def test_a_rejected_config_names_the_field_and_writes_nothing(tmp_path, plugin):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"enabled": True, "retry_after": "soon"}))
    workdir = tmp_path / "run"
    ports = {"listen": free_port(), "admin": free_port(), "upstream": free_port()}
    done = subprocess.run(envoy_run(plugin, config, *run_args(workdir, ports)), cwd=REPO, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "invalid plugin configuration: retry_after: " in done.stderr, done.stderr
    assert not (workdir / "ecds").exists()


def test_echo_upstream_is_quiet_when_a_client_hangs_up(upstream, capfd):
    """A client that resets the connection mid-request (Envoy does, when a downstream goes away)
    is not an error worth a traceback in the test output."""
    for _ in range(3):
        with socket.create_connection((LOOPBACK, upstream.port)) as sock:
            sock.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\npartial")
            time.sleep(0.05)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    time.sleep(0.3)
    assert harness.http1_request(upstream.port, "GET", "/after").status == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err


def banner_command(banner: str, label: str) -> list[str]:
    """The curl command the banner prints after `label`, split into words."""
    [line] = [line for line in banner.splitlines() if line.strip().startswith(label)]
    return shlex.split(line[line.index("curl") :])


def test_the_demo_banner_shows_the_status_endpoint_and_a_token_that_passes(tmp_path, plugin):
    """The shipped demo configuration's status endpoint and bypass token, tried with the very
    commands `make run` prints."""
    workdir = tmp_path / "run"
    ports = {"listen": free_port(), "admin": free_port(), "upstream": free_port()}
    log = tmp_path / "demo.log"
    running = Running(
        envoy_run(plugin, REPO / "envoy/maintenance.json", *run_args(workdir, ports)), ports["admin"], log
    )
    try:
        deadline = time.monotonic() + 30
        while "Press Ctrl-C" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        banner = log.read_text()
        token = banner_command(banner, "Pass with the demo token")
        assert token[:2] == ["curl", "-i"] and token[2] == "-H", token
        name, value = token[3].split(": ", 1)
        assert maintenance_reason(ports["listen"]) is not None
        through = harness.http1_request(ports["listen"], "GET", "/", headers=[(name, value)])
        assert through.status == 200 and through.header("x-served-by") == "demo-app", through
        status_url = banner_command(banner, "Is maintenance on?")[-1]
        assert status_url.startswith(f"http://localhost:{ports['listen']}/"), status_url
        status = harness.http1_request(ports["listen"], "GET", status_url.split(str(ports["listen"]), 1)[1])
        assert status.status == 200 and status.json()["active"] is True, status
        preview_url = banner_command(banner, "Preview the page")[-1]
        preview = harness.http1_request(ports["listen"], "GET", preview_url.split(str(ports["listen"]), 1)[1])
        assert preview.status == 200 and "Down for maintenance" in preview.body.decode(), preview
    finally:
        running.stop()
