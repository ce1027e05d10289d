"""Safe rollouts and visibility (issue 14) through a real Envoy: `dry_run`, the decision in
Envoy's file access log, `bypass.header`, and bypass credentials that expire (`not_after`).

The echo upstream reports every header it received, so what reached the application is checked
on what the upstream actually saw; the access log is Envoy's own file access log.
"""

from __future__ import annotations

import hashlib
import re
import time
import urllib.parse
from pathlib import Path

import harness
from checks import assert_maintenance, assert_upstream, rejection

TOKEN = "qa-token-6c1e"
COOKIE_SECRET = "qa-cookie-93ad"
SET_PATH = "/__maintenance/bypass"
SHOP = "shop.example.com"
KIND = "x-maintenance-bypass-kind"
DECISION = "%FILTER_STATE(wasm.maintenance_mode.decision:PLAIN)%"


def sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def rfc3339(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def access_log_hcm(path: Path) -> dict:
    """An HttpConnectionManager file access log to `path`: the test's request id, the status and
    the plugin's decision (the README's recipe, plus the id)."""
    return {
        "access_log": [
            {
                "name": "envoy.access_loggers.file",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                    "path": str(path),
                    "log_format": {
                        "text_format_source": {"inline_string": f"%REQ(X-TEST-ID)% %RESPONSE_CODE% {DECISION}\n"}
                    },
                },
            }
        ]
    }


def logged_decisions(path: Path, ids: list[str], timeout: float = 10.0) -> dict[str, tuple[str, str]]:
    """Each request id's (status, decision) from the access log, waiting (bounded) for Envoy to
    flush it."""
    deadline = time.monotonic() + timeout
    found: dict[str, tuple[str, str]] = {}
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        found = {}
        for line in text.splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                found[parts[0]] = (parts[1], parts[2])
        if all(i in found for i in ids):
            return found
        time.sleep(0.1)
    raise AssertionError(f"access log {path} lacks some of {ids}: {found}")


# The harness names its plugin instance `maintenance-mode`; metrics are named per instance.
METRICS = "wasmcustom.maintenance.instance.maintenance-mode."


def counters(envoy: harness.Envoy) -> dict[str, int]:
    stats = envoy.stats(re.escape(METRICS))
    return {name.removeprefix(METRICS): value for name, value in stats.items()}


ROUTES = [{"hosts": [SHOP]}]
BYPASS = {
    "paths": ["/admin"],
    "tokens": [{"header": "x-qa-bypass", "sha256": sha(TOKEN)}],
    "cookie": {"name": "mm_bypass", "sha256": sha(COOKIE_SECRET), "set_path": SET_PATH, "secure": False},
}


def shop(envoy: harness.Envoy, target: str, test_id: str, headers=(), host: str = SHOP) -> harness.Response:
    return envoy.get(target, host=host, headers=[("x-test-id", test_id), *headers])


# ---------------------------------------------------------------------------
# the decision in the access log
# ---------------------------------------------------------------------------


def test_every_decision_kind_is_in_the_file_access_log(make_envoy, tmp_path):
    log = tmp_path / "access.log"
    config = {"enabled": True, "routes": ROUTES, "bypass": BYPASS}
    envoy = make_envoy(config, hcm=access_log_hcm(log))
    cases = {
        "maintenance": (shop(envoy, "/cart", "maintenance"), "503"),
        "path": (shop(envoy, "/admin/x", "path"), "200"),
        "token": (shop(envoy, "/cart", "token", [("x-qa-bypass", TOKEN)]), "200"),
        "cookie": (shop(envoy, "/cart", "cookie", [("cookie", f"mm_bypass={COOKIE_SECRET}")]), "200"),
        "link": (shop(envoy, f"{SET_PATH}?token={COOKIE_SECRET}", "link"), "302"),
        "scope": (shop(envoy, "/cart", "scope", host="blog.example.com"), "200"),
    }
    for name, (response, status) in cases.items():
        assert response.status == int(status), (name, response)
    # The network bypass, with the loopback client trusted.
    trusted = make_envoy({**config, "bypass": {"cidrs": ["127.0.0.0/8"]}}, hcm=access_log_hcm(tmp_path / "net.log"))
    assert_upstream(shop(trusted, "/cart", "network"))
    found = logged_decisions(log, list(cases))
    assert found == {
        "maintenance": ("503", "maintenance"),
        "path": ("200", "bypass:path"),
        "token": ("200", "bypass:token"),
        "cookie": ("200", "bypass:cookie"),
        "link": ("302", "cookie_link"),
        "scope": ("200", "out_of_scope"),
    }
    assert logged_decisions(tmp_path / "net.log", ["network"]) == {"network": ("200", "bypass:network")}


