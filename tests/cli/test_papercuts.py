"""Command-line papercuts: errors name the flag, bad values are refused, typos get a hint."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from resolver.cli.main import main
from tests.linter.helpers import CHART, write
from tests.support.cli import run_chartlock

ROOT = Path(__file__).resolve().parents[2]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["lint", "--select", "CL999"], "chartlock: error: --select: 'CL999' matches no rule"),
        (["lint", "--ignore", "CL1,CL9"], "chartlock: error: --ignore: 'CL9' matches no rule"),
    ],
)
def test_selector_errors_name_the_flag_not_the_config_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    line: str,
) -> None:
    # A configuration file exists: the error is still about the flag.
    write(tmp_path, {"app/Chart.yaml": CHART, ".chartlock.yaml": "select: [CL1]\n"})
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(line), err
    assert ".chartlock.yaml" not in err


def test_a_bad_selector_in_the_file_still_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"app/Chart.yaml": CHART, ".chartlock.yaml": "select: [CL9]\n"})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--ignore", "CL1"]) == 2
    assert ".chartlock.yaml:1: select: 'CL9' matches no rule" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "abc"])
@pytest.mark.parametrize("command", ["lock", "verify", "pull", "outdated", "lint"])
def test_timeout_must_be_positive(
    capsys: pytest.CaptureFixture[str], command: str, value: str
) -> None:
    line = _error(capsys, [command, "--timeout", value, "fixtures/example"])
    assert line.startswith("chartlock: error: argument --timeout: "), line
    assert repr(value) in line


def test_a_positive_timeout_is_accepted() -> None:
    from resolver.cli.main import build_parser

    args = build_parser("verify").parse_args(["verify", "--timeout", "0.5"])
    assert args.timeout == 0.5


@pytest.mark.parametrize("command", ["lock", "verify", "pull", "outdated"])
def test_password_stdin_without_username_is_an_error(command: str) -> None:
    result = run_chartlock(command, "--password-stdin", "fixtures/example/app", stdin="secret\n")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chartlock: error: --password-stdin needs --username (the password is that user's)"
    ]
    assert "secret" not in result.stdout + result.stderr


def test_password_stdin_is_read_with_a_username(monkeypatch: pytest.MonkeyPatch) -> None:
    from resolver.cli.online import read_password

    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert read_password(argparse.Namespace(password_stdin=True, username="me")) == "s3cret"


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["lnt", "."], "; did you mean 'lint'?"),
        (["chek"], "; did you mean 'check'?"),
        (["outdate", "."], "; did you mean 'outdated'?"),
        (["lint", "--selct", "CL1", "."], "; did you mean '--select'?"),
        (["verify", "--plain-htp", "."], "; did you mean '--plain-http'?"),
        (["lint", "--format", "jsn", "."], "; did you mean 'json'?"),
        (["lock", "--chek", "."], "; did you mean '--check'?"),
    ],
)
def test_typos_get_a_did_you_mean(
    capsys: pytest.CaptureFixture[str], argv: list[str], hint: str
) -> None:
    line = _error(capsys, argv)
    assert line.startswith("chartlock: error: ")
    assert line.endswith(hint), line


@pytest.mark.parametrize("argv", [["zzzzzz"], ["lint", "--xyzzy", "."]])
def test_no_hint_when_nothing_is_close(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    line = _error(capsys, argv)
    assert "did you mean" not in line


def test_cl404_fix_names_the_chart_from_the_command(tmp_path: Path) -> None:
    import resolver
    from resolver.linter.config import Config

    write(
        tmp_path,
        {
            ".github/workflows/ci.yaml": """
            jobs:
              build:
                steps:
                  - run: helm dependency update deploy/prod/umbrella
                  - run: helm dep up "charts/my app"
                  - run: helm dependency update
            """
        },
    )
    report = resolver.lint(["."], Config(select=("CL404",)), cwd=tmp_path)
    fixes = [f.fix for f in report.findings]
    assert fixes == [
        "use the lock: `helm dependency build deploy/prod/umbrella` or "
        "`chartlock pull deploy/prod/umbrella`",
        "use the lock: `helm dependency build 'charts/my app'` or `chartlock pull 'charts/my app'`",
        "use the lock: `helm dependency build .` or `chartlock pull .`",
    ]
    assert not any(".github" in fix for fix in fixes)


def test_cl404_fix_keeps_a_shell_expansion_as_written(tmp_path: Path) -> None:
    # `'$c'` would be the literal string $c in the user's shell: the fix repeats the word.
    import resolver
    from resolver.linter.config import Config

    write(
        tmp_path,
        {
            "ci.sh": """
            for c in charts/*; do helm dep up $c; done
            helm dependency update "$CHART_DIR"
            """
        },
    )
    report = resolver.lint(["ci.sh"], Config(select=("CL404",)), cwd=tmp_path)
    assert [f.fix for f in report.findings] == [
        "use the lock: `helm dependency build $c` or `chartlock pull $c`",
        'use the lock: `helm dependency build "$CHART_DIR"` or `chartlock pull "$CHART_DIR"`',
    ]
