"""Locks written by the real helm 4.1.4 (fixtures/helm-locks, made by generate.py):
chartlock computes the same digest and writes the same bytes; helm accepts chartlock's locks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from resolver.chart.loader import load_chart, load_lock
from resolver.chart.lockfile import dump_lock, go_rfc3339nano, hash_req, write_lock
from tests.support.tools import helm_env, require_helm

CASES_DIR = Path(__file__).parents[2] / "fixtures" / "helm-locks" / "cases"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "Chart.lock").is_file())


def test_fixtures_are_present() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES)
def test_digest_matches_helm(case: str) -> None:
    chart = load_chart(CASES_DIR / case / "Chart.yaml")
    lock = load_lock(CASES_DIR / case / "Chart.lock")
    assert hash_req(chart.dependencies, lock.dependencies) == lock.digest


@pytest.mark.parametrize("case", CASES)
def test_writer_reproduces_helm_bytes(case: str) -> None:
    lock = load_lock(CASES_DIR / case / "Chart.lock")
    assert lock.dependencies is not None
    assert dump_lock(lock.dependencies, lock.digest, lock.generated) == lock.text


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES)
def test_helm_build_accepts_chartlock_lock(case: str, tmp_path: Path) -> None:
    """A lock written by chartlock, with per-dependency digests, passes `helm dependency build`."""
    helm = require_helm()
    work = tmp_path / "charts"
    shutil.copytree(CASES_DIR, work)
    chart_dir = work / case
    chart = load_chart(chart_dir / "Chart.yaml")
    old = load_lock(chart_dir / "Chart.lock")
    assert old.dependencies is not None
    entries = []
    for i, dep in enumerate(old.dependencies):
        dep.extra["digest"] = "sha256:" + f"{i:x}".rjust(64, "0")
        entries.append(dep)
    digest = hash_req(chart.dependencies, entries)
    text = dump_lock(entries, digest, go_rfc3339nano())
    assert write_lock(chart_dir / "Chart.lock", text) is True
    assert "digest: sha256:" + "0" * 64 in text or not entries
    result = subprocess.run(
        [helm, "dependency", "build", str(chart_dir)],
        env=helm_env(tmp_path / "helm"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "out of sync" not in result.stdout + result.stderr
