"""The rule registry: the contract between lint rules, the engine, the docs and the reporters.

A rule is metadata (:class:`Rule`) plus one or more *checkers*: functions that take one file
(:class:`LintTarget`) and yield :class:`Problem` objects naming the rule (its registered
constant). The engine (:mod:`resolver.linter.engine`) picks the files, runs the checkers
registered for each file kind, applies configuration (select/ignore/severity) and
suppressions, and turns problems into :class:`resolver.linter.findings.Finding` objects.

Rules are referenced by their constants, never by id strings: a misspelt constant is a
NameError (and a mypy error), a misspelt ``"CL3O3"`` was a silent non-match. Each checker
declares the rules it ``emits``, so the engine skips a checker whose rules are all disabled.

Custom rules (plugins) use exactly this API::

    from resolver.linter.rules import FileKind, Problem, Rule, Severity, checker, register

    NO_FOO = register(Rule(id="X100", name="no-foo", severity=Severity.WARNING,
                           family="custom", summary="...", rationale="...", fix="..."))

    @checker(FileKind.VALUES, emits=(NO_FOO,))
    def no_foo(target, options):
        if "foo" in target.text:
            yield Problem(NO_FOO, "found foo", line=1, column=1)

Put that in a module importable by name and list it under ``plugins`` in the configuration
(``.chartlock.yaml`` or ``[tool.chartlock]``); the engine imports it before linting. (A plugin
written against the first version of this API, with ``Problem("X100", ...)`` and no
``emits``, still works: the id is looked up in the registry, and a checker that declares
nothing always runs.)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from resolver.linter.findings import Finding, Severity
from resolver.util.records import Record, field

TYPE_CHECKING = False  # typing stays off the start-up path
if TYPE_CHECKING:
    from typing import Any


class Rule(Record):
    """A rule's identity and documentation (ruff-style sections).

    ``id`` is stable (``CL303``), ``name`` kebab-case, ``severity`` the default, ``family`` one of
    meta, chart, lock, image, ci, online, policy, custom; ``summary`` says what it checks in one
    line, ``rationale`` why it matters, ``fix`` the default fix hint; ``bad``/``good`` are
    examples; ``online`` rules need the network (``lint --online``/``verify``).
    """

    id: str
    name: str
    severity: Severity
    family: str
    summary: str
    rationale: str
    fix: str
    bad: str = ""
    good: str = ""
    online: bool = False


class FileKind(str, enum.Enum):
    CHART = "chart"  # Chart.yaml
    LOCK = "lock"  # Chart.lock (the chart's directory; the lock may be missing)
    VALUES = "values"  # values*.yaml, ci/*values.yaml
    TEMPLATE = "template"  # templates/**/*.yaml|tpl
    CI = "ci"  # workflows, .gitlab-ci.yml, *.sh, Makefile, Taskfile, Jenkinsfile


class Problem(Record):
    """What a checker reports; the engine adds path, severity and name.

    ``rule`` is the registered :class:`Rule` constant. (A registered id string is still looked
    up at run time, for plugins written against the first version of this API.) ``key``
    identifies the offending value for the fingerprint (default: the message); ``fix``
    overrides the rule's default fix hint; ``path`` names the file when it is not the target's
    own (e.g. Chart.lock for a chart check).
    """

    rule: Rule
    message: str
    line: int = 0
    column: int = 0
    key: str = ""
    fix: str = ""
    path: str = ""

    def __post_init__(self) -> None:
        rule: object = self.rule
        if not isinstance(rule, Rule):
            object.__setattr__(self, "rule", _registered(str(rule)))

    def __repr__(self) -> str:
        return (
            f"Problem({self.rule.id!r}, {self.message!r}, line={self.line}, "
            f"column={self.column}, key={self.key!r}, fix={self.fix!r}, path={self.path!r})"
        )


def _registered(rule_id: str) -> Rule:
    rule = RULES.get(rule_id)
    if rule is None:
        raise UnregisteredRule(rule_id)
    return rule


class UnregisteredRule(LookupError):
    """A problem names a rule id that no module registered."""

    def __init__(self, rule_id: str) -> None:
        super().__init__(f"unregistered rule {rule_id!r}")
        self.rule_id = rule_id


class LintTarget(Record):
    """One file handed to checkers.

    ``path`` is the real path, ``display`` the path as reported (relative to the working
    directory, posix separators), ``text`` the decoded text (``""`` for FileKind.LOCK when the
    lock is missing), ``chart_dir`` the chart the file belongs to. ``cache`` holds parsed
    forms shared by the checkers of one file (``"chart"``: the loaded
    :class:`resolver.chart.models.Chart`, ``"yaml"``: the composed node), filled lazily; it is
    mutable by design and takes no part in equality. ``chart_cache`` is the same for every file
    of one chart in a lint run (the engine shares it): parsed forms of the chart's other files,
    keyed by their path (the chart's Chart.yaml, parsed once for the chart, lock and image
    rules).
    """

    path: Path
    display: str
    kind: FileKind
    text: str
    chart_dir: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    chart_cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

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


class CheckOptions(Record):
    """Settings checkers may read (from configuration); ``settings`` is free-form, for plugins."""

    allowed_registries: tuple[str, ...] = ()
    require_chart_digests: bool = False
    require_image_digests: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)


Checker = Callable[[LintTarget, CheckOptions], Iterable[Problem]]

RULES: dict[str, Rule] = {}
CHECKERS: dict[FileKind, list[Checker]] = {kind: [] for kind in FileKind}
# checker -> the rules it may report; a checker missing here (a plugin written before
# ``emits``) always runs.
EMITS: dict[Checker, tuple[Rule, ...]] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry (ids are unique)."""
    existing = RULES.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule id {rule.id} is already registered as {existing.name}")
    RULES[rule.id] = rule
    return rule


def checker(*kinds: FileKind, emits: Iterable[Rule] = ()) -> Callable[[Checker], Checker]:
    """Register a checker function for the given file kinds, reporting the rules ``emits``.

    The engine skips the checker when every rule it emits is disabled; ``emits`` empty means
    "unknown" (the checker always runs). Each emitted rule must be registered first.
    """
    declared = tuple(emits)
    for rule in declared:
        if RULES.get(rule.id) != rule:
            raise ValueError(f"checker emits {rule.id}, which is not registered")

    def decorate(func: Checker) -> Checker:
        for kind in kinds:
            if func not in CHECKERS[kind]:
                CHECKERS[kind].append(func)
        if declared:
            EMITS[func] = declared
        return func

    return decorate


def get_rule(rule: str | Rule) -> Rule:
    """The registered rule for an id (a :class:`Rule` is returned as it is)."""
    return rule if isinstance(rule, Rule) else RULES[rule]


def to_finding(problem: Problem, path: str, severity: Severity | None = None) -> Finding:
    """Turn a checker's problem into a finding, with the rule's name, severity and fix.

    A ``<chart>`` placeholder in the rule's default fix names the chart directory (the
    directory of the file the finding is in), so hints read ``chartlock lock charts/app``.
    """
    rule = problem.rule
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
