"""The hooks in .pre-commit-hooks.yaml, run by the real `pre-commit try-repo`.

Slow-ish (pre-commit installs this repository into a virtualenv, with its dependencies from
PyPI); skipped when pre-commit or git is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.lint.helpers import ROOT, write

CLEAN = """
apiVersion: v2
name: app
version: 1.0.0
"""


def test_hook_manifest() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"chartlock-check", "chartlock-lint", "chartlock-lock"}
    assert hooks["chartlock-lock"]["stages"] == ["manual"]
    assert all(h["language"] == "python" for h in hooks.values())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _try_repo(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")
@pytest.mark.parametrize("hook", ["chartlock-lint", "chartlock-check"])
def test_try_repo_passes_clean_and_fails_planted(tmp_path: Path, home: Path, hook: str) -> None:
    repo = write(tmp_path / "repo", {"charts/app/Chart.yaml": CLEAN})
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    clean = _try_repo(repo, home, hook)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # A dependency with no Chart.lock: CL201 for check, CL201 + CL101 for lint.
    (repo / "charts/app/Chart.yaml").write_text(
        CLEAN.lstrip() + "dependencies:\n  - name: redis\n"
        "    repository: oci://registry-1.docker.io/bitnamicharts\n"
    )
    _git(repo, "add", ".")
    planted = _try_repo(repo, home, hook)
    assert planted.returncode == 1, planted.stdout + planted.stderr
    assert "CL201" in planted.stdout
