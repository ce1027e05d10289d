"""Planned (`windows`) and weekly (`recurring`) maintenance windows (issue 4) through a real
Envoy. Every configuration is generated from the current time, so each test starts its own
Envoy (`make_envoy`) right after computing its windows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

import harness
from checks import assert_maintenance, rejection

REASON = "Planned database upgrade."
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def rfc3339(seconds: float, offset_minutes: int = 0) -> str:
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    return dt.datetime.fromtimestamp(seconds, zone).isoformat()


def utc(seconds: int) -> str:
    """How the filter writes an instant: RFC 3339 in UTC with Z."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def timed_get(envoy, target: str = "/", accept: str | None = None) -> tuple[harness.Response, float, float]:
    before = time.time()
    r = envoy.get(target, headers=[("accept", accept)] if accept else [])
    return r, before, time.time()


def assert_passes(r: harness.Response) -> None:
    assert r.from_upstream and r.status == 200, r


def assert_retry_after_until(r: harness.Response, end: int, before: float, after: float) -> None:
    """retry-after is the whole seconds from the filter's clock reading (some instant between
    `before` and `after`) to `end`, at least 1."""
    value = r.header("retry-after")
    assert value is not None and value.isdigit(), r
    low = max(1, end - math.floor(after))
    high = max(1, end - math.floor(before))
    assert low <= int(value) <= high, (value, low, high)


def schedule_lines(envoy) -> list[str]:
    return [line for line in envoy.log_text().splitlines() if "maintenance schedule:" in line]


# ---------------------------------------------------------------------------
# planned windows
# ---------------------------------------------------------------------------


def test_window_in_the_past(make_envoy):
    now = time.time()
    envoy = make_envoy(
        {"enabled": True, "reason": REASON, "windows": [{"start": rfc3339(now - 7200), "end": rfc3339(now - 3600)}]}
    )
    assert_passes(envoy.get("/"))
    assert "outside maintenance windows; none is ahead" in schedule_lines(envoy)[0]


def test_window_in_the_future(make_envoy):
    now = time.time()
    start = int(now) + 3600
    envoy = make_envoy(
        {"enabled": True, "reason": REASON, "windows": [{"start": rfc3339(start, 120), "end": rfc3339(start + 60)}]}
    )
    assert_passes(envoy.get("/"))
    assert f"the next opens at {utc(start)}" in schedule_lines(envoy)[0]


