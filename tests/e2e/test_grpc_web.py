"""gRPC-web (issue 11) through a real Envoy, over HTTP/1.1 and h2: the maintenance reply and the
`upstream_fallback` reply a gRPC-web client understands, and exact gRPC content-type matching.

The reply (docs/src/response.md): HTTP 200, the request's gRPC-web content type,
`grpc-status: 14` and the percent-encoded `grpc-message` as headers, and the same trailers as one
gRPC-web trailer frame in the body (base64 for `-text`). Envoy drops the content-type of a local
reply without a body, so a headers-only reply would reach the client without one.
"""

from __future__ import annotations

import base64
import json
import copy
import socket
import struct
import urllib.parse

import harness
import pytest

REASON = "Upgrade: 100% done soon, café ☕"
ENCODED = urllib.parse.quote(REASON.encode(), safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~")
CONFIG = {"enabled": True, "reason": REASON, "retry_after": 60}

WEB_TYPES = {
    "application/grpc-web": "application/grpc-web",
    "application/grpc-web+proto": "application/grpc-web+proto",
    "application/grpc-web-text": "application/grpc-web-text",
    "application/grpc-web-text+proto": "application/grpc-web-text+proto",
    "Application/GRPC-Web+Proto; charset=utf-8": "application/grpc-web+proto",
}

# one empty gRPC message frame: flag 0, length 0
EMPTY_MESSAGE = b"\x00\x00\x00\x00\x00"


def trailer_frame(body: bytes, text: bool) -> dict[str, str]:
    """The trailers of a gRPC-web body that holds exactly one trailer frame."""
    if text:
        body = base64.b64decode(body, validate=True)
    assert body[0] == 0x80, body
    (length,) = struct.unpack(">I", body[1:5])
    assert len(body) == 5 + length, body
    block = body[5:].decode("ascii")
    assert block.endswith("\r\n"), block
    trailers = {}
    for line in block[:-2].split("\r\n"):
        name, value = line.split(":", 1)
        trailers[name] = value
    return trailers


def assert_grpc_web_reply(status: int, header, body: bytes, content_type: str, reason: str = REASON) -> None:
    assert status == 200, (status, body)
    assert header("content-type") == content_type
    assert header("grpc-status") == "14"
    message = header("grpc-message")
    assert message == ENCODED if reason == REASON else urllib.parse.unquote(message) == reason
    assert all(0x20 <= ord(c) <= 0x7E for c in message), message
    assert urllib.parse.unquote(message, errors="strict") == reason
    assert header("cache-control") == "no-store"
    trailers = trailer_frame(body, text="-text" in content_type)
    assert trailers == {"grpc-status": "14", "grpc-message": message}, trailers


def web_headers(content_type: str) -> list[tuple[str, str]]:
    return [("content-type", content_type), ("x-grpc-web", "1"), ("x-user-agent", "grpc-web-javascript/0.1")]


class TestMaintenance:
    CONFIG = CONFIG

    @pytest.mark.parametrize("sent", list(WEB_TYPES))
    def test_http1(self, envoy, sent):
        r = envoy.request("POST", "/pkg.Svc/Method", headers=web_headers(sent), body=EMPTY_MESSAGE)
        assert not r.from_upstream
        assert_grpc_web_reply(r.status, r.header, r.body, WEB_TYPES[sent])
        assert int(r.header("content-length")) == len(r.body)
        assert r.header("retry-after") == "60"

    @pytest.mark.parametrize("sent", list(WEB_TYPES))
    def test_h2(self, envoy, sent):
        r = envoy.h2("POST", "/pkg.Svc/Method", web_headers(sent), body=EMPTY_MESSAGE)
        assert_grpc_web_reply(r.status, r.header, r.body, WEB_TYPES[sent])
        assert r.trailers == []

    @pytest.mark.parametrize("content_type", ["application/grpcfoo", "application/grpc-webfoo", "application/grpc-"])
    def test_look_alikes_are_not_grpc(self, envoy, content_type):
        r = envoy.request("POST", "/x", headers=[("content-type", content_type)], body=b"x")
        assert r.status == 503, r
        assert r.header("grpc-status") is None, r
        assert r.header("content-type") == "text/plain; charset=utf-8", r

    def test_grpc_with_parameters_gets_a_grpc_status(self, envoy):
        # Envoy does not take `application/grpc;…` for gRPC; the plugin still answers with the
        # gRPC status (Envoy drops the content-type of this body-less reply: docs/src/response.md).
        r = envoy.h2(
            "POST",
            "/pkg.Svc/Method",
            [("content-type", "application/grpc; charset=utf-8"), ("te", "trailers")],
            body=EMPTY_MESSAGE,
        )
        assert r.status == 200, r
        assert r.headers_only, r
        assert r.header("grpc-status") == "14", r
        assert urllib.parse.unquote(r.header("grpc-message"), errors="strict") == REASON


class TestBehindEnvoysGrpcWebFilter:
    """Envoy's grpc_web filter before the plugin turns gRPC-web into gRPC: the plugin answers
    gRPC and the grpc_web filter turns that into its own trailers-only gRPC-web reply."""

    CONFIG = CONFIG

    @staticmethod
    def HCM(plugin: harness.Plugin) -> dict:
        return {
            "http_filters": [
                {
                    "name": "envoy.filters.http.grpc_web",
                    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb"},
                },
                plugin.http_filter(CONFIG),
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
                },
            ]
        }

    @pytest.mark.parametrize("sent", ["application/grpc-web", "application/grpc-web-text+proto"])
    def test_http1(self, envoy, sent):
        r = envoy.request("POST", "/pkg.Svc/Method", headers=web_headers(sent), body=EMPTY_MESSAGE)
        assert r.status == 200, r
        assert r.header("content-type").startswith("application/grpc-web"), r
        assert r.header("grpc-status") == "14", r
        assert urllib.parse.unquote(r.header("grpc-message"), errors="strict") == REASON


