"""Generate a synthetic paperwire content folder of N papers, reproducibly.

The corpus imitates the scraped trending pages in content/corpus/: about 50
entries a page, one file per page (page-00001.txt, ...), one date line a page,
pages spread over 30 days from 2025-02-01, titles of about 80 characters and
abstracts of about 1,500, and about 15% of the entries repeating a paper seen
on a page in the last few days. Titles and abstracts mix generic research prose
with phrases of one or two topics from content/topics.yaml, so papers classify
into topics much as real ones do.

Every paper's text is a function of (seed, paper number) alone, so a repeat is
the exact same title and add_day() can continue a corpus without reading it.

    python bench/generate.py 10000 bench/out/10000/content [--seed 1] [--format text|snapshot]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = REPO / "content"
MANIFEST = "bench-corpus.json"  # beside site.yaml; paperwire reads only what it knows

PER_PAGE = 50
DAYS = 30
FIRST_DAY = dt.date(2025, 2, 1)
REPEAT_SHARE = 0.15  # the sample corpus has 388 sightings of 326 papers: 16% repeats
REPEAT_WINDOW_DAYS = 3  # a repeat is a paper first seen this many days back at most
HEADER = ["new", "Get trending papers in your email inbox!", "Subscribe",
          "byAK and the research community"]

# Generic research vocabulary, free of topic phrases, so topics come from the
# phrases sprinkled in on purpose (a few accidental matches are realistic).
ADJECTIVES = """scalable robust efficient adaptive unified hierarchical lightweight principled simple
general compositional calibrated interpretable modular progressive contrastive structured
consistent flexible faithful data-efficient open versatile stable expressive implicit explicit
iterative parallel causal probabilistic generalizable controllable universal""".split()
NOUNS = """framework method approach benchmark representation objective estimator mechanism
dataset strategy paradigm baseline model family pipeline module formulation analysis protocol
toolkit regularizer prior signal objective metric suite study abstraction scheme recipe""".split()
VERBS = """improves outperforms simplifies unifies stabilizes accelerates generalizes extends
matches rivals surpasses complements""".split()
GOALS = ["accuracy", "robustness", "efficiency", "sample efficiency", "fidelity", "stability",
         "coverage", "scalability", "interpretability", "consistency"]
SETTINGS = ["low-resource settings", "the zero-shot regime", "noisy data", "real-world deployments",
            "out-of-distribution inputs", "large scale", "limited compute", "open benchmarks"]
SYLLABLES = "ka zo ri ve nu ta lo mi sa pe do xu fi ra ne by qu al or en".split()

SENTENCES = [
    "Recent progress in {p1} has been driven by {adj} {nouns}, yet {p2} remains difficult under {setting}.",
    "Existing approaches to {p1} rely on {adj} {nouns}, which limits their {goal} on {setting}.",
    "We introduce {name}, a {adj} {noun} for {p1} that {verb} prior work without extra supervision.",
    "Our key insight is that {p2} can be treated as a {adj} {noun}, which makes {p1} tractable.",
    "{name} combines a {adj} {noun} with a {adj2} {noun2} and is trained end to end.",
    "We provide an analysis of why {adj} {nouns} fail for {p1} and how {p2} addresses this.",
    "Experiments on {k} benchmarks show that {name} improves {goal} by {pct}% over strong baselines.",
    "On {p1} tasks, {name} {verb} methods that are {k} times larger while using {pct}% less compute.",
    "Ablations confirm that each component of the {noun} contributes to the gains in {goal}.",
    "We further show that the same {adj} {noun} transfers to {p2} with minimal changes.",
    "Code, models and the {adj} {noun} are publicly released to support future work on {p1}.",
    "These results suggest that {p2} and {p1} are best studied together rather than in isolation.",
]
TITLES = [
    "{name}: {Adj} {P1} with {Adj2} {Nouns}",
    "{name}: Towards {Adj} {P1} for {P2}",
    "{Adj} {P1} via {Adj2} {Nouns} and {P2}",
    "{name}: Rethinking {P1} through {Adj} {Nouns}",
    "Scaling {Adj} {Nouns} for {P1} in {Setting}",
    "{name}: A {Adj} {Noun} for {P1} and {P2}",
]
TITLE_TAILS = [" in {Setting}", " with {Adj} {Nouns}", " for {P2}", " at Scale", " beyond {P2}"]


@dataclass(frozen=True)
class Paper:
    """One synthetic paper: its text and the metadata a snapshot carries."""

    number: int
    title: str
    abstract: str
    authors: tuple[tuple[str, str], ...]  # (last name, first name)


class AddedDay(NamedTuple):
    """What add_day() wrote, so remove_day() can undo it."""

    paths: tuple[Path, ...]
    previous_manifest: str


def load_topics(path: Path = SAMPLE_CONTENT / "topics.yaml") -> list[dict]:
    """Return the topics of a topics.yaml, each with its phrases."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]


