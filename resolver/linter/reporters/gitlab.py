"""GitLab Code Quality JSON (``artifacts:reports:codequality``), validated by
``schemas/gitlab-codequality.schema.json``.

GitLab reads a list of issues with ``description``, ``check_name``, ``fingerprint``,
``severity`` (info, minor, major, critical, blocker) and ``location.path`` +
``location.lines.begin``. It compares merge request and target branch by fingerprint and keeps
only the first issue of a fingerprint, so fingerprints here are unique within a report: the
finding's stable fingerprint, and for its second and later occurrences a hash of it and the
occurrence number (still independent of lines).

Code Quality has no notion of a failed run: errors (``Report.errors``) are not issues. The
exit code 2 fails the job and the ``chartlock: error:`` lines on stderr say why (the CLI
prints them); the report still lists the findings that were collected.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from resolver.linter.findings import Report, Severity

# chartlock has three severities; GitLab five. An error fails the pipeline (critical), a
# warning is worth fixing (major), info is informational. minor and blocker stay unused.
SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def gitlab_issues(report: Report) -> list[dict[str, object]]:
    seen: Counter[str] = Counter()
    issues: list[dict[str, object]] = []
    for f in report.sorted():
        base = f.fingerprint
        seen[base] += 1
        fingerprint = base
        if seen[base] > 1:
            fingerprint = hashlib.sha256(f"{base}#{seen[base]}".encode()).hexdigest()[:32]
        description = f"{f.rule} {f.message}" + (f" (fix: {f.fix})" if f.fix else "")
        issues.append(
            {
                "type": "issue",
                "description": description,
                "check_name": f"{f.rule} {f.name}",
                "fingerprint": fingerprint,
                "severity": SEVERITY[f.severity],
                "location": {"path": f.path, "lines": {"begin": max(f.line, 1)}},
            }
        )
    return issues


def render_gitlab(report: Report) -> str:
    return json.dumps(gitlab_issues(report), indent=2, ensure_ascii=False)
