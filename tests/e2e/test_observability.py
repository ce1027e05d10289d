"""Observability (issue 24): the alert rules and the Grafana dashboard in observability/ against a
real Prometheus scraping a real Envoy.

The gateway is configured as Istio configures one (for the native module, which Istio cannot
load, as Envoy Gateway does: no stats inclusion list, and Prometheus renaming the module's
series with the relabelling docs/src/native-module.md shows): two plugin instances delivered by ECDS
(resources `extensions.istio.io/wasmplugin/<ns>.<name>`), `default.on` (maintenance on for one
host, a bypass path) and `default.off` (off, with `upstream_fallback`), in a listener delivered by
LDS; the stats_tags rules (observability/stats-tags.yaml) merged in with `--config-yaml`, as
Istio applies a bootstrap override; Istio's own stats inclusion list plus the prefixes
docs/src/observability.md says to add. Traffic, then the rollout steps the alerts watch: a dry
run of the fallback, the real fallback replacing upstream failures, a configuration the plugin
rejects (ECDS), and a listener carrying a rejected plugin configuration (LDS, as Envoy Gateway
sends it). Prometheus (Debian's package, loopback, 1 s scrapes, the rules loaded) scrapes
/stats/prometheus throughout.

Then, through Prometheus's HTTP API: every dashboard query (read from dashboard.json, with
Grafana's variables filled in as Grafana does) and every alert expression (read from rules.yaml)
is valid PromQL and returns the expected series per instance (the one on reads 1, the other 0);
the rules load and exactly the expected alerts are active, their annotations naming the
instance. The implementation under test comes from the `plugin` fixture: the wasm, then the
native module.

Also without Envoy: the PrometheusRule is the rules file, the dashboard's structure, and the
documentation's snippets and runbook anchors agree with what is tested.
"""

from __future__ import annotations

import copy
import json
import re
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import harness
import pytest
import yaml
from envoylib import ecds
from envoylib.bootstrap import LISTENER_TYPE, ROUTER, ecds_filter, file_config_source
from envoylib.paths import STATS_TAGS
from envoylib.plugin import FILTER_NAME, MODULE_TYPE, WASM_TYPE
from envoylib.process import Envoy
from prometheus import Prometheus, prometheus_bin

REPO = harness.REPO
RULES = REPO / "observability/rules.yaml"
PROMETHEUS_RULE = REPO / "observability/prometheusrule.yaml"
DASHBOARD = REPO / "observability/dashboard.json"
CHAPTER = REPO / "docs/src/observability.md"
MODULE_CHAPTER = REPO / "docs/src/native-module.md"

ON, OFF = "default.on", "default.off"
# How Istio names a WasmPlugin's ECDS resource (and the HTTP filter) for the plugin `<ns>.<name>`.
ISTIO_RESOURCE = "extensions.istio.io/wasmplugin/{}"
# Istio's stats inclusion list for every proxy (istio/istio pkg/bootstrap/config.go,
# requiredEnvoyStatsMatcherInclusionPrefixes and the v2 prefixes): a proxyStatsMatcher adds to it.
ISTIO_INCLUSION_PREFIXES = ["reporter=", "cluster_manager", "listener_manager", "server", "cluster.xds-grpc", "wasm"]

SHOP = {
    "enabled": True,
    "reason": "Shop upgrade",
    "routes": [{"hosts": ["shop.example.com"]}],
    "bypass": {"paths": ["/admin"]},
}
FALLBACK = {"reason": "Back soon", "upstream_fallback": {}}
FALLBACK_DRY_RUN = {**FALLBACK, "dry_run": True}
REJECTED = {"enabled": "yes"}  # the plugin refuses it: `enabled` is a boolean

# The plugin's metrics, as /stats/prometheus names them with the stats_tags rules.
METRICS = [
    "maintenance_responses_total",
    "maintenance_bypassed_total",
    "maintenance_passed_total",
    "maintenance_upstream_replaced_total",
    "maintenance_dry_run_responses_total",
    "maintenance_dry_run_replaced_total",
    "maintenance_active",
]


class _Positive:
    def __eq__(self, value) -> bool:
        return isinstance(value, float) and value > 0

    def __repr__(self) -> str:
        return "> 0"


POSITIVE = _Positive()

