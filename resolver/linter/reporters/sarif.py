"""SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

import json
from urllib.parse import quote

from resolver import __version__
from resolver.linter.findings import Report, Severity
from resolver.linter.rules.base import RULES, Rule

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _artifact(path: str) -> dict[str, str]:
    """A relative URI for paths below the working directory, a file:// URI otherwise."""
    if path.startswith("/"):
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _help_markdown(rule: Rule) -> str:
    parts = [rule.summary, "", f"**Why is this bad?** {rule.rationale}", "", f"**Fix.** {rule.fix}"]
    for title, example in (("Example", rule.bad), ("Use instead", rule.good)):
        if example:
            parts += ["", f"**{title}:**", "", "```yaml", example, "```"]
    return "\n".join(parts)


def _invocation(report: Report) -> dict[str, object]:
    """``executionSuccessful`` is false when input could not be read or a registry could not
    be asked: code scanning must not take an incomplete run for a clean one. Each error is a
    ``toolExecutionNotifications`` entry, placed at its file (and line) when it names one."""
    invocation: dict[str, object] = {"executionSuccessful": report.succeeded}
    notifications: list[dict[str, object]] = []
    for error in report.error_dicts():
        note: dict[str, object] = {"level": "error", "message": {"text": error["message"]}}
        path = str(error["path"])
        if path:
            physical: dict[str, object] = {"artifactLocation": _artifact(path)}
            line = error["line"]
            if isinstance(line, int) and line > 0:
                region: dict[str, int] = {"startLine": line}
                column = error["column"]
                if isinstance(column, int) and column > 0:
                    region["startColumn"] = column
                physical["region"] = region
            note["locations"] = [{"physicalLocation": physical}]
        notifications.append(note)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def render_sarif(report: Report) -> str:
    findings = report.sorted()
    used = sorted({f.rule for f in findings} | set(RULES))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    rules: list[dict[str, object]] = []
    for rule_id in used:
        rule = RULES.get(rule_id)
        if rule is None:
            rules.append({"id": rule_id})
            continue
        rules.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.rationale or rule.summary},
                "help": {
                    "text": f"{rule.summary}\n\nWhy: {rule.rationale}\n\nFix: {rule.fix}",
                    "markdown": _help_markdown(rule),
                },
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                "properties": {"tags": [rule.family]},
            }
        )
    results = []
    for f in findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _LEVEL[f.severity],
                "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": _artifact(f.path),
                            "region": {
                                "startLine": max(f.line, 1),
                                "startColumn": max(f.column, 1),
                            },
                        }
                    }
                ],
                "partialFingerprints": {"chartlock/v1": f.fingerprint},
            }
        )
        # issue 13: a report that carries planned fixes (``lint --check``) gives SARIF fixes
        fix = getattr(report, "fixes", {}).get((f.path, f.line, f.column, f.rule))
        if fix is not None:
            results[-1]["fixes"] = [fix]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chartlock",
                        "version": __version__,
                        "informationUri": "https://github.com/chartlock/chartlock",
                        "rules": rules,
                    }
                },
                "invocations": [_invocation(report)],
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
