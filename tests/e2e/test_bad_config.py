"""Configuration validation through `envoy --mode validate` (loads the plugin, which compiles
its configuration), for each build.

Every entry of tests/bad_configs.json must make Envoy reject the configuration,
with exactly one plugin log line `invalid plugin configuration: <field>: <why>`.
Corpus entries: {name, config (the raw StringValue text, not necessarily JSON),
field (a string, or a list of acceptable paths where the spec leaves the exact
path open), optional message (the exact `<field>: <why>`, as users read it: JSON syntax
errors give `line L, column C` as the field, type errors name JSON types), optional contains
(text that must appear in <why>), optional note}.

All validations run once, in a small thread pool, in a module-scoped fixture.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import harness

CORPUS_PATH = Path(__file__).resolve().parents[1] / "bad_configs.json"
CORPUS = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))

PREFIX = "invalid plugin configuration: "

GOOD = {
    "empty": "",
    "empty_object": "{}",
    "whitespace_around_object": " {\n}\n ",
    "disabled_with_everything": json.dumps({"enabled": False, "reason": "later", "routes": [{}]}),
    "full": json.dumps(
        {
            "enabled": True,
            "reason": "Scheduled maintenance",
            "title": "Down for maintenance",
            "status": 503,
            "retry_after": 300,
            "routes": [
                {"hosts": ["shop.example.com", "*.apps.example.com"], "path_prefix": "/", "methods": ["GET", "POST"]},
                {"path": "/checkout"},
                {},
            ],
            "bypass": {"paths": ["/admin", "/healthz"]},
            "response": {
                "headers": {"x-maintenance": "on", "link": '<https://status.example.com/>; rel="status"'},
                "html": "<h1>{{title}}</h1><p>{{reason}}</p><p>{{status}}</p>",
            },
        }
    ),
    "status_200": json.dumps({"enabled": True, "status": 200}),
    "status_599": json.dumps({"enabled": True, "status": 599}),
    "retry_after_0": json.dumps({"enabled": True, "retry_after": 0}),
    "reason_4096_bytes": json.dumps({"reason": "x" * 4096}),
    "reason_4096_bytes_multibyte": json.dumps({"reason": "€" * 1365 + "x"}),  # 4095 + 1 bytes
    "empty_bypass": json.dumps({"enabled": True, "bypass": {"paths": []}}),
    "empty_response": json.dumps({"enabled": True, "response": {}}),
    "browsers_and_staff": json.dumps(
        {
            "enabled": True,
            "cors": {"allow_origins": ["https://app.example.com", "https://*.example.com"], "max_age": 600},
            "bypass": {
                "acme": False,
                "jwt": [{"payload": "payload", "claim": "realm_access.roles", "any_of": ["admin"]}],
            },
            "response": {
                "assets": {
                    "logo.svg": {"content_type": "image/svg+xml", "body": "<svg/>"},
                    "font.woff2": {"content_type": "font/woff2", "body_base64": "d09GMg=="},
                },
                "assets_path": "/static/maintenance",
                "logo": "logo.svg",
            },
        }
    ),
    "root_path_prefix": json.dumps({"enabled": True, "routes": [{"path_prefix": "/"}]}),
    "host_star": json.dumps({"enabled": True, "routes": [{"hosts": ["*"]}]}),  # the book: `*` = any host
    "shipped_envoy_maintenance_json": (harness.REPO / "envoy/maintenance.json").read_text(encoding="utf-8")
    if (harness.REPO / "envoy/maintenance.json").exists()
    else "{}",
}


@pytest.fixture(scope="module")
def results(plugin, tmp_path_factory):
    base = tmp_path_factory.mktemp("validate")
    jobs = [("bad", e["name"], e["config"]) for e in CORPUS] + [("good", n, c) for n, c in GOOD.items()]
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            (kind, name): pool.submit(harness.validate, config, base / f"{kind}-{name}", plugin=plugin)
            for kind, name, config in jobs
        }
        return {key: f.result() for key, f in futures.items()}


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 25
    assert len({e["name"] for e in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("entry", CORPUS, ids=[e["name"] for e in CORPUS])
def test_bad_config_rejected(results, entry, plugin):
    code, output = results[("bad", entry["name"])]
    lines = harness.plugin_error_lines(output)
    assert code != 0, f"envoy accepted {entry['config']!r}:\n{output[-3000:]}"
    assert len(lines) == 1, f"expected one plugin error line, got {lines}:\n{output[-3000:]}"
    line = lines[0]
    assert plugin.message(line) is not None, line  # the plugin's own line
    message = line.split(PREFIX, 1)[1]
    fields = entry["field"] if isinstance(entry["field"], list) else [entry["field"]]
    assert any(message.startswith(f + ": ") for f in fields), f"expected field {fields} in {message!r}"
    why = message.split(": ", 1)[1] if ": " in message else ""
    assert why.strip(), f"no reason given: {message!r}"
    if "contains" in entry:
        assert entry["contains"] in message, f"{entry['contains']!r} not in {message!r}"
    if "message" in entry:
        assert message == entry["message"]


def test_corpus_pins_the_wording_of_syntax_and_type_errors():
    """Every kind of JSON mistake and JSON type the schema has is pinned word for word."""
    messages = [e["message"] for e in CORPUS if "message" in e]
    for words in (
        "JSON does not allow trailing commas",
        "JSON needs double quotes",
        "field names need double quotes",
        "is a comma missing?",
        'a closing `"` is missing',
        "a `}` is missing",
        "written in lower case",
        "expected a whole number, got",
        "expected a whole number (0 or more), got",
        "expected true or false, got",
        "expected a string, got",
        "expected a list, got",
        "expected an object, got",
        "is missing",
        "is given twice",
    ):
        assert any(words in m for m in messages), words
    for m in messages:
        for jargon in ("u64", "u32", "struct ", "sequence", " map", "invalid type", "at line", "EOF", "ident"):
            assert jargon not in m, (jargon, m)


@pytest.mark.parametrize("name", list(GOOD))
def test_good_config_accepted(results, name):
    code, output = results[("good", name)]
    assert code == 0, f"envoy rejected {GOOD[name]!r}:\n{output[-3000:]}"
    assert not harness.plugin_error_lines(output), output[-3000:]


def test_error_line_is_short_for_huge_input(results):
    # The 4097-byte reason must not be echoed back whole into the log line.
    code, output = results[("bad", "reason_too_long")]
    lines = harness.plugin_error_lines(output)
    assert lines and len(lines[0]) < 1500, lines


def test_every_problem_is_logged_up_to_ten(tmp_path):
    """A configuration with 13 mistakes: Envoy refuses it and the plugin logs the first ten, in
    the order written, and how many more there are."""
    config = json.dumps({"bypass": {"paths": [f"p{n}" for n in range(13)]}})
    code, output = harness.validate(config, tmp_path)
    lines = [line.split(PREFIX, 1)[1] for line in harness.plugin_error_lines(output)]
    assert code != 0
    assert lines == [
        *(f"bypass.paths[{n}]: \"p{n}\" must start with '/'" for n in range(10)),
        "… and 3 more problems (`kubectl maintenance validate` lists them all)",
    ], output[-3000:]
