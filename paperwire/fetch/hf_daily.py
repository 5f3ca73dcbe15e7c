"""Fetch Hugging Face's daily papers: each day into ``corpus/hf-daily/YYYY-MM-DD.json``.

A day is asked for page by page (``p`` from 0, ``limit`` from the settings)
while a page comes back full. Its pages are saved as one JSON array, each
item as the API sent it, an item repeated on a later page kept once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from .client import FetchFailed, Response
from .session import Outcome, Session
from .store import Rejected, papers_in

FORMAT = "hf-daily-papers-json"


def day_url(base_url: str, day: dt.date, page: int, limit: int) -> str:
    return f"{base_url.rstrip('/')}/api/daily_papers?" + urlencode({"date": day.isoformat(), "p": page,
                                                                     "limit": limit})


def day_path(day: dt.date) -> str:
    return f"hf-daily/{day.isoformat()}.json"


def fetch_days(session: Session, days: list[dt.date]) -> list[Outcome]:
    """Fetch each of ``days``, oldest first; return what became of each."""
    outcomes = []
    for day in days:
        outcomes.append(fetch_day(session, day))
        session.done(f"hf {day.isoformat()}")
    return outcomes


def _items(response: Response) -> list[Any]:
    """Return the items of one page, or Rejected when it is not a JSON array."""
    sent = f" ({response.content_type.split(';')[0].strip()})" if response.content_type.strip() else ""
    try:
        items = json.loads(response.content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        start = " ".join(response.content[:40].decode("utf-8", "replace").split())
        raise Rejected(f"not JSON{sent}: {exc}; starts {start!r}") from None
    if not isinstance(items, list):
        raise Rejected(f"not a JSON array of daily papers{sent} but a JSON {type(items).__name__}")
    return items


def _paper_id(item: Any) -> str | None:
    paper = item.get("paper") if isinstance(item, dict) else None
    paper_id = paper.get("id") if isinstance(paper, dict) else None
    return paper_id if isinstance(paper_id, str) else None


def merge_pages(pages: list[list[Any]]) -> list[Any]:
    """Return the pages' items in order, each paper once: a paper repeated on a later page keeps its first."""
    seen: set[str] = set()
    merged = []
    for item in (item for page in pages for item in page):
        paper_id = _paper_id(item)
        if paper_id is not None:
            if paper_id in seen:
                continue
            seen.add(paper_id)
        merged.append(item)
    return merged


def fetch_day(session: Session, day: dt.date) -> Outcome:
    """Fetch one day's pages and save them as one file, unless nothing changed or something failed.

    The pages are asked for conditionally while the day's file is there. As
    the day is saved whole, once one page has changed, any page answered
    304 before it is fetched again in full.
    """
    client, store, fetch = session.client, session.store, session.config.fetch
    relative, limit = day_path(day), fetch.hf_page_size
    url = first_url = day_url(fetch.hf_base_url, day, 0, limit)
    pages: list[tuple[Response, list[Any] | None]] = []  # each page, its items (None if it answered 304)
    conditional = True
    try:
        for page in range(fetch.hf_max_pages + 1):
            if page == fetch.hf_max_pages:
                raise Rejected(f"more than {fetch.hf_max_pages} pages of {limit} papers (fetch.hf_max_pages)")
            url = day_url(fetch.hf_base_url, day, page, limit)
            response = client.get(url, store.validators(url, relative) if conditional else None)
            if response.not_modified:
                entry = store.remembered(url)
                if not conditional or entry is None:
                    raise Rejected("HTTP 304 Not Modified to a request that was not conditional")
                pages.append((response, None))
                count = entry.get("items") if isinstance(entry.get("items"), int) else limit
            else:
                items = _items(response)
                if conditional:
                    for i, (earlier, _) in enumerate(pages):
                        again = client.get(earlier.url)
                        pages[i] = (again, _items(again))
                    conditional = False
                pages.append((response, items))
                count = len(items)
            if count < limit:
                break
        if conditional:  # every page answered 304
            return Outcome("unchanged", first_url, relative)
        url = first_url  # what fails from here on is the day as a whole
        merged = merge_pages([items or [] for _, items in pages])
        data = (json.dumps(merged, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        status = store.put(relative, data, papers_in(relative, data, session.config, FORMAT) if merged else 0)
    except FetchFailed as exc:
        return Outcome("failed", exc.url, relative, exc.reason)
    except Rejected as exc:
        return Outcome("failed", url, relative, str(exc))
    if status != "empty":
        for response, items in pages:
            store.remember(response, relative, items=len(items or []))
    return Outcome(status, first_url, relative)
