"""action.yml run locally the way the runner runs it: a clean repository, one with findings,
one where chartlock fails (exit 2), with outputs, step summary and SARIF checked."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.commands.online.helpers import unique, write_lock, write_parent
from tests.prchecks.actionrunner import ActionRun, parse_outputs, run_composite
from tests.prchecks.helpers import (
    CLEAN_REPO,
    FINDINGS_REPO,
    LINK_VARS,
    ROOT,
    chartlock,
    copy_repo,
    edit_repo,
)
from tests.prchecks.mdtable import tables
from tests.support.registry import Pusher, RegistryServer

SARIF_SCHEMA = json.loads((ROOT / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


@pytest.fixture
def shim_path(tmp_path: Path) -> str:
    """A PATH whose `chartlock` is this worktree's (the action's `version: preinstalled`)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "chartlock"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m resolver "$@"\n', "utf-8")
    shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def _run(
    repo: Path,
    tmp_path: Path,
    path_env: str,
    github: dict[str, Any] | None = None,
    /,  # so that mypy does not match the action inputs (**inputs) against `github`
    **inputs: str,
) -> ActionRun:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "INPUT_", "HELM_", "DOCKER_"))
        and k not in LINK_VARS
    }
    env.update({"PATH": path_env, "PYTHONPATH": str(ROOT)})
    # Most tests run both report checks, to see one SARIF run and summary section per check.
    with_inputs = {
        "version": "preinstalled",
        "python": sys.executable,
        "checks": "check lint",
        **inputs,
    }
    return run_composite(
        ROOT / "action.yml", with_inputs, workspace=repo, temp=temp, env=env, github=github
    )


def _sarif(run: ActionRun) -> dict[str, Any]:
    path = Path(run.outputs["sarif"])
    assert path.is_file()
    doc: dict[str, Any] = json.loads(path.read_text("utf-8"))
    jsonschema.validate(doc, SARIF_SCHEMA)
    return doc


def test_uses_steps_are_pinned_and_configured(tmp_path: Path, shim_path: str) -> None:
    run = _run(copy_repo(CLEAN_REPO, tmp_path / "ws"), tmp_path, shim_path)
    uses = {step["uses"].split("@")[0]: step for step in run.skipped_uses}
    assert set(uses) == {"actions/cache", "github/codeql-action/upload-sarif"}
    for step in run.skipped_uses:
        assert PINNED.match(step["uses"]), step["uses"]
    cache = uses["actions/cache"]
    assert cache["with"]["path"] == "~/.cache/pip"
    assert "inputs.version" in cache["with"]["key"]
    upload = uses["github/codeql-action/upload-sarif"]
    assert upload["with"] == {"sarif_file": "${{ steps.run.outputs.sarif }}"}
    # Also after a failing check (findings fail the step), and only when asked for.
    assert "always()" in upload["if"] and "inputs.upload-sarif == 'true'" in upload["if"]


def test_default_checks_run_lint_once(tmp_path: Path, shim_path: str) -> None:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = dict(os.environ, PATH=shim_path, PYTHONPATH=str(ROOT))
    repo = copy_repo(FINDINGS_REPO, tmp_path / "ws")
    run = run_composite(
        ROOT / "action.yml",
        {"version": "preinstalled", "python": sys.executable},
        workspace=repo,
        temp=temp,
        env={k: v for k, v in env.items() if not k.startswith(("GITHUB_", "RUNNER_"))},
    )
    assert run.outputs["findings"] == "50"  # lint alone by default (it covers check's CL2xx rules)
    runs = _sarif(run)["runs"]
    assert [r["automationDetails"]["id"] for r in runs] == ["chartlock/lint/"]
    assert "## chartlock lint: 27 errors" in run.summary


