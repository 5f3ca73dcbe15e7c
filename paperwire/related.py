"""Related papers: the nearest by text (TF-IDF cosine), topped up by shared topics.

Comparing every pair of papers is quadratic: at 100,000 papers that is
minutes, not seconds. Instead each paper is compared through its few
strongest terms (its highest TF-IDF weights: its rarest, most telling words)
to find candidates, the papers scoring best on those terms, each term
proposing at most its POSTINGS best-ranked papers; the exact cosine then
ranks the candidates. So the work grows linearly with the number of papers,
and a paper's nearest neighbours by full cosine are nearly always among its
candidates (rare terms, the telling ones, have short posting lists anyway).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from .parallel import map_chunks
from .records import Paper

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse

RELATED_COUNT = 5
MIN_SIMILARITY = 0.08  # below this, two papers share little more than common words
QUERY_TERMS = 16  # the strongest terms of each paper, which find its candidates
CANDIDATES = 40  # candidates per paper whose exact cosine is computed
POSTINGS = 64  # a term proposes at most its best-ranked papers as candidates: bounds the work
_ROWS = 2000  # papers per sparse product: bounds memory, and fixes the order of float sums
_SCALE = 100_000  # scores are rounded to 1/_SCALE, so ties are broken by rank, not by float noise
CANDIDATE_MINIMUM = 0.02  # a weaker share of the strongest terms rarely leads to a close paper
_WORD = re.compile(r"\b\w\w+\b")
# English function words; words common in abstracts drop out by document frequency.
STOP_WORDS = frozenset("""
about above across after again against all almost also although always among an and another any are
around as at be became because become been before being below between both but by can cannot could did
do does doing done down during each either else enough etc even ever every few for from further had has
have having he her here hers herself him himself his how however if in into is it its itself just least
less many may me might more most much must my myself neither no nor not now of off often on once one only
onto or other others otherwise our ours ourselves out over own per perhaps rather same she should since so
some such than that the their theirs them themselves then there thereby therefore these they this those
though through thus to together too toward towards under until up upon us very via was we well were what
whatever when where whereas whether which while who whom whose why will with within without would yet you
your yours yourself yourselves
""".split())
# Looking this far down each topic's ranking is enough to fill five slots
# with the best-scoring neighbours, and keeps the work linear in papers.
_CANDIDATES_PER_TOPIC = 40


def related_papers(papers: tuple[Paper, ...], count: int = RELATED_COUNT,
                   jobs: int = 1) -> dict[str, tuple[str, ...]]:
    """Map each paper's slug to up to ``count`` related slugs (papers are ranked, best first).

    The nearest papers by text come first; papers sharing topics fill the
    remaining places.
    """
    by_text = nearest_by_text([f"{p.title}. {p.abstract}" for p in papers], count, jobs)
    by_topics = related_by_topics(papers, count)
    related: dict[str, tuple[str, ...]] = {}
    for paper, neighbours in zip(papers, by_text):
        chosen = [papers[i].slug for i in neighbours]
        chosen += [slug for slug in by_topics[paper.slug] if slug not in chosen]
        related[paper.slug] = tuple(chosen[:count])
    return related


def nearest_by_text(texts: list[str], count: int = RELATED_COUNT, jobs: int = 1) -> list[list[int]]:
    """Return, for each text, the indices of up to ``count`` most similar others, best first.

    Only pairs whose cosine is at least MIN_SIMILARITY count; equal scores go
    to the lower index (the better-ranked paper). Blocks of rows are
    independent, so ``jobs`` processes share them, with identical results.
    """

    vectors = _tfidf(texts)
    if vectors is None:
        return [[] for _ in texts]
    queries = _strongest_terms(vectors, QUERY_TERMS)
    by_term = _first_per_row(vectors.T.tocsr(), POSTINGS)
    starts = range(0, len(texts), _ROWS)
    nearest: list[list[int]] = []
    for rows in map_chunks(_nearest_rows, starts, (vectors, queries, by_term, count), jobs):
        nearest.extend(rows)
    return nearest


def _nearest_rows(context: tuple, start: int) -> list[list[int]]:
    """Return the nearest others of papers ``start`` to ``start + _ROWS`` (a worker's task)."""
    import numpy as np

    vectors, queries, by_term, count = context
    # Candidates by the strongest terms, then their exact cosine.
    partial = (queries[start: start + _ROWS] @ by_term).tocsr()
    size = partial.shape[0]
    rows = np.repeat(np.arange(size), np.diff(partial.indptr))
    rows, cols = _best_per_row(rows, partial.indices, partial.data, start, CANDIDATES, CANDIDATE_MINIMUM)
    exact = np.asarray(vectors[rows + start].multiply(vectors[cols]).sum(axis=1)).ravel()
    rows, cols = _best_per_row(rows, cols, exact, start, count, MIN_SIMILARITY)
    return [group.tolist() for group in np.split(cols, np.searchsorted(rows, np.arange(1, size)))]


def _best_per_row(rows: "np.ndarray", cols: "np.ndarray", scores: "np.ndarray", start: int, count: int,
                  minimum: float) -> tuple["np.ndarray", "np.ndarray"]:
    """Keep each row's ``count`` best (col, score) pairs scoring at least ``minimum``, best first.

    Row r stands for paper ``start + r``, whose pair with itself is dropped.
    Scores are rounded to integers first, so ties go to the lower col, never
    to float noise; one sort of packed (row, score, col) keys orders them all.
    """
    import numpy as np

    points = np.rint(scores * _SCALE).astype(np.int64)
    keep = (points >= round(minimum * _SCALE)) & (cols != rows + start)
    rows, cols, points = rows[keep].astype(np.int64), cols[keep].astype(np.int64), points[keep]
    keys = np.sort((rows << 42) | ((_SCALE - points) << 21) | cols)
    rows, cols = keys >> 42, keys & ((1 << 21) - 1)
    place = np.arange(len(rows)) - np.searchsorted(rows, rows)  # place within its row
    return rows[place < count], cols[place < count]


def _tfidf(texts: list[str]) -> "scipy.sparse.csr_matrix | None":
    """Return the L2-normalised TF-IDF rows of ``texts``, or None when no term is shared.

    As scikit-learn's ``TfidfVectorizer(sublinear_tf=True, min_df=2,
    max_df=0.5)`` computes them (words of two or more letters, smoothed idf),
    without the second of import time that scikit-learn costs every build.
    """
    import numpy as np
    import scipy.sparse

    vocabulary: defaultdict[str, int] = defaultdict(itertools.count().__next__)  # word -> number, first seen first
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        bag = Counter(_WORD.findall(text.lower()))
        for word in STOP_WORDS.intersection(bag):
            del bag[word]
        indices.extend(map(vocabulary.__getitem__, bag))
        counts.extend(bag.values())
        indptr.append(len(indices))
    if len(texts) < 2 or not indices:
        return None
    terms = np.array(indices, dtype=np.int64)
    rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
    df = np.bincount(terms, minlength=len(vocabulary))
    wanted = (df >= 2) & (df <= 0.5 * len(texts))  # in one paper only, or in most: says nothing
    if not wanted.any():
        return None
    kept = wanted[terms]
    rows, terms = rows[kept], np.cumsum(wanted)[terms[kept]] - 1
    idf = np.log((1 + len(texts)) / (1 + df[wanted])) + 1
    weights = (1 + np.log(np.array(counts, dtype=np.float32)[kept])) * idf[terms].astype(np.float32)
    norms = np.sqrt(np.bincount(rows, weights=weights.astype(np.float64) ** 2, minlength=len(texts)))
    weights /= norms[rows].astype(np.float32)
    matrix = scipy.sparse.csr_matrix((weights, (rows, terms)), shape=(len(texts), int(wanted.sum())))
    matrix.sort_indices()
    return matrix


def _first_per_row(matrix: "scipy.sparse.csr_matrix", count: int) -> "scipy.sparse.csr_matrix":
    """Return ``matrix`` keeping only the first ``count`` entries of each row."""
    import numpy as np
    import scipy.sparse

    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    place = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], lengths)
    kept = place < count
    indptr = np.concatenate(([0], np.cumsum(np.minimum(lengths, count))))
    return scipy.sparse.csr_matrix((matrix.data[kept], matrix.indices[kept], indptr), shape=matrix.shape)


