"""Real repository layouts: every command finds the same charts (issue 9).

A repository laid out like most chart repositories: ``charts/<name>/`` at the root, plus
``deploy/<env>/<umbrella>`` with a vendored ``charts/<sub>`` directory and a ``file://``
dependency on it. Charts pushed by the real helm to a real registry; the locks written are
checked with the real ``helm dependency build``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.commands.online.helpers import unique
from tests.support.cli import run_chartlock
from tests.support.registry import Pusher, RegistryServer
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration

COMMANDS = ("check", "lint", "lock", "verify", "pull", "outdated")
ONLINE = ("lock", "verify", "pull", "outdated")


def write_chart(directory: Path, name: str, deps: list[tuple[str, str, str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  - name: {dep}\n    version: {version!r}\n    repository: {repo}\n"
        for dep, version, repo in deps
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
        + (f"dependencies:\n{body}" if deps else ""),
        "utf-8",
    )
    (directory / "templates").mkdir(exist_ok=True)
    (directory / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata: {}\n",
        "utf-8",
    )
    return directory


def chartlock(repo: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ("--plain-http",) if command in ONLINE else ()
    return run_chartlock(command, *args, *flags, cwd=repo, env={"NO_COLOR": "1"})


def chart_count(repo: Path, command: str, *paths: str) -> int:
    """How many charts ``command`` reports, from its JSON output."""
    extra = ("--check",) if command == "lock" else ()
    result = chartlock(repo, command, *paths, *extra, "--format", "json")
    assert result.returncode in (0, 1), (command, result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    if "summary" in doc:
        assert doc["errors"] == []
        return int(doc["summary"]["charts"])
    return len(doc["charts"])


@pytest.fixture
def layout(registry: RegistryServer, pusher: Pusher, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    ns = unique("lay")
    digests = {
        "web-1.0.0": pusher.push(ns, "web", "1.0.0"),
        "web-1.1.0": pusher.push(ns, "web", "1.1.0"),
        "db-0.1.0": pusher.push(ns, "db", "0.1.0"),
        "db-0.2.0": pusher.push(ns, "db", "0.2.0"),
    }
    oci = f"oci://{registry.host}/{ns}"
    repo = tmp_path / "repo"
    write_chart(repo / "charts" / "a", "a", [("web", "^1.0.0", oci)])
    write_chart(repo / "charts" / "b", "b", [("db", "0.1.0", oci)])
    umbrella = repo / "deploy" / "prod" / "umbrella"
    write_chart(umbrella, "umbrella", [("sub", "0.1.0", "file://charts/sub"), ("web", "~1.0", oci)])
    write_chart(umbrella / "charts" / "sub", "sub", [])
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\n", "utf-8")
    return repo, digests


def test_lock_at_the_root_writes_exactly_three_locks_helm_accepts(
    layout: tuple[Path, dict[str, str]], helm_bin: str, tmp_path: Path
) -> None:
    repo, digests = layout
    result = chartlock(repo, "lock")
    assert result.returncode == 0, result.stderr
    locks = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("Chart.lock"))
    assert locks == [
        "charts/a/Chart.lock",
        "charts/b/Chart.lock",
        "deploy/prod/umbrella/Chart.lock",
    ]
    # One summary line per chart (the indented lines under each list what was added).
    assert [line for line in result.stdout.splitlines() if not line.startswith(" ")] == [
        "charts/a: Chart.lock created (1 dependency)",
        "charts/b: Chart.lock created (1 dependency)",
        "deploy/prod/umbrella: Chart.lock created (2 dependencies)",
    ]
    a = load_lock(repo / "charts" / "a" / "Chart.lock")
    assert [(d.name, d.version, d.content_digest) for d in a.dependencies or []] == [
        ("web", "1.1.0", digests["web-1.1.0"])
    ]
    umbrella = load_lock(repo / "deploy" / "prod" / "umbrella" / "Chart.lock")
    assert next((d.name, d.repository, d.version) for d in umbrella.dependencies or []) == (
        "sub",
        "file://charts/sub",
        "0.1.0",
    )
    # `lock charts` finds the two charts of the charts/ folder (it is no umbrella's).
    again = chartlock(repo, "lock", "charts", "--check")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "charts/a: Chart.lock unchanged (1 dependency)",
        "charts/b: Chart.lock unchanged (1 dependency)",
    ]
    # The real helm accepts every lock written (its HashReq check, then the downloads).
    for chart in ("charts/a", "charts/b", "deploy/prod/umbrella"):
        built = subprocess.run(
            [helm_bin, "dependency", "build", str(repo / chart), "--plain-http"],
            env=helm_env(tmp_path / "helm"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, (chart, built.stdout + built.stderr)
        assert "out of sync" not in built.stdout + built.stderr


def test_every_command_reports_the_same_charts(layout: tuple[Path, dict[str, str]]) -> None:
    repo, _ = layout
    assert chartlock(repo, "lock").returncode == 0
    counts = {command: chart_count(repo, command) for command in COMMANDS}
    assert counts == dict.fromkeys(COMMANDS, 3)
    counts = {command: chart_count(repo, command, "charts") for command in COMMANDS}
    assert counts == dict.fromkeys(COMMANDS, 2)
    umbrella = "deploy/prod/umbrella"
    counts = {command: chart_count(repo, command, umbrella) for command in COMMANDS}
    assert counts == dict.fromkeys(COMMANDS, 1)  # its vendored charts/sub is part of it
    text = chartlock(repo, "verify")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[-1] == "no problems in 3 charts, 6 files"


def test_tampered_digests_in_two_charts_are_both_cl501_in_one_verify(
    layout: tuple[Path, dict[str, str]],
) -> None:
    repo, digests = layout
    assert chartlock(repo, "lock").returncode == 0
    for chart, locked, other in (("a", "web-1.1.0", "web-1.0.0"), ("b", "db-0.1.0", "db-0.2.0")):
        lock = repo / "charts" / chart / "Chart.lock"
        text = lock.read_text("utf-8")
        assert digests[locked] in text
        lock.write_text(text.replace(digests[locked], digests[other]), "utf-8")
    assert chartlock(repo, "check").returncode == 0  # the per-dependency digest is not hashed
    result = chartlock(repo, "verify", "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["errors"] == []
    assert sorted((f["rule"], f["path"]) for f in doc["findings"]) == [
        ("CL501", "charts/a/Chart.lock"),
        ("CL501", "charts/b/Chart.lock"),
    ]


def test_nested_umbrellas(tmp_path: Path, helm_bin: str) -> None:
    """An umbrella whose vendored subchart is an umbrella with its own vendored subchart, and a
    chart nested in a chart's directory outside its charts/ folder (a chart of its own)."""
    repo = tmp_path / "repo"
    platform = write_chart(
        repo / "platform", "platform", [("inner", "0.1.0", "file://charts/inner")]
    )
    inner = write_chart(
        platform / "charts" / "inner", "inner", [("leaf", "0.1.0", "file://charts/leaf")]
    )
    write_chart(inner / "charts" / "leaf", "leaf", [])
    write_chart(inner / "examples" / "demo", "demo", [])  # inside the vendored area: not a chart
    dev = write_chart(
        platform / "environments" / "dev", "dev", [("platform", "0.1.0", "file://../..")]
    )
    # A top-level charts/ folder of a repository whose root is a chart: vendored subcharts.
    write_chart(repo / "single", "single", [])
    write_chart(repo / "single" / "charts" / "lib", "lib", [])
    result = chartlock(repo, "lock")
    assert result.returncode == 0, result.stderr
    locks = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("Chart.lock"))
    assert locks == ["platform/Chart.lock", "platform/environments/dev/Chart.lock"]
    assert [line for line in result.stdout.splitlines() if not line.startswith(" ")] == [
        "platform: Chart.lock created (1 dependency)",
        "platform/environments/dev: Chart.lock created (1 dependency)",
        "single: no dependencies, nothing to lock",
    ]
    counts = {command: chart_count(repo, command) for command in COMMANDS}
    assert counts == dict.fromkeys(COMMANDS, 3)
    # Naming a vendored subchart itself uses it alone; naming a charts/ folder finds nothing.
    assert chart_count(repo, "check", "platform/charts/inner") == 1
    assert chart_count(repo, "check", "platform/charts/inner/Chart.yaml") == 1
    folder = chartlock(repo, "lock", "platform/charts")
    assert folder.returncode == 2
    assert folder.stderr.startswith("chartlock: error: platform/charts: no charts found")
    for chart in (platform, dev):
        built = subprocess.run(
            [helm_bin, "dependency", "build", str(chart)],
            env=helm_env(tmp_path / "helm"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, (chart, built.stdout + built.stderr)
