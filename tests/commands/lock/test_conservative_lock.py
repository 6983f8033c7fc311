"""Conservative `chartlock lock` against a real registry with charts pushed by the real helm.

What is locked stays locked while its range allows it; `--upgrade` is `helm dependency update`;
`--upgrade-package` moves only what it names; a re-pushed locked tag stops the run (CL501) and
nothing is written. Every lock written here is accepted by `helm dependency build`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.support.cli import ROOT
from tests.support.cli import run_chartlock as chartlock
from tests.support.registry import Pusher, RegistryServer
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration


def write_chart(directory: Path, deps: list[tuple[str, str, str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  - name: {name}\n    version: {version!r}\n    repository: {repo}\n"
        for name, version, repo in deps
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{body}", "utf-8"
    )
    return directory


def edit(chart: Path, old: str, new: str) -> None:
    text = (chart / "Chart.yaml").read_text("utf-8")
    assert old in text
    (chart / "Chart.yaml").write_text(text.replace(old, new, 1), "utf-8")


def entries(chart: Path) -> list[tuple[str, str, str | None]]:
    lock = load_lock(chart / "Chart.lock")
    return [(d.name, d.version, d.content_digest) for d in lock.dependencies or []]


def in_dir(cwd: Path) -> dict[str, object]:
    """Run chartlock from ``cwd`` (importing this checkout's resolver, not an installed one)."""
    return {"cwd": cwd, "env": {"PYTHONPATH": str(ROOT)}}


def lock_ok(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = chartlock("lock", *args, "--plain-http", **(in_dir(cwd) if cwd else {}))  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    return result


def assert_helm_builds(helm: str, chart: Path, work: Path) -> None:
    """`helm dependency build` accepts the lock (digest in sync, every version downloadable)."""
    copy = work / f"build-{len(list(work.glob('build-*')))}"
    shutil.copytree(chart, copy)
    shutil.rmtree(copy / "charts", ignore_errors=True)
    result = subprocess.run(
        [helm, "dependency", "build", str(copy), "--plain-http"],
        env=helm_env(work / "helm-build-env"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lock = load_lock(chart / "Chart.lock")
    got = sorted(p.name for p in (copy / "charts").glob("*.tgz"))
    assert got == sorted({f"{d.name}-{d.version}.tgz" for d in lock.dependencies or []})


def helm_update(helm: str, chart: Path, work: Path) -> tuple[list[str], str]:
    copy = work / "helm-update"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(chart, copy)
    (copy / "Chart.lock").unlink(missing_ok=True)
    result = subprocess.run(
        [helm, "dependency", "update", str(copy), "--plain-http"],
        env=helm_env(work / "helm-update-env"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lock = load_lock(copy / "Chart.lock")
    return [d.version for d in lock.dependencies or []], lock.digest


def reported(stdout: str) -> list[str]:
    """The dependency names `lock` lists as changed (the first word of each change line)."""
    lines = [line.split() for line in stdout.splitlines() if line.startswith("  ")]
    return [words[1] if words[0] in ("+", "-") else words[0] for words in lines]


def lock_lines(chart: Path) -> list[str]:
    return (chart / "Chart.lock").read_text("utf-8").splitlines()


def line_diff(before: list[str], after: list[str]) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a line diff, like `git diff` shows them."""
    import difflib

    removed, added = [], []
    for line in difflib.ndiff(before, after):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.fixture
def ns(request: pytest.FixtureRequest) -> str:
    """A registry namespace of the test's own: its pushes do not disturb the other tests."""
    name: str = request.node.name
    return "cons-" + name.replace("_", "-").lower()[5:40].strip("-")


def test_adding_a_dependency_touches_only_the_new_entry(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    for version in ("1.0.0", "1.1.0"):
        pusher.push(ns, "web", version)
    pusher.push(ns, "db", "0.1.0")
    pusher.push(ns, "cache", "3.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "~0.1", repo)])
    lock_ok(str(chart))
    before_entries, before = entries(chart), lock_lines(chart)
    assert [v for _, v, _ in before_entries] == ["1.1.0", "0.1.0"]
    # Newer matching versions appear; then a dependency is added.
    pusher.push(ns, "web", "1.2.0")
    pusher.push(ns, "db", "0.1.5")
    text = (chart / "Chart.yaml").read_text("utf-8")
    (chart / "Chart.yaml").write_text(
        text + f"  - name: cache\n    version: '3.x'\n    repository: {repo}\n", "utf-8"
    )
    result = lock_ok(str(chart))
    after_entries, after = entries(chart), lock_lines(chart)
    assert after_entries[:2] == before_entries  # versions and digests kept
    assert after_entries[2] == ("cache", "3.0.0", pusher.digests[(ns, "cache", "3.0.0")])
    # The diff of Chart.lock: only the new entry, besides the lock digest and `generated`.
    gone, added = line_diff(before, after)
    assert {line.split(":")[0] for line in gone} == {"digest", "generated"}
    assert [a for a in added if not a.startswith(("digest:", "generated:"))] == [
        f"- digest: {pusher.digests[(ns, 'cache', '3.0.0')]}",
        "  name: cache",
        f"  repository: {repo}",
        "  version: 3.0.0",
    ]
    assert "app: Chart.lock updated (3 dependencies)" in result.stdout
    assert "+ cache 3.0.0 (sha256:" in result.stdout and "(added)" in result.stdout
    assert reported(result.stdout) == ["cache"]
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_newer_version_upgrade_package_and_upgrade(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    for version in ("1.0.0", "1.1.0"):
        pusher.push(ns, "web", version)
    for version in ("0.1.0", "0.2.0"):
        pusher.push(ns, "db", version)
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(
        tmp_path / "app", [("web", "^1.0.0", repo), ("db", ">=0.1.0", repo), ("web", "1.x", repo)]
    )
    edit(
        chart,
        "  - name: web\n    version: '1.x'",
        "  - name: web\n    alias: web2\n    version: '1.x'",
    )
    lock_ok(str(chart))
    first = (chart / "Chart.lock").read_bytes()
    assert [v for _, v, _ in entries(chart)] == ["1.1.0", "0.2.0", "1.1.0"]
    pusher.push(ns, "web", "1.3.0")
    pusher.push(ns, "db", "0.3.0")
    # (b) newer matching versions exist: lock changes nothing, byte for byte.
    result = lock_ok(str(chart))
    assert "unchanged" in result.stdout
    assert (chart / "Chart.lock").read_bytes() == first
    assert chartlock("lock", "--check", str(chart), "--plain-http").returncode == 0
    # --check with an upgrade names what would change and writes nothing.
    check = chartlock("lock", "--check", "--upgrade", str(chart), "--plain-http")
    assert check.returncode == 1
    assert "web 1.1.0 (sha256:" in check.stdout and "→ 1.3.0 (sha256:" in check.stdout
    assert "db 0.2.0" in check.stdout and "→ 0.3.0" in check.stdout
    assert (chart / "Chart.lock").read_bytes() == first
    # --upgrade-package web2 (an alias) moves only that dependency.
    result = lock_ok(str(chart), "--upgrade-package", "web2")
    assert [v for _, v, _ in entries(chart)] == ["1.1.0", "0.2.0", "1.3.0"]
    assert "web2 (web) 1.1.0" in result.stdout and "upgrade requested" in result.stdout
    assert_helm_builds(helm_bin, chart, tmp_path)
    # --upgrade-package db moves only db.
    lock_ok(str(chart), "--upgrade-package", "db")
    assert [v for _, v, _ in entries(chart)] == ["1.1.0", "0.3.0", "1.3.0"]
    # --upgrade-package NAME==VERSION: an exact version allowed by the range (even older).
    lock_ok(str(chart), "-P", "db==0.1.0")
    assert [v for _, v, _ in entries(chart)] == ["1.1.0", "0.1.0", "1.3.0"]
    assert_helm_builds(helm_bin, chart, tmp_path)
    # --upgrade equals `helm dependency update`: versions and the lock digest.
    result = chartlock("lock", "--upgrade", "--format", "json", str(chart), "--plain-http")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    (item,) = doc["charts"]
    assert item["status"] == "updated"
    assert {
        (c["name"], c["kind"], c["from"]["version"], c["to"]["version"]) for c in item["changes"]
    } == {
        ("web", "upgraded", "1.1.0", "1.3.0"),
        ("db", "upgraded", "0.1.0", "0.3.0"),
    }
    versions, digest = helm_update(helm_bin, chart, tmp_path)
    lock = load_lock(chart / "Chart.lock")
    assert [d.version for d in lock.dependencies or []] == versions == ["1.3.0", "0.3.0", "1.3.0"]
    assert lock.digest == digest
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_narrowed_range_moves_only_that_dependency(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    for version in ("1.0.0", "1.0.3", "1.1.0"):
        pusher.push(ns, "web", version)
    pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "0.x", repo)])
    lock_ok(str(chart))
    pusher.push(ns, "web", "1.2.0")
    pusher.push(ns, "db", "0.2.0")
    before = entries(chart)
    # Widening keeps the lock (1.1.0 is still allowed), rewriting only the lock digest.
    edit(chart, "version: '^1.0.0'", "version: '>=1.0.0'")
    widened = lock_ok(str(chart))
    assert entries(chart) == before
    assert widened.stdout.splitlines() == [
        f"{chart}: Chart.lock updated (2 dependencies)",
        "  versions and digests kept; the lock digest follows Chart.yaml",
    ]
    # Narrowing so that 1.1.0 falls out: web moves (to the newest 1.0.x), db does not.
    edit(chart, "version: '>=1.0.0'", "version: '~1.0'")
    result = lock_ok(str(chart))
    after = entries(chart)
    assert after[1] == before[1]
    assert after[0] == ("web", "1.0.3", pusher.digests[(ns, "web", "1.0.3")])
    assert "web 1.1.0 (sha256:" in result.stdout and "(range changed)" in result.stdout
    assert reported(result.stdout) == ["web"]
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_repushed_locked_tag_fails_naming_both_digests_and_writes_nothing(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    old = pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "0.1.0", repo)])
    other = write_chart(tmp_path / "other", [("db", "~0.1", repo)])
    lock_ok(str(chart))
    before = (chart / "Chart.lock").read_bytes()
    new = pusher.push(ns, "web", "1.0.0", values="repushed: true\n")
    assert new != old
    (other / "Chart.yaml").write_text(
        (other / "Chart.yaml").read_text("utf-8") + f"  - name: web\n    version: 1.x\n"
        f"    repository: {repo}\n",
        "utf-8",
    )
    for flags in ((), ("--check",), ("--upgrade-package", "db")):
        result = chartlock("lock", *flags, str(chart), str(other), "--plain-http")
        assert result.returncode == 2, (flags, result.stdout, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert "CL501" in line and "web" in line and old in line and new in line, line
        assert line.startswith("chartlock: error: ")
        assert "Chart.lock:" in line and "--upgrade-package web" in line
        assert (chart / "Chart.lock").read_bytes() == before
        assert not (other / "Chart.lock").exists()  # nothing written anywhere
    # Naming it accepts the new content (and says so); so does --upgrade.
    result = lock_ok(str(chart), "--upgrade-package", "web")
    assert entries(chart)[0] == ("web", "1.0.0", new)
    assert "web 1.0.0" in result.stdout and "→ 1.0.0" in result.stdout
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_exact_version_repushed_fails_too(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    old = pusher.push(ns, "web", "2.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "2.0.0", repo)])
    lock_ok(str(chart))
    new = pusher.push(ns, "web", "2.0.0", values="other: content\n")
    result = chartlock("lock", str(chart), "--plain-http")
    assert result.returncode == 2 and old in result.stderr and new in result.stderr
    lock_ok(str(chart), "--upgrade")
    assert entries(chart) == [("web", "2.0.0", new)]
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_lock_written_by_helm_gets_digests_without_moving(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo)])
    result = subprocess.run(
        [helm_bin, "dependency", "update", str(chart), "--plain-http"],
        env=helm_env(tmp_path / "h"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    helm_digest = load_lock(chart / "Chart.lock").digest
    pusher.push(ns, "web", "1.5.0")
    out = lock_ok(str(chart))
    assert entries(chart) == [("web", "1.0.0", pusher.digests[(ns, "web", "1.0.0")])]
    assert load_lock(chart / "Chart.lock").digest == helm_digest
    assert "web 1.0.0: digest sha256:" in out.stdout and "recorded" in out.stdout
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_removed_dependency_is_dropped_and_reported(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("db", "0.x", repo), ("web", "^1.0.0", repo)])
    lock_ok(str(chart))
    before = entries(chart)
    pusher.push(ns, "web", "1.1.0")
    (chart / "Chart.yaml").write_text(
        (chart / "Chart.yaml").read_text("utf-8").split("  - name: web")[0], "utf-8"
    )
    check = chartlock("lock", "--check", str(chart), "--plain-http")
    assert check.returncode == 1 and "- web 1.0.0" in check.stdout and "(removed)" in check.stdout
    lock_ok(str(chart))
    assert entries(chart) == before[:1]
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_changed_repository_is_resolved_again(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    pusher.push(ns, "web", "1.0.0")
    pusher.push(ns + "-b", "web", "1.0.0", values="mirror: true\n")
    pusher.push(ns + "-b", "web", "1.4.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo)])
    lock_ok(str(chart))
    edit(chart, f"repository: {repo}", f"repository: {repo}-b")
    result = lock_ok(str(chart))
    assert entries(chart) == [("web", "1.4.0", pusher.digests[(ns + "-b", "web", "1.4.0")])]
    assert "(repository changed)" in result.stdout
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_locked_tag_deleted_fails_with_a_way_out(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    digest = pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "web", "1.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "~1.0", repo)])
    lock_ok(str(chart))
    before = (chart / "Chart.lock").read_bytes()
    edit(chart, "~1.0", "^1.0")
    request = urllib.request.Request(
        f"http://{registry.host}/v2/{ns}/web/manifests/{digest}", method="DELETE"
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 202
    result = chartlock("lock", str(chart), "--plain-http")
    assert result.returncode == 2
    assert "locked version 1.0.0 is gone" in result.stderr
    assert "--upgrade-package web" in result.stderr
    assert (chart / "Chart.lock").read_bytes() == before
    lock_ok(str(chart), "--upgrade-package", "web")
    assert [v for _, v, _ in entries(chart)] == ["1.1.0"]
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_upgrade_package_errors(
    registry: RegistryServer, pusher: Pusher, ns: str, tmp_path: Path
) -> None:
    pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("db", "0.x", repo), ("web", "^1.0.0", repo)])
    unknown = chartlock("lock", str(chart), "--upgrade-package", "nope", "--plain-http")
    assert unknown.returncode == 2
    assert "nope" in unknown.stderr and "dependencies: db, web" in unknown.stderr
    outside = chartlock("lock", str(chart), "--upgrade-package", "web==2.0.0", "--plain-http")
    assert outside.returncode == 2
    (line,) = outside.stderr.strip().splitlines()
    assert line.startswith(f"chartlock: error: {chart}/Chart.yaml:9:14: "), line
    assert "'^1.0.0'" in line and "2.0.0" in line
    missing = chartlock("lock", str(chart), "-P", "web==1.0.1", "-P", "db", "--plain-http")
    assert missing.returncode == 2
    assert "1.0.1" in missing.stderr and "does not exist" in missing.stderr
    bad = chartlock("lock", str(chart), "-P", "web==", "--plain-http")
    assert bad.returncode == 2 and "NAME==VERSION" in bad.stderr
    for result in (unknown, outside, missing, bad):
        assert "Traceback" not in result.stderr
    assert not (chart / "Chart.lock").exists()


def test_dry_run_prints_the_lock_and_writes_nothing(
    registry: RegistryServer, pusher: Pusher, ns: str, tmp_path: Path
) -> None:
    pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo)])
    result = lock_ok(str(chart), "--dry-run")
    assert not (chart / "Chart.lock").exists()
    header, body = result.stdout.split("\n", 1)
    assert header.endswith("app/Chart.lock") and header.startswith("# ")
    assert f"digest: {pusher.digests[(ns, 'web', '1.0.0')]}" in body
    assert "Chart.lock would change" in result.stderr and "+ web 1.0.0" in result.stderr
    doc = json.loads(lock_ok(str(chart), "--dry-run", "--format", "json").stdout)
    assert doc["charts"][0]["lock"].split("generated:")[0] == body.split("generated:")[0]
    assert doc["charts"][0]["changes"][0]["kind"] == "added"


def test_config_strategy_newest_upgrades_by_default(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo)])
    lock_ok(str(chart), cwd=tmp_path)
    pusher.push(ns, "web", "1.1.0")
    lock_ok(str(chart), cwd=tmp_path)
    assert [v for _, v, _ in entries(chart)] == ["1.0.0"]
    (tmp_path / ".chartlock.yaml").write_text("lock:\n  strategy: newest\n", "utf-8")
    lock_ok(str(chart), cwd=tmp_path)
    assert [v for _, v, _ in entries(chart)] == ["1.1.0"]
    assert load_lock(chart / "Chart.lock").digest == helm_update(helm_bin, chart, tmp_path)[1]
    pusher.push(ns, "web", "1.2.0")
    lock_ok(str(chart), "--strategy", "conservative", cwd=tmp_path)  # the flag wins
    assert [v for _, v, _ in entries(chart)] == ["1.1.0"]
    (tmp_path / ".chartlock.yaml").unlink()
    lock_ok(str(chart), "--strategy", "newest", cwd=tmp_path)
    assert [v for _, v, _ in entries(chart)] == ["1.2.0"]
    (tmp_path / ".chartlock.yaml").write_text("lock:\n  strategy: newest\n", "utf-8")
    assert_helm_builds(helm_bin, chart, tmp_path)
    (tmp_path / ".chartlock.yaml").write_text("lock:\n  strategy: oldest\n", "utf-8")
    bad = chartlock("lock", str(chart), "--plain-http", **in_dir(tmp_path))  # type: ignore[arg-type]
    assert bad.returncode == 2 and "lock.strategy" in bad.stderr and "newest" in bad.stderr


def test_library_resolve_takes_the_same_upgrade_requests(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    # resolver.api.resolve is `resolver.resolve` (a submodule resolver/resolve.py once shadowed
    # the lazy attribute; that module is resolver/resolution/ now).
    from resolver.api import resolve
    from resolver.errors import ChartlockError

    pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "0.x", repo)])
    created = resolve(chart, plain_http=True)
    assert created.changed and [c.kind for c in created.changes] == ["added", "added"]
    (chart / "Chart.lock").write_text(created.text, "utf-8")
    pusher.push(ns, "web", "1.1.0")
    pusher.push(ns, "db", "0.2.0")
    kept = resolve(chart, plain_http=True)
    assert not kept.changed and kept.changes == ()
    assert [d.version for d in kept.dependencies] == ["1.0.0", "0.1.0"]
    one = resolve(chart, upgrade=["db"], plain_http=True)
    assert [d.version for d in one.dependencies] == ["1.0.0", "0.2.0"]
    assert [(c.name, c.kind) for c in one.changes] == [("db", "upgraded")]
    exact = resolve(chart, upgrade="web==1.0.0", plain_http=True)
    assert not exact.changed
    everything = resolve(chart, upgrade=True, plain_http=True)
    assert [d.version for d in everything.dependencies] == ["1.1.0", "0.2.0"]
    (chart / "Chart.lock").write_text(one.text, "utf-8")
    assert_helm_builds(helm_bin, chart, tmp_path)
    (chart / "Chart.lock").write_text(everything.text, "utf-8")
    assert_helm_builds(helm_bin, chart, tmp_path)
    (chart / "Chart.lock").write_text(created.text, "utf-8")
    pusher.push(ns, "web", "1.0.0", values="moved: yes\n")
    with pytest.raises(ChartlockError, match="CL501"):
        resolve(chart, plain_http=True)
    with pytest.raises(ChartlockError, match="nope"):
        resolve(chart, upgrade=["nope"], plain_http=True)


def test_outdated_marks_exactly_what_upgrade_moves(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    for name, version in (("web", "1.0.0"), ("db", "0.1.0"), ("cache", "2.0.0"), ("q", "1.0.0")):
        pusher.push(ns, name, version)
    repo = f"oci://{registry.host}/{ns}"
    chart = write_chart(
        tmp_path / "app",
        [("web", "^1.0.0", repo), ("db", "0.x", repo), ("cache", "2.x", repo), ("q", "*", repo)],
    )
    lock_ok(str(chart))
    pusher.push(ns, "web", "1.1.0")  # in range: --upgrade moves web
    pusher.push(ns, "db", "1.0.0")  # outside 0.x: nothing moves
    pusher.push(ns, "q", "3.0.0")
    out = chartlock("outdated", str(chart), "--plain-http", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)["charts"][0]["dependencies"]
    marked = {r["name"] for r in rows if r["moves_on_upgrade"]}
    check = chartlock(
        "lock", "--check", "--upgrade", "--format", "json", str(chart), "--plain-http"
    )
    assert check.returncode == 1
    moved = {c["name"] for c in json.loads(check.stdout)["charts"][0]["changes"]}
    assert marked == moved == {"web", "q"}
    assert_helm_builds(helm_bin, chart, tmp_path)


def test_a_conservative_run_only_heads_the_locked_tags(
    registry: RegistryServer, pusher: Pusher, ns: str, helm_bin: str, tmp_path: Path
) -> None:
    from tests.support.proxy import Proxy

    for version in ("1.0.0", "1.1.0"):
        pusher.push(ns, "web", version)
    pusher.push(ns, "db", "0.1.0")
    with Proxy(registry.host) as proxy:
        repo = f"oci://{proxy.host}/{ns}"
        chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "0.x", repo)])
        pusher.push(ns, "new", "2.0.0")
        lock_ok(str(chart))
        proxy.log.clear()
        proxy.counts.clear()
        lock_ok(str(chart))  # everything kept: no tag list, one HEAD per locked tag
        assert sorted(proxy.log) == [
            ("HEAD", f"/v2/{ns}/db/manifests/0.1.0"),
            ("HEAD", f"/v2/{ns}/web/manifests/1.1.0"),
        ]
        (chart / "Chart.yaml").write_text(
            (chart / "Chart.yaml").read_text("utf-8")
            + f"  - name: new\n    version: '*'\n    repository: {repo}\n",
            "utf-8",
        )
        proxy.log.clear()
        lock_ok(str(chart))  # only the new dependency's tags are listed
        assert [p for m, p in proxy.log if p.endswith("/tags/list")] == [f"/v2/{ns}/new/tags/list"]
        assert_helm_builds(helm_bin, chart, tmp_path)


