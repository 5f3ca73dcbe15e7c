"""The readers of the other sources: HF JSON, arXiv Atom, listing feeds, snapshot, rich pages."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
import time
from pathlib import Path

import pytest

from paperwire.config import config_from
from paperwire.errors import ContentError
from paperwire.readers import read_corpus, read_file
from paperwire.readers.common import arxiv_id, strip_html, unwrap
from paperwire.readers.trending_text import looks_like_trending_text, read_trending_text

from .helpers import make_content

FIXTURES = Path(__file__).parent / "fixtures"
ABSTRACT = "We propose a method and show it works well on many benchmarks. " * 6


def read(name: str, path: Path | None = None, **config) -> list:
    path = path or FIXTURES / name
    return read_file(path, name, config_from(**config), [])


def by_id(sightings) -> dict:
    return {s.arxiv_id: s for s in sightings}


# --- shared helpers ---------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("http://arxiv.org/abs/2101.00001v2", "2101.00001"),
    ("https://arxiv.org/pdf/2410.05434v1.pdf", "2410.05434"),
    ("arXiv:0704.0001", "0704.0001"),
    ("oai:arXiv.org:2501.00001v1", "2501.00001"),
    ("hep-th/9901001v1", "hep-th/9901001"),
    ("http://arxiv.org/abs/math.GT/0309136v3", "math.GT/0309136"),
    ("2101.123456", None),
    ("no id here", None),
])
def test_arxiv_id_drops_version(text, expected):
    assert arxiv_id(text) == expected


def test_unwrap_and_strip_html():
    assert unwrap("A title that\n  wraps\tonce ") == "A title that wraps once"
    assert strip_html("&amp;lt;p&amp;gt;Twice &amp;amp; escaped, x &amp;lt; y&amp;lt;/p&amp;gt;") == \
        "Twice & escaped, x < y"


# --- Hugging Face daily papers ---------------------------------------------

def test_hf_json_fields():
    first, second, third = read("hf_daily_papers.json")
    assert (first.arxiv_id, first.raw_title, first.upvotes, first.rank) == (
        "2410.05258", "Differential Transformer", 165, 1)
    assert first.authors == ("Tianzhu Ye", "Li Dong", "Furu Wei")  # the hidden author is kept out
    assert first.date == dt.date(2024, 10, 8) and first.published == dt.date(2024, 10, 7)
    assert "\n" not in first.raw_abstract and "irrelevant context. In this work" in first.raw_abstract
    # Hard wraps and indentation unwrapped; LaTeX and accents kept for the cleaner.
    assert second.raw_title == "Fr\\'echet Audio Distance on $\\mathbb{R}^n$ Revisited"
    assert second.raw_abstract == "We revisit the Fr\\'echet distance for audio embeddings. Scores improve by 50% on average."
    assert second.authors == ("Zoë Müller", "José Ñúñez")
    assert second.arxiv_id == "2410.01234"  # version stripped
    assert second.date == dt.date(2024, 10, 8)  # 23:59 at UTC-2 is the 8th in UTC
    # Optional fields missing: no summary, authors, upvotes or published day.
    assert (third.raw_abstract, third.authors, third.upvotes, third.published, third.rank) == ("", (), None, None, 3)


def test_hf_json_line_is_item_start():
    assert [s.line for s in read("hf_daily_papers.json")] == [2, 29, 42]


# --- arXiv API Atom ----------------------------------------------------------

def test_atom_current_response():
    papers = by_id(read("arxiv_api.atom"))
    diff = papers["2410.05258"]
    assert diff.raw_title == "Differential Transformer: Amplifying Attention to the Relevant Context"
    assert diff.raw_abstract.startswith("Transformer tends to overallocate attention to irrelevant context. In this work,")
    assert diff.authors == ("Tianzhu Ye", "Li Dong", "Yuqing Xia", "Furu Wei")
    assert diff.categories == ("cs.CL", "cs.LG")  # primary first, no repeats
    assert diff.date == diff.published == dt.date(2024, 10, 7)  # published, not updated
    assert diff.rank == 1 and diff.line == 12
    brane = papers["hep-th/9901001"]  # old-style id, version stripped
    assert brane.raw_title == "Brane Dynamics in $\\mathcal{N}=2$ Gauge Theories"
    assert brane.authors == ("A. Gödel-Schmidt",) and brane.categories == ("hep-th",) and brane.rank == 2


def test_atom_older_response_with_namespace_on_every_element():
    (entry,) = read("arxiv_api_old.atom")
    assert entry.arxiv_id == "hep-ex/0307015"
    assert entry.raw_title == "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    assert entry.raw_abstract.startswith("Multi-electron production is studied at high electron transverse momentum in")
    assert entry.authors == ("H1 Collaboration",)
    assert entry.categories == ("hep-ex",)
    assert entry.published == dt.date(2003, 7, 7)


def test_atom_error_entry_is_a_content_error(tmp_path):
    path = tmp_path / "query.xml"
    path.write_text("""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>arXiv Query: id_list=1234.1234</title>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.1234</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.1234</summary>
  </entry>
