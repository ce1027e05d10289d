"""The status endpoint (`status_path`), its preview, advance notice (`notice_before`) and
translations (`language`, `translations`) through a real Envoy (issue 13). Configurations with
windows are computed from the current time, so those tests start their own Envoy."""

from __future__ import annotations

import datetime as dt
import time

import pytest

import harness
from checks import assert_maintenance, assert_upstream

STATUS = "/.well-known/maintenance"


def utc(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_status(r: harness.Response) -> dict:
    assert r.status == 200 and not r.from_upstream, r
    assert r.header("content-type") == "application/json", r
    assert r.header("cache-control") == "no-store", r
    assert r.header("access-control-allow-origin") == "*", r
    return r.json()


def window(start: int, end: int | None) -> dict:
    return {"start": utc(start)} | ({"end": utc(end)} if end else {})


class TestStatusDryRun:
    CONFIG = {"status_path": STATUS, "enabled": True, "dry_run": True}

    def test_says_it_is_a_dry_run(self, envoy):
        body = assert_status(envoy.get(STATUS))
        assert body["active"] is False and body["dry_run"] is True and body["would_be_active"] is True
        # Nothing is answered: the request that would get the page goes upstream.
        assert_upstream(envoy.get("/shop"), "/shop")


class TestStatusOff:
    CONFIG = {"status_path": STATUS, "title": "Back soon", "reason": "Database upgrade.", "retry_after": 120}

    def test_answers_with_maintenance_off(self, envoy):
        body = assert_status(envoy.get(STATUS))
        assert body == {
            "active": False,
            "in_scope": True,
            "dry_run": False,
            "title": "Back soon",
            "reason": "Database upgrade.",
            "until": None,
            "next": None,
            "since": None,
        }
        # Any host, and with a query.
        assert assert_status(envoy.get(STATUS + "?t=1", host="other.example"))["active"] is False

    def test_other_requests_pass(self, envoy):
        assert_upstream(envoy.get("/shop"), "/shop")
        for near in [STATUS + "/", STATUS + "x", STATUS + "/other", "/.well-known/%6Daintenance"]:
            assert envoy.get(near).from_upstream, near

    def test_head_has_no_body(self, envoy):
        r = envoy.request("HEAD", STATUS)
        assert r.status == 200 and r.body == b"", r
        assert r.header("content-type") == "application/json"
        assert int(r.header("content-length")) > 0

    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
    def test_other_methods_get_405(self, envoy, method):
        for path in [STATUS, STATUS + "/preview"]:
            r = envoy.request(method, path, body=b"{}" if method in ("POST", "PUT", "PATCH") else None)
            assert r.status == 405 and not r.from_upstream, r
            assert r.header("allow") == "GET, HEAD"
            assert r.header("access-control-allow-origin") == "*"

    @pytest.mark.parametrize(
        ("accept", "content_type", "needle"),
        [
            ("text/html", "text/html; charset=utf-8", b"<h1>Back soon</h1>"),
            ("application/json", "application/problem+json", b'"detail":"Database upgrade."'),
            ("*/*", "text/plain; charset=utf-8", b"Back soon\n\nDatabase upgrade.\n"),
        ],
    )
    def test_preview_in_each_format(self, envoy, accept, content_type, needle):
        r = envoy.get(STATUS + "/preview", headers=[("accept", accept)])
        assert r.status == 200 and not r.from_upstream, r
        assert r.header("maintenance-preview") == "true"
        assert r.header("content-type") == content_type
        assert r.header("retry-after") == "120"
        assert r.header("cache-control") == "no-store"
        assert needle in r.body, r.body


class TestStatusOn:
    CONFIG = {
        "enabled": True,
        "status_path": STATUS,
        "routes": [{"path_prefix": "/"}],
        "bypass": {"paths": ["/admin"]},
    }

    def test_status_path_escapes_maintenance(self, envoy):
        body = assert_status(envoy.get(STATUS))
        assert body["active"] is True and body["until"] is None and body["next"] is None
        assert_maintenance(envoy.get("/shop", headers=[("accept", "application/json")]))
        assert envoy.get("/admin").from_upstream

    def test_preview_while_on(self, envoy):
        r = envoy.get(STATUS + "/preview", headers=[("accept", "application/json")])
        assert r.status == 200 and r.json()["status"] == 503, r


def test_in_a_window(make_envoy):
    now = int(time.time())
    end = now + 3600
    envoy = make_envoy({"enabled": True, "status_path": STATUS, "windows": [window(now - 60, end)]})
    body = assert_status(envoy.get(STATUS))
    assert body["active"] is True
    assert body["until"] == utc(end)
    assert body["next"] is None
    assert_maintenance(envoy.get("/x"))
    r = envoy.get(STATUS + "/preview", headers=[("accept", "text/html")])
    assert r.status == 200
    assert f'<time datetime="{utc(end)}">'.encode() in r.body
    assert 3500 <= int(r.header("retry-after")) <= 3600


def test_before_a_window(make_envoy):
    now = int(time.time())
    start, end = now + 3600, now + 7200
    envoy = make_envoy({"enabled": True, "status_path": STATUS, "windows": [window(start, end)]})
    body = assert_status(envoy.get(STATUS))
    assert body["active"] is False and body["until"] is None
    assert body["next"] == {"start": utc(start), "end": utc(end)}
    assert envoy.get("/x").from_upstream
    # An open-ended period: `end` null.
    envoy = make_envoy({"enabled": True, "status_path": STATUS, "windows": [window(start, None)]})
    assert assert_status(envoy.get(STATUS))["next"] == {"start": utc(start), "end": None}


# ---------------------------------------------------------------------------
# advance notice
# ---------------------------------------------------------------------------


def notice_config(start: int, end: int, lead: int) -> dict:
    return {
        "enabled": True,
        "notice_before": lead,
        "routes": [{"path_prefix": "/shop"}],
        "windows": [window(start, end)],
    }


def test_notice_inside_the_lead_time_in_scope_only(make_envoy):
    now = int(time.time())
    start, end = now + 600, now + 4200
    envoy = make_envoy(notice_config(start, end, 3600))
    r = envoy.get("/shop/cart")
    assert_upstream(r, "/shop/cart")
    assert r.header("maintenance-notice") == f"start={utc(start)}; end={utc(end)}"
    # Out of scope: nothing.
    r = envoy.get("/blog")
    assert r.from_upstream and r.header("maintenance-notice") is None, r
    # The upstream's own failures carry it too (they pass through).
    r = envoy.get("/shop/status/500")
    assert r.status == 500 and r.header("maintenance-notice"), r


def test_no_notice_outside_the_lead_time_or_inside_the_window(make_envoy):
    now = int(time.time())
    envoy = make_envoy(notice_config(now + 7200, now + 9000, 3600))
    r = envoy.get("/shop")
    assert r.from_upstream and r.header("maintenance-notice") is None, r
    envoy = make_envoy(notice_config(now - 60, now + 3600, 3600))
    r = envoy.get("/shop", headers=[("accept", "application/json")])
    assert_maintenance(r)
    assert r.header("maintenance-notice") is None


def test_notice_starts_when_the_lead_time_does(make_envoy):
    now = int(time.time())
    # The lead time opens 6 s from now: time for Envoy to start on a busy machine.
    start = now + 66
    envoy = make_envoy(notice_config(start, start + 60, 60))
    assert time.time() < now + 6, "Envoy took too long to start to see the lead time open"
    assert envoy.get("/shop").header("maintenance-notice") is None
    time.sleep(max(0.0, now + 6.2 - time.time()))
    assert envoy.get("/shop").header("maintenance-notice") == f"start={utc(start)}; end={utc(start + 60)}"


def test_the_notice_replaces_the_applications_own(make_envoy):
    now = int(time.time())
    start, end = now + 600, now + 4200
    envoy = make_envoy(notice_config(start, end, 3600))
    r = envoy.get("/shop/cart", headers=[("x-echo-response-header", "maintenance-notice: start=1999-01-01T00:00:00Z")])
    assert_upstream(r, "/shop/cart")
    assert r.header_all("maintenance-notice") == [f"start={utc(start)}; end={utc(end)}"], r


def test_a_dry_runs_would_be_replacement_keeps_the_notice(make_envoy):
    now = int(time.time())
    start, end = now + 600, now + 4200
    envoy = make_envoy({**notice_config(start, end, 3600), "dry_run": True, "upstream_fallback": {}})
    r = envoy.get("/shop/status/503")
    assert r.status == 503 and r.from_upstream, r
    assert r.header("maintenance-notice") == f"start={utc(start)}; end={utc(end)}", r


def test_the_status_endpoint_says_when_no_route_covers_the_host_or_path(make_envoy):
    config = {
        "enabled": True,
        "status_path": STATUS,
        "routes": [{"hosts": ["shop.example.com"]}, {"hosts": ["blog.example.com"], "path_prefix": "/news"}],
    }
    envoy = make_envoy(config)
    for host, target, covered in [
        ("shop.example.com", STATUS, True),
        ("wiki.example.com", STATUS, False),
        ("blog.example.com", STATUS, False),
        ("blog.example.com", f"{STATUS}?path=/news/today", True),
        ("blog.example.com", f"{STATUS}?path=/about", False),
    ]:
        body = assert_status(envoy.get(target, host=host))
        assert (body["active"], body["in_scope"]) == (covered, covered), (host, target, body)
    # The pages themselves agree.
    assert_maintenance(envoy.get("/news/today", host="blog.example.com"))
    assert_upstream(envoy.get("/about", host="blog.example.com"), "/about")


# ---------------------------------------------------------------------------
# translations
# ---------------------------------------------------------------------------


class TestTranslations:
    CONFIG = {
        "enabled": True,
        "status_path": STATUS,
        "title": "Down for maintenance",
        "reason": "Database upgrade.",
        "translations": {
            "fr": {
                "title": "Maintenance en cours",
                "reason": "Mise à jour de la base.",
                "words": {"expected_back": "Retour prévu le"},
            },
            "de-CH": {"title": "Wartung"},
        },
    }

    def get(self, envoy, accept_language: str | None, accept: str = "text/html", path: str = "/"):
        headers = [("accept", accept)]
        if accept_language is not None:
            headers.append(("accept-language", accept_language))
        return envoy.get(path, headers=headers)

    @pytest.mark.parametrize(
        ("accept_language", "language", "title"),
        [
            ("fr", "fr", "Maintenance en cours"),
            ("FR", "fr", "Maintenance en cours"),
            ("fr-CA", "fr", "Maintenance en cours"),
            ("de-CH-1996", "de-CH", "Wartung"),
            ("ja, de-CH;q=0.2, fr;q=0.5", "fr", "Maintenance en cours"),
            ("fr;q=0, de-CH;q=0.1", "de-CH", "Wartung"),
            ("de", "en", "Down for maintenance"),
            ("ja", "en", "Down for maintenance"),
            ("en-GB, fr;q=0.9", "en", "Down for maintenance"),
            ("*", "en", "Down for maintenance"),
            (None, "en", "Down for maintenance"),
        ],
    )
    def test_html_in_the_chosen_language(self, envoy, accept_language, language, title):
        r = self.get(envoy, accept_language)
        assert_maintenance(r)
        assert r.header("content-language") == language, r
        assert f'<html lang="{language}">'.encode() in r.body
        assert f"<h1>{title}</h1>".encode() in r.body

    def test_several_accept_language_lines_are_one_list(self, envoy):
        r = envoy.get("/", headers=[("accept", "text/html"), ("accept-language", "ja"), ("accept-language", "fr")])
        assert_maintenance(r)
        assert r.header("content-language") == "fr", r
        assert b"<h1>Maintenance en cours</h1>" in r.body

    def test_grpc_replies_and_their_preview_follow_accept_language(self, envoy):
        grpc = [("content-type", "application/grpc"), ("te", "trailers"), ("accept-language", "fr")]
        r = envoy.h2("POST", "/pkg.Svc/Method", grpc, body=b"\0\0\0\0\0")
        assert (r.status, r.header("grpc-status"), r.header("content-language")) == (200, "14", "fr"), r
        assert r.header("grpc-message") == "Mise %C3%A0 jour de la base.", r
        # The preview shows that reply, marked (a GET: the status endpoint answers GET and HEAD).
        r = envoy.h2("GET", STATUS + "/preview", grpc)
        assert (r.status, r.header("grpc-status"), r.header("maintenance-preview")) == (200, "14", "true"), r
        assert r.header("grpc-message") == "Mise %C3%A0 jour de la base.", r
        # A gRPC call itself (POST) is refused as UNIMPLEMENTED, trailers-only, in every build.
        r = envoy.h2("POST", STATUS + "/preview", grpc, body=b"\0\0\0\0\0")
        assert (r.status, r.header("allow"), r.header("grpc-status")) == (200, "GET, HEAD", "12"), r
        assert r.header("content-type") == "application/grpc", r
        # gRPC-web gets it as a trailer frame in the body.
        web = [("content-type", "application/grpc-web+proto"), ("accept-language", "fr")]
        r = envoy.h2("POST", STATUS + "/preview", web, body=b"\0\0\0\0\0")
        assert (r.status, r.header("grpc-status")) == (200, "12"), r
        assert r.body == b"\x80\0\0\0\x10grpc-status:12\r\n", r

    def test_json_plain_and_preview(self, envoy):
        r = self.get(envoy, "fr-FR", "application/json")
        assert r.json()["title"] == "Maintenance en cours"
        assert r.json()["detail"] == "Mise à jour de la base."
        r = self.get(envoy, "de-CH", "*/*")
        # No reason of its own: the top-level one.
        assert r.text == "Wartung\n\nDatabase upgrade.\n"
        r = self.get(envoy, "fr", path=STATUS + "/preview")
        assert r.status == 200 and r.header("content-language") == "fr"
        assert b"<h1>Maintenance en cours</h1>" in r.body
        r = self.get(envoy, "fr", path=STATUS)
        assert r.header("content-language") == "fr" and r.json()["title"] == "Maintenance en cours"


def test_translated_words_on_the_page(make_envoy):
    now = int(time.time())
    config = dict(TestTranslations.CONFIG) | {"windows": [window(now - 60, now + 3600)]}
    envoy = make_envoy(config)
    r = envoy.get("/", headers=[("accept", "text/html"), ("accept-language", "fr")])
    assert_maintenance(r)
    assert "Retour prévu le <time".encode() in r.body
    r = envoy.get("/", headers=[("accept", "*/*"), ("accept-language", "fr")])
    assert f"Retour prévu le {utc(now + 3600)}.".encode() in r.body


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"translations": {"fr_CA": {"title": "x"}}}, "translations.fr_CA"),
        ({"language": "english"}, "language"),
        ({"notice_before": 600}, "notice_before"),
        ({"status_path": "/"}, "status_path"),
        ({"translations": {"fr": {"title": "x" * 2000}}}, "translations.fr.title"),
    ],
)
def test_bad_configs_name_the_field(config, field, plugin):
    result = harness.validate(config, plugin=plugin)
    assert not result.accepted
    assert any(f"invalid plugin configuration: {field}:" in line for line in result.errors), result.errors
