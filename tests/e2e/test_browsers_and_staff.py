"""Maintenance that browsers, certificates and logged-in staff get right (issue 23), through a
real Envoy: CORS on what the plugin answers and its preflight answer (also read by a real
headless Chromium from a page on another loopback port, and with Envoy's own CORS filter in
front), ACME challenges that reach the upstream, the page's own assets served by the gateway
with the upstream down (and the logo shown by Chromium), a bypass for the claims of a JWT that
Envoy's `jwt_authn` filter verified, and `since` with the long-outage warning.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

import harness
from checks import assert_maintenance, assert_upstream
from envoylib.bootstrap import cors_filter, cors_policy, jwt_authn_filter
from envoylib.server import QuietHTTPServer

ORIGIN = "https://app.example.com"
KIND = "x-maintenance-bypass-kind"
STATUS_PATH = "/.well-known/maintenance"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    '<rect width="120" height="40" rx="6" fill="#2f6feb"/></svg>'
)
WOFF2 = b"wOF2\x00\x01\x00\x00" + bytes(range(32))


def utc(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stat(envoy: harness.Envoy, name: str) -> int:
    """One of the plugin's counters (the instance is named after the filter, see metrics.rs)."""
    full = envoy.plugin.metric(name)
    return envoy.stats(f"^{re.escape(full)}$").get(full, 0)


# ---------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------


class TestCors:
    CONFIG = {
        "enabled": True,
        "retry_after": 120,
        "routes": [{"path_prefix": "/api"}, {"path_prefix": "/admin"}, {"path_prefix": "/__maintenance"}],
        "cors": {"allow_origins": [ORIGIN, "https://*.example.org"], "max_age": 600},
        "bypass": {
            "paths": ["/admin"],
            "cookie": {
                "name": "mm",
                "sha256": hashlib.sha256(b"qa-secret").hexdigest(),
                "set_path": "/__maintenance/enter",
            },
        },
        "status_path": STATUS_PATH,
    }

    def assert_cors(self, r: harness.Response, origin: str) -> None:
        assert r.header("access-control-allow-origin") == origin, r
        assert r.header_all("access-control-allow-origin") == [origin], r
        assert r.header("vary") == "origin", r
        assert r.header("access-control-expose-headers") == "retry-after, maintenance-notice", r

    @pytest.mark.parametrize(
        ("accept", "content_type"),
        [
            ("application/json", "application/problem+json"),
            ("text/html", "text/html; charset=utf-8"),
            ("text/plain", "text/plain; charset=utf-8"),
        ],
    )
    def test_every_format_carries_cors_for_an_allowed_origin(self, envoy, accept, content_type):
        r = envoy.get("/api/orders", headers={"origin": ORIGIN, "accept": accept})
        assert_maintenance(r)
        assert r.header("content-type") == content_type
        assert r.header("retry-after") == "120"
        self.assert_cors(r, ORIGIN)

    def test_grpc_web_carries_cors(self, envoy):
        r = envoy.request(
            "POST",
            "/api/shop.Orders/List",
            headers={"origin": ORIGIN, "content-type": "application/grpc-web+proto"},
            body=b"\x00\x00\x00\x00\x00",
        )
        assert r.status == 200 and r.header("grpc-status") == "14", r
        self.assert_cors(r, ORIGIN)

    def test_subdomains_of_a_wildcard_not_its_apex(self, envoy):
        sub = envoy.get("/api/x", headers={"origin": "https://shop.eu.example.org"})
        self.assert_cors(sub, "https://shop.eu.example.org")
        for origin in ["https://example.org", "https://evil.net", "http://app.example.com", "null"]:
            r = envoy.get("/api/x", headers={"origin": origin})
            assert_maintenance(r)
            assert not any(name.startswith("access-control-") for name in r.header_names()), (origin, r)

    def test_preflight_is_answered_by_the_gateway(self, envoy):
        r = envoy.request(
            "OPTIONS",
            "/api/orders/7",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "PUT",
                "access-control-request-headers": "content-type,x-request-id",
            },
        )
        assert r.status == 204, r
        assert not r.from_upstream
        assert r.header("access-control-allow-origin") == ORIGIN
        assert r.header("access-control-allow-methods") == "PUT"
        assert r.header("access-control-allow-headers") == "content-type,x-request-id"
        assert r.header("access-control-max-age") == "600"
        assert r.header("vary") == "origin"

    def test_preflight_from_another_origin_gets_maintenance_without_cors(self, envoy):
        r = envoy.request(
            "OPTIONS", "/api/orders", headers={"origin": "https://evil.net", "access-control-request-method": "PUT"}
        )
        assert_maintenance(r)
        assert r.header("access-control-allow-origin") is None

    def test_preflights_for_bypassed_and_out_of_scope_paths_reach_the_upstream(self, envoy):
        headers = {"origin": ORIGIN, "access-control-request-method": "PUT"}
        for path in ["/admin/users", "/blog/post"]:
            r = envoy.request("OPTIONS", path, headers=headers)
            echo = assert_upstream(r, path)
            assert echo["method"] == "OPTIONS"
            assert r.header("access-control-allow-origin") is None

    def test_the_cookie_link_redirect_carries_cors(self, envoy):
        r = envoy.get("/__maintenance/enter?token=qa-secret", headers={"origin": ORIGIN})
        assert r.status == 302, r
        self.assert_cors(r, ORIGIN)

    def test_the_status_endpoint_stays_readable_from_any_origin(self, envoy):
        r = envoy.get(STATUS_PATH, headers={"origin": "https://evil.net"})
        assert r.status == 200 and r.header("access-control-allow-origin") == "*", r


