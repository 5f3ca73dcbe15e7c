"""The daily digest email (being written)."""

from __future__ import annotations

from typing import Iterator

import jinja2

from .site import Output, SiteData


def render_digest_files(data: SiteData, env: jinja2.Environment) -> Iterator[Output]:
    """Yield digest/<date>.html, .txt, .eml and digest/latest.* for the newest day."""
    yield from ()
