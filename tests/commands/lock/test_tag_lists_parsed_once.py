"""One ``lock`` (and ``verify``, ``outdated``) run parses each OCI tag list once, however many
charts and dependencies share the repository (issue 14: 800 charts parsed 20 lists 320,000
times), against a real registry with charts pushed by helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.commands.lock import lock_charts
from resolver.commands.outdated import outdated_charts
from resolver.commands.verify import verify_charts
from resolver.registry.options import ClientOptions
from tests.support.registry import Pusher, RegistryServer
from tests.support.tagwork import count_tag_work

pytestmark = pytest.mark.integration

VERSIONS = ("1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0")


@pytest.fixture(scope="module")
def pushed(pusher: Pusher) -> dict[tuple[str, str, str], str]:
    for version in VERSIONS:
        pusher.push("once", "web", version)
    return pusher.digests


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """``("sort", n)`` per tag list sorted into Versions, ``("index", n)`` per list indexed for
    lock's picks (which sort only for an error message or a tie)."""
    return count_tag_work(monkeypatch, "resolver.commands.verify", "resolver.commands.outdated")


def charts(root: Path, repo: str, count: int) -> list[Path]:
    out = []
    for i in range(count):
        chart = root / f"app{i}"
        chart.mkdir()
        (chart / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: app{i}\nversion: 0.1.0\ndependencies:\n"
            f"  - {{name: web, version: '^1.0.0', repository: {repo}}}\n"
            f"  - {{name: web, alias: next, version: '>=2.0.0-0', repository: {repo}}}\n"
            f"  - {{name: web, alias: rc, version: '~1.2.0-0', repository: {repo}}}\n",
            "utf-8",
        )
        out.append(chart)
    return out


def test_lock_verify_and_outdated_parse_a_shared_tag_list_once(
    registry: RegistryServer,
    pushed: dict[tuple[str, str, str], str],
    parses: list[tuple[str, int]],
    tmp_path: Path,
) -> None:
    repo = f"oci://{registry.host}/once"
    dirs = charts(tmp_path, repo, 5)
    options = ClientOptions(plain_http=True)
    outcomes = lock_charts(dirs, options, cwd=tmp_path)
    assert parses == [("index", len(VERSIONS))]  # 5 charts x 3 dependencies, one list
    for outcome in outcomes:
        assert outcome.status == "created"
        assert [(e.version, e.content_digest) for e in outcome.entries] == [
            (v, pushed[("once", "web", v)]) for v in ("1.1.0", "2.0.0", "1.2.0-rc.1")
        ]

    parses.clear()
    report = verify_charts(dirs, options, cwd=tmp_path)
    assert report.errors == [] and report.findings == []
    assert parses == [("sort", len(VERSIONS))]  # CL504's "newer in range" looks, once

    parses.clear()
    status = outdated_charts(dirs, options, cwd=tmp_path)
    assert not status.failed
    assert parses == [("sort", len(VERSIONS))]
    rows = [(d.alias or d.name, d.wanted, d.latest) for c in status.charts for d in c.dependencies]
    assert (
        rows
        == [("web", "1.1.0", "2.0.0"), ("next", "2.0.0", "2.0.0"), ("rc", "1.2.0-rc.1", "2.0.0")]
        * 5
    )
