"""Hostile titles and abstracts are escaped for every context they reach."""

from __future__ import annotations

import email
import email.policy
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from paperwire.pipeline import build

from .helpers import make_content

HOSTILE_TITLES = [
    "<script>alert(1)</script> Attack of the scripts",
    "Close </script><!-- comment \"double\" 'single' & ampersand",
    "CDATA ]]> ends {{ 7*7 }} {% raw %} templates",
    "Controls \x01\x07\x1b and bidi \u202egnp.exe\u202c zero\u200bwidth \u200d joiner 🚀 emoji",
    "Header\r\nBcc: victim@example.org\r\nX-Injected: yes",
    "<img src=x onerror=alert(2)> Long " + "word " * 2000,
]
HOSTILE_ABSTRACT = ("<b>Bold</b> claims with <img src=x onerror=alert(3)> and </script><script>alert(4)</script>. "
                    "We show ]]> and {{ config }} survive. Then a second sentence follows here. ") * 3
# paperwire's own scripts: JSON-LD (which never holds "<") and the search page's module.
OWN_JSON_LD = re.compile(r'<script type="(application/ld\+json|module)">[^<]*</script>')
RAW_MARKUP = re.compile(r"<(script|img|b)\b|</script", re.IGNORECASE)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    items = [{"paper": {"id": f"2503.{i:05d}", "title": title, "summary": HOSTILE_ABSTRACT, "upvotes": 10 - i,
                        "authors": [{"name": "<i>Eve</i> \"Mallory\"", "hidden": False}]},
              "publishedAt": "2025-03-14T08:00:00.000Z", "title": title} for i, title in enumerate(HOSTILE_TITLES)]
    content = make_content(tmp, corpus={"hostile.json": json.dumps(items)},
                           site_yaml=("title: Site & <Co>\ndefault_year: 2025\nlimits:\n  max_title_chars: 12000\n"
                                      "digest:\n  unsubscribe_url: https://example.org/unsubscribe\n"
                                      "smtp:\n  sender: paperwire digest <digest@example.org>\n"))
    build(content, tmp / "site", jobs=1)
    return tmp / "site"


def papers(site: Path) -> list[dict]:
    return json.loads((site / "api/papers.json").read_text(encoding="utf-8"))


class Page(HTMLParser):
    """Collect a page's tags, h1 text, meta attributes and scripts."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[str] = []
        self.h1 = ""
        self.meta: dict[str, str] = {}
        self.scripts: list[tuple[str | None, str]] = []
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag in ("h1", "script"):
            self._in = tag
            if tag == "script":
                self.scripts.append((attrs.get("type"), ""))
        if tag == "meta" and (attrs.get("name") or attrs.get("property")):
            self.meta[attrs.get("name") or attrs.get("property")] = attrs.get("content") or ""

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "h1":
            self.h1 += data
        elif self._in == "script":
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)


def test_no_raw_markup_from_the_corpus_in_any_output(hostile_site):
    for path in hostile_site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt", ".eml"):
            # paperwire's own JSON-LD block is the one script element allowed.
            text = OWN_JSON_LD.sub("", path.read_text(encoding="utf-8"))
            assert not RAW_MARKUP.search(text), path


def test_html_text(hostile_site):
    for paper in papers(hostile_site):
        page = Page((hostile_site / paper["url"] / "index.html").read_text(encoding="utf-8"))
        assert page.h1 == paper["title"]
        assert "img" not in page.tags and "b" not in page.tags
        assert [kind for kind, _ in page.scripts] == ["application/ld+json"]
    home = Page((hostile_site / "index.html").read_text(encoding="utf-8"))
    assert "img" not in home.tags and [k for k, _ in home.scripts] == []


def test_html_attributes(hostile_site):
    for paper in papers(hostile_site):
        page = Page((hostile_site / paper["url"] / "index.html").read_text(encoding="utf-8"))
        assert page.meta["citation_title"] == paper["title"]
        assert page.meta["og:title"] == paper["title"]
        assert page.meta["citation_author"] == "<i>Eve</i> \"Mallory\""


def test_json_ld(hostile_site):
    for paper in papers(hostile_site):
        page = Page((hostile_site / paper["url"] / "index.html").read_text(encoding="utf-8"))
        (kind, text), = page.scripts
        assert "</" not in text and "<!--" not in text
        data = json.loads(text)
        assert data["name"] == paper["title"] and data["abstract"] == paper["abstract"]


def test_papers_json(hostile_site):
    raw = (hostile_site / "api/papers.json").read_text(encoding="utf-8")
    assert "<" not in raw and ">" not in raw
    titles = {p["title"] for p in papers(hostile_site)}
    assert any(t.startswith("<script>alert(1)</script>") for t in titles)
    assert all("\x01" not in t and "\r" not in t and "\n" not in t for t in titles)


def test_feeds(hostile_site):
    expected = {p["title"] for p in papers(hostile_site)}
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((hostile_site / name).read_bytes())
        assert parsed.bozo == 0
        assert {e.title for e in parsed.entries} == expected


def test_email_headers(hostile_site):
    message = email.message_from_bytes((hostile_site / "digest/latest.eml").read_bytes(), policy=email.policy.default)
    assert sorted(message.keys()) == sorted(["Subject", "From", "To", "Date", "Message-ID", "List-Unsubscribe",
                                             "List-Unsubscribe-Post", "MIME-Version", "Content-Type"])
    assert "Bcc" not in message and "X-Injected" not in message
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["From"].startswith("paperwire digest")


def test_email_bodies(hostile_site):
    message = email.message_from_bytes((hostile_site / "digest/latest.eml").read_bytes(), policy=email.policy.default)
    text_part, html_part = message.get_payload()
    text = text_part.get_content()
    html = html_part.get_content()
    assert "‹script›alert(1)‹/script› Attack" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Attack" in html
    page = Page(html)
    assert "script" not in page.tags and "img" not in page.tags


def test_json_that_orjson_refuses_is_still_written():
    from paperwire.render.api import dumps

    # A lone surrogate (a file name that is not UTF-8) falls back to the json module, escaped.
    text = dumps({"source": "caf\udce9.txt", "title": "<b> & \u2028"})
    assert json.loads(text) == {"source": "caf\udce9.txt", "title": "<b> & \u2028"}
    assert "<" not in text and "&" not in text and "\u2028" not in text
