"""Tests for paperwire.render.feeds: validity, order, links, reproducibility, hostile text."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import feedparser
import pytest
import yaml

from paperwire.config import config_from
from paperwire.pipeline import build
from paperwire.records import Paper, Sighting, Topic
from paperwire.render.feeds import render_feeds
from paperwire.render.site import SiteData

from .helpers import SAMPLE_CONTENT, make_content

BASE_URL = "http://127.0.0.1:8000/"  # content/site.yaml
SITE_TITLE = "paperwire"
ITEMS = 50  # feeds.items in content/site.yaml

# Titles that must survive into feeds as readable text, never as markup.
HOSTILE_TITLES = (
    "Attack <script>alert(1)</script> on feed readers",
    "Closing ]]> sections early in CDATA",
    "Control \x01\x08 characters in a title",
    "Bidi \u202eoverride\u202c and zero\u200bwidth\u200d joiners",
    "Emoji 🚀🧪 in a title",
    "Literal &amp; entity and <b>bold</b> markup",
)
HOSTILE_ABSTRACT = ("We study how <script>alert(2)</script> and ]]> and \x1f control characters travel "
                    "through a pipeline. " + "The results hold for every reader we tried. " * 8)


def trending_page(date_line: str, titles: tuple[str, ...], abstract: str) -> str:
    """Return a scraped trending page listing ``titles`` under ``date_line``."""
    entries = "".join(f"{title}\n\n{abstract}\n\n" for title in titles)
    return f"Get trending papers in your email inbox!\n\nSubscribe\n\n{date_line}\n\n{entries}"


def feed_files(site: Path) -> list[Path]:
    """Return every RSS and Atom file of a built site."""
    return sorted([site / "feed.xml", site / "atom.xml", *site.glob("topics/*/feed.xml"),
                   *site.glob("topics/*/atom.xml")])


def papers_json(site: Path) -> list[dict]:
    return json.loads((site / "api" / "papers.json").read_text(encoding="utf-8"))


def expected_order(papers: list[dict]) -> list[dict]:
    """Sort like the feeds: last seen (newest first), score (highest first), slug."""
    newest = max(p["last_seen"] for p in papers if p["last_seen"])
    # Undated papers count as seen on the newest day; ISO dates sort as strings.
    by_slug = sorted(papers, key=lambda p: p["slug"])
    by_score = sorted(by_slug, key=lambda p: p["score"], reverse=True)
    return sorted(by_score, key=lambda p: p["last_seen"] or newest, reverse=True)


def slug_of(link: str) -> str:
    assert link.startswith(BASE_URL + "papers/") and link.endswith("/"), link
    return link[len(BASE_URL + "papers/"):-1]


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def topic_slugs() -> list[str]:
    topics = yaml.safe_load((SAMPLE_CONTENT / "topics.yaml").read_text(encoding="utf-8"))["topics"]
    return [t["slug"] for t in topics]


def expected_feeds(site: Path) -> list[tuple[str, list[dict]]]:
    """Return (folder, expected items) for the site feed and every topic feed."""
    ordered = expected_order(papers_json(site))
    slugs = topic_slugs() + (["other"] if any("other" in p["topics"] for p in ordered) else [])
    feeds = [("", ordered[:ITEMS])]
    feeds += [(f"topics/{slug}/", [p for p in ordered if slug in p["topics"]][:ITEMS]) for slug in slugs]
    return feeds


def test_sample_has_one_rss_and_one_atom_feed_per_page(sample_site):
    folders = [folder for folder, _ in expected_feeds(sample_site)]
    expected = sorted(sample_site / folder / name for folder in folders for name in ("feed.xml", "atom.xml"))
    assert feed_files(sample_site) == expected
    assert len(expected) == 2 * (len(topic_slugs()) + 1)


def test_every_sample_feed_is_valid(sample_site):
    for path in feed_files(sample_site):
        parsed = parse(path)
        assert parsed.version == ("rss20" if path.name == "feed.xml" else "atom10"), path


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_items_are_newest_first_and_capped(sample_site, name):
    for folder, papers in expected_feeds(sample_site):
        entries = parse(sample_site / folder / name).entries
        assert [slug_of(e.link) for e in entries] == [p["slug"] for p in papers], folder + name
        assert len(entries) <= ITEMS
    assert len(parse(sample_site / name).entries) == ITEMS  # the sample has more papers than that


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_items_match_the_built_papers(sample_site, name):
    papers = {p["slug"]: p for p in papers_json(sample_site)}
    newest = max(p["last_seen"] for p in papers.values() if p["last_seen"])
    for path in feed_files(sample_site):
        if path.name != name:
            continue
        for entry in parse(path).entries:
            paper = papers[slug_of(entry.link)]
            assert entry.title == paper["title"]
            assert html.unescape(entry.summary) == paper["abstract"]
            assert entry.id == entry.link == BASE_URL + paper["url"]
            assert (sample_site / paper["url"] / "index.html").is_file()
            published = dt.date(*entry.published_parsed[:3])
            assert published.isoformat() == (paper["first_seen"] or newest)
            assert entry.published_parsed[3:6] == (0, 0, 0)
            terms = [tag.term if name == "atom.xml" else tag.label or tag.term for tag in entry.tags]
            if name == "atom.xml":
                assert terms == paper["topics"]
            else:
                assert len(terms) == len(paper["topics"])


def test_rss_guid_is_the_permalink(sample_site):
    xml = (sample_site / "feed.xml").read_text(encoding="utf-8")
    first = parse(sample_site / "feed.xml").entries[0]
    assert f'<guid isPermaLink="true">{first.link}</guid>' in xml


@pytest.mark.parametrize(("name", "media_type"), [("feed.xml", "application/rss+xml"),
                                                  ("atom.xml", "application/atom+xml")])
def test_channel_links_to_its_page_and_to_itself(sample_site, name, media_type):
    for folder, _ in expected_feeds(sample_site):
        feed = parse(sample_site / folder / name).feed
        assert feed.link == BASE_URL + folder
        selfs = [link for link in feed.links if link.rel == "self"]
        assert [(link.href, link.type) for link in selfs] == [(BASE_URL + folder + name, media_type)]
        assert feed.title == SITE_TITLE if not folder else feed.title.startswith(SITE_TITLE + " — ")
        assert feed.language == "en"
        assert feed.subtitle


def test_feed_dates_come_from_the_corpus(sample_site):
    newest = max(p["last_seen"] for p in papers_json(sample_site) if p["last_seen"])
    for name, field in (("feed.xml", "<lastBuildDate>"), ("atom.xml", "<updated>")):
        feed = parse(sample_site / name).feed
        assert dt.date(*feed.updated_parsed[:3]).isoformat() == newest
        assert field.encode() in (sample_site / name).read_bytes()
    for path in feed_files(sample_site):
        assert b"python-feedgen" not in path.read_bytes()


def test_topic_feeds_hold_only_their_topic(sample_site):
    papers = {p["slug"]: p for p in papers_json(sample_site)}
    for folder, _ in expected_feeds(sample_site)[1:]:
        slug = folder.split("/")[1]
        for name in ("feed.xml", "atom.xml"):
            entries = parse(sample_site / folder / name).entries
            assert all(slug in papers[slug_of(e.link)]["topics"] for e in entries), folder + name


def test_feeds_are_byte_identical_across_builds(sample_site, tmp_path):
    again = tmp_path / "site"
    build(SAMPLE_CONTENT, again)
    assert [p.relative_to(again) for p in feed_files(again)] == [p.relative_to(sample_site)
                                                                  for p in feed_files(sample_site)]
    for path in feed_files(sample_site):
        assert (again / path.relative_to(sample_site)).read_bytes() == path.read_bytes(), path


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    content = make_content(tmp, corpus={"hostile.txt": trending_page("Mar 11", HOSTILE_TITLES, HOSTILE_ABSTRACT)})
    build(content, tmp / "site")
    return tmp / "site"


def test_hostile_text_gives_valid_feeds_with_clean_titles(hostile_site):
    papers = {p["slug"]: p for p in papers_json(hostile_site)}
    assert len(papers) == len(HOSTILE_TITLES)
    for path in feed_files(hostile_site):
        raw = path.read_bytes()
        assert b"<script" not in raw and b"\x01" not in raw and b"\x1f" not in raw, path
        for entry in parse(path).entries:
            paper = papers[slug_of(entry.link)]
            assert entry.title == paper["title"]
            assert html.unescape(entry.summary) == paper["abstract"]
    titles = {entry.title for entry in parse(hostile_site / "atom.xml").entries}
    assert "Attack <script>alert(1)</script> on feed readers" in titles
    assert "Control characters in a title" in titles
    assert "Emoji 🚀🧪 in a title" in titles
    assert "Literal &amp; entity and <b>bold</b> markup" in titles


def test_empty_topics_get_valid_empty_feeds(hostile_site):
    assert all(p["topics"] == ["other"] for p in papers_json(hostile_site))
    for slug in topic_slugs():
        for name in ("feed.xml", "atom.xml"):
            parsed = parse(hostile_site / "topics" / slug / name)
            assert parsed.entries == []
            assert parsed.feed.link == f"{BASE_URL}topics/{slug}/"
    assert len(parse(hostile_site / "topics" / "other" / "atom.xml").entries) == len(HOSTILE_TITLES)


def test_feed_length_follows_config(tmp_path):
    titles = tuple(f"Paper number {n} about nothing in particular" for n in range(6))
    site_yaml = (SAMPLE_CONTENT / "site.yaml").read_text(encoding="utf-8").replace("items: 50", "items: 4")
    content = make_content(tmp_path, corpus={"page.txt": trending_page("Mar 12", titles, HOSTILE_ABSTRACT)},
                           site_yaml=site_yaml)
    build(content, tmp_path / "site")
    for name in ("feed.xml", "atom.xml", "topics/other/feed.xml", "topics/other/atom.xml"):
        assert len(parse(tmp_path / "site" / name).entries) == 4, name


def test_other_feed_is_absent_when_every_paper_has_a_topic(sample_site):
    if any("other" in p["topics"] for p in papers_json(sample_site)):
        pytest.skip("the sample has unclassified papers")
    assert not (sample_site / "topics" / "other").exists()


def test_authors_reach_both_formats():
    sighting = Sighting("page.txt", 1, dt.date(2025, 3, 11), 1, "A paper", "An abstract.")
    paper = Paper(slug="a-paper", title="A paper", abstract="An abstract.", raw_title="A paper",
                  raw_abstract="An abstract.", sightings=(sighting,), authors=("Ada Lovelace", "Alan\x01 Turing"),
                  topics=("math",))
    topic = Topic("math", "Mathematics", "Numbers.", phrases=("number",))
    data = SiteData(config=config_from(), topics=(topic,), papers=(paper,), related={}, pages=())
    files = dict(render_feeds(data))
    assert sorted(files) == sorted(f"{folder}{name}" for folder in ("", "weeks/", "months/", "topics/math/")
                                   for name in ("feed.xml", "atom.xml", "feed.json"))
    for name, body in files.items():
        if name.endswith(".json"):
            continue  # tests/test_json_feed.py
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, name
        assert [a.name for a in parsed.entries[0].authors] == ["Ada Lovelace", "Alan Turing"], name
    assert b"<dc:creator>Ada Lovelace</dc:creator>" in files["feed.xml"]


def test_an_empty_site_still_has_valid_feeds():
    data = SiteData(config=config_from(), topics=(), papers=(), related={}, pages=())
    files = {name: body for name, body in render_feeds(data) if not name.endswith(".json")}
    assert sorted(files) == ["atom.xml", "feed.xml", "months/atom.xml", "months/feed.xml",
                             "weeks/atom.xml", "weeks/feed.xml"]
    for body in files.values():
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0 and parsed.entries == []
        assert parsed.feed.updated_parsed[:3] == (1970, 1, 1)


def every_feed_file(site: Path) -> list[Path]:
    """Return every feed of a built site in every format, the week's and month's too."""
    return sorted(path for name in ("feed.xml", "atom.xml", "feed.json") for path in site.rglob(name))


def test_window_feeds_hold_the_latest_window_by_its_score(sample_site):
    from paperwire.pipeline import gather
    from paperwire.windows import rank_windows

    data = gather(SAMPLE_CONTENT)
    for kind, folder in (("week", "weeks/"), ("month", "months/")):
        window, ranked = list(rank_windows(data.papers, kind, data.config.trending).items())[-1]
        expected = [r.slug for r in ranked[:ITEMS]]
        for name in ("feed.xml", "atom.xml"):
            parsed = parse(sample_site / folder / name)
            assert [slug_of(e.link) for e in parsed.entries] == expected, folder + name
            assert parsed.feed.link == BASE_URL + window.url  # the window's own page
            assert parsed.feed.title == f"{SITE_TITLE} — latest {kind}"
            assert window.label in parsed.feed.subtitle
            selfs = [link.href for link in parsed.feed.links if link.rel == "self"]
            assert selfs == [BASE_URL + folder + name]  # a stable URL, whichever window is the latest


def test_feeds_of_every_format_are_byte_identical_across_builds(sample_site, tmp_path):
    again = tmp_path / "site"
    build(SAMPLE_CONTENT, again, jobs=1)
    files = every_feed_file(sample_site)
    assert len(files) == 3 * (len(expected_feeds(sample_site)) + 2)
    assert [p.relative_to(again) for p in every_feed_file(again)] == [p.relative_to(sample_site) for p in files]
    for path in [*files, sample_site / "feeds.opml", sample_site / "feeds" / "index.html"]:
        assert (again / path.relative_to(sample_site)).read_bytes() == path.read_bytes(), path


def arxiv_site(*papers: Paper) -> dict[str, bytes]:
    topic = Topic("math", "Mathematics", "Numbers.", phrases=("number",))
    data = SiteData(config=config_from(base_url="https://papers.example/"), topics=(topic,), papers=papers,
                    related={}, pages=())
    return dict(render_feeds(data))


def arxiv_paper(slug: str, arxiv_id: str | None, title: str | None = None) -> Paper:
    title = title or slug.replace("-", " ")
    sighting = Sighting("page.txt", 1, dt.date(2025, 3, 11), 1, title, "An abstract.")
    return Paper(slug=slug, title=title, abstract="An abstract.", raw_title=title, raw_abstract="An abstract.",
                 sightings=(sighting,), arxiv_id=arxiv_id, topics=("math",))


def test_item_ids_are_arxiv_urls_without_version_else_the_page():
    files = arxiv_site(arxiv_paper("known", "2410.05258v2"), arxiv_paper("old-style", "hep-th/9901001"),
                       arxiv_paper("unknown", None))
    expected = {"known": "https://arxiv.org/abs/2410.05258", "old-style": "https://arxiv.org/abs/hep-th/9901001",
                "unknown": "https://papers.example/papers/unknown/"}
    for name in ("feed.xml", "atom.xml", "topics/math/feed.xml", "topics/math/atom.xml"):
        parsed = feedparser.parse(files[name])
        assert parsed.bozo == 0, name
        ids = {e.link.split("/")[-2]: e.id for e in parsed.entries}
        assert ids == expected, name
        assert all(e.link == f"https://papers.example/papers/{e.link.split('/')[-2]}/" for e in parsed.entries)
    for name in ("feed.json", "topics/math/feed.json"):
        items = json.loads(files[name])["items"]
        assert {item["url"].split("/")[-2]: item["id"] for item in items} == expected, name
    rss = files["feed.xml"].decode()
    assert '<guid isPermaLink="false">https://arxiv.org/abs/2410.05258</guid>' in rss
    assert '<guid isPermaLink="true">https://papers.example/papers/unknown/</guid>' in rss


def test_an_item_keeps_its_id_when_its_title_and_slug_change():
    before = arxiv_site(arxiv_paper("a-first-title", "2410.05258"))
    after = arxiv_site(arxiv_paper("a-better-title", "2410.05258v3", title="A better title"))
    for name in ("feed.xml", "atom.xml"):
        assert feedparser.parse(before[name]).entries[0].id == feedparser.parse(after[name]).entries[0].id
    assert json.loads(before["feed.json"])["items"][0]["id"] == json.loads(after["feed.json"])["items"][0]["id"]


def test_window_feeds_rank_like_the_whole_corpus():
    """Feeds rank only the papers seen in the latest window: the same list as ranking every window."""
    from paperwire.config import TrendingConfig
    from paperwire.windows import rank_windows

    start = dt.date(2025, 2, 20)
    papers = []
    for n in range(60):  # seen on days spread over two months, some only long ago, ties included
        days = [start + dt.timedelta(days=(n * 7 + k * 11) % 40) for k in range(1 + n % 3)]
        sightings = tuple(Sighting("page.txt", 1, day, 1 + (n + k) % 5, f"P{n}", "An abstract.")
                          for k, day in enumerate(days))
        papers.append(Paper(slug=f"paper-{n:02d}", title=f"Paper {n}", abstract="An abstract.", raw_title=f"P{n}",
                            raw_abstract="An abstract.", sightings=sightings, upvotes=n % 4 or None))
    data = SiteData(config=config_from(feeds={"items": 10}), topics=(), papers=tuple(papers), related={}, pages=())
    files = dict(render_feeds(data))
    for kind, folder in (("week", "weeks/"), ("month", "months/")):
        window, ranked = list(rank_windows(papers, kind, TrendingConfig()).items())[-1]
        items = json.loads(files[folder + "feed.json"])["items"]
        assert [item["url"].split("/")[-2] for item in items] == [r.slug for r in ranked[:10]], kind
