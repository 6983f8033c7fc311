"""CL201-CL208: each fires on its fixture (rule, file, line, column) and not on the clean one."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.checking import check

ROOT = Path(__file__).resolve().parents[2]
FIX = "fixtures/lint/lock"

POSITIVE = [
    ("CL201", "cl201-lock-missing", "Chart.yaml", 5, 3),
    ("CL202", "cl202-out-of-sync", "Chart.lock", 10, 9),
    ("CL203", "cl203-outside-range", "Chart.lock", 5, 12),
    ("CL204", "cl204-not-exact", "Chart.lock", 5, 12),
    ("CL205", "cl205-digest-missing", "Chart.lock", 2, 3),
    ("CL206", "cl206-digest-malformed", "Chart.lock", 2, 11),
    ("CL207", "cl207-entries-mismatch", "Chart.lock", 6, 3),
    ("CL208", "cl208-vendored-mismatch", "Chart.lock", 5, 12),
]


@pytest.mark.parametrize(("rule", "case", "file", "line", "column"), POSITIVE)
def test_rule_fires(rule: str, case: str, file: str, line: int, column: int) -> None:
    report = check([f"{FIX}/{case}"], cwd=ROOT)
    hits = [f for f in report.findings if f.rule == rule]
    assert len(hits) == 1, report.findings
    hit = hits[0]
    assert (hit.path, hit.line, hit.column) == (f"{FIX}/{case}/{file}", line, column)
    assert "chartlock" in hit.fix or "helm" in hit.fix
    # The positive fixture breaks only what it is about.
    others = {f.rule for f in report.findings} - {rule}
    assert others <= {"CL202"} if rule in ("CL207",) else others == set()


@pytest.mark.parametrize("rule", [p[0] for p in POSITIVE])
def test_rule_silent_on_clean_chart(rule: str) -> None:
    report = check([f"{FIX}/clean", f"{FIX}/local-deps"], cwd=ROOT)
    assert [f for f in report.findings if f.rule == rule] == []


def test_require_digests_makes_cl205_an_error() -> None:
    plain = check([f"{FIX}/cl205-digest-missing"], cwd=ROOT)
    strict = check([f"{FIX}/cl205-digest-missing"], cwd=ROOT, require_digests=True)
    assert [f.severity.label for f in plain.findings] == ["warning"]
    assert [f.severity.label for f in strict.findings] == ["error"]


def test_charts_dir_dependency_is_not_flagged() -> None:
    report = check([f"{FIX}/local-deps"], cwd=ROOT)
    assert report.findings == []
    # The unpacked charts/<sub> is part of its umbrella, not a chart (resolver.discovery).
    assert report.charts_checked == 1
