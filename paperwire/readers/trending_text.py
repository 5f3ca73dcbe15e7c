"""Read text scraped from a trending-papers page.

Two layouts occur: entries separated by blank lines (title, blank, abstract)
and a dense one with no blank lines, where the first title is glued to the
"Subscribe" button. Both are a sequence of content lines once blank lines and
boilerplate are gone, so the reader works on that sequence.

Richer scrapes add metadata lines to each entry (its huggingface.co/papers
link, upvotes, "N authors", "Published on Oct 7, 2024"); they fill the
entry's arXiv id, upvotes and publication day and are never titles.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any, Iterator, NamedTuple

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
    """Yield the non-blank, non-boilerplate lines with their 1-based numbers.

    Each line has its runs of spaces (odd ones included) made single spaces
    and its ends stripped.
    """
    # No odd space ends a line, so replacing them in the whole text at once
    # gives the same lines as replacing them line by line; plain ASCII
    # without tabs, the common case, has none to replace.
    if not text.isascii() or "\t" in text:
        text = _ODD_SPACES.sub(" ", text)
    # Splitting a line at its spaces and joining it again is the costly step.
    # In ASCII text without \x1f (the one ASCII space str.split() knows that
    # neither ends a line nor is an odd space), a line without a double space
    # only needs its ends stripped to come out the same.
    only_plain_spaces = text.isascii() and "\x1f" not in text
    for number, raw in enumerate(text.splitlines(), 1):
        if only_plain_spaces and "  " not in raw:
            line = raw.strip(" ")
        else:
            line = " ".join(raw.split())
        if not line or _BOILERPLATE.match(line):
            continue
        if line.startswith("Subscribe"):  # quicker than the regex, which needs this very prefix
            glued = _GLUED_SUBSCRIBE.match(line)
            if glued:
                line = glued.group(1).strip()
        yield Line(number, line)


def _first_lines(text: str, count: int) -> list[str]:
    """Return ``text.splitlines()[:count]``, splitting only as much of ``text`` as that takes."""
    # A sniffer's head is up to 64 KiB, and its first lines are usually short.
    size = 4096
    while size < len(text):
        lines = text[:size].splitlines()
        if len(lines) > count:  # line ``count`` starts inside the slice, so the ones before are whole
            return lines[:count]
        size *= 4
    return text.splitlines()[:count]


def looks_like_trending_text(text: str) -> bool:
    """Return whether ``text`` has the shape of a scraped trending page."""
    lines = [line for line in _first_lines(text, 40) if line.strip()]
    # JSON and XML belong to their own readers, even when they mention "subscribe".
    if not lines or lines[0].lstrip().startswith(("{", "[", "<")):
        return False
    head = "\n".join(lines).lower()
    if "get trending papers" in head or "subscribe" in head:
        return True
    # Without boilerplate, still accept alternating short and long lines.
    long_lines = sum(1 for line in lines if len(line) >= _ABSTRACT_MIN_CHARS)
    return long_lines >= 1


# Richer scrapes carry each entry's metadata on lines of their own: its link,
# upvotes, author count and publication day. These lines describe the entry
# they sit in and never become titles or abstracts.
_LINK_HOST = r"(?:(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)|(?<!\S))/papers/"
_ARXIV_ID = r"(?P<id>\d{4}\.\d{4,5})(?:v\d+)?"
_LINK_LINE = re.compile(
    r"^(?:" + _LINK_HOST + r"|(?:https?://)?(?:www\.)?arxiv\.org/(?:abs|pdf)/)" + _ARXIV_ID
    + r"(?:\.pdf)?/?(?:[?#]\S*)?$", re.IGNORECASE)
# A link inside a title or abstract line: full, or site-relative (/papers/…).
_INLINE_LINK = re.compile(r"\s*[(<]?(?:(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)|(?<![\w/.]))/papers/"
                          + _ARXIV_ID + r"/?[)>]?", re.IGNORECASE)
_UPVOTES = re.compile(r"^(?:[▲△⬆↑]\s*)?(?P<n>\d{1,3}(?:,\d{3})+|\d{1,7})(?:\s*upvotes?)?$", re.IGNORECASE)
_IGNORED_META = re.compile(
    r"^(?:[·•]\s*)?(?:\d+\s+authors?|upvotes?|[·•]|submitted by \S+(?: on .+)?|#\d+ paper of the day)$",
    re.IGNORECASE)
_PUBLISHED = re.compile(r"^Published(?: on)?\s+(?P<date>.+)$", re.IGNORECASE)
_HAS_YEAR = re.compile(r"\d{4}$")
# Every line parse_metadata or parse_date_line accepts starts like this (a
# symbol, a digit, a link, a metadata word or a month), so one cheap match
# spares the titles and abstracts, nearly all lines, trying each pattern
# above in turn. Keep it in step with them.
_MAYBE_METADATA = re.compile(
    r"[▲△⬆↑·•#/\d]|https?://|www\.|huggingface\.co|hf\.co|arxiv\.org|upvote|submitted by|published"
    r"|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec",
    re.IGNORECASE)


def parse_metadata(text: str, default_year: int) -> dict[str, Any] | None:
    """Return the Sighting fields a metadata line gives ({} for none), or None for other lines."""
    link = _LINK_LINE.match(text)
    if link:
        return {"arxiv_id": link["id"]}
    upvotes = _UPVOTES.match(text)
    if upvotes:
        return {"upvotes": int(upvotes["n"].replace(",", ""))}
    if _IGNORED_META.match(text):
        return {}
    published = _PUBLISHED.match(text)
    if published:
        day = parse_date_line(published["date"], default_year)
        return {"published": day} if day else None
    return None


def split_inline_link(text: str) -> tuple[str, str | None]:
    """Return ``text`` without a paper link inside it, and the link's arXiv id."""
    # The regex costs a scan of every position; most lines hold no link at
    # all. Most hold no slash either, which is quicker to look for than
    # lowering the line, and which no lowering creates.
    if "/" not in text or "/papers/" not in text.lower():
        return text, None
    match = _INLINE_LINK.search(text)
    if not match:
        return text, None
    rest = (text[: match.start()] + text[match.end():]).strip()
    if rest.startswith("[") and rest.endswith("]"):  # a Markdown link's text
        rest = rest[1:-1].strip()
    return rest, match["id"]


