"""Assertions the e2e tests share: what a maintenance response, a passed-through response and a
rejected configuration look like."""

from __future__ import annotations

from envoylib.client import Response
from envoylib.process import PLUGIN_ERROR, Validation


def assert_maintenance(r: Response, status: int = 503) -> None:
    """The plugin answered (the upstream was not reached), with `status` and no-store."""
    assert not r.from_upstream, f"request reached the upstream: {r!r}"
    assert r.status == status, r
    assert r.header("cache-control") == "no-store", r


def assert_upstream(r: Response, path: str | None = None, status: int = 200) -> dict:
    """The echo upstream answered (for `path`), and the filter added nothing; returns the echo."""
    assert r.from_upstream, f"expected the upstream's response: {r!r}"
    assert r.status == status, r
    assert r.header("cache-control") is None, r
    assert r.header("retry-after") is None, r
    echo = r.json()
    if path is not None:
        assert echo["path"] == path, echo
    return echo


def rejection(result: Validation) -> str:
    """The plugin's one error message (after `invalid plugin configuration: `) for a rejected
    configuration; fails unless Envoy refused it with exactly one plugin error line."""
    code, output = result
    lines = [line for line in output.splitlines() if PLUGIN_ERROR in line]
    assert code != 0, f"envoy accepted it:\n{output[-2000:]}"
    assert len(lines) == 1, f"expected one plugin error line, got {lines}:\n{output[-2000:]}"
    return lines[0].split(PLUGIN_ERROR + ": ", 1)[1]
