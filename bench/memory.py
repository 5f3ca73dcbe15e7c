"""Run a command and sample the memory of its whole process tree.

    python bench/memory.py [--interval 0.1] -- COMMAND [ARGS...]

Prints one JSON line: wall and CPU seconds, exit status, and the peaks over
the run of the sum of PSS and of RSS over the command and all its
descendants (MB), and of the largest single process's RSS. PSS (from
/proc/PID/smaps_rollup) shares each page among the processes that map it, so
forked workers are not counted twice; /usr/bin/time's "maximum resident set
size" is the largest single process only. Also the peak growth of /dev/shm's
used space, where paperwire puts the search sources (other users of the
machine count too). CPU seconds are the command's own and those of every
descendant it waited for (the rusage wait4() returns), as /usr/bin/time
reports them. Samples are ``--interval`` apart, or ten times as long as the
last one took when that is longer (a tree of several GB), so that sampling
takes at most a tenth of a core from the command. Linux only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
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


SAMPLING_SHARE_INVERSE = 10  # wait at least ten times as long as a sample took


def _kill_tree(root: int) -> None:
    """Kill ``root`` and all its descendants, listed before the first is killed."""
    for pid in _tree(root):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass  # ended meanwhile


def measure(command: list[str], interval: float = 0.1, timeout: float | None = None,
            timeline: list[tuple[float, float]] | None = None, **popen: object) -> dict[str, float]:
    """Run ``command``, sampling its tree every ``interval`` seconds (or more); return what was measured.

    After ``timeout`` seconds the whole tree is killed (``timed_out`` is then
    true). ``timeline``, when given, receives one (time.perf_counter(), PSS MB)
    pair per sample. Pass ``stderr``/``stdout`` as files, not pipes: nothing
    reads a pipe while the command runs.
    """
    shm_before = _shm_used()
    started = time.perf_counter()
    process = subprocess.Popen(command, **popen)  # type: ignore[call-overload]
    ended: list[tuple[float, int, resource.struct_rusage]] = []  # (when, wait status, rusage) once reaped
    done = threading.Event()

    def reap() -> None:
        # A blocking wait in its own thread: the end is timed to the moment it
        # happens, not to the next sample, and wait4() gives the CPU seconds.
        _pid, status, usage = os.wait4(process.pid, 0)
        ended.append((time.perf_counter(), status, usage))
        done.set()

    threading.Thread(target=reap, daemon=True).start()
    peak_pss = peak_rss = peak_one = peak_shm = 0
    timed_out = False
    while not done.is_set():
        sampling = time.perf_counter()
        sizes = [_memory_kb(pid) for pid in _tree(process.pid)]
        now = time.perf_counter()
        pss = sum(pss for pss, _ in sizes)
        peak_pss = max(peak_pss, pss)
        peak_rss = max(peak_rss, sum(rss for _, rss in sizes))
        peak_one = max([peak_one, *(rss for _, rss in sizes)])
        peak_shm = max(peak_shm, _shm_used() - shm_before)
        if timeline is not None:
            timeline.append((now, pss / 1024))
        if timeout is not None and now - started > timeout and not timed_out:
            timed_out = True
            _kill_tree(process.pid)
        # Reading smaps_rollup walks a process's page tables (about 20 ms per GB
        # here): sampling a large tree every 0.1 s would take a core from the
        # command measured, so the wait grows to keep sampling under a tenth of one.
        done.wait(max(interval, (now - sampling) * SAMPLING_SHARE_INVERSE))
    ended_at, status, usage = ended[0]
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by reap(), not by Popen
    # Not usage.ru_maxrss: the child is a fork of this process before it execs,
    # so the largest RSS it reports is at least this (bench) process's.
    return {"wall_s": round(ended_at - started, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "status": process.returncode, "timed_out": timed_out,
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
