"""Differential test at scale: one repository of ~1,700 tags (releases, pre-releases, build
metadata, equal-precedence ties at the top, tags Helm cannot parse) and ranges whose answers
sit among them, against the real ``helm dependency update``.

chartlock picks from such a list without sorting it (resolver.semver.tagindex) and falls back to
Go's sort order only for a tie at the top; Helm sorts the whole list with Go's unstable sort, so
with more than 12 tags a tie is decided by pdqsort's order, not the registry's. Every version a
range here can pick is a real push (helm downloads what it picks and checks the chart inside);
the haystack around them is seeded in the registry's storage (tests/support/registry.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gencharts import compare_chart
from tests.support.registry import Pusher, seed_tags

pytestmark = pytest.mark.integration

NAMESPACE = "manytags"
# Every version a range below can pick: pushed for real.
PUSHED = (
    "3.2.1",
    "4.9.9",
    "4.10.0-rc.1",
    "5.0.0",
    "5.0.0+c",
    "5.0.0+a",
    "5.0.0+b",
    "6.0.0-beta.2",
)
RANGES = (
    "*",  # the highest release: 5.0.0 and three +metadata ties -> Go's sort order decides
    "^5.0.0",  # the same tie
    ">=5.0.0 <5.0.1",  # the same tie, found below a ceiling
    "~4.9",  # 4.9.9 above a haystack of 4.9.x
    ">=4.10.0-0 <4.10.1",  # a pre-release above 300 older pre-releases of the same core
    "<3.2.2",  # 3.2.1 above 1,400 lower releases
    ">=6.0.0-0",  # 6.0.0-beta.2 above 6.0.0-beta.1 and alphas
    "3.2.1 || ~4.9.0",  # two groups: the higher wins
)


def haystack() -> list[str]:
    """Tags no range above picks: lower releases, lower pre-releases of the picked cores, ties
    below the top, and tags Helm skips."""
    tags = [f"{a}.{b}.{c}" for a in range(4) for b in range(4) for c in range(100)]
    tags = [t for t in tags if t != "3.2.1" and tuple(map(int, t.split("."))) < (3, 2, 1)]
    tags += [f"4.9.{c}" for c in range(9)] + ["4.9.9-rc.1", "4.9.8_build.1", "4.9.8_build.2"]
    tags += [f"4.10.0-alpha.{i}" for i in range(300)] + ["4.10.0-rc.0", "4.10.0-beta"]
    tags += ["5.0.0-rc.1", "5.0.0-rc.2", "6.0.0-beta.1", "6.0.0-alpha"]
    tags += ["latest", "stable", "v5.1.0", "5.1", "05.0.0", "5.0.0-01", "sha-1a2b3c"]
    return tags


@pytest.fixture(scope="module")
def repository(pusher: Pusher) -> str:
    digest = ""
    for version in PUSHED:
        digest = pusher.push(NAMESPACE, "big", version)
    added = seed_tags(pusher.server, f"{NAMESPACE}/big", haystack(), digest)
    assert added > 1_700
    return f"oci://{pusher.server.host}/{NAMESPACE}"


def test_picks_among_1700_tags_match_helm(repository: str, helm_bin: str, tmp_path: Path) -> None:
    chart = tmp_path / "app"
    chart.mkdir()
    deps = "".join(
        f"  - name: big\n    alias: d{i}\n    version: {version!r}\n    repository: {repository}\n"
        for i, version in enumerate(RANGES)
    )
    (chart / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{deps}", "utf-8"
    )
    result = compare_chart(helm_bin, chart, tmp_path / "work")
    assert result.helm_ok, result.detail
    assert result.agree, result.detail
    assert result.build_ok, result.detail
    picked = dict(zip(RANGES, result.our_versions, strict=True))
    assert picked["~4.9"] == "4.9.9"
    assert picked[">=4.10.0-0 <4.10.1"] == "4.10.0-rc.1"
    assert picked["<3.2.2"] == "3.2.1"
    assert picked[">=6.0.0-0"] == "6.0.0-beta.2"
    assert picked["*"] in ("5.0.0", "5.0.0+a", "5.0.0+b", "5.0.0+c")
    assert picked["*"] == picked["^5.0.0"] == picked[">=5.0.0 <5.0.1"]
