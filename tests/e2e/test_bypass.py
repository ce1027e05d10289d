"""Who gets through during maintenance (issue 3), through a real Envoy: bypass tokens, the
bypass cookie and its link, trusted networks, and the table of path tricks that must never
turn a maintenance request into a bypassed one.

The echo upstream reports every header it received, so "the secret never reaches the
upstream" is checked on what the upstream actually saw.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import harness
import pytest
from checks import rejection
from harness import Response

OPS = "ops-7f3a9c2e"  # the operators' token (x-maintenance-bypass)
ROTATED = "ops-rotated-41d2"  # the previous token, still accepted during rotation
CI = "ci-robot-88b0"  # the monitoring robot's token (x-ci-bypass)
QA = "qa-link-5be1"  # the secret in the bypass cookie
SET_PATH = "/__maintenance/bypass"


def sha(secret: str) -> str:
    """What `printf %s "$TOKEN" | sha256sum` prints."""
    return hashlib.sha256(secret.encode()).hexdigest()


TOKENS = [
    {"header": "X-Maintenance-Bypass", "sha256": sha(OPS)},
    {"header": "x-maintenance-bypass", "sha256": sha(ROTATED).upper()},
    {"header": "x-ci-bypass", "sha256": sha(CI)},
]
COOKIE = {"name": "mm_bypass", "sha256": sha(QA), "set_path": SET_PATH}

ALL = {
    "enabled": True,
    "reason": "Upgrading",
    "bypass": {
        "paths": ["/admin"],
        "tokens": TOKENS,
        "cookie": COOKIE,
        # Read on every request but never matching the loopback client.
        "cidrs": ["10.0.0.0/8", "2001:db8::/32"],
    },
}


def assert_maintenance(r: Response) -> None:
    assert not r.from_upstream, f"request reached the upstream: {r!r}"
    assert r.status == 503, r
    assert r.header("set-cookie") is None, r


def upstream_saw(r: Response) -> dict:
    """The request as the upstream received it (fails if the response is not the upstream's)."""
    assert r.status == 200, r
    return r.echo()


def no_secret_in(echo: dict) -> None:
    text = json.dumps(echo)
    for secret in (OPS, ROTATED, CI, QA):
        assert secret not in text, f"{secret} reached the upstream: {echo}"


# ---------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------


class TestTokens:
    CONFIG = ALL

    @pytest.mark.parametrize(
        "header, secret",
        [
            ("x-maintenance-bypass", OPS),
            ("X-Maintenance-Bypass", OPS),  # header names are case-insensitive
            ("x-maintenance-bypass", ROTATED),
            ("x-ci-bypass", CI),
        ],
    )
    def test_right_token_passes_and_is_stripped(self, envoy, header, secret):
        r = envoy.get("/checkout?step=2", headers=[(header, secret), ("x-keep", "yes")])
        echo = upstream_saw(r)
        assert echo["path"] == "/checkout?step=2"
        assert echo["headers"]["x-keep"] == "yes"
        assert "x-maintenance-bypass" not in echo["headers"]
        assert "x-ci-bypass" not in echo["headers"]
        no_secret_in(echo)

    @pytest.mark.parametrize(
        "header, value",
        [
            ("x-maintenance-bypass", "wrong"),
            ("x-maintenance-bypass", OPS.upper()),
            ("x-maintenance-bypass", OPS[:-1]),
            ("x-maintenance-bypass", OPS + "0"),
            ("x-maintenance-bypass", ""),
            ("x-maintenance-bypass", sha(OPS)),  # the digest is not the secret
            ("x-maintenance-bypass", CI),  # another header's token
            ("x-ci-bypass", OPS),
            ("x-maintenance-bypass", QA),  # the cookie's secret, in a header
            ("x-other-bypass", OPS),
            ("authorization", f"Bearer {OPS}"),
        ],
    )
    def test_wrong_token_gets_maintenance(self, envoy, header, value):
        assert_maintenance(envoy.get("/checkout", headers=[(header, value)]))

    def test_no_token_gets_maintenance(self, envoy):
        assert_maintenance(envoy.get("/checkout"))

    def test_token_over_http2(self, envoy):
        r = envoy.h2("GET", "/checkout", [("x-maintenance-bypass", OPS)])
        assert r.status == 200 and r.header("x-upstream") == "echo", r
        echo = json.loads(r.body)
        assert "x-maintenance-bypass" not in echo["headers"]
        no_secret_in(echo)
        wrong = envoy.h2("GET", "/checkout", [("x-maintenance-bypass", "nope")])
        assert wrong.status == 503 and wrong.header("x-upstream") is None

    def test_post_with_body_passes(self, envoy):
        r = envoy.request("POST", "/orders", headers=[("x-maintenance-bypass", OPS)], body=b'{"id": 7}')
        echo = upstream_saw(r)
        assert echo["method"] == "POST" and echo["body"] == '{"id": 7}'
        no_secret_in(echo)

    def test_repeated_token_header_only_the_first_counts(self, envoy):
        # The first value decides (a wrong one is not rescued by a right one behind it)...
        assert_maintenance(
            envoy.get("/checkout", headers=[("x-maintenance-bypass", "wrong"), ("x-maintenance-bypass", OPS)])
        )
        # ...and every copy is removed when the request passes.
        r = envoy.get("/checkout", headers=[("x-maintenance-bypass", OPS), ("x-maintenance-bypass", "other")])
        assert "x-maintenance-bypass" not in upstream_saw(r)["headers"]

    def test_bypass_path_request_has_token_headers_stripped_too(self, envoy):
        # Passing by path: token headers (right or wrong) still never reach the upstream.
        r = envoy.get("/admin/users", headers=[("x-maintenance-bypass", "a-wrong-guess"), ("x-ci-bypass", CI)])
        echo = upstream_saw(r)
        assert "x-maintenance-bypass" not in echo["headers"] and "x-ci-bypass" not in echo["headers"]

    def test_token_does_not_open_ambiguous_paths_any_less(self, envoy):
        # A token lets any path through, tricks included: it is a credential, not a path rule.
        r = envoy.get("/admin/../checkout", headers=[("x-maintenance-bypass", OPS)])
        assert upstream_saw(r)["path"] == "/admin/../checkout"


# ---------------------------------------------------------------------------
# the bypass cookie and its link
# ---------------------------------------------------------------------------


def cookie_attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    first, *attributes = [part.strip() for part in set_cookie.split(";")]
    parsed = {}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        parsed[name.lower()] = value
    return first, parsed


class TestCookie:
    CONFIG = ALL

    def test_link_sets_the_cookie(self, envoy):
        r = envoy.get(f"{SET_PATH}?token={QA}")
        assert r.status == 302, r
        assert not r.from_upstream
        assert r.header("location") == "/"
        assert r.header("cache-control") == "no-store"
        assert r.header("referrer-policy") == "no-referrer"
        pair, attributes = cookie_attributes(r.header("set-cookie"))
        assert pair == f"mm_bypass={QA}"
        assert attributes == {
            "path": "/",
            "max-age": "3600",
            "httponly": "",
            "samesite": "Lax",
            "secure": "",
        }

    def test_link_with_encoded_token_and_other_parameters(self, envoy):
        encoded = QA.replace("-", "%2D")
        r = envoy.get(f"{SET_PATH}?utm=mail&token={encoded}")
        assert r.status == 302 and f"mm_bypass={QA};" in r.header("set-cookie"), r

    def test_thousands_of_same_name_cookies_are_not_all_checked(self, envoy):
        # Only the first 4 cookies named like the bypass cookie are hashed: the right one after
        # 2000 wrong ones does not count (and costs nothing), the right one among the first does.
        flood = "; ".join(["mm_bypass=wrong"] * 2000)
        assert_maintenance(envoy.get("/checkout", headers=[("cookie", f"{flood}; mm_bypass={QA}")]))
        r = envoy.get("/checkout", headers=[("cookie", f"a=1; mm_bypass=x; mm_bypass={QA}; {flood}; b=2")])
        echo = upstream_saw(r)
        no_secret_in(echo)
        assert echo["headers"]["cookie"] == "a=1; b=2", echo

    def test_link_over_http2(self, envoy):
        r = envoy.h2("GET", f"{SET_PATH}?token={QA}")
        assert r.status == 302 and r.header("location") == "/", r.headers
        assert r.header("set-cookie").startswith(f"mm_bypass={QA};")

    @pytest.mark.parametrize(
        "target",
        [
            SET_PATH,
            f"{SET_PATH}?token=",
            f"{SET_PATH}?token=wrong",
            f"{SET_PATH}?token={OPS}",  # a header token is not the cookie secret
            f"{SET_PATH}?token={sha(QA)}",
            f"{SET_PATH}?Token={QA}",
            f"{SET_PATH}?tokens={QA}",
            f"{SET_PATH}?token=wrong&token={QA}",  # only the first `token` counts
            f"{SET_PATH}/?token={QA}",  # another path: an ordinary request
            f"{SET_PATH}/x/..?token={QA}",
            f"/admin/..{SET_PATH}?token={QA}",
        ],
    )
    def test_link_without_the_right_token_gets_maintenance(self, envoy, target):
        assert_maintenance(envoy.get(target))

    def test_link_with_a_valid_header_token_still_needs_its_own(self, envoy):
        # The link is the filter's own while maintenance applies: it never goes upstream.
        assert_maintenance(envoy.get(f"{SET_PATH}?token=wrong", headers=[("x-maintenance-bypass", OPS)]))

    def test_cookie_passes_and_only_it_is_stripped(self, envoy):
        r = envoy.get("/checkout", headers=[("cookie", f"theme=dark; mm_bypass={QA}; lang=en")])
        echo = upstream_saw(r)
        assert echo["headers"]["cookie"] == "theme=dark; lang=en"
        no_secret_in(echo)

    def test_cookie_alone_removes_the_cookie_header(self, envoy):
        echo = upstream_saw(envoy.get("/checkout", headers=[("cookie", f"mm_bypass={QA}")]))
        assert "cookie" not in echo["headers"]

    def test_cookie_in_a_second_cookie_header(self, envoy):
        # HTTP/1.1 clients may split cookies over several headers; every one is searched.
        r = envoy.get("/checkout", headers=[("cookie", "a=1"), ("cookie", f"mm_bypass={QA}; b=2")])
        echo = upstream_saw(r)
        assert echo["headers"]["cookie"] == "a=1; b=2"
        no_secret_in(echo)

    def test_other_bypass_strips_a_cookie_in_any_cookie_header(self, envoy):
        r = envoy.get(
            "/checkout",
            headers=[("x-ci-bypass", CI), ("cookie", "a=1"), ("cookie", f"mm_bypass={QA}")],
        )
        echo = upstream_saw(r)
        assert echo["headers"]["cookie"] == "a=1"
        no_secret_in(echo)

    def test_cookies_untouched_when_no_bypass_cookie(self, envoy):
        r = envoy.get("/admin/x", headers=[("cookie", "a=1"), ("cookie", "b=2")])
        assert upstream_saw(r)["headers"]["cookie"] == "a=1, b=2"  # the echo joins repeats with ", "

    def test_cookie_over_http2_crumbs(self, envoy):
        r = envoy.h2("GET", "/checkout", [("cookie", "a=1"), ("cookie", f"mm_bypass={QA}"), ("cookie", "b=2")])
        assert r.status == 200 and r.header("x-upstream") == "echo", r
        assert json.loads(r.body)["headers"]["cookie"] == "a=1; b=2"

    @pytest.mark.parametrize(
        "cookie",
        [
            "mm_bypass=wrong",
            f"MM_BYPASS={QA}",  # cookie names are case-sensitive
            f"xmm_bypass={QA}",
            f"mm_bypass={OPS}",
            f"mm_bypass={sha(QA)}",
            f'mm_bypass="{QA}"',
            f"theme={QA}",
            "mm_bypass=",
        ],
    )
    def test_wrong_cookie_gets_maintenance(self, envoy, cookie):
        assert_maintenance(envoy.get("/checkout", headers=[("cookie", cookie)]))


def opener_with_jar() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def fetch(opener, url: str) -> tuple[int, dict | None]:
    """(status, the upstream's echo or None)."""
    try:
        with opener.open(url, timeout=10) as response:
            body = response.read()
            upstream = response.headers.get("x-upstream") == "echo"
            return response.status, (json.loads(body) if upstream else None)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, None


class TestCookieLinkInARealClient:
    """urllib with a cookie jar, following the redirect like a browser (plain HTTP here, so the
    cookie is configured without `Secure`)."""

    CONFIG = {
        "enabled": True,
        "bypass": {
            "cookie": {"name": "mm_bypass", "sha256": sha(QA), "set_path": SET_PATH, "secure": False, "max_age": 120}
        },
    }

    def test_link_then_browse(self, envoy):
        base = f"http://127.0.0.1:{envoy.port}"
        opener, jar = opener_with_jar()
        assert fetch(opener, f"{base}/checkout") == (503, None)

        status, echo = fetch(opener, f"{base}{SET_PATH}?token={QA}")
        # The 302 was followed to `/`, which the fresh cookie let through.
        assert status == 200 and echo is not None, (status, echo)
        assert echo["path"] == "/"
        assert "cookie" not in echo["headers"], echo
        [cookie] = list(jar)
        assert (cookie.name, cookie.value, cookie.path, cookie.secure) == ("mm_bypass", QA, "/", False)
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert cookie.expires is not None

        status, echo = fetch(opener, f"{base}/checkout?step=3")
        assert status == 200 and echo["path"] == "/checkout?step=3"
        no_secret_in(echo)

        # Someone without the cookie, or with a wrong link, stays out.
        stranger, stranger_jar = opener_with_jar()
        assert fetch(stranger, f"{base}/checkout")[0] == 503
        assert fetch(stranger, f"{base}{SET_PATH}?token=guess")[0] == 503
        assert len(stranger_jar) == 0

    def test_curl_follows_the_link(self, envoy, tmp_path):
        import shutil
        import subprocess

        curl = shutil.which("curl")
        if curl is None:
            pytest.skip("no curl")
        jar = tmp_path / "jar.txt"
        base = f"http://127.0.0.1:{envoy.port}"
        out = subprocess.run(
            [curl, "-sS", "--max-time", "10", "-L", "-c", str(jar), "-b", str(jar), f"{base}{SET_PATH}?token={QA}"],
            capture_output=True,
            timeout=20,
            check=True,
        ).stdout
        echo = json.loads(out)
        assert echo["path"] == "/" and "cookie" not in echo["headers"], echo
        assert f"mm_bypass\t{QA}" in jar.read_text()


class TestSecureCookieDefault:
    """With the default `secure: true` a browser keeps the cookie for HTTPS only: over plain
    HTTP the jar does not send it back."""

    CONFIG = {"enabled": True, "bypass": {"cookie": COOKIE}}

    def test_secure_cookie_is_not_sent_over_plain_http(self, envoy):
        opener, jar = opener_with_jar()
        status, _ = fetch(opener, f"http://127.0.0.1:{envoy.port}{SET_PATH}?token={QA}")
        [cookie] = list(jar)
        assert cookie.secure
        assert status == 503  # the redirect to `/` went without the cookie


# ---------------------------------------------------------------------------
# outside maintenance nothing is stripped or added
# ---------------------------------------------------------------------------


class TestOutsideMaintenance:
    CONFIG = {**ALL, "routes": [{"path_prefix": "/shop"}]}

    def test_out_of_scope_request_keeps_token_and_cookie(self, envoy, baseline):
        headers = [("x-maintenance-bypass", OPS), ("cookie", f"mm_bypass={QA}; a=1")]
        echo = upstream_saw(envoy.get("/blog/post", headers=headers))
        assert echo["headers"]["x-maintenance-bypass"] == OPS
        assert echo["headers"]["cookie"] == f"mm_bypass={QA}; a=1"
        reference = upstream_saw(baseline.get("/blog/post", headers=headers))
        assert echo["headers"].keys() - {"x-request-id"} == reference["headers"].keys() - {"x-request-id"}

    def test_link_out_of_scope_goes_upstream_untouched(self, envoy):
        r = envoy.get(f"{SET_PATH}?token={QA}")
        assert r.header("set-cookie") is None
        assert upstream_saw(r)["path"] == f"{SET_PATH}?token={QA}"

    def test_in_scope_request_is_stripped(self, envoy):
        echo = upstream_saw(envoy.get("/shop/cart", headers=[("x-maintenance-bypass", OPS)]))
        assert "x-maintenance-bypass" not in echo["headers"]
        assert_maintenance(envoy.get("/shop/cart"))


class TestOutsideAWindow:
    """Maintenance enabled for a window in the future; with `upstream_fallback` the filter still
    looks at every request, but no bypass strips or answers anything."""

    CONFIG = {**ALL, "windows": [{"start": "2099-01-01T00:00:00Z"}], "upstream_fallback": {}}

    def test_nothing_is_stripped_or_answered(self, envoy):
        r = envoy.get(f"{SET_PATH}?token={QA}", headers=[("x-maintenance-bypass", OPS), ("cookie", f"mm_bypass={QA}")])
        assert r.header("set-cookie") is None
        echo = upstream_saw(r)
        assert echo["headers"]["x-maintenance-bypass"] == OPS
        assert echo["headers"]["cookie"] == f"mm_bypass={QA}"
        assert "configuration applied" in envoy.log_text()


class TestDisabled:
    CONFIG = {**ALL, "enabled": False}

    def test_nothing_is_stripped_or_answered(self, envoy):
        r = envoy.get(f"{SET_PATH}?token={QA}", headers=[("x-ci-bypass", CI), ("cookie", f"mm_bypass={QA}")])
        assert r.header("set-cookie") is None
        echo = upstream_saw(r)
        assert echo["headers"]["x-ci-bypass"] == CI
        assert echo["headers"]["cookie"] == f"mm_bypass={QA}"


# ---------------------------------------------------------------------------
# trusted networks
# ---------------------------------------------------------------------------


class TestTrustedNetwork:
    CONFIG = {"enabled": True, "bypass": {"cidrs": ["192.0.2.0/24", "127.0.0.0/8"]}}

    def test_loopback_client_passes_untouched(self, envoy, baseline):
        r = envoy.get("/checkout?x=1", headers=[("x-custom", "1")])
        echo = upstream_saw(r)
        reference = upstream_saw(baseline.get("/checkout?x=1", headers=[("x-custom", "1")]))
        assert echo["path"] == reference["path"]
        assert echo["headers"].keys() == reference["headers"].keys()

    def test_http2(self, envoy):
        r = envoy.h2("GET", "/checkout")
        assert r.status == 200 and r.header("x-upstream") == "echo", r


class TestUntrustedNetwork:
    CONFIG = {"enabled": True, "bypass": {"cidrs": ["10.0.0.0/8", "::1/128", "127.0.0.2/32"]}}

    def test_loopback_client_gets_maintenance(self, envoy):
        assert_maintenance(envoy.get("/checkout"))


FORGED = [("x-forwarded-for", "10.1.2.3")]
CIDRS_10 = {"enabled": True, "bypass": {"cidrs": ["10.0.0.0/8"]}}


def test_default_envoy_takes_the_client_address_from_x_forwarded_for(make_envoy):
    # Envoy's default (use_remote_address: false) takes the address from the last
    # X-Forwarded-For entry: right behind a trusted proxy that appends it, forgeable at the
    # edge. The book says so (docs/src/bypass.md); this pins the behaviour it describes.
    e = make_envoy(CIDRS_10)
    assert upstream_saw(e.get("/checkout", headers=FORGED))
    assert_maintenance(e.get("/checkout"))


def test_edge_envoy_with_use_remote_address_ignores_forged_x_forwarded_for(make_envoy):
    e = make_envoy(CIDRS_10, hcm={"use_remote_address": True})
    assert_maintenance(e.get("/checkout", headers=FORGED))
    assert_maintenance(e.get("/checkout", headers=[("x-forwarded-for", "192.0.2.1, 10.1.2.3")]))


def test_behind_one_trusted_proxy_the_address_it_appended_counts(make_envoy):
    e = make_envoy(CIDRS_10, hcm={"use_remote_address": True, "xff_num_trusted_hops": 1})
    # The trusted proxy appended the real client (10.1.2.3).
    assert upstream_saw(e.get("/checkout", headers=[("x-forwarded-for", "192.0.2.1, 10.1.2.3")]))
    # The client forged 10.1.2.3; the proxy appended the real 192.0.2.1.
    assert_maintenance(e.get("/checkout", headers=[("x-forwarded-for", "10.1.2.3, 192.0.2.1")]))


# ---------------------------------------------------------------------------
# secrets stay out of the plugin's logs
# ---------------------------------------------------------------------------


class TestNoSecretsInPluginLogs:
    CONFIG = ALL
    LOG_LEVEL = "debug"

    def test_debug_log_has_no_secret(self, envoy, plugin):
        envoy.get(f"{SET_PATH}?token={QA}")
        # An encoded `?` (once or twice) makes it an ordinary path: still no secret in the log.
        for encoded in ("%3F", "%3f", "%253F"):
            assert_maintenance(envoy.get(f"{SET_PATH}{encoded}token={QA}"))
        envoy.get("/checkout", headers=[("x-maintenance-bypass", OPS), ("cookie", f"mm_bypass={QA}")])
        envoy.get("/checkout", headers=[("x-ci-bypass", CI)])
        lines = plugin.log_lines(envoy.log_text())
        assert any("GrantCookie" in line for line in lines), "\n".join(lines[-10:])
        assert any("via: Token" in line for line in lines), "\n".join(lines[-10:])
        for line in lines:
            for secret in (OPS, CI, QA):
                assert secret not in line, line


# ---------------------------------------------------------------------------
# the trick table
# ---------------------------------------------------------------------------

UP = "upstream"  # passes; the upstream sees the path given next to it
TRICK_CONFIG = {"enabled": True, "bypass": {"paths": ["/admin", "/healthz"]}}
NORMALIZING = {"normalize_path": True, "merge_slashes": True}

# (raw request-target, outcome with Envoy's default path handling, outcome with
# normalize_path + merge_slashes). An outcome is 503 (maintenance), 400/404 (Envoy rejects
# the request itself), or (UP, path the upstream saw). The point of every row: no trick
# reaches the upstream unless the path it gets is under /admin or /healthz.
TRICKS = [
    # dot segments, plain and percent-encoded
    (b"/admin/../checkout", 503, 503),
    (b"/admin/x/../../checkout", 503, 503),
    (b"/admin/..", 503, 503),
    (b"/healthz/../admin/../checkout", 503, 503),
    (b"/admin/%2e%2e/checkout", 503, 503),
    (b"/admin/%2E%2E/checkout", 503, 503),
    (b"/admin/.%2e/checkout", 503, 503),
    (b"/admin/%2e./checkout", 503, 503),
    (b"/admin/./x", 503, (UP, "/admin/x")),  # resolves inside; ambiguous unless Envoy resolves it
    (b"/./admin/x", 503, (UP, "/admin/x")),
    (b"/x/../admin/y", 503, (UP, "/admin/y")),
    (b"/admin%2E%2E", 503, 503),  # segment "admin..", not "admin"
    # encoded slashes and backslashes
    (b"/admin/..%2fcheckout", 503, 503),
    (b"/admin%2F..%2Fcheckout", 503, 503),
    (b"/admin%2fx", 503, 503),
    (b"/admin/%2e%2e%2f..%2fcheckout", 503, 503),
    (b"/admin%5C..%5Ccheckout", 503, 503),
    (b"/admin%5cx", 503, 503),
    (b"/admin/x/..%5c..%5ccheckout", 503, 503),
    (b"/admin\\..\\checkout", 503, 503),
    (b"/admin\\x", 503, (UP, "/admin/x")),  # normalize_path turns \ into /
    # ; path parameters
    (b"/admin/..;/checkout", 503, 503),
    (b"/admin;/../checkout", 503, 503),
    (b"/admin;jsessionid=1/x", 503, 503),
    (b"/admin%3b/x", 503, 503),
    # repeated slashes
    (b"//admin/../checkout", 503, 503),
    (b"/admin//../checkout", 503, (UP, "/admin/checkout")),  # merged, then resolved inside
    (b"//admin", 503, (UP, "/admin")),
    (b"/admin//x", 503, (UP, "/admin/x")),
    # a bypass prefix in the query or fragment
    (b"/checkout?/admin", 503, 503),
    (b"/checkout?next=/admin/", 503, 503),
    (b"/checkout?x=/admin/../", 503, 503),
    (b"/checkout#/admin", 400, 400),
    (b"/admin#/../checkout", 400, 400),
    (b"/checkout%3F/admin", 503, 503),
    (b"/checkout%23/admin", 503, 503),
    # case tricks
    (b"/ADMIN", 503, 503),
    (b"/Admin/x", 503, 503),
    (b"/%41dmin", 503, 503),  # %41 is "A"
    (b"/%61dmin/x", 503, (UP, "/admin/x")),  # a non-decoding upstream reads another path
    # NUL and control characters
    (b"/admin%00/../checkout", 503, 400),
    (b"/admin/%00", 503, 400),
    (b"/admin%0a", 503, 503),
    (b"/admin/\x00", 400, 400),
    # overlong and invalid UTF-8, invalid percent-encoding
    (b"/admin/%c0%ae%c0%ae/checkout", 503, 503),  # overlong "."
    (b"/admin/%c0%af../checkout", 503, 503),  # overlong "/"
    (b"/admin/%e0%80%ae%e0%80%ae/checkout", 503, 503),
    (b"/admin/%ff", 503, 503),
    (b"/admin/%", 503, 503),
    (b"/admin/%2", 503, 503),
    (b"/admin/%zz", 503, 503),
    (b"/admin/%u002e%u002e/checkout", 503, 503),  # IIS %u encoding
    (b"/admin/%%32%65%%32%65/checkout", 503, 503),
    ("/admin/é".encode(), 400, 400),  # raw non-ASCII
    # double encoding
    (b"/admin/%252e%252e/checkout", 503, 503),
    (b"/admin/%25%32%65%25%32%65/checkout", 503, 503),  # %252e once its unreserved are decoded
    (b"/admin%252fcheckout", 503, 503),
    # Unicode compatibility forms and Windows trimming
    (b"/admin/%ef%bc%8e%ef%bc%8e/checkout", 503, 503),  # fullwidth ".."
    (b"/admin%ef%bc%8fcheckout", 503, 503),  # fullwidth "/"
    (b"/admin/%e2%80%a5/checkout", 503, 503),  # two dot leader
    (b"/admin/..%20/checkout", 503, 503),
    (b"/admin/.../checkout", 503, 503),
    # segments ending in "." or a space: ambiguous, so never bypassed even inside the prefix
    (b"/admin/x%2e%2e/y", 503, 503),  # "x.."
    (b"/admin/x./y", 503, 503),
    (b"/admin/x%20/y", 503, 503),
    (b"/admin%20/x", 503, 503),
    (b"/admin./x", 503, 503),
    # other request-target forms
    (b"http://localhost/admin/../checkout", 503, 503),
    (b"*", 404, 404),
    # legitimate bypass requests still pass
    (b"/admin/x", (UP, "/admin/x"), (UP, "/admin/x")),
    (b"/admin/%7Euser", (UP, "/admin/%7Euser"), (UP, "/admin/~user")),
    (b"/admin/caf%C3%A9", (UP, "/admin/caf%C3%A9"), (UP, "/admin/caf%C3%A9")),
    (b"/healthz?full=1", (UP, "/healthz?full=1"), (UP, "/healthz?full=1")),
]


def test_trick_table_is_big_enough():
    tricks = [target for target, default, _ in TRICKS if not isinstance(default, tuple)]
    assert len(tricks) >= 40 and len(set(tricks)) == len(tricks)


def outcome(e: harness.Envoy, target: bytes):
    r = e.request("OPTIONS" if target == b"*" else "GET", target)
    if r.from_upstream:
        return (UP, r.json()["path"])
    return r.status


def check_trick(e: harness.Envoy, target: bytes, expected) -> None:
    got = outcome(e, target)
    assert got == expected, f"{target!r}: expected {expected}, got {got}"
    if isinstance(got, tuple):
        path = got[1].split("?")[0]
        assert path == "/admin" or path.startswith(("/admin/", "/healthz")), got


class TestTricksDefaultPathHandling:
    CONFIG = TRICK_CONFIG

    @pytest.mark.parametrize(
        "target, expected", [(t, d) for t, d, _ in TRICKS], ids=[repr(t)[2:-1] for t, _, _ in TRICKS]
    )
    def test_trick(self, envoy, target, expected):
        check_trick(envoy, target, expected)


class TestTricksNormalizePathAndMergeSlashes:
    CONFIG = TRICK_CONFIG
    HCM = NORMALIZING

    @pytest.mark.parametrize(
        "target, expected", [(t, n) for t, _, n in TRICKS], ids=[repr(t)[2:-1] for t, _, _ in TRICKS]
    )
    def test_trick(self, envoy, target, expected):
        check_trick(envoy, target, expected)


# ---------------------------------------------------------------------------
# bad bypass configuration
# ---------------------------------------------------------------------------

GOOD_SHA = sha(OPS)
BAD_BYPASS = [
    ({"tokens": [{"header": "x-b", "sha256": GOOD_SHA[:-1]}]}, "bypass.tokens[0].sha256", "64 hex digits"),
    ({"tokens": [{"header": "x-b", "sha256": GOOD_SHA[:-1] + "g"}]}, "bypass.tokens[0].sha256", "hex digits"),
    ({"tokens": [{"header": "x-b", "sha256": sha("")}]}, "bypass.tokens[0].sha256", "empty string"),
    (
        {"tokens": [{"header": "x-a", "sha256": GOOD_SHA}, {"header": "", "sha256": GOOD_SHA}]},
        "bypass.tokens[1].header",
        "empty",
    ),
    ({"tokens": [{"header": "cookie", "sha256": GOOD_SHA}]}, "bypass.tokens[0].header", "bypass.cookie"),
    ({"tokens": [{"header": "x-b"}]}, "bypass.tokens[0]", "sha256"),
    ({"cidrs": ["10.0.0.0/8", "10.0.0.0/33"]}, "bypass.cidrs[1]", "prefix length"),
    ({"cidrs": ["10.1.2.3/8"]}, "bypass.cidrs[0]", "10.0.0.0/8"),
    ({"cidrs": ["office"]}, "bypass.cidrs[0]", "not an IPv4 or IPv6"),
    (
        {"cookie": {"name": "mm", "sha256": GOOD_SHA, "set_path": "bypass"}},
        "bypass.cookie.set_path",
        "must start with '/'",
    ),
    ({"cookie": {"name": "mm", "sha256": GOOD_SHA, "set_path": "/a/../b"}}, "bypass.cookie.set_path", "'..'"),
    ({"cookie": {"name": "m m", "sha256": GOOD_SHA}}, "bypass.cookie.name", "cookie name"),
    ({"cookie": {"name": "mm", "sha256": "xyz"}}, "bypass.cookie.sha256", "64 hex digits"),
    ({"cookie": {"name": "mm", "sha256": GOOD_SHA, "max_age": 0}}, "bypass.cookie.max_age", "between"),
    ({"cookie": {"name": "__Host-mm", "sha256": GOOD_SHA, "secure": False}}, "bypass.cookie.secure", "__Host-"),
    ({"cookie": {"name": "mm", "sha256": GOOD_SHA, "domain": "x"}}, "bypass.cookie.domain", "unknown field"),
]


@pytest.fixture(scope="module")
def validated(plugin, tmp_path_factory):
    base = tmp_path_factory.mktemp("validate-bypass")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(harness.validate, {"enabled": True, "bypass": bypass}, base / str(index), plugin=plugin)
            for index, (bypass, _, _) in enumerate(BAD_BYPASS)
        ]
        good = pool.submit(harness.validate, ALL, base / "good", plugin=plugin)
        return [f.result() for f in futures], good.result()


@pytest.mark.parametrize("index", range(len(BAD_BYPASS)), ids=[case[1] for case in BAD_BYPASS])
def test_bad_bypass_config_is_rejected_naming_the_field(validated, index):
    _, field, why = BAD_BYPASS[index]
    message = rejection(validated[0][index])
    assert message.startswith(f"{field}: "), message
    assert why in message, message


def test_full_bypass_config_is_accepted(validated):
    code, output = validated[1]
    assert code == 0, output[-2000:]
    assert "; bypass tokens: 3; bypass cookie with link; bypass networks: 2" in output
