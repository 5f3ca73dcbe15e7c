"""Icons and the social card: files at their sizes, named in every page's head."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .test_feeds import BASE_URL
from .test_site import LinkParser


class HeadParser(LinkParser):
    """Also gather every <link> of the page and count each <meta>."""

    def __init__(self):
        super().__init__()
        self.link_tags: list[dict[str, str]] = []
        self.meta_count: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        attrs = dict(attrs)
        if tag == "link":
            self.link_tags.append(attrs)
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            key = attrs.get("name") or attrs.get("property")
            self.meta_count[key] = self.meta_count.get(key, 0) + 1


def head(path: Path) -> HeadParser:
    parser = HeadParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_icons_and_social_card(sample_site):
    ico = (sample_site / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 2  # an icon file with several sizes
    sizes = {(ico[6 + 16 * i] or 256, ico[7 + 16 * i] or 256) for i in range(count)}
    assert {(16, 16), (32, 32)} <= sizes
    assert ET.parse(sample_site / "static" / "favicon.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert png_size(sample_site / "static" / "apple-touch-icon.png") == (180, 180)
    assert png_size(sample_site / "static" / "icon-512.png") == (512, 512)
    assert png_size(sample_site / "static" / "og-image.png") == (1200, 630)
    assert not (sample_site / "static" / "favicon.ico").exists()  # served from the root alone


@pytest.mark.parametrize("path", ["index.html", "topics/retrieval/index.html", "days/index.html", "404.html",
                                  "about/index.html", None])
def test_every_page_names_its_icons_and_card(sample_site, path):
    page = sample_site / path if path else next((sample_site / "papers").iterdir()) / "index.html"
    parsed = head(page)
    icons = {(link["rel"], link.get("type", ""), link.get("sizes", "")): link["href"] for link in parsed.link_tags
             if link.get("rel") in ("icon", "apple-touch-icon")}
    assert sorted(icons) == [("apple-touch-icon", "", ""), ("icon", "", "any"), ("icon", "image/svg+xml", "")]
    assert icons[("icon", "", "any")].endswith("favicon.ico") and "static" not in icons[("icon", "", "any")]
    assert icons[("icon", "image/svg+xml", "")].endswith("static/favicon.svg")
    assert icons[("apple-touch-icon", "", "")].endswith("static/apple-touch-icon.png")
    assert parsed.meta["og:image"] == BASE_URL + "static/og-image.png"
    assert (parsed.meta["og:image:width"], parsed.meta["og:image:height"]) == ("1200", "630")
    assert parsed.meta["twitter:card"] == "summary_large_image"
    assert parsed.meta["twitter:image"] == parsed.meta["og:image"]
    assert all(count == 1 for count in parsed.meta_count.values()), parsed.meta_count  # no og:title twice
