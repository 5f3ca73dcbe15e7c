"""Time choosing the digests of many subscribers with mixed preferences over a large corpus.

    python bench/digest.py CONTENT_DIR [--subscribers 10000] [--seed 1] [--render 200]

CONTENT_DIR is a content folder made by generate.py (trending-page text).
Those pages give no authors or arXiv ids, so each paper gets both here,
reproducibly: an id from its place, and one to six authors drawn from a
pool of 8,000 names (some with accents), a fifth of them from its 200 most
prolific, so that followed authors
have several papers each, as prolific real ones do. Then:

1. the corpus is gathered (read, merge, classify, rank) as send does;
2. N subscribers with mixed preferences are written to subscribers.yaml
   (libraries as BibTeX files under libraries/) and loaded, validated;
3. the digests of the corpus's second-newest day are chosen, and recorded as
   delivered (an outbox history with every message's papers);
4. the digests of the newest day are chosen against that history; weekly
   subscribers whose weekday it is get the week's papers;
5. optionally, the first R messages of that day are rendered (both bodies and
   the .eml), to give the cost of a message beside the cost of choosing.

Each step's wall seconds and the process's peak RSS after it are printed as
one JSON object on stdout (run.py --digest reads it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import resource
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from paperwire.digest.outbox import Delivery, History, paper_key  # noqa: E402
from paperwire.digest.plan import plan_messages  # noqa: E402
from paperwire.digest.select import Selection, select_digests  # noqa: E402
from paperwire.digest.subscribers import WEEKDAYS, load_subscribers  # noqa: E402
from paperwire.parallel import default_jobs  # noqa: E402
from paperwire.pipeline import gather  # noqa: E402
from paperwire.records import evolve  # noqa: E402
from paperwire.render.environment import make_environment  # noqa: E402
from paperwire.render.views import topics_by_slug  # noqa: E402

FIRST = "Ana Ben Carla Dario Elif Femi Gita Hugo Ines Jun Kofi Lena Milo Nadia Oskar Priya Quan Rosa Sami Tao " \
        "Uma Vlad Wen Xia Yusuf Zoe José Łukasz Zoë Søren Ñuño Chloé".split()
LAST = "Ahmed Berg Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kim Lopez Müller Nowak Okafor Petrov " \
       "Quinn Rossi Silva Tanaka Ueda Vega Weber Xu Yilmaz Zhang Núñez Ångström Çelik Dvořák".split()
POOL = 8000
WORDS = ["retrieval", "dense retrieval", "mixture of experts", "routing", "diffusion", "text-to-image",
         "pruning", "quantization", "vision transformer", "benchmark", "robust", "efficient", "language model",
         "reinforcement learning", "graph", "speech", "video", "3D", "segmentation", "recommendation",
         "scalable", "contrastive", "calibrated", "zero-shot regime", "noisy data", "large scale", "survey"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def author_pool(rng: random.Random) -> list[str]:
    names = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(POOL * 3)})
    rng.shuffle(names)
    return names[:POOL]


def with_authors_and_ids(papers, seed: int):
    """Give every paper an arXiv id and one to six authors, as a function of the seed and its slug."""
    pool = author_pool(random.Random(seed))
    out = []
    for number, paper in enumerate(papers):
        rng = random.Random(f"{seed}:{paper.slug}")
        # A fifth of the names from the 200 most prolific: each of them on two or three papers a day.
        authors = tuple(dict.fromkeys(rng.choice(pool[:200]) if rng.random() < 0.2 else rng.choice(pool)
                                      for _ in range(rng.randint(1, 6))))
        out.append(evolve(paper, authors=authors, arxiv_id=f"25{number // 99999:02d}.{number % 99999:05d}"))
    return tuple(out)


def bibtex(rng: random.Random, papers, entries: int) -> str:
    """Return a BibTeX library of ``entries`` papers like some of the corpus's (their titles, half their abstracts)."""
    parts = []
    for index, paper in enumerate(rng.sample(papers, entries)):
        abstract = f",\n  abstract = {{{paper.abstract[:600]}}}" if rng.random() < 0.5 else ""
        parts.append(f"@article{{entry{index},\n  title = {{{paper.title}}},\n  author = {{{' and '.join(paper.authors)}}}"
                     f"{abstract}\n}}\n")
    return "\n".join(parts)


