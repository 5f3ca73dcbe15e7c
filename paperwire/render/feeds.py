"""RSS 2.0 and Atom feeds for the site and every topic (being written)."""

from __future__ import annotations

from typing import Iterator

from .site import Output, SiteData


def render_feeds(data: SiteData) -> Iterator[Output]:
    """Yield feed.xml and atom.xml for the site and each topic."""
    yield from ()
