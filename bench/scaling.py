"""Time and measure each stage of a clean paperwire build at growing sizes: the scaling table of issue 20.

For each size N a corpus is generated (bench/generate.py) and built once,
clean, with ``build.py build -v``. Its stage lines on stderr (``read
0.528 s  0.95 s CPU  84 MB peak``: any stage name) give each stage's wall and
CPU seconds; they are read as they are printed, so that the samples of
bench/memory.py (the sum of PSS over the whole process tree) taken between a
stage's start and end give its peak memory. Writes bench/out/scaling.md and
scaling.json: per stage and size the seconds, the microseconds per paper,
the peak memory, and the growth of the cost per paper from the smallest
size of at least 10,000 papers to the largest (above 1.5x: superlinear).

    python bench/scaling.py [--sizes 1000,10000,100000,300000] [--search on|off] [--seed S]
    make bench BENCH_ARGS="--scaling --sizes 1000,10000,100000,300000"
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402
from run import (OUT, code_state, count_outputs, empty_trash, environment, last_error_line, measure,  # noqa: E402
                 mixed_versions_warning, move_aside, paperwire_command, parse_sizes, set_search,
                 wait_for_retired_outputs)

# What StageTimer prints in verbose mode: name, wall seconds, CPU seconds, the main process's peak RSS so far.
STAGE_LINE = re.compile(r"^(?P<name>\S.*?)\s+(?P<wall>\d+(?:\.\d+)?) s\s+(?P<cpu>\d+(?:\.\d+)?) s CPU"
                        r"\s+(?P<peak>\d+) MB peak\s*$")
REST = "rest of the process"  # start-up, imports and what follows the last stage: the whole less the stages
GROWTH_LIMIT = 1.5  # per-paper cost growing more than this from the base size to the largest: superlinear
BASE_SIZE = 10_000  # smaller sizes are dominated by start-up: growth is measured from the first size this large
JUDGED_SECONDS = 0.1  # a stage quicker than this at the largest size is too small for its growth to mean much
WHOLE = "whole build"  # the last row of the stage tables: the whole command, measured, not summed
# (Stage field, short name, title of its table)
FIGURES = (("wall_s", "wall", "Wall seconds (µs per paper)"), ("cpu_s", "CPU", "CPU seconds (µs per paper)"),
           ("tree_peak_mb", "memory", "Peak memory of the process tree while the stage ran, MB (sum of PSS; – when "
                                      "the stage was quicker than a sample)"))


@dataclass(frozen=True)
class Stage:
    """One stage of one build, as -v printed it, with the tree's peak memory while it ran."""

    name: str
    wall_s: float
    cpu_s: float  # the main process's and its workers' that ended during the stage
    main_peak_mb: float  # the main process's peak RSS so far, as -v prints it
    tree_peak_mb: float | None  # the peak sum of PSS sampled during the stage; None: no sample fell in it


@dataclass(frozen=True)
class SizeResult:
    """One clean build of one size."""

    papers: int
    entries: int
    search: bool
    generate_s: float
    ok: bool
    error: str
    wall_s: float
    cpu_s: float
    peak_pss_mb: float
    peak_shm_mb: float
    files: int
    html_pages: int
    stages: tuple[Stage, ...]


def read_lines(stream: int, lines: list[tuple[float, str]]) -> None:
    """Append each line read from the file descriptor ``stream``, with the time it arrived, until its end."""
    with open(stream, encoding="utf-8", errors="replace") as reader:
        for line in reader:
            lines.append((time.perf_counter(), line.rstrip("\n")))


def parse_stages(lines: list[tuple[float, str]], timeline: list[tuple[float, float]], wall_s: float,
                 cpu_s: float) -> tuple[Stage, ...]:
    """Return the stages the lines name, each with the memory sampled while it ran, then the rest."""
    stages, spans = [], []
    for arrived, line in lines:
        match = STAGE_LINE.match(line)
        if not match:
            continue  # a warning, or the summary line
        # A stage ends when its line is printed and began its own wall seconds before.
        span = (arrived - float(match["wall"]), arrived)
        samples = [mb for at, mb in timeline if span[0] <= at <= span[1]]
        stages.append(Stage(match["name"], float(match["wall"]), float(match["cpu"]), float(match["peak"]),
                            round(max(samples), 1) if samples else None))
        spans.append(span)
    outside = [mb for at, mb in timeline if not any(start <= at <= end for start, end in spans)]
    rest = Stage(REST, round(max(0.0, wall_s - sum(s.wall_s for s in stages)), 3),
                 round(max(0.0, cpu_s - sum(s.cpu_s for s in stages)), 2), 0.0,
                 round(max(outside), 1) if outside else None)
    return (*stages, rest)


