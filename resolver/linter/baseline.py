"""Baselines: record today's findings, report only the new ones tomorrow.

A baseline file is JSON (``{"version": 1, "findings": [...]}``) listing each finding's stable
fingerprint (:attr:`resolver.linter.findings.Finding.fingerprint`: rule, file and the offending
value, never the line), plus its rule, path and message so that a reviewer can read the file.
Matching is by fingerprint as a multiset: if the baseline holds a fingerprint twice and the run
finds it three times, one finding is new. Lines may move freely; a finding whose file is renamed
or whose offending value changes is new (it is a different finding).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from resolver.errors import InputError
from resolver.linter.findings import BaselineSummary, Finding, Report

BASELINE_VERSION = 1


def baseline_document(findings: list[Finding]) -> dict[str, object]:
    """The baseline file's content for ``findings`` (sorted so that diffs of it stay small)."""
    entries = sorted(
        (
            {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "message": f.message}
            for f in findings
        ),
        key=lambda e: (e["path"], e["rule"], e["fingerprint"], e["message"]),
    )
    return {"version": BASELINE_VERSION, "tool": "chartlock", "findings": entries}


def dump_baseline(findings: list[Finding]) -> bytes:
    text = json.dumps(baseline_document(findings), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def parse_baseline(text: str, path: str) -> Counter[str]:
    """Fingerprint counts from a baseline file's text; :class:`InputError` when malformed."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"not a baseline: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError(path, "not a baseline: expected an object with a `findings` list")
    if doc.get("version") != BASELINE_VERSION:
        raise InputError(path, f"unsupported baseline version {doc.get('version')!r} (expected 1)")
    counts: Counter[str] = Counter()
    for index, entry in enumerate(doc["findings"]):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            raise InputError(path, f"findings[{index}] has no `fingerprint` string")
        counts[fingerprint] += 1
    return counts


def load_baseline(path: Path) -> Counter[str]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(
            str(path), "baseline not found (create it with --write-baseline)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read baseline: {exc}") from None
    return parse_baseline(text, str(path))


def apply_baseline(report: Report, baseline: Counter[str], path: str) -> Report:
    """A copy of ``report`` with only the findings beyond ``baseline`` (read from ``path``).

    Its ``baseline`` summary counts the findings hidden and the baseline entries no longer seen.

    Findings are consumed in report order (path, line, ...), so when a fingerprint occurs more
    often than the baseline allows, the later occurrences are the new ones.
    """
    remaining = Counter(baseline)
    kept: list[Finding] = []
    matched = 0
    for finding in report.sorted():
        fp = finding.fingerprint
        if remaining[fp] > 0:
            remaining[fp] -= 1
            matched += 1
        else:
            kept.append(finding)
    fixed = sum(n for n in remaining.values() if n > 0)
    filtered = Report(
        kept,
        files_checked=report.files_checked,
        charts_checked=report.charts_checked,
        errors=list(report.errors),
        baseline=BaselineSummary(path, matched, fixed),
    )
    return filtered
