"""`chartlock check` as a user runs it: exit codes, one-line errors, fast imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_chartlock

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "lint" / "lock"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_chartlock(*args, cwd=cwd, env={"NO_COLOR": "1"})


def test_clean_exits_0() -> None:
    result = run("check", str(FIX / "clean"))
    assert result.returncode == 0
    assert "no problems" in result.stdout


def test_error_exits_1_warning_exits_0() -> None:
    assert run("check", str(FIX / "cl202-out-of-sync")).returncode == 1
    assert run("check", str(FIX / "cl205-digest-missing")).returncode == 0
    assert run("check", "--require-digests", str(FIX / "cl205-digest-missing")).returncode == 1


def test_json_shape() -> None:
    result = run("check", "--format", "json", str(FIX / "cl203-outside-range"))
    data = json.loads(result.stdout)
    (finding,) = data["findings"]
    assert finding["rule"] == "CL203"
    assert finding["severity"] == "error"
    assert finding["line"] == 5 and finding["column"] == 12
    assert finding["path"].endswith("cl203-outside-range/Chart.lock")


def test_usage_error_exits_2() -> None:
    result = run("check", "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "chart", "lock", "expect"),
    [
        ("invalid-yaml", "name: a\ndependencies: [\n", None, "Chart.yaml:3"),
        ("wrong-type", 'name: a\ndependencies: "x"\n', None, "dependencies must be a list"),
        ("lock-dir", "name: a\ndependencies: []\n", "DIR", "Chart.lock: is a directory"),
        ("bad-lock", "name: a\ndependencies: []\n", "dependencies: {\n", "Chart.lock:"),
        ("binary", b"name: \xff\n", None, "not valid UTF-8"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, name: str, chart: str | bytes, lock: str | None, expect: str
) -> None:
    d = tmp_path / name
    d.mkdir()
    if isinstance(chart, bytes):
        (d / "Chart.yaml").write_bytes(chart)
    else:
        (d / "Chart.yaml").write_text(chart, "utf-8")
    if lock == "DIR":
        (d / "Chart.lock").mkdir()
    elif lock is not None:
        (d / "Chart.lock").write_text(lock, "utf-8")
    before = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    result = run("check", str(d))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("chartlock: error:")]
    assert len(errors) == 1 and expect in errors[0], result.stderr
    assert {p: p.read_bytes() for p in d.rglob("*") if p.is_file()} == before


def test_one_bad_chart_does_not_hide_the_others(tmp_path: Path) -> None:
    shutil.copytree(FIX / "cl203-outside-range", tmp_path / "good")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Chart.yaml").write_text("dependencies: [\n", "utf-8")
    result = run("check", str(tmp_path))
    assert result.returncode == 2
    assert "CL203" in result.stdout


def test_offline_commands_do_not_import_httpx_or_jsonschema() -> None:
    # Nor PyYAML: plain block YAML (the clean fixture) goes through resolver.chart.yamlfast.
    code = (
        "import sys\n"
        "from resolver.cli.main import main\n"
        "main(['check', {!r}])\n"
        "names = ('httpx', 'jsonschema', 'httpcore', 'yaml')\n"
        "heavy = sorted(m for m in names if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    ).format(str(FIX / "clean"))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "HEAVY=\n" in result.stdout, result.stdout + result.stderr
