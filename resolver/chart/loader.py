"""Load Chart.yaml and Chart.lock into :mod:`resolver.chart.models`, the way Helm 4 does.

Helm parses with sigs.k8s.io/yaml: go-yaml v2 (YAML 1.1) into ``interface{}``, conversion
into the target struct's field types, then ``encoding/json`` with case-insensitive field names.
For Chart.yaml, ``Dependency.Validate`` then sanitises name, version, repository, condition and
tags. Every value keeps the line and column it came from.
"""

from __future__ import annotations

import math
from pathlib import Path

from resolver.chart.models import DEPENDENCY_FIELDS, Chart, Dependency, Lock, Mark
from resolver.chart.yaml11 import (
    compose,
    go_map_key,
    go_string,
    read_text,
    resolve_scalar,
    sanitize,
)
from resolver.chart.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode
from resolver.chart.yamlnodes import Mark as YamlMark
from resolver.errors import InputError
from resolver.util.lazyre import LazyPattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_STRING_FIELDS = ("name", "version", "repository", "condition", "alias")
_RFC3339_RE = LazyPattern(  # compiled on first use: only a Chart.lock needs it
    globals(),
    "_RFC3339_RE",
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[-+][0-9]{2}:[0-9]{2})",
)
_TYPE_NAMES: dict[type[Node], str] = {
    MappingNode: "a mapping",
    SequenceNode: "a list",
}


def _error(display: str, node: Node, message: str) -> InputError:
    """A one-line error naming the file and the node's 1-based line and column."""
    return InputError(
        display, message, line=node.start_mark.line + 1, column=node.start_mark.column + 1
    )


def _mark(node: Node, display: str) -> Mark:
    return Mark(display, node.start_mark.line + 1, node.start_mark.column + 1)


def _kind(node: Node) -> str:
    return _TYPE_NAMES.get(type(node), "a scalar")


def _fields(node: MappingNode, names: tuple[str, ...]) -> dict[str, Node]:
    """Known fields of a mapping, matched case-insensitively like encoding/json.

    sigs.k8s.io/yaml goes through a JSON object whose keys are sorted, so when two keys match
    the same field (``name`` and ``Name``) the one sorting last wins.
    """
    wanted = {n.lower(): n for n in names}
    matches: list[tuple[bytes, str, Node]] = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            continue
        try:
            text = go_map_key(resolve_scalar(key))
        except ValueError:
            continue
        field = wanted.get(text.lower())
        if field is not None:
            matches.append((text.encode("utf-8", "surrogatepass"), field, value))
    matches.sort(key=lambda item: item[0])
    return {field: value for _, field, value in matches}


def _unknown_keys(node: MappingNode, names: tuple[str, ...]) -> dict[str, Node]:
    known = {n.lower() for n in names}
    out: dict[str, Node] = {}
    for key, value in node.value:
        if isinstance(key, ScalarNode):
            text = str(key.value)
            if text.lower() not in known:
                out[text] = value
    return out


def _scalar_string(node: Node, display: str, what: str) -> str:
    if not isinstance(node, ScalarNode):
        raise _error(display, node, f"{what} must be a string, not {_kind(node)}")
    value = resolve_scalar(node)
    try:
        return go_string(value)
    except TypeError:  # pragma: no cover - scalars always resolve to str/int/float/bool/None
        raise InputError(
            display, f"{what} has an unsupported value", line=node.start_mark.line + 1
        ) from None


def _to_json_value(node: Node, display: str) -> Any:
    if isinstance(node, ScalarNode):
        value = resolve_scalar(node)
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise _error(
                display,
                node,
                f"{node.value!r} cannot be hashed (Go's encoding/json rejects NaN and Inf)",
            )
        return value
    if isinstance(node, SequenceNode):
        return [_to_json_value(item, display) for item in node.value]
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key, value in node.value:
            try:
                name = go_map_key(_to_json_value(key, display))
            except (ValueError, TypeError):
                raise _error(display, key, "unsupported map key type") from None
            out[name] = _to_json_value(value, display)
        return out
    return None


def _dependency(node: Node, display: str, index: int, *, chart_yaml: bool) -> Dependency:
    what = f"dependencies[{index}]"
    if isinstance(node, ScalarNode) and resolve_scalar(node) is None:
        raise _error(display, node, f"{what}: dependencies must not contain empty or null nodes")
    if not isinstance(node, MappingNode):
        raise _error(display, node, f"{what} must be a mapping, not {_kind(node)}")
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    marks: dict[str, Mark] = {"-": _mark(node, display)}
    source: dict[str, str] = {}
    quoted: set[str] = set()
    fields = _fields(node, DEPENDENCY_FIELDS)
    for name, value in fields.items():
        marks[name] = _mark(value, display)
        if isinstance(value, ScalarNode):
            source[name] = value.value
            if value.style not in (None, ""):
                quoted.add(name)
        if name in _STRING_FIELDS:
            text = _scalar_string(value, display, f"{what}.{name}")
            if chart_yaml and name != "alias":
                text = sanitize(text)
            values[name] = text
        elif name == "tags":
            values["tags"] = _string_list(value, display, f"{what}.tags", sanitize_items=chart_yaml)
        elif name == "enabled":
            values["enabled"] = _bool(value, display, f"{what}.enabled")
        elif name == "import-values":
            if isinstance(value, ScalarNode) and resolve_scalar(value) is None:
                values["import_values"] = []
            elif not isinstance(value, SequenceNode):
                raise _error(
                    display, value, f"{what}.import-values must be a list, not {_kind(value)}"
                )
            else:
                values["import_values"] = [_to_json_value(item, display) for item in value.value]
    for key, value in _unknown_keys(node, DEPENDENCY_FIELDS).items():
        extra[key] = _to_json_value(value, display)
        marks.setdefault(key, _mark(value, display))
        if isinstance(value, ScalarNode):
            source[key] = value.value
    return Dependency(
        **values,
        extra=extra,
        present=frozenset(fields),
        source=source,
        quoted=frozenset(quoted),
        marks=marks,
        index=index,
    )