def _strongest_terms(vectors: "scipy.sparse.csr_matrix", terms: int) -> "scipy.sparse.csr_matrix":
    """Return ``vectors`` keeping only each row's ``terms`` largest weights."""
    import numpy as np
    import scipy.sparse

    rows = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))
    points = np.rint(vectors.data * _SCALE).astype(np.int64)
    # One sort of packed (row, weight, term) keys, all distinct: heaviest first, ties to the lower term.
    order = np.argsort((rows.astype(np.int64) << 42) | ((_SCALE - points) << 21) | vectors.indices)
    place = np.arange(len(order)) - vectors.indptr[rows]
    kept = np.sort(order[place < terms])  # back in row order
    counts = np.bincount(rows[kept], minlength=vectors.shape[0])
    indptr = np.concatenate(([0], np.cumsum(counts)))
    return scipy.sparse.csr_matrix((vectors.data[kept], vectors.indices[kept], indptr), shape=vectors.shape)


def related_by_topics(papers: tuple[Paper, ...], count: int = RELATED_COUNT) -> dict[str, tuple[str, ...]]:
    """Map each paper's slug to up to ``count`` slugs sharing the most topics, then the best scores."""
    position = {p.slug: i for i, p in enumerate(papers)}
    members: dict[str, list[Paper]] = {}
    for paper in papers:
        for topic in paper.topics:
            members.setdefault(topic, []).append(paper)
    related: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        own = set(paper.topics)
        candidates: dict[str, int] = {}
        for topic in paper.topics:
            for other in members[topic][:_CANDIDATES_PER_TOPIC + 1]:
                if other.slug != paper.slug and other.slug not in candidates:
                    candidates[other.slug] = len(own.intersection(papers[position[other.slug]].topics))
        best = sorted(candidates, key=lambda slug: (-candidates[slug], position[slug]))
        related[paper.slug] = tuple(best[:count])
    return related
