"""Markdown for people: a PR comment, a GitHub step summary, a GitLab MR note.

Counts by severity and by rule, one table of findings with file:line links, the fix of each rule
once, and at most ``limit`` rows (the total is stated). When the run failed (``Report.errors``)
a "run failed" note comes first, since the findings may then be incomplete.

Links point at the commit being checked when the CI's variables say which (GitHub Actions:
``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``/``GITHUB_SHA``; GitLab: ``CI_PROJECT_URL``/
``CI_COMMIT_SHA``), else they are relative to the repository root (finding paths are relative
to the working directory, so run chartlock from the root).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from resolver.linter.findings import Finding, Report, Severity

MAX_ROWS = 100
_ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.INFO: "🔵"}


def link_base_from_env(env: Mapping[str, str]) -> str:
    """The URL prefix of files at the checked commit, or ``""`` (relative links)."""
    server, repo, sha = (
        env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    )
    if server and repo and sha:
        return f"{server.rstrip('/')}/{repo}/blob/{sha}/"
    project, commit = env.get("CI_PROJECT_URL", ""), env.get("CI_COMMIT_SHA", "")
    if project and commit:
        return f"{project.rstrip('/')}/-/blob/{commit}/"
    return ""


def _cell(text: str) -> str:
    """Text safe inside a table cell: no row breaks, no column breaks, no raw HTML.

    HTML is escaped outside code spans only: inside them entities are shown verbatim. A ``|``
    needs its backslash even inside a code span (GFM splits table rows first).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    parts = text.split("`")
    unpaired = len(parts) % 2 == 0
    if unpaired:  # no code spans at all: the backticks are shown as they are
        parts = [text]
    for i in range(0, len(parts), 2):
        parts[i] = (
            parts[i]
            .replace("\\", "\\\\")
            .replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
        )
    joined = "`".join(parts)
    if unpaired:
        joined = joined.replace("`", "\\`")
    return joined.replace("|", "\\|")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _location(f: Finding, link_base: str) -> str:
    where = f"{f.path}:{f.line}" if f.line else f.path
    label = _cell(where)
    if f.path.startswith(("/", "../")) or f.path == "..":
        return label  # outside the repository: no link would work
    anchor = f"#L{f.line}" if f.line else ""
    from urllib.parse import quote

    target = link_base + quote(f.path)
    return f"[{label}]({target}{anchor})"


def _fix_of(rule_id: str, findings: list[Finding]) -> str:
    from resolver.linter.rules.base import RULES

    rule = RULES.get(rule_id)
    if rule is not None and rule.fix:
        return rule.fix
    return next((f.fix for f in findings if f.fix), "")


def render_markdown(report: Report, *, link_base: str = "", limit: int = MAX_ROWS) -> str:
    findings = report.sorted()
    by_severity = Counter(f.severity for f in findings)
    lines: list[str] = []
    if findings:
        counts = ", ".join(
            _plural(by_severity[s], s.label)
            for s in sorted(Severity, reverse=True)
            if by_severity[s]
        )
        lines.append(f"## chartlock: {counts}")
    elif report.errors:
        lines.append("## chartlock: the run failed")
    else:
        lines.append("## chartlock: no problems")
    lines.append("")
    if report.errors:
        lines += [
            "> [!CAUTION]",
            f"> **The run failed** ({_plural(len(report.errors), 'error')}, exit code 2):"
            " the findings below may be incomplete.",
            ">",
        ]
        lines += [f"> - {_cell(str(e))}" for e in report.errors]
        lines.append("")
    scope = (
        f"Checked {_plural(report.charts_checked, 'chart')}, "
        f"{_plural(report.files_checked, 'file')}."
    )
    if report.baseline is not None:
        b = report.baseline
        scope += (
            f" {_plural(b.matched, 'finding')} in the baseline `{_cell(b.path)}` not shown;"
            f" **{b.fixed} fixed since the baseline**"
        )
        scope += " (tighten it with `--write-baseline`)." if b.fixed else "."
    lines += [scope, ""]
    if not findings:
        return "\n".join(lines).rstrip("\n")

    lines += ["| Severity | Findings |", "| --- | ---: |"]
    for s in sorted(Severity, reverse=True):
        if by_severity[s]:
            lines.append(f"| {_ICON[s]} {s.label} | {by_severity[s]} |")
    lines.append("")

    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    lines += ["| Rule | Name | Findings |", "| --- | --- | ---: |"]
    for rule_id in sorted(by_rule):
        group = by_rule[rule_id]
        lines.append(f"| {rule_id} | {_cell(group[0].name)} | {len(group)} |")
    lines.append("")

    lines += [
        "### Findings",
        "",
        "| Severity | Rule | Location | Message |",
        "| --- | --- | --- | --- |",
    ]
    for f in findings[:limit]:
        lines.append(
            f"| {_ICON[f.severity]} {f.severity.label} | {f.rule} | {_location(f, link_base)}"
            f" | {_cell(f.message)} |"
        )
    lines.append("")
    if len(findings) > limit:
        lines += [
            f"Showing the first {limit} of {len(findings)} findings"
            " (run chartlock locally, or see the SARIF/JSON report, for all of them).",
            "",
        ]

    lines += ["### How to fix", ""]
    for rule_id in sorted(by_rule):
        group = by_rule[rule_id]
        fix = _fix_of(rule_id, group)
        text = f"- **{rule_id}** `{group[0].name}`" + (f": {_cell(fix)}" if fix else "")
        lines.append(text)
    return "\n".join(lines)
