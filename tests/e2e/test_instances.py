"""Several instances of the plugin in one filter chain (issue 11), as teams add one WasmPlugin per
host from the same image: in one VM (same code and vm_id: Envoy shares the VM) and in separate
VMs, with two worker threads (the module has no VMs: both layouts are the same chain of filters,
each instance named by its `filter_name`). Each instance has its own metrics (named after its
plugin name, a Prometheus label with the documented `stats_tags` rules,
observability/stats-tags.yaml), its own audit and window-change log lines, and one instance's
`upstream_fallback` never replaces another instance's maintenance response.
"""

from __future__ import annotations

import re

import harness
import pytest
from envoylib.bootstrap import ROUTER
from envoylib.paths import STATS_TAGS
from envoylib.process import Envoy, http_get

# First in the chain: off, with upstream_fallback, for every host.
FALLBACK = ("default.fallback", {"reason": "fallback", "upstream_fallback": {}})
# Then maintenance for one host each.
SHOP = ("default.shop", {"enabled": True, "reason": "shop", "routes": [{"hosts": ["shop.example.com"]}]})
API = ("default.api", {"enabled": True, "reason": "api", "routes": [{"hosts": ["api.example.com"]}]})


def instance_filter(plugin: harness.Plugin, name: str, config: dict, vm_id: str) -> dict:
    return plugin.http_filter(config, name=f"maintenance-{name}", instance=name, vm_id=vm_id)


@pytest.fixture(
    params=[("one VM", 2), ("one VM", 3), ("separate VMs", 2), ("separate VMs", 3)],
    ids=lambda p: f"{p[1]} instances, {p[0]}",
)
def chain(request, plugin, upstream, envoy_dir):
    vms, count = request.param
    instances = [FALLBACK, SHOP, API][:count]
    filters = [
        instance_filter(plugin, name, config, "maintenance-mode" if vms == "one VM" else f"vm-{name}")
        for name, config in instances
    ]
    boot = harness.bootstrap(None, upstream.port, hcm={"http_filters": [*filters, ROUTER]}, plugin=plugin)
    workdir = envoy_dir / f"instances-{plugin.kind}-{vms.replace(' ', '-')}-{count}"
    # The documented rules, merged into the bootstrap as Istio merges a bootstrap override.
    with Envoy(boot, workdir, concurrency=2, args=["--config-yaml", STATS_TAGS.read_text()]) as e:
        yield e, [name for name, _ in instances]


def metric_value(e: Envoy, plugin: harness.Plugin, name: str, metric: str) -> int:
    full = plugin.metric(metric, instance=name)
    return e.stats(f"^{re.escape(full)}$")[full]


def test_instances_are_independent(chain, plugin):
    e, names = chain
    stat = lambda name, metric: metric_value(e, plugin, name, metric)
    prom = plugin.prometheus_prefix
    # The shop instance answers; the fallback instance before it sees that local reply in its
    # response phase and leaves it alone.
    for _ in range(3):
        r = e.get("/cart", host="shop.example.com", headers=[("accept", "text/plain")])
        assert r.status == 503 and not r.from_upstream, r
        assert r.text == "Down for maintenance\n\nshop\n", r.text
    # An upstream failure elsewhere is the fallback instance's.
    r = e.get("/status/503", host="blog.example.com")
    assert r.status == 503 and r.text == "Down for maintenance\n\nfallback\n", r
    # A success passes every instance.
    assert e.get("/ok", host="blog.example.com").from_upstream
    if "default.api" in names:
        r = e.get("/v1", host="api.example.com")
        assert r.status == 503 and r.text == "Down for maintenance\n\napi\n", r

    assert stat("default.fallback", "upstream_replaced_total") == 1
    assert stat("default.fallback", "passed_total") == 5 + ("default.api" in names)
    assert stat("default.fallback", "responses_total") == 0
    assert stat("default.fallback", "active") == 0
    assert stat("default.shop", "responses_total") == 3
    assert stat("default.shop", "active") == 1
    # The shop instance sees only what the fallback instance let through: 3 shop, 2 blog, api.
    assert stat("default.shop", "passed_total") == 2 + ("default.api" in names)
    if "default.api" in names:
        assert stat("default.api", "responses_total") == 1
        assert stat("default.api", "active") == 1
    # No shared, unnamed metrics.
    assert not e.stats(rf"^{re.escape(plugin.stats_prefix)}maintenance\.(responses_total|active)$")

    _, text = http_get(f"http://{e.admin}/stats/prometheus")
    assert f"# TYPE {prom}maintenance_active gauge\n" in text, text
    assert re.search(rf'^{prom}maintenance_active\{{maintenance_instance="default.shop"\}} 1$', text, re.M), text
    assert re.search(rf'^{prom}maintenance_active\{{maintenance_instance="default.fallback"\}} 0$', text, re.M), text
    assert re.search(rf'^{prom}maintenance_responses_total\{{maintenance_instance="default.shop"\}} 3$', text, re.M), (
        text
    )
    # The documented alert expression keeps the instance that is on.
    on = {
        m.group(1)
        for m in re.finditer(rf'^{prom}maintenance_active\{{maintenance_instance="([^"]+)"\}} 1$', text, re.M)
    }
    assert on == {"default.shop"} | ({"default.api"} if "default.api" in names else set())

    # One audit line per instance (two worker VMs and the main thread's each apply every
    # configuration), each naming its instance (Envoy's own prefix names only the root and VM ids).
    log = e.log_text()
    for name in names:
        lines = [line for line in log.splitlines() if "configuration applied" in line and f"[plugin {name}]" in line]
        assert len(lines) == 1, (name, lines)
