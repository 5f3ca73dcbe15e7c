"""Read arXiv API responses (``export.arxiv.org/api/query``): an Atom feed.

A sighting's date is the entry's ``published`` day (when version 1 appeared,
in UTC), not ``updated``: a new version does not make a paper new, and the
same query run twice gives the same days. Rank is the entry's position.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..errors import ContentError
from ..records import Sighting
from .common import arxiv_id, iso_date, parse_xml, text_of, unwrap

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_FEED = re.compile(r"<(?:\w+:)?feed\b")


def looks_like_arxiv_atom(head: str) -> bool:
    """Return whether ``head`` starts an Atom feed from the arXiv API."""
    lowered = head.lower()
    return (_FEED.search(head) is not None and "http://www.w3.org/2005/atom" in lowered
            and "arxiv" in lowered)


def _date(source: str, line: int, element: ET.Element | None):
    value = text_of(element).strip()
    try:
        return iso_date(value)
    except ValueError:
        raise ContentError(source, line, f"invalid date {value!r}") from None


def _categories(entry: ET.Element) -> tuple[str, ...]:
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term")] if primary is not None else []
    terms += [c.get("term") for c in entry.findall(f"{ATOM}category")]
    return tuple(dict.fromkeys(t.strip() for t in terms if t and t.strip()))


def read_arxiv_atom(source: str, text: str, warnings: list[str]) -> list[Sighting]:
    """Return one sighting per entry of an arXiv API response."""
    root, lines = parse_xml(source, text)
    if root.tag.rpartition("}")[2] != "feed":  # older responses put xmlns on each entry
        raise ContentError(source, 1, f"expected an Atom <feed>, found <{root.tag}>")
    sightings: list[Sighting] = []
    for rank, entry in enumerate(root.findall(f"{ATOM}entry"), 1):
        line = lines[entry]
        raw_id = text_of(entry.find(f"{ATOM}id")).strip()
        if "/api/errors" in raw_id:  # arXiv answers a bad query with one error entry
            raise ContentError(source, line, "the arXiv API returned an error: "
                                             + unwrap(text_of(entry.find(f"{ATOM}summary"))))
        title = unwrap(text_of(entry.find(f"{ATOM}title")))
        if not title:
            warnings.append(f"{source}:{line}: entry {rank} has no title, skipped")
            continue
        published = _date(source, line, entry.find(f"{ATOM}published"))
        authors = (unwrap(text_of(a.find(f"{ATOM}name"))) for a in entry.findall(f"{ATOM}author"))
        sightings.append(Sighting(
            source=source, line=lines.get(entry.find(f"{ATOM}title"), line), rank=rank,
            date=published,
            raw_title=title,
            raw_abstract=unwrap(text_of(entry.find(f"{ATOM}summary"))),
            arxiv_id=arxiv_id(raw_id),
            authors=tuple(a for a in authors if a),
            categories=_categories(entry),
            published=published,
        ))
    return sightings
