"""Read arXiv's daily listing feeds: RSS 1.0 (``rdf:RDF``) and RSS 2.0 (``rss``).

Both list one category's announcements; the feed's own date (channel
``pubDate``, ``dc:date`` or ``lastBuildDate``, as the feed's time zone has
it) is the day of every sighting unless an item carries its own. Titles lose
the older form's ``(arXiv:2101.00001v1 [cs.LG] UPDATED)`` note, descriptions
their HTML and the newer form's ``arXiv:… Announce Type: new Abstract:`` lead.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from ..errors import ContentError
from ..records import Sighting
from .common import arxiv_id, local_date, parse_xml, strip_html, text_of, unwrap

RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"

_ROOT = re.compile(r"<(?:rdf:RDF|rss)\b")
# "Title. (arXiv:2101.00001v2 [cs.LG] UPDATED)": the id, primary category, status.
_TITLE_NOTE = re.compile(r"\.?\s*\(arXiv:(?P<id>[^\s()\[\]]+)\s*(?:\[(?P<category>[^\]]+)\])?[A-Z ]*\)\s*$")
_ANNOUNCE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r",(?![^()]*\))|\s+and\s+")


def looks_like_arxiv_listing(head: str) -> bool:
    """Return whether ``head`` starts an arXiv RSS 1.0 or RSS 2.0 listing."""
    return _ROOT.search(head) is not None and "arxiv" in head.lower()


def _child(element: ET.Element, name: str) -> ET.Element | None:
    """Return the first child called ``name`` plain or in the RSS 1.0 namespace."""
    found = element.find(name)
    return found if found is not None else element.find(RSS1 + name)


def _date(source: str, lines: dict[ET.Element, int], *elements: ET.Element | None) -> dt.date | None:
    for element in elements:
        value = text_of(element).strip()
        if value:
            try:
                return local_date(value)
            except (ValueError, TypeError):
                raise ContentError(source, lines.get(element), f"invalid date {value!r}") from None
    return None


def _authors(creator: str) -> tuple[str, ...]:
    names = (unwrap(n) for n in _AUTHOR_SPLIT.split(strip_html(creator)))
    return tuple(n for n in names if n)


def read_arxiv_listing(source: str, text: str, warnings: list[str]) -> list[Sighting]:
    """Return one sighting per item of an arXiv listing feed, in feed order."""
    root, lines = parse_xml(source, text)
    if root.tag == f"{RDF}RDF":
        channel, items = root.find(f"{RSS1}channel"), root.findall(f"{RSS1}item")
    elif root.tag == "rss":
        channel = root.find("channel")
        items = channel.findall("item") if channel is not None else []
    else:
        raise ContentError(source, 1, f"expected <rdf:RDF> or <rss>, found <{root.tag}>")
    feed_date = None
    if channel is not None:
        feed_date = _date(source, lines, channel.find("pubDate"), channel.find(f"{DC}date"),
                          channel.find("lastBuildDate"))
    sightings: list[Sighting] = []
    for rank, item in enumerate(items, 1):
        line = lines[item]
        title = unwrap(strip_html(text_of(_child(item, "title"))))
        note = _TITLE_NOTE.search(title)
        if note:
            title = title[: note.start()].rstrip()
        if not title:
            warnings.append(f"{source}:{line}: item {rank} has no title, skipped")
            continue
        categories = [c.strip() for c in (text_of(c) for c in item.findall("category")) if c.strip()]
        if note and note["category"]:
            categories.insert(0, note["category"].strip())
        link = text_of(_child(item, "link")) or item.get(f"{RDF}about", "")
        sightings.append(Sighting(
            source=source, line=lines.get(_child(item, "title"), line), rank=rank,
            date=_date(source, lines, item.find("pubDate"), item.find(f"{DC}date")) or feed_date,
            raw_title=title,
            raw_abstract=_ANNOUNCE.sub("", strip_html(text_of(_child(item, "description")))),
            arxiv_id=arxiv_id(link) or arxiv_id(text_of(item.find("guid"))) or arxiv_id(note and note["id"]),
            authors=_authors(" , ".join(text_of(c) for c in item.findall(f"{DC}creator"))),
            categories=tuple(dict.fromkeys(categories)),
        ))
    return sightings
