"""Envoy Gateway (issue 12): the shipped EnvoyExtensionPolicy manifests (the wasm, and the native
module with the EnvoyProxy that registers it) and their documented `kubectl patch` one-liners,
and Envoy Gateway's per-route wiring on the real Envoy, for both builds.

Each manifest under gateway/ is validated against its strict schema
(gateway/envoyextensionpolicy.schema.json, gateway/envoyproxy.schema.json), and each
`wasm[].config` and `dynamicModule[].config`, as the JSON text Envoy Gateway sends, is loaded by
the real plugin (the wasm, or the module) in `envoy --mode validate` (istio/check.py).

Envoy Gateway attaches a policy to an HTTPRoute by adding the wasm filter to the listener with
`disabled: true` and enabling it on the route's routes with `typed_per_filter_config` of type
`envoy.config.route.v3.FilterConfig` (`config: {}`), with a VM of its own (`vm_id` = the
extension's name) (envoyproxy/gateway internal/xds/translator/wasm.go). The end-to-end test
builds exactly that and shows maintenance applies on the enabled route and not on the other.
A dynamic module policy is wired the same way (internal/xds/translator/dynamicmodule.go): the
filter `envoy.filters.http.dynamic_modules/<extension>` disabled on the listener, the same
`FilterConfig` on the route; the module's configuration object is Envoy's, shared by the workers.
"""

from __future__ import annotations

import copy
import json
import re

import harness
import pytest

from envoylib.process import http_get
from istio import check

REPO = harness.REPO

# The wasm's policies, and the native module's (in gateway/module/: a release pins the wasm's
# image in gateway/*.yaml, and does not ship the module yet).
MANIFESTS = sorted((REPO / "gateway").glob("*.yaml")) + sorted((REPO / "gateway/module").glob("*.yaml"))
# Where the one-liners are documented: the README's deploy steps and the book's chapters.
DOCS = [REPO / "README.md", *sorted((REPO / "docs/src").glob("*.md"))]
PATCH = re.compile(r"kubectl -n (\S+) patch envoyextensionpolicy (\S+) --type json\s+-p '([^']+)'")


def documents() -> list[tuple[str, dict]]:
    return [(f"{p.name}#{i}", doc) for p in MANIFESTS for i, doc in enumerate(check.load_documents(p))]


def policies() -> list[tuple[str, dict]]:
    return [(name, doc) for name, doc in documents() if doc["kind"] == "EnvoyExtensionPolicy"]


def extensions(doc: dict) -> list[dict]:
    """A policy's plugin entries: its wasm extensions, then its dynamic modules."""
    return [*doc["spec"].get("wasm", []), *doc["spec"].get("dynamicModule", [])]


def manifest(name: str, kind: str = "EnvoyExtensionPolicy") -> dict:
    return copy.deepcopy(next(d for d in check.load_documents(REPO / "gateway" / name) if d["kind"] == kind))


def validate(doc: dict) -> list[tuple[str, str, list[str]]]:
    return check.config_problems(doc, harness.envoy_bin(), str(harness.wasm_path()), str(harness.module_path()))


def test_the_examples_cover_a_gateway_and_a_route_and_both_builds():
    kinds = {doc["spec"]["targetRefs"][0]["kind"] for _, doc in policies()}
    assert kinds == {"Gateway", "HTTPRoute"}
    for name, doc in policies():
        for extension in doc["spec"].get("wasm", []):
            assert extension["failOpen"] is True, name
            assert extension["code"]["type"] == "Image", name
        for extension in extensions(doc):
            assert extension["config"]["enabled"] is False, name  # shipped off
    modules = [m for _, doc in policies() for m in doc["spec"].get("dynamicModule", [])]
    assert [m["filterName"] for m in modules] == ["maintenance-mode"]
    # every module a policy names is registered by a shipped EnvoyProxy
    registered = check.registered_modules([doc for _, doc in documents()])
    assert registered and {m["name"] for m in modules} <= registered


@pytest.mark.parametrize("name,doc", documents(), ids=[n for n, _ in documents()])
def test_manifest_is_valid_and_the_plugin_accepts_its_config(name, doc):
    assert check.schema_problems(doc) == []
    if doc["kind"] == "EnvoyProxy":
        return  # no plugin configuration
    results = validate(doc)
    assert [problems for _, _, problems in results] == [[]] * len(extensions(doc))
    for (where, text, _), extension in zip(results, extensions(doc), strict=True):
        assert json.loads(text) == extension["config"], where


def changed(doc: dict, path: tuple, value) -> dict:
    """`doc` with the value at `path` replaced (None: removed)."""
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def mutated(path: tuple, value) -> dict:
    return changed(manifest("maintenance-gateway.yaml"), path, value)


