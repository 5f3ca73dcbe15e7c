"""Feeds: RSS 2.0, Atom and JSON Feed for the site, the latest week and month, and every topic.

Every date comes from the corpus, never the clock, so two builds of the same
content give byte-identical feeds. An item's id is its paper's arXiv abstract
URL without version when the arXiv id is known (the same paper keeps it
whatever its title or slug becomes), else its page's URL; its link is always
the paper's page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Sequence

from feedgen.feed import FeedGenerator

from ..clean import drop_invalid_xml_chars as xml_safe
from ..records import Paper, Topic
from ..rank import newest_date
from ..windows import WINDOW_OF, rank_windows
from .json_feed import render_json_feed
from .site import FEED_FORMATS, Output, SiteData
from .views import topic_link, topics_by_slug

# No version or URI, so upgrading feedgen or paperwire changes no feed.
GENERATOR = "paperwire"
# The date of every feed of a corpus with no dated sighting at all.
EPOCH = dt.date(1970, 1, 1)
RSS, ATOM, JSON_FEED = (name for name, _, _ in FEED_FORMATS)
MEDIA_TYPES = {name: media_type for name, media_type, _ in FEED_FORMATS}
# Stable URLs of the latest window's feeds: a reader subscribes once.
WINDOW_FOLDERS = {"week": "weeks/", "month": "months/"}
_VERSION = re.compile(r"v\d+$")


@dataclass(frozen=True)
class FeedMeta:
    """What one feed says about itself; URLs are site-relative."""

    folder: str  # where its files are: "" for the site, "weeks/", "months/", "topics/<slug>/"
    home: str  # the page listing the same papers ("weeks/2025-W11/" for the latest week)
    name: str  # short, for lists of feeds: "All papers", "Latest week", a topic's name
    title: str
    description: str


class FeedItem(NamedTuple):
    """One paper as every format shows it: text made XML-safe, URLs absolute."""

    id: str
    permalink: bool  # whether ``id`` is the item's own page
    url: str
    title: str
    abstract: str
    published: dt.date
    updated: dt.date
    authors: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]  # (slug, name), best first
    arxiv_url: str | None


@dataclass(frozen=True)
class FeedList:
    """One feed, in every format: its description and its items in order."""

    meta: FeedMeta
    items: tuple[FeedItem, ...]
    updated: dt.date  # the newest item's last sighting (the corpus's newest day when empty)


def midnight(day: dt.date) -> dt.datetime:
    """Return UTC midnight of ``day`` (feedgen refuses naive datetimes)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def newest_first(papers: Sequence[Paper], newest: dt.date) -> list[Paper]:
    """Return ``papers`` by last sighting (newest first), then score (highest first), then slug."""
    # Undated papers count as seen on the corpus's newest day, the date their items show.
    return sorted(papers, key=lambda p: (-(p.last_seen or newest).toordinal(), -p.score, p.slug))


def top_per_topic(ordered: Sequence[Paper], slugs: Sequence[str], limit: int) -> dict[str, list[Paper]]:
    """Return the first ``limit`` papers of each topic in ``ordered``, keeping its order."""
    chosen: dict[str, list[Paper]] = {slug: [] for slug in slugs}
    for paper in ordered:
        for slug in paper.topics:
            members = chosen.get(slug)
            if members is not None and len(members) < limit:
                members.append(paper)
    return chosen


def arxiv_abs_url(arxiv_id: str | None) -> str | None:
    """Return the arXiv abstract URL of ``arxiv_id`` without its version, or None."""
    # Readers already drop the version; dropped again so that no v2 can change an item's id.
    return f"https://arxiv.org/abs/{_VERSION.sub('', arxiv_id)}" if arxiv_id else None


def feed_item(paper: Paper, base: str, topics: dict[str, Topic], newest: dt.date) -> FeedItem:
    """Return ``paper`` as a feed item; undated papers show the corpus's newest day."""
    url = base + paper.url
    arxiv_url = arxiv_abs_url(paper.arxiv_id)
    return FeedItem(
        id=arxiv_url or url, permalink=arxiv_url is None, url=url,
        title=xml_safe(paper.title) or paper.slug, abstract=xml_safe(paper.abstract),
        published=paper.first_seen or newest, updated=paper.last_seen or newest,
        authors=tuple(name for name in map(xml_safe, paper.authors) if name.strip()),
        topics=tuple((slug, xml_safe(topics[slug].name)) for slug in paper.topics if slug in topics),
        arxiv_url=arxiv_url,
    )


def feed_list(meta: FeedMeta, papers: Sequence[Paper], data: SiteData, topics: dict[str, Topic],
              newest: dt.date) -> FeedList:
    """Return the feed of ``papers``, in the order given."""
    items = tuple(feed_item(paper, data.config.base_url, topics, newest) for paper in papers)
    return FeedList(meta, items, max((item.updated for item in items), default=newest))


