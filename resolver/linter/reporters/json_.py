"""Machine output (validated by ``schemas/report.schema.json``)."""

from __future__ import annotations

import json

from resolver.linter.findings import Report, Severity


def report_dict(report: Report) -> dict[str, object]:
    findings = report.sorted()
    return {
        "version": 1,
        "findings": [f.to_dict() for f in findings],
        # Input that could not be read, registries that could not be asked: a report with
        # errors is a failed run (exit 2), whatever ``findings`` says.
        "errors": report.error_dicts(),
        "summary": {
            "charts": report.charts_checked,
            "files": report.files_checked,
            **{s.label: sum(1 for f in findings if f.severity is s) for s in Severity},
        },
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False)