# What each query returns after the scenario, by the series' maintenance_instance (None: no such
# label): every series it returns is listed, with its value.
PANELS = {
    ("Instances in maintenance now", "A"): {None: 1},
    ("Maintenance on, by instance", "A"): {ON: 1, OFF: 0},
    ("Gateways in maintenance now", "A"): {ON: 1},
    ("Maintenance responses", "A"): {ON: POSITIVE, OFF: 0},
    ("Bypassed", "A"): {ON: POSITIVE, OFF: 0},
    ("Passed", "A"): {ON: POSITIVE, OFF: POSITIVE},
    ("Upstream failures replaced (upstream_fallback)", "A"): {ON: 0, OFF: POSITIVE},
    ("Dry run: would have answered", "A"): {ON: 0, OFF: 0},
    ("Dry run: would have answered", "B"): {ON: 0, OFF: POSITIVE},
    ("Configuration updates rejected (ECDS)", "A"): {ON: 0, OFF: POSITIVE},
    ("Listener updates rejected (Envoy Gateway)", "A"): {None: POSITIVE},
}
ALERTS = {
    "MaintenanceModeStillOn": {ON: 1},
    "MaintenanceResponsesServed": {ON: POSITIVE},
    "MaintenanceUpstreamFailuresReplaced": {OFF: POSITIVE},
    "MaintenanceDryRunWouldAnswer": {OFF: POSITIVE},
    "MaintenanceConfigRejected": {OFF: POSITIVE},
    "MaintenanceListenerUpdateRejected": {None: POSITIVE},
}
# Grafana's $__rate_interval and the like: the whole test fits in it.
RANGE = "5m"


# ---------------------------------------------------------------------------
# the artifacts under test
# ---------------------------------------------------------------------------