def test_clean_repository(tmp_path: Path, shim_path: str) -> None:
    run = _run(copy_repo(CLEAN_REPO, tmp_path / "ws"), tmp_path, shim_path)
    assert not run.failed, [s.stderr for s in run.steps]
    assert [s.name for s in run.steps] == ["Install chartlock", "Run chartlock"]
    assert run.steps[0].stdout.startswith("chartlock ")
    assert run.outputs["findings"] == "0"
    assert run.outputs["errors"] == "0"
    assert run.outputs["exit-code"] == "0"
    sarif = _sarif(run)
    runs = sarif["runs"]
    assert isinstance(runs, list)
    assert [r["automationDetails"]["id"] for r in runs] == ["chartlock/check/", "chartlock/lint/"]
    assert all(r["results"] == [] for r in runs)
    assert "## chartlock check: no problems" in run.summary
    assert "## chartlock lint: no problems" in run.summary
    assert "::error" not in run.steps[1].stdout
    assert Path(run.outputs["summary-file"]).read_text("utf-8") == run.summary


def test_repository_with_findings(tmp_path: Path, shim_path: str) -> None:
    run = _run(
        copy_repo(FINDINGS_REPO, tmp_path / "ws"), tmp_path, shim_path, **{"upload-sarif": "true"}
    )
    run_step = run.steps[-1]
    assert run_step.name == "Run chartlock" and run_step.returncode == 1
    assert run.outputs["findings"] == str(1 + 50)  # check: CL201; lint: all 50
    assert run.outputs["errors"] == "0"
    assert run.outputs["exit-code"] == "1"
    runs = _sarif(run)["runs"]
    assert isinstance(runs, list)
    assert [len(r["results"]) for r in runs] == [1, 50]
    # Annotations in the log, at the finding's file and line.
    assert (
        "::error file=scripts/deploy.sh,line=5,col=28,title=CL401 helm-oci-unpinned::"
        in run_step.stdout
    )
    lint_summary = run.summary.split("## chartlock lint:", 1)[1]
    assert lint_summary.startswith(" 27 errors, 20 warnings, 3 infos")
    findings_table = tables(lint_summary)[2]
    assert len(findings_table[1]) == 50


def test_fail_on_warning_and_baseline(tmp_path: Path, shim_path: str) -> None:
    repo = copy_repo(FINDINGS_REPO, tmp_path / "ws")
    assert (
        chartlock("lint", "--write-baseline", ".chartlock-baseline.json", cwd=repo).returncode == 0
    )
    edit_repo(repo)
    run = _run(repo, tmp_path, shim_path, checks="lint", baseline=".chartlock-baseline.json")
    assert run.outputs["findings"] == "2"
    assert run.outputs["exit-code"] == "1"
    assert "**3 fixed since the baseline**" in run.summary
    # Only warnings left (both new findings fixed) and fail-on: warning → still failing.
    repo2 = copy_repo(CLEAN_REPO, tmp_path / "ws2")
    (repo2 / "deploy.sh").write_text("helm push --plain-http x.tgz oci://r.example/c\n", "utf-8")
    (tmp_path / "runner-temp").rename(tmp_path / "runner-temp-1")
    strict = _run(repo2, tmp_path, shim_path, checks="lint", **{"fail-on": "warning"})
    assert strict.outputs["findings"] == "1" and strict.outputs["exit-code"] == "1"
    assert strict.steps[-1].returncode == 1


def test_failed_run_fails_the_step_and_says_why(tmp_path: Path, shim_path: str) -> None:
    # A chart whose Chart.yaml cannot be read: the run fails, but lints everything else.
    repo = copy_repo(FINDINGS_REPO, tmp_path / "ws")
    (repo / "charts" / "broken").mkdir(parents=True)
    (repo / "charts" / "broken" / "Chart.yaml").symlink_to("nowhere")
    run = _run(repo, tmp_path, shim_path)
    step = run.steps[-1]
    assert step.returncode == 2
    assert run.outputs["exit-code"] == "2"
    assert int(run.outputs["errors"]) >= 1
    assert "::error title=chartlock::" in step.stdout
    assert "**The run failed**" in run.summary
    assert "charts/broken/Chart.yaml: is a dangling symlink" in run.summary
    # The findings that were collected are still there for reviewers and code scanning.
    assert run.outputs["findings"] == str(1 + 50)  # check: CL201; lint: all 50
    assert len(_sarif(run)["runs"]) == 2


