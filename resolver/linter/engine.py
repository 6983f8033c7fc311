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

import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from resolver.chart.discovery import display_path
from resolver.errors import ChartlockError, ConfigError, InputError, UnreadableFile
from resolver.linter import suppressions
from resolver.linter.config import Config, check_selectors
from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.rules import (
    CHECKERS,
    EMITS,
    RULES,
    Checker,
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    UnregisteredRule,
    load_builtin_rules,
    to_finding,
)
from resolver.linter.rules.images import NOT_DIGEST_PINNED
from resolver.linter.rules.lock import LOCK_DIGEST_MISSING
from resolver.linter.rules.meta import (
    SUPPRESSION_WITHOUT_REASON,
    UNPARSEABLE_FILE,
    UNUSED_SUPPRESSION,
)
from resolver.linter.targets import Walk, glob_match, relative

TYPE_CHECKING = False  # typing stays off the start-up path
if TYPE_CHECKING:
    from typing import Any

# The online rules' findings for the charts of their own (``lint --online``).
OnlineCheck = Callable[[list[Path]], Iterable[Finding]]


def run_lint(
    paths: Sequence[str | Path],
    config: Config,
    base: Path,
    *,
    online: OnlineCheck | None = None,
) -> Report:
    """Lint ``paths`` (relative to the absolute directory ``base``) under ``config``.

    Loads the built-in rules and the configuration's plugins first and checks its selectors
    (:class:`~resolver.errors.ConfigError`). ``online``, when given, enables the online rules
    and supplies their findings, which pass through configuration and suppressions like any
    other.
    """
    load_builtin_rules()
    load_plugins(config)
    check_selectors(config, RULES)
    return _Run(base, config, online=online).run(paths)


def load_plugins(config: Config) -> None:
    """Import the configuration's ``plugins:`` modules (they register rules and checkers)."""
    for name in config.plugins:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            origin = str(config.source) if config.source else "configuration"
            raise ConfigError(origin, f"plugins: cannot import {name!r}: {exc}") from None


class _Run:
    """The state of one lint run (a mutable holder, not a record)."""

    __slots__ = (
        "base",
        "config",
        "enabled",
        "online",
        "options",
        "report",
        "texts",
        "unparseable",
        "wanted",
    )

    def __init__(self, base: Path, config: Config, *, online: OnlineCheck | None) -> None:
        self.base = base
        self.config = config
        self.online = online
        self.report = Report()
        self.texts: dict[str, str] = {}  # display path -> text, for suppressions
        self.unparseable: set[tuple[str, int]] = set()
        self.enabled: dict[str, bool] = {}
        self.wanted: dict[Checker, bool] = {}
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
        cached = self.enabled.get(rule_id)
        if cached is None:
            rule = RULES.get(rule_id)
            cached = self.config.is_enabled(rule_id) and (
                rule is None or not rule.online or self.online is not None
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

    def run(self, paths: Sequence[str | Path]) -> Report:
        walk = Walk(self.base, self.config)
        for arg in paths or (".",):
            walk.path_arg(arg)
        counted = set(walk.charts)
        raw: list[Finding] = []
        skipped_locks: set[Path] = set()
        for target in walk.targets:
            if target.kind is FileKind.LOCK:
                if target.path in skipped_locks:
                    continue
                raw.extend(self._lock(target))
                continue
            read = self._read(target, raw)
            if read is None:
                if target.kind is FileKind.CHART:
                    skipped_locks.add(target.path)
                continue
            target = read
            if target.kind is FileKind.CHART:
                if target.path.parent in counted:
                    self.report.charts_checked += 1
                if not self._parse_chart(target, raw):
                    skipped_locks.add(target.path)
                    continue
            elif target.kind is FileKind.VALUES:
                # YAML documents: invalid YAML is CL003 even if no rule looks at the file.
                try:
                    target.yaml_node()
                except InputError as exc:
                    raw.append(self._unparseable(exc, target.display))
                    continue
            raw.extend(self._check(target))
        if self.online is not None and walk.charts:
            # The charts of their own only (resolver.chart.discovery), like `verify`.
            raw.extend(self.online(walk.charts))
        self.report.findings = self._finish(raw)
        return self.report

    def _read(self, target: LintTarget, raw: list[Finding]) -> LintTarget | None:
        """``target`` with its text, or ``None`` when it cannot be read (an error or CL003)."""
        from resolver.chart.yaml11 import read_text

        try:
            text = read_text(target.path, target.display)
        except UnreadableFile as exc:
            self.report.errors.append(exc)
            return None
        except InputError as exc:
            raw.append(self._unparseable(exc, target.display))
            return None
        self.texts[target.display] = text
        self.report.files_checked += 1
        return target.replace(text=text)

    def _parse_chart(self, target: LintTarget, raw: list[Finding]) -> bool:
        from resolver.linter.rules.chartfile import chart_of

        try:
            chart_of(target)
        except InputError as exc:
            raw.append(self._unparseable(exc, target.display))
            return False
        return True

    def _lock(self, target: LintTarget) -> Iterator[Finding]:
        directory = target.path.parent
        for name in ("requirements.lock", "Chart.lock"):
            lock = directory / name
            if lock.is_file():
                lock_display = display_path(lock, self.base)
                try:
                    from resolver.chart.yaml11 import read_text

                    text = read_text(lock, lock_display)
                except UnreadableFile as exc:
                    self.report.errors.append(exc)
                    return
                except InputError as exc:
                    yield self._unparseable(exc, lock_display)
                    return
                target = target.replace(text=text)
                self.texts[lock_display] = text
                self.report.files_checked += 1
                break
        yield from self._check(target)

    def _check(self, target: LintTarget) -> Iterator[Finding]:
        for func in CHECKERS[target.kind]:
            if not self.is_wanted(func):
                continue
            try:
                problems: list[Problem] = list(func(target, self.options))
            except UnregisteredRule as exc:
                self._unregistered(func, exc.rule_id)
                continue
            except UnreadableFile as exc:
                if str(exc) not in {str(e) for e in self.report.errors}:
                    self.report.errors.append(exc)
                continue
            except InputError as exc:
                finding = self._unparseable(exc, target.display)
                if (finding.path, finding.line) not in self.unparseable:
                    self.unparseable.add((finding.path, finding.line))
                    yield finding
                continue
            except Exception as exc:  # a buggy rule (or plugin) must not hide the others
                name = getattr(func, "__qualname__", repr(func))
                self.report.errors.append(
                    ChartlockError(
                        f"internal error in checker {func.__module__}.{name} on "
                        f"{target.display}: {type(exc).__name__}: {exc}"
                    )
                )
                continue
            declared = EMITS.get(func)
            for problem in problems:
                rule = problem.rule
                registered = RULES.get(rule.id)
                if registered is not rule and registered != rule:
                    self._unregistered(func, rule.id)
                elif declared is not None and rule not in declared:
                    # The declaration decides whether the checker runs: it must be complete.
                    self._checker_error(func, f"reported {rule.id}, which it does not declare")
                else:
                    yield to_finding(problem, target.display)

    def _unregistered(self, func: Checker, rule_id: str) -> None:
        self._checker_error(func, f"reported unregistered rule {rule_id!r}")

    def _checker_error(self, func: Checker, what: str) -> None:
        name = f"{func.__module__}.{getattr(func, '__name__', repr(func))}"
        self.report.errors.append(ChartlockError(f"checker {name} {what}"))

    def _unparseable(self, exc: InputError, default_path: str) -> Finding:
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
            text = self.texts.get(path)
            if text is None:
                text = self._read_other(path)
            found = cache[path] = suppressions.parse(text)
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
