"""Merging one paper's sightings across sources, and whole builds from a mixed corpus."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

from paperwire.merge import merge
from paperwire.pipeline import build
from paperwire.records import Sighting

from .helpers import make_content

FIXTURES = Path(__file__).parent / "fixtures"


def sighting(title, source="a", rank=1, arxiv_id=None, day=None, **fields) -> Sighting:
    return Sighting(source=source, line=rank, date=day, rank=rank, raw_title=title,
                    raw_abstract=fields.pop("abstract", "x"), arxiv_id=arxiv_id, **fields)


def shape(papers) -> set:
    """Each paper as (arxiv id, sorted sighting sources)."""
    return {(p.arxiv_id, tuple(sorted(s.source for s in p.sightings))) for p in papers}


def test_same_id_is_one_paper_whatever_the_title():
    papers = merge([sighting("Differential Transformer", "hf", arxiv_id="2410.05258"),
                    sighting("Differential Transformer: Amplifying Attention", "atom", arxiv_id="2410.05258")])
    assert shape(papers) == {("2410.05258", ("atom", "hf"))}


def test_title_only_sighting_joins_the_id_paper_through_any_spelling():
    papers = merge([sighting("Differential Transformer", "hf", arxiv_id="2410.05258"),
                    sighting("Differential Transformer: Amplifying Attention", "atom", arxiv_id="2410.05258"),
                    sighting("differential transformer: amplifying  attention", "page")])
    assert shape(papers) == {("2410.05258", ("atom", "hf", "page"))}


def test_equal_titles_with_different_ids_stay_apart():
    papers = merge([sighting("A Survey", "a", arxiv_id="2401.00002"),
                    sighting("A Survey", "b", arxiv_id="2401.00001")])
    assert shape(papers) == {("2401.00001", ("b",)), ("2401.00002", ("a",))}
    assert len({p.slug for p in papers}) == 2


def test_ambiguous_title_only_sighting_joins_the_lowest_id():
    papers = merge([sighting("A Survey", "a", arxiv_id="2401.00002"),
                    sighting("A Survey", "b", arxiv_id="2401.00001"),
                    sighting("a survey", "c")])
    assert shape(papers) == {("2401.00001", ("b", "c")), ("2401.00002", ("a",))}


def test_latex_and_accents_match_across_sources():
    papers = merge([sighting("Fr\\'echet Audio Distance", "hf", arxiv_id="2410.01234"),
                    sighting("Fréchet Audio Distance", "page")])
    assert len(papers) == 1 and papers[0].title == "Fréchet Audio Distance"


def test_fields_combine():
    papers = merge([
        sighting("Paper", "hf", arxiv_id="2501.00001", day=dt.date(2025, 1, 7), upvotes=12,
                 authors=("A. One", "B. Two"), published=dt.date(2025, 1, 6)),
        sighting("Paper: Long Title", "atom", arxiv_id="2501.00001", day=dt.date(2025, 1, 5),
                 authors=("A. One", "B. Two", "C. Thr\\'ee"), categories=("cs.LG", "stat.ML"),
                 published=dt.date(2025, 1, 5)),
        sighting("paper", "page", day=dt.date(2025, 1, 8), upvotes=40, categories=("cs.AI", "cs.LG"),
                 abstract="the longest abstract of all"),
    ])
    (paper,) = papers
    assert paper.arxiv_id == "2501.00001"
    assert paper.title == "Paper: Long Title"  # first in sighting order (earliest day)
    assert paper.authors == ("A. One", "B. Two", "C. Thrée")  # the most complete list, cleaned
    assert paper.upvotes == 40
    assert paper.categories == ("cs.LG", "stat.ML", "cs.AI")
    assert paper.published == dt.date(2025, 1, 5)
    assert paper.abstract == "the longest abstract of all"
    assert [s.source for s in paper.sightings] == ["atom", "hf", "page"]


def test_merge_does_not_depend_on_input_order():
    sightings = [
        sighting("Alpha", "a", 1, arxiv_id="2501.00001", day=dt.date(2025, 1, 2)),
        sighting("alpha", "b", 2, day=dt.date(2025, 1, 1)),
        sighting("Alpha (v2 title)", "c", 1, arxiv_id="2501.00001"),
        sighting("Beta", "a", 2, arxiv_id="2501.00002"),
        sighting("Beta", "b", 1, arxiv_id="2501.00003"),
        sighting("Gamma", "c", 2),
    ]
    results = {merge(list(order)) for order in itertools.permutations(sightings)}
    assert len(results) == 1


def test_text_only_slugs_are_unchanged():
    papers = merge([sighting("Dense Retrieval", "a"), sighting("dense  retrieval", "b")])
    assert [p.slug for p in papers] == ["dense-retrieval"] and papers[0].arxiv_id is None


def test_whole_build_from_a_mixed_corpus(tmp_path):
    corpus = {name: (FIXTURES / name).read_bytes() for name in (
        "hf_daily_papers.json", "arxiv_api.atom", "arxiv_listing_rss2.xml", "arxiv_snapshot.jsonl",
        "trending_rich.txt")}
    corpus["disguised.txt"] = (FIXTURES / "arxiv_listing_rss1.rdf").read_bytes()
    content = make_content(tmp_path, corpus=corpus)
    result = build(content, tmp_path / "site")
    papers = {p["arxiv_id"] or p["title"]: p
              for p in json.loads((tmp_path / "site/api/papers.json").read_text(encoding="utf-8"))}
    assert result.files_read == 6

    diff = papers["2410.05258"]  # in HF, Atom, RSS 2.0, the snapshot and the page
    assert len(diff["sightings"]) == 5
    assert diff["authors"] == ["Tianzhu Ye", "Li Dong", "Yuqing Xia", "Yutao Sun", "Yi Zhu", "Gao Huang",
                               "Furu Wei"]
    assert diff["upvotes"] == 165
    assert diff["categories"] == ["cs.CL", "cs.LG"]
    assert diff["published"] == "2024-10-07"

    frechet = papers["2410.01234"]  # HF (LaTeX spelling) and the page (Unicode spelling)
    assert frechet["title"] == "Fréchet Audio Distance on ℝⁿ Revisited"
    assert len(frechet["sightings"]) == 2 and frechet["upvotes"] == 12

    brane = papers["hep-th/9901001"]  # Atom and the snapshot
    assert len(brane["sightings"]) == 2 and brane["title"] == "Brane Dynamics in 𝒩=2 Gauge Theories"
    assert brane["authors"] == ["A. Gödel-Schmidt"]

    assert papers["2101.00001"]["title"] == "Learning to Rank with Fréchet Losses"
    assert papers["A Paper Only Seen Here"]["arxiv_id"] is None
    assert papers["A Paper Only Seen Here"]["upvotes"] == 7
    assert papers["0704.0001"]["published"] == "2007-04-02"
    assert set(papers) == {"2410.05258", "2410.01234", "2410.09999", "hep-th/9901001", "2501.00001",
                           "0704.0001", "0704.0002", "2101.00001", "2012.09999", "A Paper Only Seen Here"}
    for paper in papers.values():
        assert (tmp_path / "site" / paper["url"] / "index.html").is_file()
