"""The surgical YAML editor: change the text of some scalars and nothing else.

An edit names a scalar by where it starts (1-based line and column, as findings report it) and
the value it must have now. The editor finds the scalar's span in the original text with
PyYAML's marks (each document piece of a values file, split like Helm: see
:mod:`resolver.chart.valuesfile`), writes the new value in the scalar's own quoting style, and
leaves every other character as it was: comments, blank lines, anchors and aliases, key order,
indentation, CRLF line endings and a UTF-8 BOM.

Then it re-parses the result and walks the old and new trees side by side: same shape, same
keys, every scalar equal except the edited ones, which must hold exactly the new value. Any
difference, or a scalar it cannot place, refuses the whole file (:class:`EditRefused`): a fix
never leaves a file changed in a way nobody planned.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

from resolver.util.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import yaml

BOM = b"\xef\xbb\xbf"
STR_TAG = "tag:yaml.org,2002:str"


class ScalarEdit(Record):
    """Replace the scalar starting at ``line``:``column`` (1-based), now ``old``, by ``new``."""

    line: int
    column: int
    old: str
    new: str


class Span(Record):
    """Where an edit lands in the text: ``[start, end)`` and what goes there."""

    start: int
    end: int
    text: str


class EditRefused(Exception):
    """The edits cannot be made safely; ``line`` is 1-based (0 when it is the whole file)."""

    def __init__(self, reason: str, line: int = 0, column: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


class _Located(Record):
    node: yaml.ScalarNode
    start: int  # offset of the scalar's own text (after any anchor or tag)
    end: int
    flow: bool  # inside a flow collection ({...} or [...])


def _pieces(text: str) -> list[tuple[int, str]]:
    """``(offset of the piece's first character in text, padded piece)`` per document."""
    from resolver.chart.valuesfile import split_documents

    try:
        pieces = split_documents(text, "")
    except Exception as exc:  # an invalid separator: nothing to fix in this file
        raise EditRefused(str(exc)) from None
    line_offsets = _line_starts(text)
    return [(line_offsets[first] - first, piece) for first, piece in pieces]


def _compose(piece: str) -> yaml.Node | None:
    import yaml

    # libyaml's marks count characters like PyYAML's (checked by the tests), and it is ~20x
    # faster on a 2000-line values file.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(piece, Loader=loader)
    except yaml.YAMLError as exc:
        raise EditRefused(f"not valid YAML: {str(exc).splitlines()[0]}") from None


def _scalars(
    node: yaml.Node | None, shift: int, text: str, flow: bool = False
) -> Iterator[_Located]:
    import yaml

    stack: list[tuple[yaml.Node, bool]] = [(node, flow)] if node is not None else []
    seen: set[int] = set()
    while stack:
        current, in_flow = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            start = current.start_mark.index + shift
            end = current.end_mark.index + shift
            start = _skip_properties(text, start, end)
            yield _Located(current, start, end, in_flow)
        elif isinstance(current, yaml.SequenceNode):
            child_flow = in_flow or bool(current.flow_style)
            stack.extend((item, child_flow) for item in current.value)
        elif isinstance(current, yaml.MappingNode):
            child_flow = in_flow or bool(current.flow_style)
            for key, value in current.value:
                stack.append((key, child_flow))
                stack.append((value, child_flow))


def _skip_properties(text: str, start: int, end: int) -> int:
    """Past an anchor (``&a``) or tag (``!!str``) written before the scalar itself."""
    while start < end and text[start] in "&!":
        while start < end and not text[start].isspace():
            start += 1
        while start < end and text[start] in " \t\r\n":
            start += 1
    return start


@lru_cache(maxsize=8)
def _line_starts(text: str) -> list[int]:
    """The offset of each line's first character (lines end at ``\\n``, as Helm splits)."""
    starts = [0]
    at = text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of ``offset``."""
    starts = _line_starts(text)
    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def render(node: yaml.ScalarNode, new: str, *, flow: bool) -> str:
    """``new`` written in the quoting style of ``node`` (plain only where plain is safe)."""
    style = node.style or ""
    if style in ("|", ">"):
        raise EditRefused("block scalars are not edited")
    if style == "" and node.value in ("", "~", "null") and not flow:
        # `tag:` (an empty plain scalar has no width) or `tag: ~`: a string now, quoted
        quoted = '"' + new.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return quoted if node.value else " " + quoted
    if style == "" and _plain_safe(new, flow=flow):
        return new
    if style == "'":
        return "'" + new.replace("'", "''") + "'"
    return '"' + new.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain_safe(value: str, *, flow: bool) -> bool:
    """A plain scalar that reads back as this very string (a digest pin always does)."""
    import yaml

    if not value or value != value.strip() or value[0] in "-?:,[]{}#&*!|>'\"%@`":
        return False
    if ": " in value or " #" in value or "\n" in value or value.endswith(":"):
        return False
    if flow and any(ch in value for ch in ",[]{}:"):
        return False  # PyYAML (YAML 1.1) rejects ':' inside flow plain scalars
    node = yaml.compose(f"k: {value}\n", Loader=yaml.SafeLoader)
    scalar = node.value[0][1] if node is not None else None
    return (
        isinstance(scalar, yaml.ScalarNode)
        and scalar.value == value
        and scalar.tag == "tag:yaml.org,2002:str"
    )


def plan_spans(text: str, edits: Sequence[ScalarEdit]) -> list[Span]:
    """The text replacements that make ``edits`` (sorted by position; nothing verified yet)."""
    located: dict[tuple[int, int], _Located] = {}
    for shift, piece in _pieces(text):
        for found in _scalars(_compose(piece), shift, text):
            start = found.node.start_mark.index + shift
            located.setdefault(_line_col(text, start), found)
    spans: dict[int, Span] = {}
    for edit in edits:
        spot = located.get((edit.line, edit.column))
        if spot is None or spot.node.value != edit.old:
            raise EditRefused(
                f"no scalar {edit.old!r} starts here (the file changed?)", edit.line, edit.column
            )
        found = spot
        try:
            new_text = render(found.node, edit.new, flow=found.flow)
        except EditRefused as exc:
            raise EditRefused(exc.reason, edit.line, edit.column) from None
        previous = spans.get(found.start)
        if previous is not None and previous.text != new_text:
            raise EditRefused("two different edits of one scalar", edit.line, edit.column)
        spans[found.start] = Span(found.start, found.end, new_text)
    return sorted(spans.values(), key=lambda span: span.start)


def apply_spans(text: str, spans: Sequence[Span]) -> str:
    out: list[str] = []
    at = 0
    for span in spans:
        out.append(text[at : span.start])
        out.append(span.text)
        at = span.end
    out.append(text[at:])
    return "".join(out)


def edit_bytes(data: bytes, edits: Sequence[ScalarEdit]) -> bytes:
    """``data`` (UTF-8, optional BOM) with ``edits`` made and verified; raises EditRefused."""
    if not edits:
        return data
    bom = BOM if data.startswith(BOM) else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError:
        raise EditRefused("not UTF-8") from None
    spans = plan_spans(text, edits)
    new_text = apply_spans(text, spans)
    verify(text, new_text, edits)
    return bom + new_text.encode("utf-8")


def verify(old_text: str, new_text: str, edits: Sequence[ScalarEdit]) -> None:
    """Raise :class:`EditRefused` unless ``new_text`` parses to ``old_text``'s tree with
    exactly the edited scalars changed to their new values."""
    wanted = {(edit.line, edit.column): edit.new for edit in edits}
    old_pieces = _pieces(old_text)
    new_pieces = _pieces(new_text)
    if len(old_pieces) != len(new_pieces):
        raise EditRefused("the edit changed the documents of the file")
    for (old_shift, old_piece), (_, new_piece) in zip(old_pieces, new_pieces, strict=True):
        _same(_compose(old_piece), _compose(new_piece), old_shift, old_text, wanted)


def _same(
    old: yaml.Node | None,
    new: yaml.Node | None,
    shift: int,
    text: str,
    wanted: dict[tuple[int, int], str],
) -> None:
    import yaml

    stack: list[tuple[yaml.Node | None, yaml.Node | None]] = [(old, new)]
    seen: set[int] = set()
    while stack:
        a, b = stack.pop()
        if a is None or b is None:
            if a is not b:
                raise EditRefused("the edit changed the document structure")
            continue
        if id(a) in seen:
            continue
        seen.add(id(a))
        where = _line_col(text, a.start_mark.index + shift)
        edited = isinstance(a, yaml.ScalarNode) and where in wanted
        # An edited scalar becomes a string whatever it was (`tag: 7` -> `tag: 7@sha256:...`).
        if type(a) is not type(b) or (b.tag != STR_TAG if edited else a.tag != b.tag):
            raise EditRefused("the edit changed the type of a value", *where)
        if isinstance(a, yaml.ScalarNode):
            expected = wanted.get(where, a.value)
            if b.value != expected:
                raise EditRefused(
                    f"the edit would read back as {b.value!r}, not {expected!r}", *where
                )
        elif isinstance(a, yaml.SequenceNode):
            if len(a.value) != len(b.value):
                raise EditRefused("the edit changed a list")
            stack.extend(zip(a.value, b.value, strict=True))
        elif isinstance(a, yaml.MappingNode):
            if len(a.value) != len(b.value):
                raise EditRefused("the edit changed a mapping")
            for (ka, va), (kb, vb) in zip(a.value, b.value, strict=True):
                stack.append((ka, kb))
                stack.append((va, vb))
