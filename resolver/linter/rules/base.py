"""The rule registry: the contract between lint rules, the engine, the docs and the reporters.

A rule is metadata (:class:`Rule`) plus one or more *checkers*: functions that take one file
(:class:`LintTarget`) and yield :class:`Problem` objects naming a rule id. The engine
(``resolver.commands.lint``) picks the files, runs the checkers registered for each file kind,
applies configuration (select/ignore/severity) and suppressions, and turns problems into
:class:`resolver.linter.findings.Finding` objects.

Custom rules (plugins) use exactly this API::

    from resolver.linter.rules import FileKind, Problem, Rule, Severity, checker, register

    register(Rule(id="X100", name="no-foo", severity=Severity.WARNING, family="custom",
                  summary="...", rationale="...", fix="..."))

    @checker(FileKind.VALUES)
    def no_foo(target, options):
        if "foo" in target.text:
            yield Problem("X100", "found foo", line=1, column=1)

Put that in a module importable by name and list it under ``plugins`` in the configuration
(``.chartlock.yaml`` or ``[tool.chartlock]``); the engine imports it before linting.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from resolver.linter.findings import Finding, Severity
from resolver.util.records import Struct

TYPE_CHECKING = False  # typing and dataclasses stay off the start-up path
if TYPE_CHECKING:
    from typing import Any


class Rule(Struct):
    """A rule's identity and documentation (ruff-style sections).

    ``id`` is stable (``CL303``), ``name`` kebab-case, ``severity`` the default, ``family`` one of
    meta, chart, lock, image, ci, online, policy, custom; ``summary`` says what it checks in one
    line, ``rationale`` why it matters, ``fix`` the default fix hint; ``bad``/``good`` are
    examples; ``online`` rules need the network (``lint --online``/``verify``).
    """

    __slots__ = (
        "id",
        "name",
        "severity",
        "family",
        "summary",
        "rationale",
        "fix",
        "bad",
        "good",
        "online",
    )

    def __init__(
        self,
        id: str,
        name: str,
        severity: Severity,
        family: str,
        summary: str,
        rationale: str,
        fix: str,
        bad: str = "",
        good: str = "",
        online: bool = False,
    ) -> None:
        self.id = id
        self.name = name
        self.severity = severity
        self.family = family
        self.summary = summary
        self.rationale = rationale
        self.fix = fix
        self.bad = bad
        self.good = good
        self.online = online


class FileKind(str, enum.Enum):
    CHART = "chart"  # Chart.yaml
    LOCK = "lock"  # Chart.lock (the chart's directory; the lock may be missing)
    VALUES = "values"  # values*.yaml, ci/*values.yaml
    TEMPLATE = "template"  # templates/**/*.yaml|tpl
    CI = "ci"  # workflows, .gitlab-ci.yml, *.sh, Makefile, Taskfile, Jenkinsfile


class Problem(Struct):
    """What a checker reports; the engine adds path, severity and name.

    ``key`` identifies the offending value for the fingerprint (default: the message); ``fix``
    overrides the rule's default fix hint; ``path`` names the file when it is not the target's
    own (e.g. Chart.lock for a chart check).
    """

    __slots__ = ("rule", "message", "line", "column", "key", "fix", "path")

    def __init__(
        self,
        rule: str,
        message: str,
        line: int = 0,
        column: int = 0,
        key: str = "",
        fix: str = "",
        path: str = "",
    ) -> None:
        self.rule = rule
        self.message = message
        self.line = line
        self.column = column
        self.key = key
        self.fix = fix
        self.path = path


class LintTarget(Struct):
    """One file handed to checkers.

    ``path`` is the real path, ``display`` the path as reported (relative to the working
    directory, posix separators), ``text`` the decoded text (``""`` for FileKind.LOCK when the
    lock is missing), ``chart_dir`` the chart the file belongs to. ``cache`` holds parsed
    forms shared by the checkers of one file (``"chart"``: the loaded
    :class:`resolver.chart.models.Chart`, ``"yaml"``: the composed node), filled lazily; it takes
    no part in equality.
    """

    __slots__ = ("path", "display", "kind", "text", "chart_dir", "cache")

    def __init__(
        self,
        path: Path,
        display: str,
        kind: FileKind,
        text: str,
        chart_dir: Path | None = None,
        cache: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.display = display
        self.kind = kind
        self.text = text
        self.chart_dir = chart_dir
        self.cache: dict[str, Any] = cache if cache is not None else {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LintTarget):
            return NotImplemented
        return (self.path, self.display, self.kind, self.text, self.chart_dir) == (
            other.path,
            other.display,
            other.kind,
            other.text,
            other.chart_dir,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.display, self.kind))

    def yaml_node(self) -> Any:
        """The file composed as YAML (``yaml11.compose``), parsed once per file.

        A values file is read as Helm reads it (:func:`resolver.chart.valuesfile.compose_values`):
        all its documents merged into one tree whose nodes keep their own lines.
        Raises :class:`resolver.errors.InputError` for invalid YAML; the engine reports that as
        CL003 unparseable-file.
        """
        if "yaml" not in self.cache:
            if self.kind is FileKind.VALUES:
                from resolver.chart.valuesfile import compose_values

                self.cache["yaml"] = compose_values(self.text, self.display)
            else:
                from resolver.chart.yaml11 import compose

                self.cache["yaml"] = compose(self.text, self.display)
        return self.cache["yaml"]


class CheckOptions(Struct):
    """Settings checkers may read (from configuration); ``settings`` is free-form, for plugins."""

    __slots__ = (
        "allowed_registries",
        "require_chart_digests",
        "require_image_digests",
        "settings",
    )

    def __init__(
        self,
        allowed_registries: tuple[str, ...] = (),
        require_chart_digests: bool = False,
        require_image_digests: bool = False,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.allowed_registries = allowed_registries
        self.require_chart_digests = require_chart_digests
        self.require_image_digests = require_image_digests
        self.settings: Mapping[str, Any] = settings if settings is not None else {}


Checker = Callable[[LintTarget, CheckOptions], Iterable[Problem]]

RULES: dict[str, Rule] = {}
CHECKERS: dict[FileKind, list[Checker]] = {kind: [] for kind in FileKind}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry (ids are unique)."""
    existing = RULES.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule id {rule.id} is already registered as {existing.name}")
    RULES[rule.id] = rule
    return rule


def checker(*kinds: FileKind) -> Callable[[Checker], Checker]:
    """Register a checker function for the given file kinds."""

    def decorate(func: Checker) -> Checker:
        for kind in kinds:
            if func not in CHECKERS[kind]:
                CHECKERS[kind].append(func)
        return func

    return decorate


def get_rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def to_finding(problem: Problem, path: str, severity: Severity | None = None) -> Finding:
    """Turn a checker's problem into a finding, with the rule's name, severity and fix.

    A ``<chart>`` placeholder in the rule's default fix names the chart directory (the
    directory of the file the finding is in), so hints read ``chartlock lock charts/app``.
    """
    rule = RULES[problem.rule]
    where = problem.path or path
    fix = problem.fix
    if not fix:
        directory = where.rpartition("/")[0] or "."
        fix = rule.fix.replace("<chart>", directory)
    return Finding(
        rule=rule.id,
        name=rule.name,
        severity=severity if severity is not None else rule.severity,
        path=where,
        line=problem.line,
        column=problem.column,
        message=problem.message,
        fix=fix,
        key=problem.key,
    )
