"""Raw HTTP clients for loopback: HTTP/1.1 that sends exactly the bytes it is given, and h2c
(prior knowledge, with the `h2` package, imported when used)."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from collections.abc import Iterable, Mapping, Sequence

from envoylib.paths import LOOPBACK


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
