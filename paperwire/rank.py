"""The trending score: recent, high-ranked, often-seen papers first.

For each sighting, ``recency × position``, summed over sightings, times 10:

* recency  = 0.5 ** (days before the newest corpus date / half_life_days);
  an undated sighting counts as seen on the newest date (a page with no date
  is a snapshot of what is trending now);
* position = 1 / log2(rank + 1): 1 for the top entry, 0.5 for the third;

plus ``upvote_weight × log2(1 + upvotes)`` when a source gives upvotes.
The README works an example through. Ties break by slug.

A week's or a month's list is ranked by the same score over the sightings
inside that window, counted from the window's last day (see windows.py).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Iterable, NamedTuple

from .config import TrendingConfig
from .records import Paper, Sighting, evolve


class SightingTerm(NamedTuple):
    """One sighting's part of a score: ``points = 10 × recency × position``."""

    date: dt.date | None
    rank: int
    age_days: int
    recency: float
    position: float
    points: float


class ScoreBreakdown(NamedTuple):
    """The parts a score is the sum of, as the README's "Trending score" names them."""

    terms: tuple[SightingTerm, ...]
    upvotes: int | None
    upvote_points: float
    total: float


def newest_date(papers: tuple[Paper, ...] | list[Paper]) -> dt.date | None:
    """Return the newest sighting date in the corpus, or None if none is dated."""
    # From the sightings, not Paper.dates: ranking copies every paper, which drops what it cached.
    return max((s.date for p in papers for s in p.sightings if s.date is not None), default=None)


def _age(sighting: Sighting, newest: dt.date | None) -> int:
    return max((newest - sighting.date).days, 0) if (newest and sighting.date) else 0


def score_breakdown(sightings: Iterable[Sighting], upvotes: int | None, newest: dt.date | None,
                    settings: TrendingConfig) -> ScoreBreakdown:
    """Return the score of ``sightings`` and ``upvotes`` counted from ``newest``, part by part."""
    terms = []
    for sighting in sightings:
        age = _age(sighting, newest)
        recency = 0.5 ** (age / settings.half_life_days)
        position = 1 / math.log2(sighting.rank + 1)
        terms.append(SightingTerm(sighting.date, sighting.rank, age, recency, position, 10 * recency * position))
    upvote_points = settings.upvote_weight * math.log2(1 + upvotes) if upvotes else 0.0
    # Rounded so that float noise can never reorder equal papers.
    total = round(10 * sum(t.recency * t.position for t in terms) + upvote_points, 6)
    return ScoreBreakdown(tuple(terms), upvotes, upvote_points, total)


def trending_score(paper: Paper, newest: dt.date | None, settings: TrendingConfig) -> float:
    """Return ``paper``'s trending score relative to the corpus's newest date.

    ``score_breakdown(...).total``, without the parts: ranking scores every
    paper, and making the parts costs more than twice the sum (tested equal).
    """
    return window_score(paper.sightings, paper.upvotes, newest, settings)


def window_score(sightings: Iterable[Sighting], upvotes: int | None, newest: dt.date | None,
                 settings: TrendingConfig) -> float:
    """Return the score of ``sightings`` and ``upvotes`` counted from ``newest``."""
    total = 0.0
    for sighting in sightings:
        recency = 0.5 ** (_age(sighting, newest) / settings.half_life_days)
        position = 1 / math.log2(sighting.rank + 1)
        total += recency * position  # as the old formula, bit for bit: not recency / log2
    upvote_points = settings.upvote_weight * math.log2(1 + upvotes) if upvotes else 0.0
    return round(10 * total + upvote_points, 6)


def rank(papers: tuple[Paper, ...], settings: TrendingConfig) -> tuple[Paper, ...]:
    """Return papers with scores, best first; equal scores break by slug."""
    newest = newest_date(papers)
    scored = [evolve(p, score=trending_score(p, newest, settings)) for p in papers]
    return tuple(sorted(scored, key=lambda p: (-p.score, p.slug)))
