"""JSON Feed 1.1 (feed.json): every field the version names, typed; ids stable; text kept as text."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import feedparser
import pytest

from paperwire.config import config_from
from paperwire.pipeline import build
from paperwire.render.feeds import render_feeds
from paperwire.render.site import SiteData

from .helpers import SAMPLE_CONTENT, make_paper
from .test_feeds import BASE_URL, HOSTILE_TITLES, expected_feeds, papers_json

# RFC 3339 date-time, as JSON Feed requires for its dates.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")


def json_feeds(site: Path) -> list[Path]:
    return sorted(site.rglob("feed.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_bytes())


def check_json_feed(feed: dict, feed_url: str) -> None:
    """Assert what JSON Feed 1.1 requires or defines, with the types it gives."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"] == feed_url
    for key in ("home_page_url", "description", "language", "icon", "favicon"):
        assert isinstance(feed[key], str) and feed[key], key
    assert feed["home_page_url"].startswith(BASE_URL)
    assert "author" not in feed  # 1.0's; 1.1 has authors
    assert isinstance(feed["authors"], list) and feed["authors"]
    assert all(isinstance(author["name"], str) for author in feed["authors"])
    assert isinstance(feed["items"], list)
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith(BASE_URL + "papers/")
        assert isinstance(item["title"], str)
        assert "content_text" in item or "content_html" in item
        for key in ("content_text", "content_html", "summary"):
            assert isinstance(item.get(key, ""), str), key
        for key in ("date_published", "date_modified"):
            assert RFC3339.match(item[key]), item[key]
        assert dt.datetime.fromisoformat(item["date_published"]) <= dt.datetime.fromisoformat(item["date_modified"])
        assert "author" not in item
        assert all(isinstance(author["name"], str) for author in item.get("authors", []))
        assert all(isinstance(tag, str) for tag in item.get("tags", []))


def test_every_list_has_a_valid_json_feed(sample_site):
    folders = [folder for folder, _ in expected_feeds(sample_site)] + ["weeks/", "months/"]
    assert json_feeds(sample_site) == sorted(sample_site / folder / "feed.json" for folder in folders)
    for path in json_feeds(sample_site):
        folder = path.parent.relative_to(sample_site).as_posix()
        check_json_feed(load(path), BASE_URL + ("" if folder == "." else folder + "/") + "feed.json")


def test_json_feed_items_are_the_atom_entries(sample_site):
    for path in json_feeds(sample_site):
        items = load(path)["items"]
        atom = feedparser.parse((path.parent / "atom.xml").read_bytes())
        assert [item["id"] for item in items] == [entry.id for entry in atom.entries], path
        assert [item["url"] for item in items] == [entry.link for entry in atom.entries], path
        for item, entry in zip(items, atom.entries):
            assert item["title"] == entry.title
            assert item["date_published"][:10] == dt.date(*entry.published_parsed[:3]).isoformat()
            assert item["date_modified"][:10] == dt.date(*entry.updated_parsed[:3]).isoformat()
            assert item["tags"] == [tag.label for tag in entry.tags]


def test_json_feed_items_match_the_built_papers(sample_site):
    papers = {BASE_URL + p["url"]: p for p in papers_json(sample_site)}
    newest = max(p["last_seen"] for p in papers.values() if p["last_seen"])
    feed = load(sample_site / "feed.json")
    assert feed["home_page_url"] == BASE_URL and feed["language"] == "en"
    assert len(feed["items"]) == 50
    for item in feed["items"]:
        paper = papers[item["url"]]
        assert item["id"] == item["url"]  # the sample knows no arXiv ids
        assert item["content_text"] == paper["abstract"]
        assert html.unescape(item["content_html"]) == f"<p>{paper['abstract']}</p>"
        assert paper["abstract"].startswith(item["summary"].removesuffix("…"))
        assert item["date_published"] == f"{paper['first_seen'] or newest}T00:00:00Z"  # undated: the newest day


def test_json_feed_ids_are_stable_across_builds(sample_site, tmp_path):
    build(SAMPLE_CONTENT, tmp_path / "site", jobs=1)
    for path in json_feeds(sample_site):
        again = tmp_path / "site" / path.relative_to(sample_site)
        assert [i["id"] for i in load(again)["items"]] == [i["id"] for i in load(path)["items"]]
        assert again.read_bytes() == path.read_bytes()


def test_hostile_text_stays_text_in_json_feeds(hostile_site):
    raw = (hostile_site / "feed.json").read_bytes()
    assert b"<" not in raw and b">" not in raw and b"\x01" not in raw  # written as \u003c, like papers.json
    feed = json.loads(raw)
    titles = {item["title"] for item in feed["items"]}
    assert "Attack <script>alert(1)</script> on feed readers" in titles
    assert "Control characters in a title" in titles
    for item in feed["items"]:
        assert "<script>" not in item["content_html"]  # escaped: a reader shows it as text
        assert html.unescape(item["content_html"]) == f"<p>{item['content_text']}</p>"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    from .test_feeds import HOSTILE_ABSTRACT, trending_page
    from .helpers import make_content

    tmp = tmp_path_factory.mktemp("hostile-json")
    content = make_content(tmp, corpus={"hostile.txt": trending_page("Mar 11", HOSTILE_TITLES, HOSTILE_ABSTRACT)})
    build(content, tmp / "site")
    return tmp / "site"


def test_a_paper_without_abstract_or_date_still_gives_a_valid_item():
    undated = make_paper("no-abstract", abstract="", topics=())
    dated = make_paper("dated", days=(dt.date(2025, 3, 12),), topics=())
    data = SiteData(config=config_from(base_url=BASE_URL), topics=(), papers=(dated, undated), related={}, pages=())
    feed = json.loads(dict(render_feeds(data))["feed.json"])
    check_json_feed(feed, BASE_URL + "feed.json")
    item = next(item for item in feed["items"] if item["url"].endswith("/no-abstract/"))
    assert item["content_text"] == "" and "content_html" not in item and "summary" not in item
    assert item["date_published"] == "2025-03-12T00:00:00Z"  # undated: the corpus's newest day
    assert "authors" not in item and "tags" not in item


def test_an_empty_site_has_valid_empty_json_feeds():
    data = SiteData(config=config_from(base_url=BASE_URL), topics=(), papers=(), related={}, pages=())
    files = {name: json.loads(body) for name, body in render_feeds(data) if name.endswith(".json")}
    assert sorted(files) == ["feed.json", "months/feed.json", "weeks/feed.json"]
    for name, feed in files.items():
        check_json_feed(feed, BASE_URL + name)
        assert feed["items"] == []
