"""Chart.yaml / Chart.lock loading: Helm's view of values, positions, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.chart.loader import load_chart, load_lock, parse_chart, parse_lock
from resolver.errors import InputError


def chart(text: str) -> object:
    return parse_chart(text, Path("Chart.yaml"), "Chart.yaml")


def test_values_marks_and_sources() -> None:
    c = parse_chart(
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
        "- name: redis\n  version: 1.10\n  repository: oci://r/charts\n  tags: [y, '010']\n",
        Path("Chart.yaml"),
        "Chart.yaml",
    )
    assert c.dependencies is not None
    dep = c.dependencies[0]
    assert (dep.name, dep.version, dep.repository) == ("redis", "1.1", "oci://r/charts")
    assert dep.tags == ["true", "010"]
    assert dep.source["version"] == "1.10"
    assert "version" not in dep.quoted
    assert (dep.marks["version"].line, dep.marks["version"].column) == (6, 12)
    assert dep.marks["-"].line == 5


def test_case_insensitive_keys_last_sorted_wins() -> None:
    c = parse_chart("name: x\ndependencies:\n- Name: a\n  name: b\n", Path("C"), "C")
    assert c.dependencies is not None
    assert c.dependencies[0].name == "b"


def test_dependencies_absent_empty_null() -> None:
    assert parse_chart("name: x\n", Path("C"), "C").dependencies is None
    assert parse_chart("name: x\ndependencies:\n", Path("C"), "C").dependencies is None
    assert parse_chart("name: x\ndependencies: []\n", Path("C"), "C").dependencies == []


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('dependencies: "x"\n', "dependencies must be a list", 1),
        ("dependencies:\n- 3\n", "dependencies[0] must be a mapping", 2),
        ("dependencies:\n-\n", "empty or null", 2),
        ("dependencies:\n- name: {a: 1}\n", "dependencies[0].name must be a string", 2),
        ("dependencies:\n- name: a\n  enabled: maybe\n", "enabled must be a boolean", 3),
        ("dependencies:\n- name: a\n  tags: x\n", "tags must be a list", 3),
        ("- a\n- b\n", "Chart.yaml must be a mapping", 1),
        ("", "Chart.yaml is empty", None),
    ],
)
def test_wrong_types_name_file_and_line(text: str, message: str, line: int | None) -> None:
    with pytest.raises(InputError) as info:
        parse_chart(text, Path("Chart.yaml"), "charts/app/Chart.yaml")
    assert message in str(info.value)
    assert info.value.path == "charts/app/Chart.yaml"
    assert info.value.line == line


def test_lock_extra_digest_and_empty_lock() -> None:
    lock = parse_lock(
        "dependencies:\n- digest: sha256:abc\n  name: a\n  repository: oci://r\n  version: 1.0.0\n"
        'digest: sha256:x\ngenerated: "2026-01-01T00:00:00Z"\n',
        Path("Chart.lock"),
        "Chart.lock",
    )
    assert lock.dependencies is not None
    assert lock.dependencies[0].content_digest == "sha256:abc"
    assert lock.marks["digest"].line == 6
    empty = parse_lock("", Path("Chart.lock"), "Chart.lock")
    assert (empty.digest, empty.dependencies) == ("", None)


def test_malformed_generated_is_an_error() -> None:
    with pytest.raises(InputError, match="RFC 3339"):
        parse_lock('generated: "2024-01-01"\n', Path("Chart.lock"), "Chart.lock")


def test_load_from_disk(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("name: a\nversion: 0.1.0\n", "utf-8")
    assert load_chart(tmp_path / "Chart.yaml").name == "a"
    (tmp_path / "Chart.lock").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        load_lock(tmp_path / "Chart.lock", "Chart.lock")