def write_subscribers(content: Path, count: int, papers, topics: list[str], seed: int, newest: dt.date) -> dict:
    """Write ``count`` subscribers with mixed preferences; return how many have each."""
    rng = random.Random(seed)
    libraries = content / "libraries"
    libraries.mkdir(exist_ok=True)
    authors = [a for p in papers[:4000] for a in p.authors]
    entries, counts = [], {k: 0 for k in ("topics", "keywords", "exclude", "authors", "like_ids", "like_bibtex",
                                            "size", "weekly", "weekly_due")}
    for n in range(count):
        entry: dict = {"address": f"reader{n:05d}@example.org"}
        if rng.random() < 0.4:
            entry["topics"] = rng.sample(topics, rng.randint(1, 3))
        if rng.random() < 0.35:
            entry["keywords"] = rng.sample(WORDS, rng.randint(1, 3))
        if rng.random() < 0.15:
            entry["exclude"] = rng.sample(WORDS, rng.randint(1, 2))
        if rng.random() < 0.2:
            entry["authors"] = list(dict.fromkeys(rng.choice(authors) for _ in range(rng.randint(1, 5))))
        if rng.random() < 0.15:
            if rng.random() < 0.5:
                entry["like"] = [p.arxiv_id for p in rng.sample(papers, rng.randint(3, 10))]
                counts["like_ids"] += 1
            else:
                path = libraries / f"reader{n:05d}.bib"
                path.write_text(bibtex(rng, papers, rng.randint(10, 40)), encoding="utf-8")
                entry["like"] = [f"libraries/{path.name}"]
                counts["like_bibtex"] += 1
        if rng.random() < 0.3:
            entry["size"] = rng.randint(3, 20)
        if rng.random() < 0.15:
            entry["cadence"] = "weekly"
            entry["weekday"] = rng.choice(WEEKDAYS)
            counts["weekly_due"] += entry["weekday"] == WEEKDAYS[newest.weekday()]
        for key in ("topics", "keywords", "exclude", "authors", "size"):
            counts[key] += key in entry
        counts["weekly"] += "cadence" in entry
        entries.append(entry)
    (content / "subscribers.yaml").write_text(yaml.safe_dump({"subscribers": entries}, allow_unicode=True,
                                                             sort_keys=False), encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--render", type=int, default=200, help="messages of the newest day rendered (0: none)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures: dict = {}

    started = time.perf_counter()
    data = gather(args.content)
    data = dataclasses.replace(data, papers=with_authors_and_ids(data.papers, args.seed))
    figures["gather_s"] = round(time.perf_counter() - started, 2)
    figures["papers"] = len(data.papers)
    days = sorted({d for p in data.papers for d in p.dates})
    day1, day2 = days[-2], days[-1]
    figures["peak_mb_after_gather"] = round(peak_mb())

    figures["subscribers_with"] = write_subscribers(args.content, args.subscribers, data.papers,
                                                    sorted(t.slug for t in data.topics), args.seed, day2)
    started = time.perf_counter()
    roster = load_subscribers(args.content, frozenset(topics_by_slug(data.topics)))
    figures["load_subscribers_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    jobs = default_jobs()  # as send: libraries are read in one process per core
    figures["jobs"] = jobs
    first = select_digests(data.papers, data.config, day1, roster, History(), args.content, jobs=jobs)
    figures["select_day1_s"] = round(time.perf_counter() - started, 2)
    history = History(Delivery(day1.isoformat(), o.subscriber.address.lower(),
                               tuple(paper_key(p.paper) for p in o.picks))
                      for o in first.outcomes if isinstance(o, Selection))
    started = time.perf_counter()
    second = select_digests(data.papers, data.config, day2, roster, history, args.content, jobs=jobs)
    figures["select_day2_s"] = round(time.perf_counter() - started, 2)
    figures["peak_mb_after_select"] = round(peak_mb())
    for name, choices in (("day1", first), ("day2", second)):
        chosen = [o for o in choices.outcomes if isinstance(o, Selection)]
        figures[f"{name}_messages"] = len(chosen)
        figures[f"{name}_papers_sent"] = sum(len(o.picks) for o in chosen)
        figures[f"{name}_pool"] = sum(1 for p in data.papers if (day1 if name == "day1" else day2) in p.dates)
    week = {day2 - dt.timedelta(days=n) for n in range(7)}
    figures["day2_week_pool"] = sum(1 for p in data.papers if week.intersection(p.dates))
    figures["day2_no_message"] = {kind: sum(1 for o in second.outcomes if getattr(o, "kind", None) == kind)
                                  for kind in ("not their day", "nothing new", "already sent")}
    again = {o.subscriber.address: {paper_key(p.paper) for p in o.picks}
             for o in second.outcomes if isinstance(o, Selection)}
    figures["day2_repeats_of_day1"] = sum(len(again.get(o.subscriber.address, set()) &
                                              {paper_key(p.paper) for p in o.picks})
                                          for o in first.outcomes if isinstance(o, Selection))
    figures["warnings"] = len(first.warnings) + len(second.warnings)

    if args.render:
        plan = plan_messages(data, make_environment(args.content), day2, roster, history, args.content)
        started = time.perf_counter()
        rendered = 0
        for _planned in plan.outgoing():
            rendered += 1
            if rendered == args.render:
                break
        seconds = time.perf_counter() - started
        figures["render_messages"] = rendered
        figures["render_ms_per_message"] = round(1000 * seconds / max(rendered, 1), 1)
    figures["peak_mb"] = round(peak_mb())
    figures["subscribers"] = len(roster.subscribers)
    print(json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
