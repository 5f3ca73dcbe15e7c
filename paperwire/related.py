"""Related papers: the nearest by text (TF-IDF cosine), topped up by shared topics.

Comparing every pair of papers is quadratic: at 100,000 papers that is
minutes, not seconds. Instead each paper is compared through its few
strongest terms (its highest TF-IDF weights: its rarest, most telling words)
to find candidates among the papers first seen before it: the papers in
which one of those terms weighs most, at most POSTINGS per term, scored on
the shared strong terms. The exact cosine of the best CANDIDATES is then
computed once per pair and serves both papers, so each paper is ranked
against the papers it chose and the later papers that chose it. So the work
grows linearly with the number of papers.

Related lists are a function of the corpus alone, and a new day should
change few of them, since an incremental build renders again only the
paper pages whose related papers changed. Two choices keep them still:

- Papers are taken in order of first sighting, and a paper chooses its
  candidates among older papers only: new papers can add themselves to an
  old paper's candidates, never push an old candidate out.
- Words are weighed by their frequency in the oldest papers alone (a base
  of a whole number of steps, see _weighing_base), and each term's
  strongest papers are chosen within the base and among the later papers
  apart: until the base grows by a step (at 2**k and 1.5 * 2**k papers), a
  new day changes neither the weights nor the candidates of the base's
  papers. The day it grows changes most lists. Quantising each word's
  frequency instead (a geometric grid) changed more lists than exact
  frequencies: fewer words moved, but by a whole step each.

Equal scores go to the older paper (first seen earlier, then by slug): the
trending ranking changes every day, the order of first sighting does not.

On the bench's 20,000-paper corpus 82% of the papers listed share a topic
with their paper (79% before these choices) and the five chosen have 94% of
the summed cosine of the five nearest; a day of 850 new papers changes 16%
of the lists (45% before), the day the base grows 83%.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Sequence

from .parallel import map_chunks
from .tfidf import Rows, tfidf_rows
from .records import Paper

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse

RELATED_COUNT = 5
# Up to this many papers every pair's cosine is computed: exact, quick, and
# without scipy, whose import alone would be a sixth of a small site's build.
EXACT_UP_TO = 1000
MIN_SIMILARITY = 0.08  # below this, two papers share little more than common words
QUERY_TERMS = 12  # the strongest terms of each paper, which find its candidates
CANDIDATES = 24  # older candidates each paper chooses, whose exact cosine is computed
POSTINGS = 48  # a term proposes at most the papers it weighs most in: bounds the work
_ROWS = 500  # papers per sparse product: bounds memory, and fixes the order of float sums
_SORT_BLOCK = 250_000  # weights sorted at once when picking each row's strongest
_SCALE = 100_000  # scores are rounded to 1/_SCALE, so ties are broken by age, not by float noise
CANDIDATE_MINIMUM = 0.02  # a weaker share of the strongest terms rarely leads to a close paper
# Looking this far down each topic's ranking is enough to fill five slots
# with the best-scoring neighbours, and keeps the work linear in papers.
_CANDIDATES_PER_TOPIC = 40


def related_papers(papers: tuple[Paper, ...], count: int = RELATED_COUNT,
                   jobs: int = 1) -> dict[str, tuple[str, ...]]:
    """Map each paper's slug to up to ``count`` related slugs (papers are ranked, best first).

    The nearest papers by text come first; papers sharing topics fill the
    remaining places.
    """
    by_age = sorted(papers, key=_age_key)
    by_text = nearest_by_text(PaperTexts(by_age), count, jobs)
    by_topics = related_by_topics(papers, count)
    related: dict[str, tuple[str, ...]] = {}
    for paper, neighbours in zip(by_age, by_text):
        chosen = [by_age[i].slug for i in neighbours]
        chosen += [slug for slug in by_topics[paper.slug] if slug not in chosen]
        related[paper.slug] = tuple(chosen[:count])
    return {paper.slug: related[paper.slug] for paper in papers}


def _age_key(paper: Paper) -> tuple[dt.date, str]:
    """Order papers by first sighting, undated ones first; slugs are unique, so the order is total."""
    return paper.first_seen or dt.date.min, paper.slug


class PaperTexts(Sequence[str]):
    """The text of each paper (title and abstract), made when asked for.

    A list of them all would be a second copy of the corpus in memory.
    """

    def __init__(self, papers: Sequence[Paper]):
        self.papers = papers

    def __len__(self) -> int:
        return len(self.papers)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [_text(paper) for paper in self.papers[index]]
        return _text(self.papers[index])


def _text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}"


def nearest_by_text(texts: Sequence[str], count: int = RELATED_COUNT, jobs: int = 1) -> list[list[int]]:
    """Return, for each text, the indices of up to ``count`` most similar others, best first.

    ``texts`` come oldest first, and the first _weighing_base() of them
    weigh words. Only pairs whose cosine is at least MIN_SIMILARITY count;
    equal scores go to the lower index (the older paper). Blocks of rows are
    independent, so ``jobs`` processes share them, with identical results.
    """

    rows = tfidf_rows(texts, jobs, base=_weighing_base(len(texts)))
    if rows is None:
        return [[] for _ in texts]
    if len(texts) <= EXACT_UP_TO:
        return _nearest_exact(rows, count)
    vectors = rows.matrix()
    queries = _strongest_terms(vectors, QUERY_TERMS)
    by_term = _strongest_papers(vectors, _weighing_base(len(texts)))  # (of the base's papers, of all)
    starts = range(0, len(texts), _ROWS)
    blocks = list(map_chunks(_candidate_pairs, starts, (vectors, queries, by_term, count), jobs))
    return _nearest_of_pairs(blocks, len(texts), count)


def _weighing_base(papers: int) -> int:
    """Return how many of the oldest papers weigh words: ``papers`` rounded down to a step.

    A step is half the largest power of two not above ``papers`` (8,192 for
    16,384 to 32,767 papers), so the base is at least two thirds of the
    papers and grows only at 2**k and 1.5 * 2**k papers: at 850 new papers
    a day, 5 and 15 days after 20,000 papers, then 34 days later; at
    100,000 papers every 38 days, then every 77.
    """
    step = 1 << max(0, papers.bit_length() - 2)
    return papers // step * step


def _nearest_exact(rows: Rows, count: int) -> list[list[int]]:
    """Return the nearest others of every paper by the cosine of every pair (a small corpus)."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    vectors = rows.dense()
    # paperwire's parallel work is processes, one per core, and one of them is
    # busy rendering meanwhile: BLAS's own threads would only compete with it.
    # On the sample site the product took 80 ms with them and 15 ms without.
    with threadpool_limits(limits=1, user_api="blas"):
        products = vectors @ vectors.T
    points = np.rint(products * _SCALE).astype(np.int64)
    np.fill_diagonal(points, -1)  # never a paper's own neighbour
    order = np.argsort(-points, axis=1, kind="stable")[:, :count]  # best first, ties to the lower index
    close = np.take_along_axis(points, order, axis=1) >= round(MIN_SIMILARITY * _SCALE)
    return [row[kept].tolist() for row, kept in zip(order, close)]