def _string_list(node: Node, display: str, what: str, *, sanitize_items: bool) -> list[str]:
    if isinstance(node, ScalarNode) and resolve_scalar(node) is None:
        return []
    if not isinstance(node, SequenceNode):
        raise _error(display, node, f"{what} must be a list of strings, not {_kind(node)}")
    items = [_scalar_string(item, display, what) for item in node.value]
    return [sanitize(item) for item in items] if sanitize_items else items


def _bool(node: Node, display: str, what: str) -> bool:
    value = resolve_scalar(node) if isinstance(node, ScalarNode) else node
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _error(display, node, f"{what} must be a boolean")
    return value


def _dependencies(node: Node | None, display: str, *, chart_yaml: bool) -> list[Dependency] | None:
    if node is None:
        return None
    if isinstance(node, ScalarNode) and resolve_scalar(node) is None:
        return None
    if not isinstance(node, SequenceNode):
        raise _error(display, node, f"dependencies must be a list, not {_kind(node)}")
    return [
        _dependency(item, display, i, chart_yaml=chart_yaml) for i, item in enumerate(node.value)
    ]


def _root_mapping(text: str, display: str, what: str, *, allow_empty: bool = False) -> MappingNode:
    root = compose(text, display)
    if root is None or (
        allow_empty and isinstance(root, ScalarNode) and resolve_scalar(root) is None
    ):
        if allow_empty:  # Helm unmarshals an empty document into the zero value
            return MappingNode([], YamlMark(0, 0))
        raise InputError(display, f"{what} is empty")
    if not isinstance(root, MappingNode):
        raise _error(display, root, f"{what} must be a mapping, not {_kind(root)}")
    return root


def load_chart(path: Path, display: str | None = None) -> Chart:
    """Load a Chart.yaml (``path`` is the file)."""
    shown = display or str(path)
    return parse_chart(read_text(path, shown), path, shown)


def parse_chart(text: str, path: Path, display: str) -> Chart:
    root = _root_mapping(text, display, "Chart.yaml")
    fields = _fields(root, ("apiVersion", "name", "version", "appVersion", "dependencies"))
    values: dict[str, str] = {}
    for name, attr in (
        ("apiVersion", "api_version"),
        ("name", "name"),
        ("version", "version"),
        ("appVersion", "app_version"),
    ):
        node = fields.get(name)
        if node is not None:
            values[attr] = _scalar_string(node, display, name)
    return Chart(
        path=path,
        **values,
        dependencies=_dependencies(fields.get("dependencies"), display, chart_yaml=True),
        marks={name: _mark(node, display) for name, node in fields.items()},
        display_path=display,
    )


def load_requirements(path: Path, display: str) -> tuple[list[Dependency] | None, Mark | None]:
    """The ``dependencies`` of a requirements.yaml, and the mark of that key (None if absent)."""
    root = _root_mapping(read_text(path, display), display, "requirements.yaml", allow_empty=True)
    node = _fields(root, ("dependencies",)).get("dependencies")
    if node is None:
        return None, None
    return _dependencies(node, display, chart_yaml=True), _mark(node, display)


def load_lock(path: Path, display: str | None = None) -> Lock:
    """Load a Chart.lock (or requirements.lock)."""
    shown = display or str(path)
    return parse_lock(read_text(path, shown), path, shown)


def parse_lock(text: str, path: Path, display: str) -> Lock:
    root = _root_mapping(text, display, "Chart.lock", allow_empty=True)
    fields = _fields(root, ("generated", "digest", "dependencies"))
    digest = fields.get("digest")
    generated = fields.get("generated")
    return Lock(
        path=path,
        digest="" if digest is None else _scalar_string(digest, display, "digest"),
        generated="" if generated is None else _generated(generated, display),
        dependencies=_dependencies(fields.get("dependencies"), display, chart_yaml=False),
        marks={name: _mark(node, display) for name, node in fields.items()},
        display_path=display,
        text=text,
    )


def _generated(node: Node, display: str) -> str:
    """``generated`` is a Go time.Time: Helm refuses to load a lock whose time does not parse."""
    value = resolve_scalar(node) if isinstance(node, ScalarNode) else node
    if value is None:
        return ""
    if not isinstance(value, str) or not _RFC3339_RE.fullmatch(value):
        shown = node.value if isinstance(node, ScalarNode) else _kind(node)
        raise _error(
            display, node, f"cannot load Chart.lock: generated {shown!r} is not an RFC 3339 time"
        )
    return value
