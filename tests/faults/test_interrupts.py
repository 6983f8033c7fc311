"""Ctrl-C at any moment, and many requests failing at once: one line, never a traceback.

* Ctrl-C (SIGINT) at seeded random moments from 0.01 s to 1 s into real runs (``lock`` against
  the real registry behind a latency proxy, so that a run lasts about a second; ``check`` and
  ``lint``), through ``python -m resolver`` and through the console script pip generates:
  "chartlock: interrupted" and exit 130 (or a normal exit when the run was already over), and
  Chart.lock is the old file or a complete new one, with no temp file left.
* A 429 storm: twenty concurrent requests all failing: exit 2, one line, no "unhandled
  exception during asyncio.run() shutdown", no "Task exception was never retrieved".
* :mod:`resolver.util.aio` and :mod:`resolver.util.interrupts` at unit level.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from resolver.chart.loader import load_chart, load_lock
from resolver.chart.lockfile import hash_req
from resolver.util import interrupts
from resolver.util.aio import cancel_and_wait, gather
from tests.faults.conftest import ROOT, run_chartlock, snapshot, write_chart
from tests.support.latency import LatencyProxy
from tests.support.proxy import Proxy
from tests.support.registry import Pusher, RegistryServer

NOISE = (
    "Traceback",
    "unhandled exception",
    "never retrieved",
    "Task was destroyed",
    "Exception ignored",
    "RuntimeWarning",
)

# --- resolver.util.aio -------------------------------------------------------------------------


def test_gather_cancels_and_awaits_siblings_and_raises_the_first_failure() -> None:
    finished: list[str] = []

    async def fail(delay: float, name: str) -> int:
        await asyncio.sleep(delay)
        raise ValueError(name)

    async def slow() -> int:
        try:
            await asyncio.sleep(10)
        finally:
            finished.append("slow cleaned up")
        return 1

    async def main() -> set[asyncio.Task[object]]:
        with pytest.raises(ValueError, match="first"):
            await gather(fail(0.01, "first"), slow(), fail(0.05, "second"), slow())
        return asyncio.all_tasks() - {asyncio.current_task()}

    left = asyncio.run(main())
    assert left == set()  # nothing outlives the batch
    assert finished == ["slow cleaned up", "slow cleaned up"]


def test_gather_returns_results_in_order() -> None:
    async def value(delay: float, v: int) -> int:
        await asyncio.sleep(delay)
        return v

    assert asyncio.run(gather(value(0.02, 1), value(0.0, 2), value(0.01, 3))) == [1, 2, 3]
    assert asyncio.run(gather()) == []


def test_gather_cancelled_from_outside_awaits_its_children() -> None:
    cleaned: list[int] = []

    async def child(i: int) -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0)  # cleanup that itself awaits
            cleaned.append(i)

    async def main() -> None:
        outer = asyncio.ensure_future(gather(child(1), child(2)))
        await asyncio.sleep(0.01)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        assert sorted(cleaned) == [1, 2]

    asyncio.run(main())


def test_cancel_and_wait_retrieves_every_exception(capfd: pytest.CaptureFixture[str]) -> None:
    async def boom() -> None:
        raise RuntimeError("boom")

    async def main() -> None:
        tasks = [asyncio.ensure_future(boom()) for _ in range(5)]
        await asyncio.sleep(0)
        await cancel_and_wait(tasks)
        assert all(t.done() for t in tasks)

    asyncio.run(main())
    import gc

    gc.collect()
    assert "never retrieved" not in capfd.readouterr().err


# --- resolver.util.interrupts ------------------------------------------------------------------


def test_deferred_holds_sigint_until_the_block_is_done() -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler has run by now: it only took note
        steps.append("block finished")
    assert steps == ["block finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_deferred_second_signal_is_not_held() -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        steps.append("after the first")
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        steps.append("after the second")
    assert steps == ["after the first"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_console_module_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import resolver.cli.console\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(eval(result.stdout))  # a list literal we printed ourselves
    # The packages' own __init__ modules (resolver.cli: the command names; resolver.util:
    # empty) come with their modules and import nothing.
    allowed = {"resolver", "resolver.cli", "resolver.cli.console", "resolver.util"}
    allowed |= {"resolver.util.interrupts", "signal"}
    assert loaded <= allowed, loaded


def test_sigint_ignored_by_the_parent_stays_ignored(tmp_path: Path) -> None:
    """``cmd &`` in a script starts commands with SIGINT ignored: chartlock keeps it so."""
    code = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "from resolver.util import interrupts\n"
        "interrupts.install_exit_handlers()\n"
        "with interrupts.unwinding():\n"
        "    print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "True"]


# --- the real command line ----------------------------------------------------------------


def console_script(directory: Path) -> Path:
    """The script pip generates for ``[project.scripts] chartlock = "resolver.cli.console:main"``
    (same lines as pip's), to run this tree's entry point the way an installed one runs."""
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    found = re.search(r'^chartlock = "([\w.]+):(\w+)"$', pyproject, re.MULTILINE)
    assert found is not None, "no chartlock entry in [project.scripts]"
    module, func = found.groups()
    script = directory / "chartlock"
    script.write_text(
        f"#!{sys.executable}\n"
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n"
        f"from {module} import {func}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({func}())\n",
        "utf-8",
    )
    script.chmod(0o755)
    return script


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "DOCKER_"))}
    env["PYTHONPATH"] = str(ROOT)  # this tree's resolver, not an installed one
    return env


def test_console_script_guards_from_the_package_import(tmp_path: Path) -> None:
    """Run as the ``chartlock`` script, ``import resolver`` installs the handler before the
    rest of resolver/__init__.py and resolver.cli.console load (a window where a Ctrl-C printed
    a traceback); a library user's script keeps Python's handler."""
    probe = "import resolver, _signal\nprint(_signal.getsignal(2) is resolver._leave_now)\n"
    for name, expected in (("chartlock", "True"), ("myscript.py", "False")):
        script = tmp_path / name
        script.write_text(probe, "utf-8")
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, env=child_env()
        )
        assert result.stdout.strip() == expected, (name, result.stderr)


def test_console_script_runs_this_tree(tmp_path: Path) -> None:
    script = console_script(tmp_path)
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, env=child_env(), check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, "chartlock 0.1.0")
    where = subprocess.run(
        [sys.executable, "-c", "import resolver; print(resolver.__file__)"],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=tmp_path,
        check=True,
    )
    assert where.stdout.strip() == str(ROOT / "resolver" / "__init__.py")


def _interpreter_startup(stderr: str) -> bool:
    """A traceback wholly inside Python's own start-up (``site`` and its ``.pth`` hooks,
    runpy locating the package): no line of chartlock's has run yet, nothing can catch it."""
    frames = re.findall(r'File "([^"]+)"', stderr)
    return (
        "Traceback" in stderr
        and stderr.rstrip().endswith(("KeyboardInterrupt", "KeyboardInterrupt:"))
        and all("/resolver/" not in f for f in frames)
        and ("init_import_site" in stderr or all(f.startswith("<frozen") for f in frames))
    )


