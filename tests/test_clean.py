"""Cleaning scraped text: LaTeX to Unicode, XML-invalid characters dropped."""

import pytest

from paperwire.clean import clean_text, title_key

CASES = [
    (r"37.2\% gain", "37.2% gain"),
    ("50% fewer and 3% more", "50% fewer and 3% more"),
    (r"Fr\'echet distance", "Fréchet distance"),
    (r'T\"ulu 3', "Tülu 3"),
    (r"\textbf{UniHOI} works", "UniHOI works"),
    (r"\emph{very} good", "very good"),
    (r"models (\eg BERT) \ie encoders \etc", "models (e.g. BERT) i.e. encoders etc."),
    (r"\etc. and more", "etc. and more"),
    (r"{\em x} y", "x y"),
    (r"robust to $\ell_\infty$ attacks", "robust to ℓ∞ attacks"),
    (r"runs in $O(n^2)$ time with $\alpha$", "runs in O(n²) time with α"),
    ("about ~10x faster", "about ~10x faster"),
    ("Fig.~1 shows", "Fig. 1 shows"),
    ("predicting <human, action, object> triplets", "predicting <human, action, object> triplets"),
    ("A & B", "A & B"),
    ("bad\x00\x08char\x1f ok", "badchar ok"),
    ("lone \ud800 surrogate", "lone surrogate"),
    ("emoji 🚀 stays", "emoji 🚀 stays"),
    ("  many   spaces\u00a0here\n", "many spaces here"),
    ("plain title", "plain title"),
]


@pytest.mark.parametrize("raw, clean", CASES, ids=[c[0][:30] for c in CASES])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_title_key_folds_case_width_and_spaces():
    assert title_key("Ｄense  Retrieval") == title_key("dense retrieval")
    assert title_key("STRASSE") == title_key("straße")


# Plain ASCII takes a fast path; these sit on its edges.
@pytest.mark.parametrize("raw, clean", [
    (" lead", "lead"),
    ("trail ", "trail"),
    ("two  spaces", "two spaces"),
    ("tab\there", "tab here"),
    ("line\nbreak", "line break"),
    ("unit\x1fseparator", "unitseparator"),  # a space to str.split(), but XML forbids it first
    ("vertical\x0btab", "verticaltab"),
    ("del\x7f stays", "del\x7f stays"),
    ("cost $5", "cost $5"),
    ("Fr\u00e9chet  distance", "Fréchet distance"),
    ("e\u0301", "\u00e9"),
    ("x\u00a0y", "x y"),
])
def test_clean_text_edges_of_the_ascii_fast_path(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize("raw", ["plain title", "", "Fréchet distance on ℝⁿ", "emoji 🚀 stays", "cost $5",
                                 "del\x7f stays"])
def test_clean_text_returns_unchanged_text_itself(raw):
    raw = "".join(list(raw))  # a fresh string, not an interned constant
    assert clean_text(raw) is raw
