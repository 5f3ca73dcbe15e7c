"""The built sample site: pages, links, validity, metadata, overrides."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from paperwire.pipeline import build

from .helpers import check_html, make_content

BASE_URL = "http://127.0.0.1:8000/"
ABSTRACT = "We propose a new language model for retrieval and show strong gains on benchmarks. " * 5


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append(attrs[name])
        if tag == "script":
            self._script = attrs
            self.scripts.append((attrs, ""))
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            self.meta[attrs.get("name") or attrs.get("property")] = attrs.get("content", "")

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parse(path: Path) -> LinkParser:
    parser = LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def resolve(site: Path, page: Path, link: str) -> Path | None:
    """Return the file an internal link points to, or None for external links."""
    page_url = urljoin(BASE_URL, page.relative_to(site).as_posix())
    target = urldefrag(urljoin(page_url, link)).url
    if not target.startswith(BASE_URL):
        return None
    path = urlparse(target).path[len(urlparse(BASE_URL).path):]
    file = site / path
    return file / "index.html" if (path == "" or path.endswith("/")) else file


def test_every_paper_topic_and_day_has_a_page(sample_site):
    papers = json.loads((sample_site / "api/papers.json").read_text())
    for paper in papers:
        assert (sample_site / "papers" / paper["slug"] / "index.html").is_file()
        for topic in paper["topics"]:
            assert (sample_site / "topics" / topic / "index.html").is_file()
        for sighting in paper["sightings"]:
            if sighting["date"]:
                assert (sample_site / "days" / sighting["date"] / "index.html").is_file()
    days = sorted(p.name for p in (sample_site / "days").iterdir() if p.is_dir())
    assert days == ["2025-03-11", "2025-03-14"]
    other = sum(1 for p in papers if p["topics"] == ["other"])
    assert other <= 0.05 * len(papers)
    for name in ("index.html", "404.html", "sitemap.xml", "robots.txt", "topics/index.html",
                 "days/index.html", "about/index.html", "page/2/index.html"):
        assert (sample_site / name).is_file(), name


def test_no_broken_internal_links(sample_site):
    broken = []
    for page in html_files(sample_site):
        for link in parse(page).links:
            target = resolve(sample_site, page, link)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(sample_site)} -> {link}")
    assert broken == []


def test_home_is_paginated_by_30(sample_site):
    first = (sample_site / "index.html").read_text()
    assert first.count('class="paper"') == 30
    pages = sorted((sample_site / "page").iterdir())
    assert len(pages) == 10  # 326 papers: 11 pages in all
    last = (sample_site / "page/11/index.html").read_text()
    assert last.count('class="paper"') == 326 - 300


def test_nu_html_checker_finds_no_errors(sample_site):
    check_html("--root", str(sample_site))


def test_paper_page_metadata_and_size(sample_site):
    papers = json.loads((sample_site / "api/papers.json").read_text())
    for paper in papers:
        page = sample_site / paper["url"] / "index.html"
        assert page.stat().st_size < 30_000
    top = papers[0]
    parsed = parse(sample_site / top["url"] / "index.html")
    assert parsed.meta["citation_title"] == top["title"]
    assert parsed.meta["citation_publication_date"] == top["first_seen"].replace("-", "/")
    assert parsed.meta["og:title"] == top["title"]
    ld = [text for attrs, text in parsed.scripts if attrs.get("type") == "application/ld+json"]
    data = json.loads(ld[0])
    assert data["@type"] == "ScholarlyArticle" and data["name"] == top["title"]
    html = (sample_site / top["url"] / "index.html").read_text()
    assert html.count('class="related"') == 1 and "Related papers" in html


def test_feeds_are_linked_for_autodiscovery(sample_site):
    home = (sample_site / "index.html").read_text()
    assert 'type="application/rss+xml"' in home and 'type="application/atom+xml"' in home
    topic = (sample_site / "topics/retrieval/index.html").read_text()
    assert 'href="../../topics/retrieval/feed.xml"' in topic


def test_sitemap_lists_real_pages(sample_site):
    tree = ET.parse(sample_site / "sitemap.xml")
    locs = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locs) > 326
    for loc in locs:
        path = loc[len(BASE_URL):]
        assert (sample_site / path / "index.html").is_file(), loc
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in (sample_site / "robots.txt").read_text()


def test_hostile_title_cannot_break_out(tmp_path):
    title = 'Evil </script><script>alert("x")</script> & "quotes" \'single\' {{ 7*7 }}'
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\n{title}\n\n{ABSTRACT}\n"})
    build(content, tmp_path / "site")
    papers = json.loads((tmp_path / "site/api/papers.json").read_text())
    page = tmp_path / "site" / papers[0]["url"] / "index.html"
    html = page.read_text()
    assert "<script>alert" not in html and "{{ 7*7 }}" in html.replace("&#39;", "'") or "49" not in html
    parsed = parse(page)
    ld = [text for attrs, text in parsed.scripts if attrs.get("type") == "application/ld+json"]
    assert len(ld) == 1 and json.loads(ld[0])["name"] == papers[0]["title"]
    assert parsed.meta["citation_title"] == papers[0]["title"]
    assert [attrs.get("type") for attrs, _ in parsed.scripts] == ["application/ld+json"]


def test_site_templates_can_be_overridden(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"})
    (content / "templates").mkdir()
    (content / "templates/404.html").write_text("{% extends 'base.html' %}{% block main %}<h1>Lost here</h1>{% endblock %}")
    build(content, tmp_path / "site")
    assert "Lost here" in (tmp_path / "site/404.html").read_text()


def test_markdown_page_with_front_matter(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"},
                           pages={"colophon.md": "---\ntitle: Colophon <b>\n---\n# Made with care\n\nSome *text* <i>raw</i>.\n"})
    build(content, tmp_path / "site")
    html = (tmp_path / "site/colophon/index.html").read_text()
    assert "<title>Colophon &lt;b&gt; · " in html
    assert "<em>text</em>" in html and "&lt;i&gt;raw&lt;/i&gt;" in html
    home = (tmp_path / "site/index.html").read_text()
    assert 'href="./colophon/"' in home


def test_links_work_under_a_sub_path(tmp_path):
    site_yaml = "title: Sub\nbase_url: https://example.org/project/\ndefault_year: 2025\n"
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"}, site_yaml=site_yaml)
    build(content, tmp_path / "site")
    for page in html_files(tmp_path / "site"):
        for link in parse(page).links:
            assert not link.startswith("/"), (page, link)
    assert "https://example.org/project/papers/alpha-paper/" in (tmp_path / "site/sitemap.xml").read_text()


FIXTURES = Path(__file__).parent / "fixtures"
# A site's own paper.html, rendered by a build, must be what Jinja itself renders from it: through the
# chrome rendered once where that can stand for it (render/shell.py), in full where it cannot.
OWN_PAPER_TEMPLATES = {
    "the theme's": None,
    "own blocks": """{% extends "base.html" %}
{% block head %}{{ super() }}<meta name="short" content="{{ paper.title|truncate(12) }}">{% endblock %}
{% block main %}<h1>{{ paper.title|upper }}</h1>{{ chips(paper.topics, root) }}
{% for other in related %}<a href="{{ root }}{{ other.url }}">{{ other.title }}</a>{% endfor %}{% endblock %}
""",
    "the chrome's values changed": """{% extends "base.html" %}{% set page_title = page_title|upper ~ "!" %}
{% block main %}{{ paper.abstract }} {{ description }}{% endblock %}""",
    "no base": """<!DOCTYPE html><title>{{ page_title }}</title><p>{{ paper.authors_text }} · {{ canonical }}</p>
