"""A cheap, conservative check that YAML text does not nest deeper than a limit.

libyaml's composer recurses in C: a document nested ~100,000 levels deep (200 KB of ``[``)
crashes the interpreter with a segfault, which no ``except`` can turn into an error message;
somewhat less deep, Python code walking the tree hits ``RecursionError``. Real chart files and
repository indexes nest a few levels. This scans the bytes before any parser sees them: flow
brackets (``[``/``{``, innermost pairs dropped at C speed first), block indicators ``-``/``?``
stacked on one line, and indentation; quoted brackets may count, which only matters for text
with hundreds of unbalanced ``[`` in strings.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_NOT_BRACKETS_TEXT = re.compile(r"[^\[\]{}]+")
_PATTERNS: dict[tuple[int, bool], tuple[re.Pattern[Any], re.Pattern[Any]]] = {}


def _patterns(limit: int, text: bool) -> tuple[re.Pattern[Any], re.Pattern[Any]]:
    found = _PATTERNS.get((limit, text))
    if found is None:
        # Anchored on a literal newline rather than ``^`` with MULTILINE: the regex engine then
        # skips from newline to newline (3x faster on a 20 MB index).
        block = r"\n[ \t]*(?:[-?][ \t]+){" + str(limit) + "}"
        indent = r"\n {" + str(limit) + "}"
        if text:
            found = (re.compile(block), re.compile(indent))
        else:
            found = (re.compile(block.encode()), re.compile(indent.encode()))
        _PATTERNS[(limit, text)] = found
    return found


def too_deep(data: bytes | str, limit: int) -> bool:
    """Whether YAML ``data`` may nest ``limit`` levels or deeper (see the module docstring)."""
    if isinstance(data, str):
        return _too_deep_text(data, limit)
    if (
        data.count(b"[") + data.count(b"{") >= limit
        and _bracket_depth(data.translate(None, _NOT_BRACKETS), limit) >= limit
    ):
        return True
    block, indent = _patterns(limit, False)
    lines = b"\n" + data
    return bool(block.search(lines) or indent.search(lines))


def _too_deep_text(text: str, limit: int) -> bool:
    if (
        text.count("[") + text.count("{") >= limit
        and _bracket_depth(_NOT_BRACKETS_TEXT.sub("", text).encode("ascii"), limit) >= limit
    ):
        return True
    # The regular expressions only when a plain substring test says they could match.
    deep_indent = " " * limit in text
    many_indicators = text.count("-") + text.count("?") >= limit
    if not (deep_indent or many_indicators):
        return False
    block, indent = _patterns(limit, True)
    lines = "\n" + text
    return bool((many_indicators and block.search(lines)) or (deep_indent and indent.search(lines)))


def _bracket_depth(brackets: bytes, limit: int) -> int:
    """The deepest nesting of a string of brackets (stops counting at ``limit``)."""
    # Drop innermost pairs at C speed first: real files are left with ~nothing. Each pass that
    # drops any lowers the deepest nesting by at most one level: counted back in.
    dropped = 0
    for _ in range(8):
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            break
        brackets, dropped = shorter, dropped + 1
    depth = deepest = dropped
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
            if depth >= limit:
                break
        elif depth:
            depth -= 1
    return deepest
