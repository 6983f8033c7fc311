"""--format markdown: golden files on the PR-check fixtures, and the shape of its tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.reporters import render
from resolver.linter.reporters.markdown import link_base_from_env, render_markdown
from tests.prchecks.helpers import (
    CLEAN_REPO,
    FINDINGS_REPO,
    GOLDEN,
    broken_repo,
    chartlock,
    copy_repo,
    edit_repo,
)
from tests.prchecks.mdtable import split_row, tables

UPDATE = os.environ.get("CHARTLOCK_UPDATE_GOLDEN") == "1"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, "utf-8")
    assert text == path.read_text("utf-8"), f"{name} differs (CHARTLOCK_UPDATE_GOLDEN=1 rewrites)"


def test_findings_repo(tmp_path: Path) -> None:
    result = chartlock("lint", "--format", "markdown", cwd=FINDINGS_REPO)
    assert result.returncode == 1
    _golden("findings.md", result.stdout)
    found = tables(result.stdout)
    assert [t[0] for t in found] == [
        ["Severity", "Findings"],
        ["Rule", "Name", "Findings"],
        ["Severity", "Rule", "Location", "Message"],
    ]
    assert sum(int(row[1]) for row in found[0][1]) == 50
    assert sum(int(row[2]) for row in found[1][1]) == 50
    assert len(found[2][1]) == 50
    assert found[2][1][0][2] == "[charts/web/Chart.yaml:5](charts/web/Chart.yaml#L5)"
    # The fix of each rule once.
    fixes = result.stdout.split("### How to fix", 1)[1]
    assert fixes.count("**CL301**") == 1 and fixes.count("**CL402**") == 1


def test_after_edits_with_baseline(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    assert chartlock("lint", "--write-baseline", "baseline.json", cwd=repo).returncode == 0
    edit_repo(repo)
    result = chartlock("lint", "--baseline", "baseline.json", "--format", "markdown", cwd=repo)
    assert result.returncode == 1
    _golden("baseline.md", result.stdout)
    assert "**3 fixed since the baseline**" in result.stdout
    assert len(tables(result.stdout)[2][1]) == 2


def test_clean_repo() -> None:
    result = chartlock("lint", "--format", "markdown", cwd=CLEAN_REPO)
    assert result.returncode == 0
    _golden("clean.md", result.stdout)
    assert tables(result.stdout) == []


def test_failed_run_says_why(tmp_path: Path) -> None:
    repo = broken_repo(tmp_path / "repo")
    result = chartlock("lint", "--format", "markdown", cwd=repo)
    assert result.returncode == 2
    _golden("failed.md", result.stdout)
    assert "**The run failed**" in result.stdout
    assert "charts/broken/Chart.yaml: is a dangling symlink" in result.stdout


def test_mistyped_path_says_the_run_failed() -> None:
    result = chartlock("lint", ".", "no-such-dir", "--format", "markdown", cwd=FINDINGS_REPO)
    assert result.returncode == 2
    assert "**The run failed**" in result.stdout
    assert "no-such-dir: no such file or directory" in result.stdout


def test_links_point_at_the_commit_in_ci() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "org/repo",
        "GITHUB_SHA": "abc123",
    }
    assert link_base_from_env(env) == "https://github.example/org/repo/blob/abc123/"
    gitlab = {"CI_PROJECT_URL": "https://gitlab.example/g/p", "CI_COMMIT_SHA": "def"}
    assert link_base_from_env(gitlab) == "https://gitlab.example/g/p/-/blob/def/"
    assert link_base_from_env({"GITHUB_SHA": "abc"}) == ""
    result = chartlock("lint", "--format", "markdown", cwd=FINDINGS_REPO, env=env)
    assert (
        "[scripts/deploy.sh:4](https://github.example/org/repo/blob/abc123/scripts/deploy.sh#L4)"
        in result.stdout
    )


def _finding(i: int, message: str = "msg", path: str = "values.yaml") -> Finding:
    return Finding("CL301", "image-tag-latest", Severity.ERROR, path, i + 1, 1, message, key=str(i))


def test_truncated_politely_with_the_total() -> None:
    report = Report([_finding(i) for i in range(12)], files_checked=1)
    text = render_markdown(report, limit=5)
    assert len(tables(text)[2][1]) == 5
    assert "Showing the first 5 of 12 findings" in text
    assert "| 12 |" in text  # the counts still count everything
    full = render_markdown(report, limit=12)
    assert "Showing" not in full


def test_cells_cannot_break_the_table() -> None:
    nasty = "a | b\nnext line <script>x</script> `c | d`"
    report = Report([_finding(0, nasty, path="dir with space/v|x.yaml")])
    text = render(report, "markdown")
    row = tables(text)[2][1][0]
    assert len(row) == 4
    assert "<script>" not in text and "&lt;script&gt;" in row[3]
    assert row[3].endswith("`c \\| d`")
    assert split_row("| a \\| b | c |") == ["a \\| b", "c"]


def test_paths_outside_the_repository_are_not_links() -> None:
    report = Report([_finding(0, path="/etc/values.yaml"), _finding(1, path="../up.yaml")])
    rows = tables(render_markdown(report))[2][1]
    assert sorted(r[2] for r in rows) == ["../up.yaml:2", "/etc/values.yaml:1"]


@pytest.mark.parametrize("fmt", ["markdown", "gitlab"])
def test_new_formats_are_offered_by_lint_check_verify(fmt: str) -> None:
    from resolver.cli.main import build_parser

    for command in ("lint", "check", "verify"):
        assert build_parser().parse_args([command, "--format", fmt]).format == fmt