def bench_size(n: int, args: argparse.Namespace, trash: Path) -> SizeResult:
    """Generate ``n`` papers and measure one clean verbose build of them."""
    work = OUT / "scaling" / str(n)
    content, site = work / "content", work / "site"
    for old in (content, site):
        move_aside(old, trash)
    started = time.perf_counter()
    manifest = generate(n, content, seed=args.seed)
    set_search(content, args.search == "on")
    generate_s = time.perf_counter() - started
    print(f"N={n}: {manifest['sightings']} entries on {manifest['pages']} pages (generated in {generate_s:.1f} s)",
          flush=True)
    lines: list[tuple[float, str]] = []
    timeline: list[tuple[float, float]] = []
    # The build's stderr comes through a pipe read as it is written, so that
    # each stage line is stamped with the moment its stage ended.
    read_end, write_end = os.pipe()
    reader = threading.Thread(target=read_lines, args=(read_end, lines), daemon=True)
    reader.start()
    try:
        result = measure(paperwire_command(content, site, "-v"), args.timeout, stderr=write_end, timeline=timeline)
    finally:
        os.close(write_end)  # the reader sees the end of the pipe once the build's copy is closed too
    reader.join(timeout=30)
    wait_for_retired_outputs(site)
    files, html = count_outputs(site) if site.exists() else (0, 0)
    ok = result.returncode == 0
    error = "" if ok else last_error_line(replace(result, stderr="\n".join(line for _, line in lines)
                                                   + result.stderr))
    stages = parse_stages(lines, timeline, result.wall_s, result.cpu_s)
    size = SizeResult(n, manifest["sightings"], args.search == "on", round(generate_s, 1), ok, error[:200],
                      result.wall_s, result.cpu_s, result.peak_pss_mb, result.peak_shm_mb, files, html, stages)
    print(f"  clean build: {size.wall_s:.2f} s, {size.cpu_s:.1f} s CPU, {size.peak_pss_mb:.0f} MB, "
          f"{files} files  {'ok' if ok else 'FAILED: ' + error}", flush=True)
    for stage in stages:
        memory = "" if stage.tree_peak_mb is None else f"{stage.tree_peak_mb:7.0f} MB"
        print(f"    {stage.name:<20} {stage.wall_s:8.3f} s {stage.cpu_s:8.2f} s CPU {memory}", flush=True)
    return size


def stage_figures(size: SizeResult) -> dict[str, Stage]:
    """Return the build's stages by name, a stage printed twice summed (its memory: the larger)."""
    figures: dict[str, Stage] = {}
    for stage in size.stages:
        seen = figures.get(stage.name)
        if seen:
            peaks = [mb for mb in (seen.tree_peak_mb, stage.tree_peak_mb) if mb is not None]
            stage = Stage(stage.name, seen.wall_s + stage.wall_s, seen.cpu_s + stage.cpu_s,
                          max(seen.main_peak_mb, stage.main_peak_mb), max(peaks, default=None))
        figures[stage.name] = stage
    # The whole build, as a last row: the process tree's figures, not a sum of stages.
    figures[WHOLE] = Stage(WHOLE, size.wall_s, size.cpu_s, 0.0, size.peak_pss_mb)
    return figures


def stage_table(sizes: list[SizeResult], by_size: list[dict[str, Stage]], names: list[str], figure: str,
                title: str) -> list[str]:
    """Return one Markdown table: a row per stage, a column per size, of one figure."""
    lines = [f"{title}:", "", "| stage | " + " | ".join(f"{s.papers:,}" for s in sizes) + " |",
             "|---|" + "--:|" * len(sizes)]
    for name in names:
        cells = []
        for size, stages in zip(sizes, by_size):
            value = getattr(stages[name], figure) if name in stages else None
            if value is None:
                cells.append("–")
            elif figure == "tree_peak_mb":
                cells.append(f"{value:,.0f}")
            else:
                cells.append(f"{value:,.2f} ({value / size.papers * 1e6:,.0f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def growth(base: SizeResult, base_stages: dict[str, Stage], top: SizeResult, top_stages: dict[str, Stage],
           name: str) -> dict:
    """Return how much one stage's cost per paper grew from ``base`` to ``top``, and the verdict."""
    ratios: dict[str, float | None] = {}
    for figure, short, _title in FIGURES:
        low = getattr(base_stages[name], figure) if name in base_stages else None
        high = getattr(top_stages[name], figure) if name in top_stages else None
        ratios[short] = (high / top.papers) / (low / base.papers) if low and high is not None else None
    if name not in top_stages or top_stages[name].wall_s < JUDGED_SECONDS:
        verdict = f"too quick to judge (under {JUDGED_SECONDS} s)"
    else:
        grown = [short for short, ratio in ratios.items() if ratio is not None and ratio > GROWTH_LIMIT]
        verdict = f"**superlinear: {', '.join(grown)}**" if grown else "linear or better"
    return dict(stage=name, growth=ratios, verdict=verdict)


