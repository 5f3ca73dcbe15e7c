"""Exports of the huggingface.co/papers pages: Markdown (Jina, markdownify, Firecrawl, Obsidian) and plain text."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.clean import title_key
from paperwire.config import config_from
from paperwire.errors import ContentError
from paperwire.readers import decode, read_file, sniff
from paperwire.readers.trending_markdown import read_trending_markdown

FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = FIXTURES / "exports"
SAMPLE_CORPUS = Path(__file__).parent.parent / "content/corpus"

# Each fixture's papers, in page order: (arXiv id, clean title, upvotes).
EXPECTED = {
    "jina_trending.md": [
        ("2610.05608", "Kandinsky 6.0 Video: Foundation Models for Synchronized Video and Audio Generation", 117),
        ("2309.06180", "Efficient Memory Management for Large Language Model Serving with PagedAttention", 76),
        ("2412.20138", "TradingAgents: Multi-Agents LLM Financial Trading Framework", 149),
        ("2609.05415", "UniMate: One Unified Model to Animate Diverse Skeletons", 0),
        ("2501.12948", "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning", 1204),
    ],
    "markdownify_daily.md": [
        ("2610.01234", "Sparse Mixture-of-Depths: Routing Tokens Past Layers They Do Not Need", 165),
        ("2610.02468", "Code_Bench: Measuring Repository-Level Code Generation at Scale", 42),
        ("2610.03001", "Ten Thousand Hours of Egocentric Video for Embodied Planning", 0),
        ("2610.04555", "When Do Vision-Language Models See Counterfactuals? A Study of Image Edits That Flip the Answer",
         7),
    ],
    "search_markdown.md": [
        ("2606.00683", "Small Models, Faithful Answers: A Cognitive Core for Retrieval-Augmented QA", 101),
        ("2502.20581", "The Noisy Path from Source to Citation: Measuring How Scholars Engage with Past Research", 0),
        ("2605.08583", "Source or It Didn't Happen: A Multi-Agent Framework for Citation Hallucination Detection", 1),
        ("2403.01774", "WebCiteS: Attributed Query-Focused Summarization on Chinese Web Search Results with Citations",
         0),
    ],
    "search_plain.txt": [
        ("2410.05434", "Better than Your Teacher: LLM Agents that Learn from Privileged AI Feedback", 1),
        ("2306.14898", "InterCode: Standardizing and Benchmarking Interactive Coding with Execution Feedback", 0),
        ("2409.02326", "Arctic-SnowCoder: Demystifying High-Quality Data in Code Pretraining", 19),
        ("2310.17680", "CodeFusion: A Pre-trained Diffusion Model for Code Generation", 74),
    ],
    "obsidian_daily.md": [
        ("2610.03333", "Reward Models That Explain Themselves: Rubric-Conditioned Preference Learning", 58),
        ("2610.03777", "Scaling Test-Time Search for Theorem Proving with Learned Value Functions", 0),
        ("2610.03909", "Diffusion Language Models Are Few-Shot Planners", 31),
    ],
    "trending_no_links.md": [
        (None, "Kandinsky 6.0 Video: Foundation Models for Synchronized Video and Audio Generation", 117),
        (None, "TradingAgents: Multi-Agents LLM Financial Trading Framework", 149),
    ],
}
FORMATS = {"search_plain.txt": "papers-page-text"}  # every other export: "papers-page-markdown"
# The day each page shows: from its address, from a heading, or none (trending and search pages).
DAYS = {"markdownify_daily.md": dt.date(2026, 10, 4), "obsidian_daily.md": dt.date(2026, 10, 4)}
# What the pages around the cards show; none of it is ever a title.
NOISE = ["Models", "Datasets", "Spaces", "Posts", "Docs", "Enterprise", "Pricing", "Log In", "Sign Up",
         "Daily", "Weekly", "Monthly", "Trending", "Previous", "Next", "Subscribe", "new", "Daily Papers",
         "Trending Papers", "Get trending papers in your email inbox!", "System theme", "Company", "TOS",
         "Privacy", "About", "Jobs", "Website", "Hugging Face", "Discussion", "Upvote", "Intercode Bash",
         "by AK and the research community", "View more results", "OCC", "Snowflake", "Kandinsky Lab"]


def read(name: str, warnings: list[str] | None = None) -> list:
    return read_file(EXPORTS / name, name, config_from(), warnings if warnings is not None else [])


def format_of(path: Path) -> str:
    return sniff(path.name, decode(path.name, path.read_bytes()[:65536], complete=False)).name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_paper_is_read_once_with_its_id_title_and_upvotes(name):
    assert [(s.arxiv_id, s.raw_title, s.upvotes) for s in read(name)] == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exports_are_recognised_by_content(name, tmp_path):
    path = tmp_path / "page.txt"  # the name says nothing
    path.write_bytes((EXPORTS / name).read_bytes())
    assert format_of(path) == FORMATS.get(name, "papers-page-markdown")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_titles_and_abstracts_are_plain_text(name):
    for s in read(name):
        for mark in ("[", "]", "](", "\n", "http", "**", "###", "\\", "·"):
            assert mark not in s.raw_title, (mark, s.raw_title)
        for mark in ("](", "\n", "http", "**", "\\", "Submitted by", "Upvote", "Published on", "GitHub", "authors"):
            assert mark not in s.raw_abstract, (mark, s.raw_abstract)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_navigation_and_boilerplate_never_become_papers(name):
    titles = {title_key(s.raw_title) for s in read(name)}
    assert not titles & {title_key(n) for n in NOISE}
    assert all(len(s.raw_title.split()) >= 4 for s in read(name))


@pytest.mark.parametrize("name, copies", [("jina_trending.md", {"2610.05608": 2, "2309.06180": 2}),
                                          ("trending_no_links.md", {0: 2, 1: 2})])
def test_a_card_shown_twice_is_one_sighting(name, copies):
    text = (EXPORTS / name).read_text(encoding="utf-8")
    sightings = read(name)
    for key, count in copies.items():
        # The page does show the card twice, its title included...
        title = EXPECTED[name][key][1] if isinstance(key, int) else next(t for i, t, _ in EXPECTED[name] if i == key)
        assert text.replace("with\nPagedAttention", "with PagedAttention").count(title) == count
        # ...and the reader makes one sighting of it, ranked by its first copy.
        assert [s.raw_title for s in sightings].count(title) == 1
    assert [s.rank for s in sightings] == list(range(1, len(sightings) + 1))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_day_comes_from_the_address_or_a_heading(name):
    assert {s.date for s in read(name)} == {DAYS.get(name)}


def test_trending_cards_carry_abstract_publication_day_and_github():
    sightings = {s.arxiv_id: s for s in read("jina_trending.md")}
    kandinsky, vllm, unimate = sightings["2610.05608"], sightings["2309.06180"], sightings["2609.05415"]
    assert kandinsky.raw_abstract.startswith("We present a family of diffusion models that generate short video")
    assert kandinsky.raw_abstract.endswith("after the audio stream is pretrained alone.")  # one copy, not two
    assert kandinsky.published == dt.date(2026, 10, 4) and vllm.published == dt.date(2023, 9, 12)
    assert (kandinsky.details.github_repo, kandinsky.details.github_stars) == (
        "https://github.com/kandinskylab/kandinsky-6", 131)
    assert (vllm.details.github_repo, vllm.details.github_stars) == ("https://github.com/vllm-project/vllm", 86_100)
    assert sightings["2412.20138"].details.github_stars == 110_000
    assert sightings["2501.12948"].details.github_stars == 91_200
    assert unimate.details.github_repo is None and unimate.details.github_stars is None
    assert [s.line for s in sightings.values()] == [46, 82, 121, 138, 155]  # the first copy's title


def test_cards_without_links_carry_stars_and_day():
    kandinsky, trading = read("trending_no_links.md")
    assert (kandinsky.details.github_stars, kandinsky.published) == (131, dt.date(2026, 10, 4))
    assert (trading.details.github_stars, trading.published) == (110_000, dt.date(2024, 12, 28))
    assert kandinsky.raw_abstract.startswith("We present") and kandinsky.raw_abstract.endswith("or an image.")


def test_search_abstracts_unwrap_their_hard_breaks():
    papers = {s.arxiv_id: s for s in read("search_markdown.md")}
    assert papers["2502.20581"].raw_abstract == (
        "Citations are counted as if every one carried the cited work faithfully. We measure how much a citing "
        "sentence changes the claim it cites, over thirteen million citation pairs, and find fidelity higher for "
        "recent, close and accessible work.")
    assert papers["2502.20581"].published == dt.date(2025, 2, 27)
    assert papers["2606.00683"].published is None  # "May 29" names no year: not guessed


def test_plain_search_export_reads_abstract_and_publication_day():
    papers = read("search_plain.txt")
    assert [s.published for s in papers] == [dt.date(2024, 10, 7), dt.date(2023, 6, 26), dt.date(2024, 9, 3),
                                             dt.date(2023, 10, 26)]
    assert papers[0].raw_abstract.startswith("Language model agents improve themselves by fine-tuning")
    assert papers[0].raw_abstract.endswith("on games, web shopping and coding.")
    assert all(s.raw_abstract for s in papers)
    assert [s.line for s in papers] == [73, 95, 115, 139]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_daily_pages_without_abstracts_do_not_warn(name):
    warnings: list[str] = []
    read(name, warnings)
    assert warnings == []


def test_some_cards_without_abstract_warn_once():
    text = (EXPORTS / "jina_trending.md").read_text(encoding="utf-8")
    text = text.replace("PagedAttention stores the key-value cache", "").replace(
        "A framework of cooperating language-model agents", "")
    text = "\n".join(line for line in text.splitlines() if not line.startswith((" in fixed-size", ", each playing")))
    warnings: list[str] = []
    sightings = read_trending_markdown("page.md", text, 2025, warnings)
    assert len(sightings) == 5
    assert warnings == ["page.md:82: 2 of 5 papers have no abstract on this page (the first here)"]


# -- shapes, one at a time ------------------------------------------------------

def markdown(text: str, warnings: list[str] | None = None) -> list:
    return read_trending_markdown("page.md", textwrap.dedent(text), 2025, warnings if warnings is not None else [])


def test_relative_links_wrapped_titles_and_escapes():
    first, second = markdown("""\
        ### [Alpha\\_Net: Fast *and* \\[Sparse\\]](/papers/2410.05258v3)

        [Upvote 12](/login?next=%2Fpapers%2F2410.05258)

        [Beta: A Title Wrapped
        Across Two Lines](https://hf.co/papers/2410.01234)

        [Upvote

        7](https://huggingface.co/login?next=%2Fpapers%2F2410.01234)
        """)
    assert (first.arxiv_id, first.raw_title, first.upvotes) == ("2410.05258", "Alpha_Net: Fast *and* [Sparse]", 12)
    assert (second.arxiv_id, second.raw_title, second.upvotes, second.line) == (
        "2410.01234", "Beta: A Title Wrapped Across Two Lines", 7, 5)


@pytest.mark.parametrize("image", ["![Image 1](https://x/a.png)", "![Imagen 2: logo](https://x/a.png)",
                                   "![Bild 3]", "![图片 4](https://x/a.png)", "![](https://x/a.png)",
                                   "[图片：无替代文本]", "[Image 5]"])
def test_images_in_any_language_are_never_titles(image):
    (only,) = markdown(f"""\
        {image}

        [{image}](https://huggingface.co/papers/2410.05258)

        ### [Alpha Paper](https://huggingface.co/papers/2410.05258)

        {image}
        """)
    assert only.raw_title == "Alpha Paper"


def test_html_anchors_id_chips_and_link_labels_are_dropped():
    (only,) = markdown("""\
        <a id="2410.05258"></a><a name=top></a>
        [Discussion](/papers/2410.05258) [View arXiv page](/papers/2410.05258)
        ### [Alpha Paper](/papers/2410.05258)
        [2410.05258](/papers/2410.05258) [arXiv:2410.05258](/papers/2410.05258)
        [12](/papers/2410.05258#community)
        """)
    assert (only.raw_title, only.raw_abstract, only.upvotes) == ("Alpha Paper", "", None)


def test_a_heading_that_links_nowhere_takes_the_id_of_its_card():
    first, second = markdown("""\
        ### Alpha Paper

        [Upvote](https://huggingface.co/login?next=%2Fpapers%2F2410.05258)

        12

        ### Beta Paper

        [Upvote](https://huggingface.co/login?next=%2Fpapers%2F2410.01234)

        3
        """)
    assert [(s.arxiv_id, s.raw_title, s.upvotes) for s in (first, second)] == [
        ("2410.05258", "Alpha Paper", 12), ("2410.01234", "Beta Paper", 3)]


def test_upvotes_above_their_titles_without_links():
    # A daily page exported without links: each card's upvotes stand above its title.
    first, second = markdown("""\
        Submitted by akhaliq

        Upvote

        165

        ### Alpha Paper

        · 9 authors

        Submitted by

        taesiri

        Upvote

        -

        ### Beta Paper

        · 2 authors
        """)
    assert [(s.raw_title, s.upvotes) for s in (first, second)] == [("Alpha Paper", 165), ("Beta Paper", 0)]


def test_a_number_without_its_upvote_label_is_not_upvotes():
    (only,) = markdown("### [Alpha Paper](/papers/2410.05258)\n\n6\n\n· 3 authors\n")
    assert only.upvotes is None


def test_the_day_of_a_daily_page_comes_from_its_address():
    header = "Title: Daily Papers - Hugging Face\n\nURL Source: https://huggingface.co/papers/date/2026-10-04\n\n"
    card = "Markdown Content:\nOct 3\n\n### [Alpha Paper](https://huggingface.co/papers/2410.05258)\n"
    assert markdown(header + card)[0].date == dt.date(2026, 10, 4)
    assert markdown(header.replace("date/2026-10-04", "trending") + card)[0].date is None
    assert markdown(card.replace("Markdown Content:\n", ""))[0].date == dt.date(2025, 10, 3)  # default_year


def test_headers_end_where_the_page_starts():
    card = "### [Alpha Paper](/papers/2410.05258)\n"
    # Some Reader versions write no "Markdown Content:" line.
    (jina,) = markdown(f"Title: Daily Papers\n\nURL Source: https://huggingface.co/papers/date/2026-10-04\n\n{card}")
    assert (jina.date, jina.line) == (dt.date(2026, 10, 4), 5)
    # A page that starts with a rule has no front matter: its first card is read.
    first, second = markdown(f"---\n\n{card}\n---\n\n{card.replace('Alpha', 'Beta').replace('05258', '01234')}")
    assert [s.raw_title for s in (first, second)] == ["Alpha Paper", "Beta Paper"]


def test_two_papers_under_one_title_stay_two():
    sightings = markdown("### [Same Title](/papers/2410.05258)\n\n### [Same Title](/papers/2410.01234)\n")
    assert [s.arxiv_id for s in sightings] == ["2410.05258", "2410.01234"]


# -- what must fail, and the sample that must not change ------------------------------

@pytest.mark.parametrize("text, message", [
    ("Title: Daily Papers\nURL Source: https://huggingface.co/papers/date/2026-02-30\nMarkdown Content:\n"
     "### [Alpha](https://huggingface.co/papers/2410.05258)\n",
     r"^page.md:2: invalid date '2026-02-30' in the page's address$"),
    ("### [Alpha](https://huggingface.co/papers/2410.05258)\n\n· Published on Feb 30, 2026\n",
     r"^page.md:3: invalid date 'Published on Feb 30, 2026'"),
    ("# Daily Papers\n\n[Models](https://huggingface.co/models)\n\n[](https://huggingface.co/papers/2410.05258)\n",
     r"^page.md:1: a Markdown export of a papers page, but no paper card in it"),
])
def test_what_cannot_be_read_is_one_error_naming_file_and_line(text, message, tmp_path):
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match=message) as info:
        read_file(path, "page.md", config_from(), [])
    assert "\n" not in str(info.value)


def test_plain_export_without_titles_is_an_error(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("3\nhttps://huggingface.co/login?next=%2Fpapers%2F2410.05258\n"
                    "https://huggingface.co/papers/2410.05258\n", encoding="utf-8")
    warnings: list[str] = []
    with pytest.raises(ContentError, match=r"^page.txt:1: a plain-text export of a papers page, but no paper"):
        read_file(path, "page.txt", config_from(), warnings)
    assert warnings == ["page.txt:1: upvotes of paper 2410.05258 without a title, skipped"]


def _digest(values) -> str:
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


# Computed with the reader before the export formats existed: sightings, a digest of
# their titles, and one of every field the trending-text reader fills.
SAMPLE_PIN = {
    "content/corpus/000_830348687a6e447f.txt": (40, "7a8d13264ea547b6", "5372df4d94a04cb7"),
    "content/corpus/001_1a0b26409cec8ea9.txt": (132, "4118fefba2e47944", "a899c4e856a3235f"),
    "content/corpus/002_b9e0799269bcf0b8.txt": (130, "037d4e772bb94a3f", "5902e3b31cae85d8"),
    "content/corpus/003_facc5e195aab9ddc.txt": (46, "327501ac535d5d70", "d6ca0cbd324f9094"),
    "content/corpus/004_6a00bf1e8df33c49.txt": (40, "d69d85d57186607c", "306c90907a64e379"),
    "tests/fixtures/trending_rich.txt": (3, "584e9fe06dc7716a", "d25beffc08bfb44f"),
}


@pytest.mark.parametrize("relative", sorted(SAMPLE_PIN))
def test_the_sample_pages_still_read_as_before(relative):
    path = Path(__file__).parent.parent / relative
    count, titles, everything = SAMPLE_PIN[relative]
    assert format_of(path) == "trending-text"
    sightings = read_file(path, path.name, config_from(), [])
    assert len(sightings) == count
    assert _digest([s.raw_title for s in sightings]) == titles
    assert _digest([(s.line, s.date, s.rank, s.raw_title, s.raw_abstract, s.arxiv_id, s.upvotes, s.published)
                    for s in sightings]) == everything


def test_the_pin_covers_the_whole_sample():
    assert {f"content/corpus/{p.name}" for p in SAMPLE_CORPUS.iterdir()} <= set(SAMPLE_PIN)


# -- recombined fragments: a reader's answer or one clear error, never a traceback -------

EXPORT_LINES = sorted({line for path in EXPORTS.iterdir() for line in path.read_text(encoding="utf-8").splitlines()})


@settings(deadline=None)
@given(st.lists(st.sampled_from(EXPORT_LINES) | st.text(max_size=40), max_size=60))
def test_pages_recombined_from_export_fragments(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("export") / "page.md"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        sightings = read_file(path, "page.md", config_from(), [])
    except ContentError as exc:
        assert str(exc).startswith("page.md") and "\n" not in str(exc)
        return
    assert sightings
    if format_of(path) != "trending-text":
        for s in sightings:
            assert s.raw_title and "\n" not in s.raw_title and "](" not in s.raw_title, s.raw_title
