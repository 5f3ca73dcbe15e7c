"""Merge sightings of the same paper, from any sources, into one Paper record.

Identity, in two passes (linear in the number of sightings):

1. A sighting with an arXiv id belongs to that id's paper, whatever its title
   says. Two different ids are two papers even when their titles are equal
   (a v2 re-submission under a new id, or a common title such as "Survey").
2. A sighting without an id joins the id paper that has its normalised title
   in any spelling seen for that id; if several ids share the title, the
   lowest id, so the result never depends on input order. With no such id,
   it is grouped with other id-less sightings by normalised title alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Mapping

from .clean import clean_text, title_key
from .records import NO_DETAILS, Details, Paper, Sighting
from .slugs import assign_slugs

_NO_DATE = dt.date.max


def paper_key(sighting: Sighting, clean: Callable[[str], str] = clean_text) -> str:
    """Return the normalised title of the paper a sighting shows."""
    # Cleaning first makes "Fr\'echet" and "Fréchet" the same paper.
    return title_key(clean(sighting.raw_title))


def _sighting_order(s: Sighting) -> tuple:
    return (s.date or _NO_DATE, s.source, s.rank, s.line)


def group_sightings(sightings: tuple[Sighting, ...] | list[Sighting],
                    clean: Callable[[str], str] = clean_text) -> dict[str, list[Sighting]]:
    """Return the sightings grouped by paper (see the module docstring).

    A group's key is ``arxiv:`` and its id, or else its normalised title: the
    key slugs are claimed under, so a text-only corpus keeps its old slugs.
    """
    groups: dict[str, list[Sighting]] = {}
    without_id = [s for s in sightings if not s.arxiv_id]
    ids_by_title: dict[str, set[str]] = {}
    for s in sightings:
        if s.arxiv_id:
            groups.setdefault("arxiv:" + s.arxiv_id, []).append(s)
            if without_id:  # the titles of id sightings only serve to link id-less ones
                ids_by_title.setdefault(paper_key(s, clean), set()).add(s.arxiv_id)
    for s in without_id:
        key = paper_key(s, clean)
        ids = ids_by_title.get(key)
        groups.setdefault("arxiv:" + min(ids) if ids else key, []).append(s)
    for group in groups.values():
        group.sort(key=_sighting_order)
    return groups


def merge(sightings: tuple[Sighting, ...] | list[Sighting],
          cleaned: Mapping[str, str] | None = None, jobs: int = 1) -> tuple[Paper, ...]:
    """Group sightings by paper and return the papers sorted by slug.

    ``cleaned`` maps raw texts to their clean_text, when worker processes
    have already cleaned them; other texts are cleaned here, each once.
    """
    memo = dict(cleaned or {})

    def clean(raw: str) -> str:
        text = memo.get(raw)
        if text is None:
            text = memo[raw] = clean_text(raw)
        return text

    groups = group_sightings(sightings, clean)
    claims = []
    for key, group in groups.items():
        first_date = min((s.date for s in group if s.date), default=_NO_DATE)
        claims.append((key, clean(group[0].raw_title), (first_date, key)))
    slugs = assign_slugs(claims, jobs)
    papers = [_paper(slugs[key], group, clean) for key, group in groups.items()]
    return tuple(sorted(papers, key=lambda p: p.slug))


def merge_details(group: list[Sighting]) -> Details:
    """Return the most GitHub stars seen, and each other detail's first non-empty value."""
    # Compared by value: sightings read in worker processes come back with copies of NO_DETAILS.
    shown = [s.details for s in group if s.details != NO_DETAILS]
    if not shown:  # most sightings: every source but the daily papers
        return NO_DETAILS

    def first(name: str):
        return next((value for d in shown if (value := getattr(d, name))), getattr(NO_DETAILS, name))

    stars = [d.github_stars for d in shown if d.github_stars is not None]
    return Details(
        github_repo=first("github_repo"), github_stars=max(stars) if stars else None,
        project_page=first("project_page"), organization=first("organization"),
        ai_summary=first("ai_summary"), ai_keywords=first("ai_keywords"), thumbnail=first("thumbnail"),
        num_comments=next((d.num_comments for d in shown if d.num_comments is not None), None),
    )


def _paper(slug: str, group: list[Sighting], clean: Callable[[str], str]) -> Paper:
    """Combine one paper's sightings, which are in sighting order."""
    first = group[0]
    # The longest abstract seen is the most complete one (pages truncate).
    raw_abstract = max((s.raw_abstract for s in group), key=lambda a: (len(a), a))
    upvotes = [s.upvotes for s in group if s.upvotes is not None]
    # The longest author list is the most complete (the daily-papers API hides
    # some authors); among equals, the first in sighting order.
    authors = max((s.authors for s in group), key=len)
    categories = tuple(dict.fromkeys(c for s in group for c in s.categories))
    return Paper(
        slug=slug,
        title=clean(first.raw_title),
        abstract=clean(raw_abstract),
        raw_title=first.raw_title,
        raw_abstract=raw_abstract,
        sightings=tuple(group),
        arxiv_id=next((s.arxiv_id for s in group if s.arxiv_id), None),
        authors=tuple(clean(a) for a in authors),
        upvotes=max(upvotes) if upvotes else None,
        categories=categories,
        published=min((s.published for s in group if s.published), default=None),
        details=merge_details(group),
    )