def _candidate_pairs(context: tuple, start: int) -> "np.ndarray":
    """Return the best pairs of papers ``start`` to ``start + _ROWS`` with their candidates (a worker's task).

    Each paper's candidates are the older papers its strongest terms score
    best. A pair counts for both its papers: returned are the packed keys
    (see _packed) of each paper's ``count`` best candidates by cosine and of
    each candidate's ``count`` best among these papers, sorted.
    """
    import numpy as np

    vectors, queries, (of_base, of_all), count = context
    end = min(start + _ROWS, vectors.shape[0])
    # Papers are in age order: the base's papers have none but the base's older than them.
    partial = (queries[start: end] @ (of_base if end <= of_base.shape[1] else of_all)).tocsr()
    rows = np.repeat(np.arange(start, end), np.diff(partial.indptr))
    older = partial.indices < rows
    keys = _best(_packed(rows[older], partial.indices[older], partial.data[older], CANDIDATE_MINIMUM), CANDIDATES)
    rows, cols = keys >> 42, keys & _COLUMN
    exact = np.asarray(vectors[rows].multiply(vectors[cols]).sum(axis=1)).ravel()
    return np.sort(np.concatenate([_best(_packed(rows, cols, exact, MIN_SIMILARITY), count),
                                   _best(_packed(cols, rows, exact, MIN_SIMILARITY), count)]))


def _nearest_of_pairs(blocks: list["np.ndarray"], papers: int, count: int) -> list[list[int]]:
    """Return each paper's ``count`` best partners by cosine, from the blocks' sorted keys."""
    import numpy as np

    # Sorted runs, merged by the stable sort (timsort) far quicker than sorted anew.
    keys = _best(np.sort(np.concatenate(blocks), kind="stable"), count)
    rows, cols = keys >> 42, keys & _COLUMN
    bounds = np.searchsorted(rows, np.arange(papers + 1)).tolist()
    flat = cols.tolist()  # one list sliced per row: an array per row would cost more
    return [flat[bounds[r]: bounds[r + 1]] for r in range(papers)]


_COLUMN = (1 << 21) - 1  # the col of a packed key


