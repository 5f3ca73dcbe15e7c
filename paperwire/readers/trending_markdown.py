"""Read Markdown exports of the huggingface.co/papers pages: trending, daily and search.

r.jina.ai, markdownify, html2text, Firecrawl, MarkItDown, Obsidian's web
clipper and Crawl4AI turn these pages into Markdown. Each paper is a card:
a thumbnail, "Submitted by", the upvotes, the title (a heading, or a link
to ``/papers/<arXiv id>``), maybe a summary or abstract, the author count,
the publication day, GitHub stars. The page around the cards (navigation,
filters, footer) and the tool's header are never papers.

Most parts of a card link to its paper, so they are gathered by arXiv id
wherever they stand; a part without one belongs to the card being read.
Pages show each card twice (a desktop and a mobile copy); copies are one
sighting, and the first copy's values win.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..clean import title_key
from ..errors import ContentError
from ..records import NO_DETAILS, Details, Sighting
from .common import arxiv_id, web_url
from .exports import (card_day, count_value, github_stars, is_author_count, page_day, read_header,
                      warn_missing_abstracts)
from .trending_text import looks_like_abstract

_HF = r"(?:https?://(?:www\.)?(?:huggingface\.co|hf\.co))?"
_ID = r"(?P<id>\d{4}\.\d{4,5})(?:v\d+)?"
_PAPER_URL = re.compile(r"^" + _HF + r"/papers/" + _ID + r"/?(?:\?\S*)?(?P<fragment>#\S*)?$", re.IGNORECASE)
_LOGIN_URL = re.compile(r"^" + _HF + r"/login\?next=(?P<next>\S+)$", re.IGNORECASE)
_NEXT_PAPER = re.compile(r"^/papers/" + _ID + r"/?$")
_ARXIV_URL = re.compile(r"^(?:https?://)?(?:www\.)?arxiv\.org/(?:abs|pdf|html)/" + _ID, re.IGNORECASE)
_GITHUB_URL = re.compile(r"^https?://(?:www\.)?github\.com/[\w.-]+/[\w.-]+", re.IGNORECASE)

# -- recognising the format ---------------------------------------------------

_MD_PAPER_LINK = re.compile(r"\]\(\s*" + _HF + r"/papers/\d{4}\.\d{4,5}", re.IGNORECASE)
_MD_TITLE_HEADING = re.compile(r"^#{3,6}[ \t]+\S", re.MULTILINE)
_HF_PAGE = re.compile(r"huggingface\.co/papers|hf\.co/papers|get trending papers|daily papers|trending papers",
                      re.IGNORECASE)
_JSON_START = re.compile(r"\s*(?:\{|\[\s*[{\[\"\d-])")


def looks_like_trending_markdown(head: str) -> bool:
    """Return whether ``head`` starts a Markdown export of a huggingface.co/papers page."""
    if _JSON_START.match(head):  # JSON quoting a paper link belongs to the JSON readers or to none
        return False
    if _MD_PAPER_LINK.search(head):
        return True
    # An export made without links still has the cards' headings ("###" is the quick test).
    return "###" in head and _HF_PAGE.search(head) is not None and len(_MD_TITLE_HEADING.findall(head)) >= 2


# -- Markdown syntax ----------------------------------------------------------
# Bounded, possessive repeats that stop at brackets: a page is scanned about once
# whatever odd brackets it holds.

_IMAGE = re.compile(r"!\[[^\[\]\n]{0,1000}+\](?:\([^)\n]{0,2000}+\))?")
# Placeholders some tools write for an image: "[图片：无替代文本]", "[Image 3]".
_IMAGE_PLACEHOLDER = re.compile(
    r"\[(?:image|imagen|imagem|immagine|bild|afbeelding|obraz|изображение|resim|画像|图片|圖片|图像|이미지)"
    r"(?![a-z])[^\[\]\n]{0,200}+\](?!\()",
    re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:a|span|div)(?:\s[^<>\n]{0,500}+)?/?>|<br\s*/?>", re.IGNORECASE)
# A link's text holds no other brackets than a checkbox ("[[ ] Upvote 34](…)"): images
# are gone by then, and an attempt at each "[" stops at the next bracket.
_LINK = re.compile(
    r"(?<!\\)\[(?P<text>(?:[^\[\]\\]|\\[\s\S]|\[[ xX+-]?\]){0,6000}+)\]"
    r"\((?P<url>[^()\s]{0,2000}+)(?:\s+\"[^\"\n]{0,500}+\")?\)")
_ATX = re.compile(r"^(?P<level>#{1,6})[ \t]+(?P<text>.*)$")
_SETEXT_UNDERLINE = re.compile(r"^[ \t]*(?:={3,}|-{3,})[ \t]*$")
_RULE = re.compile(r"^(?:[-*_=][ \t]*){3,}$")
_LIST_MARKER = re.compile(r"^(?:>[ \t]*)*(?:(?:[*+-]|\d{1,3}[.)])(?:[ \t]+|$))?")
_FENCE = re.compile(r"^(?:```|~~~)")
_SEPARATOR = re.compile(r"[·•]")
_HARD_BREAK = re.compile(r"(?<!\\)\\{1,2}(?=\s|$)")  # a backslash ending a line inside a link's text
_STRONG = re.compile(r"\*\*|__")
_WRAPPED_EMPHASIS = re.compile(r"^([*_])(?P<text>\S(?:.*\S)?)\1$")
_ESCAPE = re.compile(r"\\([\\`*_\[\]()#+\-.!|~<>])")
_HEADING_MARK = re.compile(r"^#{1,6}\s+")
_BUTTON_GLYPH = re.compile(r"^(?:\[[ xX+-]?\]|[▲△⬆↑])\s*")  # "[ ] Upvote 34", "▲ 12"
_UPVOTE_WORD = re.compile(r"^upvotes?\b\s*|\s*\bupvotes?$", re.IGNORECASE)
_SUBMITTED = re.compile(r"^submitted by\b(?P<who>.*)$", re.IGNORECASE)
_ONE_NAME = re.compile(r"^\S{1,60}$")
_ADDRESS = re.compile(r"^(?:<?[a-z][\w+.-]*://|www\.)\S*$", re.IGNORECASE)

# Lines of the page around the cards, whole lines compared case-insensitively.
_NOISE = re.compile(
    r"^(?:new|subscribe|get trending papers in your email inbox(?: once a day)?!?|join the community"
    r"|(?:daily|weekly|monthly|trending) papers|papers|daily|weekly|monthly|trending|previous|next"
    r"|system theme|company|website|tos|terms of service|privacy|about|jobs|blog|learn|github"
    r"|models|datasets|spaces|posts|docs|enterprise|pricing|log ?in|sign ?up|hugging ?face|community"
    r"|discussion|\d+ comments?|comments?|view arxiv page|arxiv page|collections?|search"
    r"|by\b.*\bresearch community)$",
    re.IGNORECASE)

# A text paragraph shorter than this, without a full stop, is a label (an
# organisation, a user name, a button), not a summary or an abstract.
_ABSTRACT_MIN_WORDS = 5
_SENTENCE_END = re.compile(r"[.!?]$")


class Part(NamedTuple):
    """One thing a line of a card shows, and the paper it links to when it does."""

    line: int
    kind: str  # heading, link, paper, authors, label, count, upvotes, github, day, submitter, text, noise
    value: Any
    arxiv_id: str | None = None


def _clean(text: str) -> str:
    """Return Markdown text as plain text: no links, escapes, emphasis, hard breaks or heading marks."""
    text = _STRONG.sub("", _HARD_BREAK.sub(" ", _inline(text)))
    text = " ".join(text.split())
    wrapped = _WRAPPED_EMPHASIS.match(text)
    if wrapped:
        text = wrapped["text"]
    return _ESCAPE.sub(r"\1", _HEADING_MARK.sub("", text)).strip()


def _title(text: str) -> str | None:
    """Return a title as plain text, or None for text no title is (an address)."""
    title = _clean(text)
    # A file cut inside a link leaves its brackets or its address behind.
    cut = title.find("](")
    if cut >= 0:
        title = title[:cut]
    title = title.lstrip("[ ")
    # Only unmatched closing brackets go: "[Sparse]" in a title stays.
    unmatched, end = title.count("]") - title.count("["), len(title)
    while unmatched > 0 and end and title[end - 1] in "] ":
        unmatched -= title[end - 1] == "]"
        end -= 1
    title = title[:end].strip()
    return None if not title or _ADDRESS.match(title) else title


def _is_id_chip(text: str, paper_id: str) -> bool:
    """Return whether a link's text is only its paper's id ("2410.05258", "arXiv:2410.05258")."""
    return len(text) <= 24 and arxiv_id(text) == paper_id


def _inline(text: str) -> str:
    """Return ``text`` with each link replaced by its text."""
    return _LINK.sub(lambda m: m["text"], text)


def _keep_lines(match: re.Match) -> str:
    return "\n" * match.group().count("\n")


def _one_line_link(match: re.Match) -> str:
    """Return a link whose text wraps over lines on one line, followed by the line breaks it had."""
    whole = match.group()
    if "\n" not in whole:
        return whole
    # The breaks go after the link, so every line after it keeps its number.
    return f"[{' '.join(_HARD_BREAK.sub(' ', match['text']).split())}]({match['url']})" + "\n" * whole.count("\n")


def _prepared_lines(body: str) -> list[str]:
    """Return the body's lines without images and HTML anchors, each link on one line."""
    body = _IMAGE.sub(_keep_lines, body)
    body = _IMAGE_PLACEHOLDER.sub("", body)
    body = _HTML_TAG.sub(_keep_lines, body)
    return _LINK.sub(_one_line_link, body).split("\n")