def test_window_open_now(make_envoy):
    now = time.time()
    end = int(now) + 600
    # the end in another offset and with a fraction (dropped): the same instant
    end_text = rfc3339(end, -330)
    end_text = end_text[:-6] + ".75" + end_text[-6:]
    envoy = make_envoy({"enabled": True, "reason": REASON, "windows": [{"start": rfc3339(now - 60), "end": end_text}]})
    assert f"inside a maintenance window until {utc(end)}" in schedule_lines(envoy)[0]

    r, before, after = timed_get(envoy)
    assert_maintenance(r)
    assert_retry_after_until(r, end, before, after)
    assert f"Expected back by {utc(end)}." in r.text, r

    r, before, after = timed_get(envoy, accept="application/json")
    assert_maintenance(r)
    assert_retry_after_until(r, end, before, after)
    assert r.json() == {"title": "Down for maintenance", "status": 503, "detail": REASON, "until": utc(end)}

    r, before, after = timed_get(envoy, accept="text/html")
    assert_maintenance(r)
    assert_retry_after_until(r, end, before, after)
    # The end for people, rounded up to the minute (the page's script shows it in local time).
    human = dt.datetime.fromtimestamp(math.ceil(end / 60) * 60, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f'<time datetime="{utc(end)}">{human}</time>' in r.text, r.text

    before = time.time()
    g = envoy.h2("POST", "/pkg.Svc/M", [("content-type", "application/grpc"), ("te", "trailers")], body=b"\0\0\0\0\0")
    after = time.time()
    assert g.headers_only and g.header("grpc-status") == "14", g
    assert urllib.parse.unquote(g.header("grpc-message")) == REASON, g
    assert max(1, end - math.floor(after)) <= int(g.header("retry-after")) <= end - math.floor(before), g


def test_window_open_ended(make_envoy):
    now = time.time()
    envoy = make_envoy({"enabled": True, "reason": REASON, "windows": [{"start": rfc3339(now - 60)}]})
    assert "inside a maintenance window with no end" in schedule_lines(envoy)[0]
    r = envoy.get("/", headers=[("accept", "application/json")])
    assert_maintenance(r)
    assert r.header("retry-after") is None, r
    assert r.json() == {"title": "Down for maintenance", "status": 503, "detail": REASON}
    html = envoy.get("/", headers=[("accept", "text/html")])
    assert_maintenance(html)
    assert "Expected back" not in html.text and "<time" not in html.text, html.text


def test_window_with_only_an_end(make_envoy):
    now = time.time()
    end = int(now) + 300
    envoy = make_envoy({"enabled": True, "windows": [{"end": rfc3339(end)}]})
    r, before, after = timed_get(envoy)
    assert_maintenance(r)
    assert_retry_after_until(r, end, before, after)


def test_explicit_retry_after_wins_and_template_gets_until(make_envoy):
    now = time.time()
    end = int(now) + 900
    envoy = make_envoy(
        {
            "enabled": True,
            "retry_after": 42,
            "windows": [{"start": rfc3339(now - 60), "end": rfc3339(end)}],
            "response": {"html": "<p>back at {{until}}</p>"},
        }
    )
    r = envoy.get("/", headers=[("accept", "text/html")])
    assert_maintenance(r)
    assert r.header_all("retry-after") == ["42"], r
    assert r.text == f"<p>back at {utc(end)}</p>", r.text
    assert envoy.get("/", headers=[("accept", "application/json")]).json()["until"] == utc(end)


def test_back_to_back_windows_announce_the_last_end(make_envoy):
    now = int(time.time())
    middle, end = now + 120, now + 400
    envoy = make_envoy(
        {
            "enabled": True,
            "windows": [
                {"start": rfc3339(middle), "end": rfc3339(end)},
                {"start": rfc3339(now - 60), "end": rfc3339(middle)},
            ],
        }
    )
    r, before, after = timed_get(envoy, accept="application/json")
    assert_maintenance(r)
    assert r.json()["until"] == utc(end), r
    assert_retry_after_until(r, end, before, after)


def test_windows_do_not_enable_maintenance(make_envoy):
    now = time.time()
    envoy = make_envoy({"enabled": False, "windows": [{"start": rfc3339(now - 60), "end": rfc3339(now + 600)}]})
    assert_passes(envoy.get("/"))
    assert schedule_lines(envoy) == []


def test_bypass_still_applies_inside_a_window(make_envoy):
    now = time.time()
    envoy = make_envoy({"enabled": True, "bypass": {"paths": ["/admin"]}, "windows": [{"start": rfc3339(now - 60)}]})
    assert_passes(envoy.get("/admin/x"))
    assert_maintenance(envoy.get("/x"))


# ---------------------------------------------------------------------------
# weekly windows
# ---------------------------------------------------------------------------


def local_ten_past_midnight() -> tuple[int, dt.datetime]:
    """A UTC offset (whole minutes) at which it is now 00:10 local time, and that local time.
    This puts a 23:40-00:40 weekly window across local midnight around now, whatever the
    clock says."""
    now = dt.datetime.now(dt.UTC)
    minutes = (10 - (now.hour * 60 + now.minute)) % 1440
    if minutes > 720:
        minutes -= 1440
    local = now.astimezone(dt.timezone(dt.timedelta(minutes=minutes)))
    assert (local.hour, local.minute) == (0, 10), local
    return minutes, local


def test_recurring_window_across_midnight_covers_now(make_envoy):
    offset, local = local_ten_past_midnight()
    yesterday = DAYS[(local.date() - dt.timedelta(days=1)).weekday()]
    end = int(dt.datetime.combine(local.date(), dt.time(0, 40), local.tzinfo).timestamp())
    envoy = make_envoy(
        {
            "enabled": True,
            "reason": REASON,
            "recurring": [{"days": [yesterday], "start": "23:40", "end": "00:40", "utc_offset": utc_offset(offset)}],
        }
    )
    r, before, after = timed_get(envoy, accept="application/json")
    assert_maintenance(r)
    assert r.json()["until"] == utc(end), r
    assert_retry_after_until(r, end, before, after)
    assert 1700 <= int(r.header("retry-after")) <= 1800, r
    assert f"inside a maintenance window until {utc(end)}" in schedule_lines(envoy)[0]


def test_recurring_window_every_day_covers_now(make_envoy):
    # no days (every day), no offset (UTC): now-10min to now+10min, as HH:MM in UTC
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(minutes=10)).strftime("%H:%M")
    end_at = (now + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    envoy = make_envoy({"enabled": True, "recurring": [{"start": start, "end": end_at.strftime("%H:%M")}]})
    r, before, after = timed_get(envoy)
    assert_maintenance(r)
    assert_retry_after_until(r, int(end_at.timestamp()), before, after)


def test_recurring_windows_that_do_not_cover_now(make_envoy):
    offset, local = local_ten_past_midnight()
    yesterday = (local.date() - dt.timedelta(days=1)).weekday()
    today = DAYS[local.weekday()]
    envoy = make_envoy(
        {
            "enabled": True,
            "recurring": [
                # the right hours, but starting on every day except yesterday
                {
                    "days": [d for i, d in enumerate(DAYS) if i != yesterday],
                    "start": "23:40",
                    "end": "00:40",
                    "utc_offset": utc_offset(offset),
                },
                # the right day, later hours
                {"days": [today], "start": "01:00", "end": "02:00", "utc_offset": utc_offset(offset)},
            ],
        }
    )
    assert_passes(envoy.get("/"))
    # the next opening is today 01:00 local
    next_start = int(dt.datetime.combine(local.date(), dt.time(1, 0), local.tzinfo).timestamp())
    assert f"the next opens at {utc(next_start)}" in schedule_lines(envoy)[0]


# ---------------------------------------------------------------------------
# a window opening and closing while Envoy runs
# ---------------------------------------------------------------------------


def wait_until(instant: float) -> None:
    delay = instant - time.time()
    assert delay < 30, delay
    if delay > 0:
        time.sleep(delay)


def test_window_opens_and_closes_while_running(make_envoy):
    start = math.ceil(time.time()) + 6
    end = start + 3
    envoy = make_envoy(
        {"enabled": True, "reason": REASON, "windows": [{"start": rfc3339(start), "end": rfc3339(end)}]},
        start_timeout=5.5,
    )
    # before
    assert time.time() < start - 0.3, "Envoy took too long to start for this test"
    assert_passes(envoy.get("/"))
    # inside: the response renders the window's end
    wait_until(start + 0.2)
    r, before, after = timed_get(envoy, accept="application/json")
    assert_maintenance(r)
    assert r.json()["until"] == utc(end), r
    assert_retry_after_until(r, end, before, after)
    # after
    wait_until(end + 0.2)
    assert_passes(envoy.get("/"))
    # each transition is logged once (not once per Envoy thread), within a tick or two
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = envoy.log_text()
        if "maintenance window closed" in log:
            break
        time.sleep(0.2)
    opened = [line for line in log.splitlines() if "maintenance window opened" in line]
    closed = [line for line in log.splitlines() if "maintenance window closed" in line]
    assert len(opened) == 1 and f"until {utc(end)}" in opened[0], opened
    assert len(closed) == 1 and "none is ahead" in closed[0], closed
    stamp = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\]")

    def logged_at(line: str) -> float:
        text = stamp.match(line).group(1)
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").timestamp()  # Envoy logs local time

    assert start <= logged_at(opened[0]) < start + 2.5, opened
    assert end <= logged_at(closed[0]) < end + 2.5, closed


