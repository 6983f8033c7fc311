"""The lint engine: find files, run the registered checkers, apply configuration and
suppressions, return a :class:`~resolver.linter.findings.Report`.

    import resolver
    report = resolver.lint(["charts/"], resolver.Config(select=["CL1"]))

Pipeline: walk the paths → classify files (:class:`~resolver.linter.rules.base.FileKind`) → read
each file once (unreadable or unparseable: CL003) → run the checkers of its kind → keep the findings
of enabled rules (select/ignore, per-file-ignores) at their configured severity → drop those
suppressed by ``# chartlock: ignore[...]`` comments (CL001/CL002 about the comments themselves).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resolver.chart.discovery import display_path, has_chart_yaml, walk
from resolver.errors import ChartlockError, InputError, UnreadableFile
from resolver.linter import suppressions
from resolver.linter.config import Config, check_selectors, load_config
from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.rules import (
    CHECKERS,
    RULES,
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    load_builtin_rules,
    to_finding,
)

_VALUES_RE = re.compile(r"values[^/]*\.ya?ml")
_CI_VALUES_RE = re.compile(r"[^/]*values\.ya?ml")
_TEMPLATE_RE = re.compile(r".*\.(ya?ml|tpl)")
_WORKFLOW_RE = re.compile(r".*\.ya?ml")
_TASKFILE_RE = re.compile(r"Taskfile(\.dist)?\.ya?ml")
_CI_NAMES = frozenset({".gitlab-ci.yml", "Makefile", "Jenkinsfile"})
# Kinds whose files are YAML documents: invalid YAML there is CL003 even if no rule looks.
_YAML_KINDS = frozenset({FileKind.VALUES})


def lint(
    paths: Sequence[str | Path] = (".",),
    config: Config | None = None,
    *,
    cwd: Path | None = None,
    online: bool = False,
    online_options: Any = None,
) -> Report:
    """Lint the charts and CI files under ``paths`` (relative to ``cwd``, default: the cwd).

    ``config`` defaults to the discovered configuration
    (:func:`resolver.linter.config.load_config`).
    ``online`` also runs the registry rules CL501-CL504 (``resolver.commands.verify``), with
    ``online_options`` (:class:`resolver.commands.lock.ClientOptions`).
    Raises :class:`~resolver.errors.ConfigError` for a bad configuration and
    :class:`~resolver.errors.InputError` for a path that does not exist or holds nothing to lint.
    Files that cannot be read at all and internal checker failures go to ``report.errors`` (the
    CLI exits 2); files that read but do not parse are CL003 findings.
    """
    base = Path(os.path.abspath(cwd or Path.cwd()))
    if config is None:
        config = load_config(cwd=base)
    load_builtin_rules()
    _load_plugins(config)
    check_selectors(config, RULES)
    return _Run(base, config, online=online, online_options=online_options).run(paths)


def _load_plugins(config: Config) -> None:
    import importlib

    for name in config.plugins:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            from resolver.errors import ConfigError

            origin = str(config.source) if config.source else "configuration"
            raise ConfigError(origin, f"plugins: cannot import {name!r}: {exc}") from None


# -- walking and classifying ------------------------------------------------------------------


@dataclass
class _Walk:
    base: Path
    config: Config
    targets: list[LintTarget] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    seen: set[tuple[Path, FileKind]] = field(default_factory=set)
    matched: bool = False  # the current path argument named something to lint

    def add(self, path: Path, kind: FileKind, chart_dir: Path | None, counted: bool = True) -> None:
        self.matched = True
        if (path, kind) in self.seen:
            return
        self.seen.add((path, kind))
        display = display_path(path, self.base)
        self.targets.append(LintTarget(path, display, kind, "", chart_dir))
        if kind is FileKind.CHART and counted:
            # A chart of its own (resolver.chart.discovery): counted, and its lock is checked.
            # A vendored subchart's Chart.yaml is linted, but it is part of its umbrella:
            # not counted, and no lock-sync rules (`chartlock lock` never locks it).
            self.charts.append(path.parent)
            self.add(path, FileKind.LOCK, path.parent)

    def path_arg(self, raw: str | Path) -> None:
        """Add what ``raw`` names; raises InputError when it does not exist or holds nothing
        chartlock lints (a typo never looks like a clean run)."""
        path = Path(os.path.abspath(self.base / raw))
        self.matched = False
        if path.is_dir():
            self.directory(path, _chart_of(path))
            if not self.matched:
                raise InputError(str(raw), "nothing to lint (no chart or CI file below it)")
        elif path.is_file() or (path.name == "Chart.yaml" and os.path.lexists(path)):
            self.file(path, _chart_of(path.parent), counted=True)
        else:
            raise InputError(str(raw), "no such file or directory")

    def file(self, path: Path, chart_dir: Path | None, *, counted: bool) -> None:
        kind = self.classify(path, chart_dir)
        if kind is not None:
            self.add(path, kind, chart_dir, counted)
        elif path.name in ("Chart.lock", "requirements.lock") and chart_dir == path.parent:
            self.add(path.parent / "Chart.yaml", FileKind.CHART, chart_dir, counted)

    def directory(self, root: Path, chart_dir: Path | None) -> None:
        for visit in walk(root, chart=chart_dir, hidden=True):
            for entry in visit.entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "Chart.yaml":
                        continue
                elif not entry.is_file() and entry.name != "Chart.yaml":
                    continue
                # A Chart.yaml that is not a regular file is still the chart's: reading it
                # fails the run, instead of the chart silently disappearing.
                self.file(Path(entry.path), visit.chart, counted=visit.is_chart)

    def classify(self, path: Path, chart_dir: Path | None) -> FileKind | None:
        name = path.name
        if chart_dir is not None:
            rel = path.relative_to(chart_dir).as_posix() if _below(path, chart_dir) else ""
            if rel == "Chart.yaml":
                return FileKind.CHART
            if "/" not in rel and _VALUES_RE.fullmatch(name):
                return FileKind.VALUES
            if rel.startswith("ci/") and rel.count("/") == 1 and _CI_VALUES_RE.fullmatch(name):
                return FileKind.VALUES
            if rel.startswith("templates/") and _TEMPLATE_RE.fullmatch(name):
                return FileKind.TEMPLATE
        elif name == "Chart.yaml":
            return FileKind.CHART
        if self.is_ci(path):
            return FileKind.CI
        return None

    def is_ci(self, path: Path) -> bool:
        name = path.name
        if name in _CI_NAMES or name.endswith(".sh") or _TASKFILE_RE.fullmatch(name):
            return True
        if path.parent.name == "workflows" and path.parent.parent.name == ".github":
            return _WORKFLOW_RE.fullmatch(name) is not None
        if self.config.ci_globs:
            rel = _relative(path, self.config.root or self.base)
            return any(glob_match(glob, rel) for glob in self.config.ci_globs)
        return False


def _below(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
    except ValueError:
        return False
    return True


def _chart_of(directory: Path) -> Path | None:
    """The nearest directory at or above ``directory`` holding a Chart.yaml."""
    for candidate in (directory, *directory.parents):
        if has_chart_yaml(candidate):
            return candidate
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def glob_match(pattern: str, path: str) -> bool:
    """Gitignore-like globs: ``*`` within a segment, ``**`` across segments, and a pattern
    without ``/`` matches the file name anywhere."""
    regex = _GLOB_CACHE.get(pattern)
    if regex is None:
        regex = _GLOB_CACHE[pattern] = re.compile(_glob_regex(pattern.strip("/")))
    if "/" not in pattern.strip("/"):
        return (
            regex.fullmatch(path.rsplit("/", 1)[-1]) is not None
            or regex.fullmatch(path) is not None
        )
    return regex.fullmatch(path) is not None


def _glob_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    # A directory pattern covers everything below it.
    return "".join(out) + "(?:/.*)?"


# -- running ----------------------------------------------------------------------------------


class _Run:
    def __init__(self, base: Path, config: Config, *, online: bool, online_options: Any) -> None:
        self.base = base
        self.config = config
        self.online = online
        self.online_options = online_options
        self.report = Report()
        self.texts: dict[str, str] = {}  # display path -> text, for suppressions
        self.unparseable: set[tuple[str, int]] = set()
        self.enabled: dict[str, bool] = {}
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
                rule is None or not rule.online or self.online
            )
            self.enabled[rule_id] = cached
        return cached

    def run(self, paths: Sequence[str | Path]) -> Report:
        walk = _Walk(self.base, self.config)
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
            if not self._read(target, raw):
                if target.kind is FileKind.CHART:
                    skipped_locks.add(target.path)
                continue
            if target.kind is FileKind.CHART:
                if target.path.parent in counted:
                    self.report.charts_checked += 1
                if not self._parse_chart(target, raw):
                    skipped_locks.add(target.path)
                    continue
            elif target.kind in _YAML_KINDS:
                try:
                    target.yaml_node()
                except InputError as exc:
                    raw.append(self._unparseable(exc, target.display))
                    continue
            raw.extend(self._check(target))
        if self.online and walk.charts:
            raw.extend(self._online(walk.charts))
        self.report.findings = self._finish(raw)
        return self.report

    def _read(self, target: LintTarget, raw: list[Finding]) -> bool:
        from resolver.chart.yaml11 import read_text

        try:
            target.text = read_text(target.path, target.display)
        except UnreadableFile as exc:
            self.report.errors.append(exc)
            return False
        except InputError as exc:
            raw.append(self._unparseable(exc, target.display))
            return False
        self.texts[target.display] = target.text
        self.report.files_checked += 1
        return True

    def _parse_chart(self, target: LintTarget, raw: list[Finding]) -> bool:
        from resolver.linter.rules.chart import chart_of

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

                    target.text = read_text(lock, lock_display)
                except UnreadableFile as exc:
                    self.report.errors.append(exc)
                    return
                except InputError as exc:
                    yield self._unparseable(exc, lock_display)
                    return
                self.texts[lock_display] = target.text
                self.report.files_checked += 1
                break
        yield from self._check(target)

    def _check(self, target: LintTarget) -> Iterator[Finding]:
        for func in CHECKERS[target.kind]:
            try:
                problems: list[Problem] = list(func(target, self.options))
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
            for problem in problems:
                if problem.rule not in RULES:
                    self.report.errors.append(
                        ChartlockError(
                            f"checker {func.__module__}.{func.__name__} reported unregistered "
                            f"rule {problem.rule!r}"
                        )
                    )
                    continue
                yield to_finding(problem, target.display)

    def _unparseable(self, exc: InputError, default_path: str) -> Finding:
        path = exc.path or default_path
        return to_finding(
            Problem(
                "CL003",
                f"cannot parse: {exc.message}",
                line=exc.line or 1,
                column=exc.column or 1,
                key=exc.message,
            ),
            path,
        )

    def _online(self, charts: list[Path]) -> list[Finding]:
        try:
            from resolver.commands.verify import verify_findings
        except ModuleNotFoundError as exc:
            raise ChartlockError(
                f"--online needs resolver.commands.verify, which is not available ({exc})"
            ) from None
        # ``charts`` holds the charts of their own only (resolver.chart.discovery), like `verify`.
        return list(verify_findings(charts, self.online_options))

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
        return _relative(Path(os.path.abspath(self.base / path)), root)

    def _with_severity(self, finding: Finding) -> Finding:
        rule_id = finding.rule
        severity = self.config.severity_for(rule_id, finding.severity)
        digest = self.config.require_digest
        if (rule_id == "CL303" and digest.images) or (rule_id == "CL205" and digest.charts):
            severity = Severity.ERROR
        if severity is finding.severity:
            return finding
        f = finding
        return Finding(f.rule, f.name, severity, f.path, f.line, f.column, f.message, f.fix, f.key)

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
                    "CL001",
                    path,
                    sup,
                    f"`chartlock: ignore[{','.join(sup.ids)}]` gives no reason",
                )
            )
        if sup.misplaced:
            found.append(
                self._meta_finding(
                    "CL002",
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
            found.append(self._meta_finding("CL002", path, sup, message))
        yield from (f for f in found if f is not None)

    def _meta_finding(
        self, rule_id: str, path: str, sup: suppressions.Suppression, message: str, fix: str = ""
    ) -> Finding | None:
        finding = to_finding(
            Problem(
                rule_id,
                message,
                line=sup.line,
                column=sup.column,
                key=f"{','.join(sup.ids)}:{message}",
                fix=fix,
            ),
            path,
        )
        if not self._applies(rule_id, path):
            return None
        return self._with_severity(finding)
