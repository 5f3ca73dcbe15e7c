"""What exports of the huggingface.co/papers pages share: the tool's header, the page's day, card metadata.

Export tools write a header of their own above the page: r.jina.ai
("Reader") writes ``Title:``, ``URL Source:`` and ``Markdown Content:``
lines; Firecrawl, Obsidian's web clipper and notebook exporters write YAML
front matter between ``---`` lines. Either may name the page's address,
and the address tells a daily page's day (``/papers/date/2026-10-04``) or
that the page has none (trending, search, weekly, monthly). The header is
never a paper.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import NamedTuple

from ..errors import ContentError
from ..records import Sighting
from .trending_text import parse_date_line

_JINA_FIELD = re.compile(r"^(?:Title|URL Source|Published Time|Description|Warning|Number of Pages):", re.IGNORECASE)
_JINA_CONTENT = re.compile(r"^(?:Markdown|Text|HTML) Content:\s*$", re.IGNORECASE)
_JINA_URL = re.compile(r"^URL Source:\s*(?P<url>\S+)", re.IGNORECASE)
_FRONT_MATTER_URL = re.compile(
    r"""^(?:url|source|source_?url|canonical(?:_?url)?|og:url)\s*:\s*["']?(?P<url>[^"'\s]+)""", re.IGNORECASE)
# Front matter holds "key: value" lines, lists and their indented items.
_YAML_LINE = re.compile(r"^(?:\s*$|[\w@$-][^:]*:(?:\s|$)|\s+\S|-\s)")
_HEADER_MAX_LINES = 200

_DAY_IN_URL = re.compile(r"/papers/date/(?P<day>\d{4}-\d{2}-\d{2})|[?&]date=(?P<query_day>\d{4}-\d{2}-\d{2})")
# Pages that list papers without being one day's list.
_UNDATED_URL = re.compile(r"/papers/(?:trending|week|month)\b|/papers/?\?(?:.*&)?q=", re.IGNORECASE)


class ExportHeader(NamedTuple):
    """The export tool's header: where the page body starts and what the header says of the page."""

    body_start: int  # 0-based index of the first line after the header (0 without one)
    url: str | None  # the exported page's address
    url_line: int | None  # 1-based line of that address


def read_header(lines: list[str]) -> ExportHeader:
    """Return the export header at the start of ``lines``, if there is one."""
    first = next((i for i, line in enumerate(lines[:_HEADER_MAX_LINES]) if line.strip()), None)
    if first is None:
        return ExportHeader(0, None, None)
    if lines[first].strip() == "---":
        return _front_matter(lines, first)
    if _JINA_FIELD.match(lines[first].strip()):
        return _jina_header(lines, first)
    return ExportHeader(0, None, None)


def _front_matter(lines: list[str], first: int) -> ExportHeader:
    url = url_line = None
    for index in range(first + 1, min(len(lines), first + _HEADER_MAX_LINES)):
        line = lines[index].strip()
        if line in ("---", "..."):
            return ExportHeader(index + 1, url, url_line)
        if not _YAML_LINE.match(lines[index]):
            break  # a page that starts with a rule, not front matter
        match = _FRONT_MATTER_URL.match(line)
        if match and url is None:
            url, url_line = match["url"], index + 1
    return ExportHeader(0, None, None)


def _jina_header(lines: list[str], first: int) -> ExportHeader:
    url = url_line = None
    for index in range(first, min(len(lines), first + _HEADER_MAX_LINES)):
        line = lines[index].strip()
        if _JINA_CONTENT.match(line):
            return ExportHeader(index + 1, url, url_line)
        if line and not _JINA_FIELD.match(line):
            return ExportHeader(index, url, url_line)  # some versions write no "Markdown Content:"
        match = _JINA_URL.match(line)
        if match and url is None:
            url, url_line = match["url"], index + 1
    return ExportHeader(0, None, None)


def page_day(source: str, header: ExportHeader) -> tuple[dt.date | None, bool]:
    """Return the day the header's address names, and whether it names a page that has none."""
    if header.url is None:
        return None, False
    match = _DAY_IN_URL.search(header.url)
    if match:
        day = match["day"] or match["query_day"]
        try:
            return dt.date.fromisoformat(day), False
        except ValueError:
            raise ContentError(source, header.url_line, f"invalid date {day!r} in the page's address") from None
    return None, _UNDATED_URL.search(header.url) is not None


# -- card metadata ------------------------------------------------------------

# An upvote count as the page shows it: "165", "1,204", or "-" for none yet.
_COUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d{1,7}|-)$")
_GITHUB_STARS = re.compile(r"\bGitHub\s*(?P<n>\d{1,3}(?:,\d{3})+|\d{1,9}(?:\.\d{1,3})?)\s*(?P<unit>[kKmM])?(?![\w.])")
_UNITS = {"": 1, "k": 1000, "m": 1_000_000}
_AUTHORS = re.compile(r"^(?:[-·•\\\s]*)(?P<n>\d+)\s+authors?$", re.IGNORECASE)
_PUBLISHED = re.compile(r"^Published(?: on)?\s+(?P<date>.+)$", re.IGNORECASE)
_HAS_YEAR = re.compile(r"\d{4}$")


def count_value(text: str) -> int | None:
    """Return the upvotes a count shows ("-" is none yet: 0), or None if ``text`` is no count."""
    text = text.strip()
    if not _COUNT.match(text):
        return None
    return 0 if text == "-" else int(text.replace(",", ""))


def github_stars(text: str) -> int | None:
    """Return the stars in a label like ``GitHub 86.1k``, or None without one."""
    match = _GITHUB_STARS.search(text)
    if not match:
        return None
    number = Decimal(match["n"].replace(",", ""))
    return int(number * _UNITS[(match["unit"] or "").lower()])


def is_author_count(text: str) -> bool:
    """Return whether ``text`` is an author count such as ``· 9 authors``."""
    return _AUTHORS.match(text.strip()) is not None


def card_day(source: str, line: int, text: str, default_year: int) -> tuple[dt.date | None, bool]:
    """Return the day a card's date text names and whether it is a publication day.

    ``Published on Oct 7`` and a day with its year are publication days;
    a bare ``Oct 7`` may head the page. Returns (None, False) for other text.
    """
    published = _PUBLISHED.match(text)
    try:
        if published:
            day = parse_date_line(published["date"].strip(), default_year)
            return day, day is not None
        day = parse_date_line(text, default_year)
    except ValueError as exc:
        raise ContentError(source, line, f"invalid date {text!r}: {exc}") from None
    return day, day is not None and _HAS_YEAR.search(text) is not None


def warn_missing_abstracts(source: str, sightings: list[Sighting], warnings: list[str]) -> None:
    """Warn once when some papers of a page show an abstract and others do not."""
    # A daily page shows no abstract on any card: nothing is missing there.
    missing = [s for s in sightings if not s.raw_abstract]
    if missing and len(missing) < len(sightings):
        warnings.append(f"{source}:{missing[0].line}: {len(missing)} of {len(sightings)} papers "
                        "have no abstract on this page (the first here)")
