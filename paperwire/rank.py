"""The trending score: recent, high-ranked, often-seen papers first.

For each sighting, ``recency × position``, summed over sightings, times 10:

* recency  = 0.5 ** (days before the newest corpus date / half_life_days);
  an undated sighting counts as seen on the newest date (a page with no date
  is a snapshot of what is trending now);
* position = 1 / log2(rank + 1): 1 for the top entry, 0.5 for the third;

plus ``upvote_weight × log2(1 + upvotes)`` when a source gives upvotes.
The README works an example through. Ties break by slug.
"""

from __future__ import annotations

import datetime as dt
import math

from .config import TrendingConfig
from .records import Paper, evolve


def newest_date(papers: tuple[Paper, ...] | list[Paper]) -> dt.date | None:
    """Return the newest sighting date in the corpus, or None if none is dated."""
    return max((p.last_seen for p in papers if p.last_seen), default=None)


def trending_score(paper: Paper, newest: dt.date | None, settings: TrendingConfig) -> float:
    """Return ``paper``'s trending score relative to the corpus's newest date."""
    total = 0.0
    for sighting in paper.sightings:
        age = (newest - sighting.date).days if (newest and sighting.date) else 0
        recency = 0.5 ** (max(age, 0) / settings.half_life_days)
        position = 1 / math.log2(sighting.rank + 1)
        total += recency * position
    score = 10 * total
    if paper.upvotes:
        score += settings.upvote_weight * math.log2(1 + paper.upvotes)
    # Rounded so that float noise can never reorder equal papers.
    return round(score, 6)


def rank(papers: tuple[Paper, ...], settings: TrendingConfig) -> tuple[Paper, ...]:
    """Return papers with scores, best first; equal scores break by slug."""
    newest = newest_date(papers)
    scored = [evolve(p, score=trending_score(p, newest, settings)) for p in papers]
    return tuple(sorted(scored, key=lambda p: (-p.score, p.slug)))
