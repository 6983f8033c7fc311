"""The PR-check fixtures: a repository with 50 findings, and the edits of the baseline story."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FINDINGS_REPO = ROOT / "fixtures" / "prchecks" / "findings"
CLEAN_REPO = ROOT / "fixtures" / "example"
GOLDEN = ROOT / "tests" / "prchecks" / "golden"
VALUES = Path("charts/web/values.yaml")
DIGEST = "sha256:" + "ab" * 32
# Variables that would turn relative Markdown links into links to some CI's commit.
LINK_VARS = (
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "CI_PROJECT_URL",
    "CI_COMMIT_SHA",
)


def copy_repo(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    return dest


def chartlock(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """This worktree's chartlock, run in ``cwd`` (a fixture repository)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HELM_", "DOCKER_")) and k not in LINK_VARS
    }
    base["PYTHONPATH"] = str(ROOT)
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "resolver", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=base,
        timeout=120,
    )


def edit_repo(repo: Path) -> None:
    """The story of the acceptance test, on a copy of FINDINGS_REPO.

    - move 10 lines: the first two service blocks (5 lines each) go to the end of values.yaml,
      which also shifts every other finding of the file up by 10 lines;
    - fix 3: three `tag: latest` images get a released tag and a digest;
    - add 2: two new services with `tag: latest`.
    """
    path = repo / VALUES
    lines = path.read_text("utf-8").splitlines(keepends=True)
    assert lines[0] == "# api service\n" and lines[10] == "# billing service\n"
    lines = lines[10:] + lines[:10]
    text = "".join(lines)
    for name in ("catalog", "chat", "search"):
        block = f"    repository: ghcr.io/example/{name}\n    tag: latest\n"
        assert block in text, name
        text = text.replace(
            block, f'    repository: ghcr.io/example/{name}\n    tag: "3.0.0@{DIGEST}"\n'
        )
    for name in ("newcomer", "latecomer"):
        text += f"# {name} service\n{name}:\n  image:\n    repository: ghcr.io/example/{name}\n"
        text += "    tag: latest\n"
    path.write_text(text, "utf-8")


def normalise(text: str) -> str:
    """Golden-file form of chartlock's output: no version number."""
    return re.sub(r"chartlock \d+\.\d+\.\d+\S*", "chartlock X.Y.Z", text)


def broken_repo(dest: Path) -> Path:
    """The findings repository plus a chart whose Chart.yaml cannot be read (a dangling
    symlink): the run fails (exit 2) after linting everything else, so reports carry both the
    error and the findings. (A mistyped path fails before anything is read.)"""
    repo = copy_repo(FINDINGS_REPO, dest)
    (repo / "charts" / "broken").mkdir(parents=True)
    (repo / "charts" / "broken" / "Chart.yaml").symlink_to("nowhere")
    return repo
