"""docs/cli.md, the command reference, is generated from the argparse parsers and kept in sync."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from resolver.cli import COMMANDS, clidocs, docs
from resolver.cli.main import build_parser


def test_docs_cli_md_is_up_to_date() -> None:
    assert clidocs.DOC_PATH.read_text("utf-8") == clidocs.generate(), (
        "run `python -m resolver.cli.docs`"
    )


def test_every_command_and_flag_is_documented() -> None:
    text = clidocs.generate()
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(sub.choices) == list(COMMANDS)
    for name, command in sub.choices.items():
        section = text.split(f"## chartlock {name}\n", 1)[1].split("\n## ", 1)[0]
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for flag in action.option_strings:
                assert f"`{flag}" in section, (name, flag)
            if action.help and action.help is not argparse.SUPPRESS:
                assert action.help.split("(")[0].strip() in section, (name, action.help)


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = clidocs.generate()
    monkeypatch.setenv("COLUMNS", "40")
    assert clidocs.generate() == wide


def test_one_command_regenerates_and_checks_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(docs, "DOC_PATH", tmp_path / "rules.md")
    monkeypatch.setattr(clidocs, "DOC_PATH", tmp_path / "cli.md")
    assert docs.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "rules.md is stale" in err and "cli.md is stale" in err
    assert docs.main([]) == 0
    assert (tmp_path / "cli.md").read_text("utf-8") == clidocs.generate()
    assert docs.main(["--check"]) == 0
    (tmp_path / "cli.md").write_text("old\n", "utf-8")
    assert docs.main(["--check"]) == 1
    assert "cli.md is stale" in capsys.readouterr().err


def test_usage_lists_positionals_last_and_wraps() -> None:
    text = clidocs.generate()
    usage = text.split("## chartlock lint\n", 1)[1].split("```\n", 1)[1].split("\n```", 1)[0]
    assert usage.startswith("chartlock lint [--format")
    assert usage.rstrip().endswith("[PATH ...]")
    assert all(len(line) <= 92 for line in usage.splitlines())


def test_the_generated_documents_are_the_repositorys_docs() -> None:
    # The generator once wrote resolver/docs/ after a module move, and --check compared that copy
    # with itself while docs/ went stale: the paths are pinned here.
    from tests.support.cli import ROOT

    assert clidocs.DOC_PATH == ROOT / "docs" / "cli.md"
    assert docs.DOC_PATH == ROOT / "docs" / "rules.md"
    assert not (ROOT / "resolver" / "docs").exists()
