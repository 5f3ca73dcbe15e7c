"""feeds.opml: one OPML 2.0 outline for every feed URL of the site, escaped, in a fixed order."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from paperwire.config import config_from
from paperwire.pipeline import build
from paperwire.render.feeds import feed_lists
from paperwire.render.opml import render_opml
from paperwire.render.site import SiteData

from .helpers import SAMPLE_CONTENT, make_content, make_paper
from .test_feeds import BASE_URL, expected_feeds

FORMATS = ("feed.xml", "atom.xml", "feed.json")


def outlines(path: Path) -> list[dict[str, str]]:
    root = ET.parse(path).getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title")
    return [dict(outline.attrib) for outline in root.findall("body/outline")]


def test_opml_lists_every_feed_once(sample_site):
    found = outlines(sample_site / "feeds.opml")
    urls = [outline["xmlUrl"] for outline in found]
    assert len(urls) == len(set(urls))
    every_feed = sorted(BASE_URL + path.relative_to(sample_site).as_posix()
                        for name in FORMATS for path in sample_site.rglob(name))
    assert sorted(urls) == every_feed
    folders = ["", "weeks/", "months/"] + [folder for folder, _ in expected_feeds(sample_site)[1:]]
    assert urls == [BASE_URL + folder + name for folder in folders for name in FORMATS]  # site, windows, topics
    for outline in found:
        assert list(outline) == ["type", "text", "title", "xmlUrl", "htmlUrl"]
        assert outline["type"] == "rss"
        assert outline["text"] == outline["title"] and outline["text"].endswith((" (RSS)", " (Atom)", " (JSON Feed)"))
        assert outline["htmlUrl"].startswith(BASE_URL)
        page = sample_site / outline["htmlUrl"][len(BASE_URL):] / "index.html"
        assert page.is_file(), outline["htmlUrl"]


def test_opml_is_byte_identical_across_builds(sample_site, tmp_path):
    build(SAMPLE_CONTENT, tmp_path / "site", jobs=3)
    assert (tmp_path / "site" / "feeds.opml").read_bytes() == (sample_site / "feeds.opml").read_bytes()


def test_opml_escapes_titles():
    title = 'Papers & "quotes" <b>bold</b> \x01 \u202eend'
    config = config_from(title=title, base_url="https://papers.example/")
    data = SiteData(config=config, topics=(), papers=(make_paper("one"),), related={}, pages=())
    (name, body), = render_opml(feed_lists(data), config)
    assert name == "feeds.opml"
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert b"<b>" not in body and b"\x01" not in body
    root = ET.fromstring(body)
    assert root.findtext("head/title") == 'Papers & "quotes" <b>bold</b>  \u202eend: every feed'
    first = root.find("body/outline")
    assert first is not None and first.get("text") == 'Papers & "quotes" <b>bold</b>  \u202eend (RSS)'


def test_a_site_with_its_own_title_names_its_feeds(tmp_path):
    site_yaml = (SAMPLE_CONTENT / "site.yaml").read_text(encoding="utf-8").replace("title: paperwire",
                                                                                   "title: Lab & friends")
    content = make_content(tmp_path, site_yaml=site_yaml, copy_sample_corpus=True)
    build(content, tmp_path / "site")
    texts = [outline["text"] for outline in outlines(tmp_path / "site" / "feeds.opml")]
    assert texts[:4] == ["Lab & friends (RSS)", "Lab & friends (Atom)", "Lab & friends (JSON Feed)",
                         "Lab & friends — latest week (RSS)"]
