"""The link checker of `make docs` (docs/check_links.py) finds what it must, on a book that the
real mdBook builds from tests/docs/fixtures/ (a chapter with deliberately broken links) and on
that fixture's README.

Run by `make docs`, which installs the pinned mdBook first (MDBOOK names the binary).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from docs import check_links

FIXTURE = Path(__file__).resolve().parent / "fixtures"


def mdbook() -> str:
    found = os.environ.get("MDBOOK") or shutil.which("mdbook")
    assert found, "mdbook is not installed: run `make docs`, which installs it"
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(the fixture repository, its built book)"""
    repo = tmp_path_factory.mktemp("repo")
    shutil.copytree(FIXTURE, repo, dirs_exist_ok=True)
    book = repo / "book"
    subprocess.run([mdbook(), "build", str(repo / "docs"), "--dest-dir", str(book)], check=True, capture_output=True)
    return repo, book


def test_broken_links_in_the_built_book_are_found(built):
    _, book = built
    problems = check_links.check_book(book)
    assert sorted(problems) == [
        "broken.html: #nowhere: no anchor #nowhere in broken.html",
        "broken.html: ../../README.html: no such page in the book",
        "broken.html: good.html#no-such-section: no anchor #no-such-section in good.html",
        "broken.html: missing.html: no such page in the book",
    ]


def test_working_links_pass(built):
    """good.md links to a chapter, an anchor of it (a heading with code), one of its own and the
    web; none of them is reported, nor are those on mdBook's own pages (index, table of contents)."""
    _, book = built
    assert not [p for p in check_links.check_book(book) if not p.startswith("broken.html: ")]


def test_a_fixed_book_passes(built, tmp_path):
    repo, _ = built
    fixed = tmp_path / "docs"
    shutil.copytree(repo / "docs", fixed)
    (fixed / "src/broken.md").write_text("# Broken\n\n## A heading with `code`\n\n[back](good.md#a-section)\n")
    book = tmp_path / "book"
    subprocess.run([mdbook(), "build", str(fixed), "--dest-dir", str(book)], check=True, capture_output=True)
    assert check_links.check_book(book) == []
    assert check_links.main(["--book", str(book)]) == 0


def test_readme_links_into_the_book_and_the_repository(built):
    repo, book = built
    problems = check_links.check_readme(repo / "README.md", repo, book)
    assert sorted(problems) == [
        "README.md: #nothing-here: no heading #nothing-here in README.md",
        "README.md: LICENSE: no such file in the repository",
        "README.md: docs/src/good.md#no-such-section: no anchor #no-such-section in good.html",
        "README.md: docs/src/unlisted.md: docs/src/unlisted.md is not a chapter of the book (not in SUMMARY.md?)",
    ]


def test_the_command_fails_on_broken_links(built, capsys):
    repo, book = built
    assert check_links.main(["--book", str(book), "--readme", str(repo / "README.md"), "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "missing.html: no such page in the book" in err
    assert "LICENSE: no such file in the repository" in err


def test_the_command_fails_without_a_built_book(tmp_path, capsys):
    assert check_links.main(["--book", str(tmp_path)]) == 1
    assert "no built book here" in capsys.readouterr().err


def test_heading_anchors_follow_github_and_mdbook():
    text = "# A title\n## Telling the application: `bypass.header`\n## Twice\n## Twice\n```sh\n# a comment\n```\n"
    assert check_links.github_anchors(text) == {"a-title", "telling-the-application-bypassheader", "twice", "twice-1"}
