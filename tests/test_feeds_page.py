"""The feeds page and every page's feed autodiscovery."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest

from .test_feeds import BASE_URL, expected_feeds
from .test_icons import head

FORMATS = (("feed.xml", "application/rss+xml"), ("atom.xml", "application/atom+xml"),
           ("feed.json", "application/feed+json"))


def alternates(path: Path, site: Path) -> list[tuple[str, str]]:
    """Return each autodiscovery link of a page as (media type, site-relative URL)."""
    page_url = BASE_URL + path.parent.relative_to(site).as_posix() + "/"
    return [(link["type"], urljoin(page_url, link["href"])[len(BASE_URL):])
            for link in head(path).link_tags if link.get("rel") == "alternate"]


def expected_alternates(folder: str) -> list[tuple[str, str]]:
    return [(media_type, folder + name) for name, media_type in FORMATS]


def feed_urls(site: Path) -> list[str]:
    folders = ["", "weeks/", "months/"] + [folder for folder, _ in expected_feeds(site)[1:]]
    return [BASE_URL + folder + name for folder in folders for name, _ in FORMATS]


def test_feeds_page_lists_every_feed_with_its_absolute_url(sample_site):
    page = sample_site / "feeds" / "index.html"
    parsed = head(page)
    html = page.read_text(encoding="utf-8")
    urls = feed_urls(sample_site)
    feed_links = [link for link in parsed.links if link.endswith(("feed.xml", "atom.xml", "feed.json"))
                  and link.startswith("http")]
    assert feed_links == urls  # each opened by a link, in the order of feeds.opml
    for url in urls:
        assert f'value="{url}"' in html and f'data-url="{url}"' in html  # in its box, and its copy button's
    assert BASE_URL + "feeds.opml" in parsed.links


def test_every_page_links_the_feeds_page_and_the_json_feed(sample_site):
    for path in (sample_site / "index.html", sample_site / "about" / "index.html", sample_site / "404.html"):
        links = head(path).links
        assert any(link.endswith("feeds/") for link in links), path
        assert any(link.endswith("feed.json") and "topics" not in link for link in links), path


def test_each_page_discovers_its_own_lists_feeds(sample_site):
    site_feeds = expected_alternates("")
    for path in ("index.html", "page/2/index.html", "topics/index.html", "days/2025-03-14/index.html",
                 "about/index.html", "feeds/index.html", "search/index.html"):
        assert alternates(sample_site / path, sample_site) == site_feeds, path
    paper = next((sample_site / "papers").iterdir()) / "index.html"
    assert alternates(paper, sample_site) == site_feeds
    for folder, _ in expected_feeds(sample_site)[1:]:
        assert alternates(sample_site / folder / "index.html", sample_site) == expected_alternates(folder)
    titles = [link["title"] for link in head(sample_site / "index.html").link_tags if link.get("rel") == "alternate"]
    assert titles == ["paperwire (RSS)", "paperwire (Atom)", "paperwire (JSON Feed)"]


@pytest.mark.parametrize("kind", ["weeks", "months"])
def test_window_pages_discover_the_window_feeds(sample_site, kind):
    pages = sorted((sample_site / kind).rglob("index.html"))
    assert pages, f"no {kind}/ pages"
    for path in pages:
        assert alternates(path, sample_site) == expected_alternates(f"{kind}/"), path


@pytest.mark.parametrize("width", [1280, 375])
def test_feeds_page_in_a_browser(browser, sample_server, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sample_server.rstrip("/"))
    page = context.new_page()
    page.goto(sample_server + "feeds/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    boxes = page.locator("input.feed-url")
    assert boxes.count() == len(feed_urls_of(page))
    first = boxes.first.bounding_box()
    assert first is not None and first["width"] > 0.5 * min(width, 736) - 100  # the address is readable
    button = page.locator("#feed-topics-retrieval button.feed-copy").last
    assert button.is_visible()
    button.click()
    assert page.evaluate("navigator.clipboard.readText()") == BASE_URL + "topics/retrieval/feed.json"
    assert button.inner_text() == "Copied"
    assert page.locator("#feed-copy-status").inner_text() == "Address copied."
    context.close()


def feed_urls_of(page) -> list[str]:
    return page.eval_on_selector_all("input.feed-url", "boxes => boxes.map(box => box.value)")


def test_feeds_page_without_javascript_shows_every_address(browser, sample_server, sample_site):
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(sample_server + "feeds/")
    assert feed_urls_of(page) == feed_urls(sample_site)
    assert page.locator("button.feed-copy").first.is_hidden()  # nothing to press that would do nothing
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_sitemap_and_topic_pages_name_the_feeds(sample_site):
    assert "<loc>http://127.0.0.1:8000/feeds/</loc>" in (sample_site / "sitemap.xml").read_text(encoding="utf-8")
    topic = (sample_site / "topics/retrieval/index.html").read_text(encoding="utf-8")
    assert '<a href="../../topics/retrieval/feed.json">JSON Feed</a>' in topic
