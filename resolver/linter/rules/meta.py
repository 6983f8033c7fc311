"""Meta rules (CL001-CL003): about chartlock's own comments and about files it cannot read.

The engine (``resolver.commands.lint``) produces these findings itself; there are no checkers here.
"""

from __future__ import annotations

from resolver.linter.findings import Severity
from resolver.linter.rules.base import Rule, register

SUPPRESSION_WITHOUT_REASON = register(
    Rule(
        id="CL001",
        name="suppression-without-reason",
        severity=Severity.WARNING,
        family="meta",
        summary="A `# chartlock: ignore[...]` comment gives no reason.",
        rationale="A suppression silences a check for good; the next reader needs to know why "
        "it was safe, and whether it still is.",
        fix="add the reason after the closing bracket: `# chartlock: ignore[CL303] <why>`",
        bad="image: nginx:1.25  # chartlock: ignore[CL303]",
        good="image: nginx:1.25  # chartlock: ignore[CL303] mirrored and scanned nightly",
    )
)
UNUSED_SUPPRESSION = register(
    Rule(
        id="CL002",
        name="unused-suppression",
        severity=Severity.WARNING,
        family="meta",
        summary="A `# chartlock: ignore[...]` comment suppresses nothing.",
        rationale="Stale suppressions hide the next real problem on that line and make readers "
        "believe there is something to ignore.",
        fix="delete the comment (or the rule id that no longer fires)",
        bad="version: 1.2.3  # chartlock: ignore[CL114] nothing is unbounded here",
        good="version: 1.2.3",
    )
)
UNPARSEABLE_FILE = register(
    Rule(
        id="CL003",
        name="unparseable-file",
        severity=Severity.ERROR,
        family="meta",
        summary="A file cannot be read or parsed (invalid YAML, not UTF-8, wrong structure).",
        rationale=(
            "Helm will refuse the file too, and no other rule can check it. Values files are "
            "read as Helm reads them: every YAML document, merged in order (a later document "
            "wins, mappings merge), so several documents are fine, but a document that is not "
            "a mapping, or a `---` line followed by anything but a comment, is refused."
        ),
        fix="fix the syntax at the reported line and column",
        bad="dependencies:\n  - name: redis\n   version: 1.2.3",
        good="dependencies:\n  - name: redis\n    version: 1.2.3",
    )
)
