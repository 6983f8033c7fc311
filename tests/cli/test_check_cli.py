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


# What a cold `chartlock check` of one chart must not import (issue 14: at most `helm dependency
# list`). Each was on the path once and cost start-up for nothing: shutil (zlib, bz2, lzma;
# argparse asks it the terminal width for every add_argument), hashlib (OpenSSL, for one
# SHA-256 of a Chart.lock), importlib (with warnings), plus what a one-chart check never needs.
NOT_ON_CHECK_PATH = (
    "httpx",
    "httpcore",
    "jsonschema",
    "yaml",
    "shutil",
    "bz2",
    "lzma",
    "zlib",
    "hashlib",
    "_hashlib",
    "importlib",
    "importlib.util",
    "json",
    "datetime",
    "tempfile",
    "random",
    "typing",
    "subprocess",
    "threading",
    "asyncio",
    "logging",
    "difflib",
    "textwrap",
)


@pytest.mark.parametrize(
    ("fmt", "chart"),
    [("text", "clean"), ("text", "cl202-out-of-sync"), ("github", "cl203-outside-range")],
)
def test_check_imports_only_what_it_needs(fmt: str, chart: str) -> None:
    # -S: without `site`, whose .pth hooks (the editable install's finder among them) import
    # half of these before chartlock runs and would hide them; the modules chartlock itself
    # loads are the difference before/after.
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from resolver.cli.main import main\n"
        f"code = main(['check', '--format', {fmt!r}, {str(FIX / chart)!r}])\n"
        "loaded = set(sys.modules) - before\n"
        "print('CODE=%d' % code)\n"
        "print('LOADED=' + ','.join(sorted(loaded)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines.get("CODE") in ("0", "1"), result.stdout + result.stderr
    loaded = set(lines["LOADED"].split(","))
    assert "resolver.commands.check" in loaded  # the probe did see the check's imports
    assert sorted(loaded & set(NOT_ON_CHECK_PATH)) == []


def test_lock_digest_without_hashlib_is_helms(tmp_path: Path) -> None:
    # The digest check (CL202) hashes with CPython's own SHA-256 now: a lock that helm wrote
    # (its digest computed by Go) is still in sync, and one with another digest is not.
    shutil.copytree(ROOT / "fixtures" / "example", tmp_path / "example")
    app = tmp_path / "example" / "app"
    assert run("check", str(app)).returncode == 0
    lock = app / "Chart.lock"
    text = lock.read_text("utf-8")
    digest = text.split("\ndigest: sha256:", 1)[1][:64]
    lock.write_text(text.replace(digest, "0" * 64), "utf-8")
    result = run("check", "--format", "json", str(app))
    assert result.returncode == 1
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["CL202"]


@pytest.mark.parametrize("columns", [None, "70", "0", "wide", "200"])
def test_help_is_argparse_own(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    # The parser's formatter asks the terminal width without shutil; the help it prints is
    # exactly what argparse's own formatter prints.
    import argparse

    from resolver.cli.main import build_parser, terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns
    for only in (None, "check"):
        parser = build_parser(only)
        ours = parser.format_help()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        check = sub.choices["check"]
        ours_check = check.format_help()
        parser.formatter_class = check.formatter_class = argparse.HelpFormatter
        assert ours == parser.format_help()
        assert ours_check == check.format_help()