# ---------------------------------------------------------------------------
# bad configurations
# ---------------------------------------------------------------------------

BAD = {
    "start after end": (
        {"windows": [{"start": "2025-06-01T04:00:00Z", "end": "2025-06-01T05:00:00+02:00"}]},
        "windows[0].end",
    ),
    "not RFC 3339": ({"windows": [{"start": "2025-06-01 02:00"}]}, "windows[0].start"),
    "no such day": ({"windows": [{"end": "2025-02-29T00:00:00Z"}]}, "windows[0].end"),
    "no bounds": ({"windows": [{}]}, "windows[0]"),
    "empty windows": ({"windows": []}, "windows"),
    "bad day": (
        {"recurring": [{"days": ["sat", "sonday"], "start": "22:00", "end": "02:00"}]},
        "recurring[0].days[1]",
    ),
    "bad time": ({"recurring": [{"start": "7:00", "end": "08:00"}]}, "recurring[0].start"),
    "bad offset": (
        {"recurring": [{"start": "07:00", "end": "08:00", "utc_offset": "+2"}]},
        "recurring[0].utc_offset",
    ),
    "empty window": ({"recurring": [{"start": "07:00", "end": "07:00"}]}, "recurring[0].end"),
    "bad status": ({"upstream_fallback": {"statuses": [503, 404]}}, "upstream_fallback.statuses[1]"),
    "empty statuses": ({"upstream_fallback": {"statuses": []}}, "upstream_fallback.statuses"),
    "unknown placeholder": ({"response": {"html": "{{til}}"}}, "response.html"),
}


@pytest.fixture(scope="module")
def validated(tmp_path_factory, plugin):
    base = tmp_path_factory.mktemp("windows-validate")

    def run(item):
        name, (config, _) = item
        return name, harness.validate(config, base / re.sub(r"\W", "-", name), plugin=plugin)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, BAD.items()))


@pytest.mark.parametrize("name", BAD)
def test_bad_configuration_is_rejected_naming_the_field(validated, name):
    field = BAD[name][1]
    message = rejection(validated[name])
    assert message.startswith(f"{field}: "), message


def test_good_schedule_configuration_validates(tmp_path, plugin):
    config = {
        "enabled": True,
        "windows": [
            {"start": "2025-06-01T02:00:00Z", "end": "2025-06-01T06:00:00.5+02:00"},
            {"start": "2030-01-01T00:00:00Z"},
        ],
        "recurring": [{"days": ["sat", "sun"], "start": "22:00", "end": "02:00", "utc_offset": "+02:00"}],
        "upstream_fallback": {"statuses": [502, 503, 504]},
        "response": {"html": "<p>{{until}}</p>"},
    }
    code, output = harness.validate(config, tmp_path, plugin=plugin)
    assert code == 0, output[-2000:]
