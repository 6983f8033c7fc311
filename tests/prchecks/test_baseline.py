"""Baselines (--write-baseline / --baseline) on lint, check and verify-style findings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from resolver.errors import InputError
from resolver.linter.baseline import apply_baseline, dump_baseline, parse_baseline
from resolver.linter.findings import Finding, Report, Severity
from tests.prchecks.helpers import FINDINGS_REPO, ROOT, chartlock, copy_repo, edit_repo


def _json_findings(stdout: str) -> list[dict[str, object]]:
    findings = json.loads(stdout)["findings"]
    assert isinstance(findings, list)
    return findings


def test_acceptance_story_50_findings_add_2_move_10_fix_3(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    before = chartlock("lint", "--format", "json", cwd=repo)
    assert before.returncode == 1
    assert len(_json_findings(before.stdout)) == 50

    written = chartlock("lint", "--write-baseline", "baseline.json", cwd=repo)
    assert written.returncode == 0, written.stderr
    assert "wrote 50 findings to the baseline baseline.json" in written.stderr
    doc = json.loads((repo / "baseline.json").read_text("utf-8"))
    schema = json.loads((ROOT / "schemas" / "baseline.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    assert len(doc["findings"]) == 50

    edit_repo(repo)
    everything = _json_findings(chartlock("lint", "--format", "json", cwd=repo).stdout)
    assert len(everything) == 49  # 50 + 2 - 3
    lines_before = {(f["path"], f["message"]): f["line"] for f in _json_findings(before.stdout)}
    moved = [
        f
        for f in everything
        if (f["path"], f["message"]) in lines_before
        and lines_before[(f["path"], f["message"])] != f["line"]
    ]
    assert len(moved) >= 10  # the move really shifted findings to other lines

    result = chartlock("lint", "--baseline", "baseline.json", "--format", "json", cwd=repo)
    assert result.returncode == 1
    new = _json_findings(result.stdout)
    assert sorted(str(f["message"]) for f in new) == [
        "`ghcr.io/example/latecomer:latest` uses the mutable tag `latest`",
        "`ghcr.io/example/newcomer:latest` uses the mutable tag `latest`",
    ]
    assert "47 findings in the baseline baseline.json not shown" in result.stderr
    assert "3 fixed since the baseline" in result.stderr

    text = chartlock("lint", "--baseline", "baseline.json", cwd=repo)
    assert text.stdout.count("CL301") == 2 and "newcomer" in text.stdout


def test_baseline_without_new_findings_passes_and_says_nothing_fixed(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    assert chartlock("lint", "--write-baseline", "b.json", cwd=repo).returncode == 0
    result = chartlock("lint", "--baseline", "b.json", cwd=repo)
    assert result.returncode == 0, result.stdout
    assert "no problems" in result.stdout
    assert "50 findings in the baseline b.json not shown" in result.stderr
    assert "fixed" not in result.stderr


def test_check_command_takes_a_baseline(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    assert chartlock("check", "--format", "json", cwd=repo).returncode == 1
    assert chartlock("check", "--write-baseline", "b.json", cwd=repo).returncode == 0
    assert chartlock("check", "--baseline", "b.json", cwd=repo).returncode == 0
    # A second chart without a lock is new.
    (repo / "charts" / "api").mkdir()
    (repo / "charts" / "api" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: api\nversion: 1.0.0\ndependencies:\n"
        "  - name: redis\n    version: 1.0.0\n    repository: oci://ghcr.io/example/charts\n",
        "utf-8",
    )
    result = chartlock("check", "--baseline", "b.json", "--format", "json", cwd=repo)
    assert result.returncode == 1
    new = _json_findings(result.stdout)
    assert [(f["rule"], f["path"]) for f in new] == [("CL201", "charts/api/Chart.yaml")]


def test_verify_accepts_the_baseline_options() -> None:
    from resolver.cli.main import build_parser

    args = build_parser().parse_args(["verify", "--baseline", "b.json", "charts/app"])
    assert args.baseline == "b.json"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "b.json:1:2: not a baseline"),
        ("[]", "expected an object with a `findings` list"),
        ('{"version": 2, "findings": []}', "unsupported baseline version 2"),
        ('{"version": 1, "findings": [{"rule": "CL101"}]}', "findings[0] has no `fingerprint`"),
    ],
)
def test_malformed_baseline_is_one_line_exit_2(tmp_path: Path, content: str, message: str) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    (repo / "b.json").write_text(content, "utf-8")
    result = chartlock("lint", "--baseline", "b.json", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.startswith("chartlock: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_baseline_says_how_to_create_it(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    result = chartlock("lint", "--baseline", "nope.json", cwd=repo)
    assert result.returncode == 2
    assert "nope.json: baseline not found (create it with --write-baseline)" in result.stderr


def test_baseline_and_write_baseline_are_exclusive(tmp_path: Path) -> None:
    result = chartlock("lint", "--baseline", "a", "--write-baseline", "b", cwd=tmp_path)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_failed_run_does_not_write_a_baseline(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    result = chartlock("lint", ".", "no-such-dir", "--write-baseline", "b.json", cwd=repo)
    assert result.returncode == 2
    assert "not writing b.json: the run failed" in result.stderr
    assert not (repo / "b.json").exists()


def _finding(key: str, line: int, path: str = "values.yaml") -> Finding:
    return Finding("CL301", "image-tag-latest", Severity.ERROR, path, line, 3, f"m {key}", key=key)


def test_matching_is_a_multiset_of_fingerprints() -> None:
    base = parse_baseline(dump_baseline([_finding("a", 1), _finding("a", 2)]).decode(), "b")
    assert base == Counter({_finding("a", 1).fingerprint: 2})
    report = Report([_finding("a", 7), _finding("a", 8), _finding("a", 9)])
    filtered = apply_baseline(report, base, "b")
    assert [f.line for f in filtered.findings] == [9]  # the later occurrence is the new one
    assert filtered.baseline is not None
    assert (filtered.baseline.matched, filtered.baseline.fixed) == (2, 0)


def test_fixed_counts_baseline_entries_no_longer_seen() -> None:
    base = parse_baseline(dump_baseline([_finding("a", 1), _finding("b", 2)]).decode(), "b")
    filtered = apply_baseline(Report([_finding("b", 40)], errors=[ValueError("x")]), base, "b")
    assert filtered.findings == []
    assert filtered.baseline is not None
    assert (filtered.baseline.matched, filtered.baseline.fixed) == (1, 1)
    assert len(filtered.errors) == 1  # errors survive the filter


def test_a_renamed_file_makes_its_findings_new() -> None:
    base = parse_baseline(dump_baseline([_finding("a", 1)]).decode(), "b")
    filtered = apply_baseline(Report([_finding("a", 1, path="other.yaml")]), base, "b")
    assert len(filtered.findings) == 1
    assert filtered.baseline is not None and filtered.baseline.fixed == 1


def test_baseline_file_is_sorted_and_line_free() -> None:
    findings = [_finding("b", 9), _finding("a", 3), _finding("c", 1, path="a.yaml")]
    text = dump_baseline(findings).decode()
    assert text == dump_baseline(findings[::-1]).decode()  # input order does not matter
    doc = json.loads(text)
    keys = [(e["path"], e["rule"], e["fingerprint"]) for e in doc["findings"]]
    assert keys == sorted(keys) and keys[0][0] == "a.yaml"
    assert "line" not in text
    with pytest.raises(InputError):
        parse_baseline('{"version": 1, "findings": [3]}', "b")


@pytest.mark.parametrize(
    "option", ["--write-baseline=missing-dir/b.json", "--report-file=sarif=missing-dir/r.sarif"]
)
def test_unwritable_output_is_one_line_exit_2(tmp_path: Path, option: str) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    result = chartlock("lint", option, cwd=repo)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "missing-dir/" + option.rsplit("/", 1)[1] + ": cannot write: No such file or directory"
    )
    assert "Traceback" not in result.stderr
    assert not (repo / "missing-dir").exists()


def test_one_finding_in_the_baseline_is_singular(tmp_path: Path) -> None:
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
        "- name: web\n  version: 1.0.0\n  repository: oci://registry.example/charts\n",
        "utf-8",
    )
    assert chartlock("check", "--write-baseline", "b.json", cwd=tmp_path).returncode == 0
    result = chartlock("check", "--baseline", "b.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "chartlock: 1 finding in the baseline b.json not shown" in result.stderr