# -- one line into parts ------------------------------------------------------

def _link_parts(line: int, text: str, url: str) -> list[Part]:
    """Return what one link shows: a title, the paper, its upvotes or its code."""
    paper = _PAPER_URL.match(url)
    if paper:
        text = _clean(text)
        if is_author_count(text):
            return [Part(line, "authors", None, paper["id"])]
        # Thumbnails, comment counts ("#community") and id chips only say which paper.
        title = _title(text)
        if (paper["fragment"] or title is None or count_value(title) is not None
                or _is_id_chip(title, paper["id"]) or _NOISE.match(title)):
            return [Part(line, "paper", None, paper["id"])]
        return [Part(line, "link", title, paper["id"])]
    login = _LOGIN_URL.match(url)
    if login:
        target = _NEXT_PAPER.match(urllib.parse.unquote(login["next"]))
        if not target:  # "Subscribe" and "Log In" lead to the login page too
            return []
        shown = _UPVOTE_WORD.sub("", _BUTTON_GLYPH.sub("", _clean(text)))
        count = count_value(shown)
        if count is None:
            return [Part(line, "label", None, target["id"])]
        return [Part(line, "upvotes", count, target["id"])]
    arxiv = _ARXIV_URL.match(url)
    if arxiv:
        return [Part(line, "paper", None, arxiv["id"])]
    if _GITHUB_URL.match(url) and _clean(text).lower().startswith("github"):
        return [Part(line, "github", (web_url(url), github_stars(_clean(text))))]
    return []  # navigation, users, organisations