""",
}


@pytest.mark.parametrize("name", OWN_PAPER_TEMPLATES)
def test_paper_pages_are_what_jinja_renders_from_the_sites_paper_template(tmp_path, name):
    import jinja2

    from paperwire.pipeline import gather
    from paperwire.records import evolve
    from paperwire.related import related_papers
    from paperwire.render.environment import THEME_DIR, make_environment
    from paperwire.render.site import SiteRenderer

    content = make_content(tmp_path, copy_sample_corpus=True, corpus={
        "hf-daily/2026-06-12.json": (FIXTURES / "hf_daily_2026.json").read_text(encoding="utf-8")})
    with (content / "site.yaml").open("a", encoding="utf-8") as site_yaml:
        site_yaml.write("\nsearch:\n  enabled: false\n")  # Pagefind is not what is tested here
    if OWN_PAPER_TEMPLATES[name] is not None:
        (content / "templates").mkdir()
        (content / "templates/paper.html").write_text(OWN_PAPER_TEMPLATES[name], encoding="utf-8")
    build(content, tmp_path / "one", jobs=1)
    build(content, tmp_path / "two", jobs=2)
    data = gather(content)
    data = evolve(data, related=related_papers(data.papers))
    renderer = SiteRenderer(data, make_environment(content))
    # Plain Jinja: a fresh environment of the same settings, no cache, one full render a page.
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader([str(content / "templates"), str(THEME_DIR)]),
                               autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True).get_template("paper.html")
    for paper in data.papers:
        path, context = renderer.paper_page_context(paper.slug)
        expected = plain.render(renderer.page_values(path, **context))
        assert (tmp_path / "one" / path).read_text(encoding="utf-8") == expected, path
        assert (tmp_path / "two" / path).read_bytes() == expected.encode("utf-8"), path
