"""The shipped manifests (istio/*.yaml, gateway/*.yaml) with the release's image pinned by digest:
every reference to the plugin's image (`[oci://]REGISTRY/…/maintenance-mode:TAG` or `…@sha256:…`)
becomes `[oci://]IMAGE@sha256:DIGEST`. Text substitution, so comments and key order stay as written.

Usage: python -m release.manifests --image ghcr.io/acme/maintenance-mode --digest sha256:… --out DIR FILE…
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# An image reference to the plugin: a registry path ending in /maintenance-mode, then a tag or digest.
REFERENCE = re.compile(
    r"(?<![\w./-])(oci://)?[\w.-]+(?::\d+)?(?:/[\w.-]+)*/maintenance-mode(?::[\w.-]+|@sha256:[0-9a-f]{64})"
)
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def render(text: str, image: str, digest: str) -> tuple[str, int]:
    """`text` with each plugin image reference pinned to `image@digest`, and how many there were."""
    if not DIGEST.fullmatch(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    if "@" in image or image.rsplit("/", 1)[-1].count(":"):
        raise ValueError(f"give the image without a tag or digest: {image!r}")
    return REFERENCE.subn(lambda m: f"{m.group(1) or ''}{image}@{digest}", text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", required=True, help="the image repository, e.g. ghcr.io/acme/maintenance-mode")
    ap.add_argument("--digest", required=True, help="the image's manifest digest, sha256:…")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.files:
        text, count = render(path.read_text(), args.image, args.digest)
        if count == 0:
            print(f"{path}: no reference to the plugin's image", file=sys.stderr)
            return 1
        # istio/ and gateway/ ship files of the same name: the folder becomes part of the name.
        rendered = args.out / f"{path.parent.name}-{path.name}"
        rendered.write_text(text)
        print(f"{rendered}: {count} image reference(s) pinned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
