"""The README's user-facing parts stay true: the quick start's commands parse, the pre-commit
``rev:`` exists, the hooks exist, and every environment variable chartlock reads is documented."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from resolver.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def _quick_start() -> str:
    start = README.index("## Quick start")
    return README[start : README.index("\n# chartlock\n", start)]


def test_the_two_command_lines_stay_first() -> None:
    lines = README.splitlines()
    assert lines[0].startswith(
        "    pip install -e . && chartlock lock --check fixtures/example/app"
    )
    assert lines[1].startswith("    bash scripts/install-test-tools.sh && pip install -e '.[test]'")
    assert README.index("## Quick start") < README.index("\n# chartlock\n")


def test_quick_start_commands_parse() -> None:
    found = 0
    for raw in _quick_start().splitlines():
        line = raw.strip().removeprefix("- run: ").removeprefix("# - run: ")
        if not line.startswith("chartlock ") or line.startswith("chartlock --version"):
            continue
        words = shlex.split(line.split("#", 1)[0].split(">", 1)[0])[1:]
        build_parser(words[0]).parse_args(words)  # SystemExit(2) on a wrong flag
        found += 1
    assert found >= 8


def test_pre_commit_rev_exists_and_hooks_exist() -> None:
    tags = subprocess.run(
        ["git", "tag"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    revs = re.findall(r"^\s*rev: (\S+(?: \S+)?)", README, flags=re.MULTILINE)
    assert revs
    for rev in revs:
        rev = rev.split("   #")[0].strip()
        assert rev == "<commit sha>" or rev in tags, f"README rev {rev!r} is not a tag"
    hooks = set(
        re.findall(r"^- id: (\S+)", (ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"), re.M)
    )
    used = set(re.findall(r"- id: (chartlock-\S+)", README))
    assert used and used <= hooks


# Platform defaults named in the README under another spelling (%LOCALAPPDATA%) or not at all.
_PLATFORM = {"APPDATA", "LOCALAPPDATA"}


def test_every_environment_variable_read_is_documented() -> None:
    read: set[str] = set()
    for path in (ROOT / "resolver").rglob("*.py"):
        read.update(re.findall(r"environ\.get\(\s*\"([A-Z_]+)\"", path.read_text("utf-8")))
        read.update(re.findall(r"getenv\(\s*\"([A-Z_]+)\"", path.read_text("utf-8")))
    assert {"CHARTLOCK_CACHE", "NO_COLOR", "FORCE_COLOR", "DOCKER_CONFIG"} <= read
    section = README[README.index("## Environment variables") :]
    section = section[: section.index("\n## ", 3)]
    missing = sorted(name for name in read - _PLATFORM if f"`{name}`" not in section)
    assert not missing, f"document these in README's Environment variables: {missing}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        assert f"`{name}`" in section


@pytest.mark.parametrize("link", ["docs/cli.md", "docs/rules.md", "docs/ARCHITECTURE.md"])
def test_linked_docs_exist(link: str) -> None:
    assert f"({link})" in README
    assert (ROOT / link).is_file()


# A repository path as the docs write it: `resolver/chart/yamlfast.py`, tests/faults, bench/...
_REPO_PATH = re.compile(
    r"(?<![\w./-])((?:resolver|tests|bench|fixtures|schemas|scripts|docs)/[\w./*-]*[\w*])"
)
_DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])


def repo_paths(text: str) -> set[str]:
    return set(_REPO_PATH.findall(text))


def test_repo_path_pattern() -> None:
    text = (
        "`resolver/chart/yamlfast.py` and (tests/faults/), bench/check_bench.py, see docs/ci.md. "
        "Not ../shared/data/corpus/x.yaml, nor my-resolver/x.py, nor resolver.chart.models."
    )
    assert repo_paths(text) == {
        "resolver/chart/yamlfast.py",
        "tests/faults",
        "bench/check_bench.py",
        "docs/ci.md",
    }


@pytest.mark.parametrize("doc", _DOCS, ids=lambda p: p.name)
def test_every_repository_path_in_the_docs_exists(doc: Path) -> None:
    """A moved or deleted module leaves no dangling reference in README.md or docs/*.md."""
    missing = sorted(
        path
        for path in repo_paths(doc.read_text("utf-8"))
        if not (any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists())
    )
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"
