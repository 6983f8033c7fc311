"""Values files as Helm 4.1.4 reads them: every YAML document, merged.

Helm's ``loader.LoadValues`` (``pkg/chart/v2/loader/load.go``, used for a chart's values.yaml
and for ``-f`` files alike) splits the text with Kubernetes' ``YAMLReader`` and merges the
documents in order with ``MergeMaps``: a later document's value wins, and two mappings under
the same key are merged recursively. So images in the second document of a values file are as
real as those in the first, and a key overridden by a later document is dead.

The splitter works on lines, like Kubernetes': a line starting with ``---`` ends a document when
the rest of it is blank or a comment, and is an error otherwise ("invalid Yaml document
separator"). Each piece is then decoded like ``yaml.Unmarshal`` into a map: only its first YAML
document counts (text after a ``...`` marker is ignored), an empty or ``null`` piece is an empty
map, and anything but a mapping is an error (Helm refuses to load the chart).

:func:`compose_values` returns one node tree whose nodes keep their own marks, so findings point
at the line of the document they came from.
"""

from __future__ import annotations

from resolver.chart.yamlnodes import MappingNode, Node, ScalarNode
from resolver.errors import InputError

_SEPARATOR = "---"


def split_documents(text: str, display: str) -> list[tuple[int, str]]:
    """``(first line index, piece)`` per document, separator lines dropped.

    Each piece is padded with blank lines so that its line numbers are the file's.
    """
    if not text.startswith(_SEPARATOR) and "\n" + _SEPARATOR not in text:
        return [(0, text)]
    lines = text.split("\n")
    pieces: list[tuple[int, str]] = []
    start = 0
    for number, line in enumerate(lines):
        if not line.startswith(_SEPARATOR):
            continue
        rest = line[len(_SEPARATOR) :].strip()
        if rest and not rest.startswith("#"):
            raise InputError(
                display,
                f"invalid YAML document separator: {rest} (Helm splits documents on lines "
                "that are only '---' or '---' and a comment)",
                line=number + 1,
                column=1,
            )
        if number > start:
            pieces.append((start, "\n" * start + "\n".join(lines[start:number])))
        start = number + 1
    if start < len(lines):
        pieces.append((start, "\n" * start + "\n".join(lines[start:])))
    return pieces


def compose_values(text: str, display: str) -> MappingNode | None:
    """The merged node tree of a values file (``None`` when every document is empty).

    Raises :class:`InputError` for invalid YAML, a bad separator, or a document that is not a
    mapping (each with its line).
    """
    from resolver.chart.yaml11 import compose_first

    documents: list[MappingNode] = []
    pieces = split_documents(text, display)
    for index, (_, piece) in enumerate(pieces, start=1):
        node = compose_first(piece, display)
        if node is None or _is_null(node):
            continue
        if not isinstance(node, MappingNode):
            kind = "a list" if not isinstance(node, ScalarNode) else "a scalar"
            where = f"document {index}" if len(pieces) > 1 else "the document"
            raise InputError(
                display,
                f"{where} is {kind}, not a mapping: Helm cannot load these values",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        documents.append(node)
    if not documents:
        return None
    merged = documents[0]
    try:
        for document in documents[1:]:
            merged = merge(merged, document)
    except RecursionError:
        raise InputError(display, "values nested too deeply to merge its documents") from None
    return merged


def _is_null(node: Node) -> bool:
    if not isinstance(node, ScalarNode):
        return False
    from resolver.chart.yaml11 import resolve_scalar

    return resolve_scalar(node) is None


def merge(base: MappingNode, override: MappingNode) -> MappingNode:
    """Helm's ``MergeMaps(base, override)`` on node trees: a new mapping, inputs untouched."""
    entries: dict[object, tuple[Node, Node]] = {}
    for key, value in base.value:
        entries[_key(key)] = (key, value)
    for key, value in override.value:
        ident = _key(key)
        old = entries.get(ident)
        if isinstance(value, MappingNode) and old is not None and isinstance(old[1], MappingNode):
            entries[ident] = (key, merge(old[1], value))
        else:
            entries[ident] = (key, value)
    return MappingNode(list(entries.values()), base.start_mark, base.tag)


def _key(node: Node) -> object:
    """The Go map key a YAML key becomes (``1`` and ``"1"`` are the same key in Helm)."""
    if isinstance(node, ScalarNode):
        from resolver.chart.yaml11 import go_map_key, resolve_scalar

        try:
            return go_map_key(resolve_scalar(node))
        except (TypeError, ValueError):
            pass
    return ("node", id(node))
