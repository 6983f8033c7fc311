"""Walking and classifying: which files the lint path arguments name, and of what kind.

A directory is walked (:func:`resolver.chart.discovery.walk`: hidden directories included, a
vendored subchart's files belong to their umbrella); each file is classified as a
:class:`~resolver.linter.rules.base.FileKind` by its place in its chart (Chart.yaml, values
files, templates) or by its name (workflows, scripts, Makefiles: CI files, plus the
configuration's ``ci-globs``). A Chart.yaml of a chart of its own also brings its lock
(FileKind.LOCK).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from resolver.chart.discovery import display_path, has_chart_yaml, walk
from resolver.errors import InputError
from resolver.linter.config import Config
from resolver.linter.rules.base import FileKind, LintTarget

_VALUES_RE = re.compile(r"values[^/]*\.ya?ml")
_CI_VALUES_RE = re.compile(r"[^/]*values\.ya?ml")
_TEMPLATE_RE = re.compile(r".*\.(ya?ml|tpl)")
_WORKFLOW_RE = re.compile(r".*\.ya?ml")
_TASKFILE_RE = re.compile(r"Taskfile(\.dist)?\.ya?ml")
_CI_NAMES = frozenset({".gitlab-ci.yml", "Makefile", "Jenkinsfile"})


class Walk:
    """The files the path arguments name, classified: ``targets`` in walking order (their
    ``text`` still empty), ``charts`` the charts of their own (resolver.chart.discovery)."""

    __slots__ = ("base", "charts", "config", "matched", "seen", "targets")

    def __init__(self, base: Path, config: Config) -> None:
        self.base = base
        self.config = config
        self.targets: list[LintTarget] = []
        self.charts: list[Path] = []
        self.seen: set[tuple[Path, FileKind]] = set()
        self.matched = False  # the current path argument named something to lint

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
            self.directory(path, chart_of_dir(path))
            if not self.matched:
                raise InputError(str(raw), "nothing to lint (no chart or CI file below it)")
        elif path.is_file() or (path.name == "Chart.yaml" and os.path.lexists(path)):
            self.file(path, chart_of_dir(path.parent), counted=True)
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
            rel = relative(path, self.config.root or self.base)
            return any(glob_match(glob, rel) for glob in self.config.ci_globs)
        return False


def _below(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
    except ValueError:
        return False
    return True


def chart_of_dir(directory: Path) -> Path | None:
    """The nearest directory at or above ``directory`` holding a Chart.yaml."""
    for candidate in (directory, *directory.parents):
        if has_chart_yaml(candidate):
            return candidate
    return None


def relative(path: Path, root: Path) -> str:
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