def test_without_cors_nothing_changes(make_envoy):
    envoy = make_envoy({"enabled": True})
    r = envoy.get("/", headers={"origin": ORIGIN, "accept": "application/json"})
    assert_maintenance(r)
    assert not any(name.startswith("access-control-") for name in r.header_names()), r
    preflight = envoy.request("OPTIONS", "/", headers={"origin": ORIGIN, "access-control-request-method": "PUT"})
    assert_maintenance(preflight)


def test_a_replaced_upstream_failure_carries_cors(make_envoy):
    envoy = make_envoy({"upstream_fallback": {}, "cors": {"allow_origins": ["*"]}})
    r = envoy.get("/status/503", headers={"origin": ORIGIN, "accept": "application/json"})
    assert_maintenance(r)
    assert r.json()["status"] == 503
    assert r.header("access-control-allow-origin") == "*", r
    # The upstream's own answers are the application's business.
    ok = envoy.get("/x", headers={"origin": ORIGIN})
    assert_upstream(ok)
    assert ok.header("access-control-allow-origin") is None


class PageServer:
    """Serves one HTML page on its own loopback port: another origin than Envoy's listener."""

    def __init__(self, html: str):
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = QuietHTTPServer((harness.LOOPBACK, 0), Handler)
        self.origin = f"http://{harness.LOOPBACK}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# What a single-page app does: a preflighted call (PUT with a custom header), then reads the
# problem JSON and the retry-after header. Settles with the result, or the fetch error.
APP_CALL = """fetch("http://127.0.0.1:%d/api/orders/7", {
  method: "PUT", headers: {"x-request-id": "42", "content-type": "application/json", "accept": "application/json"},
  body: "{}"
}).then(async r => ({status: r.status, retryAfter: r.headers.get("retry-after"),
                     problem: await r.json()}))
  .catch(e => ({error: String(e)}))"""


def app_call(browser, page: PageServer, envoy: harness.Envoy) -> dict:
    browser.open(page.origin + "/")
    return browser.evaluate(APP_CALL % envoy.port, wait=True)


