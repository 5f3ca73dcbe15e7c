"""Read plain-text exports of the huggingface.co/papers search page.

A plain-text export (a notebook's web import, html2text or w3m without
Markdown) writes each link's text and then the link's address on a line of
its own. A paper is its upvote count (the text of the upvote button, whose
login link carries the arXiv id), its title and address, its abstract and
that address again, the author count or organisation, and a date. The
navigation around the papers is link texts with other addresses.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import ContentError
from ..records import Sighting
from .exports import card_day, count_value, is_author_count, page_day, read_header, warn_missing_abstracts
from .trending_text import looks_like_abstract

_HF = r"(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)"
_ID = r"(?P<id>\d{4}\.\d{4,5})(?:v\d+)?"
_LOGIN_LINE = re.compile(r"^[ \t]*" + _HF + r"/login\?next=%2Fpapers%2F\d{4}\.\d{4,5}[ \t]*$",
                         re.IGNORECASE | re.MULTILINE)
_PAPER_LINE = re.compile(r"^[ \t]*" + _HF + r"/papers/\d{4}\.\d{4,5}[ \t]*$", re.IGNORECASE | re.MULTILINE)
_URL_LINE = re.compile(r"^<?(?P<url>https?://\S+?)>?$", re.IGNORECASE)
_LOGIN_URL = re.compile(r"^" + _HF + r"/login\?next=(?P<next>\S+)$", re.IGNORECASE)
_NEXT_PAPER = re.compile(r"^/papers/" + _ID + r"/?$")
_PAPER_URL = re.compile(r"^" + _HF + r"/papers/" + _ID + r"/?(?:\?\S*)?(?P<fragment>#\S*)?$", re.IGNORECASE)
# Markdown a plain export should not hold, or no letter at all: such a paragraph is no title.
_MARKUP = re.compile(r"\]\(|!\[|^\[|^(?:#{1,6}|[*+>-])\s|^\W*$")
# "[-] 1", "▲ 12", "Upvote 165": the upvote button's text.
_BUTTON = re.compile(r"^(?:\[[ xX+-]?\]|[▲△⬆↑])?\s*(?:upvotes?\s*)?", re.IGNORECASE)


def looks_like_search_text(head: str) -> bool:
    """Return whether ``head`` is plain text with upvote login links and paper addresses on lines of their own."""
    # Every head is asked: a substring search first spares the sample pages the line-by-line regexes.
    return ("login?next=%2" in head and _LOGIN_LINE.search(head) is not None
            and _PAPER_LINE.search(head) is not None)


class Segment(NamedTuple):
    """A paragraph of link text and the address written after it, if one is."""

    line: int  # 1-based line where the paragraph (or the lone address) starts
    text: str  # the paragraph's lines joined, "" for an address standing alone
    url: str | None


def segments(lines: list[str], first_line: int) -> list[Segment]:
    """Return the body's paragraphs, each with the address on the line after it."""
    found: list[Segment] = []
    paragraph: list[str] = []
    start = 0
    after_blank = False  # a blank line ends a paragraph, but its address may follow it

    def flush(url: str | None, line: int) -> None:
        found.append(Segment(start if paragraph else line, " ".join(paragraph), url))
        paragraph.clear()

    for index, raw in enumerate(lines):
        number = first_line + index
        text = " ".join(raw.split())
        url = _URL_LINE.match(text)
        if url:
            flush(url["url"], number)
        elif not text:
            after_blank = bool(paragraph)
            continue
        else:
            if paragraph and after_blank:
                flush(None, number)
            if not paragraph:
                start = number
            paragraph.append(text)
        after_blank = False
    if paragraph:
        flush(None, first_line + len(lines))
    return found


@dataclass
class _Entry:
    """One paper's parts as they are found (mutable while one page is read)."""

    line: int
    arxiv_id: str
    title: str | None = None
    title_line: int = 0
    abstract: str = ""
    upvotes: int | None = None
    published: dt.date | None = None


def _clean(text: str) -> str:
    """Return a paragraph without the separators and half-made link around it."""
    # String methods, not regexes, which would retry at each character of a long run.
    text = " ".join(text.split()).strip("·• ").removeprefix("[").strip()
    cut = text.rfind("](")
    if cut >= 0 and text.endswith(")") and " " not in text[cut:]:
        text = text[:cut]
    return text.strip("·• ")


def _linked_paper(url: str | None) -> tuple[str, str | None, bool]:
    """Return what an address is ("login", "paper" or "other"), its arXiv id, and whether it has a fragment."""
    if url is None:
        return "other", None, False
    login = _LOGIN_URL.match(url)
    if login:
        target = _NEXT_PAPER.match(urllib.parse.unquote(login["next"]))
        return ("login", target["id"], False) if target else ("other", None, False)
    paper = _PAPER_URL.match(url)
    if paper:
        return "paper", paper["id"], bool(paper["fragment"])
    return "other", None, False


def gather_entries(source: str, found: list[Segment], default_year: int) -> tuple[list[_Entry], dt.date | None]:
    """Return the papers the segments show, in page order, and the first day shown above them."""
    entries: dict[str, _Entry] = {}  # arXiv id -> entry; a paper shown twice is one sighting
    current: _Entry | None = None
    first_day: dt.date | None = None
    for segment in found:
        kind, paper_id, fragment = _linked_paper(segment.url)
        shown = _clean(segment.text)
        if paper_id is not None:
            if fragment:  # "#community": the comment count
                continue
            current = entries.setdefault(paper_id, _Entry(segment.line, paper_id))
            if kind == "login":
                count = count_value(_BUTTON.sub("", " ".join(segment.text.split())))
                current.upvotes = current.upvotes if current.upvotes is not None else count
            elif shown and current.title is None and not looks_like_abstract(shown) and not _MARKUP.search(shown):
                current.title, current.title_line = shown, segment.line
            elif shown and not current.abstract and shown != current.title:
                current.abstract = shown  # the abstract links to the paper too
            continue
        if segment.url is not None:
            continue  # an organisation, a user, the navigation
        when, published = card_day(source, segment.line, shown, default_year)
        if when is not None:
            if current is None:
                first_day = first_day or when  # the page's day, above every paper
            elif published:
                current.published = current.published or when
        elif (current is not None and current.title and not current.abstract and not is_author_count(shown)
              and (looks_like_abstract(shown) or len(shown.split()) >= 8)):
            current.abstract = shown  # an abstract the export did not link
    return list(entries.values()), first_day


def read_search_text(source: str, text: str, default_year: int, warnings: list[str]) -> list[Sighting]:
    """Return one sighting per paper of an exported page, in page order."""
    lines = text.splitlines()
    header = read_header(lines)
    day, undated = page_day(source, header)
    entries, first_day = gather_entries(source, segments(lines[header.body_start:], header.body_start + 1),
                                        default_year)
    if day is None and not undated:
        day = first_day
    sightings: list[Sighting] = []
    for entry in entries:
        if entry.title is None:
            warnings.append(f"{source}:{entry.line}: upvotes of paper {entry.arxiv_id} without a title, skipped")
            continue
        sightings.append(Sighting(source=source, line=entry.title_line, date=day, rank=len(sightings) + 1,
                                  raw_title=entry.title, raw_abstract=entry.abstract, arxiv_id=entry.arxiv_id,
                                  upvotes=entry.upvotes, published=entry.published))
    if not sightings:
        raise ContentError(source, header.body_start + 1, "a plain-text export of a papers page, but no paper "
                                                          "in it (no title before a paper's address)")
    warn_missing_abstracts(source, sightings, warnings)
    return sightings
