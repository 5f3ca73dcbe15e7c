"""RSS 2.0 and Atom feeds for the site and every topic.

Every date comes from the corpus, never the clock, so two builds of the same
content give byte-identical feeds.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Iterator, Sequence

from feedgen.feed import FeedGenerator

from ..clean import drop_invalid_xml_chars as xml_safe
from ..records import Paper, Topic
from .site import Output, SiteData
from .views import topic_link, topics_by_slug

# No version or URI, so upgrading feedgen or paperwire changes no feed.
GENERATOR = "paperwire"
# The date of every feed of a corpus with no dated sighting at all.
EPOCH = dt.date(1970, 1, 1)
KINDS = (("feed.xml", "application/rss+xml"), ("atom.xml", "application/atom+xml"))


@dataclass(frozen=True)
class FeedMeta:
    """What one feed says about itself; ``folder`` is its page's site-relative URL."""

    folder: str  # "" for the site, "topics/<slug>/" for a topic
    title: str
    description: str


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


def add_entry(feed: FeedGenerator, paper: Paper, data: SiteData, topics: dict[str, Topic],
              newest: dt.date) -> None:
    """Append ``paper`` to ``feed`` as one item."""
    base = data.config.base_url
    url = base + paper.url
    entry = feed.add_entry(order="append")  # feedgen prepends by default
    entry.guid(url, permalink=True)
    entry.title(xml_safe(paper.title) or paper.slug)
    entry.link(href=url, rel="alternate", type="text/html")
    abstract = xml_safe(paper.abstract)
    if abstract:
        # Readers render an RSS description as HTML, so escape the text to keep it text
        # (an abstract may well say "<human, action, object>"); Atom is told it is HTML.
        entry.summary(html.escape(abstract, quote=False), type="html")
    entry.published(midnight(paper.first_seen or newest))
    entry.updated(midnight(paper.last_seen or newest))
    for slug in paper.topics:
        if slug in topics:
            entry.category(term=slug, label=xml_safe(topics[slug].name), scheme=base + "topics/")
    authors = [name for name in map(xml_safe, paper.authors) if name.strip()]
    if authors:
        entry.author([{"name": name} for name in authors])
        entry.dc.dc_creator(authors)  # RSS <author> must be an email; dc:creator takes a name


def render_feed(meta: FeedMeta, papers: Sequence[Paper], data: SiteData, topics: dict[str, Topic],
                newest: dt.date) -> Iterator[Output]:
    """Yield the RSS and Atom files of one feed of ``papers``, newest first."""
    config = data.config
    page = config.base_url + meta.folder
    feed = FeedGenerator()
    feed.load_extension("dc", atom=False)  # Atom has its own author names
    feed.id(page)
    feed.title(xml_safe(meta.title))
    feed.description(xml_safe(meta.description) or xml_safe(config.description) or meta.title)
    feed.language(xml_safe(config.language))
    feed.author(name=xml_safe(config.title) or GENERATOR)  # Atom needs one when an entry has none
    feed.generator(GENERATOR)
    # Replaces feedgen's default of now; the newest item leads the list.
    feed.updated(midnight((papers[0].last_seen or newest) if papers else newest))
    for paper in papers:
        add_entry(feed, paper, data, topics, newest)
    for name, media_type in KINDS:
        # RSS's channel link is the last link given, so self comes first.
        feed.link([{"href": page + name, "rel": "self", "type": media_type},
                   {"href": page, "rel": "alternate", "type": "text/html"}], replace=True)
        xml = feed.rss_str(pretty=True) if name == "feed.xml" else feed.atom_str(pretty=True)
        yield meta.folder + name, xml


def render_feeds(data: SiteData) -> Iterator[Output]:
    """Yield feed.xml and atom.xml for the site and each topic."""
    config = data.config
    limit = config.feeds.items
    newest = max((p.last_seen for p in data.papers if p.last_seen), default=EPOCH)
    topics = topics_by_slug(data.topics)
    ordered = newest_first(data.papers, newest)
    yield from render_feed(FeedMeta("", config.title, config.description), ordered[:limit], data, topics, newest)
    members = top_per_topic(ordered, list(topics), limit)
    for slug, topic in topics.items():
        if slug == "other" and not members[slug]:
            continue  # like the topic pages: "other" exists only when used
        meta = FeedMeta(topic_link(topic).url, f"{config.title} — {topic.name}", topic.description)
        yield from render_feed(meta, members[slug], data, topics, newest)
