#!/usr/bin/env python3
"""Instructions per request, counted by callgrind on the real Envoy: deterministic, unlike
requests per second on a shared machine, so ratios can be guarded in CI (`make bench-ci`).

Each scenario is one Envoy (`--concurrency 1`) started under
`valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes` (envoylib's
`command_prefix`). The benchmark turns instrumentation on (`callgrind_control -i on`), sends
warm-up requests on one keep-alive connection, zeroes the counters (`-z`), sends `--requests`
more, dumps (`-d`), and reads the instruction count (Ir) of the busiest thread, the worker
that served them (the main thread's timers and stats flushes are left out). The same is done a
second time with twice the requests, and the cost per request is the difference over the extra
requests, so the fixed costs of a dump cancel out.

Scenarios are data: one `Case(...)` line each in CASES; `GUARDS` are the CI limits, each with
what it keeps. The plugin runs as the wasm, or as the native module (`native-*` rows); the
reference rows send the same 503 (status, headers and body, byte for byte) without the plugin:
Envoy's own `direct_response` route, a Lua filter's `respond()`, the no-op wasm filter. Run from
the repository root as `python -m bench.instructions` (`make bench` runs it after the throughput
table; `make bench-ci` runs the guarded scenarios alone with `--ci`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from hashlib import sha256
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from envoylib.bootstrap import ROUTER
from envoylib.paths import DEFAULT_MODULE, DEFAULT_WASM, LOOPBACK, REPO, envoy_native_bin
from envoylib.plugin import DECISION_STATE, MODULE, WASM, Plugin
from envoylib.process import Envoy, PluginEnvoy
from bench.bench import many_rules_config

HOST = "shop.example.com"
PATH = "/catalog/item?id=42"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
UPSTREAM_BODY = "ok\n"
RULES = 10_000

# ---------------------------------------------------------------------------
# configurations
# ---------------------------------------------------------------------------

BASE = {"reason": "Planned database upgrade.", "retry_after": 600, "bypass": {"paths": ["/admin", "/healthz"]}}
OFF = {**BASE, "enabled": False}
ON = {**BASE, "enabled": True}
# Maintenance on for one other host: the benchmark request is out of scope.
ON_ONE_RULE = {**ON, "routes": [{"hosts": ["app-0.example.org"]}]}
STATUS_PATH = {"status_path": "/.well-known/maintenance"}
TRANSLATED = {**ON, "translations": {"fr": {"title": "Maintenance en cours", "reason": "Mise à jour."}}}
BYPASS_HEADER = {**BASE, "bypass": {**BASE["bypass"], "header": "x-maintenance-bypass-kind"}}
TOKEN_HEADER = "x-maintenance-bypass"
TOKEN = "operators-token-2026"
TOKEN_BYPASS = {
    **ON,
    "bypass": {**BASE["bypass"], "tokens": [{"header": TOKEN_HEADER, "sha256": sha256(TOKEN.encode()).hexdigest()}]},
}


def prefix_routes(last_prefix: str, host: str | None = HOST, count: int = RULES) -> dict:
    """Maintenance on for `count` path prefixes, the last one `last_prefix`, on the benchmark
    request's own host (the most common shape of a large configuration), or on every host."""
    prefixes = [f"/department-{i}" for i in range(count - 1)] + [last_prefix]
    hosts = {"hosts": [host]} if host else {}
    return {**ON, "routes": [{**hosts, "path_prefix": prefix} for prefix in prefixes]}


