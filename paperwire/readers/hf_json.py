"""Read the Hugging Face daily-papers API (``/api/daily_papers``): a JSON array.

Each item holds the paper (arXiv id, title, summary, upvotes, authors) and,
at top level, the day it was featured, which is the sighting's date. A
sighting's line is the line its item starts on.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ContentError
from ..records import Sighting
from .common import arxiv_id, iso_date, iter_json_array, unwrap

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
        upvotes = paper.get("upvotes")
        sightings.append(Sighting(
            source=source, line=line, rank=rank,
            date=_date(source, line, item.get("publishedAt"), "featured"),
            raw_title=title,
            raw_abstract=unwrap(paper.get("summary") or item.get("summary") or ""),
            arxiv_id=arxiv_id(paper.get("id") if isinstance(paper.get("id"), str) else None),
            authors=_authors(paper.get("authors")),
            upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
            published=_date(source, line, paper.get("publishedAt"), "published"),
        ))
    return sightings
