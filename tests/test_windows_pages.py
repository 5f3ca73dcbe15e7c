"""Week and month pages: which window a paper lands in, their ranking, links, indexes, validity, widths."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from paperwire.pipeline import build
from paperwire.render.window_pages import window_link
from paperwire.windows import month_of, week_of

from .helpers import check_fits, check_html, StaticServer, make_content

SITE_YAML = """\
title: Windows
base_url: https://papers.example/
default_year: 2026
trending:
  half_life_days: 3
  per_page: 2
"""


def _abstract(word: str) -> str:
    return f"We study {word} in depth and report results on many benchmarks. " * 5


def _page(day: str, *titles: str) -> str:
    return day + "\n" + "".join(f"{title}\n{_abstract(title.split()[0].lower())}\n" for title in titles)


# Mon 8 June and Sun 14 June 2026 are ISO week 24, Mon 15 June week 25; nothing in week 26;
# Tue 30 June and Wed 1 July are both in week 27 but in two months.
CORPUS = {
    "a.txt": _page("Jun 8, 2026", "Alpha Paper", "Beta Paper"),
    "b.txt": _page("Jun 14, 2026", "Beta Paper"),
    "c.txt": _page("Jun 15, 2026", "Gamma Paper", "Alpha Paper"),
    "d.txt": _page("Jun 30, 2026", "Epsilon Paper"),
    "e.txt": _page("Jul 1, 2026", "Alpha Paper", "Delta Paper"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("windows")
    content = make_content(root, corpus=CORPUS, site_yaml=SITE_YAML)
    build(content, root / "site", jobs=1)
    return root / "site"


def read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="paper-title"><a [^>]*>([^<]+)</a>', html)


def window_scores(html: str) -> list[str]:
    return re.findall(r'<p class="window-score">Score this (?:week|month): <strong>([0-9.]+)</strong>', html)


def folders(site: Path, name: str) -> list[str]:
    return sorted(p.name for p in (site / name).iterdir() if p.is_dir())


def listed(site: Path, path: str) -> list[str]:
    """Return the titles on every page of the list at ``path``."""
    pages = [site / path / "index.html", *sorted((site / path / "page").glob("*/index.html"))]
    return [title for page in pages for title in titles(page.read_text(encoding="utf-8"))]


def test_sightings_land_in_their_iso_weeks_and_months(site):
    assert folders(site, "weeks") == ["2026-W24", "2026-W25", "2026-W27"]
    assert folders(site, "months") == ["2026-06", "2026-07"]
    # Sunday 14 June closes week 24; Monday 15 June opens week 25.
    assert sorted(listed(site, "weeks/2026-W24")) == ["Alpha Paper", "Beta Paper"]
    assert sorted(listed(site, "weeks/2026-W25")) == ["Alpha Paper", "Gamma Paper"]
    # Week 27 spans two months: 30 June is in June's list, 1 July in July's.
    assert sorted(listed(site, "weeks/2026-W27")) == ["Alpha Paper", "Delta Paper", "Epsilon Paper"]
    assert sorted(listed(site, "months/2026-06")) == ["Alpha Paper", "Beta Paper", "Epsilon Paper", "Gamma Paper"]
    assert sorted(listed(site, "months/2026-07")) == ["Alpha Paper", "Delta Paper"]


def test_titles_name_the_window(site):
    assert "<title>Week 24, 2026 (8–14 June) · Windows</title>" in read(site, "weeks/2026-W24")
    week27 = read(site, "weeks/2026-W27")
    assert '<h1><time datetime="2026-W27">Week 27, 2026 (29 June – 5 July)</time></h1>' in week27
    assert '<h1><time datetime="2026-06">June 2026</time></h1>' in read(site, "months/2026-06")


def test_a_window_ranks_by_its_own_sightings_and_shows_that_score(site):
    week = read(site, "weeks/2026-W24")
    # Counted from Sunday 14 June: Beta (2nd on Monday, 1st on Sunday) 10 × (0.25 × 0.63 + 1),
    # Alpha (1st on Monday, six days before) 10 × 0.25; on the home page Alpha, seen on 1 July, leads.
    assert titles(week) == ["Beta Paper", "Alpha Paper"]
    assert window_scores(week) == ["11.58", "2.50"]
    trending = [p["title"] for p in json.loads((site / "api/papers.json").read_text())]
    assert trending.index("Alpha Paper") < trending.index("Beta Paper")
    # Week 25 is closed too: counted from Sunday 21 June, not from the corpus's newest day.
    assert window_scores(read(site, "weeks/2026-W25")) == ["2.50", "1.58"]
    # The running week counts from the newest day, 1 July: Epsilon, first on 30 June, is a day old.
    assert listed(site, "weeks/2026-W27") == ["Alpha Paper", "Epsilon Paper", "Delta Paper"]
    assert window_scores(read(site, "weeks/2026-W27")) == ["10.00", "7.94"]
    assert window_scores(read(site, "weeks/2026-W27/page/2")) == ["6.31"]


def test_windows_paginate_like_other_lists(site):
    first, second = read(site, "months/2026-06"), read(site, "months/2026-06/page/2")
    assert len(titles(first)) == len(titles(second)) == 2
    assert '<li class="paper" value="3">' in second
    assert 'rel="next" href="../../months/2026-06/page/2/"' in first
    assert 'rel="prev" href="../../../../months/2026-06/"' in second
    assert len(window_scores(second)) == 2
    assert not (site / "months/2026-06/page/3").exists()


def test_previous_and_next_skip_empty_windows(site):
    def neighbours(html: str) -> tuple[str | None, str | None]:
        nav = re.search(r'<nav class="pager window-pager" aria-label="(?:Weeks|Months)">(.*?)</nav>', html, re.S)[1]
        prev, nxt = re.search(r'rel="prev" href="([^"]+)"', nav), re.search(r'rel="next" href="([^"]+)"', nav)
        return (prev[1] if prev else None), (nxt[1] if nxt else None)
    assert neighbours(read(site, "weeks/2026-W24")) == (None, "../../weeks/2026-W25/")
    assert neighbours(read(site, "weeks/2026-W25")) == ("../../weeks/2026-W24/", "../../weeks/2026-W27/")
    assert neighbours(read(site, "weeks/2026-W27")) == ("../../weeks/2026-W25/", None)
    assert neighbours(read(site, "weeks/2026-W27/page/2")) == ("../../../../weeks/2026-W25/", None)
    assert neighbours(read(site, "months/2026-06")) == (None, "../../months/2026-07/")
    # Beside a window of the same year, the links leave the year out.
    assert ">Week 25 →</a>" in read(site, "weeks/2026-W24")
    assert ">← June</a>" in read(site, "months/2026-07")


def test_neighbour_labels_name_the_year_across_years():
    new_year, december = week_of(dt.date(2026, 1, 1)), week_of(dt.date(2025, 12, 20))
    assert window_link(new_year, december).short == "Week 1, 2026"
    assert window_link(december, new_year).short == "Week 51, 2025"
    assert window_link(new_year, week_of(dt.date(2026, 1, 8))).short == "Week 1"
    assert window_link(month_of(dt.date(2025, 12, 1)), month_of(dt.date(2026, 1, 1))).short == "December 2025"
    assert window_link(month_of(dt.date(2026, 2, 1)), month_of(dt.date(2026, 1, 1))).short == "February"


def test_indexes_list_windows_newest_first_with_counts(site):
    weeks = read(site, "weeks")
    assert re.findall(r'href="\.\./(weeks/[^"]+)"><time[^>]*>[^<]+</time></a> <span class="count">(\d+) papers?',
                      weeks) == [("weeks/2026-W27/", "3"), ("weeks/2026-W25/", "2"), ("weeks/2026-W24/", "2")]
    months = read(site, "months")
    assert re.findall(r'href="\.\./(months/[^"]+)"><time datetime="([^"]+)">([^<]+)</time></a> '
                      r'<span class="count">(\d+) papers?', months) == [
        ("months/2026-07/", "2026-07", "July 2026", "2"), ("months/2026-06/", "2026-06", "June 2026", "4")]
    assert 'href="../weeks/" aria-current="page">Weeks</a>' in weeks


def test_window_pages_offer_the_latest_windows_feeds(site):
    weeks = read(site, "weeks")
    assert 'type="application/rss+xml" title="Windows — latest week (RSS)" href="../weeks/feed.xml">' in weeks
    assert 'title="Windows — latest month (Atom)" href="../../months/atom.xml">' in read(site, "months/2026-06")
    assert (site / "weeks/feed.xml").is_file() and (site / "months/atom.xml").is_file()


def test_day_pages_link_their_week_and_month(site):
    sunday, monday = read(site, "days/2026-06-14"), read(site, "days/2026-06-15")
    assert 'href="../../weeks/2026-W24/">Week 24, 2026 (8–14 June)</a>' in sunday
    assert 'href="../../weeks/2026-W25/">Week 25, 2026 (15–21 June)</a>' in monday
    assert 'href="../../months/2026-06/">June 2026</a>' in sunday
    assert 'href="../../months/2026-07/">July 2026</a>' in read(site, "days/2026-07-01")
    assert 'href="../../months/2026-06/">June 2026</a>' in read(site, "days/2026-06-30")


def test_home_links_the_latest_week_and_month(site):
    for path in ("", "page/2"):
        home = read(site, path)
        assert 'weeks/2026-W27/">Week 27, 2026 (29 June – 5 July)</a>' in home
        assert 'months/2026-07/">July 2026</a>' in home
    assert 'href="./weeks/"' in read(site, "") and 'href="./months/"' in read(site, "")
    assert "Organisations" not in read(site, "")  # no source here names one


def test_sitemap_lists_window_pages_and_indexes(site):
    tree = ET.parse(site / "sitemap.xml")
    locs = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    windows = [loc for loc in locs if "/weeks/" in loc or "/months/" in loc]
    assert windows == [f"https://papers.example/{path}" for path in (
        "weeks/", "weeks/2026-W24/", "weeks/2026-W25/", "weeks/2026-W27/",
        "months/", "months/2026-06/", "months/2026-07/")]


def test_an_undated_corpus_has_empty_window_indexes(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Alpha Paper\n{_abstract('alpha')}\n"}, site_yaml=SITE_YAML)
    build(content, tmp_path / "site", jobs=1)
    assert "No dated papers yet." in read(tmp_path / "site", "weeks")
    assert folders(tmp_path / "site", "weeks") == []
    assert "Latest week" not in read(tmp_path / "site", "")


def test_window_pages_are_byte_identical_for_any_number_of_workers(tmp_path, site):
    content = make_content(tmp_path, corpus=dict(reversed(CORPUS.items())), site_yaml=SITE_YAML)
    build(content, tmp_path / "site", jobs=2)
    for folder in ("weeks", "months"):
        for page in sorted((site / folder).rglob("*.html")):
            assert page.read_bytes() == (tmp_path / "site" / page.relative_to(site)).read_bytes(), page


NEW_PAGES = ("weeks/", "weeks/2026-W24/", "weeks/2026-W27/page/2/", "months/", "months/2026-06/",
             "days/2026-06-14/", "")


def test_window_pages_pass_the_nu_html_checker(site):
    check_html(*(str(site / path / "index.html") for path in NEW_PAGES), str(site / "static/style.css"))


@pytest.fixture(scope="module")
def server(site):
    with StaticServer(site) as running:
        yield running.url


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("path", NEW_PAGES)
def test_window_pages_fit_the_browser(browser, server, path, width):
    check_fits(browser, server + path, width)


def test_window_navigation_in_the_browser(page, server):
    page.goto(server)
    page.get_by_role("link", name="Week 27, 2026 (29 June – 5 July)").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Week 27, 2026 (29 June – 5 July)"
    assert page.locator(".window-score").first.is_visible()
    page.locator('nav[aria-label="Weeks"] a[rel="prev"]').click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Week 25, 2026 (15–21 June)"
    page.get_by_role("link", name="All weeks").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Weeks"
    assert page.locator(".day-index li").count() == 3
