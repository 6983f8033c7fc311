"""Nothing lost: interrupted runs and concurrent runs never corrupt or half-write Chart.lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from resolver.chart.loader import load_chart, load_lock
from resolver.chart.lockfile import hash_req
from tests.faults.conftest import ROOT, run_chartlock, snapshot, write_chart
from tests.support.proxy import Proxy
from tests.support.registry import RegistryServer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_lock_leaves_old_files(
    fault_registry: RegistryServer, tmp_path: Path, sig: signal.Signals
) -> None:
    with Proxy(fault_registry.host) as proxy:
        chart = write_chart(tmp_path / "app", proxy.host)
        assert run_chartlock("lock", str(chart), "--plain-http").code == 0
        (chart / "Chart.yaml").write_text(
            (chart / "Chart.yaml").read_text("utf-8").replace("^1.0.0", "~1.1.0"), "utf-8"
        )
        before = snapshot(chart)
        proxy.delay = 1.5
        process = subprocess.Popen(
            [sys.executable, "-m", "resolver", "lock", str(chart), "--plain-http"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert snapshot(chart) == before  # no temp files, old lock intact


def test_two_concurrent_locks_never_corrupt(fault_registry: RegistryServer, tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "app", fault_registry.host)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: run_chartlock("lock", str(chart), "--plain-http"), [0, 1]))
    assert all(r.code in (0, 2) for r in runs), [r.stderr for r in runs]
    assert any(r.code == 0 for r in runs)
    for r in runs:
        if r.code == 2:
            assert "changed by another process" in r.stderr
    lock = load_lock(chart / "Chart.lock")
    deps = load_chart(chart / "Chart.yaml").dependencies
    assert hash_req(deps, lock.dependencies) == lock.digest
    assert sorted(p.name for p in chart.iterdir()) == ["Chart.lock", "Chart.yaml"]


def test_lock_refuses_to_write_through_a_symlink(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    chart = write_chart(tmp_path / "app", fault_registry.host)
    outside = tmp_path / "outside.lock"
    outside.write_text("digest: precious\n", "utf-8")
    os.symlink(outside, chart / "Chart.lock")
    run = run_chartlock("lock", str(chart), "--plain-http")
    assert run.code == 2
    assert "symlink" in run.stderr and "Traceback" not in run.stderr
    assert outside.read_text("utf-8") == "digest: precious\n"
