#!/usr/bin/env python3
"""`make bench`: what the maintenance filter costs on the hot path, side by side with a no-op
proxy-wasm filter, Envoy's native `direct_response` and an Envoy Lua filter.

One run starts every Envoy (the real one from the project venv, 1 worker each, loopback only),
checks that each answers as its scenario says, then measures them with wrk in rounds,
alternating scenarios, and prints one table of medians with ratios to each scenario's
reference, the targets, the wasm sizes and the time to apply a 10,000-route configuration.

Standard library only; Envoy processes are started and stopped with envoylib. Run from the
repository root as `python -m bench.bench` (`make bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from envoylib.bootstrap import ROUTER
from envoylib.plugin import WASM, Plugin
from envoylib.client import Response, http1_request
from envoylib.paths import REPO, envoy_bin
from envoylib.process import Envoy, PluginEnvoy

MiB = 1024 * 1024
# The one request every scenario gets: a browser's GET, so maintenance answers with the page.
HOST = "shop.example.com"
PATH = "/catalog/item?id=42"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
UPSTREAM_BODY = "ok\n"
RULES = 10_000

# ---------------------------------------------------------------------------
# configurations
# ---------------------------------------------------------------------------


def many_rules_config(count: int = RULES) -> dict:
    """Maintenance on, `count` routes that do not cover the benchmark request (half by host, half
    by host and path prefix) and `count` bypass paths: the request passes through."""
    routes = []
    for i in range(count):
        if i % 2:
            routes.append({"hosts": [f"svc-{i}.example.com", f"*.svc-{i}.example.net"], "path_prefix": f"/api/v{i}"})
        else:
            routes.append({"hosts": [f"app-{i}.example.org"]})
    return {
        "enabled": True,
        "reason": "Planned database upgrade.",
        "retry_after": 600,
        "routes": routes,
        "bypass": {"paths": [f"/internal/health-{i}" for i in range(count)]},
    }


OFF_CONFIG = {
    "enabled": False,
    "reason": "Planned database upgrade.",
    "retry_after": 600,
    "bypass": {"paths": ["/admin", "/healthz"]},
}
ON_CONFIG = {**OFF_CONFIG, "enabled": True}


def route_config(action: dict, headers_to_add: list | None = None) -> dict:
    route = {"match": {"prefix": "/"}, **action}
    if headers_to_add:
        route["response_headers_to_add"] = headers_to_add
    return {"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route]}]}


TO_UPSTREAM = route_config({"route": {"cluster": "upstream", "timeout": "5s"}})


def lua_filter(status: int, headers: list[tuple[str, str]], body: str) -> dict:
    level = 0
    while f"]{'=' * level}]" in body:
        level += 1
    eq = "=" * level
    fields = ", ".join([f'[":status"] = "{status}"'] + [f'["{k}"] = {json.dumps(v)}' for k, v in headers])
    source = (
        f"local body = [{eq}[\n{body}]{eq}]\n"
        "function envoy_on_request(handle)\n"
        f"  handle:respond({{{fields}}}, body)\n"
        "end\n"
    )
    return {
        "name": "envoy.filters.http.lua",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": source},
        },
    }


def noop_filter(wasm: Path, reply: str = "") -> dict:
    """The no-op filter: pass-through, or with `reply` (header lines, blank line, body) a fixed
    local reply."""
    return Plugin(WASM, wasm).http_filter(reply)


# ---------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    title: str
    ref: str  # the scenario its ratios are taken against ("" for none)
    status: int  # what the benchmark request must get
    hcm: dict = field(default_factory=dict)
    envoy: object = None
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # Envoy CPU time per request
    busy: list[float] = field(default_factory=list)  # Envoy CPU time / wall time

    def median(self, name: str) -> float:
        values = getattr(self, name)
        return statistics.median(values) if values else float("nan")


def scenarios(wasm: Path, noop: Path) -> list[Scenario]:
    plugin = Plugin(WASM, wasm).http_filter
    return [
        Scenario("1", "pass-through, no filter", "", 200, {"http_filters": [ROUTER], "route_config": TO_UPSTREAM}),
        Scenario("2", "pass-through, no-op wasm filter", "1", 200,
                 {"http_filters": [noop_filter(noop), ROUTER], "route_config": TO_UPSTREAM}),
        Scenario("3", "pass-through, plugin, maintenance off", "2", 200,
                 {"http_filters": [plugin(OFF_CONFIG), ROUTER], "route_config": TO_UPSTREAM}),
        Scenario("4", f"pass-through, plugin on, {RULES:,} routes + {RULES:,} bypass paths", "3", 200,
                 {"http_filters": [plugin(many_rules_config()), ROUTER], "route_config": TO_UPSTREAM}),
        Scenario("5", "maintenance page, plugin", "6", 503,
                 {"http_filters": [plugin(ON_CONFIG), ROUTER], "route_config": TO_UPSTREAM}),
        # 6, 7 and 8 get the plugin's exact response once scenario 5 is up (see main).
        Scenario("6", "same 503, Envoy direct_response", "", 503),
        Scenario("7", "same 503, Envoy Lua filter", "6", 503),
        # Not a target: what any proxy-wasm filter pays to send that reply (the SDK's dispatch).
        Scenario("8", "same 503, fixed reply from the no-op wasm filter (the wasm floor)", "6", 503),
        # What `bypass.header` costs while maintenance is off: one header removal per request.
        Scenario("9", "pass-through, plugin, maintenance off, bypass.header set", "3", 200,
                 {"http_filters": [plugin({**OFF_CONFIG, "bypass": {**OFF_CONFIG["bypass"],
                                                                    "header": "x-maintenance-bypass-kind"}}),
                                   ROUTER], "route_config": TO_UPSTREAM}),
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------


def pin(pid: int, cpu: str | None) -> None:
    """Pins every thread of `pid` to `cpu` (a taskset list), when asked."""
    if cpu is not None:
        subprocess.run(["taskset", "-a", "-cp", cpu, str(pid)], check=True, stdout=subprocess.DEVNULL)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_envoy(hcm: dict, upstream_port: int, workdir: Path, cpu: str | None) -> Envoy:
    envoy = PluginEnvoy(
        None,
        upstream_port,
        workdir,
        with_plugin=False,
        hcm=hcm,
        log_level="warning",
        component_log_level="wasm:info",
        start_timeout=60,
    )
    envoy.__enter__()
    pin(envoy.proc.pid, cpu)
    return envoy


def bench_request(port: int) -> Response:
    return http1_request(port, "GET", PATH, host=HOST, headers=[("accept", ACCEPT)])


# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


@dataclass
class WrkResult:
    rps: float
    p50: float
    p99: float
    requests: int
    errors: int
    non_2xx: int


def run_wrk(port: int, seconds: int, connections: int, cpu: str | None) -> WrkResult:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "2s",
           "-H", f"Host: {HOST}", "-H", f"Accept: {ACCEPT}", f"http://127.0.0.1:{port}{PATH}"]  # fmt: skip
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 30).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=_seconds(latency["50"]),
        p99=_seconds(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (make bench does it when run as root)")


# ---------------------------------------------------------------------------
# configuration apply time
# ---------------------------------------------------------------------------

_LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d{3})\]\[(\d+)\]")


def envoy_apply_ms(log: str) -> list[float]:
    """From one Envoy log, per plugin VM (Envoy configures one per thread, plus one to check
    the configuration): the time from the VM's start to its `configuration applied` line, that
    is reading the configuration from Envoy, parsing, validating and compiling it."""
    started: dict[str, float] = {}
    times = []
    for line in log.splitlines():
        found = _LOG_LINE.match(line)
        if not found or "maintenance-mode" not in line:
            continue
        stamp, millis, thread = found.groups()
        when = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + float(millis)
        if line.endswith(" started"):
            started[thread] = when
        elif "configuration applied" in line and thread in started:
            times.append((when - started.pop(thread)) * 1000)
    return times


def native_apply_ms(config_path: Path) -> str:
    """`config::parse` of the same configuration and `decide` for the benchmark request,
    natively (cargo example, release)."""
    proc = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "native_bench", "-p", "maintenance-core", "--", str(config_path), HOST, PATH, ACCEPT],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0:
        return f"failed: {proc.stderr.strip()[-300:]}"
    return proc.stdout.strip()


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def paired_ratio(s: Scenario, ref: Scenario, name: str) -> float:
    """The median over rounds of this scenario's value over its reference's in the same round:
    the two ran back to back, so load from outside the benchmark mostly cancels out."""
    pairs = [a / b for a, b in zip(getattr(s, name), getattr(ref, name), strict=False) if b]
    return statistics.median(pairs) if pairs else float("nan")


def fmt_latency(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


def table(runs: dict[str, Scenario]) -> str:
    lines = [
        "| # | scenario | ref | req/s | ×ref | p50 | ×ref | p99 | ×ref | Envoy RSS | ×ref | Envoy CPU/req | ×ref | Envoy busy |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in runs.values():
        ref = runs.get(s.ref)
        r = (lambda name, s=s, ref=ref: f"{paired_ratio(s, ref, name):.2f}") if ref else (lambda name: "")
        lines.append(
            f"| {s.key} | {s.title} | {s.ref or '–'} | {s.median('rps'):,.0f} | {r('rps')} "
            f"| {fmt_latency(s.median('p50'))} | {r('p50')} | {fmt_latency(s.median('p99'))} | {r('p99')} "
            f"| {s.median('rss') / MiB:.1f} MiB | {r('rss')} | {s.median('cpu_us'):.1f} µs | {r('cpu_us')} "
            f"| {s.median('busy') * 100:.0f}% |"
        )
    return "\n".join(lines)


def targets(runs: dict[str, Scenario], wasm_size: int, apply_ms: float | None) -> list[str]:
    m = {k: {n: s.median(n) for n in ("rps", "p50", "p99", "rss")} for k, s in runs.items()}

    def rps(key: str, ref: str) -> float:
        return paired_ratio(runs[key], runs[ref], "rps")

    def check(ok: bool) -> str:
        return "met" if ok else "**missed**"

    out = []
    r = rps("3", "2")
    out.append(f"- plugin off vs no-op filter (3 vs 2): {r:.3f}× req/s; target ≥ 0.97: {check(r >= 0.97)}")
    r = rps("4", "3")
    out.append(f"- {RULES:,} rules vs off (4 vs 3): {r:.3f}× req/s; target ≥ 0.95: {check(r >= 0.95)}")
    r7 = rps("5", "7")
    out.append(f"- plugin page vs Lua (5 vs 7): {r7:.3f}× req/s; target ≥ 1.00: {check(r7 >= 1.0)}")
    r6 = rps("5", "6")
    out.append(f"- plugin page vs direct_response (5 vs 6): {r6:.3f}× req/s; target ≥ 0.90: {check(r6 >= 0.9)}")
    r8 = rps("5", "8")
    out.append(f"  (for reference, plugin page vs the wasm floor, 5 vs 8: {r8:.3f}× req/s)")
    d = (m["3"]["rss"] - m["2"]["rss"]) / MiB
    out.append(f"- Envoy RSS, plugin off vs no-op filter (3 − 2): {d:+.2f} MiB; target ≤ 2 MiB: {check(d <= 2)}")
    out.append(f"- wasm size: {wasm_size / 1024:.1f} KiB; target ≤ 340 KiB: {check(wasm_size <= 340 * 1024)}")
    if apply_ms is not None:
        out.append(
            f"- {RULES:,}-route config applied in Envoy: {apply_ms:.0f} ms; target < 50 ms: {check(apply_ms < 50)}"
        )
    return out


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} × {model}, Linux {os.uname().release}"


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wasm", type=Path, default=REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm")
    ap.add_argument("--noop-wasm", type=Path, default=REPO / "target/wasm32-wasip1/release/noop_filter.wasm")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3, help="wrk duration per scenario and round")
    ap.add_argument("--warmup", type=int, default=1, help="seconds of unrecorded load per scenario first")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--no-pin", action="store_true", help="do not pin Envoy and wrk to separate CPUs")
    ap.add_argument("--no-native", action="store_true", help="skip the native config::parse timing")
    args = ap.parse_args()

    ensure_wrk()
    wasm, noop = args.wasm.resolve(), args.noop_wasm.resolve()
    for path in (wasm, noop):
        if not path.is_file():
            sys.exit(f"{path} is missing: run `make bench` (it builds both filters)")
    # The measured Envoys get one CPU; wrk and the upstream Envoy the other.
    pinned = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset")
    measured_cpu, load_cpu = ("1", "0") if pinned else (None, None)

    runs = {s.key: s for s in scenarios(wasm, noop)}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="maintenance-bench-") as tmp:
        work = Path(tmp)
        envoys: list[Envoy] = []
        try:
            upstream = start_envoy(
                {"http_filters": [ROUTER],
                 "route_config": route_config({"direct_response": {"status": 200, "body": {"inline_string": UPSTREAM_BODY}}})},
                1, work / "upstream", load_cpu,
            )  # fmt: skip
            envoys.append(upstream)
            for s in runs.values():
                if s.hcm:
                    s.envoy = start_envoy(s.hcm, upstream.port, work / f"s{s.key}", measured_cpu)
                    envoys.append(s.envoy)
            page = bench_request(runs["5"].envoy.port)
            if page.status != 503 or page.header("content-type") != "text/html; charset=utf-8":
                raise SystemExit(f"scenario 5 did not answer with the maintenance page: {page!r}")
            headers = [(k, v) for k, v in page.headers if k not in ("content-length", "date", "server")]
            body = page.body.decode("utf-8")
            runs["6"].hcm = {
                "http_filters": [ROUTER],
                "route_config": route_config(
                    {"direct_response": {"status": 503, "body": {"inline_string": body}}},
                    [{"header": {"key": k, "value": v}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
                     for k, v in headers],
                ),
            }  # fmt: skip
            runs["7"].hcm = {"http_filters": [lua_filter(503, headers, body), ROUTER], "route_config": TO_UPSTREAM}
            reply = "".join(f"{k}: {v}\n" for k, v in headers) + "\n" + body
            runs["8"].hcm = {"http_filters": [noop_filter(noop, reply), ROUTER], "route_config": TO_UPSTREAM}
            for key in ("6", "7", "8"):
                runs[key].envoy = start_envoy(runs[key].hcm, upstream.port, work / f"s{key}", measured_cpu)
                envoys.append(runs[key].envoy)

            # Every scenario must answer as it claims before it is measured.
            for s in runs.values():
                got = bench_request(s.envoy.port)
                if got.status != s.status:
                    raise SystemExit(f"scenario {s.key} answered {got.status}, not {s.status}: {got!r}")
                if s.status == 200 and got.body != UPSTREAM_BODY.encode():
                    raise SystemExit(f"scenario {s.key} did not pass through to the upstream: {got!r}")
                if s.status == 503:
                    same = {(k, v) for k, v in got.headers if k not in ("date", "server")}
                    want = {(k, v) for k, v in page.headers if k not in ("date", "server")}
                    if got.body != page.body or same != want:
                        raise SystemExit(f"scenario {s.key} differs from the plugin's response: {got!r} vs {page!r}")

            apply_times = envoy_apply_ms(runs["4"].envoy.log_text())
            apply_ms = statistics.median(apply_times) if apply_times else None
            print(f"measuring: {len(runs)} scenarios x {args.rounds} rounds x {args.seconds:g} s, "
                  f"wrk 1 thread {args.connections} connections, Envoy --concurrency 1"
                  f"{', pinned to CPU ' + measured_cpu if measured_cpu else ''}", flush=True)  # fmt: skip
            if args.warmup > 0:
                for s in runs.values():
                    run_wrk(s.envoy.port, args.warmup, args.connections, load_cpu)
            order = list(runs)
            for round_no in range(args.rounds):
                # Forward, then backward: each scenario runs next to its reference, and no
                # scenario always runs first.
                for key in order if round_no % 2 == 0 else order[::-1]:
                    s = runs[key]
                    cpu_before, wall_before = cpu_seconds(s.envoy.proc.pid), time.monotonic()
                    result = run_wrk(s.envoy.port, args.seconds, args.connections, load_cpu)
                    cpu = cpu_seconds(s.envoy.proc.pid) - cpu_before
                    if result.errors or result.requests == 0:
                        raise SystemExit(f"scenario {key}: {result.errors} socket errors in {result.requests} requests")
                    expected_non_2xx = result.requests if s.status >= 300 else 0
                    # wrk counts responses still in flight at the end as requests; allow those.
                    if abs(result.non_2xx - expected_non_2xx) > args.connections:
                        raise SystemExit(f"scenario {key}: {result.non_2xx} non-2xx of {result.requests}")
                    s.rps.append(result.rps)
                    s.p50.append(result.p50)
                    s.p99.append(result.p99)
                    s.rss.append(rss_bytes(s.envoy.proc.pid))
                    s.cpu_us.append(cpu / result.requests * 1e6)
                    s.busy.append(cpu / (time.monotonic() - wall_before))
                print(f"  round {round_no + 1}/{args.rounds}: "
                      + ", ".join(f"{k}: {runs[k].rps[-1]:,.0f}/s" for k in order), flush=True)  # fmt: skip
        finally:
            for envoy in reversed(envoys):
                envoy.stop()

        config_path = work / "rules.json"
        config_path.write_text(json.dumps(many_rules_config()))
        native = None if args.no_native else native_apply_ms(config_path)
        elapsed = time.monotonic() - started

    wasm_size, noop_size = wasm.stat().st_size, noop.stat().st_size
    print()
    print(table(runs))
    print()
    print(f"Machine: {machine()}. Envoy {envoy_version()} --concurrency 1; wrk -t1 -c{args.connections}; "
          f"{args.rounds} rounds x {args.seconds:g} s per scenario, alternating; medians. "
          f"Run took {elapsed:.0f} s.")  # fmt: skip
    print(f"Wasm: plugin {wasm_size:,} bytes ({wasm_size / 1024:.1f} KiB), no-op filter {noop_size:,} bytes "
          f"({noop_size / 1024:.1f} KiB).")  # fmt: skip
    print(f"Applying the {RULES:,}-route + {RULES:,}-bypass-path configuration: "
          + (f"{apply_ms:.0f} ms in Envoy (median of {len(apply_times)} VMs: VM start to "
             f"`configuration applied`, log timestamps)"
             if apply_ms is not None else "not found in the Envoy log")
          + (f"; natively {native}" if native else "") + ".")  # fmt: skip
    print()
    print("Targets:")
    for line in targets(runs, wasm_size, apply_ms):
        print(line)
    return 0


def envoy_version() -> str:
    out = subprocess.run([envoy_bin(), "--version"], capture_output=True, text=True).stdout
    found = re.search(r"/(\d+\.\d+\.\d+)/", out)
    return found.group(1) if found else "?"


if __name__ == "__main__":
    sys.exit(main())
