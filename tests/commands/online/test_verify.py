"""`chartlock verify` against a real registry with charts pushed by the real helm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver.cli.main import main
from resolver.commands.verify import verify_charts, verify_findings
from resolver.registry.options import ClientOptions
from tests.commands.online.helpers import (
    delete_manifest,
    push_artifact,
    unique,
    write_lock,
    write_parent,
)
from tests.support.proxy import Proxy
from tests.support.registry import Pusher, RegistryServer

pytestmark = pytest.mark.integration


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def findings(
    capsys: pytest.CaptureFixture[str], chart: Path, *extra: str
) -> tuple[int, list[dict[str, object]]]:
    code, out, _ = run(capsys, "verify", str(chart), "--plain-http", "--format", "json", *extra)
    doc = json.loads(out)
    items = doc["findings"] if isinstance(doc, dict) else doc
    return code, items


def test_clean_lock_exits_zero(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("v")
    d1 = pusher.push(ns, "web", "1.0.0")
    d2 = pusher.push(ns, "web", "1.1.0")
    db = pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "0.1.0", repo)])
    write_lock(chart, [("web", repo, "1.1.0", d2), ("db", repo, "0.1.0", db)])
    assert d1 != d2
    code, out, err = run(capsys, "verify", str(chart), "--plain-http")
    assert code == 0, out + err
    assert "CL50" not in out
    report = verify_charts([chart], ClientOptions(plain_http=True))
    assert report.findings == [] and report.errors == []
    assert report.charts_checked == 1


def test_repushed_tag_is_tag_moved_with_both_digests(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("v")
    old = pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", repo)])
    lock = write_lock(chart, [("web", repo, "1.0.0", old)])
    new = pusher.push(ns, "web", "1.0.0", values="changed: true\n")
    assert new != old
    code, items = findings(capsys, chart)
    assert code == 1
    (item,) = items
    assert item["rule"] == "CL501" and item["severity"] == "error"
    assert old in str(item["message"]) and new in str(item["message"])
    assert "tag 1.0.0 moved" in str(item["message"])
    assert f"`chartlock lock --upgrade-package web {chart}`" in str(item["fix"])
    # Positioned at the lock entry's digest line.
    lines = lock.read_text("utf-8").splitlines()
    assert lines[int(str(item["line"])) - 1].endswith("digest: " + old)
    code, out, _ = run(capsys, "verify", str(chart), "--plain-http")
    assert code == 1 and "CL501" in out and new in out


def test_missing_and_deleted_tags_are_locked_version_gone(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("v")
    digest = pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "db", "0.1.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(
        tmp_path / "app",
        [("web", "1.0.0", repo), ("db", "0.9.9", repo), ("nochart", "1.0.0", repo)],
    )
    write_lock(
        chart,
        [
            ("web", repo, "1.0.0", digest),
            ("db", repo, "0.9.9", "sha256:" + "0" * 64),
            ("nochart", repo, "1.0.0", None),
        ],
    )
    delete_manifest(registry, f"{ns}/web", digest)
    code, items = findings(capsys, chart)
    assert code == 1
    assert sorted(str(i["rule"]) for i in items) == ["CL503", "CL503", "CL503"]
    messages = " ".join(str(i["message"]) for i in items)
    assert f"{ns}/web:1.0.0" in messages and f"{ns}/db:0.9.9" in messages
    assert f"{ns}/nochart:1.0.0" in messages


def test_non_chart_artifact_is_not_a_helm_chart(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("v")
    digest = push_artifact(registry, f"{ns}/web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", repo)])
    write_lock(chart, [("web", repo, "1.0.0", digest)])
    code, items = findings(capsys, chart)
    assert code == 1
    (item,) = items
    assert item["rule"] == "CL502" and item["name"] == "not-a-helm-chart"
    assert "application/vnd.oci.image.config.v1+json" in str(item["message"])


def test_newer_version_in_range_is_info(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("v")
    d1 = pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "web", "1.2.0")
    pusher.push(ns, "web", "1.3.0-rc.1")
    pusher.push(ns, "web", "2.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "^1.0.0", repo)])
    write_lock(chart, [("web", repo, "1.0.0", d1)])
    code, items = findings(capsys, chart)
    assert code == 0
    (item,) = items
    assert item["rule"] == "CL504" and item["severity"] == "info"
    assert "1.2.0" in str(item["message"]) and "1.0.0" in str(item["message"])
    # The fix is a command to copy: it names the dependency and the chart.
    assert item["fix"] == (
        f"run `chartlock lock --upgrade-package web {chart}` (or `--upgrade` for all)"
    )
    code, items = findings(capsys, chart, "--no-newer")
    assert code == 0 and items == []


def test_every_repository_asked_once(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    ns = unique("v")
    d1 = pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "web", "1.1.0")
    with Proxy(registry.host) as proxy:
        repo = f"oci://{proxy.host}/{ns}"
        charts = []
        for i in range(3):
            chart = write_parent(tmp_path / f"app{i}", [("web", "^1.0.0", repo)])
            write_lock(chart, [("web", repo, "1.0.0", d1)])
            charts.append(chart)
        found = verify_findings(charts, ClientOptions(plain_http=True))
        assert [f.rule for f in found] == ["CL504"] * 3
        assert proxy.counts[f"/v2/{ns}/web/tags/list"] == 1
        assert proxy.counts[f"/v2/{ns}/web/manifests/1.0.0"] == 1
        assert proxy.counts[f"/v2/{ns}/web/manifests/{d1}"] == 1


def test_unreachable_registry_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = "oci://127.0.0.1:9/ns"
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", repo)])
    write_lock(chart, [("web", repo, "1.0.0", None)])
    code, _, err = run(capsys, "verify", str(chart), "--plain-http", "--timeout", "2")
    assert code == 2
    assert "127.0.0.1:9/ns/web" in err and "cannot connect" in err
    with pytest.raises(Exception, match="cannot connect"):
        verify_findings([chart], ClientOptions(plain_http=True, timeout=2))


def test_password_stdin_with_basic_auth_is_never_printed(
    basic_registry: RegistryServer, helm_bin: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    pusher = Pusher(helm_bin, basic_registry, tmp_path / "push")
    ns = unique("v")
    digest = pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{basic_registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", repo)])
    write_lock(chart, [("web", repo, "1.0.0", digest)])
    root = Path(__file__).resolve().parents[3]
    base = ["verify", str(chart), "--plain-http", "-v", "--username", "chartuser"]
    ok = subprocess.run(
        [sys.executable, "-m", "resolver", *base, "--password-stdin"],
        cwd=root,
        input="s3cr3t-P4ss\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "s3cr3t" not in ok.stdout + ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "resolver", *base, "--password-stdin"],
        cwd=root,
        input="wrong-Pass\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "wrong-Pass" not in bad.stdout + bad.stderr
    assert basic_registry.host in bad.stderr
    assert len([x for x in bad.stderr.splitlines() if x.startswith("chartlock: error")]) == 1