def capitalise(text: str) -> str:
    """Return ``text`` with its first letter upper-case and the rest untouched."""
    return text[:1].upper() + text[1:]


def plural(noun: str) -> str:
    """Return the plural of one of the NOUNS."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith("s") else "s")


def title_case(text: str) -> str:
    """Return ``text`` with each word capitalised, as titles on trending pages are."""
    return " ".join(capitalise(word) for word in text.split(" "))


def make_name(rng: random.Random) -> str:
    """Return a made-up method name such as ``Kazori-3``."""
    name = capitalise("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return name if rng.random() < 0.5 else f"{name}-{rng.randint(1, 99)}"


def make_paper(seed: int, number: int, topics: list[dict], topic_weights: list[float]) -> Paper:
    """Return paper ``number`` of the corpus made with ``seed``, always the same."""
    rng = random.Random(f"{seed}:{number}")
    chosen = rng.choices(topics, weights=topic_weights, k=rng.choice((1, 1, 2)))
    phrases = [p for topic in chosen for p in topic["phrases"]]

    def fill(template: str) -> str:
        """Fill one template with fresh random words and topic phrases."""
        p1, p2 = rng.choice(phrases), rng.choice(phrases)
        words = dict(name=name, p1=p1, p2=p2, adj=rng.choice(ADJECTIVES), adj2=rng.choice(ADJECTIVES),
                     noun=rng.choice(NOUNS), noun2=rng.choice(NOUNS), verb=rng.choice(VERBS),
                     goal=rng.choice(GOALS), setting=rng.choice(SETTINGS),
                     k=rng.randint(2, 12), pct=rng.randint(3, 60))
        words["nouns"] = plural(words["noun"])
        words.update({capitalise(key): title_case(str(value)) for key, value in words.items()})
        return template.format(**words)

    name = make_name(rng)
    title, title_target = fill(rng.choice(TITLES)), rng.gauss(72, 10)
    while len(title) < title_target:
        title += fill(rng.choice(TITLE_TAILS))
    target = int(rng.gauss(1500, 250))
    sentences: list[str] = []
    while sum(len(s) + 1 for s in sentences) < max(target, 400):
        sentences.append(fill(rng.choice(SENTENCES)))
    authors = tuple((make_name(rng).split("-")[0], capitalise(rng.choice(SYLLABLES) + rng.choice(SYLLABLES)))
                    for _ in range(rng.randint(1, 8)))
    return Paper(number=number, title=title, abstract=" ".join(sentences), authors=authors)


def topic_weights(topics: list[dict]) -> list[float]:
    """Return Zipf-like weights so that early topics are the common ones, as in the sample."""
    return [1 / (1 + 0.2 * i) for i in range(len(topics))]


def date_line(day: dt.date) -> str:
    """Return a trending page's date line for ``day``, such as ``Mar 11``."""
    return f"{day:%b} {day.day}"


