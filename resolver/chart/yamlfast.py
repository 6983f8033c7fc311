"""A fast composer for the block-style YAML that Chart.yaml and Chart.lock are written in.

Importing PyYAML costs more than the rest of ``chartlock check`` together (its pure-Python
modules compile large regular expressions at import). Nearly every chart file is plain block
YAML: mappings, sequences, plain scalars (folded over several lines too), one-line quoted
scalars, literal and folded block scalars, one-line flow sequences, comments. :func:`compose`
builds the same node tree libyaml (PyYAML's ``CSafeLoader``) builds for such text, marks and
styles included, and returns :data:`UNSUPPORTED` for anything else (anchors, tags, flow
mappings, multi-line quoted scalars, tabs, several documents, errors...), so the caller falls
back to PyYAML. It never reports an error itself: PyYAML does,
with its own messages. The differential tests (tests/chart/test_yamlfast.py) hold it to libyaml on
every YAML file in ``fixtures/`` and on generated documents.
"""

from __future__ import annotations

import re

from resolver.chart.yamlnodes import MappingNode, Mark, Node, ScalarNode, SequenceNode, scalar_at
from resolver.chart.yamlscan import INDICATORS as _INDICATORS
from resolver.chart.yamlscan import Unsupported as _Unsupported
from resolver.chart.yamlscan import find_colon as _colon
from resolver.chart.yamlscan import plain as _plain
from resolver.chart.yamlscan import plain_start as _plain_start
from resolver.chart.yamlscan import printable as _printable
from resolver.chart.yamlscan import trailing as _trailing
from resolver.chart.yamlscan import unescape as _unescape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final


UNSUPPORTED: Final = object()
"""Returned by :func:`compose` when the text needs the full YAML parser."""

_MAX_KEY = 1000  # libyaml refuses simple keys longer than 1024 characters
# A document marker: '---' or '...' at the start of a line, then a space or the line's end.
_MARKER_RE = re.compile(r"^(?:---|\.\.\.)(?: |$)", re.MULTILINE)


def compose(text: str) -> Node | object | None:
    """The document's node tree, ``None`` for an empty document, or :data:`UNSUPPORTED`."""
    try:
        return _Composer(text).document()
    except _Unsupported:
        return UNSUPPORTED


