"""Host data the plugin did not expect never stops it: a filter earlier in the chain (here an
Envoy Lua filter) adds a request header whose name and value are not UTF-8. The plugin reads
the whole request header map for the bypass cookie; before it parsed that map itself, the
SDK's reader panicked on such a name and the VM died. Under FAIL_OPEN (the shipped Istio
manifests) maintenance then turned off for everyone and the bypass cookie reached the
upstream unstripped.
"""

from __future__ import annotations

import hashlib
import json

import harness
import pytest

QA = "qa-host-data-71c4"  # the bypass cookie's secret
CONFIG = {
    "enabled": True,
    "reason": "Upgrading",
    "bypass": {"cookie": {"name": "mm_bypass", "sha256": hashlib.sha256(QA.encode()).hexdigest()}},
}

# LuaJIT's "\xff": one byte, not UTF-8.
ADD = r"""
function envoy_on_request(request_handle)
  request_handle:headers():add("x-\xff", "\xfe")
end
"""
# After the plugin: Envoy's HTTP/1 upstream codec refuses such a name ("invalid header name"),
# so take it out again, and tell the upstream it was there while the plugin ran.
CHECK_AND_REMOVE = r"""
function envoy_on_request(request_handle)
  if request_handle:headers():get("x-\xff") == "\xfe" then
    request_handle:headers():add("x-plugin-saw-non-utf8", "yes")
  end
  request_handle:headers():remove("x-\xff")
end
"""

REQUESTS = 60


def lua(name: str, source: str) -> dict:
    return {
        "name": name,
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": source},
        },
    }


def filters(plugin: harness.Plugin, config) -> list[dict]:
    """Lua adds the header, then the plugin (the wasm failing open, as Istio's FAIL_OPEN), then
    Lua checks and removes it, then the router."""
    entry = plugin.http_filter(config)
    if plugin.is_wasm:
        entry["typed_config"]["config"]["failure_policy"] = "FAIL_OPEN"
    return [
        lua("add-non-utf8", ADD),
        entry,
        lua("check-non-utf8", CHECK_AND_REMOVE),
        {
            "name": "envoy.filters.http.router",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
        },
    ]


@pytest.fixture
def envoy(make_envoy, plugin) -> harness.Envoy:
    return make_envoy(CONFIG, hcm={"http_filters": filters(plugin, CONFIG)})


def test_non_utf8_header_names_never_stop_the_plugin(envoy):
    for i in range(REQUESTS):
        # Maintenance still answers...
        r = envoy.get(f"/shop/{i}")
        assert r.status == 503 and not r.from_upstream, f"request {i}: {r!r}"
        # ...and the bypass cookie still passes, stripped before the upstream.
        r = envoy.get(f"/shop/{i}", headers=[("cookie", f"theme=dark; mm_bypass={QA}")])
        assert r.status == 200, f"request {i}: {r!r}"
        echo = r.echo()
        assert QA not in json.dumps(echo), f"request {i}: the secret reached the upstream: {echo}"
        assert echo["headers"]["cookie"] == "theme=dark", echo
        assert echo["headers"]["x-plugin-saw-non-utf8"] == "yes", echo
    log = envoy.log_text()
    assert "panicked" not in log and "Wasm VM failed" not in log, envoy.log_relevant()