def _piece_part(source: str, line: int, piece: str, default_year: int) -> Part | None:
    """Return the part a piece of plain text between separators shows, or None for other text."""
    piece = _clean(piece)
    if not piece:
        return Part(line, "noise", None)
    submitted = _SUBMITTED.match(piece)
    if submitted:
        return Part(line, "submitter" if not submitted["who"].strip() else "noise", None)
    if is_author_count(piece):
        return Part(line, "authors", None)
    shown = _BUTTON_GLYPH.sub("", piece)
    bare = _UPVOTE_WORD.sub("", shown)
    if not bare:
        return Part(line, "label", None)  # "Upvote", its count on the next line
    count = count_value(bare)
    if count is not None:
        # A bare number is the upvotes only after an "Upvote" label: else it may count comments.
        return Part(line, "upvotes" if bare != piece else "count", count)
    if piece.lower().startswith("github"):
        stars = github_stars(piece)
        if stars is not None:
            return Part(line, "github", (None, stars))
    day, published = card_day(source, line, piece, default_year)
    if day is not None:
        return Part(line, "day", (day, published))
    if _NOISE.match(piece):
        return Part(line, "noise", None)
    return None


def _heading_parts(source: str, line: int, level: int, text: str, default_year: int) -> list[Part]:
    """Return the title a heading gives, a page day, or nothing for the page's own headings."""
    for link in _LINK.finditer(text):
        paper = _PAPER_URL.match(link["url"])
        title = _title(link["text"])
        if paper and not paper["fragment"] and title:
            return [Part(line, "heading", title, paper["id"])]
    title = _title(text)
    if title is None or _NOISE.match(title):
        return []
    day, _ = card_day(source, line, title, default_year)
    if day is not None:
        return [Part(line, "day", (day, False))]
    if level <= 2:  # cards' titles are h3; h1 and h2 name the page and its sections
        return []
    return [Part(line, "heading", title)]


