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

from tests.linter.helpers import ROOT, write

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


def _try_repo(repo: Path, home: Path, hook: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), hook, "--all-files", "--verbose", *extra],
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


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")
def test_lock_hook_at_the_root_of_a_charts_folder_layout(tmp_path: Path, home: Path) -> None:
    """`charts/<name>/` at the repository root: the hook locks those charts (issue 9: it used
    to skip every chart whose parent folder is named `charts`, and fail with "no charts")."""
    repo = write(
        tmp_path / "repo",
        {
            "charts/app/Chart.yaml": CLEAN.lstrip()
            + "dependencies:\n  - name: lib\n    version: ^1.0.0\n    repository: file://../lib\n",
            "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.2.0\n",
        },
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    result = _try_repo(repo, home, "chartlock-lock", "--hook-stage", "manual")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "charts/app: Chart.lock created (1 dependency)" in result.stdout
    assert "charts/lib: no dependencies, nothing to lock" in result.stdout
    lock = (repo / "charts/app/Chart.lock").read_text("utf-8")
    assert "name: lib" in lock and "version: 1.2.0" in lock
    assert not (repo / "charts/lib/Chart.lock").exists()
