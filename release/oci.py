"""The plugin's OCI image as an `oci-archive` (an OCI image layout in a tar), written byte for byte
the same from the same module: one gzip layer holding `plugin.wasm` (the compat layout Istio's and
Envoy Gateway's fetchers read), a linux/amd64 config, and a single image manifest (no index).

`skopeo copy --preserve-digests oci-archive:FILE docker://REGISTRY/NAME:TAG` pushes it unchanged,
so the manifest digest written here is the one the registry serves and manifests can pin it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


@dataclass(frozen=True)
class Image:
    archive: bytes
    manifest_digest: str


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    """A tar of regular files with fixed owners, modes and times: the same bytes every time."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(media_type: str, data: bytes) -> dict:
    return {"mediaType": media_type, "digest": _digest(data), "size": len(data)}


def build(module: bytes, version: str, source: str) -> Image:
    layer_tar = _tar([("plugin.wasm", module)])
    compressed = io.BytesIO()
    # mtime=0 and no file name: gzip's header carries neither a time nor a path.
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=9) as gz:
        gz.write(layer_tar)
    layer = compressed.getvalue()
    config = _json(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [_digest(layer_tar)]},
        }
    )
    manifest = _json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": _descriptor(CONFIG_TYPE, config),
            "layers": [_descriptor(LAYER_TYPE, layer)],
            "annotations": {
                "org.opencontainers.image.title": "maintenance-mode",
                "org.opencontainers.image.version": version,
                "org.opencontainers.image.source": source,
                "org.opencontainers.image.licenses": "Apache-2.0",
            },
        }
    )
    descriptor = _descriptor(MANIFEST_TYPE, manifest)
    descriptor["annotations"] = {"org.opencontainers.image.ref.name": version}
    blobs = sorted((f"blobs/sha256/{_digest(b).removeprefix('sha256:')}", b) for b in (layer, config, manifest))
    archive = _tar(
        [
            ("oci-layout", _json({"imageLayoutVersion": "1.0.0"})),
            ("index.json", _json({"schemaVersion": 2, "manifests": [descriptor]})),
            *blobs,
        ]
    )
    return Image(archive=archive, manifest_digest=descriptor["digest"])


def module_of(archive: Path) -> tuple[str, bytes]:
    """(manifest digest, plugin.wasm) read back from an archive written by `build`."""
    with tarfile.open(archive) as tar:

        def read(name: str) -> bytes:
            member = tar.extractfile(name)
            if member is None:
                raise ValueError(f"{archive}: no {name}")
            return member.read()

        (entry,) = json.loads(read("index.json"))["manifests"]
        manifest = json.loads(read("blobs/sha256/" + entry["digest"].removeprefix("sha256:")))
        (layer,) = manifest["layers"]
        blob = gzip.decompress(read("blobs/sha256/" + layer["digest"].removeprefix("sha256:")))
    with tarfile.open(fileobj=io.BytesIO(blob)) as layer_tar:
        member = layer_tar.extractfile("plugin.wasm")
        if member is None:
            raise ValueError(f"{archive}: no plugin.wasm in the layer")
        return entry["digest"], member.read()