def _line_parts(source: str, line: int, text: str, default_year: int) -> list[Part]:
    """Return the parts one line that is no heading shows."""
    links = list(_LINK.finditer(text))
    rest = _LINK.sub(" ", text) if links else text
    shown = [_piece_part(source, line, piece, default_year) for piece in _SEPARATOR.split(rest) if piece.strip()]
    if not any(shown):
        cleaned = _clean(text)
        if not links:
            return [Part(line, "text", cleaned)] if cleaned else []
        # A paragraph with a link or two in it, not a row of buttons and labels.
        if len(cleaned.split()) >= 8 and not any(_PAPER_URL.match(m["url"]) or _LOGIN_URL.match(m["url"])
                                                 for m in links):
            return [Part(line, "text", cleaned)]
    parts = [part for m in links for part in _link_parts(line, m["text"], m["url"])]
    return parts + [p for p in shown if p is not None and p.kind != "noise"]


def _without_closing_hashes(text: str) -> str:
    """Return a heading's text without the "#"s that may close it ("## Title ##")."""
    # String methods, not a regex: a regex would retry at each space of a long run of them.
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and (not bare or bare[-1] in " \t") else text


def page_parts(source: str, lines: list[str], first_line: int, default_year: int) -> list[Part]:
    """Return the parts of every line of a page's body, in page order."""
    parts: list[Part] = []
    in_fence = False
    for index, raw in enumerate(lines):
        number = first_line + index
        text = raw.strip()
        if _FENCE.match(text):
            in_fence = not in_fence
            continue
        if in_fence or not text or _RULE.match(text) or _SETEXT_UNDERLINE.match(text):
            continue
        heading = _ATX.match(text)
        if heading:
            parts += _heading_parts(source, number, len(heading["level"]), _without_closing_hashes(heading["text"]),
                                    default_year)
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _SETEXT_UNDERLINE.match(following):
            parts += _heading_parts(source, number, 1 if "=" in following else 2, text, default_year)
            continue
        # A lone "-" is the count of a paper no one upvoted yet, not an empty list item.
        item = text if text == "-" else _LIST_MARKER.sub("", text, count=1)
        parts += _line_parts(source, number, item, default_year)
    return _with_counts_resolved(parts)


def _with_counts_resolved(parts: list[Part]) -> list[Part]:
    """Return ``parts`` with each "Upvote" label and the count after it made one upvotes part."""
    resolved: list[Part] = []
    for part in parts:
        if part.kind == "count":
            previous = resolved[-1] if resolved else None
            if previous is not None and previous.kind == "label":
                resolved[-1] = Part(previous.line, "upvotes", part.value, previous.arxiv_id)
            continue  # a number without its label could count anything: comments, a rank
        resolved.append(part)
    # A label left without its count still tells which paper its card is.
    return [Part(p.line, "paper", None, p.arxiv_id) if p.kind == "label" else p
            for p in resolved if p.kind != "label" or p.arxiv_id]


