"""ci/gitlab/chartlock.gitlab-ci.yml: valid for GitLab, and its script lines work locally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.prchecks.helpers import (
    CLEAN_REPO,
    FINDINGS_REPO,
    LINK_VARS,
    ROOT,
    broken_repo,
    chartlock,
    copy_repo,
    edit_repo,
)
from tests.support.tools import require_check_jsonschema

TEMPLATE = ROOT / "ci" / "gitlab" / "chartlock.gitlab-ci.yml"
SCHEMA = json.loads((ROOT / "schemas" / "gitlab-codequality.schema.json").read_text("utf-8"))


def _job() -> dict[str, Any]:
    """The `chartlock` job with `extends: .chartlock` resolved (GitLab's deep merge of maps)."""
    doc = yaml.safe_load(TEMPLATE.read_text("utf-8"))
    job = dict(doc["chartlock"])
    base = doc[job.pop("extends")]
    merged = {**base, **job}
    merged["variables"] = {**base.get("variables", {}), **job.get("variables", {})}
    return merged


def test_template_passes_gitlab_ci_schema(tmp_path: Path) -> None:
    tool = require_check_jsonschema()
    ok = subprocess.run(
        [tool, "--builtin-schema", "vendor.gitlab-ci", str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.gitlab-ci.yml"
    broken.write_text(TEMPLATE.read_text("utf-8").replace("stage: test", "stage: [1]"))
    bad = subprocess.run(
        [tool, "--builtin-schema", "vendor.gitlab-ci", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1, bad.stdout  # the check can fail


def test_job_publishes_code_quality_even_when_failing() -> None:
    job = _job()
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert job["before_script"] == [
        'test -n "$CHARTLOCK_PIP_SPEC" || { echo "chartlock: error: set CHARTLOCK_PIP_SPEC'
        ' (what pip installs)" >&2; exit 2; }',
        'python -m pip install --quiet --disable-pip-version-check "$CHARTLOCK_PIP_SPEC"',
    ]
    # No default package: an unpinned "chartlock" would install whatever PyPI has by that name.
    assert job["variables"]["CHARTLOCK_PIP_SPEC"] == ""
    refused = subprocess.run(
        ["bash", "-c", "set -eo pipefail\n" + job["before_script"][0]],
        env={"PATH": os.environ["PATH"], "CHARTLOCK_PIP_SPEC": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "set CHARTLOCK_PIP_SPEC" in refused.stderr
    assert job["stage"] == "test"


def _run_script(repo: Path, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The job's script lines in one shell with errexit, as GitLab's bash executor runs them;
    `chartlock` is this worktree's (before_script's pip install is checked above, not run)."""
    job = _job()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "chartlock"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m resolver "$@"\n', "utf-8")
    shim.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CI_", "HELM_", "DOCKER_")) and k not in LINK_VARS
    }
    env.update({"CI_PROJECT_DIR": str(repo), "PYTHONPATH": str(ROOT)})
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    for name, value in {**job["variables"], **variables}.items():
        env[name] = str(value).replace("$CI_PROJECT_DIR", str(repo))
    script = "set -eo pipefail\n" + "\n".join(job["script"]) + "\n"
    return subprocess.run(
        ["bash", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _report(repo: Path) -> list[dict[str, Any]]:
    issues = json.loads((repo / "gl-code-quality-report.json").read_text("utf-8"))
    jsonschema.validate(issues, SCHEMA)
    assert isinstance(issues, list)
    return issues


def test_script_on_clean_repository(tmp_path: Path) -> None:
    repo = copy_repo(CLEAN_REPO, tmp_path / "repo")
    result = _run_script(repo, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("chartlock ")
    assert _report(repo) == []
    assert "no problems" in (repo / "chartlock-summary.md").read_text("utf-8")


def test_script_on_repository_with_findings(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    result = _run_script(repo, tmp_path)
    assert result.returncode == 1
    issues = _report(repo)
    assert len(issues) == 50
    assert {i["severity"] for i in issues} == {"critical", "major", "info"}


def test_script_with_baseline_and_two_paths(tmp_path: Path) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    assert chartlock("lint", "--write-baseline", "b.json", cwd=repo).returncode == 0
    edit_repo(repo)
    result = _run_script(
        repo, tmp_path, CHARTLOCK_PATHS="charts scripts", CHARTLOCK_ARGS="--baseline b.json"
    )
    assert result.returncode == 1
    assert len(_report(repo)) == 2
    assert "3 fixed since the baseline" in result.stderr


def test_script_when_chartlock_fails(tmp_path: Path) -> None:
    repo = broken_repo(tmp_path / "repo")
    result = _run_script(repo, tmp_path)
    assert result.returncode == 2
    assert "chartlock: error: charts/broken/Chart.yaml: is a dangling symlink" in result.stderr
    assert len(_report(repo)) == 50  # still a valid report for the merge request


@pytest.mark.parametrize("command", ["check", "lint"])
def test_script_runs_the_configured_command(tmp_path: Path, command: str) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "repo")
    _run_script(repo, tmp_path, CHARTLOCK_COMMAND=command)
    assert len(_report(repo)) == (1 if command == "check" else 50)
