"""Run a command and sample the memory of its whole process tree.

    python bench/memory.py [--interval 0.1] -- COMMAND [ARGS...]

Prints one JSON line: wall seconds, exit status, and the peaks over the run
of the sum of PSS and of RSS over the command and all its descendants (MB),
and of the largest single process's RSS. PSS (from /proc/PID/smaps_rollup)
shares each page among the processes that map it, so forked workers are not
counted twice; /usr/bin/time's "maximum resident set size" is the largest
single process only. Also the peak growth of /dev/shm's used space, where
paperwire puts the search sources (other users of the machine count too).
Linux only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _children() -> dict[int, list[int]]:
    """Return each process's children, read from /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        parent = int(stat.rpartition(")")[2].split()[1])  # after the command name, which may hold spaces
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _tree(root: int) -> list[int]:
    children, tree, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _memory_kb(pid: int) -> tuple[int, int]:
    """Return the PSS and RSS of ``pid`` in kB, or zeros once it has ended."""
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return pss, rss


def _shm_used() -> int:
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return 0
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def measure(command: list[str], interval: float = 0.1, **popen: object) -> dict[str, float]:
    """Run ``command``, sampling its tree every ``interval`` seconds; return what was measured."""
    shm_before = _shm_used()
    started = time.perf_counter()
    process = subprocess.Popen(command, **popen)  # type: ignore[call-overload]
    peak_pss = peak_rss = peak_one = peak_shm = 0
    while process.poll() is None:
        sizes = [_memory_kb(pid) for pid in _tree(process.pid)]
        peak_pss = max(peak_pss, sum(pss for pss, _ in sizes))
        peak_rss = max(peak_rss, sum(rss for _, rss in sizes))
        peak_one = max([peak_one, *(rss for _, rss in sizes)])
        peak_shm = max(peak_shm, _shm_used() - shm_before)
        time.sleep(interval)
    return {"wall_s": round(time.perf_counter() - started, 3), "status": process.returncode,
            "peak_pss_mb": round(peak_pss / 1024, 1), "peak_rss_sum_mb": round(peak_rss / 1024, 1),
            "peak_rss_one_mb": round(peak_one / 1024, 1), "peak_shm_mb": round(peak_shm / 2**20, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    result = measure(command, args.interval)
    print(json.dumps(result))
    return int(result["status"])


if __name__ == "__main__":
    sys.exit(main())
