"""The README stays a short deploy guide whose steps work on the shipped manifests.

(Its `kubectl patch` one-liners are applied to the manifests by tests/e2e/test_istio.py and
test_envoy_gateway.py, with the book's.)
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
# `sed 's|OLD|NEW|' FILE`, shell continuation lines joined
SED = re.compile(r"sed '(?:s\|([^|]+)\|([^|]*)\|)' +(\S+)")


def test_readme_is_at_most_400_lines():
    assert len(README.splitlines()) <= 400


def test_deploy_steps_set_the_released_image_in_the_manifests():
    steps = SED.findall(re.sub(r"\\\n\s*", " ", README))
    assert {file for _, _, file in steps} == {"istio/maintenance-gateway.yaml", "gateway/maintenance-gateway.yaml"}
    for old, new, file in steps:
        assert new.startswith("ghcr.io/OWNER/maintenance-mode:"), new
        manifest = (REPO / file).read_text(encoding="utf-8")
        assert old in manifest, f"{file} no longer names {old}: update the README's deploy step"
        (doc,) = yaml.safe_load_all(manifest.replace(old, new))
        spec = doc["spec"]
        urls = [spec["url"]] if "url" in spec else [wasm["code"]["image"]["url"] for wasm in spec["wasm"]]
        assert urls and all(url.removeprefix("oci://") == new for url in urls), urls