def test_failure_before_any_report_is_quoted_from_stderr(tmp_path: Path, shim_path: str) -> None:
    run = _run(
        copy_repo(CLEAN_REPO, tmp_path / "ws"),
        tmp_path,
        shim_path,
        checks="lint, nonsense",
        config="missing.yaml",
    )
    assert run.steps[-1].returncode == 2
    assert run.outputs["errors"] == "2"
    assert "## chartlock lint: the run failed" in run.summary
    assert "missing.yaml" in run.summary
    assert "unknown check 'nonsense'" in run.summary
    assert "## chartlock unknown-1: the run failed" in run.summary


def test_checks_input_as_a_yaml_block_and_a_hostile_check_name(
    tmp_path: Path, shim_path: str
) -> None:
    ws = copy_repo(CLEAN_REPO, tmp_path / "ws")
    run = _run(ws, tmp_path, shim_path, checks="check\nlint\n../../escape")
    assert run.steps[-1].returncode == 2
    assert "## chartlock check: no problems" in run.summary
    assert "## chartlock lint: no problems" in run.summary
    assert "unknown check '../../escape'" in run.summary
    assert not (tmp_path / "escape.err").exists() and not (tmp_path / "escape.rc").exists()


def test_no_checks_is_an_error(tmp_path: Path, shim_path: str) -> None:
    run = _run(copy_repo(CLEAN_REPO, tmp_path / "ws"), tmp_path, shim_path, checks=" , ")
    assert run.steps[-1].returncode == 2
    assert "::error title=chartlock::no checks given" in run.steps[-1].stdout
    assert run.outputs["sarif"] == ""  # nothing to upload


def test_install_step_preinstalled_without_chartlock_fails_clearly(tmp_path: Path) -> None:
    run = _run(copy_repo(CLEAN_REPO, tmp_path / "ws"), tmp_path, "/usr/bin:/bin")
    assert run.steps[0].returncode == 2
    assert "no chartlock is on PATH" in run.steps[0].stdout
    assert len(run.steps) == 1


def test_inputs_with_shell_metacharacters_stay_data(tmp_path: Path, shim_path: str) -> None:
    marker = tmp_path / "pwned"
    run = _run(
        copy_repo(CLEAN_REPO, tmp_path / "ws"),
        tmp_path,
        shim_path,
        paths=f"'; touch {marker}; echo '",
        checks="lint",
    )
    assert not marker.exists()
    assert run.outputs["exit-code"] == "2"  # the odd "paths" are paths that do not exist


def test_parse_outputs_handles_heredoc_form() -> None:
    assert parse_outputs("a=1\nb<<EOF\nx\ny\nEOF\nc=3=4\n") == {"a": "1", "b": "x\ny", "c": "3=4"}


def _git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_GLOBAL="/dev/null",
    )
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def _pull_request(tmp_path: Path) -> tuple[Path, str]:
    """A clone whose HEAD adds one image and one helm line to FINDINGS_REPO's base commit."""
    repo = copy_repo(FINDINGS_REPO, tmp_path / "ws")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD")
    values = repo / "charts" / "web" / "values.yaml"
    values.write_text(
        values.read_text("utf-8")
        + "newcomer:\n  image:\n    repository: ghcr.io/example/newcomer\n    tag: latest\n",
        "utf-8",
    )
    script = repo / "scripts" / "deploy.sh"
    script.write_text(
        script.read_text("utf-8") + "helm pull oci://ghcr.io/example/charts/more --version 2.0.0\n"
    )
    _git(repo, "commit", "-qam", "change")
    return repo, base


def _annotations(run: ActionRun) -> list[str]:
    kinds = ("::error ", "::warning ", "::notice ")
    return [line for line in run.steps[-1].stdout.splitlines() if line.startswith(kinds)]


def test_annotations_only_on_changed_lines_of_a_pull_request(
    tmp_path: Path, shim_path: str
) -> None:
    repo, base = _pull_request(tmp_path)
    event = {"event": {"pull_request": {"base": {"sha": base}}}}
    run = _run(repo, tmp_path, shim_path, event)
    assert run.outputs["findings"] == str(1 + 52)  # the summary and SARIF still have them all
    assert _annotations(run) == [
        "::error file=charts/web/values.yaml,line=154,col=10,title=CL301 image-tag-latest::"
        "`ghcr.io/example/newcomer:latest` uses the mutable tag `latest` (fix: pin a released"
        " tag and its digest, e.g. `nginx:1.27.3@sha256:<digest>`)",
        "::notice file=scripts/deploy.sh,line=9,col=11,title=CL406 helm-oci-not-digest-pinned::"
        "`oci://ghcr.io/example/charts/more` is pinned by version, not by digest (fix: append"
        " the manifest digest: `oci://host/path/chart@sha256:<digest>` (Helm >= 3.18))",
    ]