def test_a_browser_on_another_origin_reads_the_problem(make_envoy, browser):
    with PageServer("<!doctype html><title>app</title><p>app") as page:
        config = {
            "enabled": True,
            "title": "Back soon",
            "reason": "Database upgrade",
            "retry_after": 900,
            "cors": {"allow_origins": [page.origin], "max_age": 600},
        }
        envoy = make_envoy(config)
        result = app_call(browser, page, envoy)
        assert result == {
            "status": 503,
            "retryAfter": "900",
            "problem": {"title": "Back soon", "status": 503, "detail": "Database upgrade"},
        }, result
        assert stat(envoy, "responses_total") == 2  # the preflight and the call


def test_a_browser_on_an_origin_not_allowed_sees_a_network_error(make_envoy, browser):
    with PageServer("<!doctype html><title>app</title><p>app") as page:
        envoy = make_envoy({"enabled": True, "cors": {"allow_origins": ["https://app.example.com"]}})
        result = app_call(browser, page, envoy)
        assert "error" in result and "Failed to fetch" in result["error"], result


@pytest.fixture(scope="module")
def behind_cors_filter(plugin, upstream, envoy_dir):
    """The plugin (without `cors`) behind Envoy's CORS filter with a policy for ORIGIN."""
    config = {"enabled": True, "retry_after": 60, "routes": [{"path_prefix": "/api"}]}
    policy = cors_policy([ORIGIN], expose_headers="retry-after", max_age="600")
    with harness.Envoy(
        config,
        upstream.port,
        envoy_dir / f"behind-cors-filter-{plugin.kind}",
        plugin=plugin,
        before=[cors_filter()],
        per_filter_config={"envoy.filters.http.cors": policy},
    ) as e:
        yield e


class TestEnvoysCorsFilterInFront:
    """Envoy's CORS filter before the plugin (Istio's `corsPolicy`, Envoy Gateway's CORS): it
    answers allowed preflights itself, and adds its headers to the plugin's answers."""

    @pytest.fixture
    def envoy(self, behind_cors_filter):
        return behind_cors_filter

    def test_the_cors_filter_answers_the_preflight(self, envoy):
        r = envoy.request("OPTIONS", "/api/x", headers={"origin": ORIGIN, "access-control-request-method": "PUT"})
        assert r.status == 200 and not r.from_upstream, r
        assert r.header("access-control-allow-origin") == ORIGIN
        assert r.header("access-control-allow-methods") == "GET, POST, PUT, DELETE, OPTIONS"
        assert stat(envoy, "responses_total") == 0

    def test_the_cors_filter_adds_its_headers_to_the_maintenance_response(self, envoy):
        r = envoy.get("/api/x", headers={"origin": ORIGIN, "accept": "application/json"})
        assert_maintenance(r)
        assert r.header_all("access-control-allow-origin") == [ORIGIN], r
        assert r.header("access-control-expose-headers") == "retry-after", r


def test_both_cors_layers_give_one_allow_origin(make_envoy):
    """With Envoy's CORS filter in front and the plugin's `cors`, each answer still has one
    access-control-allow-origin."""
    policy = cors_policy([ORIGIN])
    envoy = make_envoy(
        {"enabled": True, "cors": {"allow_origins": [ORIGIN]}},
        before=[cors_filter()],
        per_filter_config={"envoy.filters.http.cors": policy},
    )
    r = envoy.get("/api/x", headers={"origin": ORIGIN})
    assert_maintenance(r)
    assert r.header_all("access-control-allow-origin") == [ORIGIN], r


# ---------------------------------------------------------------------------
# ACME
# ---------------------------------------------------------------------------

CHALLENGE = "/.well-known/acme-challenge/Zq3tY7-Fv0_token"