def test_a_replacement_is_logged_and_nothing_is_recorded_while_maintenance_is_off(make_envoy, tmp_path):
    log = tmp_path / "access.log"
    envoy = make_envoy({"upstream_fallback": {}, "routes": ROUTES, "bypass": BYPASS}, hcm=access_log_hcm(log))
    assert_maintenance(shop(envoy, "/status/503", "replaced"))
    assert_upstream(shop(envoy, "/cart", "passed"))
    assert_upstream(shop(envoy, "/admin/x", "path"))
    assert logged_decisions(log, ["replaced", "passed", "path"]) == {
        "replaced": ("503", "replaced"),
        # Maintenance does not apply: the plugin records nothing (Envoy prints "-").
        "passed": ("200", "-"),
        "path": ("200", "-"),
    }


# ---------------------------------------------------------------------------
# dry run
# ---------------------------------------------------------------------------


def test_dry_run_answers_nothing_but_counts_and_logs_what_it_would(make_envoy, tmp_path):
    log = tmp_path / "access.log"
    config = {"enabled": True, "dry_run": True, "routes": ROUTES, "bypass": BYPASS, "upstream_fallback": {}}
    envoy = make_envoy(config, hcm=access_log_hcm(log))
    assert "DRY RUN" in envoy.log_text()
    # Would-be pages go through unchanged, even an upstream failure (it would have been answered).
    echo = assert_upstream(shop(envoy, "/cart", "page", [("x-qa-bypass", "wrong"), ("cookie", "a=1; mm_bypass=no")]))
    # ... without the bypass secrets they carried.
    assert "x-qa-bypass" not in echo["headers"], echo
    assert echo["headers"]["cookie"] == "a=1", echo
    assert_upstream(shop(envoy, "/status/503", "page-503"), status=503)
    # Bypasses are decided and stripped as usual.
    echo = assert_upstream(shop(envoy, "/cart", "token", [("x-qa-bypass", TOKEN)]))
    assert "x-qa-bypass" not in echo["headers"], echo
    # The cookie link still works.
    link = shop(envoy, f"{SET_PATH}?token={COOKIE_SECRET}", "link")
    assert link.status == 302 and (link.header("set-cookie") or "").startswith("mm_bypass="), link
    got = counters(envoy)
    assert (got["dry_run_responses_total"], got["responses_total"], got["bypassed_total"]) == (2, 0, 2), got
    found = logged_decisions(log, ["page", "page-503", "token", "link"])
    assert found == {
        "page": ("200", "dry_run"),
        "page-503": ("503", "dry_run"),
        "token": ("200", "bypass:token"),
        "link": ("302", "cookie_link"),
    }

    # Maintenance off: an upstream failure the fallback would replace goes through.
    log_off = tmp_path / "off.log"
    off = make_envoy({**config, "enabled": False}, hcm=access_log_hcm(log_off))
    r = shop(off, "/status/503", "would-replace")
    assert_upstream(r, status=503)
    assert_upstream(shop(off, "/cart", "passes"))
    got = counters(off)
    assert got["dry_run_replaced_total"] == 1 and got["upstream_replaced_total"] == 0, got
    assert logged_decisions(log_off, ["would-replace", "passes"]) == {
        "would-replace": ("503", "dry_run:replaced"),
        "passes": ("200", "pass"),
    }


# ---------------------------------------------------------------------------
# bypass.header
# ---------------------------------------------------------------------------


def test_the_bypass_header_names_each_kind_and_spoofed_copies_never_arrive(make_envoy):
    config = {"enabled": True, "routes": ROUTES, "bypass": {**BYPASS, "header": "X-Maintenance-Bypass-Kind"}}
    envoy = make_envoy(config)
    spoof = (KIND, "token")
    kinds = {
        "path": shop(envoy, "/admin/x", "p", [spoof]),
        "token": shop(envoy, "/cart", "t", [spoof, ("x-qa-bypass", TOKEN)]),
        "cookie": shop(envoy, "/cart", "c", [spoof, (KIND, "path"), ("cookie", f"mm_bypass={COOKIE_SECRET}")]),
    }
    for kind, response in kinds.items():
        assert assert_upstream(response)["headers"].get(KIND) == kind, (kind, response)
    # Out of scope while maintenance applies: the client's copy is removed.
    echo = assert_upstream(shop(envoy, "/cart", "o", [spoof], host="blog.example.com"))
    assert KIND not in echo["headers"], echo
    assert_maintenance(shop(envoy, "/cart", "m", [spoof]))

    trusted = make_envoy({**config, "bypass": {"cidrs": ["127.0.0.1/32"], "header": KIND}})
    assert assert_upstream(shop(trusted, "/cart", "n", [spoof]))["headers"].get(KIND) == "network"

    # Maintenance off: every request loses a client's copy, bypass paths included.
    off = make_envoy({**config, "enabled": False})
    for target in ("/cart", "/admin/x"):
        echo = assert_upstream(shop(off, target, "off", [spoof, (KIND, "cookie")]))
        assert KIND not in echo["headers"], echo


