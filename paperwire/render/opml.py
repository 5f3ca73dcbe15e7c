"""``feeds.opml``: every feed of the site as one OPML 2.0 subscription list.

One outline per feed URL (RSS, Atom and JSON Feed of each list, in the order
of ``feeds.feed_lists``), so a reader that imports it can pick the format it
reads. ElementTree escapes every attribute; the order is fixed, so two builds
give the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Iterator, Sequence

from ..clean import drop_invalid_xml_chars as xml_safe
from .site import FEED_FORMATS, Output

if TYPE_CHECKING:
    from ..config import SiteConfig
    from .feeds import FeedList

OPML = "feeds.opml"
SPEC = "https://opml.org/spec2.opml"


def render_opml(lists: Sequence[FeedList], config: SiteConfig) -> Iterator[Output]:
    """Yield ``feeds.opml`` listing the three formats of every feed in ``lists``."""
    base = config.base_url
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = xml_safe(f"{config.title}: every feed")
    ET.SubElement(head, "docs").text = SPEC
    body = ET.SubElement(opml, "body")
    for feed in lists:
        meta = feed.meta
        for name, _, label in FEED_FORMATS:
            # type="rss" is OPML's word for any feed, Atom and JSON Feed too.
            text = xml_safe(f"{meta.title} ({label})")
            ET.SubElement(body, "outline", type="rss", text=text, title=text, xmlUrl=base + meta.folder + name,
                          htmlUrl=base + meta.home)
    ET.indent(opml)
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
    yield OPML, xml.encode("utf-8")