W = ("spec", "wasm", 0)


@pytest.mark.parametrize(
    "path,value,where",
    [
        (("spec", "targetref"), {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"}, "spec"),
        ((*W, "Config"), {"enabled": True}, "spec.wasm.0"),  # misspelt: would be dropped
        ((*W, "failopen"), True, "spec.wasm.0"),
        ((*W, "failOpen"), "yes", "spec.wasm.0.failOpen"),
        ((*W, "config"), "enabled", "spec.wasm.0.config"),
        ((*W, "code", "type"), "OCI", "spec.wasm.0.code.type"),
        ((*W, "code", "type"), "HTTP", "spec.wasm.0.code"),  # HTTP without http, with image
        ((*W, "code", "image", "url"), "https://example.com/plugin.wasm", "spec.wasm.0.code.image.url"),
        ((*W, "code", "image", "sha256"), "ABC", "spec.wasm.0.code.image.sha256"),
        (
            (*W, "code", "image", "pullSecretRef"),
            {"kind": "ConfigMap", "name": "x"},
            "spec.wasm.0.code.image.pullSecretRef.kind",
        ),
        ((*W, "code", "pullPolicy"), "Never", "spec.wasm.0.code.pullPolicy"),
        ((*W, "code", "sha256"), "a" * 64, "spec.wasm.0.code"),  # sha256 belongs to image/http
        (("spec", "targetRefs", 0, "kind"), "Service", "spec.targetRefs.0.kind"),
        (("spec", "targetRefs", 0, "group"), "", "spec.targetRefs.0.group"),
        (("spec", "targetRefs"), None, "spec"),
        (("spec", "wasm"), [], "spec.wasm"),
        (("apiVersion",), "gateway.envoyproxy.io/v1", "apiVersion"),
    ],
)
def test_schema_rejects(path, value, where):
    problems = check.schema_problems(mutated(path, value))
    assert problems, f"{path}={value!r} accepted"
    assert any(p.startswith(f"{where}:") for p in problems), problems


D = ("spec", "dynamicModule", 0)


def mutated_module(path: tuple, value, kind: str = "EnvoyExtensionPolicy") -> dict:
    return changed(manifest(MODULE_MANIFEST, kind), path, value)


M = ("spec", "dynamicModules", 0)
REMOTE = {"type": "Remote", "remote": {"url": "https://downloads.example.com/m.so", "sha256": "d" * 64}}


@pytest.mark.parametrize(
    "path,value,kind,where",
    [
        ((*D, "filtername"), "maintenance-mode", "EnvoyExtensionPolicy", "spec.dynamicModule.0"),
        ((*D, "name"), "Maintenance_Mode", "EnvoyExtensionPolicy", "spec.dynamicModule.0.name"),
        ((*D, "filterName"), "x" * 254, "EnvoyExtensionPolicy", "spec.dynamicModule.0.filterName"),
        ((*D, "terminalFilter"), "no", "EnvoyExtensionPolicy", "spec.dynamicModule.0.terminalFilter"),
        (("spec", "dynamicModule"), [], "EnvoyExtensionPolicy", "spec.dynamicModule"),
        (("spec", "dynamicModule"), None, "EnvoyExtensionPolicy", "spec"),  # neither wasm nor a module
        ((*M, "source", "type"), "OCI", "EnvoyProxy", "spec.dynamicModules.0.source.type"),
        ((*M, "source", "local", "path"), "lib.so", "EnvoyProxy", "spec.dynamicModules.0.source.local.path"),
        ((*M, "source", "local"), None, "EnvoyProxy", "spec.dynamicModules.0.source"),  # Local needs local
        ((*M, "source"), {**REMOTE, "local": {"path": "/m.so"}}, "EnvoyProxy", "spec.dynamicModules.0.source"),
        (
            (*M, "source"),
            {"type": "Remote", "remote": {"url": "https://x/m.so"}},
            "EnvoyProxy",
            "spec.dynamicModules.0.source.remote",
        ),
        (
            (*M, "source"),
            {**REMOTE, "remote": {**REMOTE["remote"], "sha256": "D" * 64}},
            "EnvoyProxy",
            "spec.dynamicModules.0.source.remote.sha256",
        ),
        (
            (*M, "source"),
            {**REMOTE, "remote": {**REMOTE["remote"], "url": "oci://x/m"}},
            "EnvoyProxy",
            "spec.dynamicModules.0.source.remote.url",
        ),
        ((*M, "doNotClose"), "yes", "EnvoyProxy", "spec.dynamicModules.0.doNotClose"),
        (("spec", "dynamicmodules"), [], "EnvoyProxy", "spec"),
    ],
)
def test_module_schemas_reject(path, value, kind, where):
    problems = check.schema_problems(mutated_module(path, value, kind))
    assert problems, f"{path}={value!r} accepted"
    assert any(p.startswith(f"{where}:") for p in problems), problems


def test_module_schemas_accept_the_documented_alternatives():
    assert check.schema_problems(mutated_module((*M, "source"), REMOTE, "EnvoyProxy")) == []
    assert check.schema_problems(mutated_module((*M, "source"), {"local": {"path": "/m.so"}}, "EnvoyProxy")) == []
    assert check.schema_problems(mutated_module((*M, "loadGlobally"), False, "EnvoyProxy")) == []


def test_a_module_must_be_registered_once():
    proxy = manifest(MODULE_MANIFEST, "EnvoyProxy")
    twice = copy.deepcopy(proxy)
    twice["spec"]["dynamicModules"].append(copy.deepcopy(proxy["spec"]["dynamicModules"][0]))
    assert any("registered twice" in p for p in check.schema_problems(twice))
    policy = manifest(MODULE_MANIFEST)
    assert check.registration_problems(policy, check.registered_modules([proxy])) == []
    assert check.registration_problems(policy, check.registered_modules([policy])) == []  # no EnvoyProxy known
    other = mutated_module((*D, "name"), "other-module")
    [problem] = check.registration_problems(other, check.registered_modules([proxy]))
    assert problem.startswith("spec.dynamicModule.0.name: 'other-module' is not in any EnvoyProxy")


def test_schema_accepts_the_documented_alternatives():
    http = {
        "type": "HTTP",
        "http": {"url": "https://downloads.example.com/maintenance_mode-0.1.0.wasm", "sha256": "a" * 64},
    }
    assert check.schema_problems(mutated((*W, "code"), http)) == []
    for url in ("oci://ghcr.io/example/maintenance-mode:0.1.0", "ghcr.io/example/maintenance-mode@sha256:" + "b" * 64):
        assert check.schema_problems(mutated((*W, "code", "image", "url"), url)) == [], url
    assert check.schema_problems(mutated((*W, "code", "image", "sha256"), "c" * 64)) == []


def test_a_bad_module_config_is_reported_with_the_modules_words():
    doc = mutated_module((*D, "config", "retry_after"), 1.5)
    ((where, text, problems),) = validate(doc)
    assert where == "spec.dynamicModule.0.config" and '"retry_after":1.5' in text
    assert problems and problems[0].startswith("spec.dynamicModule.0.config: invalid plugin configuration: retry_after")


def test_a_bad_config_is_reported_with_the_plugins_words():
    doc = mutated((*W, "config", "retry_after"), 1.5)
    ((where, text, problems),) = validate(doc)
    assert where == "spec.wasm.0.config" and '"retry_after":1.5' in text
    assert problems and problems[0].startswith("spec.wasm.0.config: invalid plugin configuration: retry_after")


# ---------------------------------------------------------------------------
# the documented kubectl patch one-liners (JSON patch: `wasm` is a list)
# ---------------------------------------------------------------------------


def json_patch(doc: dict, operations: list[dict]) -> dict:
    """RFC 6902 `add`/`replace`, the operations the one-liners use."""
    doc = copy.deepcopy(doc)
    for op in operations:
        assert op["op"] in ("add", "replace"), op
        *parents, last = [int(k) if k.isdigit() else k for k in op["path"].lstrip("/").split("/")]
        node = doc
        for key in parents:
            node = node[key]
        if op["op"] == "replace":
            assert last in node, op  # replace needs the member to exist
        node[last] = op["value"]
    return doc


def documented_patches() -> list[tuple[str, str, str, list]]:
    found = []
    for path in [*DOCS, *MANIFESTS]:
        text = re.sub(r"\\\n\s*#?\s*", " ", path.read_text(encoding="utf-8"))
        found += [(path.name, m.group(1), m.group(2), json.loads(m.group(3))) for m in PATCH.finditer(text)]
    return found


def test_on_and_off_are_documented():
    values = {
        (where, op["value"])
        for where, _, _, ops in documented_patches()
        for op in ops
        if op["path"].endswith("/enabled")
    }
    for doc in ("README.md", "envoy-gateway.md"):
        assert {(doc, True), (doc, False)} <= values, doc
    for path in MANIFESTS:
        assert {(path.name, True), (path.name, False)} <= values, path.name


@pytest.mark.parametrize(
    "where,namespace,name,ops", documented_patches(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_documented_patch_applies_to_a_shipped_manifest(where, namespace, name, ops):
    targets = [
        doc
        for _, doc in documents()
        if (doc["metadata"].get("namespace"), doc["metadata"]["name"]) == (namespace, name)
    ]
    assert targets, f"{where}: no shipped manifest {namespace}/{name}"
    for doc in targets:
        patched = json_patch(doc, ops)
        assert check.schema_problems(patched) == []
        ((_, text, problems),) = validate(patched)
        assert problems == []
        sent = json.loads(text)
        for op in ops:
            assert sent[op["path"].rsplit("/", 1)[1]] == op["value"]
        listed = ops[0]["path"].split("/")[2]  # wasm or dynamicModule
        for key, value in doc["spec"][listed][0]["config"].items():
            if not any(op["path"].endswith("/" + key) for op in ops):
                assert sent[key] == value  # the rest is kept


# ---------------------------------------------------------------------------
# Envoy Gateway's per-route wiring on the real Envoy
# ---------------------------------------------------------------------------

ROUTE_MANIFEST = "maintenance-route.yaml"
MODULE_MANIFEST = "module/maintenance-module.yaml"
# Envoy Gateway's names: the filter `envoy.filters.http.wasm/<extension>`, the VM id the
# extension's internal name (one VM per extension); for a dynamic module the filter
# `envoy.filters.http.dynamic_modules/<extension>`, the policy's filterName.
EXTENSIONS = {
    harness.WASM: "envoyextensionpolicy/shop/shop-maintenance/wasm/0",
    harness.MODULE: "envoyextensionpolicy/shop/shop-maintenance/dynamic-module/0",
}
FILTERS = {
    harness.WASM: f"envoy.filters.http.wasm/{EXTENSIONS[harness.WASM]}",
    harness.MODULE: f"envoy.filters.http.dynamic_modules/{EXTENSIONS[harness.MODULE]}",
}


def envoy_gateway_bootstrap(plugin: harness.Plugin, config_text: str, upstream_port: int) -> dict:
    """The harness bootstrap, rewired as Envoy Gateway does for a policy on one HTTPRoute:
    the filter disabled on the listener, enabled on `/shop` only."""
    boot = harness.bootstrap(config_text, upstream_port, plugin=plugin)
    manager = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    name = FILTERS[plugin.kind]
    manager["http_filters"][0] = plugin.http_filter(
        config_text, name=name, instance="shop-maintenance", vm_id=EXTENSIONS[plugin.kind]
    )
    manager["http_filters"][0]["disabled"] = True
    routes = manager["route_config"]["virtual_hosts"][0]["routes"]
    shop = copy.deepcopy(routes[0])
    shop["match"] = {"path_separated_prefix": "/shop"}  # Gateway API PathPrefix, as Envoy Gateway maps it
    shop["typed_per_filter_config"] = {
        name: {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "config": {}}
    }
    routes.insert(0, shop)
    return boot


@pytest.fixture(scope="module")
def eg_envoy(plugin, upstream, envoy_dir):
    doc = json_patch(manifest(ROUTE_MANIFEST), [{"op": "add", "path": "/spec/wasm/0/config/enabled", "value": True}])
    text = check.config_string(doc["spec"]["wasm"][0]["config"], struct=False)
    e = harness.Envoy(text, upstream.port, envoy_dir / f"envoy-gateway-route-{plugin.kind}", plugin=plugin)
    e.boot_path.write_text(json.dumps(envoy_gateway_bootstrap(plugin, text, upstream.port)))
    with e:
        yield e, doc["spec"]["wasm"][0]["config"]


def test_maintenance_applies_on_the_enabled_route_only(eg_envoy):
    envoy, config = eg_envoy
    r = envoy.get("/shop/cart", headers={"accept": "application/json"})
    assert r.status == 503 and not r.from_upstream, r
    assert r.json()["detail"] == config["reason"] and r.json()["title"] == config["title"], r
    assert r.header("retry-after") == str(config["retry_after"]), r
    # the Gateway's other routes: the filter is disabled there
    for path in ("/", "/blog/post", "/shopping"):
        r = envoy.get(path)
        assert r.status == 200 and r.from_upstream and r.echo()["path"] == path, r
    # the policy's own bypass path, on the enabled route
    r = envoy.get("/shop/healthz")
    assert r.status == 200 and r.from_upstream, r


def test_the_wiring_is_envoy_gateways(eg_envoy, plugin):
    envoy, _ = eg_envoy
    _, body = http_get(f"http://{envoy.admin}/config_dump")
    dump = json.loads(body)
    text = json.dumps(dump)
    assert FILTERS[plugin.kind] in text and '"disabled": true' in text
    assert "type.googleapis.com/envoy.config.route.v3.FilterConfig" in text
    if plugin.is_wasm:
        assert f'"vm_id": "{EXTENSIONS[plugin.kind]}"' in text
    else:
        assert '"filter_name": "shop-maintenance"' in text
