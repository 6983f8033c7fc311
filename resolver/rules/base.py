"""The rule registry: the contract between lint rules, the engine, the docs and the reporters.

A rule is metadata (:class:`Rule`) plus one or more *checkers*: functions that take one file
(:class:`LintTarget`) and yield :class:`Problem` objects naming a rule id. The engine
(``resolver.lint``) picks the files, runs the checkers registered for each file kind, applies
configuration (select/ignore/severity) and suppressions, and turns problems into
:class:`resolver.findings.Finding` objects.

Custom rules (plugins) use exactly this API::

    from resolver.rules import FileKind, Problem, Rule, Severity, checker, register

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resolver.findings import Finding, Severity


@dataclass(frozen=True)
class Rule:
    """A rule's identity and documentation (ruff-style sections)."""

    id: str  # stable, e.g. "CL303"
    name: str  # kebab-case, e.g. "image-not-pinned-by-digest"
    severity: Severity  # default severity
    family: str  # meta | chart | lock | image | ci | online | policy | custom
    summary: str  # one line: what it checks
    rationale: str  # why it matters
    fix: str  # default fix hint
    bad: str = ""  # example that triggers it
    good: str = ""  # what to write instead
    online: bool = False  # needs the network (only run by ``lint --online``/``verify``)


class FileKind(str, enum.Enum):
    CHART = "chart"  # Chart.yaml
    LOCK = "lock"  # Chart.lock (the chart's directory; the lock may be missing)
    VALUES = "values"  # values*.yaml, ci/*values.yaml
    TEMPLATE = "template"  # templates/**/*.yaml|tpl
    CI = "ci"  # workflows, .gitlab-ci.yml, *.sh, Makefile, Taskfile, Jenkinsfile


@dataclass(frozen=True)
class Problem:
    """What a checker reports; the engine adds path, severity and name."""

    rule: str
    message: str
    line: int = 0
    column: int = 0
    key: str = ""  # identifies the offending value for the fingerprint (default: message)
    fix: str = ""  # overrides the rule's default fix hint when set
    path: str = ""  # the file, when not the target's own (e.g. Chart.lock for a chart check)


@dataclass
class LintTarget:
    """One file handed to checkers."""

    path: Path  # real path on disk
    display: str  # path as reported (relative to the working directory, posix separators)
    kind: FileKind
    text: str  # decoded text ("" for FileKind.LOCK when the lock is missing)
    chart_dir: Path | None = None  # the chart this file belongs to, when it belongs to one
    # Parsed forms shared by the checkers of one file (e.g. ``"chart"``: the loaded
    # :class:`resolver.models.Chart`, ``"yaml"``: the composed node). Filled lazily.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def yaml_node(self) -> Any:
        """The file composed as YAML (``yaml11.compose``), parsed once per file.

        Raises :class:`resolver.errors.InputError` for invalid YAML; the engine reports that as
        CL003 unparseable-file.
        """
        if "yaml" not in self.cache:
            from resolver.yaml11 import compose

            self.cache["yaml"] = compose(self.text, self.display)
        return self.cache["yaml"]


@dataclass
class CheckOptions:
    """Settings checkers may read (from configuration)."""

    allowed_registries: tuple[str, ...] = ()
    require_chart_digests: bool = False
    require_image_digests: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)  # free-form, for plugins


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
    """Turn a checker's problem into a finding, with the rule's name, severity and fix."""
    rule = RULES[problem.rule]
    return Finding(
        rule=rule.id,
        name=rule.name,
        severity=severity if severity is not None else rule.severity,
        path=problem.path or path,
        line=problem.line,
        column=problem.column,
        message=problem.message,
        fix=problem.fix or rule.fix,
        key=problem.key,
    )
