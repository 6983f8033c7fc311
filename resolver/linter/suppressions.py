"""Inline suppressions: ``# chartlock: ignore[CL303] reason`` comments.

* ``ignore[IDS] reason`` on the offending line, or alone on the line above it, suppresses
  findings of those rules (ids or prefixes, comma-separated) on that line.
* ``ignore-file[IDS] reason`` in the first comment block of a file suppresses them in the whole
  file.
* ``#`` and ``//`` comments are recognised (YAML, shell, Makefile, Jenkinsfile/Groovy).

A suppression without a reason still applies but is reported (CL001); one that suppressed
nothing is reported too (CL002).
"""

from __future__ import annotations

import re

from resolver.util.records import Record, field

_DIRECTIVE_RE = re.compile(
    r"(?:#|//)\s*chartlock:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<ids>[^\]]*)\](?P<reason>.*)$"
)
_COMMENT_ONLY_RE = re.compile(r"\s*(?:#|//)")


class Suppression(Record):
    """One directive. ``line`` and ``column`` are where the comment starts (1-based).

    ``used`` is filled while findings are matched (:func:`is_suppressed`); it takes no part
    in equality.
    """

    line: int
    column: int
    ids: tuple[str, ...]
    reason: str
    file_wide: bool
    own_line: bool  # the comment stands alone on its line (then it covers the next line)
    misplaced: bool = False  # an ignore-file below the first comment block
    used: set[str] = field(default_factory=set, compare=False)  # the ids that suppressed something

    def covers(self, line: int) -> bool:
        if self.misplaced:
            return False
        if self.file_wide:
            return True
        return line == self.line or (self.own_line and line == self.line + 1)

    def match(self, rule_id: str) -> str | None:
        """The selector of this directive that matches ``rule_id`` (most specific), if any."""
        best: str | None = None
        for selector in self.ids:
            if rule_id.startswith(selector) and (best is None or len(selector) > len(best)):
                best = selector
        return best


def parse(text: str) -> list[Suppression]:
    """Every directive in ``text``, in order."""
    if "chartlock:" not in text:
        return []
    found: list[Suppression] = []
    in_header = True
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        own_line = _COMMENT_ONLY_RE.match(line) is not None
        match = _DIRECTIVE_RE.search(line) if "chartlock:" in line else None
        if match is not None:
            file_wide = match.group("kind") == "ignore-file"
            ids = tuple(part.strip() for part in match.group("ids").split(",") if part.strip())
            found.append(
                Suppression(
                    line=number,
                    column=match.start() + 1,
                    ids=ids,
                    reason=match.group("reason").strip(),
                    file_wide=file_wide,
                    own_line=own_line,
                    misplaced=file_wide and not (in_header and own_line),
                )
            )
        shebang = number == 1 and stripped.startswith("#!")
        if in_header and stripped and not own_line and stripped != "---" and not shebang:
            in_header = False
    return found


def is_suppressed(suppressions: list[Suppression], rule_id: str, line: int) -> bool:
    """Whether some directive covers ``rule_id`` at ``line``; marks the directives used."""
    hit = False
    for suppression in suppressions:
        if suppression.covers(line):
            selector = suppression.match(rule_id)
            if selector is not None:
                suppression.used.add(selector)
                hit = True
    return hit
