"""Small read-only views that templates see instead of internal records.

Named tuples, not frozen dataclasses: a build makes two views of every
paper, and a named tuple is made five times quicker. What a page shows
joined or formatted (authors, topic names, counts) is joined here once per
paper: in a template each filter is several Python calls per page.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import urllib.parse
from typing import Mapping, NamedTuple

from ..classify import OTHER
from ..config import TrendingConfig
from ..rank import score_breakdown
from ..records import Paper, Topic

OTHER_TOPIC = Topic(slug=OTHER, name="Other", description="Papers that match no other topic.")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


class TopicLink(NamedTuple):
    slug: str
    name: str
    url: str  # site-relative


class SightingView(NamedTuple):
    date: str | None
    source: str  # the corpus file, for a site's own templates; readers see ``label``
    rank: int
    label: str  # the source's name for readers: "Hugging Face daily papers"


class OrgView(NamedTuple):
    name: str
    fullname: str
    url: str | None  # site-relative page listing its papers


class DetailsView(NamedTuple):
    """What sources tell of a paper beyond its text, formatted for pages."""

    github_repo: str | None
    github_stars: str | None  # "86.1k"
    project_page: str | None
    organization: OrgView | None
    ai_summary: str | None
    ai_keywords: tuple[str, ...]
    thumbnail: str | None
    hf_url: str | None  # the paper's Hugging Face page, when its arXiv id is known
    discussion_url: str | None
    comments: str | None  # "4 comments"


class PaperView(NamedTuple):
    slug: str
    title: str
    url: str
    abstract: str
    excerpt: str
    topics: tuple[TopicLink, ...]
    dates: tuple[str, ...]
    first_seen: str | None
    sightings: tuple[SightingView, ...]
    score: float
    position: int  # 1-based place in the trending list
    arxiv_id: str | None
    abs_url: str | None
    pdf_url: str | None
    authors: tuple[str, ...]
    upvotes: int | None
    categories: tuple[str, ...]
    details: DetailsView
    arxiv_search_url: str | None  # where no arXiv id is known: an arXiv search for the title
    # Joined and formatted once, for the theme's templates:
    authors_text: str  # "Ada Lovelace, Alan Turing"
    topic_names: str  # "Retrieval · Agents"
    categories_text: str  # "cs.CL, cs.LG"
    citation_date: str | None  # first_seen as Highwire Press citations write it: "2026/06/12"
    sightings_text: str  # "1 sighting", "3 sightings"


class TermView(NamedTuple):
    """One sighting's part of a score, its numbers formatted."""

    date: str | None
    rank: int
    age_days: int
    recency: str
    position: str
    points: str
    age: str  # "1 day", "3 days"


class WhyView(NamedTuple):
    """Why a paper ranks where it does: its score, part by part (README, "Trending score")."""

    total: str
    terms: tuple[TermView, ...]  # the largest parts, largest first
    more: int  # further sightings not shown
    more_points: str
    upvotes: int | None
    upvote_weight: str
    upvote_points: str
    half_life_days: str


class HistoryPoint(NamedTuple):
    x: float
    y: float
    date: str
    rank: int


class HistoryView(NamedTuple):
    """A paper's sightings as a small chart: day across, rank down (first place on top)."""

    width: int
    height: int
    points: tuple[HistoryPoint, ...]
    line: str  # the polyline's points attribute
    summary: str  # the chart's text alternative


def excerpt(text: str, limit: int = 280) -> str:
    """Return the first sentences of ``text`` that fit in ``limit`` characters."""
    if len(text) <= limit:
        return text
    kept = ""
    # Sentences ending past the limit are never kept, so the split can stop
    # there; the margin lets the split see the start of the next sentence.
    for sentence in _SENTENCE.split(text[: limit + 10]):
        if kept and len(kept) + 1 + len(sentence) > limit:
            break
        kept = f"{kept} {sentence}".strip()
    if len(kept) > limit or not kept:
        cut = text[:limit].rsplit(" ", 1)[0]
        kept = cut.rstrip(",;:") + "…"
    return kept


def topic_link(topic: Topic) -> TopicLink:
    return TopicLink(slug=topic.slug, name=topic.name, url=f"topics/{topic.slug}/")


