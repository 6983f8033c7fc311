"""Hostile and broken input: `check` and `lock` exit 2 with one line naming the file (and line),
never a traceback, and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import assert_clean_failure, run_chartlock, snapshot

BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)

CASES: dict[str, tuple[bytes, str]] = {
    "invalid-yaml": (b"name: app\ndependencies:\n  - name: [\n", "Chart.yaml:4"),
    "alias-bomb": (("name: app\n" + BOMB).encode(), "alias bomb"),
    "non-utf8": (b"name: app\ndescription: \xff\xfe\n", "not valid UTF-8"),
    "wrong-type": (b'name: app\ndependencies: "x"\n', "dependencies must be a list"),
    "number-for-string": (b"name: app\ndependencies:\n  - name: {a: 1}\n", "must be a string"),
    "huge": (b"name: app\n" + b"# padding\n" * 1_000_000, "too large"),
}


@pytest.mark.parametrize("command", ["check", "lock"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_chart_yaml(tmp_path: Path, command: str, case: str) -> None:
    content, expect = CASES[case]
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_bytes(content)
    before = snapshot(chart)
    run = run_chartlock(command, str(chart), *(["--plain-http"] if command == "lock" else []))
    assert_clean_failure(run, "Chart.yaml", expect)
    assert snapshot(chart) == before


def test_bom_and_duplicate_keys_are_read_like_helm(tmp_path: Path) -> None:
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_bytes(
        b"\xef\xbb\xbfapiVersion: v2\nname: app\nversion: 0.1.0\nname: app\n"
    )
    run = run_chartlock("check", str(chart))
    assert run.code == 0, run.stderr


@pytest.mark.parametrize("command", ["check", "lock"])
def test_chart_lock_is_a_directory(tmp_path: Path, command: str) -> None:
    chart = tmp_path / "app"
    (chart / "Chart.lock").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies: []\n", "utf-8"
    )
    run = run_chartlock(command, str(chart))
    assert_clean_failure(run, "Chart.lock", "is a directory")


def test_lint_reports_cl003_and_goes_on(tmp_path: Path) -> None:
    import json

    app = tmp_path / "app"
    (app / "templates").mkdir(parents=True)
    (app / "Chart.yaml").write_text('dependencies: "x"\n', "utf-8")
    (app / "values.yaml").write_text("image: nginx:latest\n", "utf-8")
    (app / "values-bad.yaml").write_text("a: [\n", "utf-8")
    (app / "values-bin.yaml").write_bytes(b"\xff\xfe\n")
    (app / "values-bomb.yaml").write_text(BOMB, "utf-8")
    before = snapshot(tmp_path)
    run = run_chartlock("lint", str(tmp_path), "--format", "json")
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr
    found = {(f["rule"], f["path"].rsplit("/", 1)[-1]) for f in json.loads(run.stdout)["findings"]}
    assert ("CL003", "Chart.yaml") in found
    assert ("CL003", "values-bad.yaml") in found
    assert ("CL003", "values-bin.yaml") in found
    assert ("CL003", "values-bomb.yaml") in found
    assert ("CL301", "values.yaml") in found  # the other files are still linted
    assert snapshot(tmp_path) == before
