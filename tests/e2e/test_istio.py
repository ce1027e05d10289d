"""The Istio side (issue 5): the shipped WasmPlugin manifests and the documented
`kubectl patch` one-liners can never drift from the filter.

Each manifest under istio/ is validated against the WasmPlugin v1alpha1 schema
(strict: unknown fields are errors), and its pluginConfig, converted to JSON the
way istiod does, is loaded by the real plugin in `envoy --mode validate`. The
same holds for every manifest after each `kubectl patch --type merge` shown in
README.md, in the book (docs/src/) and in the manifests' comments. Also: the
Dockerfile is the image format Istio pulls.
"""

from __future__ import annotations

import copy
import json
import re
import sys

import harness
import pytest
from istio import check

REPO = harness.REPO

MANIFESTS = sorted((REPO / "istio").glob("*.yaml"))
# Where the one-liners are documented: the README's deploy steps and the book's chapters.
DOCS = [REPO / "README.md", *sorted((REPO / "docs/src").glob("*.md"))]
PATCH = re.compile(r"kubectl -n (\S+) patch wasmplugin (\S+) --type merge\s+-p '([^']+)'")


def documents(kind: str = "WasmPlugin") -> list[tuple[str, dict]]:
    return [
        (f"{p.name}#{i}", doc)
        for p in MANIFESTS
        for i, doc in enumerate(check.load_documents(p))
        if doc.get("kind") == kind
    ]


def validate(doc: dict) -> tuple[str, list[str]]:
    return check.plugin_problems(doc, harness.envoy_bin(), str(harness.wasm_path()))


def test_the_examples_cover_the_common_uses():
    docs = dict(documents())
    assert len(docs) >= 3
    configs = [d["spec"]["pluginConfig"] for d in docs.values()]
    assert any("routes" not in c for c in configs), "whole gateway"
    assert any(any("hosts" in r and "methods" not in r for r in c.get("routes", [])) for c in configs), "one host"
    assert any(
        any(set(r.get("methods", [])) == {"POST", "PUT", "PATCH", "DELETE"} for r in c.get("routes", []))
        for c in configs
    ), "read-only API"
    for name, doc in docs.items():
        spec = doc["spec"]
        assert spec["phase"] == "AUTHN", name  # maintenance answers before authentication
        assert isinstance(spec["priority"], int), name
        assert spec["failStrategy"] in ("FAIL_OPEN", "FAIL_CLOSE"), name
        assert spec["url"].startswith("oci://"), name
        assert ("selector" in spec) != ("targetRefs" in spec), name
        # shipped off: applying a manifest changes nothing until it is patched on
        assert spec["pluginConfig"]["enabled"] is False, name


@pytest.mark.parametrize("name,doc", documents(), ids=[n for n, _ in documents()])
def test_manifest_is_valid_and_the_plugin_accepts_its_config(name, doc):
    assert check.schema_problems(doc) == []
    text, problems = validate(doc)
    assert problems == []
    # what the gateway receives is the manifest's pluginConfig, as JSON
    assert json.loads(text) == doc["spec"]["pluginConfig"]


# ---------------------------------------------------------------------------
# the schema check is strict
# ---------------------------------------------------------------------------


def base() -> dict:
    return copy.deepcopy(check.load_documents(REPO / "istio/maintenance-gateway.yaml")[0])


def mutated(path: str, value) -> dict:
    """base() with `value` set at dotted `path` (None deletes)."""
    doc = base()
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(
    "path,value,where",
    [
        ("spec.pluginconfig", {"enabled": True}, "spec"),  # misspelt: would be dropped silently
        ("spec.failstrategy", "FAIL_OPEN", "spec"),
        ("spec.selector.matchlabels", {"istio": "ingressgateway"}, "spec.selector"),
        ("metadata.labls", {"a": "b"}, "metadata"),
        ("spec.phase", "AUTH", "spec.phase"),
        ("spec.failStrategy", "FAIL_CLOSED", "spec.failStrategy"),
        ("spec.priority", "high", "spec.priority"),
        ("spec.priority", 2**31, "spec.priority"),
        ("spec.sha256", "ABC", "spec.sha256"),
        ("spec.url", None, "spec"),
        ("spec.url", "ftp://example.com/plugin.wasm", "spec.url"),
        ("spec.targetRefs", [{"kind": "Gateway", "name": "gw"}], "spec"),  # and a selector
        ("spec.selector.matchLabels", {"istio": "ingress*"}, "spec.selector.matchLabels.istio"),
        ("spec.pluginConfig", "enabled", "spec.pluginConfig"),
        ("apiVersion", "extensions.istio.io/v1beta1", "apiVersion"),
        ("metadata.name", "Maintenance_Mode", "metadata.name"),
        ("spec.vmConfig", {"env": [{"name": "X", "valueFrom": "HOST", "value": "v"}]}, "spec.vmConfig.env.0"),
    ],
)
def test_schema_rejects(path, value, where):
    problems = check.schema_problems(mutated(path, value))
    assert problems, f"{path}={value!r} accepted"
    assert any(p.startswith(f"{where}:") for p in problems), problems