def page_text(day: dt.date, papers: list[Paper]) -> str:
    """Return one trending page in the scraped text format."""
    lines = HEADER + [date_line(day)]
    for paper in papers:
        lines += [paper.title, paper.abstract]
    return "\n\n".join(lines) + "\n"


def plan_pages(n: int, rng: random.Random, first_number: int = 0, recent: list[int] | None = None,
               days: int = DAYS) -> list[tuple[int, list[int]]]:
    """Return (day offset, paper numbers) per page: n new papers plus about 15% repeats."""
    pages_estimate = max(1, -(-round(n / (1 - REPEAT_SHARE)) // PER_PAGE))
    new_by_day: dict[int, list[int]] = {-1: list(recent or [])}  # day -1: papers before this plan
    pages: list[tuple[int, list[int]]] = []
    next_number, last_number = first_number, first_number + n
    while next_number < last_number:
        day = min(days - 1, len(pages) * days // pages_estimate)
        new_by_day.setdefault(day, [])
        # Repeats come from papers first seen in the last few days, before this page.
        candidates = [number for d in range(day - REPEAT_WINDOW_DAYS, day + 1) for number in new_by_day.get(d, ())]
        page: list[int] = []
        while len(page) < PER_PAGE and next_number < last_number:
            number = rng.choice(candidates) if candidates and rng.random() < REPEAT_SHARE else None
            if number is None or number in page:
                number = next_number
                next_number += 1
                new_by_day[day].append(number)
            page.append(number)
        pages.append((day, page))
    return pages


def write_content_files(out_dir: Path, topics_path: Path) -> None:
    """Write site.yaml, topics.yaml and pages/ of a content folder, based on the sample's."""
    (out_dir / "corpus").mkdir(parents=True, exist_ok=True)
    (out_dir / "pages").mkdir(exist_ok=True)
    site = (SAMPLE_CONTENT / "site.yaml").read_text(encoding="utf-8")
    site = site.replace("title: paperwire\n", "title: paperwire bench\n")
    if "default_year: 2025" not in site:
        site += "\ndefault_year: 2025\n"
    # Search off, as Hugo builds none; run.py's search-on group copies the
    # corpus with search on and runs Pagefind over Hugo's output.
    site += "\nsearch:\n  enabled: false\n"
    (out_dir / "site.yaml").write_text(site, encoding="utf-8")
    shutil.copyfile(topics_path, out_dir / "topics.yaml")
    shutil.copyfile(SAMPLE_CONTENT / "pages" / "about.md", out_dir / "pages" / "about.md")


def generate(n: int, out_dir: Path, seed: int = 1, fmt: str = "text") -> dict:
    """Write a complete content folder of ``n`` papers; return its manifest."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    topics_path = SAMPLE_CONTENT / "topics.yaml"
    write_content_files(out_dir, topics_path)
    topics = load_topics(topics_path)
    weights = topic_weights(topics)
    rng = random.Random(seed)
    plan = plan_pages(n, rng)
    if fmt == "text":
        for index, (day, numbers) in enumerate(plan, 1):
            papers = [make_paper(seed, number, topics, weights) for number in numbers]
            path = out_dir / "corpus" / f"page-{index:05d}.txt"
            path.write_text(page_text(FIRST_DAY + dt.timedelta(days=day), papers), encoding="utf-8")
    elif fmt == "snapshot":
        write_snapshot(out_dir / "corpus" / "arxiv-metadata.jsonl", plan, seed, topics, weights)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    manifest = dict(seed=seed, format=fmt, papers=n, pages=len(plan),
                    sightings=sum(len(numbers) for _day, numbers in plan),
                    newest_day=(FIRST_DAY + dt.timedelta(days=plan[-1][0])).isoformat(),
                    newest_papers=[number for day, numbers in plan if day == plan[-1][0] for number in numbers
                                   ][-PER_PAGE * 20:])
    (out_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return manifest


def snapshot_record(paper: Paper, arxiv_id: str, created: dt.datetime) -> dict:
    """Return one paper as a line of an arXiv metadata snapshot (wrapped text, as arXiv has it)."""
    authors = [f"{first} {last}" for last, first in paper.authors]
    author_text = ", ".join(authors[:-1]) + " and " + authors[-1] if len(authors) > 1 else authors[0]
    return {
        "id": arxiv_id, "submitter": author_text.split(",")[0].split(" and ")[0], "authors": author_text,
        "title": "\n  ".join(textwrap.wrap(paper.title, 70)), "comments": None, "journal-ref": None,
        "doi": None, "report-no": None, "categories": "cs.LG cs.AI",
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "abstract": "  " + "\n".join(textwrap.wrap(paper.abstract, 80)) + "\n",
        "versions": [{"version": "v1", "created": created.strftime("%a, %-d %b %Y %H:%M:%S GMT")}],
        "update_date": created.date().isoformat(),
        "authors_parsed": [[last, first, ""] for last, first in paper.authors],
    }


def write_snapshot(path: Path, plan: list[tuple[int, list[int]]], seed: int, topics: list[dict],
                   weights: list[float]) -> None:
    """Write each paper once, in first-seen order, as a JSON-lines metadata snapshot."""
    seen: set[int] = set()
    per_month: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as out:
        for day, numbers in plan:
            date = FIRST_DAY + dt.timedelta(days=day)
            for number in numbers:
                if number in seen:
                    continue
                seen.add(number)
                month = f"{date:%y%m}"
                per_month[month] = per_month.get(month, 0) + 1
                created = dt.datetime.combine(date, dt.time(10, 0)) + dt.timedelta(seconds=per_month[month])
                record = snapshot_record(make_paper(seed, number, topics, weights),
                                         f"{month}.{per_month[month]:05d}", created)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def add_day(content_dir: Path, n: int = 1000, seed: int = 2) -> AddedDay:
    """Write one more day of ``n`` trending entries, dated the day after the newest; return what was added."""
    manifest_path = content_dir / MANIFEST
    previous = manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(previous)
    if manifest["format"] != "text":
        raise ValueError("add_day writes trending-page text; this corpus is a snapshot")
    topics = load_topics(content_dir / "topics.yaml")
    weights = topic_weights(topics)
    day = dt.date.fromisoformat(manifest["newest_day"]) + dt.timedelta(days=1)
    # n entries, of which about 15% are repeats: about 0.85 n new papers.
    new_papers = round(n * (1 - REPEAT_SHARE))
    plan = plan_pages(new_papers, random.Random(seed), first_number=manifest["papers"],
                      recent=manifest["newest_papers"], days=1)
    paths = []
    for index, (_day, numbers) in enumerate(plan, manifest["pages"] + 1):
        papers = [make_paper(manifest["seed"], number, topics, weights) for number in numbers]
        path = content_dir / "corpus" / f"page-{index:05d}.txt"
        path.write_text(page_text(day, papers), encoding="utf-8")
        paths.append(path)
    manifest.update(papers=manifest["papers"] + new_papers, pages=manifest["pages"] + len(plan),
                    sightings=manifest["sightings"] + sum(len(numbers) for _d, numbers in plan),
                    newest_day=day.isoformat(),
                    newest_papers=[number for _d, numbers in plan for number in numbers])
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return AddedDay(tuple(paths), previous)


def remove_day(content_dir: Path, added: AddedDay) -> None:
    """Undo add_day(): delete its pages and restore the manifest."""
    for path in added.paths:
        path.unlink()
    (content_dir / MANIFEST).write_text(added.previous_manifest, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and generate one content folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("papers", type=int, help="number of distinct papers")
    parser.add_argument("out_dir", type=Path, help="content folder to (re)create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("text", "snapshot"), default="text")
    args = parser.parse_args(argv)
    manifest = generate(args.papers, args.out_dir, args.seed, args.format)
    print(f"{args.out_dir}: {manifest['papers']} papers, {manifest['sightings']} entries "
          f"on {manifest['pages']} pages, newest day {manifest['newest_day']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
