"""A chart and its lock, loaded the way Helm's loader reads a chart directory.

The one chart-loading path of every command (``check``, ``lock``, ``verify``, ``pull``,
``outdated``) and of the lint lock rules: Helm reads the files in lexical order, so
``requirements.yaml`` (when present) replaces the dependencies of Chart.yaml (apiVersion v1
charts), and ``requirements.lock`` wins over ``Chart.lock``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from resolver.chart.models import Chart, Dependency, Lock, Mark
from resolver.errors import InputError, UnreadableFile
from resolver.util.records import Record


def apply_requirements(chart: Chart, directory: Path, display: str) -> Chart:
    """``chart`` with its dependencies replaced by those of ``directory/requirements.yaml`` when
    that file has a ``dependencies`` key (``display``: how the chart's Chart.yaml is shown)."""
    from resolver.chart.loader import load_requirements

    requirements = directory / "requirements.yaml"
    if not requirements.is_file():
        return chart
    shown = (Path(display).parent / "requirements.yaml").as_posix()
    deps, marks = load_requirements(requirements, shown)
    if marks is not None:
        chart = chart.replace(dependencies=deps, marks={**chart.marks, "dependencies": marks})
    return chart


def load_pair(
    chart_yaml: Path, display: str, *, chart: Chart | None = None
) -> tuple[Chart, Lock | None]:
    """Load a chart and its lock (``None`` when there is none), the way Helm's loader does.

    ``chart``: the chart already loaded from ``chart_yaml`` (requirements.yaml applied), so
    that only the lock is read (lint parses each Chart.yaml once)."""
    from resolver.chart.loader import load_chart, load_lock

    directory = chart_yaml.parent
    if chart is None:
        chart = load_chart(chart_yaml, display)
        chart = apply_requirements(chart, directory, display)
    base = Path(display).parent
    for name in ("requirements.lock", "Chart.lock"):
        lock_file = directory / name
        lock_display = (base / name).as_posix()
        if lock_file.is_dir():
            raise UnreadableFile(lock_display, "is a directory, expected a file")
        if lock_file.exists():
            return chart.replace(lock_file_name=name), load_lock(lock_file, lock_display)
        if lock_file.is_symlink():
            raise UnreadableFile(
                lock_display, f"is a dangling symlink to {os.readlink(lock_file)!r}"
            )
    return chart, None


class LoadedChart(Record):
    """A chart directory as the online commands see it."""

    chart: Chart
    lock: Lock | None
    display: str  # the chart directory as shown to users ("." for the working directory)

    @property
    def lock_display(self) -> str:
        """The lock file as shown to users (``""`` without a lock)."""
        return self.lock.display_path if self.lock is not None else ""


def load_chart_dir(chart_dir: Path, cwd: Path) -> LoadedChart:
    """Chart.yaml and its lock (``requirements.*`` as Helm reads them), shown relative to
    ``cwd``."""
    from resolver.chart.discovery import display_path

    chart_yaml = chart_dir / "Chart.yaml"
    if not os.path.lexists(chart_yaml):  # a directory or dangling symlink fails to load below
        raise InputError(display_path(chart_dir, cwd), "not a chart directory (no Chart.yaml)")
    chart, lock = load_pair(chart_yaml, display_path(chart_yaml, cwd))
    return LoadedChart(chart, lock, chart_display(chart))


def chart_display(chart: Chart) -> str:
    """The chart's directory as shown to users: its Chart.yaml's display path minus the file."""
    return Path(chart.display_path).parent.as_posix() or "."


def pair_requirements(chart: Chart, lock: Lock) -> list[Dependency | None]:
    """For each lock entry, the Chart.yaml dependency it was resolved from (or ``None``).

    Helm writes one lock entry per Chart.yaml dependency, in order; when the lock does not line
    up (hand-edited, out of sync), fall back to the first unused dependency with the same name.
    """
    req: Sequence[Dependency] = chart.dependencies or []
    entries = lock.dependencies or []
    if len(req) == len(entries) and all(
        r.name == e.name for r, e in zip(req, entries, strict=True)
    ):
        return list(req)
    used: set[int] = set()
    out: list[Dependency | None] = []
    for entry in entries:
        match = next(
            (i for i, dep in enumerate(req) if i not in used and dep.name == entry.name), None
        )
        if match is None:
            out.append(None)
        else:
            used.add(match)
            out.append(req[match])
    return out


def position(mark: Mark | None, unknown: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """``(line, column)`` of ``mark``; ``unknown`` when there is none.

    The default ``(0, 0)`` is what findings and reports read as "no position" (the text
    reporter prints ``-``, SARIF leaves the region out); lint rules that always point somewhere
    in the file they check pass ``(1, 1)``.
    """
    return (mark.line, mark.column) if mark is not None else unknown


def error_at(path: str, mark: Mark | None, message: str) -> InputError:
    """An input error naming ``path:line:column`` (from ``mark``) when the position is known."""
    if mark is None:
        return InputError(path, message)
    return InputError(mark.path or path, message, line=mark.line, column=mark.column)


__all__ = [
    "LoadedChart",
    "apply_requirements",
    "chart_display",
    "error_at",
    "load_chart_dir",
    "load_pair",
    "pair_requirements",
    "position",
]
