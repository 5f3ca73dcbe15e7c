"""Read text scraped from a trending-papers page.

Two layouts occur: entries separated by blank lines (title, blank, abstract)
and a dense one with no blank lines, where the first title is glued to the
"Subscribe" button. Both are a sequence of content lines once blank lines and
boilerplate are gone, so the reader works on that sequence.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterator, NamedTuple

from ..errors import ContentError
from ..records import Sighting

_BOILERPLATE = re.compile(
    r"^(?:new|subscribe|by\s*ak and the research community"
    r"|get trending papers in your email inbox(?: once a day)?!?)$",
    re.IGNORECASE,
)
_GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?=\S)(.+)$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DATE_LINE = re.compile(
    r"^(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+"
    r"(?P<day>\d{1,2})(?:(?:st|nd|rd|th))?(?:,?\s+(?P<year>\d{4}))?$",
    re.IGNORECASE,
)
# Blank-ish characters scraped pages carry instead of plain spaces.
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff\t]")

# A line this long, or with several sentences, is an abstract; titles in the
# wild stay well under 200 characters and rarely contain a full stop.
_ABSTRACT_MIN_CHARS = 250
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


class Line(NamedTuple):
    number: int
    text: str


def looks_like_abstract(text: str) -> bool:
    """Return whether a content line reads as an abstract rather than a title."""
    if len(text) >= _ABSTRACT_MIN_CHARS:
        return True
    return len(text) >= 80 and len(_SENTENCE_END.findall(text)) >= 2


def parse_date_line(text: str, default_year: int) -> dt.date | None:
    """Return the date a line like ``Mar 11`` names, or None if it is no date line."""
    match = _DATE_LINE.match(text)
    if not match:
        return None
    month = _MONTHS[match["month"][:3].lower()]
    year = int(match["year"]) if match["year"] else default_year
    return dt.date(year, month, int(match["day"]))


def content_lines(text: str) -> Iterator[Line]:
    """Yield the non-blank, non-boilerplate lines with their 1-based numbers."""
    for number, raw in enumerate(text.splitlines(), 1):
        line = " ".join(_ODD_SPACES.sub(" ", raw).split())
        if not line or _BOILERPLATE.match(line):
            continue
        glued = _GLUED_SUBSCRIBE.match(line)
        if glued:
            line = glued.group(1).strip()
        yield Line(number, line)


def looks_like_trending_text(text: str) -> bool:
    """Return whether ``text`` has the shape of a scraped trending page."""
    lines = [line for line in text.splitlines()[:40] if line.strip()]
    if not lines:
        return False
    head = "\n".join(lines).lower()
    if "get trending papers" in head or "subscribe" in head:
        return True
    # Without boilerplate, still accept alternating short and long lines.
    long_lines = sum(1 for line in lines if len(line) >= _ABSTRACT_MIN_CHARS)
    return not lines[0].lstrip().startswith(("{", "[", "<")) and long_lines >= 1


def read_trending_text(source: str, text: str, default_year: int,
                       warnings: list[str]) -> list[Sighting]:
    """Return the sightings on one scraped page, in page order."""
    sightings: list[Sighting] = []
    date: dt.date | None = None
    pending: Line | None = None  # a title waiting for its abstract
    lines = list(content_lines(text))

    def emit(title: Line, abstract: str) -> None:
        sightings.append(Sighting(source=source, line=title.number, date=date,
                                  rank=len(sightings) + 1, raw_title=title.text,
                                  raw_abstract=abstract))

    for index, line in enumerate(lines):
        try:
            line_date = parse_date_line(line.text, default_year)
        except ValueError as exc:
            raise ContentError(source, line.number, f"invalid date {line.text!r}: {exc}") from None
        if line_date is not None:
            if pending is not None:
                warnings.append(f"{source}:{pending.number}: title has no abstract")
                emit(pending, "")
                pending = None
            date = line_date
            continue
        if pending is None:
            if looks_like_abstract(line.text):
                warnings.append(f"{source}:{line.number}: abstract without a title, skipped")
            else:
                pending = line
            continue
        # A pending title takes this line as its abstract, unless this line is
        # itself a title: short, and followed by a line that is clearly an abstract.
        following = lines[index + 1].text if index + 1 < len(lines) else ""
        if (not looks_like_abstract(line.text) and len(line.text) < 200
                and len(following) >= _ABSTRACT_MIN_CHARS):
            warnings.append(f"{source}:{pending.number}: title has no abstract")
            emit(pending, "")
            pending = line
        else:
            emit(pending, line.text)
            pending = None
    if pending is not None:
        warnings.append(f"{source}:{pending.number}: title has no abstract")
        emit(pending, "")
    return sightings
