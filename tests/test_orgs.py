"""Organisation pages: slugs without collisions, each organisation's papers by score, the index, widths."""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from paperwire.pipeline import build
from paperwire.records import Details, Organization, Paper
from paperwire.render.org_pages import org_slugs, org_url

from .helpers import check_fits, check_html, ROOT, StaticServer, make_content

SITE_YAML = """\
title: Orgs
base_url: https://papers.example/
trending:
  per_page: 2
"""


def _item(arxiv_id: str, title: str, upvotes: int, org: tuple[str, str] | None) -> dict:
    paper = {"id": arxiv_id, "title": title, "upvotes": upvotes, "authors": [{"name": "A. Author"}],
             "summary": f"We present {title.lower()} and show that it works on many benchmarks.",
             "publishedAt": "2026-06-10T12:00:00.000Z", "submittedOnDailyAt": "2026-06-12T08:00:00.000Z"}
    item = {"paper": paper, "title": title, "publishedAt": "2026-06-10T12:00:00.000Z"}
    if org:
        item["organization"] = {"name": org[0], "fullname": org[1]}
    return item


ACME = ("acme", "Acme Research")
ITEMS = [
    _item("2606.00001", "Acme Small Paper", 3, ACME),
    _item("2606.00002", "Open Lab Paper", 40, ("open-lab", "Open Lab")),
    _item("2606.00003", "Acme Big Paper", 500, ACME),
    _item("2606.00004", "Other Open Lab Paper", 10, ("Open_Lab", "Open Lab (Berlin)")),
    _item("2606.00005", "Acme Middle Paper", 60, ACME),
    _item("2606.00006", "Zeta Paper", 1, ("zeta", "alpha institute")),
    _item("2606.00007", "Unaffiliated Paper", 90, None),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("orgs")
    fixture = (ROOT / "tests/fixtures/hf_daily_2026.json").read_text(encoding="utf-8")
    content = make_content(root, corpus={"hf/2026-06-12.json": json.dumps(ITEMS), "hf/2026-06-13.json": fixture},
                           site_yaml=SITE_YAML)
    build(content, root / "site", jobs=1)
    return root / "site"


def read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="paper-title"><a [^>]*>([^<]+)</a>', html)


def _paper(slug: str, handle: str | None) -> Paper:
    details = Details(organization=Organization(handle, handle.upper())) if handle else Details()
    return Paper(slug, slug, "", slug, "", (), details=details)


def test_colliding_handles_get_numbered_slugs_whatever_the_order():
    handles = ["Open_Lab", "open-lab", "OPEN LAB", "open-lab-2", "google", "???"]
    papers = [_paper(f"p{i}", handle) for i, handle in enumerate(handles)] + [_paper("none", None)]
    slugs = org_slugs(papers)
    # The handle equal to the slug keeps it; the others take suffixes in code-point order, past a taken one.
    assert slugs == {"OPEN LAB": "open-lab-3", "Open_Lab": "open-lab-4", "open-lab": "open-lab",
                     "open-lab-2": "open-lab-2", "google": "google", "???": slugs["???"]}
    assert re.fullmatch(r"org-[0-9a-f]{8}", slugs["???"])
    assert len(set(slugs.values())) == len(slugs)
    for seed in range(5):
        random.Random(seed).shuffle(papers)
        assert org_slugs(papers) == slugs


def test_org_url():
    slugs = {"open-lab": "open-lab", "Open_Lab": "open-lab-2"}
    assert org_url(Organization("Open_Lab", "Open Lab"), slugs) == "orgs/open-lab-2/"
    assert org_url(None, slugs) is None
    assert org_url(Organization("unknown", "Unknown"), slugs) is None


def test_each_organisation_lists_its_papers_by_trending_score(site):
    trending = [p["title"] for p in json.loads((site / "api/papers.json").read_text())]
    acme = titles(read(site, "orgs/acme")) + titles(read(site, "orgs/acme/page/2"))
    assert acme == [t for t in trending if t.startswith("Acme")]
    # By score, not upvotes: first on the day with 3 upvotes (10 + 1) beats third with 500 (5 + 4.48).
    assert acme == ["Acme Small Paper", "Acme Big Paper", "Acme Middle Paper"]
    page = read(site, "orgs/acme")
    assert "<title>Acme Research · Orgs</title>" in page and "<h1>Acme Research</h1>" in page
    assert '<a href="https://huggingface.co/acme">acme on Hugging Face</a>' in page
    assert 'rel="next" href="../../orgs/acme/page/2/"' in page
    assert '<li class="paper" value="3">' in read(site, "orgs/acme/page/2")


def test_colliding_handles_get_two_pages(site):
    assert titles(read(site, "orgs/open-lab")) == ["Open Lab Paper"]
    assert titles(read(site, "orgs/open-lab-2")) == ["Other Open Lab Paper"]
    assert "<h1>Open Lab (Berlin)</h1>" in read(site, "orgs/open-lab-2")


def test_index_by_paper_count_then_name(site):
    index = read(site, "orgs")
    rows = re.findall(r'<li><a href="\.\./(orgs/[^"]+)">([^<]+)</a> <span class="count">(\d+) papers?</span>', index)
    assert rows == [("orgs/acme/", "Acme Research", "3"), ("orgs/zeta/", "alpha institute", "1"),
                    ("orgs/google/", "Google", "1"), ("orgs/open-lab/", "Open Lab", "1"),
                    ("orgs/open-lab-2/", "Open Lab (Berlin)", "1"), ("orgs/openlab/", "openlab", "1")]
    assert sorted(p.name for p in (site / "orgs").iterdir() if p.is_dir()) == sorted(
        url.split("/")[1] for url, _, _ in rows)
    assert 'href="./orgs/">Organisations</a>' in read(site, "")


def test_sitemap_lists_organisations(site):
    tree = ET.parse(site / "sitemap.xml")
    locs = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert [loc for loc in locs if "/orgs/" in loc] == [f"https://papers.example/orgs/{slug}" for slug in (
        "", "acme/", "google/", "open-lab/", "open-lab-2/", "openlab/", "zeta/")]


def test_a_corpus_without_organisations_has_no_org_pages(sample_site):
    assert not (sample_site / "orgs").exists()
    assert "/orgs/" not in (sample_site / "sitemap.xml").read_text()


NEW_PAGES = ("orgs/", "orgs/acme/", "orgs/acme/page/2/", "orgs/open-lab-2/", "")


def test_org_pages_pass_the_nu_html_checker(site):
    check_html(*(str(site / path / "index.html") for path in NEW_PAGES), str(site / "static/style.css"))


@pytest.fixture(scope="module")
def server(site):
    with StaticServer(site) as running:
        yield running.url


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("path", NEW_PAGES)
def test_org_pages_fit_the_browser(browser, server, path, width):
    check_fits(browser, server + path, width)


def test_org_navigation_in_the_browser(page, server):
    page.goto(server)
    page.get_by_role("link", name="Organisations").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Organisations"
    page.get_by_role("link", name="Acme Research").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Acme Research"
    assert page.locator("li.paper").count() == 2
