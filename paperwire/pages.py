"""Markdown pages from ``content/pages/*.md``, with optional YAML front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ContentError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
_PAGE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Top-level names the site itself uses; a page may not take them.
RESERVED_NAMES = frozenset({
    "api", "days", "digest", "page", "papers", "search", "static", "topics", "pagefind",
    "index", "404", "feed", "atom", "sitemap", "robots",
})
_ALLOWED_KEYS = {"title", "nav"}


@dataclass(frozen=True)
class MarkdownPage:
    slug: str
    title: str
    markdown: str  # the site owner's Markdown, front matter removed (rendered with the site)
    in_nav: bool

    @property
    def url(self) -> str:
        return f"{self.slug}/"


def read_page(path: Path) -> MarkdownPage:
    """Read one Markdown page, or raise ContentError naming the problem."""
    slug = path.stem
    if not _PAGE_SLUG.match(slug):
        raise ContentError(str(path), None, "page file names must be lowercase letters, digits and hyphens")
    if slug in RESERVED_NAMES:
        raise ContentError(str(path), None, f"'{slug}' is a name the site uses itself; rename the page")
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ContentError(str(path), None, "not valid UTF-8") from None
    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
            raise ContentError(str(path), line, "front matter is not valid YAML") from None
        if not isinstance(meta, dict):
            raise ContentError(str(path), 2, "front matter must be a mapping such as 'title: About'")
        unknown = sorted(set(meta) - _ALLOWED_KEYS)
        if unknown:
            raise ContentError(str(path), 2, f"Unrecognised front matter key '{unknown[0]}' (known: title, nav)")
        text = text[match.end():]
    title = meta.get("title") or _first_heading(text) or slug.replace("-", " ").capitalize()
    return MarkdownPage(slug=slug, title=str(title), markdown=text, in_nav=bool(meta.get("nav", True)))


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def read_pages(content_dir: Path) -> tuple[MarkdownPage, ...]:
    """Read every ``pages/*.md`` in name order."""
    folder = content_dir / "pages"
    if not folder.is_dir():
        return ()
    return tuple(read_page(p) for p in sorted(folder.glob("*.md")))