class TestAcme:
    CONFIG = {"enabled": True, "bypass": {"header": KIND}}

    def test_challenges_reach_the_upstream(self, envoy):
        before = stat(envoy, "bypassed_total")
        echo = assert_upstream(envoy.get(CHALLENGE), CHALLENGE)
        assert echo["headers"][KIND] == "acme"
        assert stat(envoy, "bypassed_total") == before + 1

    @pytest.mark.parametrize(
        "path",
        [
            "/.well-known/acme-challenge/../../admin",
            "/.well-known/acme-challenge/..%2Fadmin",
            "/.well-known/%61cme-challenge/token",
            "/.well-known/acme-challengex/token",
            "//.well-known/acme-challenge/token",
            "/x/.well-known/acme-challenge/token",
        ],
    )
    def test_other_spellings_do_not_pass(self, envoy, path):
        assert_maintenance(envoy.get(path))

    def test_without_cors_no_cors_headers(self, envoy):
        r = envoy.get("/", headers={"origin": ORIGIN})
        assert r.header("access-control-allow-origin") is None


def test_acme_can_be_turned_off(make_envoy):
    envoy = make_envoy({"enabled": True, "bypass": {"acme": False}})
    assert_maintenance(envoy.get(CHALLENGE))


# ---------------------------------------------------------------------------
# the page's own assets, with the upstream down
# ---------------------------------------------------------------------------

ASSETS = {
    "enabled": True,
    "title": "Back soon",
    "cors": {"allow_origins": [ORIGIN]},
    "response": {
        "assets": {
            "logo.svg": {"content_type": "image/svg+xml", "body": SVG},
            "font.woff2": {"content_type": "font/woff2", "body_base64": base64.b64encode(WOFF2).decode()},
        },
        "logo": "logo.svg",
    },
}


