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