def test_schema_accepts_the_documented_alternatives():
    for url in (
        "file:///var/local/lib/wasm/maintenance_mode.wasm",
        "https://downloads.example.com/maintenance_mode-0.1.0.wasm",
        "ghcr.io/example/maintenance-mode:0.1.0",  # no scheme: OCI
    ):
        assert check.schema_problems(mutated("spec.url", url)) == [], url
    assert check.schema_problems(mutated("spec.sha256", "a" * 64)) == []
    assert check.schema_problems(mutated("spec.failStrategy", "FAIL_RELOAD")) == []


# ---------------------------------------------------------------------------
# pluginConfig → the StringValue, as istiod sends it
# ---------------------------------------------------------------------------


def test_plugin_config_is_converted_like_protojson():
    assert check.plugin_config_string(None) == ""
    assert check.plugin_config_string({}) == ""
    # a Struct holds numbers as doubles; protojson prints integral ones without a fraction,
    # sorts keys and writes no spaces
    assert (
        check.plugin_config_string({"retry_after": 300.0, "enabled": True, "reason": "x", "status": 503})
        == '{"enabled":true,"reason":"x","retry_after":300,"status":503}'
    )
    assert check.plugin_config_string({"a": [0.5, 1e21, 1e-7, 0.00001]}) == '{"a":[0.5,1e+21,1e-7,0.00001]}'
    assert check.plugin_config_string({"reason": 'Ünïcode <b> "q"\n'}) == '{"reason":"Ünïcode <b> \\"q\\"\\n"}'


def test_a_bad_plugin_config_is_reported_with_the_plugins_words():
    text, problems = validate(mutated("spec.pluginConfig", {"enabled": True, "routes": []}))
    assert text == '{"enabled":true,"routes":[]}'
    assert len(problems) == 1 and problems[0].startswith("spec.pluginConfig: invalid plugin configuration: routes:")
    # a float where the plugin wants an integer: Istio would send 1.5, and the plugin refuses it
    _, problems = validate(mutated("spec.pluginConfig", {"retry_after": 1.5}))
    assert problems and "retry_after" in problems[0]


