"""Run one function over chunks of work in worker processes, results in order.

Workers are forked, so they start with the parent's data (records, compiled
templates) already in memory instead of receiving it pickled. Results come
back in submission order, so output never depends on the number of workers.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import multiprocessing.pool
import os
import signal
import threading
from typing import Any, Callable, Iterator, Sequence, TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

# Held by a thread of the build while it renders beside the main one (the
# search index): a process forked meanwhile would start with the locks that
# thread held (Jinja's template cache has one) and never see them released.
# Every fork of this process waits for it, and the child starts with it free.
FORK_GUARD = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=FORK_GUARD.acquire, after_in_parent=FORK_GUARD.release,
                        after_in_child=FORK_GUARD.release)

# The read-only data each forked worker got from the parent; set once per
# worker by _start_worker, never in the parent.
_worker_context: Any = None


def default_jobs() -> int:
    """Return the number of workers to use: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence[Chunk], size: int) -> list[Sequence[Chunk]]:
    """Split ``items`` into consecutive chunks of at most ``size``."""
    return [items[i: i + size] for i in range(0, len(items), size)]


def _release_free_heap() -> None:
    """Hand the pages malloc holds free back to the system, where the C library can (glibc's malloc_trim)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


def _start_worker(context: Any) -> None:
    global _worker_context
    _worker_context = context
    # Forked with the parent's signal handlers; a worker is ended with SIGTERM
    # when its pool closes, which must stay Python's quick default.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(func: Callable[[Any, Any], Any], chunk: Any) -> Any:
    return func(_worker_context, chunk)


def _can_fork(jobs: int) -> bool:
    return jobs > 1 and "fork" in multiprocessing.get_all_start_methods()


def forks_workers(chunks: int, jobs: int) -> bool:
    """Whether a WorkerMap of ``chunks`` chunks and ``jobs`` jobs runs in worker processes, not in this one."""
    return chunks > 1 and _can_fork(jobs)


class _Workers:
    """Worker processes forked from this one; closed (or left), they are ended."""

    pool: "multiprocessing.pool.Pool | None" = None

    def _fork(self, processes: int, context: Any) -> "multiprocessing.pool.Pool":
        # Objects alive now are the parent's data, shared with the workers
        # copy-on-write. Frozen, the garbage collector never walks them: in
        # the workers that would copy every page it touches, in the parent
        # it is wasted time (they live until the build ends).
        gc.freeze()
        # Pages malloc keeps for reuse (the last stage's garbage: a quarter
        # of a gigabyte after the related papers of 100,000) would be shared
        # with the workers too, and every process that reused one would copy
        # it. Handed back first, they are not copied: 100,000 papers with
        # search, peak memory of the process tree 1,730 -> 1,530 MB.
        _release_free_heap()
        self.pool = multiprocessing.get_context("fork").Pool(processes, _start_worker, (context,))
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def __enter__(self: "Workers") -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Workers = TypeVar("Workers", bound=_Workers)


class WorkerMap(_Workers):
    """``func(context, chunk)`` for each chunk, started at once in ``jobs`` processes.

    Iterating yields the results in order. Work starts when the map is made,
    so the parent can do other work meanwhile. ``func`` must be a module-level
    function. With one job, or one chunk, it runs in this process, lazily: the
    same results, without the cost of forking.
    """

    def __init__(self, func: Callable[[Any, Chunk], Result], chunks: Sequence[Chunk], context: Any, jobs: int):
        if not forks_workers(len(chunks), jobs):
            self.results: Iterator[Result] = (func(context, chunk) for chunk in chunks)
        else:
            self.results = self._fork(min(jobs, len(chunks)), context).imap(_Call(func), chunks)

    def __iter__(self) -> Iterator[Result]:
        return self.results


class Background(_Workers):
    """``func(context, None)`` started at once in one forked process; ``result()`` waits for it.

    For work that needs none of what this process does next: both go on at
    the same time. With one job it runs in this process, when ``result()``
    is asked for: the same result, later.
    """

    def __init__(self, func: Callable[[Any, None], Result], context: Any, jobs: int):
        self.func, self.context = func, context
        if _can_fork(jobs):
            self.pending = self._fork(1, context).apply_async(_Call(func), (None,))

    def result(self) -> Any:
        if self.pool is None:
            return self.func(self.context, None)
        return self.pending.get()


def map_chunks(func: Callable[[Any, Chunk], Result], chunks: Sequence[Chunk], context: Any,
               jobs: int) -> Iterator[Result]:
    """Yield ``func(context, chunk)`` for each chunk, in order, using ``jobs`` processes."""
    with WorkerMap(func, chunks, context, jobs) as results:
        yield from results


class _Call:
    """A picklable ``_run(func, chunk)`` (a lambda would not pickle)."""

    def __init__(self, func: Callable[[Any, Any], Any]):
        self.func = func

    def __call__(self, chunk: Any) -> Any:
        return _run(self.func, chunk)