def alert_rules() -> dict[str, dict]:
    return {rule["alert"]: rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panel_queries(board: dict) -> dict[tuple[str, str], str]:
    return {
        (panel["title"], target["refId"]): target["expr"] for panel in board["panels"] for target in panel["targets"]
    }


def grafana_expr(expr: str, instances: list[str]) -> str:
    """The query Grafana sends with every instance selected: the multi-value variable as a regex
    alternation of the escaped values, interval variables as a fixed range."""
    alternation = "|".join(re.escape(name).replace("\\", "\\\\") for name in instances)
    expr = expr.replace("$maintenance_instance", f"({alternation})")
    expr = re.sub(r"\$__(rate_interval|interval|range)\b", RANGE, expr)
    assert "$" not in expr, f"a Grafana variable the test does not know: {expr}"
    return expr


def by_instance(series: list[tuple[dict, float]]) -> dict[str | None, float]:
    result: dict[str | None, float] = {}
    for labels, value in series:
        key = labels.get("maintenance_instance")
        assert key not in result, f"two series for maintenance_instance={key}: {series}"
        result[key] = value
    return result


def chapter_blocks(chapter: Path = CHAPTER) -> list[str]:
    """The fenced code blocks of a documentation chapter (indented ones too)."""
    text = chapter.read_text(encoding="utf-8")
    return [textwrap.dedent(b) for b in re.findall(r"^ *```[a-z]*\n(.*?)^ *```", text, re.M | re.S)]


def find_key(value, key: str) -> list:
    """Every value under `key` in a parsed document, also inside strings that hold YAML/JSON (a
    ConfigMap's file, an EnvoyProxy's bootstrap patch)."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == key] + [x for v in value.values() for x in find_key(v, key)]
    if isinstance(value, list):
        return [x for v in value for x in find_key(v, key)]
    if isinstance(value, str) and key in value:
        return find_key(yaml.safe_load(value), key)
    return []


def documented_once(key: str, within: str, chapter: Path = CHAPTER):
    """The one value under `key` in the chapter's code blocks that mention `within`."""
    blocks = [yaml.safe_load(block) for block in chapter_blocks(chapter) if within in block]
    found = [value for block in blocks for value in find_key(block, key)]
    assert len(found) == 1, f"expected one {within} with {key} in {chapter}: {found}"
    return found[0]


def documented_inclusion_prefixes() -> list[str]:
    """The prefixes the chapter adds to an Istio gateway's proxyStatsMatcher."""
    return documented_once("inclusionPrefixes", within="proxyStatsMatcher")


def documented_module_relabelling() -> list[dict]:
    """The metric_relabel_configs the native module's chapter gives Prometheus."""
    return documented_once("metric_relabel_configs", within="metric_relabel_configs", chapter=MODULE_CHAPTER)


# ---------------------------------------------------------------------------
# the plugin under test and the gateway
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PluginUnderTest:
    """An implementation of the plugin as a gateway configures it: the filter's type URL, and
    its typed config for a plugin name, a configuration (JSON text) and whether the instance
    runs apart from the others (a Wasm VM of its own, as Envoy Gateway gives each policy;
    Istio's instances from one image share one)."""

    type_url: str
    typed_config: Callable[..., dict]
    # Istio's stats inclusion list applies (the wasm on Istio; the module runs on Envoy Gateway).
    on_istio: bool
    # Where /stats files a metric of an instance: `stats_prefix` + `maintenance.instance.…`.
    stats_prefix: str
    # How Prometheus renames the series to the names the rules and dashboard use.
    relabelling: list[dict]


@pytest.fixture(scope="module")
def under_test(plugin) -> PluginUnderTest:
    def typed_config(name: str, config: str, apart: bool = False) -> dict:
        return plugin.typed_config(config, instance=name, vm_id=f"vm-{name}" if apart else FILTER_NAME)

    return PluginUnderTest(
        WASM_TYPE if plugin.is_wasm else MODULE_TYPE,
        typed_config,
        on_istio=plugin.is_wasm,
        stats_prefix=plugin.stats_prefix,
        relabelling=[] if plugin.is_wasm else documented_module_relabelling(),
    )


class Gateway:
    """Envoy with the plugin instances `configs` (name -> configuration) by ECDS in a listener by
    LDS, each from a watched file, as a control plane would send them."""

    def __init__(self, plugin: PluginUnderTest, configs: dict[str, dict], upstream_port: int, workdir: Path):
        self.plugin = plugin
        self.workdir = workdir
        self.ecds_files = {name: workdir / "ecds" / name / "filter.json" for name in configs}
        for name, config in configs.items():
            self._write_filter(name, config)
        filters = [ecds_filter(ISTIO_RESOURCE.format(n), f, plugin.type_url) for n, f in self.ecds_files.items()]
        boot = harness.bootstrap(None, upstream_port, hcm={"http_filters": [*filters, ROUTER]})
        self.listener = {"@type": LISTENER_TYPE, **boot["static_resources"].pop("listeners")[0]}
        self.lds_file = workdir / "lds" / "listeners.json"
        self._write(self.lds_file, ecds.discovery_document([self.listener]))
        boot["dynamic_resources"] = {"lds_config": file_config_source(self.lds_file)}
        boot["node"] = {"id": "gateway", "cluster": "gateway"}
        if plugin.on_istio:
            prefixes = ISTIO_INCLUSION_PREFIXES + documented_inclusion_prefixes()
            inclusion = {"inclusion_list": {"patterns": [{"prefix": p} for p in prefixes]}}
            boot["stats_config"] = {"stats_matcher": inclusion}
        self.envoy = Envoy(boot, workdir / "envoy", args=["--config-yaml", STATS_TAGS.read_text(encoding="utf-8")])

    @staticmethod
    def _write(path: Path, document: dict) -> None:
        ecds.write_atomically(path, ecds.dump(document))

    def _write_filter(self, name: str, config: dict) -> None:
        typed_config = self.plugin.typed_config(name, json.dumps(config))
        self._write(self.ecds_files[name], ecds.extension_document(ISTIO_RESOURCE.format(name), typed_config))

    def _wait(self, stat: str, before: int) -> None:
        deadline = time.monotonic() + 10
        while self.stat(stat) <= before:
            assert time.monotonic() < deadline, f"{stat} stayed at {before}:\n{self.envoy.log_relevant()}"
            time.sleep(0.05)

    def stat(self, name: str) -> int:
        return self.envoy.stats(f"^{re.escape(name)}$").get(name, 0)

    def push(self, name: str, config: dict, verdict: str) -> None:
        """A new configuration for the instance `name`; waits for Envoy's verdict."""
        stat = f"extension_config_discovery.http_filter.{ISTIO_RESOURCE.format(name)}.update_{verdict}"
        before = self.stat(stat)
        self._write_filter(name, config)
        self._wait(stat, before)

    def push_listener_with_rejected_plugin(self) -> None:
        """The listener again with one more instance inline, configured as the plugin refuses:
        how a rejected Envoy Gateway policy reaches the proxy."""
        listener = copy.deepcopy(self.listener)
        manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
        typed_config = self.plugin.typed_config("default.inline", json.dumps(REJECTED), apart=True)
        inline = {"name": "inline", "typed_config": typed_config}
        manager["http_filters"].insert(0, inline)
        before = self.stat("listener_manager.lds.update_rejected")
        self._write(self.lds_file, ecds.discovery_document([listener]))
        self._wait("listener_manager.lds.update_rejected", before)


@dataclass
class Observed:
    gateway: Gateway
    prometheus: Prometheus


def wait_until(check: Callable[[], list[str]], timeout: float, what: str) -> None:
    """Until `check` returns no problems; fails with the last ones after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while problems := check():
        assert time.monotonic() < deadline, f"{what} after {timeout}s:\n" + "\n".join(problems)
        time.sleep(0.5)


def alert_problems(prometheus: Prometheus) -> list[str]:
    active = {(a["labels"]["alertname"], a["labels"].get("maintenance_instance")) for a in prometheus.alerts()}
    expected = {(name, instance) for name, series in ALERTS.items() for instance in series}
    if active == expected:
        return []
    return [f"active alerts {sorted(active, key=str)}, expected {sorted(expected, key=str)}"]


@pytest.fixture(scope="module")
def observed(under_test, upstream, envoy_dir, tmp_path_factory):
    binary = prometheus_bin()
    if binary is None:
        pytest.fail(
            "prometheus is missing: `apt-get install prometheus` (make test-e2e does it as root), or set PROMETHEUS",
            pytrace=False,
        )
    gateway = Gateway(under_test, {ON: SHOP, OFF: FALLBACK_DRY_RUN}, upstream.port, envoy_dir / "observability")
    with gateway.envoy as e:
        prometheus_dir = tmp_path_factory.mktemp("prometheus")
        relabelling = under_test.relabelling
        with Prometheus(
            binary, prometheus_dir, [e.admin], rule_files=[RULES], metric_relabel_configs=relabelling
        ) as prometheus:
            # Scraped before any traffic, so every counter starts at 0 in Prometheus.
            wait_until(
                lambda: [] if len(prometheus.query("maintenance_active")) == 2 else ["no maintenance_active yet"],
                30,
                "Prometheus has not scraped the plugin's metrics",
            )
            for _ in range(3):
                r = e.get("/cart", host="shop.example.com", headers=[("accept", "text/plain")])
                assert r.status == 503 and not r.from_upstream and "Shop upgrade" in r.text, r
            for _ in range(2):
                assert e.get("/admin/x", host="shop.example.com").from_upstream
            for _ in range(4):
                assert e.get("/", host="blog.example.com").from_upstream
            # In dry run the fallback only counts what it would replace.
            for _ in range(2):
                r = e.get("/status/503", host="blog.example.com")
                assert r.status == 503 and r.from_upstream, r
            gateway.push(OFF, FALLBACK, "success")
            for _ in range(2):
                r = e.get("/status/503", host="blog.example.com", headers=[("accept", "text/plain")])
                assert r.status == 503 and not r.from_upstream and "Back soon" in r.text, r
            gateway.push(OFF, REJECTED, "rejected")
            # The last good configuration keeps serving.
            r = e.get("/status/503", host="blog.example.com", headers=[("accept", "text/plain")])
            assert not r.from_upstream and "Back soon" in r.text, r
            gateway.push_listener_with_rejected_plugin()
            # Scraped and evaluated after the last change: every expected alert is active.
            wait_until(lambda: alert_problems(prometheus), 30, "Prometheus's alerts are not the expected ones")
            yield Observed(gateway, prometheus)


# ---------------------------------------------------------------------------
# against the real Prometheus
# ---------------------------------------------------------------------------


def test_prometheus_reads_what_envoy_counts(observed):
    """Each metric arrives once per instance, with its value, under its documented name."""
    prometheus = observed.prometheus
    (target,) = prometheus.targets()
    assert target["health"] == "up", target
    for metric in METRICS:
        got = by_instance(prometheus.query(metric))
        stat = metric.removeprefix("maintenance_")
        prefix = observed.gateway.plugin.stats_prefix
        want = {i: float(observed.gateway.stat(f"{prefix}maintenance.instance.{i}.{stat}")) for i in (ON, OFF)}
        assert got == want, (metric, got, want)
    assert by_instance(prometheus.query("maintenance_active")) == {ON: 1, OFF: 0}


def test_every_dashboard_query(observed):
    board = dashboard()
    queries = panel_queries(board)
    assert set(queries) == set(PANELS), "the test's expectations and the dashboard's panels differ"
    problems = []
    for key, expr in queries.items():
        got = by_instance(observed.prometheus.query(grafana_expr(expr, [ON, OFF])))
        if got != PANELS[key]:
            problems.append(f"{key}: {expr}\n  got {got}\n  expected {PANELS[key]}")
    assert not problems, "\n".join(problems)


def test_the_instance_variable_lists_every_instance(observed):
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    query = variables["maintenance_instance"]["query"]["query"]
    match = re.fullmatch(r"label_values\((\w+), (\w+)\)", query)
    assert match, query
    assert sorted(observed.prometheus.label_values(match[2], match[1])) == [OFF, ON]


def test_every_alert_expression(observed):
    rules = alert_rules()
    assert set(rules) == set(ALERTS), "the test's expectations and the alert rules differ"
    problems = []
    for name, rule in rules.items():
        got = by_instance(observed.prometheus.query(rule["expr"]))
        if got != ALERTS[name]:
            problems.append(f"{name}: {rule['expr']}\n  got {got}\n  expected {ALERTS[name]}")
    assert not problems, "\n".join(problems)


def test_the_rules_load_and_the_expected_alerts_are_active(observed):
    prometheus = observed.prometheus
    loaded = prometheus.rules()
    assert sorted(r["name"] for r in loaded) == sorted(ALERTS)
    assert all(r["health"] == "ok" for r in loaded), [(r["name"], r.get("lastError")) for r in loaded]
    assert not alert_problems(prometheus)
    for alert in prometheus.alerts():
        labels, annotations = alert["labels"], alert["annotations"]
        rule = alert_rules()[labels["alertname"]]
        assert alert["state"] == ("firing" if "for" not in rule else "pending"), alert
        assert labels["severity"] == rule["labels"]["severity"]
        # The summary names the instance (the Envoy for a listener rejection).
        assert (labels.get("maintenance_instance") or labels["instance"]) in annotations["summary"], alert
        assert annotations["runbook_url"] == rule["annotations"]["runbook_url"]


# ---------------------------------------------------------------------------
# the artifacts and the documentation agree
# ---------------------------------------------------------------------------


def test_the_prometheusrule_holds_the_rules_file():
    manifest = yaml.safe_load(PROMETHEUS_RULE.read_text())
    assert (manifest["apiVersion"], manifest["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert manifest["metadata"]["name"]
    assert manifest["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


def test_every_alert_has_a_summary_a_severity_and_a_runbook_section():
    headings = set(re.findall(r"^#+ (\S+)\s*$", CHAPTER.read_text(encoding="utf-8"), re.M))
    bases = set()
    for name, rule in alert_rules().items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert "{{" in rule["annotations"]["summary"], f"{name}: the summary names no instance"
        base, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        bases.add(base)
        # mdBook's id for a heading `### <AlertName>`.
        assert name in headings and anchor == name.lower(), f"{name}: no section #{anchor} in {CHAPTER}"
    assert len(bases) == 1 and next(iter(bases)).endswith("/observability.html"), bases


def test_the_dashboard_is_importable_as_is():
    board = dashboard()
    assert board["uid"] and board["title"] and isinstance(board["schemaVersion"], int)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    # No __inputs to fill in: the data source is a variable.
    assert "__inputs" not in board and variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    instance = variables["maintenance_instance"]
    assert instance["multi"] and instance["includeAll"] and "maintenance_instance" in instance["query"]["query"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}, panel["title"]
        for holder in (panel, *panel["targets"]):
            assert holder["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        for target in panel["targets"]:
            # Every query on the plugin's metrics follows the instance variable.
            if re.search(r"\bmaintenance_\w+\{", target["expr"]):
                assert '{maintenance_instance=~"$maintenance_instance"}' in target["expr"], panel["title"]


def test_the_documented_stats_tags_are_the_tested_ones():
    tested = yaml.safe_load(STATS_TAGS.read_text())["stats_config"]["stats_tags"]
    shown = [block for block in chapter_blocks() if "stats_tags" in block]
    assert shown, f"{CHAPTER} shows no stats_tags"
    for block in shown:
        found = find_key(yaml.safe_load(block), "stats_tags")
        assert found and all(tags == tested for tags in found), block
