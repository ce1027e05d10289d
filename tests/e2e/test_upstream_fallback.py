"""`upstream_fallback` (issue 4) through a real Envoy: an upstream failure, or Envoy's own
local reply for one (connection refused, no endpoints), becomes the maintenance response
for in-scope, non-bypassed requests, in every format, while maintenance is off.

The Envoy here routes to four clusters: the echo upstream (which answers `/status/NNN`
with NNN), a cluster whose only endpoint refuses connections, one with no endpoints at
all, and one whose endpoint accepts connections but never answers (route timeout 0.5 s).
"""

from __future__ import annotations

import copy
import json
import socket
import urllib.parse

import grpc
import pytest

import harness

REASON = "The shop is being upgraded."
TITLE = "Back soon"
SHOP = "shop.example.com"

FAILURES = {
    "upstream 503": "/status/503",
    "connection refused": "/refused/x",
    "no endpoints": "/empty/x",
    "direct_response 500 (Envoy Gateway's invalid backend)": "/invalid-backend/x",
}


@pytest.fixture(scope="module")
def silent_port():
    """A loopback port that completes TCP handshakes (the kernel's backlog) but never
    answers: requests to it time out."""
    with socket.socket() as sock:
        sock.bind((harness.LOOPBACK, 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def refused_port():
    """A loopback port that is bound (so nobody else takes it) but not listening:
    connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind((harness.LOOPBACK, 0))
        yield sock.getsockname()[1]


def failing_clusters_bootstrap(
    plugin: harness.Plugin, config, upstream_port: int, refused_port: int, silent_port: int
) -> dict:
    """The harness bootstrap plus routes `/refused…` and `/admin/refused…` to a cluster
    whose endpoint refuses connections, `/empty…` and `/admin/empty…` to one with no
    endpoints, `/silent…` and `/admin/silent…` to one that never answers."""
    boot = harness.bootstrap(config, upstream_port, plugin=plugin)
    manager = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    routes = manager["route_config"]["virtual_hosts"][0]["routes"]
    extra = []
    for cluster in ("refused", "empty", "silent"):
        timeout = "0.5s" if cluster == "silent" else "5s"
        for prefix in (f"/{cluster}", f"/admin/{cluster}"):
            extra.append({"match": {"prefix": prefix}, "route": {"cluster": cluster, "timeout": timeout}})
    # Envoy Gateway's answer for a route whose backends are invalid or missing: a direct_response
    # 500 (envoyproxy/gateway issues 6068, 4998); and a route's deliberate fixed reply.
    for prefix in ("/invalid-backend", "/admin/invalid-backend"):
        extra.append({"match": {"prefix": prefix}, "direct_response": {"status": 500}})
    extra.append({"match": {"prefix": "/fixed"}, "direct_response": {"status": 200, "body": {"inline_string": "ok"}}})
    routes[:0] = extra
    echo = boot["static_resources"]["clusters"][0]
    refused = copy.deepcopy(echo)
    refused["name"] = refused["load_assignment"]["cluster_name"] = "refused"
    endpoint = refused["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    endpoint["address"]["socket_address"]["port_value"] = refused_port
    empty = copy.deepcopy(echo)
    empty["name"] = "empty"
    empty["load_assignment"] = {"cluster_name": "empty", "endpoints": []}
    silent = copy.deepcopy(refused)
    silent["name"] = silent["load_assignment"]["cluster_name"] = "silent"
    endpoint = silent["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    endpoint["address"]["socket_address"]["port_value"] = silent_port
    boot["static_resources"]["clusters"] += [refused, empty, silent]
    return boot


@pytest.fixture(scope="class")
def envoy(request, plugin, upstream, envoy_dir, refused_port, silent_port):
    """Overrides the conftest fixture: same class-scoped Envoy, with the failing clusters."""
    config = request.cls.CONFIG
    workdir = envoy_dir / f"fallback-{request.cls.__name__}-{plugin.kind}"
    e = harness.Envoy(config, upstream.port, workdir, plugin=plugin)
    boot = failing_clusters_bootstrap(plugin, config, upstream.port, refused_port, silent_port)
    e.boot_path.write_text(json.dumps(boot))
    with e:
        yield e


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

ACCEPT = {"plain": None, "html": "text/html", "json": "application/json"}
CONTENT_TYPE = {
    "plain": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/problem+json",
}


def get(envoy, path: str, kind: str = "plain", *, host: str = SHOP, method: str = "GET") -> harness.Response:
    headers = [("accept", ACCEPT[kind])] if ACCEPT[kind] else []
    return envoy.request(method, path, host=host, headers=headers)


def assert_maintenance(r: harness.Response, kind: str, *, status: int = 503, reason: str = REASON) -> None:
    assert not r.from_upstream, r
    assert r.status == status, r
    assert r.header("cache-control") == "no-store", r
    assert r.header("content-type") == CONTENT_TYPE[kind], r
    assert int(r.header("content-length")) == len(r.body), r
    if kind == "json":
        problem = r.json()
        assert problem == {"title": TITLE, "status": status, "detail": reason}, problem
    elif kind == "html":
        assert "<html" in r.text and f"<title>{TITLE}</title>" in r.text and reason in r.text, r.text
    else:
        assert r.text == f"{TITLE}\n\n{reason}\n", r.text


def assert_envoy_error(r: harness.Response, path: str) -> None:
    """The real failure, untouched by the filter."""
    assert r.header("cache-control") is None, r
    if "invalid-backend" in path:
        assert r.status == 500 and r.body == b"", r
        return
    assert r.status == 503, r
    if "status" in path:
        assert r.from_upstream and r.json()["path"] == path, r
    elif "refused" in path:
        assert r.text.startswith("upstream connect error"), r
    else:
        assert r.text == "no healthy upstream", r


def grpc_raw(envoy, path: str, *, authority: str = SHOP) -> harness.H2Response:
    # one empty gRPC message: flag 0, length 0
    return envoy.h2(
        "POST",
        path,
        [("content-type", "application/grpc"), ("te", "trailers")],
        authority=authority,
        body=b"\x00\x00\x00\x00\x00",
    )


def grpc_message(r: harness.H2Response) -> str:
    return urllib.parse.unquote(r.header("grpc-message") or r.trailer("grpc-message") or "")


def grpc_call(port: int, path: str, *, authority: str = SHOP) -> grpc.RpcError:
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.default_authority", authority)]) as channel:
        call = channel.unary_unary(path)
        with pytest.raises(grpc.RpcError) as info:
            call(b"\x00", timeout=10)
    return info.value


# ---------------------------------------------------------------------------
# maintenance off, fallback on
# ---------------------------------------------------------------------------


class TestFallback:
    CONFIG = {
        "reason": REASON,
        "title": TITLE,
        "routes": [{"hosts": [SHOP]}],
        "bypass": {"paths": ["/admin"]},
        "upstream_fallback": {},
    }

    @pytest.mark.parametrize("kind", ["plain", "html", "json"])
    @pytest.mark.parametrize("failure", FAILURES)
    def test_failure_becomes_the_maintenance_response(self, envoy, failure, kind):
        assert_maintenance(get(envoy, FAILURES[failure], kind), kind)

    @pytest.mark.parametrize("status", [502, 504])
    def test_other_default_statuses(self, envoy, status):
        assert_maintenance(get(envoy, f"/status/{status}", "json"), "json")

    @pytest.mark.parametrize("status", [200, 404, 500, 501, 505])
    def test_other_statuses_pass(self, envoy, status):
        r = get(envoy, f"/status/{status}", "html")
        assert r.from_upstream and r.status == status, r
        assert r.header("cache-control") is None, r

    @pytest.mark.parametrize("kind", ["html", "json"])
    def test_upstream_timeout(self, envoy, kind):
        assert_maintenance(get(envoy, "/silent/x", kind), kind)

    def test_upstream_timeout_bypassed(self, envoy):
        r = get(envoy, "/admin/silent/x", "html")
        assert r.status == 504 and r.text == "upstream request timeout", r

    def test_a_fixed_direct_response_is_untouched(self, envoy):
        r = get(envoy, "/fixed", "html")
        assert r.status == 200 and r.text == "ok", r

    def test_grpc_invalid_backend(self, envoy):
        # For gRPC requests Envoy turns the direct_response 500 into grpc-status 2 (UNKNOWN)
        r = grpc_raw(envoy, "/invalid-backend/pkg.Svc/Method")
        assert r.headers_only and r.header("grpc-status") == "14" and grpc_message(r) == REASON, r

    def test_healthy_upstream_untouched(self, envoy):
        r = get(envoy, "/shop/cart")
        assert r.from_upstream and r.status == 200 and r.json()["path"] == "/shop/cart", r

    @pytest.mark.parametrize("failure", FAILURES)
    def test_bypassed_requests_see_the_real_error(self, envoy, failure):
        path = "/admin" + FAILURES[failure]
        for kind in ACCEPT:
            assert_envoy_error(get(envoy, path, kind), path)

    @pytest.mark.parametrize("failure", FAILURES)
    def test_out_of_scope_requests_see_the_real_error(self, envoy, failure):
        path = FAILURES[failure]
        assert_envoy_error(get(envoy, path, "html", host="blog.example.com"), path)

    @pytest.mark.parametrize("failure", FAILURES)
    def test_grpc(self, envoy, failure):
        r = grpc_raw(envoy, FAILURES[failure])
        assert r.status == 200 and r.headers_only, r
        assert r.header("content-type") == "application/grpc", r
        assert r.header("grpc-status") == "14", r
        assert grpc_message(r) == REASON, r
        assert r.header("cache-control") == "no-store", r

    @pytest.mark.parametrize("failure", FAILURES)
    def test_grpc_client(self, envoy, failure):
        err = grpc_call(envoy.port, FAILURES[failure])
        assert err.code() == grpc.StatusCode.UNAVAILABLE, err
        assert err.details() == REASON, err

    @pytest.mark.parametrize("failure", ["connection refused", "no endpoints"])
    def test_grpc_bypassed_sees_envoys_error(self, envoy, failure):
        r = grpc_raw(envoy, "/admin" + FAILURES[failure])
        # Envoy's own gRPC local reply: UNAVAILABLE with its own message.
        assert r.header("grpc-status") == "14", r
        message = grpc_message(r)
        assert message != REASON, r
        assert message.startswith("upstream connect error") or message == "no healthy upstream", r

    def test_grpc_healthy_upstream_untouched(self, envoy):
        r = grpc_raw(envoy, "/pkg.Svc/Method")
        assert r.status == 200 and r.header("x-upstream") == "echo", r

    def test_head(self, envoy):
        plain_length = len(get(envoy, "/empty/x").body)
        r = get(envoy, "/empty/x", method="HEAD")
        assert r.status == 503 and r.body == b"", r
        assert r.header("cache-control") == "no-store", r
        assert int(r.header("content-length")) == plain_length, r

    def test_http2_browser(self, envoy):
        r = envoy.h2("GET", "/refused/x", [("accept", "text/html")], authority=SHOP)
        assert r.status == 503, r
        assert r.header("content-type") == "text/html; charset=utf-8", r
        assert r.header("cache-control") == "no-store", r
        assert REASON.encode() in r.body, r

    def test_no_retry_after_or_until_outside_windows(self, envoy):
        r = get(envoy, "/empty/x", "json")
        assert r.header("retry-after") is None, r
        assert "until" not in r.json(), r

    def test_log_has_no_send_failures(self, envoy):
        get(envoy, "/refused/x")
        assert "could not send" not in envoy.log_text()


class TestFallbackCustom:
    """Own status and statuses list, explicit retry_after, every request in scope."""

    CONFIG = {
        "reason": REASON,
        "title": TITLE,
        "status": 500,
        "retry_after": 90,
        "upstream_fallback": {"statuses": [503]},
    }

    @pytest.mark.parametrize("failure", FAILURES)
    def test_configured_status(self, envoy, failure):
        r = get(envoy, FAILURES[failure], "json")
        assert_maintenance(r, "json", status=500)
        assert r.header("retry-after") == "90", r

    @pytest.mark.parametrize("status", [502, 504])
    def test_unlisted_statuses_pass(self, envoy, status):
        r = get(envoy, f"/status/{status}")
        assert r.from_upstream and r.status == status, r

    def test_grpc_unavailable_still_replaced(self, envoy):
        # Envoy answers gRPC requests for "no healthy upstream" with grpc-status 14, which is
        # how 503 reaches a gRPC client.
        r = grpc_raw(envoy, "/empty/x")
        assert r.header("grpc-status") == "14" and grpc_message(r) == REASON, r
        assert r.header("retry-after") == "90", r


class TestFallbackWhileMaintenanceIsOn:
    """The filter's own 503 is never taken for an upstream failure (no loop, one reply);
    bypassed requests still see the upstream's error."""

    CONFIG = {
        "enabled": True,
        "reason": REASON,
        "title": TITLE,
        "retry_after": 120,
        "bypass": {"paths": ["/admin"]},
        "upstream_fallback": {"statuses": [503]},
    }

    @pytest.mark.parametrize("kind", ["plain", "html", "json"])
    def test_maintenance_reply_untouched(self, envoy, kind):
        r = get(envoy, "/status/200", kind)
        assert_maintenance(r, kind)
        assert r.header_all("retry-after") == ["120"], r

    def test_grpc(self, envoy):
        r = grpc_raw(envoy, "/pkg.Svc/Method")
        assert r.headers_only and r.header("grpc-status") == "14" and grpc_message(r) == REASON, r

    @pytest.mark.parametrize("failure", FAILURES)
    def test_bypassed(self, envoy, failure):
        path = "/admin" + FAILURES[failure]
        assert_envoy_error(get(envoy, path, "html"), path)


# ---------------------------------------------------------------------------
# only upstream failures: never another filter's or plugin instance's local reply
# ---------------------------------------------------------------------------

LUA_503 = """
function envoy_on_request(handle)
  if string.sub(handle:headers():get(":path"), 1, 5) == "/lua/" then
    handle:respond({[":status"] = "503", ["x-from"] = "lua"}, "lua says no")
  end
end
"""
SECOND_REASON = "The second instance is in maintenance."


class TestFallbackLeavesOtherLocalRepliesAlone:
    """The chain is: this plugin (fallback on, every 5xx listed), a Lua filter that answers
    `/lua/…` with its own 503, a second instance of the plugin in maintenance for `/second`
    (in the same VM as the first), the router. The first instance sees those replies in its
    response phase with a listed status, and must leave them as they are: they did not come
    from an upstream. Upstream failures are still replaced."""

    CONFIG = {
        "reason": REASON,
        "title": TITLE,
        "upstream_fallback": {"statuses": [500, 502, 503, 504]},
    }
    SECOND_VM_ID = "maintenance-mode"  # the first instance's: one shared VM

    @pytest.fixture(scope="class")
    @classmethod
    def envoy(cls, request, plugin, upstream, envoy_dir, refused_port, silent_port):
        workdir = envoy_dir / f"fallback-{cls.__name__}-{plugin.kind}"
        e = harness.Envoy(cls.CONFIG, upstream.port, workdir, plugin=plugin)
        boot = failing_clusters_bootstrap(plugin, cls.CONFIG, upstream.port, refused_port, silent_port)
        manager = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        lua = {
            "name": "envoy.filters.http.lua",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                "default_source_code": {"inline_string": LUA_503},
            },
        }
        second = plugin.http_filter(
            {"enabled": True, "reason": SECOND_REASON, "title": TITLE, "routes": [{"path_prefix": "/second"}]},
            name="second-instance",
            instance="second-instance",
            vm_id=cls.SECOND_VM_ID,
        )
        manager["http_filters"][1:1] = [lua, second]
        e.boot_path.write_text(json.dumps(boot))
        with e:
            yield e

    @pytest.mark.parametrize("kind", ["plain", "html", "json"])
    def test_a_lua_reply_is_not_replaced(self, envoy, kind):
        r = get(envoy, "/lua/x", kind)
        assert r.status == 503 and r.header("x-from") == "lua" and r.text == "lua says no", r
        assert r.header("cache-control") is None, r

    @pytest.mark.parametrize("kind", ["plain", "html", "json"])
    def test_the_second_instances_maintenance_reply_is_not_replaced(self, envoy, kind):
        assert_maintenance(get(envoy, "/second/x", kind), kind, reason=SECOND_REASON)

    def test_the_second_instances_grpc_reply_is_not_replaced(self, envoy):
        r = grpc_raw(envoy, "/second/pkg.Svc/Method")
        assert r.headers_only and r.header("grpc-status") == "14", r
        assert grpc_message(r) == SECOND_REASON, r

    def test_an_applications_500_is_not_replaced_unless_listed(self, envoy):
        # 500 is listed here: the application's own 500 is replaced
        assert_maintenance(get(envoy, "/status/500", "json"), "json")

    @pytest.mark.parametrize("failure", FAILURES)
    def test_upstream_failures_are_still_replaced(self, envoy, failure):
        assert_maintenance(get(envoy, FAILURES[failure], "html"), "html")

    def test_a_fixed_direct_response_is_not_replaced(self, envoy):
        r = get(envoy, "/fixed", "html")
        assert r.status == 200 and r.text == "ok", r


class TestFallbackLeavesOtherLocalRepliesAloneSeparateVms(TestFallbackLeavesOtherLocalRepliesAlone):
    """The same with the second instance in its own VM (Envoy Gateway gives each policy one)."""

    SECOND_VM_ID = "second-instance"
