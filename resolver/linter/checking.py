"""The per-chart half of the lint engine: read each file of one chart once, run the checkers of
its kind, and return only what the rest of the run needs.

The engine (:mod:`resolver.linter.engine`) cuts the walked files into *units*: the consecutive
files of one chart (its Chart.yaml, its lock, its values files, templates), or one file outside
any chart. :func:`check_unit` lints one unit and returns a :class:`UnitResult`: the raw
findings, the errors, the counts, and the suppression comments of each file read (what
:mod:`resolver.linter.suppressions` needs later). Texts and parsed trees die with the unit, so
a lint over thousands of charts holds one chart's trees at a time (issue 14: keeping them all
cost ~170 KB per chart).

A unit is a pure function of its files and the :class:`LintContext`, so units can run in
worker processes (:func:`resolver.linter.parallel.map_ordered`): the context and the results
are picklable, and errors travel as :class:`PortableError` (exceptions with keyword-only
constructor arguments, like :class:`~resolver.errors.InputError`, do not unpickle).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from resolver.errors import ChartlockError, InputError, UnreadableFile
from resolver.linter import suppressions
from resolver.linter.config import Config
from resolver.linter.findings import Finding
from resolver.linter.rules import (
    CHECKERS,
    EMITS,
    RULES,
    Checker,
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    UnregisteredRule,
    to_finding,
)
from resolver.linter.rules.meta import UNPARSEABLE_FILE
from resolver.util.records import Record

TYPE_CHECKING = False  # typing stays off the start-up path
if TYPE_CHECKING:
    from typing import Any

# One file of a unit: the walked target and whether it is the Chart.yaml of a chart of its own
# (counted in ``charts_checked``).
UnitItem = tuple[LintTarget, bool]


class LintContext(Record):
    """What every unit needs: the base directory, the configuration, the checkers' options and
    whether the online rules run (their findings come from the engine, not from units)."""

    base: Path
    config: Config
    options: CheckOptions
    online: bool = False


class PortableError(Record):
    """An error of a unit, as plain data (rebuilt by :meth:`error`). ``dedupe``: report it once
    per run (a checker's unreadable file, met again by the next checker)."""

    kind: str  # "input", "unreadable" or "other"
    text: str
    path: str = ""
    line: int | None = None
    column: int | None = None
    dedupe: bool = False

    @classmethod
    def of(cls, exc: ChartlockError, *, dedupe: bool = False) -> PortableError:
        if isinstance(exc, InputError):
            kind = "unreadable" if isinstance(exc, UnreadableFile) else "input"
            return cls(kind, exc.message, exc.path, exc.line, exc.column, dedupe)
        return cls("other", str(exc), dedupe=dedupe)

    def error(self) -> ChartlockError:
        if self.kind == "other":
            return ChartlockError(self.text)
        cls = UnreadableFile if self.kind == "unreadable" else InputError
        return cls(self.path, self.text, line=self.line, column=self.column)


class UnitResult:
    """What a unit leaves for the run: ``findings`` (raw, before configuration and
    suppressions), ``checked`` (parallel to ``findings``: a checker's CL003, reported once per
    file and line in the run), ``errors``, the counts, and ``directives`` (each file's
    suppression comments, by display path, ``[]`` for a file without any)."""

    __slots__ = ("charts", "checked", "directives", "errors", "files", "findings")

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.checked: list[bool] = []
        self.errors: list[PortableError] = []
        self.files = 0
        self.charts = 0
        self.directives: dict[str, list[suppressions.Suppression]] = {}

    def add(self, finding: Finding, *, checked: bool = False) -> None:
        self.findings.append(finding)
        self.checked.append(checked)

    def read(self, display: str, text: str) -> None:
        """A file was read: count it and keep its suppression comments (not its text)."""
        self.files += 1
        self.directives[display] = suppressions.parse(text)


class Selection:
    """Which rules are enabled and which checkers are worth running (cached per process)."""

    __slots__ = ("config", "enabled", "online", "wanted")

    def __init__(self, config: Config, online: bool) -> None:
        self.config = config
        self.online = online
        self.enabled: dict[str, bool] = {}
        self.wanted: dict[Checker, bool] = {}

    def is_enabled(self, rule_id: str) -> bool:
        cached = self.enabled.get(rule_id)
        if cached is None:
            rule = RULES.get(rule_id)
            cached = self.config.is_enabled(rule_id) and (
                rule is None or not rule.online or self.online
            )
            self.enabled[rule_id] = cached
        return cached

    def is_wanted(self, func: Checker) -> bool:
        """Whether ``func`` may report an enabled rule (one that declares none always runs)."""
        cached = self.wanted.get(func)
        if cached is None:
            emits = EMITS.get(func)
            cached = emits is None or any(self.is_enabled(rule.id) for rule in emits)
            self.wanted[func] = cached
        return cached


# The selection of the last context seen by this process: units of one run share it.
_SELECTION: tuple[LintContext, Selection] | None = None


def _selection(context: LintContext) -> Selection:
    global _SELECTION
    if _SELECTION is None or _SELECTION[0] is not context:
        _SELECTION = (context, Selection(context.config, context.online))
    return _SELECTION[1]


def check_unit(context: LintContext, unit: Sequence[UnitItem]) -> UnitResult:
    """Lint the files of one unit (module-level and picklable: it runs in pool workers)."""
    return _Unit(context, _selection(context)).run(unit)


def check_unit_in_worker(context: LintContext, unit: Sequence[UnitItem]) -> UnitResult:
    """:func:`check_unit` in a pool worker, which may have been spawned rather than forked:
    it imports the built-in rules and the configuration's plugins first, as the parent did
    (both are no-ops once imported), and turns the cyclic collector off as the parent did for
    the run (resolver.linter.engine; a forked worker inherits that, a spawned one does not)."""
    import gc

    from resolver.linter.rules import load_builtin_rules

    gc.disable()  # the worker is ours and ends with the run
    load_builtin_rules()
    load_plugins(context.config)
    return check_unit(context, unit)


def load_plugins(config: Config) -> None:
    """Import the configuration's ``plugins:`` modules (they register rules and checkers)."""
    import importlib

    from resolver.errors import ConfigError

    for name in config.plugins:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            origin = str(config.source) if config.source else "configuration"
            raise ConfigError(origin, f"plugins: cannot import {name!r}: {exc}") from None


class _Unit:
    """Linting one unit (a mutable holder, not a record)."""

    __slots__ = ("context", "result", "selection", "shared")

    def __init__(self, context: LintContext, selection: Selection) -> None:
        self.context = context
        self.selection = selection
        self.result = UnitResult()
        # Parsed forms shared by the files of the chart (its Chart.yaml, for the lock and
        # image rules): LintTarget.chart_cache.
        self.shared: dict[str, Any] = {}

    def run(self, unit: Sequence[UnitItem]) -> UnitResult:
        skipped_locks: set[Path] = set()
        for walked, counted in unit:
            # A fresh per-file cache: the walked target's must not keep this file's tree.
            target = walked.replace(cache={}, chart_cache=self.shared)
            if target.kind is FileKind.LOCK:
                if target.path not in skipped_locks:
                    self._lock(target)
                continue
            read = self._read(target)
            if read is None:
                if target.kind is FileKind.CHART:
                    skipped_locks.add(target.path)
                continue
            target = read
            if target.kind is FileKind.CHART:
                if counted:
                    self.result.charts += 1
                if not self._parse_chart(target):
                    skipped_locks.add(target.path)
                    continue
            elif target.kind is FileKind.VALUES:
                # YAML documents: invalid YAML is CL003 even if no rule looks at the file.
                try:
                    target.yaml_node()
                except InputError as exc:
                    self.result.add(unparseable(exc, target.display))
                    continue
            self._check(target)
        return self.result

    def _read(self, target: LintTarget) -> LintTarget | None:
        """``target`` with its text, or ``None`` when it cannot be read (an error or CL003)."""
        from resolver.chart.yaml11 import read_text

        try:
            text = read_text(target.path, target.display)
        except UnreadableFile as exc:
            self.result.errors.append(PortableError.of(exc))
            return None
        except InputError as exc:
            self.result.add(unparseable(exc, target.display))
            return None
        self.result.read(target.display, text)
        return target.replace(text=text)

    def _parse_chart(self, target: LintTarget) -> bool:
        from resolver.linter.rules.chartfile import chart_of

        try:
            chart_of(target)
        except InputError as exc:
            self.result.add(unparseable(exc, target.display))
            return False
        return True

    def _lock(self, target: LintTarget) -> None:
        from resolver.chart.discovery import display_path

        directory = target.path.parent
        for name in ("requirements.lock", "Chart.lock"):
            lock = directory / name
            if lock.is_file():
                lock_display = display_path(lock, self.context.base)
                try:
                    from resolver.chart.yaml11 import read_text

                    text = read_text(lock, lock_display)
                except UnreadableFile as exc:
                    self.result.errors.append(PortableError.of(exc))
                    return
                except InputError as exc:
                    self.result.add(unparseable(exc, lock_display))
                    return
                target = target.replace(text=text)
                self.result.read(lock_display, text)
                break
        self._check(target)

    def _check(self, target: LintTarget) -> None:
        for func in CHECKERS[target.kind]:
            if self.selection.is_wanted(func):
                self._check_one(func, target)

    def _check_one(self, func: Checker, target: LintTarget) -> None:
        result = self.result
        try:
            problems: list[Problem] = list(func(target, self.context.options))
        except UnregisteredRule as exc:
            self._checker_error(func, f"reported unregistered rule {exc.rule_id!r}")
            return
        except UnreadableFile as exc:
            result.errors.append(PortableError.of(exc, dedupe=True))
            return
        except InputError as exc:
            # Reported once per file and line in the run: the engine drops repeats.
            result.add(unparseable(exc, target.display), checked=True)
            return
        except Exception as exc:  # a buggy rule (or plugin) must not hide the others
            name = getattr(func, "__qualname__", repr(func))
            result.errors.append(
                PortableError.of(
                    ChartlockError(
                        f"internal error in checker {func.__module__}.{name} on "
                        f"{target.display}: {type(exc).__name__}: {exc}"
                    )
                )
            )
            return
        declared = EMITS.get(func)
        for problem in problems:
            rule = problem.rule
            registered = RULES.get(rule.id)
            if registered is not rule and registered != rule:
                self._checker_error(func, f"reported unregistered rule {rule.id!r}")
            elif declared is not None and rule not in declared:
                # The declaration decides whether the checker runs: it must be complete.
                self._checker_error(func, f"reported {rule.id}, which it does not declare")
            else:
                result.add(to_finding(problem, target.display))

    def _checker_error(self, func: Checker, what: str) -> None:
        name = f"{func.__module__}.{getattr(func, '__name__', repr(func))}"
        self.result.errors.append(PortableError.of(ChartlockError(f"checker {name} {what}")))


def unparseable(exc: InputError, default_path: str) -> Finding:
    """CL003 for a file that was read but does not parse."""
    path = exc.path or default_path
    return to_finding(
        Problem(
            UNPARSEABLE_FILE,
            f"cannot parse: {exc.message}",
            line=exc.line or 1,
            column=exc.column or 1,
            key=exc.message,
        ),
        path,
    )


def units_of(targets: Sequence[LintTarget], counted: set[Path]) -> Iterator[list[UnitItem]]:
    """Cut the walked targets into units, in walking order: the consecutive files of one
    chart; a chart's lock always goes with its Chart.yaml (it is skipped when that fails)."""
    unit: list[UnitItem] = []
    current: Path | None = None
    for target in targets:
        joins = unit and (
            (target.chart_dir is not None and target.chart_dir == current)
            or (target.kind is FileKind.LOCK and unit[-1][0].path == target.path)
        )
        if unit and not joins:
            yield unit
            unit = []
        if not unit:
            current = target.chart_dir
        unit.append((target, target.kind is FileKind.CHART and target.path.parent in counted))
    if unit:
        yield unit
