"""``feeds/``: every feed of the site, each format's URL to copy or open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, NamedTuple, Sequence

from .opml import OPML
from .site import FEED_FORMATS, Output, SiteRenderer

if TYPE_CHECKING:
    from .feeds import FeedList

FEEDS_PAGE = "feeds/index.html"


class FormatView(NamedTuple):
    label: str  # "RSS", "Atom", "JSON Feed"
    media_type: str
    url: str  # absolute: what a reader is given


class ListView(NamedTuple):
    key: str  # unique on the page, for element ids
    name: str
    description: str
    home: str  # site-relative
    formats: tuple[FormatView, ...]


class GroupView(NamedTuple):
    key: str
    heading: str
    lists: tuple[ListView, ...]


def list_view(feed: FeedList, base: str) -> ListView:
    meta = feed.meta
    key = meta.folder.rstrip("/").replace("/", "-") or "site"
    formats = tuple(FormatView(label, media_type, base + meta.folder + name)
                    for name, media_type, label in FEED_FORMATS)
    return ListView(key, meta.name, meta.description, meta.home, formats)


def render_feeds_page(renderer: SiteRenderer, lists: Sequence[FeedList]) -> Iterator[Output]:
    """Yield the feeds page: the site's, the latest week's and month's feeds, then each topic's."""
    base = renderer.config.base_url
    is_topic = [feed.meta.folder.startswith("topics/") for feed in lists]
    views = [list_view(feed, base) for feed in lists]
    groups = (GroupView("site", "Whole site", tuple(v for v, topic in zip(views, is_topic) if not topic)),
              GroupView("topics", "Topics", tuple(v for v, topic in zip(views, is_topic) if topic)))
    yield renderer.render("feeds.html", FEEDS_PAGE, groups=groups, opml_url=base + OPML, page_title="Feeds",
                          description=f"Every feed of {renderer.config.title}: RSS, Atom and JSON Feed for all "
                                      "papers, the latest week and month, and each topic.")
