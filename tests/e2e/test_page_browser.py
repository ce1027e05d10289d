"""The built-in maintenance page in a real headless browser (Debian's `chromium`, driven over
the DevTools protocol, see browser.py): no horizontal overflow on a 390 px phone or a desktop,
in light and dark mode, even with long URLs in the reason; the end of the window in a
`<time datetime>` element shown in the visitor's time zone; the page reloads itself when the
window ends, and every `response.refresh` seconds. Screenshots go to $SCREENSHOTS (or the
test's temporary directory) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest


LONG_REASON = (
    "We are upgrading the database. Follow https://status.example.com/incidents/2026/11/26/"
    "database-upgrade-with-a-very-long-identifier-0123456789abcdef0123456789abcdef?utm_source=maintenance-page"
    " for news, or write to operations-team-with-a-long-name@example.com.\n"
    "Reference: ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

SIZES = {"phone": (390, 844, True), "desktop": (1280, 800, False)}
BACKGROUND = {False: "rgb(246, 247, 249)", True: "rgb(13, 17, 23)"}

LAYOUT = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  lang: document.documentElement.lang,
  datetime: document.querySelector("time[datetime]")?.dateTime ?? null,
  timeText: document.querySelector("time")?.textContent ?? null,
  background: getComputedStyle(document.body).backgroundColor,
  heading: document.querySelector("main h1")?.textContent ?? null,
})"""


def utc(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    directory = Path(os.environ.get("SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def windowed(end: int, **extra) -> dict:
    return {
        "enabled": True,
        "title": "Down for maintenance",
        "reason": LONG_REASON,
        "windows": [{"start": utc(end - 7200), "end": utc(end)}],
    } | extra


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_page_fits_and_shows_the_end(make_envoy, browser, shots, size, dark):
    end = int(time.time()) + 3600
    envoy = make_envoy(windowed(end))
    width, height, mobile = SIZES[size]
    browser.viewport(width, height, mobile=mobile, dark=dark)
    browser.open(f"http://127.0.0.1:{envoy.port}/shop")
    layout = json.loads(browser.evaluate(LAYOUT))
    browser.screenshot(shots / f"page-{size}-{'dark' if dark else 'light'}.png")
    assert layout["innerWidth"] == width, layout
    assert layout["scrollWidth"] <= width, layout
    assert layout["heading"] == "Down for maintenance"
    assert layout["lang"] == "en"
    assert layout["datetime"] == utc(end), layout
    # The script replaced the server's text (`YYYY-MM-DD HH:MM UTC`) by the local time.
    assert layout["timeText"] and not layout["timeText"].endswith("UTC"), layout
    assert str(dt.datetime.fromtimestamp(end).year) in layout["timeText"], layout
    assert layout["background"] == BACKGROUND[dark], layout


def test_french_page_on_a_phone(make_envoy, browser, shots):
    end = int(time.time()) + 3600
    config = windowed(
        end, translations={"fr": {"title": "Maintenance en cours", "words": {"expected_back": "Retour prévu le"}}}
    )
    envoy = make_envoy(config)
    browser.viewport(390, 844, mobile=True, dark=False)
    # What a French-speaking visitor's browser sends: `accept-language: fr-FR,fr`.
    user_agent = browser.call("Browser.getVersion")["userAgent"]
    browser.call("Emulation.setUserAgentOverride", session=True, userAgent=user_agent, acceptLanguage="fr-FR,fr")
    try:
        browser.open(f"http://127.0.0.1:{envoy.port}/")
    finally:
        browser.call("Emulation.setUserAgentOverride", session=True, userAgent=user_agent, acceptLanguage="en-US")
    layout = json.loads(browser.evaluate(LAYOUT))
    browser.screenshot(shots / "page-phone-fr.png")
    assert layout["lang"] == "fr" and layout["heading"] == "Maintenance en cours", layout
    assert layout["scrollWidth"] <= 390, layout
    assert "Retour prévu le" in browser.evaluate("document.querySelector('main').innerText")


def test_page_reloads_when_the_window_ends(make_envoy, browser):
    end = int(time.time()) + 8  # Envoy takes a few seconds to start
    envoy = make_envoy(windowed(end))
    browser.viewport(1280, 800, mobile=False, dark=False)
    browser.open(f"http://127.0.0.1:{envoy.port}/shop")
    assert browser.evaluate("document.querySelector('h1').textContent") == "Down for maintenance"
    # 5 to 10 s after the end (spread), the page comes back by itself: now the application.
    browser.wait_event("Page.loadEventFired", timeout=end - time.time() + 14)
    assert time.time() >= end + 4
    assert '"path": "/shop"' in browser.evaluate("document.body.innerText")


def test_refresh_reloads_periodically(make_envoy, browser):
    envoy = make_envoy({"enabled": True, "response": {"refresh": 1}})
    browser.viewport(1280, 800, mobile=False, dark=False)
    browser.open(f"http://127.0.0.1:{envoy.port}/")
    browser.evaluate("window.marker = 1")
    browser.wait_event("Page.loadEventFired", timeout=6)
    assert browser.evaluate("typeof window.marker") == "undefined"
