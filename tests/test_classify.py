"""Tests for paperwire.classify: phrase matching, scoring, ordering, corpus fit."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.classify import (
    ABSTRACT_CAP,
    ABSTRACT_REPEATS_PER_POINT,
    ABSTRACT_WEIGHT,
    CATEGORY_WEIGHT,
    OTHER,
    TITLE_WEIGHT,
    classify,
    compile_topics,
    phrase_keys,
    score_topics,
    tokens,
)
from paperwire.records import Topic

ROOT = Path(__file__).resolve().parent.parent
TOPICS_YAML = ROOT / "content" / "topics.yaml"
CORPUS = ROOT / "content" / "corpus"

TOPICS = (
    Topic(
        "moe",
        "Mixture of experts",
        "Sparse experts.",
        phrases=("MoE", "mixture of experts", "router"),
    ),
    Topic(
        "llm",
        "Language models",
        "LLMs.",
        phrases=("LLM", "language model"),
        categories=("cs.CL",),
    ),
    Topic("3d", "3D", "3D vision.", phrases=("3D", "point cloud", "C++ renderer")),
    Topic("process", "Processes", "Gaussian processes.", phrases=("Gaussian process",)),
    Topic(
        "retrieval",
        "Retrieval",
        "Search.",
        phrases=("retrieval", "retriever", "ranking", "reranker"),
        exclude=("weather retrieval",),
        categories=("cs.IR",),
    ),
    Topic("astro", "Astronomy", "Stars.", phrases=("galaxy",), categories=("astro-ph",)),
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("A sparse MoE layer", ("moe",)),
        ("MoE.", ("moe",)),
        ("Time-MoE: forecasting", ("moe",)),
        ("Moeller and the theory of flows", (OTHER,)),
        ("Homoeostasis in nets", (OTHER,)),
        ("Scaling MLLM training", (OTHER,)),  # "LLM" must not match inside "MLLM"
        ("OpenECAD: editable 3D-CAD design", ("3d",)),
        ("A 3Dimensional view", (OTHER,)),
        ("A fast C++ renderer", ("3d",)),
        ("A fast C++ renderers", ("3d",)),
        ("Petrieval of nothing", (OTHER,)),
    ],
)
def test_phrases_match_whole_words_only(title, expected):
    assert classify(title, "", TOPICS) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Sparse MoEs at scale", ("moe",)),
        ("What LLMs know", ("llm",)),
        ("Deep Gaussian processes", ("process",)),
        ("Point clouds in the wild", ("3d",)),
        ("Mixture-of-Experts for everyone", ("moe",)),
        ("MIXTURE  OF\tEXPERTS", ("moe",)),
        ("Large language-models", ("llm",)),
        ("LLMss are not a word", (OTHER,)),
    ],
)
def test_plurals_hyphens_and_case(title, expected):
    assert classify(title, "", TOPICS) == expected


@pytest.mark.parametrize(
    ("title", "abstract", "best"),
    [
        # The title topic comes later in the file, so only weight can win.
        ("Dense retrieval", "A MoE whose router builds a mixture of experts.", "retrieval"),
        ("Sparse MoE", "A retriever for retrieval and ranking with a reranker.", "moe"),
        ("A study", "A MoE whose router builds a mixture of experts.", "moe"),
    ],
)
def test_title_weighs_more_than_abstract(title, abstract, best):
    assert classify(title, abstract, TOPICS)[0] == best


def test_abstract_points_are_capped():
    abstract = "A MoE whose router builds a mixture of experts. " * 5
    scores = dict(score_topics("Dense retrieval", abstract, TOPICS))
    assert scores == {"retrieval": TITLE_WEIGHT, "moe": ABSTRACT_CAP}
    assert ABSTRACT_CAP < TITLE_WEIGHT


def test_abstract_needs_more_than_one_passing_mention():
    assert classify("A new method", "We compare with an LLM.", TOPICS) == (OTHER,)
    assert classify("A new method", "An LLM is a language model.", TOPICS) == ("llm",)


def test_repeated_abstract_mentions_add_weight():
    once = dict(score_topics("x", "The LLM.", TOPICS))
    often = dict(score_topics("x", "The LLM. " * 4, TOPICS))
    assert once["llm"] == 1
    assert often["llm"] == 2


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("Dense retrieval", "", ("retrieval",)),
        ("Dense retrieval", "Satellite weather retrieval of clouds.", (OTHER,)),
        ("Weather retrieval with MoE", "", ("moe",)),
    ],
)
def test_exclude_phrase_removes_topic(title, abstract, expected):
    assert classify(title, abstract, TOPICS) == expected


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        ((), (OTHER,)),
        (("cs.CL",), ("llm",)),
        (("CS.cl",), ("llm",)),
        (("cs.CV",), (OTHER,)),
        (("astro-ph.GA",), ("astro",)),
        (("astro-phx",), (OTHER,)),
    ],
)
def test_categories_add_weight(categories, expected):
    assert classify("A study", "Nothing to see.", TOPICS, categories=categories) == expected


def test_category_breaks_a_phrase_tie():
    title = "MoE meets retrieval"
    assert classify(title, "", TOPICS)[0] == "moe"
    assert classify(title, "", TOPICS, categories=["cs.IR"])[0] == "retrieval"


def test_at_most_max_topics_best_first():
    title = "MoE LLM retrieval of 3D Gaussian processes"
    assert classify(title, "", TOPICS) == ("moe", "llm", "3d")
    assert classify(title, "", TOPICS, max_topics=1) == ("moe",)
    assert len(classify(title, "", TOPICS, max_topics=5)) == 5
    with pytest.raises(ValueError):
        classify(title, "", TOPICS, max_topics=0)


def test_secondary_topics_must_come_close_to_the_best():
    title = "MoE with a router: a mixture of experts"
    abstract = "A router picks a mixture of experts; we evaluate retrieval and ranking."
    assert classify(title, abstract, TOPICS) == ("moe",)


@pytest.mark.parametrize(
    ("title", "abstract"),
    [("", ""), ("On the weather", "We measure rain."), ("Moeller", "Homoeostasis.")],
)
def test_other_when_nothing_matches(title, abstract):
    assert classify(title, abstract, TOPICS) == (OTHER,)
    assert classify(title, abstract, ()) == (OTHER,)


def test_ties_break_by_file_order_then_slug():
    a = Topic("b-first", "B", "", phrases=("graph",))
    b = Topic("a-second", "A", "", phrases=("graph",))
    assert classify("A graph", "", (a, b)) == ("b-first", "a-second")
    assert classify("A graph", "", (b, a)) == ("a-second", "b-first")


def test_same_input_same_output():
    title, abstract = "MoE LLM retrieval", "A retriever and a router for a language model."
    results = {classify(title, abstract, TOPICS) for _ in range(5)}
    results.add(classify(title, abstract, list(TOPICS)))
    results.add(classify(title, abstract, compile_topics(TOPICS)))
    assert len(results) == 1


def test_compile_is_reused_and_accepts_unhashable_topics():
    assert compile_topics(TOPICS) is compile_topics(list(TOPICS))
    loose = Topic("moe", "MoE", "", phrases=["MoE"])  # type: ignore[arg-type]
    assert classify("MoE", "", [loose]) == ("moe",)


def test_reserved_other_slug_is_rejected():
    with pytest.raises(ValueError, match="reserved"):
        classify("x", "", (Topic(OTHER, "Other", ""),))


# -- tricky matches: nested, overlapping and plural phrases -------------------

NESTED = (
    Topic("llm", "LLM", "", phrases=("large language model", "language model", "large")),
    Topic("lang", "Language", "", phrases=("language",)),
    Topic("gp", "GP", "", phrases=("Gaussian process", "process")),
    Topic("rag", "RAG", "", phrases=("retrieval-augmented generation", "generation"),
          exclude=("weather maps",)),
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # The longest phrase wins within a topic: one phrase, not three.
        ("A large language model", {"llm": TITLE_WEIGHT, "lang": TITLE_WEIGHT}),
        ("Large language models", {"llm": TITLE_WEIGHT, "lang": TITLE_WEIGHT}),
        # Only the last word of a phrase takes a plural.
        ("Large languages model", {"llm": TITLE_WEIGHT, "lang": TITLE_WEIGHT}),
        ("Gaussian processes", {"gp": TITLE_WEIGHT}),
        ("Gaussians process", {"gp": TITLE_WEIGHT}),
        ("Processe", {}),
        # Two separate mentions are two distinct phrases of the topic.
        ("Large and language model", {"llm": 2 * TITLE_WEIGHT, "lang": TITLE_WEIGHT}),
        # A phrase cut off at the end of the text still leaves its shorter ones.
        ("On the large language", {"llm": TITLE_WEIGHT, "lang": TITLE_WEIGHT}),
        ("Retrieval augmented generations", {"rag": TITLE_WEIGHT}),
        ("Retrievalaugmented generation", {"rag": TITLE_WEIGHT}),
        ("Weather maps by retrieval-augmented generation", {}),
        ("Weather-maps", {}),
    ],
)
def test_nested_and_plural_phrases(title, expected):
    assert dict(score_topics(title, "", NESTED)) == expected


@pytest.mark.parametrize("char", [chr(c) for c in range(128)] + list("éÉßİΣ２٣ﬁ–\u00a0"))
def test_tokens_match_the_word_regex(char):
    text = f"Ab{char}cD {char}x{char}{char}9_Z{char}"
    assert tokens(text) == re.findall(r"[^\W_]+", text.lower())


def naive_scores(title, abstract, topics, categories):
    """The scoring rules of paperwire.classify, written plainly and slowly."""
    phrase_sets = [
        [phrase_keys(p) for p in dict.fromkeys(p.strip().lower() for p in topic.phrases if p.strip())]
        for topic in topics
    ]
    exclude_sets = [set().union(*map(phrase_keys, topic.exclude)) for topic in topics]

    def found(text):
        words = re.findall(r"[^\W_]+", text.lower())
        hits, excluded, free = collections.defaultdict(list), set(), collections.defaultdict(int)
        for start in range(len(words)):
            for length in range(len(words) - start, 0, -1):  # longest first
                *head, last = words[start:start + length]
                forms = [last]  # the last word may carry a plural "s" or "es"
                if last.endswith("s"):
                    forms.append(last[:-1])
                if last.endswith("es"):
                    forms.append(last[:-2])
                for key in [(*head, form) for form in forms]:
                    for index in range(len(topics)):
                        if key in exclude_sets[index]:
                            excluded.add(index)
                        for phrase_id, keys in enumerate(phrase_sets[index]):
                            if key in keys and free[index] <= start:  # the words are not taken yet
                                hits[index].append(phrase_id)
                                free[index] = start + length
        return hits, excluded

    (title_hits, title_excluded), (abstract_hits, abstract_excluded) = found(title), found(abstract)
    folded = {c.strip().casefold() for c in categories if c.strip()}
    folded |= {c.split(".", 1)[0] for c in folded}
    scores = {}
    for index, topic in enumerate(topics):
        distinct = len(set(abstract_hits[index]))
        repeats = (len(abstract_hits[index]) - distinct) // ABSTRACT_REPEATS_PER_POINT
        score = TITLE_WEIGHT * len(set(title_hits[index]))
        score += min(ABSTRACT_CAP, ABSTRACT_WEIGHT * distinct + repeats)
        score += CATEGORY_WEIGHT if folded & {c.casefold() for c in topic.categories} else 0
        if score and index not in title_excluded | abstract_excluded:
            scores[topic.slug] = score
    return scores


# A small vocabulary with plural-looking words, so that phrases nest and overlap.
WORDS = ["net", "nets", "netes", "graph", "es", "ü"]
texts = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from([" ", "-", ", ", "_", "S ", "\t"])), max_size=14
).map(lambda parts: "".join(word + sep for word, sep in parts))
phrases = st.builds(" ".join, st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)) | st.builds(
    "-".join, st.lists(st.sampled_from(WORDS), min_size=2, max_size=3)
)
topic_sets = st.lists(
    st.tuples(
        st.lists(phrases, max_size=4),
        st.lists(phrases, max_size=1),
        st.lists(st.sampled_from(["cs.LG", "stat", "cs.CL"]), max_size=1),
    ),
    min_size=1,
    max_size=4,
).map(lambda specs: tuple(
    Topic(f"t{i}", "T", "", phrases=tuple(p), exclude=tuple(e), categories=tuple(c))
    for i, (p, e, c) in enumerate(specs)
))
paper_categories = st.lists(st.sampled_from(["cs.LG", "stat.ML", "CS.cl", ""]), max_size=2)


@settings(max_examples=300, deadline=None)
@given(topic_sets, texts, texts, paper_categories)
def test_scores_follow_the_plain_rules(topics, title, abstract, categories):
    expected = naive_scores(title, abstract, topics, categories)
    assert dict(score_topics(title, abstract, topics, categories)) == expected


# -- the shipped topics.yaml against the sample corpus ------------------------

BOILERPLATE = {
    "new",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "subscribe",
    "byak and the research community",
}
DATE_LINE = re.compile(r"[A-Z][a-z]{2} \d{1,2}")


def load_topics(path: Path) -> tuple[Topic, ...]:
    """Build Topic records from a topics.yaml file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Topic(
            slug=entry["slug"],
            name=entry["name"],
            description=entry["description"],
            phrases=tuple(entry.get("phrases") or ()),
            exclude=tuple(entry.get("exclude") or ()),
            categories=tuple(entry.get("categories") or ()),
        )
        for entry in data["topics"]
    )