def test_check_cli(tmp_path):
    import subprocess

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (REPO / "istio/maintenance-gateway.yaml").read_text().replace("retry_after: 900", "retry_afterr: 900")
    )
    cmd = [sys.executable, "-m", "istio.check", "--envoy", harness.envoy_bin(), "--wasm", str(harness.wasm_path())]
    done = subprocess.run([*cmd, *map(str, MANIFESTS)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": ok") == len(MANIFESTS)
    assert "TrafficExtension" not in done.stdout  # checked, not skipped
    done = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "retry_afterr: unknown field" in done.stdout, done.stdout


# ---------------------------------------------------------------------------
# the documented kubectl patch one-liners
# ---------------------------------------------------------------------------


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch, what `kubectl patch --type merge` applies."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def documented_patches() -> list[tuple[str, str, str, dict]]:
    """(where, namespace, name, patch) for every one-liner in the documentation and the manifests."""
    found = []
    for path in [*DOCS, *MANIFESTS]:
        text = path.read_text(encoding="utf-8")
        # join shell continuation lines, in code blocks and in YAML comments
        text = re.sub(r"\\\n\s*#?\s*", " ", text)
        for m in PATCH.finditer(text):
            found.append((path.name, m.group(1), m.group(2), json.loads(m.group(3))))
    return found


def documented_configs(where: str) -> list[dict]:
    return [patch["spec"]["pluginConfig"] for found, _, _, patch in documented_patches() if found == where]


def test_istio_chapter_documents_on_off_and_reason():
    configs = documented_configs("istio.md")
    assert any(c.get("enabled") is True and c.get("reason") for c in configs), "turn on with a reason"
    assert any(c == {"enabled": False} for c in configs), "turn off"
    assert any(set(c) == {"reason"} for c in configs), "change the reason only"


def test_readme_deploy_steps_turn_on_with_a_reason_and_off():
    configs = documented_configs("README.md")
    assert any(c.get("enabled") is True and c.get("reason") for c in configs), "turn on with a reason"
    assert any(c == {"enabled": False} for c in configs), "turn off"


@pytest.mark.parametrize(
    "where,namespace,name,patch", documented_patches(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_documented_patch_applies_to_a_shipped_manifest(where, namespace, name, patch):
    targets = [
        doc
        for _, doc in documents()
        if doc["metadata"]["name"] == name and doc["metadata"].get("namespace") == namespace
    ]
    assert targets, f"{where}: no shipped manifest {namespace}/{name}"
    for doc in targets:
        patched = merge_patch(doc, patch)
        assert check.schema_problems(patched) == []
        text, problems = validate(patched)
        assert problems == []
        sent = json.loads(text)
        for key, value in patch["spec"]["pluginConfig"].items():
            assert sent.get(key) == value
        # the rest of the configuration is kept
        for key, value in doc["spec"]["pluginConfig"].items():
            if key not in patch["spec"]["pluginConfig"]:
                assert sent[key] == value


# ---------------------------------------------------------------------------
# the OCI image
# ---------------------------------------------------------------------------


def test_dockerfile_is_the_image_istio_pulls():
    """Istio's "compat" image format: a single layer holding /plugin.wasm."""
    lines = [
        line.strip()
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "FROM scratch"
    layers = [line for line in lines if line.split()[0] in ("COPY", "ADD", "RUN")]
    assert layers == ["COPY target/wasm32-wasip1/release/maintenance_mode.wasm /plugin.wasm"]
    # the build context lets exactly that file in
    ignore = (REPO / ".dockerignore").read_text().split()
    assert "*" in ignore and "!target/wasm32-wasip1/release/maintenance_mode.wasm" in ignore


# ---------------------------------------------------------------------------
# TrafficExtension (Istio 1.30+)
# ---------------------------------------------------------------------------

TE_PATCH = re.compile(r"kubectl -n (\S+) patch trafficextension (\S+) --type merge\s+-p '([^']+)'")


def traffic_extension() -> dict:
    docs = documents("TrafficExtension")
    assert len(docs) == 1
    return copy.deepcopy(docs[0][1])


def test_traffic_extension_matches_the_wasmplugin():
    te = traffic_extension()
    wp = base()
    assert te["metadata"] == wp["metadata"]
    assert te["spec"]["wasm"]["pluginConfig"] == wp["spec"]["pluginConfig"]
    assert te["spec"]["wasm"]["failStrategy"] == wp["spec"]["failStrategy"]
    assert te["spec"]["phase"] == "AUTHN" and te["spec"]["priority"] == wp["spec"]["priority"]
    assert check.schema_problems(te) == []
    text, problems = validate(te)
    assert problems == [] and json.loads(text) == te["spec"]["wasm"]["pluginConfig"]


@pytest.mark.parametrize(
    "path,value,where",
    [
        (("spec", "pluginConfig"), {"enabled": True}, "spec"),  # WasmPlugin's place: dropped silently
        (("spec", "url"), "oci://x/y:1", "spec"),
        (("spec", "wasm", "pluginconfig"), {"enabled": True}, "spec.wasm"),
        (("spec", "phase"), "UNSPECIFIED_PHASE", "spec.phase"),  # WasmPlugin's spelling
        (("spec", "wasm", "failStrategy"), "FAIL_CLOSED", "spec.wasm.failStrategy"),
        (("spec", "wasm", "sha256"), "ABC", "spec.wasm.sha256"),
        (("spec", "wasm", "url"), "ftp://example.com/plugin.wasm", "spec.wasm.url"),
        (("spec", "targetRefs"), [{"kind": "Gateway", "name": "gw"}], "spec"),  # and a selector
        (("apiVersion",), "extensions.istio.io/v1beta1", "apiVersion"),
    ],
)
def test_traffic_extension_schema_rejects(path, value, where):
    doc = traffic_extension()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = check.schema_problems(doc)
    assert problems, f"{path}={value!r} accepted"
    assert any(p.startswith(f"{where}:") for p in problems), problems


def test_traffic_extension_needs_its_wasm():
    doc = traffic_extension()
    del doc["spec"]["wasm"]
    assert any(p.startswith("spec:") and "wasm" in p for p in check.schema_problems(doc))


def test_traffic_extension_bad_plugin_config_is_reported():
    doc = traffic_extension()
    doc["spec"]["wasm"]["pluginConfig"]["retry_after"] = -1
    _, problems = validate(doc)
    assert problems and problems[0].startswith("spec.wasm.pluginConfig: invalid plugin configuration: retry_after")


def test_traffic_extension_documented_patches():
    found = []
    for path in [*DOCS, *MANIFESTS]:
        text = re.sub(r"\\\n\s*#?\s*", " ", path.read_text(encoding="utf-8"))
        found += [(m.group(1), m.group(2), json.loads(m.group(3))) for m in TE_PATCH.finditer(text)]
    assert {json.dumps(p["spec"]["wasm"]["pluginConfig"].get("enabled")) for _, _, p in found} == {"true", "false"}
    te = traffic_extension()
    for namespace, name, patch in found:
        assert (namespace, name) == (te["metadata"]["namespace"], te["metadata"]["name"])
        patched = merge_patch(te, patch)
        assert check.schema_problems(patched) == []
        text, problems = validate(patched)
        assert problems == []
        assert json.loads(text)["enabled"] is patch["spec"]["wasm"]["pluginConfig"]["enabled"]
