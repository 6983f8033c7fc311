"""Find charts under the paths a user gives: the one chart discovery of every command.

The rule (the same for check, lint, lock, verify, pull, outdated and the library):

* A directory holding an entry named ``Chart.yaml`` is a chart, *unless* it sits in another
  chart's ``charts/`` folder (``<umbrella>/charts/<sub>/``, anywhere below it): such a vendored
  subchart is part of its umbrella (Helm packages, installs and locks it with the umbrella),
  not a chart of its own. A top-level ``charts/<name>/`` folder (no Chart.yaml beside
  ``charts/``) is the usual repository layout, and those are charts.
* ``Chart.yaml`` counts whatever it is (file, directory, dangling symlink): a chart whose
  Chart.yaml cannot be read is a chart that fails to load, never one that silently vanishes.
* Version-control, cache and virtualenv folders are never entered; other hidden folders
  (``.terraform``, ``.idea``, ...) hold no charts of the repository (lint still looks there for
  CI files, see :func:`walk`).
* A chart directory (or its Chart.yaml/Chart.lock) named on the command line is a chart even
  when it is a vendored subchart: the user asked for it.
* A path that does not exist, or that holds no chart, is an error
  (:class:`~resolver.errors.InputError`): a typo never looks like a clean run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from resolver.errors import InputError
from resolver.util.records import Record

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".tox",
        ".venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
CHART_FILES = ("Chart.yaml", "Chart.lock", "requirements.lock", "requirements.yaml", "values.yaml")
# Hidden folders that are searched for charts like any other (CI configuration only, today).
_VISIBLE_HIDDEN = frozenset({".github"})


def has_chart_yaml(directory: Path) -> bool:
    """Whether ``directory`` holds an entry named Chart.yaml (of any type, even dangling)."""
    return os.path.lexists(directory / "Chart.yaml")


def in_vendored_area(directory: Path) -> bool:
    """Whether ``directory`` is, or lies below, some chart's ``charts/`` folder."""
    absolute = Path(os.path.abspath(directory))
    return any(
        part.name == "charts" and has_chart_yaml(part.parent)
        for part in (absolute, *absolute.parents)
        if part.parent != part
    )


def is_hidden(name: str) -> bool:
    """A hidden folder that holds no charts of the repository."""
    return name.startswith(".") and name not in _VISIBLE_HIDDEN


class Visit(Record):
    """One directory of a :func:`walk`.

    ``entries`` are sorted by name; ``chart`` is the nearest directory at or above holding a
    Chart.yaml; ``is_chart``: this directory is a chart (counted, locked, verified).
    """

    path: Path
    entries: list[os.DirEntry[str]]
    chart: Path | None
    is_chart: bool


def walk(
    root: Path, *, chart: Path | None = None, hidden: bool = False, explicit: bool = True
) -> Iterator[Visit]:
    """Every directory below ``root`` (depth first, by name), with its chart context.

    ``chart`` is the chart ``root`` belongs to, if known. With ``hidden`` the walk also enters
    hidden folders (lint looks for CI files there) but finds no charts in them. ``explicit``:
    ``root`` was named by the user, so it is a chart if it holds a Chart.yaml, even as a
    vendored subchart (then alone: nothing below it is a chart).
    """
    stack: list[tuple[Path, Path | None, bool]] = [(root, chart, in_vendored_area(root))]
    first = True
    while stack:
        directory, owner, excluded = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            if first:
                raise InputError(str(root), "cannot read the directory") from None
            continue
        holds_chart = any(e.name == "Chart.yaml" for e in entries)
        is_chart = holds_chart and (not excluded or (first and explicit))
        if holds_chart:
            owner = directory
        first = False
        yield Visit(directory, entries, owner, is_chart)
        subdirs: list[tuple[Path, Path | None, bool]] = []
        for entry in entries:
            name = entry.name
            if name in SKIP_DIRS or not entry.is_dir(follow_symlinks=False):
                continue
            child_excluded = excluded
            if is_hidden(name):
                if not hidden:
                    continue
                child_excluded = True
            elif name == "charts" and holds_chart:
                child_excluded = True  # vendored subcharts: part of this chart
            subdirs.append((Path(entry.path), owner, child_excluded))
        stack.extend(reversed(subdirs))


def chart_of_file(path: Path) -> Path | None:
    """The chart directory a file named on the command line stands for, if any."""
    if path.name in CHART_FILES and has_chart_yaml(path.parent):
        return path.parent
    return None


def find_charts(paths: Sequence[str | Path], *, cwd: Path | None = None) -> list[Path]:
    """The chart directories (absolute) under ``paths``, each a directory or a chart file.

    The result is sorted and free of duplicates. Raises :class:`InputError` naming the first
    path that does not exist or holds no chart.
    """
    base = Path(os.path.abspath(cwd or Path.cwd()))
    found: dict[Path, None] = {}
    for raw in paths or (".",):
        shown = str(raw)
        path = Path(os.path.abspath(base / raw))
        if not os.path.lexists(path):
            raise InputError(shown, "no such file or directory")
        if not path.is_dir():
            chart = chart_of_file(path)
            if chart is None:
                raise InputError(shown, "not a chart directory or chart file (no Chart.yaml)")
            found[chart] = None
            continue
        hit = False
        for visit in walk(path):
            if visit.is_chart:
                found[visit.path] = None  # a dict: O(1) de-duplication, first-seen order
                hit = True
        if not hit:
            raise InputError(shown, _no_chart_reason(path))
    return sorted(found)


def _no_chart_reason(path: Path) -> str:
    if in_vendored_area(path):
        return (
            "no charts found: it lies in a chart's charts/ folder (vendored subcharts are part "
            "of that chart; name the subchart directory itself to use it alone)"
        )
    return "no charts found (no Chart.yaml below it)"


def display_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to ``cwd`` when it lies below it, with forward slashes."""
    base = cwd or Path.cwd()
    try:
        rel = os.path.relpath(path, base)
    except ValueError:  # pragma: no cover - different drives on Windows
        return path.as_posix()
    if rel.startswith(".."):
        return Path(os.path.abspath(path)).as_posix()
    return Path(rel).as_posix()
