"""Fixtures for the end-to-end suite.

- `plugin`: the plugin build under test. Every test that runs Envoy with the plugin takes it
  (directly or through the fixtures below) and runs once per build: the wasm and the native
  module ($MAINTENANCE_PLUGINS narrows that, e.g. `module`). A test about the wasm VM itself
  is marked `@pytest.mark.wasm_only(reason=...)` and runs against the wasm only.
- `wasm`: the wasm build's path, for the tests about the wasm alone (Istio, Docker).
- `upstream`: one echo server for the whole session.
- `envoy`: class-scoped, with the `plugin`; a test class sets `CONFIG` (dict → JSON, str as is, bytes
  for the raw/empty config) and optionally `HCM` (HttpConnectionManager overrides; a function of
  the plugin when they hold the plugin's filter), and all its tests share that one Envoy.
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
import os
from pathlib import Path

import harness
import pytest
from browser import Browser, chromium_bin

from envoylib.plugin import KINDS
from envoylib.plugin import plugin as plugin_build

_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "wasm_only(reason): about the wasm VM itself; not run against the native module")


def _kinds() -> list[str]:
    wanted = [k.strip() for k in os.environ.get("MAINTENANCE_PLUGINS", ",".join(KINDS)).split(",") if k.strip()]
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise pytest.UsageError(f"MAINTENANCE_PLUGINS: unknown {unknown}; known: {', '.join(KINDS)}")
    return wanted


def pytest_generate_tests(metafunc):
    if "plugin" not in metafunc.fixturenames:
        return
    kinds = _kinds()
    marker = metafunc.definition.get_closest_marker("wasm_only")
    if marker is not None:
        if not marker.kwargs.get("reason"):
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: wasm_only needs a reason")
        kinds = [k for k in kinds if k == harness.WASM]
    if kinds:
        metafunc.parametrize("plugin", kinds, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    """A wasm-only test in a module-only run is left out (deselected), not skipped."""
    if harness.WASM in _kinds():
        return
    left_out = [item for item in items if item.get_closest_marker("wasm_only") and "plugin" in item.fixturenames]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.fixture(scope="session")
def plugin(request) -> harness.Plugin:
    built = plugin_build(request.param)
    if not built.path.is_file():
        build = "make build (or set MAINTENANCE_WASM)" if built.is_wasm else "make module (or set MAINTENANCE_MODULE)"
        pytest.fail(f"{built.path} is missing: run `{build}`", pytrace=False)
    return built


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


def _hcm(cls, plugin: harness.Plugin) -> dict | None:
    hcm = getattr(cls, "HCM", None)
    return hcm(plugin) if callable(hcm) else hcm


@pytest.fixture(scope="class")
def envoy(request, plugin, upstream, envoy_dir):
    cls = request.cls
    assert cls is not None and hasattr(cls, "CONFIG"), "the `envoy` fixture needs a test class with CONFIG"
    with harness.Envoy(
        cls.CONFIG,
        upstream.port,
        _workdir(envoy_dir, f"{cls.__name__}-{plugin.kind}"),
        plugin=plugin,
        hcm=_hcm(cls, plugin),
        log_level=getattr(cls, "LOG_LEVEL", "info"),
    ) as e:
        yield e


@pytest.fixture(scope="session")
def baseline(upstream, envoy_dir):
    with harness.Envoy("", upstream.port, _workdir(envoy_dir, "baseline"), with_plugin=False) as e:
        yield e


@pytest.fixture
def make_envoy(request, plugin, upstream, envoy_dir):
    """make(config, **kw): an Envoy running the `plugin` under test (see harness.Envoy)."""
    with contextlib.ExitStack() as stack:

        def make(config, **kw) -> harness.Envoy:
            kw.setdefault("plugin", plugin)
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
