"""Measure the related papers of a content folder: their quality, and how many a new day changes.

    python bench/related_quality.py CONTENT_DIR [--add-day 1000 [--days 1]] [--jobs 2] [--cosine-sample 2000] [--json]

Gathers the corpus in-process (paperwire's own read, merge, classify and
rank), finds every paper's related papers, and reports:

- topic share: of all related papers listed, the share that shares a topic
  with its paper; category share likewise for arXiv categories, over the
  pairs where both papers have some;
- cosine: for a sample of papers, the summed TF-IDF cosine of the papers
  listed against that of the true five nearest by text, both under a
  reference TF-IDF computed here (exact smoothed idf, sklearn's formula), so
  that code weighing words otherwise is judged by the same measure;
- with ``--add-day N``: bench/generate.py's add_day() adds a day of N
  trending entries (the folder must come from generate.py), the corpus is
  gathered and related again, and the day is removed. Reports how many of
  the existing papers' lists changed, split into "a new paper entered" and
  "old papers only" (and of those, how many only changed order). With
  ``--days K``, K days one after another, each against the day before
  (paperwire weighs words by its oldest papers, and the day that base
  grows changes more lists than the others: see paperwire/related.py).

To compare two versions of paperwire in one run, check the old one out with
``git worktree add /tmp/rq-old HEAD`` and run this script with
``PYTHONPATH=/tmp/rq-old``: paperwire is then imported from there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from paperwire.pipeline import gather  # noqa: E402
from paperwire.related import RELATED_COUNT, related_papers  # noqa: E402
from paperwire.records import Paper  # noqa: E402

Related = dict[str, tuple[str, ...]]


def find_related(content_dir: Path, jobs: int) -> tuple[tuple[Paper, ...], Related, float]:
    """Gather the corpus and find its related papers; return them and the seconds related_papers took."""
    papers = gather(content_dir, jobs=jobs).papers
    started = time.perf_counter()
    related = related_papers(papers, jobs=jobs)
    return papers, related, time.perf_counter() - started


def shared_share(papers: tuple[Paper, ...], related: Related, field: str) -> tuple[float | None, int]:
    """Return the share of (paper, related) pairs that share a value of ``field``, and the pairs counted.

    Only pairs where both papers have some value count.
    """
    by_slug = {paper.slug: paper for paper in papers}
    shared = counted = 0
    for paper in papers:
        own = set(getattr(paper, field))
        if not own:
            continue
        for slug in related[paper.slug]:
            theirs = getattr(by_slug[slug], field)
            if theirs:
                counted += 1
                shared += bool(own.intersection(theirs))
    return (shared / counted if counted else None), counted


def reference_vectors(papers: tuple[Paper, ...]):
    """Return the papers' L2-normalised TF-IDF rows by the textbook formula, as a scipy CSR matrix.

    sklearn's ``TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5)``
    with English stop words, which paperwire's tfidf module was written to equal.
    """
    import scipy.sparse

    from paperwire.tfidf import MAX_DF_SHARE, MIN_DF, STOP_WORDS, word_hashes

    stop = set(word_hashes(sorted(STOP_WORDS))[1].tolist())
    text_parts, hash_parts = [], []
    for start in range(0, len(papers), 2000):
        text_of, hashes = word_hashes([f"{p.title}. {p.abstract}" for p in papers[start: start + 2000]])
        text_parts.append(text_of.astype(np.int64) + start)
        hash_parts.append(hashes)
    text_of, hashes = np.concatenate(text_parts), np.concatenate(hash_parts)
    vocabulary, terms = np.unique(hashes, return_inverse=True)
    counts = scipy.sparse.csr_matrix((np.ones(len(terms)), (text_of, terms)),
                                     shape=(len(papers), len(vocabulary)))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=len(vocabulary))
    wanted = (df >= MIN_DF) & (df <= MAX_DF_SHARE * len(papers))
    wanted &= ~np.isin(vocabulary, list(stop))
    counts = counts[:, np.flatnonzero(wanted)].tocsr()
    idf = np.log((1 + len(papers)) / (1 + df[wanted])) + 1
    counts.data = 1 + np.log(counts.data)
    weights = counts.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return scipy.sparse.diags(1 / norms) @ weights


def cosine_share(papers: tuple[Paper, ...], related: Related, sample: int) -> float | None:
    """Return the summed reference cosine of the listed papers over that of the true nearest, on a sample."""
    if len(papers) < 2 or sample <= 0:
        return None
    vectors = reference_vectors(papers).tocsr()
    index = {paper.slug: i for i, paper in enumerate(papers)}
    queries = np.unique(np.linspace(0, len(papers) - 1, min(sample, len(papers))).astype(np.int64))
    chosen = best = 0.0
    for start in range(0, len(queries), 250):
        block = queries[start: start + 250]
        products = (vectors[block] @ vectors.T).toarray()
        products[np.arange(len(block)), block] = -1  # never a paper's own neighbour
        best += np.sort(products, axis=1)[:, -RELATED_COUNT:].clip(0).sum()
        for row, paper_index in enumerate(block):
            listed = [index[slug] for slug in related[papers[paper_index].slug]]
            chosen += products[row, listed].clip(0).sum()
    return chosen / best if best else None


def quality(papers: tuple[Paper, ...], related: Related, sample: int) -> dict:
    """Return the quality figures of one corpus's related lists."""
    topics, topic_pairs = shared_share(papers, related, "topics")
    categories, category_pairs = shared_share(papers, related, "categories")
    return {"papers": len(papers), "listed": sum(len(r) for r in related.values()),
            "topic_share": topics, "topic_pairs": topic_pairs,
            "category_share": categories, "category_pairs": category_pairs,
            "cosine_share": cosine_share(papers, related, sample), "cosine_sample": min(sample, len(papers))}