def _packed(rows: "np.ndarray", cols: "np.ndarray", scores: "np.ndarray", minimum: float) -> "np.ndarray":
    """Return the (row, score, col) keys of the pairs scoring at least ``minimum``, sorted: by row, best first.

    Scores are rounded to integer points first, so ties go to the lower col
    (the older paper), never to float noise. Rows and cols are below 2**21.
    """
    import numpy as np

    points = np.rint(scores * _SCALE).astype(np.int64)
    keep = points >= round(minimum * _SCALE)
    rows, cols = rows[keep].astype(np.int64), cols[keep].astype(np.int64)
    return np.sort((rows << 42) | ((_SCALE - points[keep]) << 21) | cols)


def _best(keys: "np.ndarray", count: int) -> "np.ndarray":
    """Keep the first ``count`` of each row's sorted keys: its ``count`` best pairs."""
    return keys[_places(keys >> 42) < count]


def _places(rows: "np.ndarray") -> "np.ndarray":
    """Return each item's place within its run of equal ``rows`` (sorted), from 0."""
    import numpy as np

    positions = np.arange(len(rows))
    run_starts = np.zeros(len(rows), dtype=np.int64)
    changes = np.flatnonzero(rows[1:] != rows[:-1]) + 1
    run_starts[changes] = changes
    return positions - np.maximum.accumulate(run_starts)


def _strongest_papers(vectors: "scipy.sparse.csr_matrix", base: int) -> tuple["scipy.sparse.csr_matrix", ...]:
    """Return, for each term (a row), the POSTINGS papers (columns) it weighs most in: among the base's, and in all.

    Chosen within the ``base`` oldest papers and among the later ones apart,
    so that papers added after the base never displace one of it.
    """
    import scipy.sparse

    of_base = _strongest_terms(vectors[:base].T.tocsr(), POSTINGS)
    if base == vectors.shape[0]:
        return of_base, of_base
    later = _strongest_terms(vectors[base:].T.tocsr(), POSTINGS)
    return of_base, scipy.sparse.hstack([of_base, later], format="csr")


def _strongest_terms(vectors: "scipy.sparse.csr_matrix", terms: int) -> "scipy.sparse.csr_matrix":
    """Return ``vectors`` keeping only each row's ``terms`` largest weights.

    Also used the other way round, on the transposed vectors: each term's
    papers it weighs most in (ties to the lower column, the older paper). Done a few hundred thousand weights at a time,
    which bounds the memory of the sort.
    """
    import numpy as np
    import scipy.sparse

    indptr = vectors.indptr
    kept_parts = []
    row = 0
    while row < vectors.shape[0]:
        end = max(row + 1, int(np.searchsorted(indptr, indptr[row] + _SORT_BLOCK, side="right")) - 1)
        end = min(end, vectors.shape[0])
        first, last = indptr[row], indptr[end]
        rows = np.repeat(np.arange(row, end, dtype=np.int64), np.diff(indptr[row: end + 1]))
        points = np.rint(vectors.data[first:last] * _SCALE).astype(np.int64)
        # One sort of packed (row, weight, term) keys, all distinct: heaviest first, ties to the lower term.
        order = np.argsort((rows << 42) | ((_SCALE - points) << 21) | vectors.indices[first:last])
        place = np.arange(len(order)) - (indptr[rows[order]] - first)
        kept_parts.append(np.sort(order[place < terms]) + first)  # back in row order
        row = end
    kept = np.concatenate(kept_parts) if kept_parts else np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(vectors.shape[0]), np.diff(indptr))
    counts = np.bincount(rows[kept], minlength=vectors.shape[0])
    return scipy.sparse.csr_matrix((vectors.data[kept], vectors.indices[kept],
                                    np.concatenate(([0], np.cumsum(counts)))), shape=vectors.shape)


def related_by_topics(papers: tuple[Paper, ...], count: int = RELATED_COUNT) -> dict[str, tuple[str, ...]]:
    """Map each paper's slug to up to ``count`` slugs sharing the most topics, then the best scores."""
    members: dict[str, list[int]] = {}
    for index, paper in enumerate(papers):
        for topic in paper.topics:
            members.setdefault(topic, []).append(index)
    # Papers with the same topics have the same candidates, all but themselves:
    # one choice per distinct set of topics, of one place more than needed.
    best_for: dict[tuple[str, ...], list[int]] = {}
    for topics in dict.fromkeys(p.topics for p in papers):
        own = set(topics)
        candidates = {i for topic in topics for i in members[topic][:_CANDIDATES_PER_TOPIC + 1]}
        best_for[topics] = sorted(candidates, key=lambda i: (-len(own.intersection(papers[i].topics)), i))
    related: dict[str, tuple[str, ...]] = {}
    for index, paper in enumerate(papers):
        best = best_for[paper.topics]
        related[paper.slug] = tuple(papers[i].slug for i in best[:count + 1] if i != index)[:count]
    return related
