"""Shell words, the way a POSIX shell splits them: enough of sh to find commands in CI files.

Lines ending in ``\\`` are joined into logical lines (:func:`logical_lines`; a position in one
maps back to its physical line and column). A logical line is split into words and operators
(:func:`tokenize`): quotes, ``\\`` escapes, ``$(...)``, ``${...}``, GitHub's ``${{ ... }}``
and backticks stay inside their word, ``&&``, ``||``, ``;``, ``|``, ``&`` and parentheses
are operators, ``#`` at the start of a word starts a comment; command substitutions are
collected so their commands can be scanned too. Word values are unquoted with :mod:`shlex`.

Pure text processing, no rules: :mod:`resolver.linter.rules.helmcalls` finds ``helm`` in the
words, :mod:`resolver.linter.rules.ci` holds the CI rules.
"""

from __future__ import annotations

import bisect
import shlex
from collections.abc import Iterator

from resolver.util.records import Record

_OPERATORS = frozenset(";&|()")
_BLANKS = frozenset(" \t\r\n")


class Token(Record):
    """One word (or operator) of a logical line."""

    raw: str
    start: int  # offset in the logical line
    operator: bool = False

    @property
    def value(self) -> str:
        return unquote(self.raw)


class LogicalLine(Record):
    """Physical lines joined at their trailing backslashes, with the way back to them."""

    text: str
    starts: list[int]  # logical offset where each physical piece starts
    lines: list[int]  # its 1-based physical line
    columns: list[int]  # its 0-based physical column

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.lines[index], self.columns[index] + offset - self.starts[index] + 1


def unquote(raw: str) -> str:
    """The word's value (quotes removed) via shlex; unbalanced quotes are just stripped."""
    if not any(ch in raw for ch in "'\"\\"):
        return raw
    try:
        return " ".join(shlex.split(raw, posix=True))
    except ValueError:
        return raw.replace('"', "").replace("'", "")


def logical_lines(text: str) -> Iterator[LogicalLine]:
    """Physical lines joined at a trailing backslash (comment lines never continue)."""
    pieces: list[str] = []
    starts: list[int] = []
    lines: list[int] = []
    columns: list[int] = []
    length = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        body = physical.rstrip(" \t\r")
        continued = (
            body.endswith("\\") and not body.endswith("\\\\") and not body.lstrip().startswith("#")
        )
        if continued:
            body = body[:-1] + " "
        starts.append(length)
        lines.append(number)
        columns.append(0)
        pieces.append(body)
        length += len(body)
        if not continued:
            yield LogicalLine("".join(pieces), starts, lines, columns)
            pieces, starts, lines, columns, length = [], [], [], [], 0
    if pieces:
        yield LogicalLine("".join(pieces), starts, lines, columns)


def _match(text: str, i: int, end: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at ``i`` (quotes inside skipped), or ``end``."""
    depth = 0
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'" and opening == "(":
            close = text.find("'", i + 1, end)
            i = close + 1 if close >= 0 else end
            continue
        if ch == '"':
            i = _skip_double(text, i + 1, end, None)
            continue
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return end


def _skip_double(text: str, i: int, end: int, subs: list[tuple[int, int]] | None) -> int:
    """Index after the ``"`` closing a double-quoted string that starts at ``i``."""
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        if ch == "$" and i + 1 < end and text[i + 1] in "({":
            close = _match(text, i + 1, end, text[i + 1], ")" if text[i + 1] == "(" else "}")
            if subs is not None and text[i + 1] == "(" and not text.startswith("((", i + 1):
                subs.append((i + 2, close))
            i = close + 1
            continue
        if ch == "`":
            close = text.find("`", i + 1, end)
            close = close if close >= 0 else end
            if subs is not None:
                subs.append((i + 1, close))
            i = close + 1
            continue
        i += 1
    return end


def tokenize(text: str, i: int, end: int, subs: list[tuple[int, int]]) -> list[Token]:
    """Shell words and operators of ``text[i:end]``; command substitutions go to ``subs``."""
    tokens: list[Token] = []
    while i < end:
        ch = text[i]
        if ch in _BLANKS:
            i += 1
            continue
        if ch == "#":
            break
        if ch in _OPERATORS:
            width = 2 if text[i : i + 2] in ("&&", "||", ";;", "|&") else 1
            tokens.append(Token(text[i : i + width], i, operator=True))
            i += width
            continue
        start = i
        while i < end:
            ch = text[i]
            if ch in _BLANKS or ch in _OPERATORS:
                break
            if ch == "\\":
                i += 2
            elif ch == "'":
                close = text.find("'", i + 1, end)
                i = close + 1 if close >= 0 else end
            elif ch == '"':
                i = _skip_double(text, i + 1, end, subs)
            elif ch == "$" and i + 1 < end and text[i + 1] in "({":
                opening = text[i + 1]
                close = _match(text, i + 1, end, opening, ")" if opening == "(" else "}")
                if opening == "(" and not text.startswith("((", i + 1):
                    subs.append((i + 2, close))
                i = close + 1
            elif ch == "`":
                close = text.find("`", i + 1, end)
                close = close if close >= 0 else end
                subs.append((i + 1, close))
                i = close + 1
            else:
                i += 1
        i = min(i, end)
        tokens.append(Token(text[start:i], start))
    return tokens


def commands(tokens: list[Token]) -> Iterator[list[Token]]:
    current: list[Token] = []
    for token in tokens:
        if token.operator:
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def quoted_inner(token: Token) -> tuple[int, int] | None:
    """The span inside a fully quoted word (``"..."`` or ``'...'``)."""
    raw = token.raw
    if len(raw) >= 2 and raw[0] in "\"'" and raw[-1] == raw[0]:
        return token.start + 1, token.start + len(raw) - 1
    return None
