"""resolver.commands.common and the small shared helpers the online command cores use."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from resolver.chart.repoconfig import RepoEntry
from resolver.commands.common import Memo, add_error, close_all, name_urls
from resolver.errors import ChartlockError, RegistryError
from resolver.util.aio import consume


def test_memo_runs_each_key_once_and_a_caller_giving_up_cancels_nothing() -> None:
    calls: list[str] = []

    async def fetch(key: str) -> str:
        calls.append(key)
        await asyncio.sleep(0)
        return key.upper()

    async def main() -> tuple[list[str], bool]:
        memo: Memo[str, str] = Memo()
        impatient = memo.get("a", lambda: fetch("a"))
        impatient.cancel()  # one caller stops waiting...
        results = await asyncio.gather(*(memo.get(k, functools.partial(fetch, k)) for k in "aab"))
        cancelled = impatient.cancelled()
        await close_all(memo)
        return list(results), cancelled

    results, cancelled = asyncio.run(main())
    assert results == ["A", "A", "B"]  # ...the others still get the shared result
    assert cancelled and sorted(calls) == ["a", "b"]


def test_memo_close_cancels_what_nobody_awaits() -> None:
    async def main() -> bool:
        memo: Memo[str, None] = Memo()
        started = asyncio.Event()

        async def forever() -> None:
            started.set()
            await asyncio.Event().wait()

        memo.get("x", forever)
        await started.wait()
        await memo.aclose()
        return all(t.done() for t in asyncio.all_tasks() if t is not asyncio.current_task())

    assert asyncio.run(main())


def test_add_error_keeps_one_line_per_message() -> None:
    errors: list[Exception] = [ChartlockError("registry down")]
    add_error(errors, RegistryError("registry down"))
    add_error(errors, RegistryError("tag gone"))
    assert [str(e) for e in errors] == ["registry down", "tag gone"]


def test_name_urls_first_entry_of_a_name_wins_like_helm() -> None:
    repos = [RepoEntry("a", "https://one"), RepoEntry("b", "https://two"), RepoEntry("a", "x")]
    assert name_urls(repos) == {"a": "https://one", "b": "https://two"}


@pytest.mark.parametrize(
    ("status", "code", "gone"),
    [
        (404, "", True),
        (None, "MANIFEST_UNKNOWN", True),
        (None, "NAME_UNKNOWN", True),
        (401, "UNAUTHORIZED", False),
        (500, "", False),
        (None, "NOT_A_CHART", False),
    ],
)
def test_a_registry_error_says_whether_the_thing_is_gone(
    status: int | None, code: str, gone: bool
) -> None:
    assert RegistryError("x", status=status, code=code).gone is gone


def test_consume_retrieves_a_prefetch_failure_that_nobody_awaits() -> None:
    seen: list[dict[str, object]] = []

    async def fails() -> None:
        raise RegistryError("boom")

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: seen.append(ctx))
        task = asyncio.ensure_future(fails())
        task.add_done_callback(consume)
        await asyncio.sleep(0.01)
        del task

    asyncio.run(main())
    import gc

    gc.collect()
    assert seen == []


def test_load_each_goes_on_past_a_chart_that_does_not_load(tmp_path: Path) -> None:
    from resolver.commands.common import load_each

    good = tmp_path / "good"
    good.mkdir()
    (good / "Chart.yaml").write_text("apiVersion: v2\nname: good\nversion: 0.1.0\n", "utf-8")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Chart.yaml").write_text("apiVersion: v2\nname: [\n", "utf-8")
    errors: list[Exception] = []
    loaded = load_each([tmp_path / "bad", good, tmp_path / "none"], tmp_path, errors)
    assert [item.display for item in loaded] == ["good"]
    assert [str(e).split(":")[0] for e in errors] == ["bad/Chart.yaml", "none"]
