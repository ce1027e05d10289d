"""Writes the fuzz targets' seed corpora (fuzz/seeds/TARGET/, not in git) from what the repository
already holds: the bad-config corpus, the JSON examples of the README and the book (docs/src/) and
the shipped configuration for the config parser; their example paths and hosts for the
normalizers; requests built from them for the decision. Run by `make fuzz` and `make fuzz-ci` from
the repository root."""

import hashlib
import itertools
import json
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = "\n".join(
    path.read_text(encoding="utf-8") for path in [REPO / "README.md", *sorted((REPO / "docs/src").glob("*.md"))]
)
CODE_SPANS = re.findall(r"`([^`\n]+)`", DOCS)

# Paths and hosts the documentation discusses, and a few more forms the rules are about.
PATHS = sorted({span for span in CODE_SPANS if span.startswith("/") and " " not in span}) + [
    "/shop./cart",
    "/shop%20/cart",
    "/shop%2e/cart",
    "/__maintenance/bypass%3Ftoken=abc",
    "/caf%C3%A9/%ef%bc%8e",
]
HOSTS = [
    "shop.example.com",
    "Shop.Example.COM.:8443",
    "shop.example.com..",
    ".shop.example.com",
    "shop..example.com",
    "[::1]",
    "[0:0::1]",
    "[0::1]:443",
    "[::ffff:127.0.0.1]",
    "[fe80::1%25eth0]",
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0177.0.0.1",
    "0x7f.1",
    "a.b.api.example.com",
]


def configs() -> list[bytes]:
    seeds = [entry["config"].encode() for entry in json.loads((REPO / "tests/bad_configs.json").read_text())]
    seeds.append((REPO / "envoy/maintenance.json").read_bytes())
    for block in re.findall(r"```json\n(.*?)```", DOCS, re.S):
        text = block.strip()
        seeds.append(text.encode() if text.startswith("{") else ("{" + text + "}").encode())
    return seeds


def requests() -> list[bytes]:
    """Selector byte, then method, authority, path, token, cookie, source address as lines."""
    seeds = []
    for index, (host, path) in enumerate(itertools.product(HOSTS, PATHS[:: max(1, len(PATHS) // 12)])):
        lines = [b"GET", host.encode(), path.encode(), b"abc", b"a=1; mm=abc", b"10.1.2.3:5555"]
        seeds.append(bytes([index % 2]) + b"\n".join(lines[: 3 + index % 4]))
    return seeds


def write(target: str, seeds: list[bytes]) -> int:
    directory = REPO / "fuzz/seeds" / target
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for seed in seeds:
        (directory / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    return len(list(directory.iterdir()))


def main() -> None:
    counts = {
        "config": write("config", configs()),
        "normalize": write("normalize", [text.encode() for text in PATHS + HOSTS]),
        "decide": write("decide", requests()),
    }
    print("seeds: " + ", ".join(f"{target} {count}" for target, count in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
