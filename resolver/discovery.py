"""Find charts (directories holding a Chart.yaml) under the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".venv"})
CHART_FILES = ("Chart.yaml", "Chart.lock", "requirements.lock", "values.yaml")


def find_charts(paths: Sequence[str | Path]) -> list[Path]:
    """Chart directories under ``paths`` (each a directory, a chart dir, or a chart file).

    Unpacked subcharts under ``charts/<sub>/`` are charts too; archives are not descended into.
    The result is sorted and free of duplicates.
    """
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            if path.name in CHART_FILES and (path.parent / "Chart.yaml").is_file():
                found.add(path.parent)
            continue
        found.update(_walk(path))
    return sorted(found)


def _walk(root: Path) -> Iterable[Path]:
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            if entry.name == "Chart.yaml" and entry.is_file():
                yield directory
            elif (
                entry.is_dir(follow_symlinks=False)
                and entry.name not in SKIP_DIRS
                and not (entry.name.startswith(".") and entry.name not in (".github",))
            ):
                stack.append(Path(entry.path))


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
