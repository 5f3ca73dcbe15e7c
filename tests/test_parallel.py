"""Worker processes: results in order whatever the number of workers, errors come back, closing ends them."""

from __future__ import annotations

import os
import time

import pytest

from paperwire.errors import ContentError
from paperwire.parallel import Background, WorkerMap, chunked


def _square_all(offset: int, chunk: list[int]) -> list[tuple[int, int]]:
    return [(n * n + offset, os.getpid()) for n in chunk]


def _fail_on_three(_context: None, chunk: list[int]) -> list[int]:
    if 3 in chunk:
        raise ContentError("three.txt", 3, "no threes")
    return chunk


def _double_and_pid(context: int, _chunk: None) -> tuple[int, int]:
    return context * 2, os.getpid()


def _pid_then_sleep(path: str, _chunk: None) -> int:
    with open(path, "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(60)
    return 0


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_worker_map_gives_results_in_order(jobs):
    with WorkerMap(_square_all, chunked(list(range(20)), 3), 1, jobs) as results:
        flat = [pair for chunk in results for pair in chunk]
    assert [value for value, _ in flat] == [n * n + 1 for n in range(20)]
    in_parent = {pid for _, pid in flat} == {os.getpid()}
    assert in_parent == (jobs == 1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_in_a_worker_comes_back_whole(jobs):
    with pytest.raises(ContentError) as raised:
        with WorkerMap(_fail_on_three, chunked(list(range(6)), 2), None, jobs) as results:
            list(results)
    assert str(raised.value) == "three.txt:3: no threes"


@pytest.mark.parametrize("jobs", [1, 2])
def test_background_gives_the_same_result_with_any_number_of_jobs(jobs):
    with Background(_double_and_pid, 21, jobs) as job:
        value, pid = job.result()
    assert value == 42 and (pid == os.getpid()) == (jobs == 1)


def test_background_process_ends_when_closed_early(tmp_path):
    started = tmp_path / "pid"
    with Background(_pid_then_sleep, str(started), 2):
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    pid = int(started.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