@pytest.fixture(scope="module")
def refused_port():
    """A loopback port that is bound but not listening: the upstream is down."""
    with socket.socket() as sock:
        sock.bind((harness.LOOPBACK, 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def down(plugin, refused_port, envoy_dir):
    """The plugin with ASSETS in front of an upstream that refuses every connection."""
    with harness.Envoy(ASSETS, refused_port, envoy_dir / f"assets-upstream-down-{plugin.kind}", plugin=plugin) as e:
        yield e


class TestAssets:
    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_served_with_their_type(self, down, method):
        r = down.request(method, "/__maintenance/assets/logo.svg")
        assert r.status == 200, r
        assert r.header("content-type") == "image/svg+xml"
        assert r.header("cache-control") == "public, max-age=300"
        assert r.header("x-content-type-options") == "nosniff"
        assert r.header("content-length") == str(len(SVG))
        assert r.body == (SVG.encode() if method == "GET" else b"")

    def test_binary_assets_from_base64(self, down):
        r = down.get("/__maintenance/assets/font.woff2", headers={"origin": ORIGIN})
        assert r.status == 200 and r.body == WOFF2, r
        assert r.header("content-type") == "font/woff2"
        assert r.header("access-control-allow-origin") == ORIGIN

    def test_unknown_names_are_not_found(self, down):
        for path in ["/__maintenance/assets/missing.png", "/__maintenance/assets/", "/__maintenance/assets/%6Cogo.svg"]:
            assert down.get(path).status == 404, path

    def test_other_methods_are_not_allowed(self, down):
        r = down.request("POST", "/__maintenance/assets/logo.svg", body=b"x")
        assert r.status == 405 and r.header("allow") == "GET, HEAD", r

    def test_the_page_links_the_logo(self, down):
        r = down.get("/", headers={"accept": "text/html"})
        assert_maintenance(r)
        assert '<img class="logo" src="/__maintenance/assets/logo.svg" alt="Back soon">' in r.text


def test_the_browser_shows_the_logo_with_the_upstream_down(down, browser):
    browser.viewport(390, 844, mobile=True, dark=False)
    browser.open(f"http://127.0.0.1:{down.port}/checkout")
    logo = browser.evaluate(
        """(() => { const img = document.querySelector("main img");
            return img && {width: img.naturalWidth, alt: img.alt, complete: img.complete,
                           above: img.compareDocumentPosition(document.querySelector("h1")) === 4}; })()"""
    )
    assert logo == {"width": 120, "alt": "Back soon", "complete": True, "above": True}, logo


def test_a_custom_assets_path(make_envoy):
    config = {
        "enabled": True,
        "response": {
            "assets": {"site.css": {"content_type": "text/css", "body": "body{color:red}"}},
            "assets_path": "/static/maintenance",
            "html": '<link rel="stylesheet" href="/static/maintenance/site.css"><h1>{{title}}</h1>',
        },
    }
    envoy = make_envoy(config)
    r = envoy.get("/static/maintenance/site.css")
    assert r.status == 200 and r.body == b"body{color:red}", r
    assert_maintenance(envoy.get("/__maintenance/assets/site.css"))


# ---------------------------------------------------------------------------
# bypass by verified JWT claims
# ---------------------------------------------------------------------------

ISSUER = "https://login.example.test"
SIGNING_KEY = b"hs256-test-key-0123456789abcdef!"
JWKS = {
    "keys": [
        {"kty": "oct", "alg": "HS256", "kid": "k1", "k": base64.urlsafe_b64encode(SIGNING_KEY).decode().rstrip("=")}
    ]
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def token(claims: dict, *, key: bytes = SIGNING_KEY, alg: str = "HS256") -> str:
    """A JWT with `claims` (issuer and a 10-minute expiry unless given), signed with HS256."""
    claims = {"iss": ISSUER, "exp": int(time.time()) + 600, **claims}
    header = b64url(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = b64url(hmac.new(key, signing_input, hashlib.sha256).digest()) if alg == "HS256" else ""
    return f"{header}.{payload}.{signature}"


def bearer(jwt: str) -> dict:
    return {"authorization": f"Bearer {jwt}"}


@pytest.fixture(scope="module")
def behind_jwt_authn(plugin, upstream, envoy_dir):
    """The plugin with `bypass.jwt` behind Envoy's jwt_authn filter (local JWKS)."""
    config = {
        "enabled": True,
        "bypass": {
            "header": KIND,
            "jwt": [
                {"payload": ISSUER, "claim": "role", "any_of": ["admin", "sre"]},
                {"payload": ISSUER, "claim": "realm_access.roles", "any_of": ["maintainer"]},
            ],
        },
    }
    # The issuer as the metadata key, as Envoy Gateway configures it.
    with harness.Envoy(
        config,
        upstream.port,
        envoy_dir / f"behind-jwt-authn-{plugin.kind}",
        plugin=plugin,
        before=[jwt_authn_filter(ISSUER, JWKS, payload_in_metadata=ISSUER)],
    ) as e:
        yield e


@pytest.mark.wasm_only(reason="the native module cannot read jwt_authn's payloads (see the next test)")
class TestJwtBypass:
    @pytest.fixture
    def envoy(self, behind_jwt_authn):
        return behind_jwt_authn

    def test_an_admins_verified_token_passes(self, envoy):
        before = stat(envoy, "bypassed_total")
        echo = assert_upstream(envoy.get("/orders", headers=bearer(token({"role": "admin"}))), "/orders")
        assert echo["headers"][KIND] == "jwt"
        assert stat(envoy, "bypassed_total") == before + 1

    def test_a_nested_list_claim_passes(self, envoy):
        jwt = token({"role": "user", "realm_access": {"roles": ["viewer", "maintainer"]}})
        echo = assert_upstream(envoy.get("/", headers=bearer(jwt)))
        assert echo["headers"][KIND] == "jwt"

    @pytest.mark.parametrize(
        "jwt",
        [
            pytest.param(token({"role": "user"}), id="a user's token"),
            pytest.param(token({"role": "Admin"}), id="case differs"),
            pytest.param(token({"role": "admin"}, key=b"another key, not in the JWKS!!!"), id="forged"),
            pytest.param(token({"role": "admin", "exp": int(time.time()) - 60}), id="expired"),
            pytest.param(token({"role": "admin"}, alg="none"), id="unsigned"),
            pytest.param(token({"role": "admin", "iss": "https://evil.example"}), id="other issuer"),
            pytest.param(token({"realm_access": {"roles": "maintainerx"}}), id="not the value"),
        ],
    )
    def test_other_tokens_get_maintenance(self, envoy, jwt):
        assert_maintenance(envoy.get("/", headers=bearer(jwt)))

    def test_no_token_gets_maintenance(self, envoy):
        assert_maintenance(envoy.get("/"))
        # Claims are never read from a token jwt_authn did not verify, wherever it is sent.
        assert_maintenance(envoy.get("/", headers={"x-token": token({"role": "admin"})}))

    def test_a_clients_bypass_kind_header_is_not_trusted(self, envoy):
        r = envoy.get("/", headers={KIND: "jwt", **bearer(token({"role": "user"}))})
        assert_maintenance(r)


def test_jwt_rules_work_in_the_wasm_build_and_are_warned_about_in_the_native_module(make_envoy, plugin):
    """The module ABI reads only a metadata namespace's top-level values, not inside the
    payload's Struct: there the rules pass no request (maintenance, never a wider bypass) and
    the log says so."""
    config = {"enabled": True, "bypass": {"jwt": [{"payload": ISSUER, "claim": "role", "any_of": ["admin"]}]}}
    envoy = make_envoy(config, before=[jwt_authn_filter(ISSUER, JWKS, payload_in_metadata=ISSUER)])
    r = envoy.get("/orders", headers=bearer(token({"role": "admin"})))
    warned = "bypass.jwt: this build cannot read the payloads jwt_authn verified" in envoy.log_text()
    if plugin.is_wasm:
        assert_upstream(r, "/orders")
        assert not warned
    else:
        assert_maintenance(r)
        assert warned


# ---------------------------------------------------------------------------
# since, and the long-outage warning
# ---------------------------------------------------------------------------

LONG_OUTAGE_LINE = "maintenance has applied since"


def status(envoy: harness.Envoy) -> dict:
    r = envoy.get(STATUS_PATH)
    assert r.status == 200, r
    return r.json()


def test_since_is_when_maintenance_began(make_envoy):
    before = int(time.time())
    envoy = make_envoy({"enabled": True, "status_path": STATUS_PATH})
    since = dt.datetime.strptime(status(envoy)["since"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert before - 2 <= since.timestamp() <= time.time() + 1, since
    assert LONG_OUTAGE_LINE not in envoy.log_text()
    off = make_envoy({"status_path": STATUS_PATH})
    assert status(off)["since"] is None


def test_a_window_began_at_its_start_and_a_long_one_warns_once(make_envoy):
    start = int(time.time()) - 7 * 86400
    envoy = make_envoy({"enabled": True, "status_path": STATUS_PATH, "windows": [{"start": utc(start)}]}, concurrency=2)
    assert status(envoy)["since"] == utc(start)
    deadline = time.time() + 5
    while LONG_OUTAGE_LINE not in envoy.log_text() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # ticks of both workers
    lines = [line for line in envoy.log_text().splitlines() if LONG_OUTAGE_LINE in line]
    assert len(lines) == 1, lines
    assert "][warning][" in lines[0] and f"since {utc(start)} (7 days)" in lines[0], lines


def test_a_long_window_with_an_end_does_not_warn(make_envoy):
    now = int(time.time())
    window = {"start": utc(now - 7 * 86400), "end": utc(now + 86400)}
    envoy = make_envoy({"enabled": True, "status_path": STATUS_PATH, "windows": [window]})
    assert status(envoy)["since"] == window["start"]
    time.sleep(1.5)
    assert LONG_OUTAGE_LINE not in envoy.log_text()
