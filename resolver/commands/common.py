"""What the online command cores (lock, verify, pull, outdated) share: request memos, error
de-duplication, loading each chart, default options and the repositories.yaml names."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from resolver.errors import ChartlockError

if TYPE_CHECKING:
    from resolver.chart.pair import LoadedChart
    from resolver.chart.repoconfig import RepoEntry
    from resolver.registry.options import ClientOptions

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Run each keyed coroutine once; every caller awaits the same task."""

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: dict[K, asyncio.Task[V]] = {}

    def get(self, key: K, factory: Callable[[], Awaitable[V]]) -> asyncio.Future[V]:
        """The shared task's result, shielded: a caller that stops waiting (cancelled because
        its own check failed) does not cancel the request under the other callers.
        :meth:`aclose` cancels what nobody awaits any more."""
        task = self._tasks.get(key)
        if task is None:

            async def run() -> V:
                return await factory()

            task = self._tasks[key] = asyncio.ensure_future(run())
        return asyncio.shield(task)

    async def aclose(self) -> None:
        """Cancel what is still running and wait for it: no task outlives its command, and
        every failure is retrieved (see :mod:`resolver.util.aio`)."""
        from resolver.util.aio import cancel_and_wait

        await cancel_and_wait(self._tasks.values())


async def close_all(*memos: Memo[Any, Any]) -> None:
    """:meth:`Memo.aclose` each of ``memos``, in order."""
    for memo in memos:
        await memo.aclose()


E = TypeVar("E", bound=Exception)


def add_error(errors: list[E], error: E) -> None:
    """Append ``error`` unless one with the same message is there already: many dependencies
    failing the same way (one registry down) make one line, not one per dependency."""
    if all(str(e) != str(error) for e in errors):
        errors.append(error)


def load_each(
    chart_dirs: Sequence[Path], cwd: Path, errors: list[ChartlockError] | list[Exception]
) -> list[LoadedChart]:
    """Every chart of ``chart_dirs`` that loads (:func:`resolver.chart.pair.load_chart_dir`);
    each one that does not becomes one error in ``errors`` and the run goes on with the
    others (``verify``, ``outdated``)."""
    from resolver.chart.pair import load_chart_dir

    out = []
    for chart_dir in chart_dirs:
        try:
            out.append(load_chart_dir(Path(chart_dir), cwd))
        except ChartlockError as exc:
            errors.append(exc)
    return out


def default_options() -> ClientOptions:
    from resolver.registry.options import ClientOptions

    return ClientOptions()


def name_urls(repos: Sequence[RepoEntry]) -> dict[str, str]:
    """``{name: url}`` of repositories.yaml entries; the first entry of a name wins, as in
    Helm's loop (:func:`resolver.chart.repoconfig.repo_urls` for a file)."""
    out: dict[str, str] = {}
    for entry in repos:
        out.setdefault(entry.name, entry.url)
    return out


__all__ = [
    "Memo",
    "add_error",
    "close_all",
    "default_options",
    "load_each",
    "name_urls",
]
