"""Paper pages and list entries show what sources know, why a paper trends, and where it was seen."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from paperwire.pipeline import build
from paperwire.render.views import short_count

from .helpers import make_content

FIXTURES = Path(__file__).parent / "fixtures"
ABSTRACT = "We propose a method and show it works well on many benchmarks. " * 6


@pytest.fixture(scope="module")
def hf_site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hf")
    content = make_content(tmp, corpus={
        "hf-daily/2026-06-12.json": (FIXTURES / "hf_daily_2026.json").read_text(encoding="utf-8"),
        "scraped/page.txt": f"Jun 11, 2026\nA Paper Known Only By Its Title\n{ABSTRACT}\n",
    })
    build(content, tmp / "site", jobs=1)
    return tmp / "site"


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def slug_of(site: Path, arxiv_id: str) -> str:
    papers = json.loads((site / "api/papers.json").read_text(encoding="utf-8"))
    return next(p["url"] for p in papers if p["arxiv_id"] == arxiv_id)


def test_paper_page_shows_code_org_links_and_ai_summary(hf_site):
    html = page(hf_site, slug_of(hf_site, "2606.08123"))
    assert '<a class="code" href="https://github.com/meitanaka/sparse-routers">Code <span class="stars">★ 86.1k</span>' in html
    assert '<a href="https://sparse-routers.github.io/">Project page</a>' in html
    assert '<a href="../../orgs/google/">Google</a>' in html
    assert '<a href="https://huggingface.co/papers/2606.08123">Hugging Face</a>' in html
    assert '<a href="https://huggingface.co/papers/2606.08123#community">Discussion (4 comments)</a>' in html
    assert "AI-generated summary" in html and "retrieval heads</li>" in html
    thumb = re.search(r'<img class="thumbnail"[^>]*>', html)[0]
    assert all(attr in thumb for attr in ('loading="lazy"', 'width="1200"', 'height="630"', 'alt=""'))
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1])
    assert ld["codeRepository"] == "https://github.com/meitanaka/sparse-routers"
    assert ld["sourceOrganization"] == {"@type": "Organization", "name": "Google"}
    assert ld["author"][0]["affiliation"]["name"] == "Google"
    assert '<meta name="citation_author_institution" content="Google">' in html


def test_unsafe_urls_never_reach_a_page(hf_site):
    html = page(hf_site, slug_of(hf_site, "2606.07001"))
    assert "javascript:" not in html
    assert '<a class="code" href="https://github.com/analima/manual-agents">Code <span class="stars">★ 312</span>' in html


def test_a_paper_without_arxiv_id_links_to_an_arxiv_search(hf_site):
    html = page(hf_site, "papers/a-paper-known-only-by-its-title/")
    assert ('<a href="https://arxiv.org/search/?query=A+Paper+Known+Only+By+Its+Title&amp;searchtype=title">'
            "Find on arXiv</a>") in html
    assert "huggingface.co/papers" not in html


def test_seen_on_names_sources_never_files(hf_site):
    html = page(hf_site, slug_of(hf_site, "2606.08123"))
    assert re.search(r"<li>Hugging Face daily papers · <a [^>]*><time datetime=\"2026-06-12\">2026-06-12</time></a>"
                     r" · #1</li>", html)
    scraped = page(hf_site, "papers/a-paper-known-only-by-its-title/")
    assert "trending page · " in scraped
    for path in hf_site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "2026-06-12.json" not in text and "page.txt" not in text, path


def test_history_chart_has_a_text_alternative(tmp_path):
    content = make_content(tmp_path, corpus={
        "a.txt": f"Mar 11, 2025\nFirst Paper\n{ABSTRACT}\nRising Paper\n{ABSTRACT}\n",
        "b.txt": f"Mar 14, 2025\nRising Paper\n{ABSTRACT}\n"})
    build(content, tmp_path / "site", jobs=1)
    html = page(tmp_path / "site", "papers/rising-paper/")
    svg = re.search(r"<svg[^>]*>", html)[0]
    assert 'role="img"' in svg and 'aria-labelledby="history-caption"' in svg
    assert ('<figcaption id="history-caption">Seen 2 times from 2025-03-11 to 2025-03-14: '
            "#2 on 2025-03-11, #1 on 2025-03-14.") in html
    # Day across (first day left, last right), first place on top.
    assert re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', html) == [("8.0", "64.0"), ("312.0", "8.0")]
    # One sighting says all there is in the list below: no chart.
    assert "<svg" not in page(tmp_path / "site", "papers/first-paper/")


def test_list_entries_explain_their_score(hf_site):
    papers = json.loads((hf_site / "api/papers.json").read_text(encoding="utf-8"))
    home = (hf_site / "index.html").read_text(encoding="utf-8")
    whys = re.findall(r'<details class="why">\s*<summary>Score ([\d.]+): why it trends</summary>(.*?)</details>',
                      home, re.S)
    assert [float(total) for total, _ in whys] == [round(p["score"], 2) for p in papers]
    for (total, body), paper in zip(whys, papers):
        parts = [float(x) for x in re.findall(r"<strong>([\d.]+)</strong>", body)]
        assert sum(parts) == pytest.approx(float(total), abs=0.02), paper["title"]
    first = whys[0][1]
    assert "#1: 10 × recency 1.00 (0 days old, half-life 3) × position 1.00 = <strong>10.00</strong>" in first
    assert "142 upvotes: 0.5 × log2(1 + 142) = <strong>" in first
    # The paper page shows what changes only with the paper's own data: no score, no breakdown.
    assert "why it trends" not in page(hf_site, slug_of(hf_site, "2606.08123"))


def test_list_entries_show_code_and_org(hf_site):
    home = (hf_site / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://github.com/meitanaka/sparse-routers">Code ★ 86.1k</a>' in home
    assert '<a href="./orgs/google/">Google</a>' in home


def test_paper_page_is_reused_after_a_new_day(tmp_path):
    content = make_content(tmp_path, corpus={
        "hf-daily/2026-06-12.json": (FIXTURES / "hf_daily_2026.json").read_text(encoding="utf-8")})
    out = tmp_path / "site"
    build(content, out, jobs=1)
    slug = slug_of(out, "2606.08123")
    before = (out / slug / "index.html").read_bytes()
    inode = (out / slug / "index.html").stat().st_ino
    other = "Protein structures are predicted from sequences by a folding network. " * 5
    (content / "corpus/scraped.txt").write_text(f"Jun 13, 2026\nA New Day's Paper\n{other}\n", encoding="utf-8")
    result = build(content, out, jobs=1)
    assert result.pages_reused >= 1
    # The scores moved, and this page shows none of them: linked from the last build, not rendered.
    assert (out / slug / "index.html").stat().st_ino == inode
    assert (out / slug / "index.html").read_bytes() == before


@pytest.mark.parametrize("n, text", [(0, "0"), (312, "312"), (999, "999"), (1000, "1k"), (8650, "8.7k"),
                                     (86100, "86.1k"), (1_250_000, "1.2M")])
def test_short_count(n, text):
    assert short_count(n) == text
