"""Read the Hugging Face daily-papers API (``/api/daily_papers``): a JSON array.

Each item holds the paper (arXiv id, title, summary, upvotes, authors) and
the day it was featured, the sighting's date. Two shapes occur:

- today's (2025 on): the featured day is ``paper.submittedOnDailyAt``; the
  top-level ``publishedAt`` is then the paper's arXiv date, not the day;
- 2024's: no ``submittedOnDailyAt``, and the top-level ``publishedAt`` is
  the featured day.

Code, links, organisation and AI summary (``githubRepo``, ``githubStars``,
``projectPage``, ``organization``, ``ai_summary``, ``ai_keywords``,
``thumbnail``, ``numComments``) may sit inside ``paper`` or at the top level
of an item; inside ``paper`` wins. A sighting's line is the line its item
starts on.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ContentError
from ..records import Details, Organization, Sighting
from .common import arxiv_id, iso_date, iter_json_array, unwrap, web_url

_PAPER_KEY = re.compile(r'"paper"\s*:')


def looks_like_hf_json(head: str) -> bool:
    """Return whether ``head`` starts a JSON array of daily-papers items."""
    return head.lstrip().startswith("[") and _PAPER_KEY.search(head) is not None


def _date(source: str, line: int, value: Any, what: str):
    try:
        return iso_date(value)
    except ValueError:
        raise ContentError(source, line, f"invalid {what} date {value!r}") from None


def _authors(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = (a.get("name") for a in value if isinstance(a, dict) and not a.get("hidden"))
    return tuple(unwrap(n) for n in names if isinstance(n, str) and n.strip())


def _count(value: Any) -> int | None:
    """Return a non-negative whole number, or None for anything else (booleans included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _organization(value: Any) -> Organization | None:
    if not isinstance(value, dict):
        return None
    name = unwrap(value.get("name"))
    if not name:
        return None
    return Organization(name=name, fullname=unwrap(value.get("fullname")) or name)


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(k for k in map(unwrap, value) if k))


def _details(source: str, line: int, paper: dict, item: dict, warnings: list[str]) -> Details:
    """Return the code, links, organisation and AI summary of one item."""
    def get(name: str) -> Any:
        value = paper.get(name)
        return value if value not in (None, "", [], {}) else item.get(name)

    def url(name: str) -> str | None:
        value = get(name)
        kept = web_url(value)
        if kept is None and isinstance(value, str) and value.strip():
            warnings.append(f"{source}:{line}: {name} {value[:60]!r} is not an http(s) URL, dropped")
        return kept

    return Details(
        github_repo=url("githubRepo"), github_stars=_count(get("githubStars")),
        project_page=url("projectPage"), organization=_organization(get("organization")),
        ai_summary=unwrap(get("ai_summary")) or None, ai_keywords=_keywords(get("ai_keywords")),
        thumbnail=url("thumbnail"), num_comments=_count(get("numComments")),
    )


def read_hf_json(source: str, text: str, warnings: list[str]) -> list[Sighting]:
    """Return one sighting per daily-papers item, in array order."""
    sightings: list[Sighting] = []
    for rank, (line, item) in enumerate(iter_json_array(source, text), 1):
        paper = item.get("paper") if isinstance(item, dict) else None
        if not isinstance(paper, dict):
            raise ContentError(source, line, f"item {rank} is not a daily-papers entry "
                                             "(no \"paper\" object)")
        title = unwrap(paper.get("title") or item.get("title") or "")
        if not title:
            warnings.append(f"{source}:{line}: item {rank} has no title, skipped")
            continue
        featured = paper.get("submittedOnDailyAt") or item.get("publishedAt")
        sightings.append(Sighting(
            source=source, line=line, rank=rank,
            date=_date(source, line, featured, "featured"),
            raw_title=title,
            raw_abstract=unwrap(paper.get("summary") or item.get("summary") or ""),
            arxiv_id=arxiv_id(paper.get("id") if isinstance(paper.get("id"), str) else None),
            authors=_authors(paper.get("authors")),
            upvotes=_count(paper.get("upvotes")),
            published=_date(source, line, paper.get("publishedAt"), "published"),
            details=_details(source, line, paper, item, warnings),
        ))
    return sightings
