"""--format gitlab: Code Quality JSON, checked by schemas/gitlab-codequality.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.reporters import render
from tests.prchecks.helpers import CLEAN_REPO, FINDINGS_REPO, ROOT, broken_repo, chartlock

SCHEMA = json.loads((ROOT / "schemas" / "gitlab-codequality.schema.json").read_text("utf-8"))


def test_findings_repo_validates_and_maps_every_field() -> None:
    result = chartlock("lint", "--format", "gitlab", cwd=FINDINGS_REPO)
    assert result.returncode == 1
    issues = json.loads(result.stdout)
    jsonschema.validate(issues, SCHEMA)
    assert len(issues) == 50
    assert len({i["fingerprint"] for i in issues}) == 50
    as_json = json.loads(chartlock("lint", "--format", "json", cwd=FINDINGS_REPO).stdout)
    for issue, finding in zip(issues, as_json["findings"], strict=True):
        assert issue["location"] == {"path": finding["path"], "lines": {"begin": finding["line"]}}
        assert issue["check_name"] == f"{finding['rule']} {finding['name']}"
        assert issue["fingerprint"] == finding["fingerprint"]
        assert issue["description"].startswith(f"{finding['rule']} {finding['message']}")
        expected = {"error": "critical", "warning": "major", "info": "info"}[finding["severity"]]
        assert issue["severity"] == expected


def test_clean_repo_is_an_empty_list() -> None:
    result = chartlock("check", "--format", "gitlab", cwd=CLEAN_REPO)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_failed_run_keeps_valid_json_and_says_why_on_stderr(tmp_path: Path) -> None:
    result = chartlock("lint", "--format", "gitlab", cwd=broken_repo(tmp_path / "repo"))
    assert result.returncode == 2
    issues = json.loads(result.stdout)
    jsonschema.validate(issues, SCHEMA)
    assert len(issues) == 50
    assert "chartlock: error: charts/broken/Chart.yaml: is a dangling symlink" in result.stderr


def test_mistyped_path_is_still_a_valid_report() -> None:
    result = chartlock("lint", ".", "no-such-dir", "--format", "gitlab", cwd=FINDINGS_REPO)
    assert result.returncode == 2
    issues = json.loads(result.stdout)
    jsonschema.validate(issues, SCHEMA)
    assert issues == []
    assert "chartlock: error: no-such-dir: no such file or directory" in result.stderr


def test_repeated_fingerprints_are_made_unique_but_stay_line_free() -> None:
    def finding(line: int) -> Finding:
        return Finding("CL402", "helm-insecure-transport", Severity.WARNING, "ci.sh", line, 1, "m")

    issues = json.loads(render(Report([finding(3), finding(9), finding(12)]), "gitlab"))
    jsonschema.validate(issues, SCHEMA)
    fps = [i["fingerprint"] for i in issues]
    assert len(set(fps)) == 3
    assert fps[0] == finding(3).fingerprint
    moved = json.loads(render(Report([finding(30), finding(90), finding(120)]), "gitlab"))
    assert [i["fingerprint"] for i in moved] == fps


def test_schema_rejects_what_gitlab_rejects() -> None:
    good = {
        "description": "d",
        "check_name": "c",
        "fingerprint": "0" * 32,
        "severity": "major",
        "location": {"path": "a", "lines": {"begin": 1}},
    }
    jsonschema.validate([good], SCHEMA)
    for broken in (
        {**good, "severity": "error"},
        {k: v for k, v in good.items() if k != "fingerprint"},
        {**good, "location": {"path": "a"}},
        {**good, "location": {"path": "a", "lines": {"begin": 0}}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([broken], SCHEMA)


def test_report_file_writes_gitlab_and_sarif_alongside_text(tmp_path: Path) -> None:
    out = tmp_path / "gl.json"
    sarif = tmp_path / "r.sarif"
    result = chartlock(
        "lint",
        "--report-file",
        f"gitlab={out}",
        "--report-file",
        f"sarif={sarif}",
        cwd=FINDINGS_REPO,
    )
    assert result.returncode == 1
    assert "27 errors, 20 warnings, 3 infos" in result.stdout  # text still on stdout
    jsonschema.validate(json.loads(out.read_text("utf-8")), SCHEMA)
    assert len(json.loads(sarif.read_text("utf-8"))["runs"][0]["results"]) == 50


@pytest.mark.parametrize(
    ("value", "message"),
    [("gitlab", "expected FORMAT=FILE"), ("yaml=x", "unknown format 'yaml'")],
)
def test_report_file_rejects_bad_values(tmp_path: Path, value: str, message: str) -> None:
    result = chartlock("lint", "--report-file", value, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