def test_every_spelling_of_the_bypass_header_is_removed(make_envoy):
    """WSGI, Rack and PHP read `x_maintenance_bypass_kind` (any case) as the trusted header: no
    such copy of a client's reaches the application, whatever the decision."""
    config = {"enabled": True, "routes": ROUTES, "bypass": {**BYPASS, "header": KIND}}
    spoofs = [(KIND.replace("-", "_"), "token"), ("X-Maintenance_Bypass-Kind", "cookie"), (KIND, "network")]

    def spellings(echo: dict) -> dict[str, str]:
        return {name: value for name, value in echo["headers"].items() if name.replace("_", "-") == KIND}

    envoy = make_envoy(config)
    assert spellings(assert_upstream(shop(envoy, "/admin/x", "p", spoofs))) == {KIND: "path"}
    assert spellings(assert_upstream(shop(envoy, "/", "o", spoofs, host="blog.example.com"))) == {}
    off = make_envoy({**config, "enabled": False})
    assert spellings(assert_upstream(shop(off, "/cart", "off", spoofs))) == {}


# ---------------------------------------------------------------------------
# not_after
# ---------------------------------------------------------------------------


def expiring(not_after: str) -> dict:
    return {
        "enabled": True,
        "routes": ROUTES,
        "bypass": {
            "tokens": [{"header": "x-qa-bypass", "sha256": sha(TOKEN), "not_after": not_after}],
            "cookie": {**BYPASS["cookie"], "not_after": not_after},
        },
    }


def expired_lines(envoy: harness.Envoy) -> list[str]:
    return [line for line in envoy.log_text().splitlines() if "expired at" in line]


def test_credentials_before_and_after_not_after(make_envoy):
    now = time.time()
    valid = make_envoy(expiring(rfc3339(now + 3600)))
    assert_upstream(shop(valid, "/cart", "t", [("x-qa-bypass", TOKEN)]))
    assert_upstream(shop(valid, "/cart", "c", [("cookie", f"mm_bypass={COOKIE_SECRET}")]))
    link = shop(valid, f"{SET_PATH}?token={COOKIE_SECRET}", "l")
    assert link.status == 302, link
    max_age = int(re.search(r"Max-Age=(\d+)", (link.header("set-cookie") or "")).group(1))
    # The cookie ends with the credential (or the default hour, whichever is first).
    assert 3500 < max_age <= 3600, link
    assert expired_lines(valid) == []

    expired = make_envoy(expiring(rfc3339(now - 60)), concurrency=2)
    echo_less = shop(expired, "/cart", "t", [("x-qa-bypass", TOKEN)])
    assert_maintenance(echo_less)
    assert_maintenance(shop(expired, "/cart", "c", [("cookie", f"mm_bypass={COOKIE_SECRET}")]))
    link = shop(expired, f"{SET_PATH}?token={urllib.parse.quote(COOKIE_SECRET)}", "l")
    assert_maintenance(link)
    assert link.header("set-cookie") is None, link
    # Said once per proxy (two workers, so several VMs), for each credential.
    lines = expired_lines(expired)
    assert len(lines) == 2, lines
    assert any("bypass.tokens[0] (header x-qa-bypass)" in line for line in lines), lines
    assert any("bypass.cookie (cookie mm_bypass)" in line for line in lines), lines
    assert not any(TOKEN in line or COOKIE_SECRET in line for line in expired.log_text().splitlines())


def test_a_token_stops_working_when_it_expires(make_envoy):
    end = int(time.time()) + 3
    envoy = make_envoy(expiring(rfc3339(end)))
    assert_upstream(shop(envoy, "/cart", "before", [("x-qa-bypass", TOKEN)]))
    assert expired_lines(envoy) == []
    # Bounded wait past the end (the credential is valid through its not_after second).
    while time.time() < end + 1.2:
        time.sleep(0.1)
    assert_maintenance(shop(envoy, "/cart", "after", [("x-qa-bypass", TOKEN)]))
    deadline = time.monotonic() + 5
    while len(expired_lines(envoy)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = expired_lines(envoy)
    assert len(lines) == 2 and f"expired at {rfc3339(end)}" in lines[0], lines


def test_bad_not_after_and_bypass_header_are_rejected_by_name():
    for config, field in [
        (
            {"bypass": {"tokens": [{"header": "x-a", "sha256": sha(TOKEN), "not_after": "next week"}]}},
            "bypass.tokens[0].not_after",
        ),
        ({"bypass": {"cookie": {**BYPASS["cookie"], "not_after": "2025-02-30T00:00:00Z"}}}, "bypass.cookie.not_after"),
        ({"bypass": {"header": "x a"}}, "bypass.header"),
        ({"bypass": {"header": "x-qa-bypass", "tokens": BYPASS["tokens"]}}, "bypass.header"),
    ]:
        assert rejection(harness.validate(config)).startswith(f"{field}: "), config