def day_changes(before: Related, after: Related) -> dict:
    """Return how many of the lists in ``before`` differ in ``after``, and why."""
    entered = old_only = order_only = 0
    for slug, listed in before.items():
        now = after[slug]
        if now == listed:
            continue
        if any(other not in before for other in now):
            entered += 1
        else:
            old_only += 1
            order_only += set(now) == set(listed)
    existing = len(before)
    return {"existing": existing, "changed": entered + old_only, "changed_share": (entered + old_only) / existing,
            "new_paper_entered": entered, "new_paper_entered_share": entered / existing,
            "old_papers_only": old_only, "old_papers_only_share": old_only / existing,
            "old_papers_only_order_only": order_only}


def measure(content_dir: Path, add_entries: int, days: int, jobs: int, sample: int) -> dict:
    """Return the quality figures of ``content_dir`` and, with ``add_entries``, those of each new day."""
    import paperwire.related

    papers, related, seconds = find_related(content_dir, jobs)
    report = {"code": str(Path(paperwire.related.__file__).resolve().parent.parent),
              "content": str(content_dir), "related_seconds": round(seconds, 3),
              "quality": quality(papers, related, sample), "new_days": []}
    if add_entries:
        from generate import add_day, remove_day

        added = []
        try:
            for day in range(days):
                added.append(add_day(content_dir, add_entries, seed=2 + day))
                new_papers, new_related, new_seconds = find_related(content_dir, jobs)
                report["new_days"].append({"entries": add_entries, "papers_before": len(related),
                                           "papers_after": len(new_papers), "related_seconds": round(new_seconds, 3),
                                           **day_changes(related, new_related)})
                related = new_related
        finally:
            for day in reversed(added):
                remove_day(content_dir, day)
    return report


def markdown(report: dict) -> str:
    """Return the report as a small Markdown table."""
    def share(value):
        return "n/a" if value is None else f"{100 * value:.1f}%"

    q = report["quality"]
    rows = [("code", report["code"]), ("papers", f"{q['papers']:,}"),
            ("related_papers time", f"{report['related_seconds']:.2f} s"),
            ("topic share", f"{share(q['topic_share'])} of {q['topic_pairs']:,}"),
            ("category share", f"{share(q['category_share'])} of {q['category_pairs']:,}"),
            ("cosine vs exact 5 nearest", f"{share(q['cosine_share'])} (sample {q['cosine_sample']:,})")]
    for number, d in enumerate(report["new_days"], 1):
        rows += [(f"new day {number}", f"{d['entries']:,} entries: {d['papers_before']:,} to "
                                       f"{d['papers_after']:,} papers"),
                 ("lists changed", f"{d['changed']:,} ({share(d['changed_share'])})"),
                 ("a new paper entered", f"{d['new_paper_entered']:,} ({share(d['new_paper_entered_share'])})"),
                 ("old papers only", f"{d['old_papers_only']:,} ({share(d['old_papers_only_share'])}), "
                                     f"{d['old_papers_only_order_only']:,} of them order only")]
    return "\n".join(["| measure | value |", "|---|---|"] + [f"| {name} | {value} |" for name, value in rows])


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content_dir", type=Path)
    parser.add_argument("--add-day", type=int, default=0, metavar="ENTRIES",
                        help="add a day of this many trending entries (a generate.py folder), then remove it")
    parser.add_argument("--days", type=int, default=1, help="with --add-day: days added one after another")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--cosine-sample", type=int, default=2000, metavar="PAPERS",
                        help="papers whose listed cosine is compared with the true nearest (0: skip)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    report = measure(args.content_dir, args.add_day, args.days, args.jobs, args.cosine_sample)
    print(json.dumps(report, indent=1) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