def read_sample_papers(corpus: Path) -> list[tuple[str, str]]:
    """Return (title, abstract) for each distinct paper of the sample corpus."""
    papers: dict[str, tuple[str, str]] = {}
    for path in sorted(corpus.glob("*.txt")):
        title = None
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            # One page glues the first title to the "Subscribe" button.
            if line.startswith("Subscribe") and line != "Subscribe":
                line = line.removeprefix("Subscribe")
            if not line or line.casefold() in BOILERPLATE or DATE_LINE.fullmatch(line):
                continue
            if len(line) < 160:
                title = line
            elif len(line) > 600 and title is not None:
                papers.setdefault(title.casefold(), (title, line))
                title = None
    return list(papers.values())


@pytest.fixture(scope="module")
def shipped_topics() -> tuple[Topic, ...]:
    return load_topics(TOPICS_YAML)


def test_shipped_topics_are_well_formed(shipped_topics):
    slugs = [t.slug for t in shipped_topics]
    assert 12 <= len(slugs) <= 20
    assert len(set(slugs)) == len(slugs)
    assert OTHER not in slugs
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)
    assert all(t.name and t.description and t.phrases for t in shipped_topics)


def test_sample_corpus_is_mostly_classified(shipped_topics):
    papers = read_sample_papers(CORPUS)
    assert len(papers) >= 300
    results = [classify(title, abstract, shipped_topics) for title, abstract in papers]
    others = sum(1 for r in results if r == (OTHER,))
    assert others <= 0.05 * len(papers)
    assert all(1 <= len(r) <= 3 for r in results)
    # No topic may swallow the corpus: each holds under half of the papers.
    counts = collections.Counter(slug for r in results for slug in r)
    assert max(counts.values()) < len(papers) / 2
