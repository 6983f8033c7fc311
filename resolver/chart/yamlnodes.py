"""The YAML node tree chartlock works on: scalars, sequences and mappings with their marks.

Both composers produce these nodes: :mod:`resolver.chart.yamlfast` for the block-style subset that
nearly every Chart.yaml and Chart.lock is written in, and PyYAML (libyaml) for everything else,
whose tree :func:`from_pyyaml` converts. The attribute names are PyYAML's (``value``, ``style``,
``tag``, ``start_mark.line``/``.column``, 0-based), so code reads either tree the same way.
This module imports nothing: ``chartlock check`` starts without loading PyYAML.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STR_TAG = "tag:yaml.org,2002:str"
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"


class Mark:
    """A 0-based position in the text, as PyYAML's ``Mark`` (``line``, ``column``)."""

    __slots__ = ("line", "column")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column

    def __repr__(self) -> str:
        return f"Mark(line={self.line}, column={self.column})"


class Node(Mark):
    """A node is its own start mark: ``node.start_mark`` is the node itself (``.line``,
    ``.column``). Real values files make a million nodes per thousand charts; a separate mark
    object per node doubled the objects to allocate, hold and have the garbage collector
    traverse (issue 14)."""

    __slots__ = ()

    def __init__(self, start_mark: Mark) -> None:
        self.line = start_mark.line
        self.column = start_mark.column

    @property
    def start_mark(self) -> Mark:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(line={self.line}, column={self.column})"


class ScalarNode(Node):
    """A scalar; ``style`` is ``""`` for plain, ``'``, ``"``, ``|`` or ``>`` otherwise.

    ``resolved_tag`` is the tag PyYAML gave the node (explicit or implicit) when it came from
    PyYAML, ``None`` when the fast composer made it (it never has an explicit tag). ``tag``
    is PyYAML's resolution either way, computed on first use.
    """

    __slots__ = ("value", "style", "resolved_tag")

    def __init__(
        self, value: str, style: str, start_mark: Mark, resolved_tag: str | None = None
    ) -> None:
        self.line = start_mark.line  # not super().__init__: a call per scalar adds up
        self.column = start_mark.column
        self.value = value
        self.style = style
        self.resolved_tag = resolved_tag

    @property
    def tag(self) -> str:
        if self.resolved_tag is None:
            self.resolved_tag = implicit_tag(self.value, self.style)
        return self.resolved_tag

    def __repr__(self) -> str:
        return f"ScalarNode(value={self.value!r}, style={self.style!r})"


def scalar_at(value: str, style: str, line: int, column: int) -> ScalarNode:
    """``ScalarNode(value, style, Mark(line, column))`` without the transient mark (the fast
    composer's hot path)."""
    node = _new_scalar(ScalarNode)
    node.line = line
    node.column = column
    node.value = value
    node.style = style
    node.resolved_tag = None
    return node


_new_scalar = object.__new__


class SequenceNode(Node):
    __slots__ = ("value", "tag")

    def __init__(self, value: list[Node], start_mark: Mark, tag: str = SEQ_TAG) -> None:
        self.line = start_mark.line
        self.column = start_mark.column
        self.value = value
        self.tag = tag


class MappingNode(Node):
    __slots__ = ("value", "tag")

    def __init__(
        self, value: list[tuple[Node, Node]], start_mark: Mark, tag: str = MAP_TAG
    ) -> None:
        self.line = start_mark.line
        self.column = start_mark.column
        self.value = value
        self.tag = tag


_RESOLVER: list[Any] = []


def implicit_tag(value: str, style: str) -> str:
    """The tag PyYAML's resolver gives an untagged scalar (quoted and block ones are strings)."""
    if style:
        return STR_TAG
    import yaml

    if not _RESOLVER:
        _RESOLVER.append(yaml.resolver.Resolver())
    return str(_RESOLVER[0].resolve(yaml.ScalarNode, value, (True, False)))


def from_pyyaml(root: Any) -> Node:
    """Convert a PyYAML node tree; an alias (the same node reached twice) stays one node.

    The tree must be finite: :func:`resolver.chart.yaml11.compose` refuses recursive aliases before
    converting (a cycle raises ``ValueError`` here).
    """
    import yaml

    scalar_type = yaml.ScalarNode
    done: dict[int, Node] = {}
    open_: set[int] = set()

    def scalar(node: Any) -> Node:
        mark = node.start_mark
        made = scalar_at(node.value, node.style or "", mark.line, mark.column)
        made.resolved_tag = node.tag
        done[id(node)] = made
        return made

    if isinstance(root, scalar_type):
        return scalar(root)
    # Post-order without recursion: deeply nested input must not exhaust the Python stack.
    # Scalars (most nodes) are converted as their collection is first reached, never stacked.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in done:
            continue
        if not expanded:
            if key in open_:
                raise ValueError("recursive alias")
            open_.add(key)
            stack.append((node, True))
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                children = [part for pair in node.value for part in pair]
            for child in children:
                if id(child) in done:
                    continue
                if isinstance(child, scalar_type):
                    scalar(child)
                else:
                    stack.append((child, False))
            continue
        mark = Mark(node.start_mark.line, node.start_mark.column)
        if isinstance(node, yaml.SequenceNode):
            done[key] = SequenceNode([done[id(c)] for c in node.value], mark, node.tag)
        else:
            done[key] = MappingNode(
                [(done[id(k)], done[id(v)]) for k, v in node.value], mark, node.tag
            )
    return done[id(root)]