def markdown(sizes: list[SizeResult], header: str) -> tuple[str, list[dict]]:
    """Return the scaling tables and the growth check as Markdown, and the growth rows."""
    by_size = [stage_figures(size) for size in sizes]
    names = list(dict.fromkeys(name for stages in by_size for name in stages if name != WHOLE)) + [WHOLE]
    lines = [header, "",
             f"One clean build per size, search {'on' if sizes[0].search else 'off'}, "
             "`build.py build -v`; the stages as -v prints them (CPU: the main process's, and its workers' "
             "once they have ended). " + f"\"{REST}\": start-up, imports and what follows the last stage.", "",
             "| papers | entries | generated in s | wall s | CPU s | µs per paper | peak PSS MB (tree) "
             "| /dev/shm MB | files | HTML pages | status |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for size in sizes:
        lines.append(f"| {size.papers:,} | {size.entries:,} | {size.generate_s:.1f} | {size.wall_s:.2f} "
                     f"| {size.cpu_s:.1f} | {size.wall_s / size.papers * 1e6:,.0f} | {size.peak_pss_mb:,.0f} "
                     f"| {size.peak_shm_mb:,.0f} | {size.files:,} | {size.html_pages:,} "
                     f"| {'ok' if size.ok else 'failed: ' + size.error} |")
    lines.append("")
    for figure, _short, title in FIGURES:
        lines += stage_table(sizes, by_size, names, figure, title)
    built = [(size, stages) for size, stages in zip(sizes, by_size) if size.ok]
    rows: list[dict] = []
    if len(built) >= 2:
        top, top_stages = built[-1]
        # The base: the smallest size of at least BASE_SIZE papers below the largest, else the smallest.
        base, base_stages = next(((s, st) for s, st in built[:-1] if s.papers >= BASE_SIZE), built[0])
        rows = [growth(base, base_stages, top, top_stages, name) for name in names]
        lines += [f"Growth of the cost per paper from {base.papers:,} to {top.papers:,} papers ({top.papers / base.papers:,.0f}× "
                  f"the papers; 1.00 is linear, above {GROWTH_LIMIT}: superlinear):", "",
                  "| stage | " + " | ".join(short for _figure, short, _title in FIGURES) + " | verdict |",
                  "|---|" + "--:|" * len(FIGURES) + "---|"]
        for row in rows:
            cells = ["–" if ratio is None else f"{ratio:.2f}" for ratio in row["growth"].values()]
            lines.append(f"| {row['stage']} | " + " | ".join(cells) + f" | {row['verdict']} |")
    return "\n".join(lines) + "\n", rows


def main(argv: list[str] | None = None) -> int:
    """Measure every size and write bench/out/scaling.md and scaling.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10_000, 100_000, 300_000],
                        help="comma-separated paper counts (default 1000,10000,100000,300000)")
    parser.add_argument("--search", choices=("on", "off"), default="on",
                        help="build with search (default: on, so that the search index is measured too)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a build is killed")
    parser.add_argument("--keep", action="store_true", help="keep the old outputs moved aside in bench/out/trash")
    args = parser.parse_args(argv)
    header = f"# paperwire: the cost of each stage as the corpus grows\n\n{environment(with_hugo=False)}"
    print(header, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    trash = OUT / "trash"
    sizes: list[SizeResult] = []
    code_before = code_state()
    try:
        for n in sorted(args.sizes):
            sizes.append(bench_size(n, args, trash))
    finally:
        header += mixed_versions_warning(code_before)
        report, growth_rows = markdown(sizes, header) if sizes else (header + "\n\nno runs\n", [])
        (OUT / "scaling.md").write_text(report, encoding="utf-8")
        (OUT / "scaling.json").write_text(json.dumps({"sizes": [asdict(size) for size in sizes],
                                                      "growth": growth_rows}, indent=1))
        print()
        print(report)
        empty_trash(trash, args.keep)
    return 0 if sizes and all(size.ok for size in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