@pytest.mark.parametrize(("mode", "count"), [("all", 52), ("none", 0)])
def test_annotations_all_or_none(tmp_path: Path, shim_path: str, mode: str, count: int) -> None:
    repo, base = _pull_request(tmp_path)
    event = {"event": {"pull_request": {"base": {"sha": base}}}}
    run = _run(repo, tmp_path, shim_path, event, annotations=mode)
    # check and lint both report CL201 on the same line: annotated once.
    assert len(_annotations(run)) == count


def test_base_commit_missing_from_a_shallow_clone_annotates_everything(
    tmp_path: Path, shim_path: str
) -> None:
    repo, _ = _pull_request(tmp_path)
    event = {"event": {"pull_request": {"base": {"sha": "0" * 40}}}}
    run = _run(repo, tmp_path, shim_path, event)
    notices = [a for a in _annotations(run) if a.startswith("::notice title=chartlock::")]
    assert notices and "fetch-depth: 0" in notices[0]
    assert len(_annotations(run)) == 52 + 1


def test_default_install_builds_chartlock_from_the_action_checkout(tmp_path: Path) -> None:
    """`version` empty: pip installs the action's own checkout into a venv (needs PyPI for
    the build backend and the dependencies, as on a runner)."""
    action_dir = tmp_path / "action"
    action_dir.mkdir()
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy(ROOT / name, action_dir / name)
    for name in ("resolver", "ci"):
        shutil.copytree(
            ROOT / name, action_dir / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env.pop("PYTHONPATH", None)
    run = run_composite(
        action_dir / "action.yml",
        {"python": sys.executable, "checks": "check"},
        workspace=copy_repo(CLEAN_REPO, tmp_path / "ws"),
        temp=temp,
        env=env,
    )
    assert not run.failed, run.steps[-1].stderr
    install = run.steps[0]
    assert install.outputs["chartlock"] == str(temp / "chartlock-venv" / "bin" / "chartlock")
    assert install.stdout.startswith("chartlock 0.")
    assert run.outputs["findings"] == "0" and run.outputs["exit-code"] == "0"


@pytest.mark.integration
def test_verify_and_lock_check_against_a_real_registry(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, shim_path: str
) -> None:
    ns = unique("action")
    d1 = pusher.push(ns, "web", "1.0.0")
    repo_url = f"oci://{registry.host}/{ns}"
    ws = tmp_path / "ws"
    chart = write_parent(ws / "app", [("web", "^1.0.0", repo_url)])
    write_lock(chart, [("web", repo_url, "1.0.0", d1)])
    inputs = {"checks": "verify lock-check", "plain-http": "true"}
    current = _run(ws, tmp_path, shim_path, **inputs)
    assert current.outputs["exit-code"] == "0", current.summary
    assert "## chartlock lock --check: every Chart.lock is current" in current.summary
    assert "## chartlock verify: no problems" in current.summary

    # A newer version in range does not move a conservative lock; a range that no longer
    # admits the locked version does.
    pusher.push(ns, "web", "1.1.0")
    write_parent(ws / "app", [("web", "^1.1.0", repo_url)])
    (tmp_path / "runner-temp").rename(tmp_path / "runner-temp-1")
    stale = _run(ws, tmp_path, shim_path, **inputs)
    assert stale.steps[-1].returncode == 1
    assert stale.outputs["exit-code"] == "1"
    assert "## chartlock lock --check: a Chart.lock would change" in stale.summary
    assert "would change" in stale.summary.split("```text", 1)[1]
    runs = _sarif(stale)["runs"]
    assert [r["automationDetails"]["id"] for r in runs] == ["chartlock/verify/"]
