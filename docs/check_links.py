"""Fails on broken internal links in the built book and in README.md.

In the book (the HTML mdBook wrote, e.g. target/book), every relative `<a href>` must name a page
that exists and, with a `#fragment`, an element of that page with that id. Two pages mdBook makes
are left out: the print page repeats the chapters, which are checked one by one, and the 404
page's links are relative to the site's root (`<base href="/">`), not to the book.

In README.md, every relative link must name a file or directory of the repository; a link into
the book's sources (docs/src/CHAPTER.md#anchor) must name a chapter the book has, and an anchor
of its built page; other fragments must name a heading of the Markdown file they point into.

    python -m docs.check_links --book target/book --readme README.md

Prints one line per broken link and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# mdBook's pages that repeat the chapters (print) or link relative to the site's root (404).
LEFT_OUT = {"print.html", "404.html"}
BOOK_SOURCES = Path("docs/src")


class Page(HTMLParser):
    """The ids and the link targets of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])


def read_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def is_external(href: str) -> bool:
    parts = urlsplit(href)
    return bool(parts.scheme or parts.netloc)


def check_book(book: Path) -> list[str]:
    book = book.resolve()
    pages = {path: read_page(path) for path in sorted(book.rglob("*.html"))}
    problems = []
    for path, page in pages.items():
        if path.name in LEFT_OUT and path.parent == book:
            continue
        where = path.relative_to(book)
        for href in page.links:
            if is_external(href):
                continue
            parts = urlsplit(href)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_relative_to(book) or not target.exists():
                problems.append(f"{where}: {href}: no such page in the book")
            elif parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
                problems.append(f"{where}: {href}: no anchor #{parts.fragment} in {target.relative_to(book)}")
    return problems


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub (and mdBook) give a Markdown file's headings."""
    anchors: set[str] = set()
    fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (heading := re.match(r"#{1,6} +(.*?) *#*$", line)):
            base = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            anchor, n = base, 0
            while anchor in anchors:
                n += 1
                anchor = f"{base}-{n}"
            anchors.add(anchor)
    return anchors


def markdown_links(markdown: str) -> list[str]:
    """Inline link targets outside code blocks and code spans."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)


def check_readme(readme: Path, repo: Path, book: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    problems = []
    for href in markdown_links(text):
        if is_external(href):
            continue
        parts = urlsplit(href)
        target = (readme.parent / unquote(parts.path)).resolve() if parts.path else readme.resolve()
        if not target.is_relative_to(repo.resolve()) or not target.exists():
            problems.append(f"{readme.name}: {href}: no such file in the repository")
            continue
        source = target.relative_to(repo.resolve())
        if source.parent == BOOK_SOURCES and source.suffix == ".md":
            page = book / source.with_suffix(".html").name
            if not page.exists():
                problems.append(f"{readme.name}: {href}: {source} is not a chapter of the book (not in SUMMARY.md?)")
            elif parts.fragment and unquote(parts.fragment) not in read_page(page).ids:
                problems.append(f"{readme.name}: {href}: no anchor #{parts.fragment} in {page.name}")
        elif (
            parts.fragment
            and target.suffix == ".md"
            and unquote(parts.fragment) not in github_anchors(target.read_text(encoding="utf-8"))
        ):
            problems.append(f"{readme.name}: {href}: no heading #{parts.fragment} in {source}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, required=True, help="the built book (mdBook's HTML output)")
    parser.add_argument("--readme", type=Path, action="append", default=[], help="a Markdown file to check too")
    parser.add_argument("--repo", type=Path, default=Path("."), help="the repository root (default: .)")
    args = parser.parse_args(argv)
    if not (args.book / "index.html").exists():
        print(f"{args.book}: no built book here (index.html is missing)", file=sys.stderr)
        return 1
    problems = check_book(args.book)
    for readme in args.readme:
        problems += check_readme(readme, args.repo, args.book)
    for problem in problems:
        print(problem, file=sys.stderr)
    pages = sum(1 for _ in args.book.rglob("*.html"))
    print(f"links: {len(problems)} broken in {pages} pages" + "".join(f" and {r.name}" for r in args.readme))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