def window_feeds(data: SiteData, topics: dict[str, Topic], newest: dt.date) -> Iterator[FeedList]:
    """Yield the feeds of the latest week and the latest month, best first by score within the window."""
    config = data.config
    newest_day = newest_date(data.papers)
    for kind, folder in WINDOW_FOLDERS.items():
        name = f"Latest {kind}"
        if newest_day is None:  # no dated sighting: the feed still exists, empty
            meta = FeedMeta(folder, "", name, f"{config.title} — latest {kind}",
                            f"The most trending papers of the latest {kind}.")
            yield feed_list(meta, (), data, topics, newest)
            continue
        window = WINDOW_OF[kind](newest_day)
        # Only papers seen in the window rank in it, each by its own sightings there, and the
        # newest day stays the same: ranking just them gives the whole corpus's list, cheaply.
        seen = [p for p in data.papers if p.last_seen and p.last_seen >= window.start]
        ranked = rank_windows(seen, kind, config.trending)[window]
        by_slug = {p.slug: p for p in seen}
        meta = FeedMeta(folder, window.url, name, f"{config.title} — latest {kind}",
                        f"{window.label}: the most trending papers of the latest {kind}, "
                        f"ranked by their score within it.")
        yield feed_list(meta, [by_slug[r.slug] for r in ranked[: config.feeds.items]], data, topics, newest)


def feed_lists(data: SiteData) -> list[FeedList]:
    """Return every feed of the site: the site's, the latest week's and month's, then each topic's."""
    config = data.config
    limit = config.feeds.items
    newest = max((p.last_seen for p in data.papers if p.last_seen), default=EPOCH)
    topics = topics_by_slug(data.topics)
    ordered = newest_first(data.papers, newest)
    site = FeedMeta("", "", "All papers", config.title, config.description)
    lists = [feed_list(site, ordered[:limit], data, topics, newest), *window_feeds(data, topics, newest)]
    members = top_per_topic(ordered, list(topics), limit)
    for slug, topic in topics.items():
        if slug == "other" and not members[slug]:
            continue  # like the topic pages: "other" exists only when used
        url = topic_link(topic).url
        meta = FeedMeta(url, url, topic.name, f"{config.title} — {topic.name}", topic.description)
        lists.append(feed_list(meta, members[slug], data, topics, newest))
    return lists


def add_entry(feed: FeedGenerator, item: FeedItem, base: str) -> None:
    """Append ``item`` to ``feed``."""
    entry = feed.add_entry(order="append")  # feedgen prepends by default
    entry.guid(item.id, permalink=item.permalink)  # also the Atom <id>
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate", type="text/html")
    if item.abstract:
        # Readers render an RSS description as HTML, so escape the text to keep it text
        # (an abstract may well say "<human, action, object>"); Atom is told it is HTML.
        entry.summary(html.escape(item.abstract, quote=False), type="html")
    entry.published(midnight(item.published))
    entry.updated(midnight(item.updated))
    for slug, name in item.topics:
        entry.category(term=slug, label=name, scheme=base + "topics/")
    if item.authors:
        entry.author([{"name": name} for name in item.authors])
        entry.dc.dc_creator(list(item.authors))  # RSS <author> must be an email; dc:creator takes a name


def render_xml_feeds(feed: FeedList, data: SiteData) -> Iterator[Output]:
    """Yield the RSS and Atom files of one feed."""
    config = data.config
    meta = feed.meta
    base = config.base_url
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False)  # Atom has its own author names
    generator.id(base + meta.folder)
    generator.title(xml_safe(meta.title))
    generator.description(xml_safe(meta.description) or xml_safe(config.description) or meta.title)
    generator.language(xml_safe(config.language))
    generator.author(name=xml_safe(config.title) or GENERATOR)  # Atom needs one when an entry has none
    generator.generator(GENERATOR)
    generator.updated(midnight(feed.updated))  # replaces feedgen's default of now
    for item in feed.items:
        add_entry(generator, item, base)
    for name in (RSS, ATOM):
        # RSS's channel link is the last link given, so self comes first.
        generator.link([{"href": base + meta.folder + name, "rel": "self", "type": MEDIA_TYPES[name]},
                        {"href": base + meta.home, "rel": "alternate", "type": "text/html"}], replace=True)
        xml = generator.rss_str(pretty=True) if name == RSS else generator.atom_str(pretty=True)
        yield meta.folder + name, xml


def render_feeds(data: SiteData, lists: Sequence[FeedList] | None = None) -> Iterator[Output]:
    """Yield feed.xml, atom.xml and feed.json of every feed (``lists``, else ``feed_lists(data)``)."""
    for feed in feed_lists(data) if lists is None else lists:
        yield from render_xml_feeds(feed, data)
        yield feed.meta.folder + JSON_FEED, render_json_feed(feed, data.config)

