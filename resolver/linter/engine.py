"""The lint engine: run the registered checkers over the classified files, apply the
configuration and the suppressions, and return a :class:`~resolver.linter.findings.Report`.

Pipeline: walk the paths (:mod:`resolver.linter.targets`) → read each file once (unreadable or
unparseable: CL003) → run the checkers of its kind, skipping a checker whose declared rules are
all disabled → keep the findings of enabled rules (select/ignore, per-file-ignores) at their
configured severity → drop those suppressed by ``# chartlock: ignore[...]`` comments
(CL001/CL002 about the comments themselves).

The engine does no network I/O: the online rules (``lint --online``) are run by the command
core (:mod:`resolver.commands.lint`) and handed in as ``online``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from resolver.errors import ChartlockError
from resolver.linter import suppressions
from resolver.linter.checking import (
    LintContext,
    Selection,
    UnitResult,
    check_unit,
    check_unit_in_worker,
    load_plugins,
    units_of,
)
from resolver.linter.config import Config, check_selectors
from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.rules import (
    RULES,
    CheckOptions,
    Problem,
    Rule,
    load_builtin_rules,
    to_finding,
)
from resolver.linter.rules.images import NOT_DIGEST_PINNED
from resolver.linter.rules.lock import LOCK_DIGEST_MISSING
from resolver.linter.rules.meta import (
    SUPPRESSION_WITHOUT_REASON,
    UNUSED_SUPPRESSION,
)
from resolver.linter.targets import Walk, glob_match, relative

TYPE_CHECKING = False  # typing stays off the start-up path
if TYPE_CHECKING:
    from typing import Any

__all__ = ["OnlineCheck", "load_plugins", "run_lint"]

POOL_THRESHOLD = 200
"""Units (about one per chart) from which a tree is linted by a process pool: below it,
starting the workers costs more than they save (resolver.linter.parallel)."""

# The online rules' findings for the charts of their own (``lint --online``).
OnlineCheck = Callable[[list[Path]], Iterable[Finding]]


def run_lint(
    paths: Sequence[str | Path],
    config: Config,
    base: Path,
    *,
    online: OnlineCheck | None = None,
    jobs: int | None = None,
) -> Report:
    """Lint ``paths`` (relative to the absolute directory ``base``) under ``config``.

    Loads the built-in rules and the configuration's plugins first and checks its selectors
    (:class:`~resolver.errors.ConfigError`). ``online``, when given, enables the online rules
    and supplies their findings, which pass through configuration and suppressions like any
    other. ``jobs`` caps the worker processes of a large tree (default: ``$CHARTLOCK_JOBS``,
    else every usable core; 1 lints in this process); the report is the same either way.
    """
    load_builtin_rules()
    load_plugins(config)
    check_selectors(config, RULES)
    return _Run(base, config, online=online, jobs=jobs).run(paths)


class _collector_paused:
    """The cyclic garbage collector off for the run, restored afterwards (lint is a library
    function too). Every tree lint builds is acyclic and freed by reference counting when its
    unit is done (resolver.linter.checking), so the collector finds nothing to free; with it
    on, its passes over the objects alive cost a third of the CPU time (issue 14)."""

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        import gc

        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        import gc

        if self.was_enabled:
            gc.enable()


class _Run:
    """The state of one lint run (a mutable holder, not a record)."""

    __slots__ = (
        "base",
        "config",
        "directives",
        "jobs",
        "online",
        "options",
        "report",
        "selection",
        "unparseable",
    )

    def __init__(
        self, base: Path, config: Config, *, online: OnlineCheck | None, jobs: int | None = None
    ) -> None:
        self.base = base
        self.config = config
        self.online = online
        self.jobs = jobs
        self.report = Report()
        # display path -> the suppression comments of each file read (not its text)
        self.directives: dict[str, list[suppressions.Suppression]] = {}
        self.selection = Selection(config, online is not None)
        self.unparseable: set[tuple[str, int]] = set()
        self.options = self._options()

    def _options(self) -> CheckOptions:
        settings: dict[str, Any] = dict(self.config.settings)
        if "repo_urls" not in settings:
            from resolver.chart.repoconfig import repo_urls

            try:
                settings["repo_urls"] = repo_urls()
            except ChartlockError as exc:
                self.report.errors.append(exc)
                settings["repo_urls"] = {}
        return CheckOptions(
            allowed_registries=self.config.allowed_registries,
            require_chart_digests=self.config.require_digest.charts,
            require_image_digests=self.config.require_digest.images,
            settings=settings,
        )

    def is_enabled(self, rule_id: str) -> bool:
        return self.selection.is_enabled(rule_id)

    def run(self, paths: Sequence[str | Path]) -> Report:
        walk = Walk(self.base, self.config)
        for arg in paths or (".",):
            walk.path_arg(arg)
        units = list(units_of(walk.targets, set(walk.charts)))
        del walk.targets[:]  # the units hold them now
        context = LintContext(self.base, self.config, self.options, self.online is not None)
        raw: list[Finding] = []
        with _collector_paused():  # not around the online rules: their objects do cycle
            for result in self._results(context, units):
                self._merge(result, raw)
        if self.online is not None and walk.charts:
            # The charts of their own only (resolver.chart.discovery), like `verify`.
            raw.extend(self.online(walk.charts))
        self.report.findings = self._finish(raw)
        return self.report

    def _results(self, context: LintContext, units: list[Any]) -> list[UnitResult]:
        """Every unit's result, in walking order: by a process pool for a large tree
        (resolver.linter.parallel), else here."""
        from functools import partial

        from resolver.linter.parallel import map_ordered, worker_count

        if worker_count(len(units), self.jobs, POOL_THRESHOLD) == 1:
            return [check_unit(context, unit) for unit in units]
        # Workers import the configuration's plugins themselves (check_unit_in_worker): a
        # spawned worker starts without them, a forked one inherits them.
        return map_ordered(
            partial(check_unit_in_worker, context),
            units,
            jobs=self.jobs,
            threshold=POOL_THRESHOLD,
        )

    def _merge(self, result: UnitResult, raw: list[Finding]) -> None:
        report = self.report
        report.files_checked += result.files
        report.charts_checked += result.charts
        for error in result.errors:
            exc = error.error()
            if error.dedupe and str(exc) in {str(e) for e in report.errors}:
                continue
            report.errors.append(exc)
        for finding, checked in zip(result.findings, result.checked, strict=True):
            if checked:  # a checker's CL003: once per file and line in the run
                where = (finding.path, finding.line)
                if where in self.unparseable:
                    continue
                self.unparseable.add(where)
            raw.append(finding)
        self.directives.update(result.directives)

    # -- configuration and suppressions ------------------------------------------------------

    def _finish(self, raw: list[Finding]) -> list[Finding]:
        kept: list[Finding] = []
        seen: set[tuple[str, str, int, int, str]] = set()
        directives: dict[str, list[suppressions.Suppression]] = {}
        for finding in raw:
            ident = (finding.rule, finding.path, finding.line, finding.column, finding.message)
            if ident in seen:
                continue
            seen.add(ident)
            if not self._applies(finding.rule, finding.path):
                continue
            sups = self._directives(finding.path, directives)
            if sups and suppressions.is_suppressed(sups, finding.rule, finding.line):
                continue
            kept.append(self._with_severity(finding))
        for path, sups in directives.items():
            kept.extend(self._meta(path, sups))
        kept.sort(key=Finding.sort_key)
        return kept

    def _applies(self, rule_id: str, path: str) -> bool:
        if not self.is_enabled(rule_id):
            return False
        if self.config.per_file_ignores:
            rel = self._config_relative(path)
            for glob, selectors in self.config.per_file_ignores.items():
                if glob_match(glob, rel) and any(rule_id.startswith(s) for s in selectors):
                    return False
        return True

    def _config_relative(self, path: str) -> str:
        root = self.config.root
        if root is None:
            return path
        return relative(Path(os.path.abspath(self.base / path)), root)

    def _with_severity(self, finding: Finding) -> Finding:
        rule_id = finding.rule
        severity = self.config.severity_for(rule_id, finding.severity)
        digest = self.config.require_digest
        if (rule_id == NOT_DIGEST_PINNED.id and digest.images) or (
            rule_id == LOCK_DIGEST_MISSING.id and digest.charts
        ):
            severity = Severity.ERROR
        if severity is finding.severity:
            return finding
        return finding.replace(severity=severity)

    def _directives(
        self, path: str, cache: dict[str, list[suppressions.Suppression]]
    ) -> list[suppressions.Suppression]:
        found = cache.get(path)
        if found is None:
            read = self.directives.get(path)
            if read is not None:
                found = cache[path] = read
            else:
                found = cache[path] = suppressions.parse(self._read_other(path))
        return found

    def _read_other(self, path: str) -> str:
        try:
            return Path(self.base / path).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    def _meta(self, path: str, sups: list[suppressions.Suppression]) -> Iterator[Finding]:
        for sup in sups:
            yield from self._meta_one(path, sup)

    def _meta_one(self, path: str, sup: suppressions.Suppression) -> Iterator[Finding]:
        found: list[Finding | None] = []
        if not sup.reason:
            found.append(
                self._meta_finding(
                    SUPPRESSION_WITHOUT_REASON,
                    path,
                    sup,
                    f"`chartlock: ignore[{','.join(sup.ids)}]` gives no reason",
                )
            )
        if sup.misplaced:
            found.append(
                self._meta_finding(
                    UNUSED_SUPPRESSION,
                    path,
                    sup,
                    "`ignore-file` only works in the first comment block of a file",
                    fix="move the comment to the top of the file, or use `ignore[...]` here",
                )
            )
        for selector in () if sup.misplaced else sup.ids:
            if selector in sup.used:
                continue
            if not any(rid.startswith(selector) for rid in RULES):
                message = f"`{selector}` is not a chartlock rule id or prefix"
            elif not any(self.is_enabled(r) for r in RULES if r.startswith(selector)):
                continue  # the rule did not run: no evidence either way
            else:
                message = f"`{selector}` suppresses nothing here"
            found.append(self._meta_finding(UNUSED_SUPPRESSION, path, sup, message))
        yield from (f for f in found if f is not None)

    def _meta_finding(
        self, rule: Rule, path: str, sup: suppressions.Suppression, message: str, fix: str = ""
    ) -> Finding | None:
        finding = to_finding(
            Problem(
                rule,
                message,
                line=sup.line,
                column=sup.column,
                key=f"{','.join(sup.ids)}:{message}",
                fix=fix,
            ),
            path,
        )
        if not self._applies(rule.id, path):
            return None
        return self._with_severity(finding)
