"""Regular expressions compiled on first use, for module-level patterns off the common path.

Compiling a pattern runs Python's own regex compiler: the semver grammar's six patterns cost
about 3 ms, more than any other single step of a cold ``chartlock check`` (``python -X
importtime``, issue 14), yet a chart whose ranges are plain (``~1.2.0``, ``>=1.0.0 <2.0.0``)
needs none of them (see the fast paths in :mod:`resolver.semver`).

A :class:`LazyPattern` stands in a module's globals under the pattern's name; its first use
compiles the pattern and puts the compiled pattern there in its place, so that every later
lookup of the global is the ``re.Pattern`` itself (no indirection on hot paths such as tag
parsing). Code that kept a reference to the stand-in still works through it.
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping
    from typing import Any


class LazyPattern:
    """``re.compile(pattern, flags)``, done on first use and stored as ``namespace[name]``."""

    __slots__ = ("_compiled", "_flags", "_name", "_namespace", "_pattern")

    def __init__(
        self, namespace: MutableMapping[str, object], name: str, pattern: str, flags: int = 0
    ) -> None:
        self._namespace = namespace
        self._name = name
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def pattern(self) -> str:
        return self._pattern

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
            if self._namespace.get(self._name) is self:
                self._namespace[self._name] = self._compiled
        return self._compiled

    def fullmatch(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        return self.compiled().fullmatch(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().match(string, pos, endpos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def finditer(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled().findall(string, pos, endpos)

    def sub(self, repl: str, string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)


__all__ = ["LazyPattern"]