def _classify(source: str, lines: list[Line], default_year: int) -> list[dict[str, Any] | dt.date | None]:
    """Return, per line, its metadata dict, its day (a date heading) or None (text)."""
    kinds: list[dict[str, Any] | dt.date | None] = []
    for line in lines:
        if not _MAYBE_METADATA.match(line.text):
            kinds.append(None)  # a title or an abstract
            continue
        try:
            meta = parse_metadata(line.text, default_year)
            kinds.append(meta if meta is not None else parse_date_line(line.text, default_year))
        except ValueError as exc:
            raise ContentError(source, line.number, f"invalid date {line.text!r}: {exc}") from None
    # A date with its year beside other metadata is the entry's publication
    # day ("Oct 7, 2024" under "▲ 12"); any other date line heads the page.
    for index, kind in enumerate(kinds):
        if isinstance(kind, dt.date) and _HAS_YEAR.search(lines[index].text):
            neighbours = kinds[max(index - 1, 0): index] + kinds[index + 1: index + 2]
            if any(isinstance(n, dict) for n in neighbours):
                kinds[index] = {"published": kind}
    return kinds


def _merge_fields(into: dict[str, Any], fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        into.setdefault(name, value)  # the first value an entry shows wins


def read_trending_text(source: str, text: str, default_year: int,
                       warnings: list[str]) -> list[Sighting]:
    """Return the sightings on one scraped page, in page order."""
    sightings: list[Sighting] = []
    date: dt.date | None = None
    pending: Line | None = None  # a title waiting for its abstract
    pending_fields: dict[str, Any] = {}  # metadata of the pending title's entry
    waiting: dict[str, Any] = {}  # metadata seen before its entry's title
    lines = list(content_lines(text))
    kinds = _classify(source, lines, default_year)
    text_at = [index for index, kind in enumerate(kinds) if kind is None]
    # Metadata between two entries belongs to the one it sits beside: a page
    # whose metadata comes before its first title puts it before every title.
    first_meta = next((i for i, k in enumerate(kinds) if isinstance(k, dict)), len(kinds))
    meta_leads = first_meta < (text_at[0] if text_at else len(kinds))
    following_text = {a: lines[b].text for a, b in zip(text_at, text_at[1:])}

    def emit(title: Line, abstract: str) -> None:
        sightings.append(Sighting(source=source, line=title.number, date=date,
                                  rank=len(sightings) + 1, raw_title=title.text,
                                  raw_abstract=abstract, **pending_fields))

    def hold(line: Line) -> None:
        nonlocal pending, pending_fields, waiting
        title, link_id = split_inline_link(line.text)
        pending, pending_fields, waiting = Line(line.number, title), waiting, {}
        if link_id:
            _merge_fields(pending_fields, {"arxiv_id": link_id})

    for index, line in enumerate(lines):
        kind = kinds[index]
        if isinstance(kind, dict):
            if pending is not None:
                _merge_fields(pending_fields, kind)
            elif sightings and not meta_leads:
                fields = {k: v for k, v in kind.items() if getattr(sightings[-1], k) in (None, ())}
                sightings[-1] = replace(sightings[-1], **fields)
            else:
                _merge_fields(waiting, kind)
            continue
        if kind is not None:  # a date heading
            if pending is not None:
                warnings.append(f"{source}:{pending.number}: title has no abstract")
                emit(pending, "")
                pending = None
            date = kind
            continue
        if pending is None:
            if looks_like_abstract(line.text):
                warnings.append(f"{source}:{line.number}: abstract without a title, skipped")
            else:
                hold(line)
            continue
        # A pending title takes this line as its abstract, unless this line is
        # itself a title: short, and followed by a line that is clearly an abstract.
        following = following_text.get(index, "")
        if (not looks_like_abstract(line.text) and len(line.text) < 200
                and len(following) >= _ABSTRACT_MIN_CHARS):
            warnings.append(f"{source}:{pending.number}: title has no abstract")
            emit(pending, "")
            hold(line)
        else:
            abstract, link_id = split_inline_link(line.text)
            if link_id:
                _merge_fields(pending_fields, {"arxiv_id": link_id})
            emit(pending, abstract)
            pending = None
    if pending is not None:
        warnings.append(f"{source}:{pending.number}: title has no abstract")
        emit(pending, "")
    return sightings