</feed>
""")
    with pytest.raises(ContentError, match=r"^query.xml:4: the arXiv API returned an error: incorrect id format"):
        read("query.xml", path)


# --- arXiv listing feeds -----------------------------------------------------

def test_listing_rss1():
    first, second = read("arxiv_listing_rss1.rdf")
    assert first.raw_title == "Learning to Rank with Fr\\'echet Losses"  # the (arXiv:… [cs.LG]) note is gone
    assert first.raw_abstract == ("We propose ranking losses based on the Fr\\'echet distance between score "
                                  "distributions, and show gains of 3% & more on five benchmarks.")
    assert first.authors == ("Jane Doe", "John Smith")
    assert (first.arxiv_id, first.categories, first.rank) == ("2101.00001", ("cs.LG",), 1)
    assert first.date == second.date == dt.date(2021, 1, 5)  # the mailing's own day, not UTC's
    assert second.raw_title == "Old Results, Revisited"  # "UPDATED" note gone
    assert second.raw_abstract == "An abstract that the feed escaped twice."
    assert (second.arxiv_id, second.authors) == ("2012.09999", ("Ana Ng",))


def test_listing_rss2():
    first, second = read("arxiv_listing_rss2.xml")
    assert first.raw_title == "Sparse Mixture-of-Experts for $\\ell_1$ Regression"
    assert first.raw_abstract == ("We study sparse mixture-of-experts models for $\\ell_1$ regression "
                                  "and prove minimax rates.")
    assert first.authors == ("Zoë Müller", "Kenji Tanaka", "Priya Raman")
    assert (first.arxiv_id, first.categories) == ("2501.00001", ("cs.LG", "stat.ML"))
    assert first.date == dt.date(2025, 1, 6)
    assert second.arxiv_id == "2410.05258" and len(second.authors) == 7


# --- arXiv metadata snapshot -------------------------------------------------

def test_snapshot_records():
    records = by_id(read("arxiv_snapshot.jsonl"))
    first = records["0704.0001"]
    assert first.raw_title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert first.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert first.categories == ("hep-ph",)
    assert first.published == dt.date(2007, 4, 2)  # v1's day
    assert first.date == dt.date(2008, 11, 13)  # update_date
    assert {s.rank for s in records.values()} == {1}
    assert [s.line for s in records.values()] == [1, 2, 3, 4]
    assert records["hep-th/9901001"].raw_title == "Brane Dynamics in $\\mathcal{N}=2$ Gauge Theories"


@pytest.mark.parametrize("snapshot, expected", [
    ({"categories": ("cs",)}, {"0704.0002", "2410.05258"}),
    ({"categories": ("cs.LG",)}, {"2410.05258"}),
    ({"categories": ("hep-th", "hep-ph")}, {"0704.0001", "hep-th/9901001"}),
    ({"categories": ("hep",)}, set()),  # "hep" is no archive: hep-th does not start with "hep."
    ({"date_from": "2008-12-01"}, {"0704.0002", "2410.05258"}),
    ({"date_to": "2008-11-13"}, {"0704.0001", "hep-th/9901001"}),
    ({"categories": ("cs",), "date_to": "2010-01-01"}, {"0704.0002"}),
])
def test_snapshot_filters(snapshot, expected, tmp_path):
    path = tmp_path / "snap.jsonl"
    path.write_bytes((FIXTURES / "arxiv_snapshot.jsonl").read_bytes())
    if expected:
        assert set(by_id(read("snap.jsonl", path, snapshot=snapshot))) == expected
    else:
        with pytest.raises(ContentError, match="no papers found"):
            read("snap.jsonl", path, snapshot=snapshot)


def test_snapshot_streams_and_ignores_max_file_bytes(tmp_path, monkeypatch):
    path = tmp_path / "snap.jsonl"
    path.write_bytes((FIXTURES / "arxiv_snapshot.jsonl").read_bytes())

    def refuse(*_args, **_kwargs):
        raise AssertionError("the snapshot must be streamed, never loaded whole")

    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
    monkeypatch.setattr(pathlib.Path, "read_text", refuse)
    assert len(read("snap.jsonl", path, limits={"max_file_bytes": 100})) == 4


def test_whole_file_readers_keep_max_file_bytes():
    with pytest.raises(ContentError, match="over limits.max_file_bytes"):
        read("hf_daily_papers.json", limits={"max_file_bytes": 100})


def test_snapshot_stops_reading_past_max_entries(tmp_path):
    warnings: list[str] = []
    path = tmp_path / "snap.jsonl"
    path.write_bytes((FIXTURES / "arxiv_snapshot.jsonl").read_bytes() + b"{not json\n")
    sightings = read_file(path, "snap.jsonl", config_from(limits={"max_entries_per_file": 2}), warnings)
    assert len(sightings) == 2 and "keeping the first 2" in warnings[0]


# --- richer trending pages ---------------------------------------------------

def test_rich_page_metadata_attaches_to_its_entry():
    warnings: list[str] = []
    sightings = read_file(FIXTURES / "trending_rich.txt", "rich.txt", config_from(), warnings)
    assert [s.raw_title for s in sightings] == [
        "Differential Transformer", "Fréchet Audio Distance on ℝⁿ Revisited", "A Paper Only Seen Here"]
    assert [(s.arxiv_id, s.upvotes, s.published) for s in sightings] == [
        ("2410.05258", 165, dt.date(2024, 10, 7)),
        ("2410.01234", 12, dt.date(2024, 10, 1)),
        (None, 7, None)]
    assert {s.date for s in sightings} == {dt.date(2024, 10, 8)}  # "Oct 8, 2024" heads the page
    assert all(s.raw_abstract for s in sightings) and not warnings


def test_metadata_after_the_abstract_belongs_to_the_entry_above():
    text = (f"Mar 11\nAlpha Paper\n{ABSTRACT}\nhttps://huggingface.co/papers/2501.00001\n▲ 12\n"
            f"Published on Mar 9, 2025\nBeta Paper\n{ABSTRACT}\n3 upvotes\n· 4 authors\n")
    alpha, beta = read_trending_text("p.txt", text, 2025, [])
    assert (alpha.arxiv_id, alpha.upvotes, alpha.published) == ("2501.00001", 12, dt.date(2025, 3, 9))
    assert (beta.arxiv_id, beta.upvotes) == (None, 3)


def test_metadata_before_the_title_belongs_to_the_entry_below():
    text = (f"Mar 11\n42\n/papers/2501.00001\nAlpha Paper\n{ABSTRACT}\n"
            f"7\nBeta Paper\n{ABSTRACT}\n")
    alpha, beta = read_trending_text("p.txt", text, 2025, [])
    assert (alpha.raw_title, alpha.arxiv_id, alpha.upvotes) == ("Alpha Paper", "2501.00001", 42)
    assert (beta.raw_title, beta.upvotes) == ("Beta Paper", 7)


def test_links_inside_title_lines_are_taken_out():
    text = f"Mar 11\n[Alpha Paper](https://huggingface.co/papers/2501.00001v2)\n{ABSTRACT}\n"
    (alpha,) = read_trending_text("p.txt", text, 2025, [])
    assert (alpha.raw_title, alpha.arxiv_id) == ("Alpha Paper", "2501.00001")


def test_a_date_with_a_year_next_to_metadata_is_a_publication_day():
    text = f"Mar 11\nAlpha Paper\nOct 7, 2024\n· 3 authors\n{ABSTRACT}\n"
    (alpha,) = read_trending_text("p.txt", text, 2025, [])
    assert alpha.date == dt.date(2025, 3, 11) and alpha.published == dt.date(2024, 10, 7)


# --- detection by content ----------------------------------------------------

@pytest.mark.parametrize("fixture, disguise, count", [
    ("hf_daily_papers.json", "papers.txt", 3),
    ("arxiv_api.atom", "query.json", 2),
    ("arxiv_listing_rss2.xml", "cs.LG", 2),
    ("arxiv_listing_rss1.rdf", "feed.txt", 2),
    ("arxiv_snapshot.jsonl", "snapshot.txt", 4),
    ("trending_rich.txt", "page.json", 3),
])
def test_detection_by_content_not_name(fixture, disguise, count, tmp_path):
    path = tmp_path / disguise
    path.write_bytes((FIXTURES / fixture).read_bytes())
    assert len(read(disguise, path)) == count


def test_trending_sniffer_leaves_json_and_xml_alone():
    assert not looks_like_trending_text('[{"title": "Subscribe to this"}]')
    assert not looks_like_trending_text("<rss><channel><title>Subscribe</title></channel></rss>")
    assert looks_like_trending_text("Subscribe\nTitle\n")


# --- bad files: one line, with path and line ----------------------------------

GOOD_ITEM = '{"paper": {"id": "2501.00001", "title": "T"}, "publishedAt": "2025-01-06T00:00:00Z"}'


@pytest.mark.parametrize("name, data, message", [
    ("trunc.json", f'[\n  {GOOD_ITEM},\n  {{"paper": {{"id": "2501.00002", "title"', r"trunc.json:3: not valid JSON"),
    ("notpapers.json", f'[\n  {GOOD_ITEM},\n  {{"paper": 3}}\n]', r"notpapers.json:3: item 2 is not a daily-papers entry"),
    ("nopaper.json", '[{"title": "x"}, {"title": "y"}]', r"nopaper.json:1: not a format paperwire can read \(JSON"),
    ("extra.json", f'[{GOOD_ITEM}]\n]', r"extra.json:2: not valid JSON: extra data"),
    ("baddate.json", '[{"paper": {"id": "2501.00001", "title": "T"},\n "publishedAt": "yesterday"}]',
     r"baddate.json:1: invalid featured date 'yesterday'"),
    ("bad.atom", '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<title>arXiv</title>\n'
                 '<entry><id>http://arxiv.org/abs/2101.00001</id>\n<title>T</entry>\n</feed>\n',
     r"bad.atom:5: not well-formed XML: mismatched tag"),
    ("cut.rss", '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>arXiv</title>\n<item>',
     r"cut.rss:3: not well-formed XML: no element found"),
    ("lines.jsonl", '{"id": "0704.0001", "title": "T", "abstract": "A"}\n\n[1, 2]\n',
     r"lines.jsonl:3: expected a JSON object, found an array"),
    ("broken.jsonl", '{"id": "0704.0001", "title": "T", "abstract": "A"}\n{"id": "0704.0002", "tit\n',
     r"broken.jsonl:2: not valid JSON"),
    ("notitle.jsonl", '{"id": "0704.0001", "abstract": "A"}\n', r"notitle.jsonl:1: snapshot record has no"),
    ("other.xml", '<?xml version="1.0"?>\n<html><body>hi</body></html>\n',
     r"other.xml:1: not a format paperwire can read \(XML"),
])
def test_bad_files_give_one_line_errors(name, data, message, tmp_path):
    path = tmp_path / name
    path.write_text(data, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        read(name, path)
    text = str(info.value)
    assert len(text.splitlines()) == 1
    assert re.match(message, text), text


def test_snapshot_bad_byte_names_its_line(tmp_path):
    path = tmp_path / "snap.jsonl"
    good = (FIXTURES / "arxiv_snapshot.jsonl").read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(good[:2]) + good[2].replace(b"Brane", b"Br\xe9ne"))
    with pytest.raises(ContentError, match=r"^snap.jsonl:3: not valid UTF-8 \(byte 0xe9\)"):
        read("snap.jsonl", path)


def test_entity_bomb_is_refused_at_once(tmp_path):
    lol = "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">\n' for i in range(1, 10))
    path = tmp_path / "bomb.atom"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE feed [\n<!ENTITY lol0 "lol">\n{lol}]>\n'
                    '<feed xmlns="http://www.w3.org/2005/Atom"><title>arxiv &lol9;</title></feed>\n')
    start = time.perf_counter()
    with pytest.raises(ContentError, match=r"^bomb.atom:3: XML that declares entities is refused"):
        read("bomb.atom", path)
    assert time.perf_counter() - start < 1


def test_keep_going_skips_a_malformed_feed(tmp_path):
    content = make_content(tmp_path, corpus={
        "bad.xml": '<rss version="2.0"><channel><title>arXiv</title><item>',
        "good.json": (FIXTURES / "hf_daily_papers.json").read_text(encoding="utf-8"),
    })
    corpus = read_corpus(content / "corpus", config_from(), keep_going=True)
    assert corpus.files_read == 1 and len(corpus.sightings) == 3
    assert any("bad.xml:1: not well-formed XML" in w and "skipped" in w for w in corpus.warnings)


def test_workers_read_a_corpus_as_this_process_does(tmp_path, monkeypatch):
    import paperwire.readers

    content = make_content(tmp_path, copy_sample_corpus=True, corpus={
        "bad.xml": '<rss version="2.0"><channel><title>arXiv</title><item>',
        "good.json": (FIXTURES / "hf_daily_papers.json").read_text(encoding="utf-8"),
    })
    here = read_corpus(content / "corpus", config_from(), keep_going=True, jobs=2)  # small: read here
    monkeypatch.setattr(paperwire.readers, "_SMALL_CORPUS_BYTES", 0)  # every corpus goes to workers
    forked = read_corpus(content / "corpus", config_from(), keep_going=True, jobs=2)
    assert forked == here and forked.files_read == 6
    assert any("bad.xml:1: not well-formed XML" in w for w in forked.warnings)


def test_papers_json_of_hf_file_round_trips(tmp_path):
    """A sanity check that the fixture itself is the API's shape: a JSON array of items."""
    items = json.loads((FIXTURES / "hf_daily_papers.json").read_text(encoding="utf-8"))
    assert all("paper" in item and "publishedAt" in item for item in items)
