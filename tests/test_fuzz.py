"""Property tests: no reader input ends in a traceback, and fuzzed sites stay valid.

``make test`` runs a few hundred cases per reader; ``make fuzz`` runs the
"fuzz" Hypothesis profile (10,000 cases per reader).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwire.config import SiteConfig
from paperwire.errors import ContentError
from paperwire.pipeline import build
from paperwire.readers import read_file
from paperwire.records import Sighting

from .helpers import make_content

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_PAGE = (Path(__file__).parent.parent / "content/corpus/000_830348687a6e447f.txt").read_text()

settings.register_profile("default", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
SITE_EXAMPLES = 100 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 6

CONFIG = SiteConfig()
FOLDER = Path(tempfile.mkdtemp(prefix="paperwire-fuzz-"))


def read_bytes(data: bytes, name: str = "input") -> list[Sighting] | ContentError:
    """Read one file's bytes as a corpus file; return sightings or the ContentError."""
    path = FOLDER / name
    path.write_bytes(data)
    try:
        sightings = read_file(path, name, CONFIG, [])
    except ContentError as exc:
        assert str(exc).startswith(name) and "\n" not in str(exc), str(exc)
        return exc
    assert sightings and all(isinstance(s, Sighting) for s in sightings)
    return sightings


# -- fragments of real inputs, recombined ----------------------------------

hostile_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from([
    "<script>alert(1)</script>", "</script><!--", "]]>", "{{ 7*7 }}", "\x00\x01\x1b", "\u202e\u200b",
    "🚀", "\ud800", "&amp;", "\\textbf{x}", "$\\ell_\\infty$", "37.2\\%", "\r\nBcc: x@y", "''\"\"",
])
page_lines = st.lists(st.one_of(
    st.sampled_from(SAMPLE_PAGE.splitlines()),
    st.sampled_from(["new", "Subscribe", "Mar 11", "Feb 30", "Oct 7, 2024", "▲ 12", "3 authors",
                     "https://huggingface.co/papers/2410.05258", "Published on Oct 7, 2024", ""]),
    hostile_text,
), max_size=40)


def mutate(text: str, data: st.DataObject) -> str:
    """Cut, splice or repeat part of a real file."""
    cut = data.draw(st.integers(0, len(text)))
    action = data.draw(st.sampled_from(["truncate", "insert", "delete", "keep"]))
    if action == "truncate":
        return text[:cut]
    if action == "insert":
        return text[:cut] + data.draw(hostile_text) + text[cut:]
    if action == "delete":
        return text[:cut] + text[cut + data.draw(st.integers(1, 200)):]
    return text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=12)
hf_items = st.fixed_dictionaries({
    "paper": st.fixed_dictionaries({
        "id": st.sampled_from(["2410.05258", "2410.05258v2", "hep-th/9901001", "bad id", ""]) | hostile_text,
        "title": hostile_text, "summary": hostile_text,
        "upvotes": st.integers(-5, 10**6) | json_values,
        "authors": st.lists(st.fixed_dictionaries({"name": hostile_text, "hidden": st.booleans()}), max_size=3)
        | json_values,
        "publishedAt": st.sampled_from(["2024-10-07T17:57:38.000Z", "2024-13-40", "yesterday"]) | json_values,
    }),
    "publishedAt": st.sampled_from(["2024-10-08T00:21:57.391Z", "not a date", ""]) | json_values,
    "title": hostile_text,
})


@given(st.binary(max_size=2000))
def test_random_bytes(data):
    read_bytes(data)


@given(st.text(max_size=2000))
def test_random_text(text):
    read_bytes(text.encode("utf-8", "surrogatepass"))


@given(page_lines)
def test_trending_pages_from_real_fragments(lines):
    read_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))


@given(st.lists(hf_items | json_values, max_size=6))
def test_hf_json_structures(items):
    read_bytes(json.dumps(items).encode("utf-8", "surrogatepass"))


@given(st.lists(st.dictionaries(st.sampled_from(["id", "title", "abstract", "authors", "categories",
                                                 "versions", "update_date", "authors_parsed"]),
                                json_values, max_size=8) | json_values, max_size=6))
def test_snapshot_lines(records):
    lines = [json.dumps(r) for r in records]
    read_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))


FIXTURE_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file())


@given(st.sampled_from(FIXTURE_FILES), st.data())
def test_mutated_fixtures(name, data):
    read_bytes(mutate((FIXTURES / name).read_text(encoding="utf-8"), data).encode("utf-8", "surrogatepass"))


# -- whole builds from fuzzed corpora ----------------------------------------

class _Checker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs).get("type"))


@settings(max_examples=SITE_EXAMPLES)
@given(st.lists(st.tuples(hostile_text.filter(lambda t: t.strip()), hostile_text), min_size=1, max_size=6))
def test_sites_from_fuzzed_corpora_stay_valid(tmp_path_factory, entries):
    tmp = tmp_path_factory.mktemp("fuzzsite")
    items = [{"paper": {"id": f"2501.{i:05d}", "title": title, "summary": summary, "upvotes": i, "authors": []},
              "publishedAt": "2025-03-11T00:00:00.000Z", "title": title} for i, (title, summary) in enumerate(entries)]
    content = make_content(tmp, corpus={"papers.json": json.dumps(items)})
    try:
        build(content, tmp / "site", jobs=1)
    except ContentError:
        return  # e.g. every title cleaned away: a clear error is fine
    site = tmp / "site"
    for page in site.rglob("*.html"):
        checker = _Checker()
        checker.feed(page.read_text(encoding="utf-8"))
        checker.close()
        # paperwire's own modules: the search page's, and the copy buttons of the feeds page.
        own_module = page.parent.name in ("search", "feeds")
        allowed = {"application/ld+json", "module"} if own_module else {"application/ld+json"}
        assert set(checker.scripts) <= allowed, page
        if page.parent.parent.name == "papers":
            assert checker.scripts.count("application/ld+json") == 1
    for feed in site.rglob("*.xml"):
        if feed.name in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse(feed.read_bytes())
            assert parsed.bozo == 0, (feed, parsed.bozo_exception)
    for eml in (site / "digest").glob("*.eml"):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert not message.defects
        assert len(message.keys()) == len(set(message.keys()))
