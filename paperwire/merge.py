"""Merge sightings of the same paper into one Paper record."""

from __future__ import annotations

import datetime as dt

from .clean import clean_text, title_key
from .records import Paper, Sighting
from .slugs import assign_slugs

_NO_DATE = dt.date.max


def paper_key(sighting: Sighting) -> str:
    """Return the identity of the paper a sighting shows."""
    # Cleaning first makes "Fr\'echet" and "Fréchet" the same paper.
    return title_key(clean_text(sighting.raw_title))


def _sighting_order(s: Sighting) -> tuple:
    return (s.date or _NO_DATE, s.source, s.rank, s.line)


def merge(sightings: tuple[Sighting, ...] | list[Sighting]) -> tuple[Paper, ...]:
    """Group sightings by paper and return the papers sorted by slug."""
    groups: dict[str, list[Sighting]] = {}
    for s in sightings:
        groups.setdefault(paper_key(s), []).append(s)
    for group in groups.values():
        group.sort(key=_sighting_order)

    claims = []
    for key, group in groups.items():
        first_date = min((s.date for s in group if s.date), default=_NO_DATE)
        claims.append((key, clean_text(group[0].raw_title), (first_date, key)))
    slugs = assign_slugs(claims)

    papers = [_paper(slugs[key], group) for key, group in groups.items()]
    return tuple(sorted(papers, key=lambda p: p.slug))


def _paper(slug: str, group: list[Sighting]) -> Paper:
    first = group[0]
    # The longest abstract seen is the most complete one (pages truncate).
    raw_abstract = max((s.raw_abstract for s in group), key=lambda a: (len(a), a))
    upvotes = [s.upvotes for s in group if s.upvotes is not None]
    authors = next((s.authors for s in group if s.authors), ())
    categories = tuple(dict.fromkeys(c for s in group for c in s.categories))
    return Paper(
        slug=slug,
        title=clean_text(first.raw_title),
        abstract=clean_text(raw_abstract),
        raw_title=first.raw_title,
        raw_abstract=raw_abstract,
        sightings=tuple(group),
        arxiv_id=next((s.arxiv_id for s in group if s.arxiv_id), None),
        authors=authors,
        upvotes=max(upvotes) if upvotes else None,
        categories=categories,
        published=min((s.published for s in group if s.published), default=None),
    )
