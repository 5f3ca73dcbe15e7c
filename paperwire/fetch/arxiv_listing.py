"""Fetch arXiv's daily listing feed of a category into ``corpus/arxiv-listing/CATEGORY/YYYY-MM-DD.xml``.

The file is named by the feed's own date, as the listing reader dates its
papers: channel ``pubDate``, then ``dc:date`` (RSS 1.0), then ``lastBuildDate``.
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import ContentError
from ..readers import decode
from ..readers.arxiv_listing import DC, RDF, RSS1
from ..readers.common import local_date, parse_xml, text_of
from .client import FetchFailed
from .session import Outcome, Session
from .store import Rejected, papers_in

FORMAT = "arxiv-listing-rss"

# An archive with an optional subject class, or several joined by '+' (cs.LG+stat.ML):
# what arXiv's feeds take, and a safe folder name.
CATEGORY = re.compile(r"^[A-Za-z][A-Za-z-]*(\.[A-Za-z][A-Za-z-]*)?(\+[A-Za-z][A-Za-z-]*(\.[A-Za-z][A-Za-z-]*)?)*$")


def feed_url(base_url: str, category: str) -> str:
    return f"{base_url.rstrip('/')}/rss/{category}"


def feed_date(source: str, data: bytes) -> dt.date:
    """Return the day of a listing feed (as the listing reader dates its papers), or Rejected."""
    try:
        root, _ = parse_xml(source, decode(source, data))
    except ContentError as exc:
        raise Rejected(exc.message) from None
    channel = root.find(f"{RSS1}channel") if root.tag == f"{RDF}RDF" else root.find("channel")
    if channel is not None:
        for element in (channel.find("pubDate"), channel.find(f"{DC}date"), channel.find("lastBuildDate")):
            value = text_of(element).strip()
            if value:
                try:
                    return local_date(value)
                except (ValueError, TypeError):
                    raise Rejected(f"the feed's date {value!r} is not a date") from None
    raise Rejected("the feed gives no date (channel pubDate, dc:date or lastBuildDate)")


def fetch_categories(session: Session, categories: list[str]) -> list[Outcome]:
    """Fetch each category's listing; return what became of each."""
    outcomes = []
    for category in categories:
        outcomes.append(fetch_category(session, category))
        session.done(f"arXiv {category}")
    return outcomes


def fetch_category(session: Session, category: str) -> Outcome:
    """Fetch one listing feed and save it under its date, unless nothing changed or something failed."""
    client, store = session.client, session.store
    url = feed_url(session.config.fetch.arxiv_rss_base_url, category)
    relative = None
    try:
        response = client.get(url, store.validators(url))
        if response.not_modified:
            entry = store.remembered(url)
            if entry is None:
                raise Rejected("HTTP 304 Not Modified to a request that was not conditional")
            return Outcome("unchanged", url, entry["path"])
        papers = papers_in(url, response.content, session.config, FORMAT, response.content_type)
        relative = f"arxiv-listing/{category}/{feed_date(url, response.content).isoformat()}.xml"
        status = store.put(relative, response.content, papers)
    except FetchFailed as exc:
        return Outcome("failed", exc.url, relative, exc.reason)
    except Rejected as exc:
        return Outcome("failed", url, relative, str(exc))
    if status != "empty":
        store.remember(response, relative)
    return Outcome(status, url, relative)
