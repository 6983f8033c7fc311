"""resolver.linter.parallel: a process pool above a threshold, results in input order."""

from __future__ import annotations

import concurrent.futures
import functools
import os
import threading

import pytest

from resolver.linter import parallel


def _square_with_pid(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def _fail_on_seven(item: int) -> int:
    if item == 7:
        raise ValueError(f"item {item}")
    return item


def _scale(factor: int, item: int) -> int:
    return factor * item


def _die_in_worker(parent: int, item: int) -> int:
    if os.getpid() != parent:
        os._exit(3)  # a worker killed mid-run (OOM killer, signal)
    return item + 1


needs_two_cores = pytest.mark.skipif(
    parallel.usable_cores() < 2, reason="a pool needs two usable cores"
)


def test_small_inputs_run_in_process() -> None:
    results = parallel.map_ordered(_square_with_pid, list(range(50)), threshold=200)
    assert [r for r, _ in results] == [i * i for i in range(50)]
    assert {pid for _, pid in results} == {os.getpid()}


@needs_two_cores
def test_large_inputs_use_worker_processes_and_keep_the_input_order() -> None:
    items = list(range(999, -1, -1))  # descending: order must follow the input, not sorting
    results = parallel.map_ordered(_square_with_pid, items, jobs=2, threshold=100)
    assert [r for r, _ in results] == [i * i for i in items]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


@needs_two_cores
def test_partial_functions_travel_to_the_workers() -> None:
    items = list(range(400))
    assert parallel.map_ordered(functools.partial(_scale, 3), items, jobs=2, threshold=10) == [
        3 * i for i in items
    ]


@needs_two_cores
def test_an_exception_in_a_worker_propagates_as_in_process() -> None:
    with pytest.raises(ValueError, match="item 7"):
        parallel.map_ordered(_fail_on_seven, list(range(400)), jobs=2, threshold=10)
    with pytest.raises(ValueError, match="item 7"):
        parallel.map_ordered(_fail_on_seven, list(range(20)), jobs=2, threshold=100)


@needs_two_cores
def test_a_pool_that_breaks_falls_back_to_in_process() -> None:
    func = functools.partial(_die_in_worker, os.getpid())
    assert parallel.map_ordered(func, list(range(300)), jobs=2, threshold=10) == [
        i + 1 for i in range(300)
    ]


def test_a_pool_that_cannot_start_falls_back_to_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")  # no POSIX semaphores (sandboxes)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 4)
    results = parallel.map_ordered(_square_with_pid, list(range(300)), jobs=4, threshold=10)
    assert [r for r, _ in results] == [i * i for i in range(300)]
    assert {pid for _, pid in results} == {os.getpid()}


def test_worker_count_honours_the_threshold_jobs_cores_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    monkeypatch.delenv(parallel.JOBS_ENV, raising=False)
    assert parallel.worker_count(199, threshold=200) == 1
    assert parallel.worker_count(1000, threshold=200) == 2
    assert parallel.worker_count(1000, jobs=8, threshold=200) == 2  # never above the cores
    assert parallel.worker_count(1000, jobs=1, threshold=200) == 1
    assert parallel.worker_count(150, jobs=2, threshold=100) == 2
    assert parallel.worker_count(100, jobs=2, threshold=100) == 2
    assert parallel.worker_count(1000, jobs=2, threshold=0) == 2
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    assert parallel.worker_count(1000, threshold=200) == 1
    for junk in ("0", "-2", "many", ""):
        monkeypatch.setenv(parallel.JOBS_ENV, junk)
        assert parallel.worker_count(1000, threshold=200) == 2


def test_a_multithreaded_parent_spawns_instead_of_forking() -> None:
    assert parallel._context().get_start_method() in ("fork", "spawn")
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert parallel._context().get_start_method() == "spawn"
    finally:
        release.set()
        thread.join()
