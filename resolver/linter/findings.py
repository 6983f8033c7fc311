"""Findings and reports: what every check and lint rule produces."""

from __future__ import annotations

import enum

from resolver.util.records import Record


class Severity(enum.IntEnum):
    """Ordered so that ``severity >= fail_on`` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    # Printed as its label, the word every report, the configuration (`severity: {CL114:
    # error}`) and `--fail-on` use, not as the number that orders it.
    def __str__(self) -> str:
        return self.label

    def __format__(self, spec: str) -> str:
        return format(self.label, spec)

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)"
            ) from None


class Finding(Record):
    """One problem at one place.

    ``rule`` is the rule's id (``CL303``: findings are output, read by reporters and
    baselines), ``name`` its kebab-case name. ``path`` is relative to the working directory
    where possible (posix separators); ``line`` and ``column`` are 1-based, 0 when unknown;
    ``key`` identifies the offending value independently of its line (for the fingerprint).
    """

    rule: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    fix: str = ""
    key: str = ""

    @property
    def fingerprint(self) -> str:
        """Stable across unrelated edits: rule, file and the offending value, not the line."""
        import hashlib

        basis = "\0".join((self.rule, self.path, self.key or self.message))
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule, self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.label,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "fix": self.fix,
            "fingerprint": self.fingerprint,
        }


class BaselineSummary(Record):
    """What ``--baseline FILE`` did to a report: findings it hid, and findings it no longer sees."""

    path: str
    matched: int
    fixed: int


class Report:
    """The findings of one run, plus the files that were examined.

    ``errors`` holds input that could not be read (one-line ChartlockError each); the CLI
    prints them and exits 2. ``baseline`` is set when findings were filtered by a baseline.
    A mutable holder, filled while the run goes (not a record).
    """

    __slots__ = ("baseline", "charts_checked", "errors", "files_checked", "findings")

    def __init__(
        self,
        findings: list[Finding] | None = None,
        files_checked: int = 0,
        charts_checked: int = 0,
        errors: list[Exception] | None = None,
        baseline: BaselineSummary | None = None,
    ) -> None:
        self.findings: list[Finding] = findings if findings is not None else []
        self.files_checked = files_checked
        self.charts_checked = charts_checked
        self.errors: list[Exception] = errors if errors is not None else []
        self.baseline = baseline

    def __repr__(self) -> str:
        return (
            f"Report(findings={self.findings!r}, files_checked={self.files_checked}, "
            f"charts_checked={self.charts_checked}, errors={self.errors!r}, "
            f"baseline={self.baseline!r})"
        )

    @property
    def succeeded(self) -> bool:
        """Whether every chart and file was read and every registry answered (no errors).
        A report that did not succeed must never be presented as clean."""
        return not self.errors

    def error_dicts(self) -> list[dict[str, object]]:
        """``errors`` for the machine formats: the one-line message, and the file, line and
        column when the error names them (``""``/0 otherwise, as for findings)."""
        return [error_dict(error) for error in self.errors]

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def failed(self, fail_on: Severity = Severity.ERROR) -> bool:
        worst = self.worst()
        return worst is not None and worst >= fail_on


def error_dict(error: Exception) -> dict[str, object]:
    """One run error as ``{"message", "path", "line", "column"}`` (:meth:`Report.error_dicts`)."""
    path = getattr(error, "path", None)
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    return {
        "message": str(error) or type(error).__name__,
        "path": path if isinstance(path, str) else "",
        "line": line if isinstance(line, int) and line > 0 else 0,
        "column": column if isinstance(column, int) and column > 0 else 0,
    }
