"""The native module's own concerns on the real Envoy (the rest of the suite runs against both
builds): the ABI version Envoy expects, the plain Envoy example, Envoy's per-route
configuration type, and its panic guard (with the fault-injection build)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import harness
import pytest
import yaml

from envoylib.abi import ABI_MATCHED, abi_report
from envoylib.process import Envoy, validate_bootstrap

EXAMPLE = harness.REPO / "envoy/native-module.yaml"
FAULT_MODULE = "target/fault-injection/module/libmaintenance_mode_module.so"
ROUTE_TYPE = "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilterPerRoute"


@pytest.fixture(scope="module")
def module() -> harness.Plugin:
    built = harness.Plugin(harness.MODULE, harness.module_path())
    if not built.path.is_file():
        pytest.fail(f"{built.path} is missing: run `make module` (or set MAINTENANCE_MODULE)", pytrace=False)
    return built


def test_envoy_expects_the_modules_abi_version(module, tmp_path):
    report = abi_report(module, tmp_path)
    assert report.matched, report.lines
    assert report.version == "v0.2.0"  # crates/module/src/abi.rs, Envoy 1.40's
    assert not any("deprecated" in line for line in report.lines), report.lines


def example_boot(module: harness.Plugin, upstream_port: int) -> dict:
    """envoy/native-module.yaml with this machine's module, loopback and OS-chosen ports, the
    echo upstream."""
    boot = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    boot["admin"]["address"]["socket_address"] = {"address": harness.LOOPBACK, "port_value": 0}
    listener = boot["static_resources"]["listeners"][0]
    listener["address"]["socket_address"] = {"address": harness.LOOPBACK, "port_value": 0}
    manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
    typed = manager["http_filters"][0]["typed_config"]
    assert typed["dynamic_module_config"]["module"]["local"]["filename"] == "/etc/envoy/libmaintenance_mode_module.so"
    typed["dynamic_module_config"]["module"]["local"]["filename"] = str(module.path)
    cluster = boot["static_resources"]["clusters"][0]
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    endpoint["address"]["socket_address"] = {"address": harness.LOOPBACK, "port_value": upstream_port}
    return boot


def test_the_plain_envoy_example_runs(module, upstream, envoy_dir):
    boot = example_boot(module, upstream.port)
    manager = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    config = json.loads(manager["http_filters"][0]["typed_config"]["filter_config"]["value"])
    with Envoy(boot, envoy_dir / "native-module-example", concurrency=2) as e:
        r = e.get("/shop", headers={"accept": "application/json"})
        assert r.status == 503 and not r.from_upstream, r
        assert r.json()["detail"] == config["reason"] and r.header("retry-after") == "900", r
        assert e.get("/healthz").from_upstream
        log = e.log_text()
        assert ABI_MATCHED.search(log)
        assert "configuration applied: maintenance ENABLED" in log


def test_a_per_route_module_configuration_is_refused_by_name(module, tmp_path):
    """Envoy's DynamicModuleFilterPerRoute would override the filter's configuration on a route:
    the module refuses it with a clear line, so Envoy refuses the route (Envoy Gateway enables
    the filter per route with a FilterConfig instead, which the e2e Envoy Gateway test covers)."""
    boot = harness.bootstrap({"enabled": True}, 1, plugin=module)
    manager = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    route = manager["route_config"]["virtual_hosts"][0]["routes"][0]
    route["typed_per_filter_config"] = {
        "envoy.filters.http.dynamic_modules": {
            "@type": ROUTE_TYPE,
            "dynamic_module_config": copy.deepcopy(manager["http_filters"][0]["typed_config"]["dynamic_module_config"]),
            "per_route_config_name": "maintenance-mode",
            "filter_config": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "{}"},
        }
    }
    path = harness.write_bootstrap(tmp_path, boot)
    done = validate_bootstrap(path)
    assert done.returncode != 0, done.output[-2000:]
    assert "per-route configurations (DynamicModuleFilterPerRoute) are not supported" in done.output


@pytest.fixture(scope="module")
def faulty_module() -> harness.Plugin:
    """The module built with fault injection (`make module-fault`): a request's
    `x-maintenance-fault: request` or `response` header makes that hook panic."""
    path = os.environ.get("MAINTENANCE_FAULT_MODULE") or harness.REPO / FAULT_MODULE
    built = harness.Plugin(harness.MODULE, Path(path).resolve())
    if not built.path.is_file():
        pytest.fail(f"{built.path} is missing: run `make module-fault`", pytrace=False)
    return built


def test_a_panic_fails_that_request_closed_and_envoy_serves_on(faulty_module, upstream, envoy_dir):
    """No sandbox around native code: the module's own guard (crates/module/src/abi.rs) catches
    a panic in any hook before it reaches Envoy, logs it at critical level and answers that
    request with a 503 (fail closed: the request never reaches the upstream), and every other
    request is served as before, on every worker."""
    config = {"reason": "off now", "upstream_fallback": {}}  # off: requests pass
    with harness.Envoy(
        config, upstream.port, envoy_dir / "native-module-fault", plugin=faulty_module, concurrency=2
    ) as e:
        assert e.get("/before").from_upstream
        for hook in ("request", "response"):
            r = e.get(f"/{hook}", headers={"x-maintenance-fault": hook})
            assert r.status == 503 and r.text == "Service Unavailable\n", (hook, r)
            assert r.header("cache-control") == "no-store" and not r.from_upstream, (hook, r)
        for i in range(6):  # both workers still serve, the plugin still decides
            assert e.get(f"/after/{i}").from_upstream
        assert e.get("/status/503", headers={"accept": "application/json"}).json()["detail"] == "off now"
        assert e.proc is not None and e.proc.poll() is None, "Envoy is still running"
        critical = [line for line in e.log_text().splitlines() if "][critical][" in line]
        for hook in ("request", "response"):
            assert any("panicked at " in line and f"fault injected in the {hook} hook" in line for line in critical), (
                critical
            )
            assert any(f"{hook} headers failed" in line and "answered 503" in line for line in critical), critical
