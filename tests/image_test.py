#!/usr/bin/env python3
"""`make image-test`: the plugin's OCI image through a real registry, checked the way Istio's and
Envoy Gateway's fetchers read it.

1. build the image from the Dockerfile with buildah (no daemon; vfs storage in a temp dir),
   for linux/amd64;
2. push it to a Debian `docker-registry` listening on 127.0.0.1 (a free port; its storage in the
   temp dir; started and stopped here);
3. pull it back with skopeo, by tag and by the digest the push reported (a digest pin);
4. check what the fetchers need: a single image manifest (not an index, which Istio resolves to
   linux/amd64 and then compares a pin with a different digest), known media types, exactly one
   layer, holding `plugin.wasm` (Istio also accepts `./plugin.wasm`; Envoy Gateway takes the last
   layer); the module byte-identical to the built wasm;
5. load the extracted module in the real Envoy (`envoy --mode validate` with a configuration);
6. the release's image: the OCI archive `make release` writes (release/oci.py), pushed with
   `make release-push` to the same registry; the registry must serve it under the digest the
   archive names (the one the release's manifests pin), and it must pass the same checks.

Every step has a time limit. Usage: image_test.py --wasm WASM --envoy ENVOY --version VERSION
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

from envoylib.plugin import WASM, Plugin
from envoylib.process import kill_group, validate
from release import oci

REPO = Path(__file__).resolve().parents[1]

STEP_TIMEOUT = 180
INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.oci.image.layer.v1.tar",
}
CONFIG_TYPES = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
}


class Failed(Exception):
    pass


def run(cmd: list[str], **kw) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False, **kw)
    if done.returncode != 0:
        raise Failed(f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_registry(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = tmp / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp / 'registry'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
    )
    log = open(tmp / "registry.log", "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [shutil.which("docker-registry") or "docker-registry", "serve", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failed(f"docker-registry exited with {proc.returncode}:\n{(tmp / 'registry.log').read_text()}")
        try:
            with urllib.request.urlopen(f"http://{address}/v2/", timeout=2) as resp:
                if resp.status == 200:
                    return proc, address
        except OSError:
            pass
        time.sleep(0.1)
    kill_group(proc)
    raise Failed("docker-registry not answering after 30 s")


def registry_manifest(address: str, repository: str, reference: str) -> tuple[str, bytes, str]:
    """(content type, bytes, Docker-Content-Digest) of the manifest, accepting indexes too: what a
    fetcher is served."""
    request = urllib.request.Request(
        f"http://{address}/v2/{repository}/manifests/{reference}",
        headers={"Accept": ", ".join(sorted(INDEX_TYPES | MANIFEST_TYPES))},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.headers.get("content-type", ""), resp.read(), resp.headers.get("docker-content-digest", "")


def module_from_layer(blob: bytes) -> bytes:
    """plugin.wasm from a compat image's layer, as Istio's fetcher finds it."""
    data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
        for member in tar.getmembers():
            if member.isfile() and member.name.removeprefix("./") == "plugin.wasm":
                extracted = tar.extractfile(member)
                if extracted is not None:
                    return extracted.read()
    raise Failed(f"no plugin.wasm in the layer (files: {names})")


def check_pulled(directory: Path, built: bytes) -> bytes:
    """The checks Istio's and Envoy Gateway's fetchers make, on a `skopeo copy … dir:` copy."""
    manifest_bytes = (directory / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    media_type = manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    if media_type in INDEX_TYPES or "manifests" in manifest:
        raise Failed(f"the image is an index ({media_type}): build for one platform without attestations")
    if media_type not in MANIFEST_TYPES:
        raise Failed(f"unknown manifest media type {media_type}")
    if manifest["config"]["mediaType"] not in CONFIG_TYPES:
        raise Failed(f"unknown config media type {manifest['config']['mediaType']}")
    layers = manifest["layers"]
    if len(layers) != 1:
        raise Failed(f"{len(layers)} layers; the compat image has exactly one")
    if layers[0]["mediaType"] not in LAYER_TYPES:
        raise Failed(f"unknown layer media type {layers[0]['mediaType']}")
    digest = layers[0]["digest"]
    blob = (directory / digest.removeprefix("sha256:")).read_bytes()
    if "sha256:" + hashlib.sha256(blob).hexdigest() != digest:
        raise Failed("the layer does not match its digest")
    module = module_from_layer(blob)
    if module != built:
        raise Failed(f"the module in the image ({len(module)} bytes) differs from the build ({len(built)} bytes)")
    return manifest_bytes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wasm", type=Path, required=True)
    ap.add_argument("--envoy", required=True)
    ap.add_argument("--version", required=True, help="the version the release's image is tagged with")
    args = ap.parse_args(argv)
    built = args.wasm.read_bytes()
    for tool in ("buildah", "skopeo", "docker-registry"):
        if not shutil.which(tool):
            print(f"image-test: {tool} is missing (Debian package {tool}; `make image-test` installs it as root)")
            return 1
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="maintenance-image-") as name:
        tmp = Path(name)
        policy = tmp / "policy.json"
        policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
        buildah = [
            "buildah", "--storage-driver", "vfs", "--root", str(tmp / "storage"), "--runroot", str(tmp / "run"),
        ]  # fmt: skip
        registry, address = start_registry(tmp)
        try:
            image = "localhost/maintenance-mode:image-test"
            run([*buildah, "bud", "--signature-policy", str(policy), "--platform", "linux/amd64",
                 "--isolation", "chroot", "-f", str(REPO / "Dockerfile"), "-t", image, str(REPO)])  # fmt: skip
            remote = f"{address}/maintenance-mode"
            digest_file = tmp / "digest"
            run([*buildah, "push", "--signature-policy", str(policy), "--tls-verify=false",
                 "--digestfile", str(digest_file), image, f"docker://{remote}:0.1.0"])  # fmt: skip
            digest = digest_file.read_text().strip()
            print(f"pushed {remote}:0.1.0 {digest}")
            # what a fetcher is served by the registry for the tag
            content_type, raw, served_digest = registry_manifest(address, "maintenance-mode", "0.1.0")
            if content_type.split(";")[0] in INDEX_TYPES:
                raise Failed(f"the registry serves an index ({content_type})")
            if served_digest != digest or "sha256:" + hashlib.sha256(raw).hexdigest() != digest:
                raise Failed(f"digest mismatch: pushed {digest}, served {served_digest}")
            for reference in (f"{remote}:0.1.0", f"{remote}@{digest}"):
                out = tmp / ("pulled-" + hashlib.sha256(reference.encode()).hexdigest()[:8])
                run(["skopeo", "copy", "--policy", str(policy), "--src-tls-verify=false",
                     f"docker://{reference}", f"dir:{out}"])  # fmt: skip
                manifest = check_pulled(out, built)
                if "sha256:" + hashlib.sha256(manifest).hexdigest() != digest:
                    raise Failed(f"{reference}: the pulled manifest is not the pushed one")
                print(f"pulled {reference}: {content_type}, one layer, plugin.wasm identical ({len(built)} bytes)")
            inspected = json.loads(run(["skopeo", "inspect", "--tls-verify=false", f"docker://{remote}:0.1.0"]))
            if inspected.get("Architecture") != "amd64" or inspected.get("Os") != "linux":
                raise Failed(f"platform {inspected.get('Os')}/{inspected.get('Architecture')}, not linux/amd64")
            module = tmp / "plugin.wasm"
            module.write_bytes(module_from_layer((out / digest_of_layer(out)).read_bytes()))
            loaded = validate('{"enabled": true}', envoy=args.envoy, plugin=Plugin(WASM, module))
            if not loaded.accepted:
                raise Failed(
                    "Envoy did not load the module from the image:\n" + "\n".join(loaded.errors) + loaded.output[-2000:]
                )
            print("the module from the image loads in Envoy and accepts a configuration")
            check_release_image(tmp, address, policy, built, args.version)
        except (Failed, subprocess.TimeoutExpired) as err:
            print(f"image-test FAILED: {err}")
            return 1
        finally:
            kill_group(registry)
    print(f"image-test passed in {time.monotonic() - started:.0f} s")
    return 0


def check_release_image(tmp: Path, address: str, policy: Path, built: bytes, version: str) -> None:
    """Step 6: the release's OCI archive, pushed by `make release-push`, is served unchanged."""
    dist = tmp / "dist"
    dist.mkdir()
    image = oci.build(built, version, "https://example.invalid/maintenance-mode")
    (dist / f"maintenance-mode-{version}.oci.tar").write_bytes(image.archive)
    digest_file = tmp / "release-digest"
    run(["make", "--no-print-directory", "-C", str(REPO), "release-push", f"DIST={dist}", f"VERSION={version}",
         f"IMAGE_REPO={address}/maintenance-mode-release",
         f"SKOPEO_ARGS=--dest-tls-verify=false --digestfile {digest_file}"])  # fmt: skip
    pushed = digest_file.read_text().strip()
    content_type, raw, served = registry_manifest(address, "maintenance-mode-release", version)
    if not pushed == served == image.manifest_digest or "sha256:" + hashlib.sha256(raw).hexdigest() != served:
        raise Failed(f"release image: archive {image.manifest_digest}, pushed {pushed}, served {served}")
    out = tmp / "pulled-release"
    run(["skopeo", "copy", "--policy", str(policy), "--src-tls-verify=false",
         f"docker://{address}/maintenance-mode-release@{served}", f"dir:{out}"])  # fmt: skip
    check_pulled(out, built)
    print(f"release image: pushed by make release-push, served as {served} ({content_type}), plugin.wasm identical")


def digest_of_layer(directory: Path) -> str:
    manifest = json.loads((directory / "manifest.json").read_bytes())
    return manifest["layers"][-1]["digest"].removeprefix("sha256:")


if __name__ == "__main__":
    sys.exit(main())
