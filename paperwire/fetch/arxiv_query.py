"""Fetch the results of an arXiv API query into ``corpus/arxiv-query/<slug of the query>/<start>.xml``.

Pages of ``fetch.arxiv_page_size`` entries (never more than ``--max`` in all)
are asked for until one comes back short or ``opensearch:totalResults`` is
reached. Each page is its own file, as the API sent it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from slugify import slugify

from ..readers import decode
from ..readers.common import parse_xml, text_of
from .client import FetchFailed
from .session import Outcome, Session
from .store import Rejected, papers_in

FORMAT = "arxiv-api-atom"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def query_slug(query: str) -> str:
    """Return the folder name of ``query``'s pages; ValueError when it has no letters or digits."""
    slug = slugify(query, max_length=120, word_boundary=True)
    if not slug:
        raise ValueError(f"the query {query!r} has no letters or digits to name its folder")
    return slug


def page_url(base_url: str, query: str, start: int, size: int) -> str:
    return f"{base_url.rstrip('/')}/api/query?" + urlencode({"search_query": query, "start": start,
                                                              "max_results": size})


def page_counts(source: str, data: bytes) -> tuple[int, int | None]:
    """Return the number of entries of a page the reader accepted, and its totalResults."""
    root, _ = parse_xml(source, decode(source, data))
    total = text_of(root.find(f"{OPENSEARCH}totalResults")).strip()
    return len(root.findall(f"{ATOM}entry")), int(total) if total.isdigit() else None


def _count(value: object) -> int | None:
    """Return a count kept in the fetch state, or None if it holds none."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def fetch_query(session: Session, query: str, max_results: int) -> list[Outcome]:
    """Fetch up to ``max_results`` results of ``query``, page by page; return what became of each page."""
    client, store, fetch = session.client, session.store, session.config.fetch
    slug = query_slug(query)
    outcomes = []
    for start in range(0, max_results, fetch.arxiv_page_size):
        size = min(fetch.arxiv_page_size, max_results - start)
        url = page_url(fetch.arxiv_api_base_url, query, start, size)
        relative = f"arxiv-query/{slug}/{start}.xml"
        try:
            response = client.get(url, store.validators(url, relative))
            if response.not_modified:
                entry = store.remembered(url)
                if entry is None:
                    raise Rejected("HTTP 304 Not Modified to a request that was not conditional")
                # A saved page is never empty; one whose count is lost counts as full.
                entries, total, status = _count(entry.get("entries")) or size, _count(entry.get("total")), "unchanged"
            else:
                papers = papers_in(relative, response.content, session.config, FORMAT, response.content_type)
                entries, total = page_counts(relative, response.content)
                if entries == 0 and total is not None and start < total:
                    raise Rejected(f"no entries, though totalResults is {total} "
                                   "(arXiv's API does this at times: run again)")
                status = store.put(relative, response.content, papers)
                if status != "empty":
                    store.remember(response, relative, entries=entries, total=total)
        except FetchFailed as exc:
            outcomes.append(Outcome("failed", exc.url, relative, exc.reason))
            break
        except Rejected as exc:
            outcomes.append(Outcome("failed", url, relative, str(exc)))
            break
        outcomes.append(Outcome(status, url, relative))
        session.done(f"arXiv {start + entries}")
        if entries < size or (total is not None and start + entries >= total):
            break
    return outcomes