class _Composer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.count = len(self.lines)

    # -- lines ---------------------------------------------------------------------------

    def content(self, i: int) -> int:
        """The index of the first line at or after ``i`` that is not blank or a comment."""
        lines = self.lines
        while i < self.count:
            stripped = lines[i].lstrip(" ")
            if stripped and stripped[0] != "#":
                return i
            i += 1
        return i

    def indent(self, i: int) -> int:
        line = self.lines[i]
        return len(line) - len(line.lstrip(" "))

    def is_entry(self, i: int, col: int) -> bool:
        """A block sequence entry (``-`` then a space or the end of the line) at ``col``."""
        line = self.lines[i]
        return line.startswith("-", col) and (len(line) == col + 1 or line[col + 1] == " ")

    # -- document ------------------------------------------------------------------------

    def document(self) -> Node | None:
        text = self.text
        if text.startswith("%") or "\n%" in text or not _printable(text):
            raise _Unsupported
        first = self.content(0)
        marker = False
        for found in _MARKER_RE.finditer(text):
            number = text.count("\n", 0, found.start())
            if marker or number != first or self.lines[number].rstrip(" ") != "---":
                raise _Unsupported  # anything but one leading '---': PyYAML decides
            marker = True
            first = self.content(first + 1)
            if first == self.count:
                raise _Unsupported  # '---' alone is a null document, not an empty one
        if first == self.count:
            return None
        node, end = self.block(first, self.indent(first), -1)
        if isinstance(node, ScalarNode) or self.content(end) != self.count:
            raise _Unsupported  # a scalar document, or more text after the root node
        return node

    # -- block nodes ---------------------------------------------------------------------

    def block(self, i: int, col: int, parent: int) -> tuple[Node, int]:
        """The block node starting at line ``i``, column ``col``; returns it and the next line.

        ``parent`` is the column of the enclosing block collection (-1 at the root).
        """
        if self.is_entry(i, col):
            return self.sequence(i, col, indentless=False)
        if self.key_end(i, col) is not None:
            return self.mapping(i, col)
        return self.inline(i, col, parent)

    def sequence(self, i: int, col: int, *, indentless: bool) -> tuple[Node, int]:
        items: list[Node] = []
        start = Mark(i, col)
        while True:
            line = self.lines[i]
            at = col + 1
            while at < len(line) and line[at] == " ":
                at += 1
            if at == len(line) or line[at] == "#":
                item, end = self.nested(i, col, Mark(i, col + 1))
            elif self.is_entry(i, at):
                item, end = self.sequence(i, at, indentless=False)
            elif self.key_end(i, at) is not None:
                item, end = self.mapping(i, at)
            else:
                item, end = self.inline(i, at, col)
            items.append(item)
            nxt = self.content(end)
            if nxt == self.count or self.indent(nxt) < col:
                return SequenceNode(items, start), nxt
            if self.indent(nxt) > col:
                raise _Unsupported
            if not self.is_entry(nxt, col):
                if indentless:
                    return SequenceNode(items, start), nxt
                raise _Unsupported
            i = nxt

    def nested(self, i: int, col: int, empty: Mark) -> tuple[Node, int]:
        """The node on the lines after an entry with nothing after its indicator."""
        nxt = self.content(i + 1)
        if nxt < self.count and self.indent(nxt) > col:
            return self.block(nxt, self.indent(nxt), col)
        return ScalarNode("", "", empty), i + 1

    def mapping(self, i: int, col: int) -> tuple[Node, int]:
        pairs: list[tuple[Node, Node]] = []
        start = Mark(i, col)
        while True:
            line = self.lines[i]
            colon = self.key_end(i, col)
            if colon is None:
                raise _Unsupported
            key = self.key(i, col, colon)
            at = colon + 1
            while at < len(line) and line[at] == " ":
                at += 1
            if at == len(line) or line[at] == "#":
                nxt = self.content(i + 1)
                if nxt < self.count and self.indent(nxt) == col and self.is_entry(nxt, col):
                    value, end = self.sequence(nxt, col, indentless=True)
                else:
                    value, end = self.nested(i, col, Mark(i, colon + 1))
            else:
                value, end = self.inline(i, at, col)
            pairs.append((key, value))
            nxt = self.content(end)
            if nxt == self.count or self.indent(nxt) < col:
                return MappingNode(pairs, start), nxt
            if self.indent(nxt) > col or self.is_entry(nxt, col):
                raise _Unsupported
            i = nxt

    # -- keys ----------------------------------------------------------------------------

    def key_end(self, i: int, col: int) -> int | None:
        """The column of the ``:`` ending a simple key that starts at ``col``, if any."""
        line = self.lines[i]
        ch = line[col]
        if ch in "'\"":
            close = self.quoted_end(line, col)
            if close is None:
                return None
            at = close
            while at < len(line) and line[at] == " ":
                at += 1
            if at < len(line) and line[at] == ":" and (at + 1 == len(line) or line[at + 1] == " "):
                return at
            return None
        if not _plain_start(line, col):
            return None
        colon = _colon(line, col)
        if colon == -1 or line.find(" #", col, colon) != -1:
            return None
        return colon

    def key(self, i: int, col: int, colon: int) -> ScalarNode:
        line = self.lines[i]
        if colon - col > _MAX_KEY:
            raise _Unsupported
        if line[col] in "'\"":
            value, _ = self.quoted(line, col)
            return scalar_at(value, line[col], i, col)
        return scalar_at(line[col:colon].rstrip(" "), "", i, col)

    # -- scalars on one line -------------------------------------------------------------

    def inline(self, i: int, col: int, parent: int) -> tuple[Node, int]:
        """A value starting at (``i``, ``col``): a one-line scalar, block scalar or flow list."""
        line = self.lines[i]
        ch = line[col]
        if ch in "'\"":
            value, close = self.quoted(line, col)
            _trailing(line, close)
            node: Node = scalar_at(value, ch, i, col)
        elif ch in "|>":
            return self.block_scalar(i, col, parent)
        elif ch == "[":
            node = self.flow_sequence(i, col)
        elif ch == "{":
            node = self.flow_mapping(i, col)
        elif _plain_start(line, col):
            text, comment = _plain(line, col)
            if comment:
                return scalar_at(text, "", i, col), i + 1
            return self.plain_lines(i, col, parent, text)
        else:
            raise _Unsupported
        # A more indented line after it (a multi-line plain scalar, or an error) is refused by
        # the collection that reads the next line.
        return node, i + 1

    def plain_lines(self, i: int, col: int, parent: int, text: str) -> tuple[Node, int]:
        """A plain scalar that may go on over more indented lines (libyaml's folding).

        A line more indented than the enclosing collection continues the scalar: one line
        break becomes a space, each blank line in between a line break.
        """
        lines = self.lines
        parts = [text]
        j = i + 1
        end = j
        breaks = 0
        while j < self.count:
            line = lines[j]
            stripped = line.lstrip(" ")
            if not stripped:
                breaks += 1
                j += 1
                continue
            if len(line) - len(stripped) <= parent or stripped[0] == "#":
                break
            more, comment = _plain(stripped, 0)
            parts.append("\n" * breaks if breaks else " ")
            parts.append(more)
            breaks = 0
            j += 1
            end = j
            if comment:
                break
        return scalar_at("".join(parts), "", i, col), end

    def quoted_end(self, line: str, col: int) -> int | None:
        """The column after the closing quote of the scalar opened at ``col`` on this line."""
        quote = line[col]
        at = col + 1
        end = len(line)
        while at < end:
            ch = line[at]
            if quote == "'":
                if ch == "'":
                    if at + 1 < end and line[at + 1] == "'":
                        at += 2
                        continue
                    return at + 1
            elif ch == "\\":
                at += 2
                continue
            elif ch == '"':
                return at + 1
            at += 1
        return None

    def quoted(self, line: str, col: int) -> tuple[str, int]:
        close = self.quoted_end(line, col)
        if close is None:
            raise _Unsupported  # continues on the next line (or is not closed)
        body = line[col + 1 : close - 1]
        if line[col] == "'":
            return body.replace("''", "'"), close
        return _unescape(body), close

    def flow_sequence(self, i: int, col: int) -> Node:
        """``[a, "b", c]`` on one line: plain and quoted scalars only."""
        line = self.lines[i]
        items: list[Node] = []
        at = col + 1
        end = len(line)
        while True:
            while at < end and line[at] == " ":
                at += 1
            if at == end:
                raise _Unsupported
            ch = line[at]
            if ch == "]" and not items:
                at += 1
                break
            if ch in "'\"":
                value, close = self.quoted(line, at)
                items.append(scalar_at(value, ch, i, at))
                at = close
            else:
                if ch in _INDICATORS:
                    raise _Unsupported
                stop = at
                while stop < end and line[stop] not in ",[]{}:#?'\"":
                    stop += 1
                text = line[at:stop].rstrip(" ")
                if not text:
                    raise _Unsupported
                items.append(scalar_at(text, "", i, at))
                at = stop
            while at < end and line[at] == " ":
                at += 1
            if at == end:
                raise _Unsupported
            if line[at] == "]":
                at += 1
                break
            if line[at] != ",":
                raise _Unsupported
            at += 1
            probe = at
            while probe < end and line[probe] == " ":
                probe += 1
            if probe == end or line[probe] == "]":
                raise _Unsupported  # a trailing comma
        _trailing(line, at)
        return SequenceNode(items, Mark(i, col))

    def flow_mapping(self, i: int, col: int) -> Node:
        """``{}`` on one line (an empty flow mapping, as in ``annotations: {}``)."""
        line = self.lines[i]
        at = col + 1
        while at < len(line) and line[at] == " ":
            at += 1
        if at == len(line) or line[at] != "}":
            raise _Unsupported
        _trailing(line, at + 1)
        return MappingNode([], Mark(i, col))

    # -- block scalars -------------------------------------------------------------------

    def block_scalar(self, i: int, col: int, parent: int) -> tuple[Node, int]:
        """``|`` or ``>`` with an optional chomping indicator, as libyaml's scan_block_scalar."""
        line = self.lines[i]
        literal = line[col] == "|"
        at = col + 1
        chomping = 0
        if at < len(line) and line[at] in "+-":
            chomping = 1 if line[at] == "+" else -1
            at += 1
        if at < len(line) and line[at] != " ":
            raise _Unsupported  # an indentation indicator, or junk
        _trailing(line, at)
        # Auto-detected indentation: the deepest leading blank line or the first content line,
        # at least one more than the enclosing collection's.
        trailing, j, column, deepest = self.breaks(i + 1, 0)
        indent = max(deepest, parent + 1, 1)
        chunks: list[str] = []
        leading_break = ""
        leading_blank = False
        lines = self.lines
        while column == indent and j < self.count and len(lines[j]) > indent:
            body = lines[j][indent:]
            blank = body[0] == " "
            if not literal and leading_break == "\n" and not leading_blank and not blank:
                if not trailing:
                    chunks.append(" ")
            else:
                chunks.append(leading_break)
            chunks.extend(trailing)
            leading_blank = blank
            chunks.append(body)
            if j == self.count - 1:  # the text ends without a line break
                leading_break, trailing, j = "", [], self.count
                break
            leading_break = "\n"
            trailing, j, column, _ = self.breaks(j + 1, indent)
        if chomping != -1:
            chunks.append(leading_break)
        if chomping == 1:
            chunks.extend(trailing)
        return scalar_at("".join(chunks), line[col], i, col), j

    def breaks(self, j: int, indent: int) -> tuple[list[str], int, int, int]:
        """Line breaks of blank lines from line ``j`` (libyaml's scan_block_scalar_breaks).

        Skips at most ``indent`` spaces of each line (all of them when ``indent`` is 0).
        Returns the breaks, the line where they stop, the column reached there and the
        deepest column seen.
        """
        breaks: list[str] = []
        deepest = 0
        lines = self.lines
        while j < self.count:
            line = lines[j]
            lead = len(line) - len(line.lstrip(" "))
            column = min(lead, indent) if indent else lead
            deepest = max(deepest, column)
            if column < len(line) or j == self.count - 1:
                return breaks, j, column, deepest
            breaks.append("\n")
            j += 1
        return breaks, j, 0, deepest
