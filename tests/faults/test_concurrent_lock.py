"""Two ``chartlock lock`` runs on the same chart never silently race.

A writing run holds the chart directory's advisory lock (``flock`` on the directory: no file
is created in the user's chart) from before it reads Chart.lock until after it writes it; a
second run says that it waits, then resolves against what the first wrote. A writer that does
not take the lock (an editor, ``helm dependency update``) is caught by the compare-and-swap:
nothing is written and the run says why. Real processes, the real registry.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from resolver.chart.loader import load_chart, load_lock
from resolver.chart.lockfile import hash_req
from tests.faults.conftest import ROOT, assert_clean_failure, run_chartlock, write_chart
from tests.support.proxy import Proxy
from tests.support.registry import RegistryServer

pytestmark = pytest.mark.integration

WAITING = "another chartlock run is updating this chart; waiting for it to finish"


def assert_valid_lock(chart: Path) -> None:
    lock = load_lock(chart / "Chart.lock")
    deps = load_chart(chart / "Chart.yaml").dependencies
    assert hash_req(deps, lock.dependencies) == lock.digest
    assert sorted(p.name for p in chart.iterdir()) == ["Chart.lock", "Chart.yaml"]


def test_two_lock_runs_started_together_take_turns(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    with Proxy(fault_registry.host, delay=0.4) as slow:  # each run lasts well over a second
        chart = write_chart(tmp_path / "app", slow.host)

        def one(stagger: float) -> tuple[int, str, str]:
            time.sleep(stagger)
            run = run_chartlock("lock", str(chart), "--plain-http")
            return run.code, run.stdout, run.stderr

        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(one, [0.0, 0.3]))
    assert [code for code, _, _ in runs] == [0, 0], runs
    waited = [r for r in runs if WAITING in r[2]]
    assert len(waited) == 1, runs  # the second one said so...
    assert "Chart.lock unchanged" in waited[0][1]  # ...and found the first one's lock
    assert any("Chart.lock created" in r[1] for r in runs), runs
    assert_valid_lock(chart)


def test_waiting_run_reads_the_lock_written_meanwhile(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    chart = write_chart(tmp_path / "app", fault_registry.host)
    assert run_chartlock("lock", str(chart), "--plain-http").code == 0
    written = (chart / "Chart.lock").read_bytes()
    (chart / "Chart.lock").unlink()
    fd = os.open(chart, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as another run would hold it
        process = subprocess.Popen(
            [sys.executable, "-m", "resolver", "lock", str(chart), "--plain-http"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        line = process.stderr.readline()  # blocks until chartlock says it waits
        assert WAITING in line and line.startswith("chartlock: warning: "), line
        (chart / "Chart.lock").write_bytes(written)  # what "the other run" wrote
    finally:
        os.close(fd)  # releases the lock
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "Chart.lock unchanged" in stdout  # resolved against the file written meanwhile
    assert (chart / "Chart.lock").read_bytes() == written


def test_writer_that_ignores_the_lock_is_detected(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    foreign = b"# written by an editor while chartlock was resolving\n"
    chart_dir = tmp_path / "app"

    def hook(
        method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        if "/manifests/" in path:  # resolution is under way: someone else writes the lock
            (chart_dir / "Chart.lock").write_bytes(foreign)
        return None  # and the request goes through

    with Proxy(fault_registry.host, hook=hook) as proxy:
        chart = write_chart(chart_dir, proxy.host)
        run = run_chartlock("lock", str(chart), "--plain-http")
    assert_clean_failure(run, "Chart.lock", "changed by another process while chartlock was")
    assert (chart / "Chart.lock").read_bytes() == foreign  # not overwritten
    assert sorted(p.name for p in chart.iterdir()) == ["Chart.lock", "Chart.yaml"]


def test_check_only_runs_take_no_lock(fault_registry: RegistryServer, tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "app", fault_registry.host)
    assert run_chartlock("lock", str(chart), "--plain-http").code == 0
    fd = os.open(chart, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        run = run_chartlock("lock", "--check", str(chart), "--plain-http")
    finally:
        os.close(fd)
    assert run.code == 0, run.stderr
    assert WAITING not in run.stderr
