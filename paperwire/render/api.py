"""The JSON API: ``api/papers.json``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterator

from ..records import Paper


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def paper_json(paper: Paper) -> dict[str, Any]:
    """Return the public JSON fields of one paper (documented in the README)."""
    return {
        "slug": paper.slug,
        "title": paper.title,
        "abstract": paper.abstract,
        "url": paper.url,
        "topics": list(paper.topics),
        "first_seen": _iso(paper.first_seen),
        "last_seen": _iso(paper.last_seen),
        "sightings": [{"source": s.source, "date": _iso(s.date), "rank": s.rank} for s in paper.sightings],
        "score": paper.score,
        "arxiv_id": paper.arxiv_id,
        "authors": list(paper.authors),
        "upvotes": paper.upvotes,
        "categories": list(paper.categories),
        "published": _iso(paper.published),
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Serialise JSON safely for files and for <script> blocks alike."""
    return _script_safe(_ENCODER.encode(value))


def _script_safe(text: str) -> str:
    # Escaped so no text can close a <script> element or start an HTML comment,
    # and U+2028/2029 stay legal in older JavaScript.
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_PAPERS_PER_CHUNK = 1000


def render_api(papers: tuple[Paper, ...]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Yield ``api/papers.json``: every paper, in trending order, one a line.

    The file is as big as the corpus, so it is made and written in chunks.
    """
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(papers), _PAPERS_PER_CHUNK):
            lines = map(_ENCODER.encode, map(paper_json, papers[start: start + _PAPERS_PER_CHUNK]))
            head = "[\n" if start == 0 else ",\n"
            yield _script_safe(head + ",\n".join(lines)).encode("utf-8")
        yield b"[\n\n]\n" if not papers else b"\n]\n"

    yield "api/papers.json", chunks()
