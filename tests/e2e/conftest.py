"""Fixtures for the end-to-end suite.

- `upstream`: one echo server for the whole session.
- `envoy`: class-scoped; a test class sets `CONFIG` (dict → JSON, str as is, bytes
  for the raw/empty config) and optionally `HCM` (HttpConnectionManager overrides),
  and all its tests share that one Envoy.
- `baseline`: an Envoy with the same listener and route but no wasm filter, to
  compare bypassed/out-of-scope traffic against.
- `make_envoy`: a factory for one-off Envoys, stopped at the end of the test.
- `browser`: a headless Chromium (browser.py), one per test module.

When a test that used an Envoy fails, the tail of that Envoy's log is attached
to the report.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import harness
import pytest
from browser import Browser, chromium_bin

_counter = itertools.count()


@pytest.fixture(scope="session")
def wasm() -> Path:
    path = harness.wasm_path()
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make build` (or set MAINTENANCE_WASM)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def upstream():
    with harness.EchoUpstream() as up:
        yield up


@pytest.fixture(scope="session")
def envoy_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("envoy")


def _workdir(base: Path, label: str) -> Path:
    safe = "".join(c if c.isalnum() else "-" for c in label)[:60]
    return base / f"{next(_counter):03d}-{safe}"


@pytest.fixture(scope="class")
def envoy(request, wasm, upstream, envoy_dir):
    cls = request.cls
    assert cls is not None and hasattr(cls, "CONFIG"), "the `envoy` fixture needs a test class with CONFIG"
    with harness.Envoy(
        cls.CONFIG,
        upstream.port,
        _workdir(envoy_dir, cls.__name__),
        hcm=getattr(cls, "HCM", None),
        log_level=getattr(cls, "LOG_LEVEL", "info"),
    ) as e:
        yield e


@pytest.fixture(scope="session")
def baseline(upstream, envoy_dir):
    with harness.Envoy("", upstream.port, _workdir(envoy_dir, "baseline"), with_wasm=False) as e:
        yield e


@pytest.fixture
def make_envoy(request, wasm, upstream, envoy_dir):
    with contextlib.ExitStack() as stack:

        def make(config, **kw) -> harness.Envoy:
            e = harness.Envoy(config, upstream.port, _workdir(envoy_dir, request.node.name), **kw)
            request.node._envoys = getattr(request.node, "_envoys", []) + [e]
            return stack.enter_context(e)

        yield make


@pytest.fixture(scope="module")
def browser():
    binary = chromium_bin()
    if binary is None:
        pytest.fail(
            "chromium is missing: `apt-get install chromium` (make test-e2e does it as root), or set CHROMIUM",
            pytrace=False,
        )
    with Browser(binary) as b:
        yield b


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    envoys = list(getattr(item, "_envoys", []))
    funcargs = getattr(item, "funcargs", {})
    for name in ("envoy", "baseline"):
        if isinstance(funcargs.get(name), harness.Envoy):
            envoys.append(funcargs[name])
    for e in envoys:
        report.sections.append((f"envoy log: plugin lines, warnings, errors ({e.log_path})", e.log_relevant()))
