"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of one feed: ``feed.json``.

Keys are written in one fixed order and the text is serialised like the JSON
API (``api.dumps``), so two builds give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

from .api import dumps
from .views import excerpt

if TYPE_CHECKING:
    from ..config import SiteConfig
    from .feeds import FeedItem, FeedList

VERSION = "https://jsonfeed.org/version/1.1"
ICON = "static/icon-512.png"  # JSON Feed asks for 512 x 512
FAVICON = "static/apple-touch-icon.png"  # and "not smaller than 64 x 64"


def rfc3339(day: dt.date) -> str:
    """Return UTC midnight of ``day`` in RFC 3339."""
    return f"{day.isoformat()}T00:00:00Z"


def json_item(item: FeedItem) -> dict[str, Any]:
    """Return one item, its abstract both as text and as escaped HTML."""
    data: dict[str, Any] = {"id": item.id, "url": item.url}
    if item.arxiv_url:
        data["external_url"] = item.arxiv_url
    data["title"] = item.title
    data["content_text"] = item.abstract  # one of the two contents must be there, even empty
    if item.abstract:
        data["content_html"] = f"<p>{html.escape(item.abstract, quote=False)}</p>"
        data["summary"] = excerpt(item.abstract)
    data["date_published"] = rfc3339(item.published)
    data["date_modified"] = rfc3339(item.updated)
    if item.authors:
        data["authors"] = [{"name": name} for name in item.authors]
    if item.topics:
        data["tags"] = [name for _, name in item.topics]
    return data


def render_json_feed(feed: FeedList, config: SiteConfig) -> bytes:
    """Return ``feed`` as a JSON Feed 1.1 document."""
    base, meta = config.base_url, feed.meta
    document = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": base + meta.home,
        "feed_url": base + meta.folder + "feed.json",
        "description": meta.description or config.description or meta.title,
        "icon": base + ICON,
        "favicon": base + FAVICON,
        "language": config.language,
        "authors": [{"name": config.title or "paperwire", "url": base}],
        "items": [json_item(item) for item in feed.items],
    }
    return (dumps(document) + "\n").encode("utf-8")
