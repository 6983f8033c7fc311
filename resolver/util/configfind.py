"""Where chartlock's configuration is: the nearest ``.chartlock.yaml`` (``.yml``) or
``pyproject.toml`` with a ``[tool.chartlock]`` table, from the working directory up.

Apart from :mod:`resolver.linter.config` (which loads and validates the file) because online
commands look for the file before their connections begin (mirrors, ``lock.strategy``), and
most find none: that look-up should not import the loader (``typing``, the rule registry;
about 4 ms of a lock's start-up, issue 14).
"""

from __future__ import annotations

import re
from pathlib import Path

CONFIG_FILES = (".chartlock.yaml", ".chartlock.yml")
PYPROJECT = "pyproject.toml"
_TOOL_TABLE = re.compile(r"^\s*\[\s*tool\s*\.\s*chartlock\s*[\].]", re.MULTILINE)


def find_config(cwd: Path | None = None) -> Path | None:
    """The nearest ``.chartlock.yaml`` or ``pyproject.toml`` with ``[tool.chartlock]``."""
    start = (cwd or Path.cwd()).resolve()
    for directory in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return _TOOL_TABLE.search(text) is not None