@pytest.fixture
def index_repo(helm_bin: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https-style chart repository (index.yaml + archives packaged by helm) on loopback."""
    import http.server
    import threading

    serve = tmp_path / "repo"
    serve.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = lambda *a, **k: Quiet(*a, directory=str(serve), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield url, serve
    httpd.shutdown()
    httpd.server_close()


def publish(helm: str, serve: Path, url: str, work: Path, version: str, values: str = "") -> None:
    from tests.support.registry import make_chart

    src = make_chart(work / "src" / f"{version}-{len(values)}", "indexed", version, values=values)
    subprocess.run([helm, "package", str(src), "-d", str(serve)], check=True, capture_output=True)
    subprocess.run(
        [helm, "repo", "index", str(serve), "--url", url], check=True, capture_output=True
    )


def test_index_repository_through_an_alias_is_kept_and_upgraded(
    index_repo: tuple[str, Path], helm_bin: str, tmp_path: Path
) -> None:
    url, serve = index_repo
    for version in ("1.0.0", "1.1.0"):
        publish(helm_bin, serve, url, tmp_path, version)
    repos = tmp_path / "repositories.yaml"
    repos.write_text(f"apiVersion: v1\nrepositories:\n  - name: charts\n    url: {url}/\n", "utf-8")
    chart = write_chart(tmp_path / "app", [("indexed", "^1.0.0", "'@charts'")])
    flags = ("--repository-config", str(repos))
    lock_ok(str(chart), *flags)
    first = entries(chart)
    assert [v for _, v, _ in first] == ["1.1.0"] and (first[0][2] or "").startswith("sha256:")
    publish(helm_bin, serve, url, tmp_path, "1.2.0")
    lock_ok(str(chart), *flags)
    assert entries(chart) == first
    # The same repository spelled without the alias and the trailing slash (Helm's urlutil.Equal):
    # the version is kept, the lock takes the new spelling.
    edit(chart, "repository: '@charts'", f"repository: {url}")
    lock_ok(str(chart), *flags)
    assert entries(chart) == first
    assert load_lock(chart / "Chart.lock").dependencies[0].repository == url  # type: ignore[index]
    helm_home = tmp_path / "helm-build-env"
    helm_home.mkdir(exist_ok=True)
    shutil.copy(repos, helm_home / "repositories.yaml")
    assert_helm_builds(helm_bin, chart, tmp_path)
    # The locked archive replaced by other content (same version): CL501, nothing written.
    before = (chart / "Chart.lock").read_bytes()
    (serve / "indexed-1.1.0.tgz").unlink()
    publish(helm_bin, serve, url, tmp_path, "1.1.0", values="other: content\n")
    moved = chartlock("lock", str(chart), "--plain-http", *flags)
    assert moved.returncode == 2 and "CL501" in moved.stderr and str(first[0][2]) in moved.stderr
    assert (chart / "Chart.lock").read_bytes() == before
    lock_ok(str(chart), *flags, "--upgrade")
    (upgraded,) = entries(chart)
    assert upgraded[1] == "1.2.0"