# -- parts into cards ---------------------------------------------------------

@dataclass
class _Card:
    """A paper card as its parts are found (mutable while one page is read)."""

    first_line: int
    arxiv_id: str | None = None
    title: str | None = None
    title_line: int = 0
    paragraphs: list[str] = field(default_factory=list)
    last_text_line: int = -1
    upvotes: int | None = None
    published: dt.date | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    shows_card: bool = False  # upvotes, authors, a day or code: only a paper card shows them

    def fill(self, other: _Card) -> None:
        """Take each value this card lacks from ``other``, a copy of it."""
        for name in ("arxiv_id", "upvotes", "published", "github_repo", "github_stars"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))
        if not self.abstract():
            self.paragraphs = other.paragraphs
        self.shows_card = self.shows_card or other.shows_card

    def abstract(self) -> str:
        """Return the card's summary or abstract: its paragraphs that read as prose."""
        prose = (p for p in self.paragraphs
                 if len(p.split()) >= _ABSTRACT_MIN_WORDS or _SENTENCE_END.search(p) and " " in p)
        return " ".join(dict.fromkeys(prose))  # a copy's paragraph, met again, once


def _upvotes_lead(parts: list[Part]) -> bool:
    """Return whether upvotes with no paper link stand before their card's title on this page."""
    for part in parts:
        if part.kind in ("heading", "link"):
            return False
        if part.kind == "upvotes" and part.arxiv_id is None:
            return True
    return False


def gather_cards(parts: list[Part]) -> tuple[list[_Card], dt.date | None]:
    """Return the cards the parts make, copies not yet merged, and the first day shown above them."""
    cards: list[_Card] = []
    latest: dict[str, _Card] = {}  # arXiv id -> the last card (copy) linking to it
    current: _Card | None = None
    first_day: dt.date | None = None
    after_submitted = False  # after a bare "Submitted by", a one-word line is the user's name
    upvotes_lead = _upvotes_lead(parts)
    # Where titles link to their papers, a heading that links nowhere is no card's title.
    titles_linked = any(p.kind in ("heading", "link") and p.arxiv_id for p in parts)

    def new_card(part: Part) -> _Card:
        card = _Card(part.line, part.arxiv_id)
        cards.append(card)
        if part.arxiv_id:
            latest[part.arxiv_id] = card
        return card

    def linked_card(part: Part) -> _Card:
        card = latest.get(part.arxiv_id)
        if card is not None:
            return card
        into_titled = not titles_linked and part.kind not in ("heading", "link")
        if current is not None and current.arxiv_id is None and (into_titled or current.title is None):
            # The card showed its upvotes or a title that links nowhere: this link names its paper.
            current.arxiv_id = part.arxiv_id
            latest[part.arxiv_id] = current
            return current
        return new_card(part)

    def titled_card(part: Part) -> _Card:
        if part.arxiv_id is None:  # a heading that links nowhere is a title of its own
            card = current if current is not None and current.title is None else new_card(part)
        else:
            card = linked_card(part)
            if card.title is not None:
                if part.kind == "heading" or title_key(part.value) == title_key(card.title):
                    card = new_card(part)  # the card shown again: merged once the page is read
                else:
                    if _reads_as_abstract(part.value):  # the abstract, linked like the title
                        card.paragraphs.append(part.value)
                    return card
            elif part.kind == "link" and looks_like_abstract(part.value):
                card.paragraphs.append(part.value)  # an abstract before any title
                return card
        card.title, card.title_line = part.value, part.line
        return card

    for part in parts:
        kind = part.kind
        if kind == "text":
            if after_submitted:
                after_submitted = False
                if _ONE_NAME.match(part.value):
                    continue
            if current is not None and current.title is not None:
                if current.paragraphs and current.last_text_line == part.line - 1:
                    current.paragraphs[-1] += " " + part.value  # a paragraph wrapped over lines
                else:
                    current.paragraphs.append(part.value)
                current.last_text_line = part.line
            continue
        after_submitted = kind == "submitter"
        if kind in ("heading", "link"):
            current = titled_card(part)
        elif kind == "paper":
            current = linked_card(part)
        elif kind == "upvotes":
            if part.arxiv_id:
                current = linked_card(part)
            elif upvotes_lead and (current is None or current.title is not None):
                current = new_card(part)  # the next card's, shown above its title
            if current is not None:
                current.upvotes = current.upvotes if current.upvotes is not None else part.value
                current.shows_card = True
        elif kind == "authors":
            if part.arxiv_id:
                current = linked_card(part)
            if current is not None:
                current.shows_card = True
        elif kind == "github" and current is not None:
            repo, stars = part.value
            current.github_repo = current.github_repo or repo
            current.github_stars = current.github_stars if current.github_stars is not None else stars
            current.shows_card = True
        elif kind == "day":
            day, published = part.value
            if not cards:
                first_day = first_day or day  # the page's own day, above every card
            elif published and current is not None:
                current.published = current.published or day
                current.shows_card = True
    return cards, first_day


