"""`@name` and `alias:name` repositories are rewritten to the repositories.yaml URL before
hashing, as Helm does; a different URL there makes the lock out of sync (helm/helm#9850)."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.chart.loader import parse_chart, parse_lock
from resolver.chart.lockfile import dump_lock, hash_req
from resolver.commands.check import check

URL = "https://charts.example.com/stable/"


def make(tmp_path: Path, repository: str) -> Path:
    chart = tmp_path / "app"
    chart.mkdir()
    text = (
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f'  - name: web\n    version: ~1.2.0\n    repository: "{repository}"\n'
    )
    (chart / "Chart.yaml").write_text(text, "utf-8")
    # What Helm writes: the lock holds the resolved URL, the digest covers the rewritten req.
    req = parse_chart(
        text.replace(f'"{repository}"', f'"{URL}"'), chart / "Chart.yaml", "x"
    ).dependencies
    lock = parse_lock(
        f'dependencies:\n- name: web\n  repository: "{URL}"\n  version: 1.2.4\n', chart, "x"
    ).dependencies
    assert req is not None and lock is not None
    (chart / "Chart.lock").write_text(
        dump_lock(lock, hash_req(req, lock), "2026-11-24T10:00:00Z"), "utf-8"
    )
    return chart


def repos(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "repositories.yaml"
    path.write_text(f"apiVersion: v1\nrepositories:\n- name: stable\n  url: {url}\n", "utf-8")
    return path


@pytest.mark.parametrize("spelling", ["@stable", "alias:stable"])
def test_alias_rewritten_from_repositories_yaml(tmp_path: Path, spelling: str) -> None:
    chart = make(tmp_path, spelling)
    same = check([chart], cwd=tmp_path, repository_config=repos(tmp_path, URL))
    assert [f.rule for f in same.findings if f.rule == "CL202"] == []


@pytest.mark.parametrize("spelling", ["@stable", "alias:stable"])
def test_other_url_in_repositories_yaml_is_out_of_sync(tmp_path: Path, spelling: str) -> None:
    chart = make(tmp_path, spelling)
    other = check([chart], cwd=tmp_path, repository_config=repos(tmp_path, URL.rstrip("/")))
    assert [f.rule for f in other.findings if f.rule == "CL202"] == ["CL202"]


def test_offline_without_repositories_yaml_uses_the_locked_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELM_REPOSITORY_CONFIG", str(tmp_path / "none.yaml"))
    chart = make(tmp_path, "@stable")
    report = check([chart], cwd=tmp_path)
    assert [f.rule for f in report.findings if f.rule == "CL202"] == []
