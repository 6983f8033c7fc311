"""resolver.chart.pair: the one chart-loading path of every command (check, lock, verify,
pull, outdated and the lint lock rule)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from resolver.chart.models import Dependency, Mark
from resolver.chart.pair import (
    error_at,
    load_chart_dir,
    load_pair,
    pair_requirements,
    position,
)
from resolver.errors import InputError, UnreadableFile

LOCK = (
    "dependencies:\n- name: db\n  repository: oci://r.example/c\n  version: 1.0.0\n"
    'digest: sha256:{}\ngenerated: "2026-01-01T00:00:00Z"\n'
)


def chart(directory: Path, api: str = "v2", deps: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        f"apiVersion: {api}\nname: app\nversion: 0.1.0\n{deps}", "utf-8"
    )
    return directory


def test_requirements_yaml_replaces_the_dependencies_with_its_positions(tmp_path: Path) -> None:
    app = chart(tmp_path / "app", "v1", "dependencies:\n- {name: web, version: 1.0.0}\n")
    (app / "requirements.yaml").write_text(
        "dependencies:\n- name: db\n  version: ^1\n  repository: oci://r.example/c\n", "utf-8"
    )
    loaded, lock = load_pair(app / "Chart.yaml", "app/Chart.yaml")
    assert lock is None
    assert [d.name for d in loaded.dependencies or []] == ["db"]
    mark = loaded.dependencies[0].mark("version") if loaded.dependencies else None
    assert mark is not None and (mark.path, mark.line) == ("app/requirements.yaml", 3)


def test_a_requirements_yaml_without_dependencies_changes_nothing(tmp_path: Path) -> None:
    app = chart(tmp_path / "app", "v1", "dependencies:\n- {name: web, version: 1.0.0}\n")
    (app / "requirements.yaml").write_text("# nothing yet\n", "utf-8")
    loaded, _ = load_pair(app / "Chart.yaml", "app/Chart.yaml")
    assert [d.name for d in loaded.dependencies or []] == ["web"]


def test_requirements_lock_wins_over_chart_lock(tmp_path: Path) -> None:
    app = chart(tmp_path / "app")
    (app / "Chart.lock").write_text(LOCK.format("1" * 64), "utf-8")
    (app / "requirements.lock").write_text(LOCK.format("2" * 64), "utf-8")
    loaded, lock = load_pair(app / "Chart.yaml", "app/Chart.yaml")
    assert lock is not None and lock.digest == "sha256:" + "2" * 64
    assert loaded.lock_file_name == "requirements.lock"
    assert lock.display_path == "app/requirements.lock"


def test_a_lock_that_is_a_directory_or_a_dangling_symlink_is_an_error(tmp_path: Path) -> None:
    app = chart(tmp_path / "app")
    (app / "Chart.lock").mkdir()
    with pytest.raises(UnreadableFile, match=r"app/Chart\.lock.*is a directory"):
        load_pair(app / "Chart.yaml", "app/Chart.yaml")
    (app / "Chart.lock").rmdir()
    os.symlink(tmp_path / "nowhere", app / "Chart.lock")
    with pytest.raises(UnreadableFile, match="dangling symlink"):
        load_pair(app / "Chart.yaml", "app/Chart.yaml")


def test_load_chart_dir_shows_paths_relative_to_the_working_directory(tmp_path: Path) -> None:
    app = chart(tmp_path / "charts" / "app")
    (app / "Chart.lock").write_text(LOCK.format("1" * 64), "utf-8")
    loaded = load_chart_dir(app, tmp_path)
    assert (loaded.display, loaded.lock_display) == ("charts/app", "charts/app/Chart.lock")
    here = load_chart_dir(chart(tmp_path / "solo"), tmp_path / "solo")
    assert (here.display, here.lock_display) == (".", "")


def test_load_chart_dir_refuses_a_directory_without_chart_yaml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"^empty: not a chart directory \(no Chart.yaml\)$"):
        load_chart_dir(tmp_path / "empty", tmp_path)


def test_pair_requirements_by_order_then_by_name(tmp_path: Path) -> None:
    deps = "dependencies:\n- {name: a, version: '1'}\n- {name: b, version: '2'}\n"
    app = chart(tmp_path / "app", deps=deps)
    lock_text = (
        "dependencies:\n- {name: b, repository: '', version: '2'}\n"
        "- {name: x, repository: '', version: '9'}\n- {name: a, repository: '', version: '1'}\n"
        'digest: sha256:0\ngenerated: "2026-01-01T00:00:00Z"\n'
    )
    (app / "Chart.lock").write_text(lock_text, "utf-8")
    loaded, lock = load_pair(app / "Chart.yaml", "app/Chart.yaml")
    assert lock is not None
    paired = pair_requirements(loaded, lock)
    assert [d.name if d else None for d in paired] == ["b", None, "a"]


def test_position_says_unknown_as_zero_unless_told_otherwise() -> None:
    """Online findings (verify) use (0, 0), shown as "-" (no position); lint rules that
    always point into the file they check pass (1, 1)."""
    assert position(Mark("a/Chart.lock", 4, 3)) == (4, 3)
    assert position(None) == (0, 0)
    assert position(None, (1, 1)) == (1, 1)


def test_error_at_names_the_place_when_known() -> None:
    at = error_at("app/Chart.lock", Mark("app/Chart.lock", 2, 5), "bad")
    assert (str(at), at.line, at.column) == ("app/Chart.lock:2:5: bad", 2, 5)
    nowhere = error_at("app/Chart.lock", None, "bad")
    assert (str(nowhere), nowhere.line) == ("app/Chart.lock: bad", None)


def test_a_dependency_without_marks_has_no_position() -> None:
    assert position(Dependency(name="a", version="1").mark("version")) == (0, 0)
