"""A CycloneDX 1.5 SBOM of what a release ships, from `cargo metadata`: every crate compiled into
the shipped artifacts (normal and build dependencies of the workspace's shipped crates, for the
targets they are built for), with its version, license, package URL and, for crates.io crates,
the SHA-256 Cargo.lock pins. No timestamps: the same sources give the same bytes.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
import uuid
from pathlib import Path

# The workspace crates whose build outputs a release ships, and the targets they are built for.
SHIPPED = {
    "maintenance-wasm": ["wasm32-wasip1"],
    "kubectl-maintenance": ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"],
    "maintenance-module": ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"],
}


def _metadata(repo: Path, target: str) -> dict:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def shipped_packages(repo: Path) -> dict[str, dict]:
    """Package id -> package, for every crate reachable from a shipped crate without dev-dependencies."""
    found: dict[str, dict] = {}
    for crate, targets in SHIPPED.items():
        for target in targets:
            metadata = _metadata(repo, target)
            packages = {p["id"]: p for p in metadata["packages"]}
            nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
            roots = [p["id"] for p in metadata["packages"] if p["name"] == crate and p["source"] is None]
            stack = list(roots)
            while stack:
                node = nodes[stack.pop()]
                if node["id"] in found:
                    continue
                found[node["id"]] = packages[node["id"]]
                for dep in node["deps"]:
                    if any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"]):
                        stack.append(dep["pkg"])
    return found


def _lock_checksums(repo: Path) -> dict[tuple[str, str], str]:
    lock = tomllib.loads((repo / "Cargo.lock").read_text())
    return {(p["name"], p["version"]): p["checksum"] for p in lock.get("package", []) if "checksum" in p}


def sbom(repo: Path, version: str) -> dict:
    checksums = _lock_checksums(repo)
    components = []
    for package in sorted(shipped_packages(repo).values(), key=lambda p: (p["name"], p["version"])):
        component = {
            "type": "library" if package["source"] else "application",
            "bom-ref": f"pkg:cargo/{package['name']}@{package['version']}",
            "name": package["name"],
            "version": package["version"],
            "purl": f"pkg:cargo/{package['name']}@{package['version']}",
        }
        if package.get("license"):
            component["licenses"] = [{"expression": package["license"]}]
        checksum = checksums.get((package["name"], package["version"]))
        if checksum:
            component["hashes"] = [{"alg": "SHA-256", "content": checksum}]
        components.append(component)
    body = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "bom-ref": f"maintenance-mode@{version}",
                "name": "maintenance-mode",
                "version": version,
                "licenses": [{"expression": "Apache-2.0"}],
            }
        },
        "components": components,
    }
    # A serial number derived from the content, so that it is unique per content and reproducible.
    serial = uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(body, sort_keys=True))
    return {"serialNumber": f"urn:uuid:{serial}", **body}
