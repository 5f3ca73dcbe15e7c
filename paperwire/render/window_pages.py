"""Week and month pages: each window's papers by their score inside it, and an index of windows.

``weeks/2026-W24/`` lists the papers seen in ISO week 24 of 2026, ranked by
the trending score of their sightings in that week (paperwire.windows);
``weeks/`` lists the weeks, newest first. Months work the same way under
``months/``. Only windows with a dated sighting have a page, so a window's
previous and next links skip the empty ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple

from markupsafe import Markup

from ..rank import newest_date
from ..records import Paper
from ..windows import FOLDERS, Window, month_of, rank_windows, week_of

if TYPE_CHECKING:
    from .site import ListPage, Output, SiteRenderer

INDEX_TITLES = {"week": "Weeks", "month": "Months"}


class WindowLink(NamedTuple):
    """A week or month, as pages link to it."""

    key: str  # "2026-W24" or "2026-06", also a valid <time datetime>
    label: str  # "Week 24, 2026 (8–14 June)" or "June 2026"
    short: str  # "Week 24, 2026" or "June 2026", the year left out beside a window of the same year
    url: str  # site-relative


class WindowEntry(NamedTuple):
    """One line of a window index."""

    window: WindowLink
    count: int  # papers seen in it


class WindowItem(NamedTuple):
    """One entry of a window's list: a paper's pre-rendered entry and its score in the window."""

    number: int
    html: Markup  # its links start with ROOT_MARK, as on every list
    score: str  # "12.34"


def window_link(window: Window, seen_from: Window | None = None) -> WindowLink:
    """Return the link to ``window``; its short label leaves the year out when ``seen_from`` is in the same one."""
    year = _year(window)
    if window.kind == "week":
        short = f"Week {window.start.isocalendar()[1]}"
        year_part = f", {year}"
    else:
        short = f"{window.start:%B}"
        year_part = f" {year}"
    if seen_from is None or _year(seen_from) != year:
        short += year_part
    return WindowLink(window.key, window.label, short, window.url)


def _year(window: Window) -> int:
    return int(window.key[:4])  # a week's ISO year, a month's calendar year


def window_links(day: dt.date | None) -> dict[str, WindowLink | None]:
    """Return the week and the month holding ``day`` (both None for no day), as ``week`` and ``month``."""
    if day is None:
        return {"week": None, "month": None}
    return {"week": window_link(week_of(day)), "month": window_link(month_of(day))}


def latest_window_links(papers: tuple[Paper, ...]) -> dict[str, WindowLink | None]:
    """Return the week and the month of the corpus's newest day, as ``week`` and ``month``."""
    return window_links(newest_date(papers))


def with_links(page: ListPage, **links: Any) -> ListPage:
    """Return ``page`` with ``links`` added to what its template sees."""
    return dataclasses.replace(page, context={**page.context, **links})


def window_urls(papers: Iterable[Paper]) -> list[str]:
    """Return the site-relative URL of each window index and window page, for the sitemap."""
    days = {day for paper in papers for day in paper.dates}
    urls = []
    for kind, window_of in (("week", week_of), ("month", month_of)):
        urls.append(f"{FOLDERS[kind]}/")
        urls += [w.url for w in sorted({window_of(day) for day in days})]
    return urls


def render_windows(renderer: SiteRenderer, kind: str) -> Iterator[Output]:
    """Render the pages of every window of ``kind`` (``week`` or ``month``), then their index."""
    from .site import ROOT_MARK, feed_links, root_for  # site.py imports this module at its top

    ranked = rank_windows(renderer.data.papers, kind, renderer.config.trending)
    folder = f"{FOLDERS[kind]}/"
    # Every page of a kind offers the feed of its latest window (feeds.py), which a reader subscribes to once.
    feeds = feed_links(folder, f"{renderer.config.title} — latest {kind}")
    windows = list(ranked)
    for i, (window, entries) in enumerate(ranked.items()):
        link = window_link(window)
        scores = {r.slug: r.score for r in entries}
        pages = renderer.paginated(
            "window.html", window.url, [r.slug for r in entries], window=link, unit=kind,
            prev_window=window_link(windows[i - 1], window) if i > 0 else None,
            next_window=window_link(windows[i + 1], window) if i + 1 < len(windows) else None,
            index_title=INDEX_TITLES[kind], index_url=folder, page_title=link.label,
            description=f"The papers seen in {link.label}, ranked by their trending score in that {kind}.",
            alternates=feeds, section=FOLDERS[kind])
        for page in pages:
            items = [WindowItem(number, renderer.item(slug), f"{scores[slug]:.2f}")
                     for number, slug in enumerate(page.slugs, page.first + 1)]
            html = renderer.html(page.template, page.path, items=items, **page.context)
            yield page.path, html.replace(ROOT_MARK, root_for(page.path)).encode("utf-8")
    entries = [WindowEntry(window_link(window), len(papers)) for window, papers in reversed(ranked.items())]
    title = INDEX_TITLES[kind]
    yield renderer.render("windows.html", f"{folder}index.html", windows=entries, unit=kind, page_title=title,
                          description=f"{title} with papers, newest first, with their counts.", alternates=feeds,
                          section=FOLDERS[kind])