def topics_by_slug(topics: tuple[Topic, ...]) -> dict[str, Topic]:
    """Return every topic by slug, ``other`` included."""
    return {t.slug: t for t in (*topics, OTHER_TOPIC)}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def short_count(n: int) -> str:
    """Return a count as the trending site shows stars: 312, 8.6k, 86.1k, 1.2M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= size:
            text = f"{n / size:.1f}".removesuffix(".0")
            return text + suffix
    return str(n)


def details_view(paper: Paper, org_urls: Mapping[str, str]) -> DetailsView:
    d, arxiv = paper.details, paper.arxiv_id
    org = d.organization
    hf_url = f"https://huggingface.co/papers/{arxiv}" if arxiv else None
    comments = None
    if d.num_comments is not None:
        comments = f"{d.num_comments} comment{'' if d.num_comments == 1 else 's'}"
    return DetailsView(
        github_repo=d.github_repo,
        github_stars=short_count(d.github_stars) if d.github_stars is not None else None,
        project_page=d.project_page,
        organization=OrgView(org.name, org.fullname, org_urls.get(org.name)) if org else None,
        ai_summary=d.ai_summary, ai_keywords=d.ai_keywords, thumbnail=d.thumbnail,
        hf_url=hf_url, discussion_url=f"{hf_url}#community" if hf_url else None, comments=comments,
    )


# quote_plus of ASCII text as one str.translate: "+" for a space, %XX for
# what is not a letter, digit or one of "_.-~".
_QUOTE_PLUS_ASCII = {i: "+" if i == 32 else f"%{i:02X}" for i in range(128)
                     if not (chr(i).isalnum() or chr(i) in "_.-~")}


def arxiv_search_url(title: str) -> str:
    """Return an arXiv search for ``title``: urlencode({"query": title, "searchtype": "title"}).

    quote_plus looks every byte up in Python, a fifth of what a paper's
    view costs; a title in ASCII, nearly every one, is translated at once to
    the same text (a test compares them).
    """
    query = title.translate(_QUOTE_PLUS_ASCII) if title.isascii() else urllib.parse.quote_plus(title)
    return f"https://arxiv.org/search/?query={query}&searchtype=title"


_NO_LABELS: Mapping[str, str] = {}


def paper_view(paper: Paper, position: int, topic_links: dict[str, TopicLink],
               labels: Mapping[str, str] = _NO_LABELS, org_urls: Mapping[str, str] = _NO_LABELS) -> PaperView:
    """Return the view of ``paper``, which is ``position``-th in the trending list.

    ``labels`` names each corpus file's source for readers; ``org_urls``
    gives each organisation's page by handle.
    """
    arxiv = paper.arxiv_id
    topics = tuple(topic_links[t] for t in paper.topics if t in topic_links)
    dates = tuple(d.isoformat() for d in paper.dates)
    first_seen = dates[0] if dates else None
    sightings = len(paper.sightings)
    return PaperView(
        slug=paper.slug,
        title=paper.title,
        url=paper.url,
        abstract=paper.abstract,
        excerpt=excerpt(paper.abstract),
        topics=topics,
        dates=dates,
        first_seen=first_seen,
        sightings=tuple(SightingView(_iso(s.date), s.source, s.rank, labels.get(s.source, "trending page"))
                        for s in paper.sightings),
        score=paper.score,
        position=position,
        arxiv_id=arxiv,
        abs_url=f"https://arxiv.org/abs/{arxiv}" if arxiv else None,
        pdf_url=f"https://arxiv.org/pdf/{arxiv}" if arxiv else None,
        authors=paper.authors,
        upvotes=paper.upvotes,
        categories=paper.categories,
        details=details_view(paper, org_urls),
        arxiv_search_url=None if arxiv else arxiv_search_url(paper.title),
        authors_text=", ".join(paper.authors),
        topic_names=" · ".join(t.name for t in topics),
        categories_text=", ".join(paper.categories),
        citation_date=first_seen.replace("-", "/") if first_seen else None,
        sightings_text=f"{sightings} sighting{'' if sightings == 1 else 's'}",
    )


_SHOWN_TERMS = 5  # a paper seen on thirty days would otherwise list thirty lines


def why_view(paper: Paper, newest: dt.date | None, settings: TrendingConfig) -> WhyView:
    """Return the parts of ``paper``'s score on the lists that show it (counted from ``newest``)."""
    parts = score_breakdown(paper.sightings, paper.upvotes, newest, settings)
    terms = sorted(parts.terms, key=lambda t: (-t.points, t.date or dt.date.max, t.rank))
    shown, rest = terms[:_SHOWN_TERMS], terms[_SHOWN_TERMS:]
    return WhyView(
        total=f"{parts.total:.2f}",
        terms=tuple(TermView(_iso(t.date), t.rank, t.age_days, f"{t.recency:.2f}", f"{t.position:.2f}",
                             f"{t.points:.2f}", f"{t.age_days} day{'' if t.age_days == 1 else 's'}") for t in shown),
        more=len(rest), more_points=f"{sum(t.points for t in rest):.2f}",
        upvotes=parts.upvotes, upvote_weight=f"{settings.upvote_weight:g}",
        upvote_points=f"{parts.upvote_points:.2f}", half_life_days=f"{settings.half_life_days:g}",
    )


_CHART_W, _CHART_H, _PAD = 320, 72, 8


def history_view(paper: Paper) -> HistoryView | None:
    """Return a chart of ``paper``'s dated sightings, or None when it has fewer than two (the list says it all).

    It depends on the paper's own sightings only, never on today: a paper
    page changes only when its own inputs do.
    """
    seen = sorted((s.date, s.rank) for s in paper.sightings if s.date is not None)
    if len(seen) < 2:
        return None
    first, last = seen[0][0], seen[-1][0]
    span = max((last - first).days, 1)
    worst = max(rank for _, rank in seen)
    # Ranks on a log scale: the difference between first and third matters more than between 40th and 42nd.
    depth = math.log2(worst) if worst > 1 else 1.0
    points = tuple(HistoryPoint(
        x=round(_PAD + (day - first).days / span * (_CHART_W - 2 * _PAD), 1),
        y=round(_PAD + math.log2(rank) / depth * (_CHART_H - 2 * _PAD), 1),
        date=day.isoformat(), rank=rank) for day, rank in seen)
    summary = (f"Seen {len(seen)} times from {first.isoformat()} to "
               f"{last.isoformat()}: " + ", ".join(f"#{p.rank} on {p.date}" for p in points) + ".")
    return HistoryView(_CHART_W, _CHART_H, points, " ".join(f"{p.x},{p.y}" for p in points), summary)

