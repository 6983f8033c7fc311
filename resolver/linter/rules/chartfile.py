"""The Chart.yaml of a lint target, and where in it a problem is: shared by the rules that read
Chart.yaml (chart, repository, policy)."""

from __future__ import annotations

from pathlib import Path

from resolver.chart.models import Chart, Mark
from resolver.linter.rules.base import LintTarget, Problem, Rule


def chart_of(target: LintTarget) -> Chart:
    """The target's Chart.yaml, parsed once per lint run (requirements.yaml applied)."""
    chart = target.cache.get("chart")
    if chart is None:
        from resolver.chart.loader import parse_chart
        from resolver.chart.pair import apply_requirements

        chart = parse_chart(target.text, target.path, target.display)
        chart = apply_requirements(chart, target.path.parent, target.display)
        target.cache["chart"] = chart
    assert isinstance(chart, Chart)
    return chart


def chart_arg(display: str) -> str:
    """The chart directory as a command argument (``charts/app``, or ``.``)."""
    parent = Path(display).parent.as_posix()
    return parent if parent not in ("", ".") else "."


def at(
    rule: Rule, message: str, mark: Mark | None, target: LintTarget, *, key: str, fix: str = ""
) -> Problem:
    """A problem at ``mark`` (the offending value); its file when not the target's own."""
    line, column = (mark.line, mark.column) if mark else (1, 1)
    path = mark.path if mark and mark.path != target.display else ""
    return Problem(rule, message, line=line, column=column, key=key, fix=fix, path=path)