@pytest.mark.integration
def test_ctrl_c_at_random_moments(
    fault_registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    rng = random.Random(20261201)
    script = console_script(tmp_path)
    env = child_env()
    template = tmp_path / "template"
    new_digest = pusher.digests[("faults", "web", "1.1.0")]
    runs = 48
    outcomes: dict[str, int] = {}

    # 0.25 s each way: a lock or a pull lasts a second and more, so that most signals land
    # in the middle of the work (check and lint are over sooner).
    with LatencyProxy(fault_registry.host, delay=0.25) as slow:
        chart = write_chart(template / "app", slow.host)
        first = run_chartlock("lock", str(chart), "--plain-http")
        assert first.code == 0, first.stderr
        text = (chart / "Chart.yaml").read_text("utf-8").replace("^1.0.0", "~1.1.0")
        (chart / "Chart.yaml").write_text(text, "utf-8")
        old_lock = (chart / "Chart.lock").read_bytes()
        # pull needs a lock in sync: a second template, and the archive a full pull writes.
        synced = tmp_path / "synced"
        shutil.copytree(template, synced)
        assert run_chartlock("lock", str(synced / "app"), "--plain-http").code == 0
        cache_env = {"CHARTLOCK_CACHE": str(tmp_path / "cache-baseline")}
        assert run_chartlock("pull", str(synced / "app"), "--plain-http", env=cache_env).code == 0
        archive = (synced / "app" / "charts" / "web-1.1.0.tgz").read_bytes()
        shutil.rmtree(synced / "app" / "charts")
        plan = []
        for i in range(runs):
            command = ["lock", "pull", "lock", "check", "pull", "lint"][i % 6]
            launcher = [str(script)] if i % 2 else [sys.executable, "-m", "resolver"]
            plan.append((i, command, launcher, round(rng.uniform(0.01, 1.0), 3)))

        def one(item: tuple[int, str, list[str], float]) -> tuple[str, str]:
            i, command, launcher, delay = item
            work = tmp_path / f"run{i}"
            shutil.copytree(synced if command == "pull" else template, work)
            target = work / "app"
            args = [command, str(target)]
            if command in ("lock", "pull"):
                args += ["--plain-http", "--timeout", "20"]
            before = snapshot(target)
            process = subprocess.Popen(
                [*launcher, *args],
                cwd=ROOT,
                env={**env, "CHARTLOCK_CACHE": str(work / "cache")},  # pulls use the network
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(delay)
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
            code = process.returncode
            where = f"run {i} ({' '.join(launcher[-1:])} {command}, SIGINT at {delay} s)"
            after = snapshot(target)
            if command == "pull" and "charts/web-1.1.0.tgz" in after:  # complete, or absent
                assert after.pop("charts/web-1.1.0.tgz") == archive, where
            assert sorted(after) == sorted(before), (where, sorted(after))  # no temp file left
            lock = after["Chart.lock"]
            if command == "pull":
                assert after == before, where
            elif lock != old_lock:  # a complete new lock, never a partial one
                assert command == "lock", where
                parsed = load_lock(target / "Chart.lock")
                assert parsed.dependencies is not None, where
                deps = load_chart(target / "Chart.yaml").dependencies
                assert hash_req(deps, parsed.dependencies) == parsed.digest, where
                assert [d.version for d in parsed.dependencies] == ["1.1.0"], where
                assert parsed.dependencies[0].content_digest == new_digest, where
            if code == interrupts.EXIT_CODE:
                assert stderr == "chartlock: interrupted\n", (where, stderr)
                return "interrupted", where
            if code == -signal.SIGINT and stderr == "":
                return "killed before Python's handler", where
            if _interpreter_startup(stderr):
                return "in Python's own start-up", where
            assert not any(word in stderr for word in NOISE), (where, code, stderr)
            assert code in ((0,) if command in ("lock", "pull") else (0, 1)), (where, code, stderr)
            return "finished first", where

        with ThreadPoolExecutor(max_workers=3) as pool:
            for kind, _ in pool.map(one, plan):
                outcomes[kind] = outcomes.get(kind, 0) + 1
    print("ctrl-c outcomes:", outcomes)
    assert sum(outcomes.values()) == runs
    assert outcomes.get("interrupted", 0) >= runs // 4, outcomes  # the signals did land


@pytest.mark.integration
def test_429_storm_no_traceback(tmp_path: Path, fault_registry: RegistryServer) -> None:
    """Twenty dependencies, twenty concurrent requests, every one answered 429."""

    def hook(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
        return 429, {"Retry-After": "0", "Content-Type": "application/json"}, body

    with Proxy(fault_registry.host, hook=hook) as proxy:
        deps = "".join(
            f"  - name: c{i}\n    version: {'^1.0.0' if i % 2 else '1.0.0'!r}\n"
            f"    repository: oci://{proxy.host}/storm\n"
            for i in range(20)
        )
        charts = [tmp_path / f"run{i}" / "app" for i in range(20)]  # runs never share one
        for chart in charts:
            chart.mkdir(parents=True)
            (chart / "Chart.yaml").write_text(
                f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{deps}", "utf-8"
            )
        before = snapshot(charts[0])

        def one(i: int) -> tuple[int, str]:
            chart = charts[i]
            run = run_chartlock("lock", str(chart), "--plain-http", "--timeout", "5")
            return run.code, run.stderr

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(one, range(20)))
        sent = sum(n for path, n in proxy.counts.items() if path.startswith("/v2/storm/"))
        assert sent >= 20 * 15  # the requests really went out, concurrently, in every run
    for code, stderr in results:
        lines = stderr.splitlines()
        assert code == 2, stderr
        assert len(lines) == 1 and lines[0].startswith("chartlock: error: "), stderr
        assert "too many requests" in lines[0]
        assert not any(word in stderr for word in NOISE), stderr
    assert all(snapshot(chart) == before for chart in charts)


@pytest.mark.integration
def test_one_failing_dependency_does_not_cancel_a_request_another_shares(
    fault_registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    """verify: two entries share one (slow) tag list; the other entry's HEAD fails at once.
    The failing entry stops waiting for the tag list without cancelling it under the other."""
    from tests.commands.online.helpers import write_lock, write_parent

    def hook(
        method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        if method == "HEAD" and path.endswith("/manifests/1.0.0"):
            return 500, {}, b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}'
        if path.startswith("/v2/faults/web/tags/list"):
            time.sleep(0.5)
        return None

    with Proxy(fault_registry.host, hook=hook) as proxy:
        repo = f"oci://{proxy.host}/faults"
        chart = write_parent(tmp_path / "app", [("web", "^1.0.0", repo), ("web", "^1.0.0", repo)])
        text = (chart / "Chart.yaml").read_text("utf-8")
        first = "    version: '^1.0.0'\n    repository"
        aliased = "    version: '^1.0.0'\n    alias: other\n    repository"
        (chart / "Chart.yaml").write_text(text.replace(first, aliased, 1), "utf-8")
        digest = pusher.digests[("faults", "web", "1.1.0")]
        old = pusher.digests[("faults", "web", "1.0.0")]
        write_lock(chart, [("web", repo, "1.1.0", digest), ("web", repo, "1.0.0", old)])
        for _ in range(3):
            run = run_chartlock("verify", str(chart), "--plain-http", "--timeout", "5")
            assert run.code == 2, (run.stdout, run.stderr)
            assert not any(word in run.stderr for word in NOISE), run.stderr
            lines = run.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("chartlock: error: "), run.stderr


def test_run_cancelling_on_sigint_unwinds_the_main_task() -> None:
    """What Python 3.10 gets (3.11's asyncio.run does the same): the first SIGINT cancels the
    main task, whose cleanup runs and awaits, then KeyboardInterrupt; no task is left."""
    from resolver.util.aio import run_cancelling_on_sigint

    steps: list[str] = []

    async def child() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.01)
            steps.append("child cleaned up")

    async def main() -> None:
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        try:
            await gather(child(), child())
        finally:
            steps.append("main cleaned up")

    with pytest.raises(KeyboardInterrupt):
        run_cancelling_on_sigint(main())
    assert steps == ["child cleaned up", "child cleaned up", "main cleaned up"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_run_cancelling_on_sigint_returns_and_raises_like_asyncio_run() -> None:
    from resolver.util.aio import run_cancelling_on_sigint

    async def value() -> int:
        await asyncio.sleep(0)
        return 7

    async def fail() -> None:
        raise ValueError("no")

    assert run_cancelling_on_sigint(value()) == 7
    with pytest.raises(ValueError, match="no"):
        run_cancelling_on_sigint(fail())