def _reads_as_abstract(text: str) -> bool:
    """Return whether a paper link's text is prose (an abstract) rather than a label."""
    return looks_like_abstract(text) or bool(_SENTENCE_END.search(text)) and len(text.split()) >= 8


def merge_copies(cards: list[_Card]) -> tuple[list[_Card], list[_Card]]:
    """Return the cards with copies merged, in page order, and the cards that have no title."""
    merged: list[_Card] = []
    untitled: list[_Card] = []
    by_id: dict[str, _Card] = {}
    by_title: dict[str, _Card] = {}
    for card in cards:
        if card.title is None:
            untitled.append(card)
            continue
        key = title_key(card.title)
        target = by_id.get(card.arxiv_id) if card.arxiv_id else None
        if target is None and key in by_title:
            candidate = by_title[key]
            # Two ids are two papers, even under one title.
            if candidate.arxiv_id is None or card.arxiv_id is None:
                target = candidate
        if target is None:
            target = card
            merged.append(card)
        else:
            target.fill(card)
        by_title.setdefault(key, target)
        if target.arxiv_id:
            by_id.setdefault(target.arxiv_id, target)
        if card.arxiv_id:
            by_id.setdefault(card.arxiv_id, target)
    return merged, untitled


# -- the reader -----------------------------------------------------------------

def read_trending_markdown(source: str, text: str, default_year: int, warnings: list[str]) -> list[Sighting]:
    """Return one sighting per paper card on an exported page, in page order."""
    lines = text.splitlines()
    header = read_header(lines)
    day, undated = page_day(source, header)
    body = "\n".join(lines[header.body_start:])
    parts = page_parts(source, _prepared_lines(body), header.body_start + 1, default_year)
    cards, first_day = gather_cards(parts)
    if day is None and not undated:
        day = first_day
    merged, untitled = merge_copies(cards)
    for card in untitled:
        what = f"link to paper {card.arxiv_id}" if card.arxiv_id else "upvotes"
        warnings.append(f"{source}:{card.first_line}: {what} without a title, skipped")
    # A heading that links nowhere and shows nothing of a card is the page's, not a paper.
    papers = [card for card in merged if card.arxiv_id or card.shows_card or card.abstract()]
    if not papers:
        raise ContentError(source, header.body_start + 1,
                           "a Markdown export of a papers page, but no paper card in it "
                           "(no ### title and no link to /papers/<arXiv id>)")
    sightings = [_sighting(source, day, rank, card) for rank, card in enumerate(papers, 1)]
    warn_missing_abstracts(source, sightings, warnings)
    return sightings


def _sighting(source: str, day: dt.date | None, rank: int, card: _Card) -> Sighting:
    details = NO_DETAILS
    if card.github_repo or card.github_stars is not None:
        details = Details(github_repo=card.github_repo, github_stars=card.github_stars)
    return Sighting(source=source, line=card.title_line, date=day, rank=rank, raw_title=card.title,
                    raw_abstract=card.abstract(), arxiv_id=card.arxiv_id, upvotes=card.upvotes,
                    published=card.published, details=details)

