"""The JSON API: ``api/papers.json``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterator

import orjson

from ..records import Details, Paper


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
        **details_json(paper.details),
    }


def details_json(details: Details) -> dict[str, Any]:
    """Return a paper's code, links, organisation and AI summary, null or empty where unknown."""
    org = details.organization
    return {
        "github_repo": details.github_repo,
        "github_stars": details.github_stars,
        "project_page": details.project_page,
        "organization": {"name": org.name, "fullname": org.fullname} if org else None,
        "ai_summary": details.ai_summary,
        "ai_keywords": list(details.ai_keywords),
        "thumbnail": details.thumbnail,
        "num_comments": details.num_comments,
    }


def _encode(value: Any) -> bytes:
    """Return ``value`` as compact UTF-8 JSON."""
    try:
        # orjson: ten times quicker than json, which matters for a JSON-LD
        # block in every paper page and a papers.json as big as the corpus.
        return orjson.dumps(value)
    except TypeError:  # a lone surrogate (a file name that is not UTF-8): orjson refuses it
        return json.dumps(value, separators=(",", ":")).encode("ascii")  # as a \udXXX escape


def dumps(value: Any) -> str:
    """Serialise JSON safely for files and for <script> blocks alike."""
    return _script_safe(_encode(value)).decode("utf-8")


# Escaped so no text can close a <script> element or start an HTML comment,
# and U+2028/2029 stay legal in older JavaScript.
_UNSAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
           ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def _script_safe(data: bytes) -> bytes:
    for unsafe, escaped in _UNSAFE:
        data = data.replace(unsafe, escaped)
    return data


_PAPERS_PER_CHUNK = 1000


def render_api(papers: tuple[Paper, ...]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Yield ``api/papers.json``: every paper, in trending order, one a line.

    The file is as big as the corpus, so it is made and written in chunks.
    """
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(papers), _PAPERS_PER_CHUNK):
            lines = map(_encode, map(paper_json, papers[start: start + _PAPERS_PER_CHUNK]))
            yield _script_safe((b"[\n" if start == 0 else b",\n") + b",\n".join(lines))
        yield b"[\n\n]\n" if not papers else b"\n]\n"

    yield "api/papers.json", chunks()
