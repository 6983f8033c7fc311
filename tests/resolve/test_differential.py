"""Differential test: chartlock lock vs the real `helm dependency update` on 60 generated charts
with random ranges against a real registry; `helm dependency build` must accept every lock."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.gencharts import compare_chart, generate_chart, push_pool
from tests.support.registry import Pusher

pytestmark = pytest.mark.integration
N_CHARTS = 60


@pytest.fixture(scope="module")
def pool(pusher: Pusher) -> str:
    push_pool(pusher, "diff")
    return pusher.server.host


def test_chartlock_matches_helm(pool: str, helm_bin: str, tmp_path: Path) -> None:
    rng = random.Random(20261124)
    charts = [
        generate_chart(tmp_path / "gen" / f"c{i:02d}", rng, pool, "diff") for i in range(N_CHARTS)
    ]

    def one(chart: Path) -> object:
        return compare_chart(helm_bin, chart, tmp_path / "work" / chart.name)

    with ThreadPoolExecutor(max_workers=4) as executor:
        results = list(executor.map(one, charts))
    disagreements = [r.detail for r in results if not r.agree]  # type: ignore[attr-defined]
    assert disagreements == []
    succeeded = sum(1 for r in results if r.helm_ok)  # type: ignore[attr-defined]
    deps = sum(len(r.helm_versions) for r in results)  # type: ignore[attr-defined]
    print(
        f"differential: {len(results)} charts, {succeeded} resolved by both ({deps} deps), "
        f"{len(results) - succeeded} refused by both"
    )
    # The generator must exercise real resolutions, not only failures.
    assert succeeded >= N_CHARTS * 2 // 3
