"""Differential test: chartlock lock vs the real `helm dependency update` on 60 generated charts
with random ranges against a real registry; `helm dependency build` must accept every lock.

On a chart without a lock, the conservative `chartlock lock` is `helm dependency update`; on a
chart with an old lock, `chartlock lock --upgrade` is (the second test)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.support.gencharts import (
    Comparison,
    compare_chart,
    generate_chart,
    push_pool,
    write_stale_lock,
)
from tests.support.registry import Pusher

pytestmark = pytest.mark.integration
N_CHARTS = 60
N_UPGRADE = 30


@pytest.fixture(scope="module")
def pool(pusher: Pusher) -> str:
    push_pool(pusher, "diff")
    return pusher.server.host


def test_upgrade_over_an_old_lock_matches_helm(
    pool: str, pusher: Pusher, helm_bin: str, tmp_path: Path
) -> None:
    """Every chart here has a Chart.lock pinning the oldest allowed versions: `lock --upgrade`
    must still agree with `helm dependency update` (versions, lock digest, build)."""
    rng = random.Random(20261201)
    charts: list[Path] = []
    while len(charts) < N_UPGRADE:
        chart = generate_chart(tmp_path / "gen" / f"u{len(charts):02d}", rng, pool, "diff")
        if write_stale_lock(chart, pusher.digests, "diff"):
            charts.append(chart)

    def one(chart: Path) -> Comparison:
        return compare_chart(
            helm_bin, chart, tmp_path / "work" / chart.name, lock_args=("--upgrade",)
        )

    with ThreadPoolExecutor(max_workers=4) as executor:
        results = list(executor.map(one, charts))
    assert [r.detail for r in results if not r.agree] == []
    resolved = [r for r in results if r.helm_ok]
    assert len(resolved) >= N_UPGRADE * 2 // 3
    # The old locks really were behind: without --upgrade most of these would not move.
    behind = [
        r
        for r in resolved
        if [d.version for d in load_lock(r.chart / "Chart.lock").dependencies or []]
        != r.helm_versions
    ]
    assert len(behind) >= len(resolved) // 3
    print(f"differential --upgrade: {len(results)} charts, {len(behind)} locks moved")


def test_chartlock_matches_helm(pool: str, helm_bin: str, tmp_path: Path) -> None:
    rng = random.Random(20261124)
    charts = [
        generate_chart(tmp_path / "gen" / f"c{i:02d}", rng, pool, "diff") for i in range(N_CHARTS)
    ]

    def one(chart: Path) -> Comparison:
        return compare_chart(helm_bin, chart, tmp_path / "work" / chart.name)

    with ThreadPoolExecutor(max_workers=4) as executor:
        results = list(executor.map(one, charts))
    disagreements = [r.detail for r in results if not r.agree]
    assert disagreements == []
    succeeded = sum(1 for r in results if r.helm_ok)
    deps = sum(len(r.helm_versions) for r in results)
    print(
        f"differential: {len(results)} charts, {succeeded} resolved by both ({deps} deps), "
        f"{len(results) - succeeded} refused by both"
    )
    # The generator must exercise real resolutions, not only failures.
    assert succeeded >= N_CHARTS * 2 // 3
