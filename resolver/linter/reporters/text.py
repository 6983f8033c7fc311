"""Human output: findings grouped by file, colour only when asked (TTY and no NO_COLOR)."""

from __future__ import annotations

from itertools import groupby

from resolver.linter.findings import Report, Severity

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render_text(report: Report, *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    findings = report.sorted()
    for path, group in groupby(findings, key=lambda f: f.path):
        lines.append(paint(path, _BOLD))
        for f in group:
            where = f"{f.line}:{f.column}" if f.line else "-"
            label = paint(f.severity.label, _COLORS[f.severity])
            lines.append(f"  {where:>7}  {label:<7} {f.rule} {f.message}")
            if f.fix:
                lines.append(paint(f"           fix: {f.fix}", _DIM))
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    summary = ", ".join(
        f"{n} {s.label}{'s' if n != 1 else ''}"
        for s, n in sorted(counts.items(), reverse=True)
        if n
    )
    if report.errors:
        # Never "no problems" when something could not be read or asked: the run failed, and
        # the errors themselves go to stderr, one line each.
        failed = paint(f"failed: {_plural(len(report.errors), 'error')}", _COLORS[Severity.ERROR])
        found = f"findings: {summary} in" if summary else "checked"
        lines.append(f"{failed} (on stderr); {found} {_scope(report)}")
    elif findings:
        lines.append(f"{summary} in {_scope(report)}")
    else:
        lines.append(f"no problems in {_scope(report)}")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _scope(report: Report) -> str:
    return f"{_plural(report.charts_checked, 'chart')}, {_plural(report.files_checked, 'file')}"
