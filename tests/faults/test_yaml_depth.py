"""YAML nested absurdly deep (local chart files): exit 2 with one line naming the file, from
`check`, `lint` and `lock` alike; before, libyaml crashed the interpreter (a segfault, exit
139) and Python code walking the tree raised RecursionError (a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.chart.yamldepth import too_deep
from tests.faults.conftest import assert_clean_failure, run_chartlock, snapshot

HEADER = b"apiVersion: v2\nname: app\nversion: 0.1.0\n"
DEEP = 100_000
CASES = {
    "flow": HEADER + b"x: " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "flow-in-import-values": HEADER
    + b"dependencies:\n  - name: web\n    version: 1.0.0\n    repository: oci://127.0.0.1:1/x\n"
    + b"    import-values: "
    + b"[" * 3000
    + b"]" * 3000
    + b"\n",
    "block-dashes": HEADER + b"x:\n" + b"- " * DEEP + b"x\n",
    "indentation": HEADER
    + b"x:\n"
    + b"".join(b" " * (i + 1) + b"k%d:\n" % i for i in range(2000))
    + b" " * 2001
    + b"v: 1\n",
}


@pytest.mark.parametrize("command", ["check", "lock"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_deeply_nested_chart_yaml_is_one_line_error(
    tmp_path: Path, command: str, case: str
) -> None:
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_bytes(CASES[case])
    before = snapshot(chart)
    run = run_chartlock(command, str(chart), *(["--plain-http"] if command == "lock" else []))
    assert_clean_failure(run, "Chart.yaml", "nested more than 256 levels deep")
    assert snapshot(chart) == before


def test_lint_reports_a_deep_values_file_and_goes_on(tmp_path: Path) -> None:
    import json

    app = tmp_path / "app"
    app.mkdir()
    (app / "Chart.yaml").write_bytes(HEADER)
    (app / "values.yaml").write_bytes(b"a: " + b"{b: " * DEEP + b"1" + b"}" * DEEP + b"\n")
    run = run_chartlock("lint", str(tmp_path), "--format", "json")
    assert run.code == 1, run.stderr
    found = {(f["rule"], f["path"].rsplit("/", 1)[-1]) for f in json.loads(run.stdout)["findings"]}
    assert ("CL003", "values.yaml") in found


def test_ordinary_nesting_is_not_refused() -> None:
    ordinary = "a:\n  b:\n    - [1, [2, {c: [3]}]]\n    - - x\n      - y\n" * 1000
    assert not too_deep(ordinary, 256)
    assert not too_deep("x: " + "[" * 255 + "]" * 255, 256)
    assert too_deep("x: " + "[" * 256 + "]" * 256, 256)
    assert too_deep(b"x: " + b"[" * 256 + b"]" * 256, 256)
