"""CHANGELOG.md has a dated section for the version in Cargo.toml: what the release workflow
(.github/workflows/release.yml) takes as the release's notes."""

from __future__ import annotations

import re
from envoylib.paths import REPO, crate_version


def test_the_changelog_has_a_dated_section_for_the_cargo_version():
    version = crate_version()
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.search(rf"^## \[{re.escape(version)}\] - (\d{{4}}-\d{{2}}-\d{{2}})$", changelog, re.M)
    assert heading, f"CHANGELOG.md has no `## [{version}] - YYYY-MM-DD` section"
    body = changelog[heading.end() :].split("\n## [", 1)[0]
    assert body.strip(), f"the {version} section of CHANGELOG.md is empty"
