"""Checks of what `make release` put in dist/ (run by `make release-check`, which sets DIST and
VERSION): every file summed, the image archive holding exactly the released wasm, the SBOM naming
every crate compiled into the shipped artifacts, the manifests pinned to the image's digest, the
CLIs static for their platform."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from release import oci, sbom

REPO = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("DIST", REPO / "dist"))
VERSION = (
    os.environ.get("VERSION") or tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["package"]["version"]
)


def test_sha256sums_cover_every_file_and_match():
    listed = {}
    for line in (DIST / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    on_disk = {str(p.relative_to(DIST)) for p in DIST.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((DIST / name).read_bytes()).hexdigest() == digest, name


def test_image_archive_holds_the_released_wasm_and_its_digest():
    digest, module = oci.module_of(DIST / f"maintenance-mode-{VERSION}.oci.tar")
    assert module == (DIST / f"maintenance_mode-{VERSION}.wasm").read_bytes()
    assert (DIST / f"maintenance-mode-{VERSION}.oci.digest").read_text().strip() == digest


def test_manifests_are_pinned_to_the_image_digest():
    digest = (DIST / f"maintenance-mode-{VERSION}.oci.digest").read_text().strip()
    rendered = sorted((DIST / "manifests").glob("*.yaml"))
    shipped = sorted([*REPO.glob("istio/*.yaml"), *REPO.glob("gateway/*.yaml")])
    assert sorted(p.name for p in rendered) == sorted(f"{p.parent.name}-{p.name}" for p in shipped)
    for path in rendered:
        text = path.read_text()
        assert f"maintenance-mode@{digest}" in text, path.name
        assert "maintenance-mode:" not in text.replace("maintenance-mode:\n", ""), path.name


def test_sbom_lists_every_shipped_crate_with_version_and_license():
    bom = json.loads((DIST / "sbom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX"
    listed = {(c["name"], c["version"]) for c in bom["components"]}
    expected = {(p["name"], p["version"]) for p in sbom.shipped_packages(REPO).values()}
    assert listed == expected
    assert {"maintenance-core", "maintenance-wasm", "kubectl-maintenance", "proxy-wasm"} <= {n for n, _ in listed}
    for component in bom["components"]:
        assert component.get("licenses"), f"{component['name']} has no license"


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_clis_are_static_for_their_platform(arch):
    path = DIST / f"kubectl-maintenance-{VERSION}-linux-{arch}"
    described = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True, check=True).stdout
    assert {"x86_64": "x86-64", "aarch64": "ARM aarch64"}[arch] in described
    assert "static" in described, described
    assert os.access(path, os.X_OK)


# The newest glibc symbol version the module may need (docs/src/native-module.md states it).
MODULE_GLIBC = (2, 34)


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_modules_are_shared_objects_for_their_platform_and_glibc(arch):
    path = DIST / f"libmaintenance_mode_module-{VERSION}-linux-{arch}.so"
    described = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True, check=True).stdout
    assert "shared object" in described and {"x86_64": "x86-64", "aarch64": "ARM aarch64"}[arch] in described
    needed = {
        tuple(map(int, v.split("."))) for v in re.findall(rb"GLIBC_(\d+\.\d+)", path.read_bytes()) for v in [v.decode()]
    }
    assert needed and max(needed) <= MODULE_GLIBC, sorted(needed)
    assert b"envoy_dynamic_module_on_program_init" in path.read_bytes()
