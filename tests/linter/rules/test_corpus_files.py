"""Real-world files (fixtures/corpus-lint, provenance in PROVENANCE.md): no false errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from resolver.linter.rules.base import CheckOptions, FileKind, LintTarget, Problem
from resolver.linter.rules.ci import check_ci
from resolver.linter.rules.images import check_values
from tests.linter.rules.helpers import ROOT

CORPUS = ROOT / "fixtures" / "corpus-lint"
MANIFEST = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]
VALUES = sorted(CORPUS / m["local_path"] for m in MANIFEST if m["local_path"].startswith("values/"))
WORKFLOWS = sorted(
    CORPUS / m["local_path"] for m in MANIFEST if m["local_path"].startswith("workflows/")
)
NEVER_ON_REAL_DATA = {"CL304", "CL305", "CL306"}


def _check(path: Path, kind: FileKind) -> list[Problem]:
    text = path.read_text(encoding="utf-8")
    target = LintTarget(path, path.relative_to(CORPUS).as_posix(), kind, text)
    checker = check_values if kind is FileKind.VALUES else check_ci
    problems = list(checker(target, CheckOptions()))
    lines = text.count("\n") + 1
    for problem in problems:
        assert 1 <= problem.line <= lines, (path, problem)
        assert problem.column >= 1, (path, problem)
        assert problem.message
    return problems


def test_the_subset_is_there() -> None:
    assert len(VALUES) >= 30 and len(WORKFLOWS) >= 20
    assert all(path.is_file() for path in VALUES + WORKFLOWS)
    provenance = (CORPUS / "PROVENANCE.md").read_text()
    for entry in MANIFEST:
        assert entry["local_path"] in provenance and entry["commit"] in provenance


@pytest.mark.parametrize("path", VALUES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_values_have_no_false_reference_errors(path: Path) -> None:
    problems = _check(path, FileKind.VALUES)
    assert not [p for p in problems if p.rule.id in NEVER_ON_REAL_DATA], problems
    assert {p.rule.id for p in problems} <= {"CL301", "CL302", "CL303"}


def test_values_counts_are_plausible() -> None:
    counts: Counter[str] = Counter()
    for path in VALUES:
        counts.update(p.rule.id for p in _check(path, FileKind.VALUES))
    # real charts pin by tag far more often than by digest, and rarely use latest
    assert counts["CL303"] > counts["CL301"] > 0
    assert counts["CL302"] < counts["CL303"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_workflows_do_not_crash(path: Path) -> None:
    problems = _check(path, FileKind.CI)
    assert {p.rule.id for p in problems} <= {"CL401", "CL402", "CL403", "CL404", "CL405", "CL406"}


def test_workflow_counts_are_plausible() -> None:
    counts: Counter[str] = Counter()
    for path in WORKFLOWS:
        counts.update(p.rule.id for p in _check(path, FileKind.CI))
    # the subset includes known password-argument logins and dependency updates
    assert counts["CL403"] > 0 and counts["CL404"] > 0
    assert counts["CL405"] == 0  # nobody in the corpus runs `helm repo add x oci://`
