"""Assembles dist/ from the release builds: the wasm, the OCI image archive and its digest, the
CLI and the native module for each platform, the SBOM, the manifests pinned to the image's digest,
and SHA256SUMS over all of it (`sha256sum -c SHA256SUMS` checks a download).

Usage: python -m release.dist --version V --image REPO --out dist --wasm W [--cli PLATFORM=FILE]…
       [--module PLATFORM=FILE]… MANIFEST…
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from release import manifests, oci, sbom

REPO = Path(__file__).resolve().parents[1]


def _pairs(values: list[str], option: str) -> dict[str, Path]:
    pairs = {}
    for value in values:
        platform, sep, path = value.partition("=")
        if not sep:
            raise SystemExit(f"{option} takes PLATFORM=FILE, not {value!r}")
        pairs[platform] = Path(path)
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--image", required=True, help="the image repository the release is pushed to")
    ap.add_argument("--source", required=True, help="the source repository's URL, for the image's annotations")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--wasm", type=Path, required=True)
    ap.add_argument("--cli", action="append", default=[], help="PLATFORM=FILE, e.g. linux-x86_64=target/…")
    ap.add_argument("--module", action="append", default=[], help="PLATFORM=FILE")
    ap.add_argument("manifests", nargs="+", type=Path)
    args = ap.parse_args(argv)
    version, out = args.version, args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    module = args.wasm.read_bytes()
    (out / f"maintenance_mode-{version}.wasm").write_bytes(module)
    image = oci.build(module, version, args.source)
    (out / f"maintenance-mode-{version}.oci.tar").write_bytes(image.archive)
    (out / f"maintenance-mode-{version}.oci.digest").write_text(image.manifest_digest + "\n")
    for platform, path in _pairs(args.cli, "--cli").items():
        shutil.copyfile(path, out / f"kubectl-maintenance-{version}-{platform}")
        (out / f"kubectl-maintenance-{version}-{platform}").chmod(0o755)
    for platform, path in _pairs(args.module, "--module").items():
        shutil.copyfile(path, out / f"libmaintenance_mode_module-{version}-{platform}.so")
    bom = sbom.sbom(REPO, version)
    (out / "sbom.cdx.json").write_text(json.dumps(bom, indent=2, sort_keys=True) + "\n")
    if manifests.main(["--image", args.image, "--digest", image.manifest_digest, "--out", str(out / "manifests"),
                       *map(str, args.manifests)]) != 0:  # fmt: skip
        return 1

    files = sorted(p for p in out.rglob("*") if p.is_file())
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out)}\n" for p in files)
    (out / "SHA256SUMS").write_text(sums)
    print(f"{out}/ ({len(files)} files, image {args.image}:{version} = {image.manifest_digest}):")
    for path in files:
        print(f"  {path.relative_to(out)} ({path.stat().st_size} bytes)")
    print(f"  SHA256SUMS; sbom.cdx.json lists {len(bom['components'])} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
