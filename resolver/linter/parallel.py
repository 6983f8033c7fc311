"""Run a per-file function over many files on every core, results in input order.

Linting is per-file work (compose, walk, check) with nothing shared between files but the
configuration, and real trees are large (issue 14: a 1,000-chart monorepo of real values
files is ~30 MB of YAML). :func:`map_ordered` hands the items to a process pool when there
are enough of them to pay for the workers and more than one core is usable, and otherwise
runs them in this process. Either way the results come back in the order of the input, so
output stays deterministic, and the function's per-file state (texts, node trees) is freed
as soon as each call returns: only its result travels back.

Engine-agnostic: the function must be picklable (a module-level function, or a
``functools.partial`` of one with picklable arguments) and its results too. Processes are
optional: if a pool cannot be started (no ``fork``/semaphores in a sandbox, a frozen build)
or breaks, the work is done in-process, with the same results.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from multiprocessing.context import BaseContext
    from typing import TypeVar

    T = TypeVar("T")
    R = TypeVar("R")

THRESHOLD = 200
"""Below this many items a pool costs more than it saves (worker start-up, pickling)."""

JOBS_ENV = "CHARTLOCK_JOBS"
"""Environment variable capping the number of worker processes (1 disables the pool)."""


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity mask, where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def worker_count(items: int, jobs: int | None = None, threshold: int = THRESHOLD) -> int:
    """How many processes to use for ``items`` items: 1 means in-process.

    ``jobs`` (or ``$CHARTLOCK_JOBS``) caps the count; there are never more workers than
    usable cores, nor than ``items // (threshold // 2)`` (each worker gets enough work).
    """
    if jobs is None:
        env = os.environ.get(JOBS_ENV, "").strip()
        jobs = int(env) if env.isdigit() and int(env) > 0 else usable_cores()
    if items < threshold or jobs <= 1:
        return 1
    return max(1, min(jobs, usable_cores(), items // max(1, threshold // 2)))


def map_ordered(
    func: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int | None = None,
    threshold: int = THRESHOLD,
) -> list[R]:
    """``[func(item) for item in items]``, computed by a process pool when it pays.

    An exception raised by ``func`` propagates as it would in-process (the first one in
    input order). A pool that cannot start or dies (a worker killed) makes the whole run
    fall back to in-process: ``func`` must be a pure function of its item for that to be
    safe, which per-file lint work is.
    """
    workers = worker_count(len(items), jobs, threshold)
    if workers == 1:
        return [func(item) for item in items]
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    except (OSError, ImportError, NotImplementedError, ValueError):
        return [func(item) for item in items]
    # Several chunks per worker keep both busy when file sizes differ; few enough that
    # pickling round trips stay negligible.
    chunksize = max(1, len(items) // (workers * 8))
    try:
        with executor:
            return list(executor.map(func, items, chunksize=chunksize))
    except (BrokenProcessPool, OSError):
        return [func(item) for item in items]


def _context() -> BaseContext:
    """``fork`` where it is safe and available (no re-import: workers start in ~1 ms),
    else ``spawn``. Forking a process that runs other threads can deadlock a child on a
    lock held by one of them, so a multi-threaded parent spawns."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