# What a browser sends for a page (Chrome 124 on Linux, after a few visits): 17 headers,
# 1.46 KB with the request line, a 627-byte cookie.
COOKIE = "; ".join([
    "session=" + "s3ss10n" * 9,
    "_ga=GA1.1.1234567890.1714000000",
    "_ga_ABCDEF1234=GS1.1.1714000000.12.1.1714003600.0.0.0",
    "_gid=GA1.2.987654321.1714000000",
    "consent=" + "necessary:1,analytics:1,marketing:0," * 2,
    "cart=" + "item-42x2|item-7x1|" * 6,
    "csrftoken=" + "c5rf" * 16,
    "recently_viewed=" + "1001,1002,1003,1004,1005," * 4,
    "theme=dark; lang=en-US; currency=EUR",
])  # fmt: skip
BROWSER = (
    ("connection", "keep-alive"),
    ("cache-control", "max-age=0"),
    ("sec-ch-ua", '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("upgrade-insecure-requests", "1"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-user", "?1"),
    ("sec-fetch-dest", "document"),
    ("referer", "https://shop.example.com/catalog/shoes?page=2&sort=price&utm_source=newsletter&utm_medium=email"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-US,en;q=0.9"),
    ("cookie", COOKIE),
)  # fmt: skip


def rfc3339(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def notice_lead_time() -> dict:
    """Maintenance planned to start in 6 hours, announced a day ahead: the request is in the lead
    time and in scope, so its response carries `maintenance-notice`."""
    start = time.time() + 6 * 3600
    window = {"start": rfc3339(start), "end": rfc3339(start + 3600)}
    return {**ON, "windows": [window], "notice_before": 86400}


# Envoy's file access log printing the plugin's decision (docs/src/rollouts.md, "The decision in the access log").
ACCESS_LOG = {
    "access_log": [
        {
            "name": "envoy.access_loggers.file",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                "path": "/dev/null",
                "log_format": {
                    "text_format_source": {"inline_string": f"%RESPONSE_CODE% %FILTER_STATE({DECISION_STATE}:PLAIN)%\n"}
                },
            },
        }
    ]
}


def many_rules(count: int = RULES) -> dict:
    """Maintenance on, `count` routes that do not cover the benchmark request and `count` bypass
    paths (the throughput benchmark's configuration): the request passes through."""
    return {**ON, **many_rules_config(count)}


# ---------------------------------------------------------------------------
# scenarios: one line each
# ---------------------------------------------------------------------------

NO_FILTER = "none"  # `config` for no filter at all
NOOP = "noop"  # the no-op wasm filter, pass-through
NOOP_MODULE = "noop-module"  # the no-op dynamic module, pass-through
NOOP_REPLY = "noop-reply"  # the no-op wasm filter answering with the plugin's page, byte for byte
DIRECT = "direct-response"  # Envoy's direct_response route answering with the plugin's page
LUA = "lua-respond"  # a Lua filter's respond() with the plugin's page


@dataclass
class Case:
    """One measured scenario. `config`: the plugin configuration (dict), or NO_FILTER, NOOP,
    NOOP_REPLY, DIRECT or LUA. `plugin`: the build running a configuration (WASM or MODULE).
    `status`: what the request must get. `path`, `host`, `headers` (after `host`): the request,
    default the GET of every scenario with one `accept` header. `ref`: the key its ratio is
    printed against. `body_has`: what the body must contain (default: the plugin's page for a
    503, the upstream's body for a 200). `hcm`: more HttpConnectionManager fields (an access
    log)."""

    key: str
    title: str
    config: object
    status: int
    ref: str = ""
    path: str = PATH
    host: str = HOST
    headers: tuple[tuple[str, str], ...] = (("accept", ACCEPT),)
    body_has: bytes | None = None
    hcm: dict | None = None
    plugin: str = WASM
    per_request: float | None = field(default=None, compare=False)


CASES: list[Case] = [
    Case("none", "pass-through, no filter", NO_FILTER, 200),
    Case("noop", "pass-through, no-op wasm filter", NOOP, 200, ref="none"),
    Case("off", "pass-through, plugin, maintenance off", OFF, 200, ref="noop"),
    Case("on-1", "pass-through, plugin on, 1 route, request out of scope", ON_ONE_RULE, 200, ref="off"),
    Case("on-10k", f"pass-through, plugin on, {RULES:,} routes + {RULES:,} bypass paths, out of scope", many_rules(), 200, ref="off"),
    Case("bypassed", "bypassed request (bypass path /admin), maintenance on", ON, 200, ref="off", path="/admin/users"),
    Case("page", "maintenance page, plugin", ON, 503, ref="noop-reply"),
    Case("noop-reply", "same 503, fixed reply from the no-op wasm filter", NOOP_REPLY, 503, ref="noop"),
    # Each optional feature's hot path (docs/src/performance.md, "What the optional features cost"):
    Case("status-off", "status_path set, maintenance off (the header map read for the path)", {**OFF, **STATUS_PATH}, 200, ref="off"),
    Case("status-on-1", "status_path set, plugin on, 1 route, request out of scope", {**ON_ONE_RULE, **STATUS_PATH}, 200, ref="on-1"),
    Case("notice", "notice_before: in the lead time, in scope, maintenance-notice added", notice_lead_time(), 200, ref="off"),
    Case("translations", "maintenance page in French (translations, accept-language: fr-CA)", TRANSLATED, 503, ref="page", headers=(("accept", ACCEPT), ("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")), body_has=b"Maintenance en cours"),
    Case("decision-off", "dry run, maintenance off: only the access-log decision (off)", {**OFF, "dry_run": True}, 200, ref="off"),
    Case("page-logged", "maintenance page, Envoy's access log printing the decision", ON, 503, ref="page", hcm=ACCESS_LOG),
    Case("bypass-header", "bypassed request (/admin) marked with bypass.header, maintenance on", {**BYPASS_HEADER, "enabled": True}, 200, ref="bypassed", path="/admin/users"),
    Case("bypass-header-off", "bypass.header set, maintenance off (a client's copy removed)", {**BYPASS_HEADER, "enabled": False}, 200, ref="off"),
    Case("dry-run", "dry run, maintenance on: would-be page, goes upstream", {**ON, "dry_run": True}, 200, ref="off"),
    # The native module (crates/module) next to Envoy's own ways of sending the same 503:
    Case("direct", "same 503, Envoy's direct_response route (no filter)", DIRECT, 503, ref="none"),
    Case("lua", "same 503, a Lua filter's respond()", LUA, 503, ref="direct"),
    Case("native-page", "maintenance page, native module", ON, 503, ref="direct", plugin=MODULE),
    Case("noop-module", "pass-through, no-op dynamic module (Envoy's own cost of a module filter)", NOOP_MODULE, 200, ref="none"),
    Case("native-off", "pass-through, native module, maintenance off", OFF, 200, ref="noop-module", plugin=MODULE),
    Case("native-on-10k", f"pass-through, native module on, {RULES:,} routes + {RULES:,} bypass paths, out of scope", many_rules(), 200, ref="none", plugin=MODULE),
    # Production shapes (issue 21): many paths on one host, a real browser's request, a token.
    Case("host-10k-none", f"{RULES:,} path prefixes on the request's host, none matches", prefix_routes("/department-last"), 200, ref="off"),
    Case("host-10k-last", f"{RULES:,} path prefixes on the request's host, the last matches: page", prefix_routes("/catalog"), 503, ref="page"),
    Case("host-10k-odd", f"{RULES:,} path prefixes on {HOST}; another host, an ambiguous path (//catalog)", prefix_routes("/catalog"), 200, ref="off", host="www.example.com", path="//catalog/item"),
    Case("paths-10k-none", f"{RULES:,} path prefixes without hosts, none matches", prefix_routes("/department-last", host=None), 200, ref="off"),
    Case("noop-browser", "browser-like request (17 headers, 1.46 KB): no-op wasm filter", NOOP, 200, ref="noop", headers=BROWSER),
    Case("off-browser", "browser-like request: plugin, maintenance off", OFF, 200, ref="noop-browser", headers=BROWSER),
    Case("page-browser", "browser-like request: maintenance page", ON, 503, ref="noop-reply-browser", headers=BROWSER),
    Case("noop-reply-browser", "browser-like request: fixed reply from the no-op wasm filter", NOOP_REPLY, 503, ref="noop-browser", headers=BROWSER),
    Case("token", "bypassed by a token header (sha256 checked), maintenance on", TOKEN_BYPASS, 200, ref="off", headers=(("accept", ACCEPT), (TOKEN_HEADER, TOKEN))),
    Case("status", "the status endpoint (status_path), maintenance on", {**ON, **STATUS_PATH}, 200, ref="noop-reply", path=STATUS_PATH["status_path"], body_has=b'"active":true'),
]  # fmt: skip


@dataclass(frozen=True)
class Guard:
    """A CI limit (`--ci` fails when scenario/reference exceeds it): set from measured ratios
    with a small margin (N = 50 moves a ratio by about 0.003), and saying what it keeps."""

    key: str
    ref: str
    limit: float
    keeps: str


GUARDS: list[Guard] = [
    Guard("off", "noop", 1.03, "maintenance off costs nothing over any wasm filter (target 1.03)"),
    Guard("off-browser", "noop-browser", 1.03, "the same for a browser's 17 headers (target 1.03)"),
    Guard("on-10k", "off", 1.15, "out of scope with 10,000 routes + 10,000 bypass paths (target 1.12, measured 1.12)"),
    Guard("on-10k", "on-1", 1.02, "10,000 routes on 10,000 hosts cost what 1 does"),
    Guard("host-10k-none", "off", 1.15, "10,000 prefixes on the request's host, none matching (target 1.15)"),
    Guard("paths-10k-none", "off", 1.15, "10,000 prefixes without hosts (the host is not read), none matching (target 1.15)"),
    Guard("host-10k-last", "page", 1.05, "the last of 10,000 prefixes on the host matching: the page as with no routes"),
    Guard("page", "noop-reply", 1.20, "the page vs any wasm filter's fixed reply (target 1.20, measured 1.17)"),
    Guard("page-browser", "noop-reply-browser", 1.20, "the same for a browser's request (target 1.12)"),
    Guard("translations", "page", 1.10, "a page in another language (measured 1.07)"),
    Guard("token", "off", 1.25, "a request let through by a token (measured 1.21: one SHA-256)"),
    Guard("status", "noop-reply", 1.31, "the status endpoint's answer vs a fixed reply (measured 1.29: the document carries in_scope and since, the reply access-control-allow-origin)"),
    Guard("native-page", "direct", 1.10, "the native module's page vs Envoy's own direct_response (target 1.10)"),
    # Against no filter at all the module is 1.03: Envoy's dynamic-module machinery alone
    # (noop-module, every hook empty) costs 1.028x no filter, which no module can go under.
    Guard("native-off", "noop-module", 1.02, "the native module's own cost with maintenance off"),
    # The issue's target for this one, 1.05x no filter, is not met (measured 1.058): this keeps
    # the module's own share from growing.
    Guard("native-on-10k", "noop-module", 1.04, "the native module's own cost out of scope with 10,000 routes + 10,000 bypass paths (measured 1.028)"),
]  # fmt: skip

# ---------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------


def valgrind_prefix(out: Path) -> list[str]:
    return [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
        "--dump-instr=no", "--compress-strings=no", f"--callgrind-out-file={out}",
        "--log-file=" + str(out.parent / "valgrind.log"),
    ]  # fmt: skip


def callgrind_control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def request_bytes(case: Case) -> bytes:
    lines = [f"GET {case.path} HTTP/1.1", f"host: {case.host}"] + [f"{k}: {v}" for k, v in case.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class KeepAlive:
    """One HTTP/1.1 keep-alive connection sending the same request again and again."""

    def __init__(self, port: int, request: bytes):
        self.sock = socket.create_connection((LOOPBACK, port), timeout=60)
        self.request = request
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def _read_more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("envoy closed the connection")
        self.buffer += chunk

    def send(self) -> tuple[int, bytes]:
        """(status, body) of one request; the response must carry content-length."""
        self.sock.sendall(self.request)
        while b"\r\n\r\n" not in self.buffer:
            self._read_more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if length is None:
            raise ConnectionError(f"no content-length in {head!r}")
        size = int(length.group(1))
        while len(self.buffer) < size:
            self._read_more()
        body, self.buffer = self.buffer[:size], self.buffer[size:]
        return status, body


def busiest_thread_ir(out: Path, stamp: int) -> int:
    """The largest `totals:` (Ir) over the per-thread files of dump number `stamp`."""
    best = 0
    for path in out.parent.glob(f"{out.name}.{stamp}-*"):
        found = re.search(r"^(?:totals|summary):\s+(\d+)", path.read_text(errors="replace"), re.M)
        if found:
            best = max(best, int(found.group(1)))
    if best == 0:
        raise RuntimeError(f"no callgrind dump {stamp} next to {out}")
    return best


def measure(envoy: Envoy, case: Case, out: Path, warmup: int, requests: int, expect_body: bytes | None) -> float:
    pid = envoy.proc.pid
    callgrind_control(pid, "-i", "on")
    conn = KeepAlive(envoy.port, request_bytes(case))
    try:

        def send(count: int) -> None:
            for _ in range(count):
                status, body = conn.send()
                wrong_body = (expect_body is not None and body != expect_body) or (
                    case.body_has is not None and case.body_has not in body
                )
                if status != case.status or wrong_body:
                    raise SystemExit(f"{case.key}: got {status} {body[:200]!r}, expected {case.status}")

        send(warmup)
        counts = []
        for stamp, count in ((1, requests), (2, 2 * requests)):
            callgrind_control(pid, "-z")
            send(count)
            callgrind_control(pid, "-d")
            counts.append(wait_dump(out, stamp))
    finally:
        conn.close()
    return (counts[1] - counts[0]) / requests


def wait_dump(out: Path, stamp: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return busiest_thread_ir(out, stamp)
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def lua_string(text: str) -> str:
    """`text` as a Lua long string (taken byte for byte, unlike a quoted one)."""
    if "]==]" in text or text.startswith(("\n", "\r")):
        raise ValueError(f"{text[:40]!r} does not fit a Lua long string")
    return f"[==[{text}]==]"


def lua_respond(headers: list[tuple[str, str]], body: str) -> dict:
    """A Lua filter answering every request with `headers` and `body` and a 503."""
    table = ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in [(":status", "503"), *headers])
    source = f"function envoy_on_request(h)\n  h:respond({{{table}}}, {lua_string(body)})\nend\n"
    return {
        "name": "envoy.filters.http.lua",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": source},
        },
    }


def direct_response_routes(headers: list[tuple[str, str]], body: str) -> dict:
    """A route table answering every request with Envoy's direct_response: a 503 with `body`
    and `headers` (replacing the content-type Envoy would give the body)."""
    add = [{"header": {"key": k, "value": v}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"} for k, v in headers]
    route = {"match": {"prefix": "/"}, "direct_response": {"status": 503, "body": {"inline_string": body}}}
    host = {"name": "all", "domains": ["*"], "routes": [route], "response_headers_to_add": add}
    return {"name": "local", "virtual_hosts": [host]}


def hcm_for(case: Case, plugins: dict[str, Plugin], noop: Path, noop_module: Path, page: Page) -> dict:
    extra: dict = {}
    if case.config == NO_FILTER:
        filters = [ROUTER]
    elif case.config == NOOP:
        filters = [Plugin(WASM, noop).http_filter(""), ROUTER]
    elif case.config == NOOP_MODULE:
        filters = [Plugin(MODULE, noop_module).http_filter(""), ROUTER]
    elif case.config == NOOP_REPLY:
        filters = [Plugin(WASM, noop).http_filter(page.reply), ROUTER]
    elif case.config == DIRECT:
        filters = [ROUTER]
        extra = {"route_config": direct_response_routes(page.headers, page.body.decode())}
    elif case.config == LUA:
        filters = [lua_respond(page.headers, page.body.decode()), ROUTER]
    else:
        filters = [plugins[case.plugin].http_filter(case.config), ROUTER]
    return {"http_filters": filters, **extra, **(case.hcm or {})}


def run_case(case: Case, args, work: Path, upstream_port: int, page: Page) -> float:
    out = work / f"case-{case.key}" / "callgrind.out"
    out.parent.mkdir(parents=True)
    plugins = {WASM: Plugin(WASM, args.wasm), MODULE: Plugin(MODULE, args.module)}
    envoy = PluginEnvoy(
        None, upstream_port, out.parent, with_plugin=False, hcm=hcm_for(case, plugins, args.noop_wasm, args.noop_module, page),
        log_level="warning", start_timeout=args.start_timeout, envoy=envoy_native_bin(),
        command_prefix=valgrind_prefix(out),
    )  # fmt: skip
    with envoy:
        return measure(envoy, case, out, args.warmup, args.requests, expected_body(case, page.body))


def expected_body(case: Case, page: bytes) -> bytes | None:
    """The exact body `case` must get, when known (None: check `body_has` instead)."""
    if case.body_has is not None:
        return None
    if case.status == 200:
        return UPSTREAM_BODY.encode()
    return page  # every 503 here is the plugin's page, or a copy of it byte for byte


@dataclass(frozen=True)
class Page:
    """The plugin's maintenance page for the benchmark request: its headers (without those
    Envoy adds), its body, and both as the no-op filter's reply configuration."""

    headers: list[tuple[str, str]]
    body: bytes

    @property
    def reply(self) -> str:
        return "".join(f"{k}: {v}\n" for k, v in self.headers) + "\n" + self.body.decode()


def plugin_page(plugin: Plugin, upstream_port: int, work: Path) -> Page:
    """The page `plugin` answers the benchmark request with."""
    with PluginEnvoy(ON, upstream_port, work / f"page-{plugin.kind}", plugin=plugin, log_level="warning") as envoy:
        got = envoy.get(PATH, host=HOST, headers=[("accept", ACCEPT)])
    if got.status != 503:
        raise SystemExit(f"the plugin ({plugin.kind}) did not answer with its page: {got!r}")
    return Page([(k, v) for k, v in got.headers if k not in ("content-length", "date", "server")], got.body)


def upstream_envoy(work: Path) -> Envoy:
    route = {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": UPSTREAM_BODY}}}
    hcm = {
        "http_filters": [ROUTER],
        "route_config": {"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route]}]},
    }
    return PluginEnvoy(None, 1, work / "upstream", with_plugin=False, hcm=hcm, log_level="warning")


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def ratio(cases: dict[str, Case], key: str, ref: str) -> float:
    if key not in cases or ref not in cases:
        return float("nan")
    a, b = cases[key].per_request, cases[ref].per_request
    return a / b if a is not None and b else float("nan")


def table(cases: dict[str, Case]) -> str:
    lines = ["| scenario | | instructions/request | ref | ×ref |", "| --- | --- | ---: | --- | ---: |"]
    for c in cases.values():
        r = f"{ratio(cases, c.key, c.ref):.3f}" if c.ref in cases else ""
        lines.append(f"| {c.key} | {c.title} | {c.per_request:,.0f} | {c.ref or '–'} | {r} |")
    return "\n".join(lines)


def guard_table(cases: dict[str, Case]) -> tuple[str, bool]:
    lines = ["| guard | keeps | ratio | limit | |", "| --- | --- | ---: | ---: | --- |"]
    ok = True
    for guard in GUARDS:
        if guard.key not in cases or guard.ref not in cases:
            continue
        r = ratio(cases, guard.key, guard.ref)
        passed = r <= guard.limit
        ok &= passed
        verdict = "ok" if passed else "**EXCEEDED**"
        lines.append(f"| {guard.key} / {guard.ref} | {guard.keeps} | {r:.3f} | {guard.limit:.2f} | {verdict} |")
    return "\n".join(lines), ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wasm", type=Path, default=DEFAULT_WASM)
    ap.add_argument("--module", type=Path, default=DEFAULT_MODULE, help="the native module (`make module`)")
    ap.add_argument("--noop-wasm", type=Path, default=REPO / "target/wasm32-wasip1/release/noop_filter.wasm")
    ap.add_argument("--noop-module", type=Path, default=REPO / "target/noop-module/release/libnoop_module.so")
    ap.add_argument("--requests", type=int, default=200, help="requests per measurement (twice: N and 2N)")
    ap.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    ap.add_argument("--jobs", type=int, default=2, help="scenarios measured at once")
    ap.add_argument("--start-timeout", type=float, default=300, help="seconds for Envoy under valgrind to start")
    ap.add_argument("--only", nargs="*", help="only these scenario keys")
    ap.add_argument(
        "--ci", action="store_true", help="only the guarded scenarios (unless --only); exit 1 when a ratio is exceeded"
    )
    ap.add_argument("--keep", type=Path, help="keep the callgrind files here (for callgrind_annotate)")
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: `apt-get install valgrind` (make bench does it when run as root)")
    args.wasm, args.module = args.wasm.resolve(), args.module.resolve()
    args.noop_wasm, args.noop_module = args.noop_wasm.resolve(), args.noop_module.resolve()
    guarded = {key for guard in GUARDS for key in (guard.key, guard.ref)}
    wanted = set(args.only) if args.only else guarded if args.ci else {c.key for c in CASES}
    cases = {c.key: c for c in CASES if c.key in wanted}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="maintenance-instr-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        with upstream_envoy(work) as upstream:
            page = plugin_page(Plugin(WASM, args.wasm), upstream.port, work)
            if any(c.plugin == MODULE for c in cases.values()):
                native = plugin_page(Plugin(MODULE, args.module), upstream.port, work)
                if native != page:
                    raise SystemExit(f"the module's page differs from the wasm's:\n{native}\n{page}")
            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                futures = {c.key: pool.submit(run_case, c, args, work, upstream.port, page) for c in cases.values()}
                for key, future in futures.items():
                    cases[key].per_request = future.result()
                    print(f"  {key}: {cases[key].per_request:,.0f} instructions/request", flush=True)
    elapsed = time.monotonic() - started
    print()
    print(table(cases))
    print()
    print(f"callgrind (valgrind {valgrind_version()}), Envoy --concurrency 1, worker thread only; "
          f"{args.warmup} warm-up requests, then ({2 * args.requests} − {args.requests}) requests on one "
          f"keep-alive connection; {len(cases)} scenarios, {args.jobs} at a time, in {elapsed:.0f} s.")  # fmt: skip
    guards, ok = guard_table(cases)
    print()
    print(guards)
    if args.ci and not ok:
        print("\nbench-ci: a guarded instruction ratio is exceeded (see above)", file=sys.stderr)
        return 1
    return 0


def valgrind_version() -> str:
    out = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    return out.removeprefix("valgrind-")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