# ---------------------------------------------------------------------------
# upstream_fallback
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refused_port():
    """A loopback port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind((harness.LOOPBACK, 0))
        yield sock.getsockname()[1]


def with_refused_cluster(boot: dict, refused_port: int) -> dict:
    """`/refused…` routed to a cluster whose only endpoint refuses connections."""
    manager = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    routes = manager["route_config"]["virtual_hosts"][0]["routes"]
    routes.insert(0, {"match": {"prefix": "/refused"}, "route": {"cluster": "refused", "timeout": "5s"}})
    refused = copy.deepcopy(boot["static_resources"]["clusters"][0])
    refused["name"] = refused["load_assignment"]["cluster_name"] = "refused"
    endpoint = refused["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    endpoint["address"]["socket_address"]["port_value"] = refused_port
    boot["static_resources"]["clusters"].append(refused)
    return boot


FALLBACK = {"reason": "Back soon", "upstream_fallback": {}}


@pytest.fixture(scope="module")
def fallback_envoy(plugin, upstream, envoy_dir, refused_port):
    boot = with_refused_cluster(harness.bootstrap(FALLBACK, upstream.port, plugin=plugin), refused_port)
    e = harness.Envoy(FALLBACK, upstream.port, envoy_dir / f"grpc-web-fallback-{plugin.kind}", plugin=plugin)
    e.boot_path.write_text(json.dumps(boot))
    with e:
        yield e


@pytest.mark.parametrize("sent", list(WEB_TYPES))
def test_fallback_http1(fallback_envoy, sent):
    r = fallback_envoy.request("POST", "/refused/pkg.Svc/Method", headers=web_headers(sent), body=EMPTY_MESSAGE)
    assert_grpc_web_reply(r.status, r.header, r.body, WEB_TYPES[sent], reason="Back soon")
    assert int(r.header("content-length")) == len(r.body)


@pytest.mark.parametrize("sent", ["application/grpc-web+proto", "application/grpc-web-text"])
def test_fallback_h2(fallback_envoy, sent):
    r = fallback_envoy.h2("POST", "/refused/pkg.Svc/Method", web_headers(sent), body=EMPTY_MESSAGE)
    assert_grpc_web_reply(r.status, r.header, r.body, WEB_TYPES[sent], reason="Back soon")


def test_fallback_upstream_success_passes(fallback_envoy):
    r = fallback_envoy.request(
        "POST", "/pkg.Svc/Method", headers=web_headers("application/grpc-web"), body=EMPTY_MESSAGE
    )
    assert r.from_upstream and r.status == 200, r
    assert r.header("grpc-status") is None
