"""YAML as Helm reads it: go-yaml v2 (YAML 1.1) resolution on top of a YAML composer.

:mod:`resolver.chart.yamlfast` composes the node tree (with marks) for plain block YAML, PyYAML for
everything else (:mod:`resolver.chart.yamlnodes`); this module resolves plain scalars the way
``go.yaml.in/yaml/v2`` does (``y``/``on`` are booleans, ``010`` is 8, ``1e3`` is a float, ``1:30``
is a string) and converts values into Go ``string`` fields the way ``sigs.k8s.io/yaml`` does
(``1.10`` becomes ``"1.1"``). It also guards against hostile input: size limits, non-UTF-8
bytes, duplicate keys and alias bombs, each reported as a one-line :class:`InputError`.
"""

from __future__ import annotations

import math
import os
import re
import struct
import unicodedata
from pathlib import Path

from resolver.chart.yamlnodes import STR_TAG, MappingNode, Node, ScalarNode, SequenceNode
from resolver.errors import InputError, UnreadableFile
from resolver.util.lazyre import LazyPattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 256  # real chart files nest about 10 levels

_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASE60_RE = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
# Compiled on first use (resolver.util.lazyre): only a scalar with "-" after four characters
# can be a timestamp (every pattern starts with four digits and "-"), which a version such as
# 1.2.3 or 10.20.30 is not; these three cost ~1 ms of every start-up when compiled at import.
_TIMESTAMP_RES = (
    LazyPattern(
        {},
        "",
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,9})?"
        r"(Z|[-+][0-9]{2}:[0-9]{2})",
    ),
    LazyPattern(
        {}, "", r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,9})?"
    ),
    LazyPattern({}, "", r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"),
)
_BOOL_TRUE = frozenset(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"))
_BOOL_FALSE = frozenset(
    ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOATS = {
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
}
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


class GoTimestamp(str):
    """A plain scalar go-yaml reads as a timestamp; Helm keeps its text when decoding."""


def read_text(path: Path, display: str) -> str:
    """Read a file as UTF-8 (a BOM is dropped), refusing directories, huge and binary files."""
    try:
        if path.is_dir():
            raise UnreadableFile(display, "is a directory, expected a file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                display, f"file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})"
            )
        data = path.read_bytes()
    except InputError:
        raise
    except FileNotFoundError:
        if path.is_symlink():
            raise UnreadableFile(
                display, f"is a dangling symlink to {os.readlink(path)!r}"
            ) from None
        raise UnreadableFile(display, "no such file") from None
    except OSError as exc:
        raise UnreadableFile(display, f"cannot read: {exc.strerror or exc}") from None
    return decode(data, display)


def decode(data: bytes, display: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            display,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            line=line,
        ) from None


def compose(text: str, display: str) -> Node | None:
    """Compose one YAML document into nodes; errors become one-line InputErrors.

    Plain block YAML (nearly every chart file) goes through :mod:`resolver.chart.yamlfast`, which
    builds the same tree as libyaml without importing PyYAML; anything else through PyYAML.
    """
    return _composed(text, display, first_only=False)


def compose_first(text: str, display: str) -> Node | None:
    """The first YAML document of ``text``, as go-yaml's ``Unmarshal`` decodes it (what
    follows the first document is not read)."""
    return _composed(text, display, first_only=True)


# The trees of the last few documents composed, for callers that read the same text again
# (lint itself now parses each Chart.yaml and Chart.lock once per chart: see
# resolver.linter.checking; a plugin or a library caller may not). Nobody modifies a composed
# tree, so sharing one is safe; the bound keeps memory flat however many files a run reads
# (only successes are kept: a failing text raises again, with the caller's file name).
_RECENT: dict[tuple[str, bool], Node | None] = {}
_RECENT_MAX = 8


def _composed(text: str, display: str, *, first_only: bool) -> Node | None:
    key = (text, first_only)
    try:
        return _RECENT[key]
    except KeyError:
        pass
    from resolver.chart import yamlfast

    _refuse_deep(text, display)
    node: Node | None
    fast = yamlfast.compose(text)
    if fast is not yamlfast.UNSUPPORTED:
        node = fast  # type: ignore[assignment]
    else:
        node = _compose_pyyaml(text, display, first_only=first_only)
    try:
        if len(_RECENT) >= _RECENT_MAX:
            del _RECENT[next(iter(_RECENT))]
    except (KeyError, RuntimeError, StopIteration):  # another thread evicted it first
        pass
    _RECENT[key] = node
    return node


def _refuse_deep(text: str, display: str) -> None:
    """Before any parser: libyaml crashes on ~100,000 levels, Python code walking the tree
    raises RecursionError on ~1,000 (see resolver.chart.yamldepth)."""
    from resolver.chart.yamldepth import too_deep

    if too_deep(text, MAX_DEPTH):
        raise InputError(display, f"nested more than {MAX_DEPTH} levels deep")


def _compose_pyyaml(text: str, display: str, *, first_only: bool = False) -> Node | None:
    import yaml

    from resolver.chart.yamlnodes import from_pyyaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node: yaml.Node | None
        if first_only:
            node = next(iter(yaml.compose_all(text, Loader=loader)), None)
        else:
            node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            display,
            f"invalid YAML: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(display, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    if node is None:
        return None
    _check_tree(node, display)
    return from_pyyaml(node)


def _check_tree(root: Any, display: str) -> None:
    """Refuse alias bombs: bound the size of a PyYAML tree with every alias expanded.

    Duplicate mapping keys are allowed, as in go-yaml v2's non-strict decoding that Helm uses
    (the last one wins); :func:`duplicate_keys` lists them for the linter.
    """
    import yaml

    count = 0
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise InputError(
                display,
                f"document expands to more than {MAX_NODES} nodes (alias bomb?)",
                line=root.start_mark.line + 1,
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def duplicate_keys(node: MappingNode) -> list[ScalarNode]:
    """Key nodes that repeat an earlier key of the same mapping."""
    seen: set[str] = set()
    out: list[ScalarNode] = []
    for key, _ in node.value:
        if isinstance(key, ScalarNode):
            if key.value in seen:
                out.append(key)
            seen.add(key.value)
    return out


def is_plain(node: ScalarNode) -> bool:
    return not node.style


def resolve_plain(text: str) -> Any:
    """go-yaml v2 ``resolve("", text)`` for a plain scalar."""
    if text in _NULLS:
        return None
    first = text[0]
    if first in "yYnNtTfFoO":
        if text in _BOOL_TRUE:
            return True
        if text in _BOOL_FALSE:
            return False
        return text
    if first == ".":
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
        return _parse_go_float(text) if _FLOAT_RE.fullmatch(text) else text
    if first in "+-" or (first.isdigit() and first.isascii()):
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
        if text[4:5] == "-":
            for pattern in _TIMESTAMP_RES:
                if pattern.fullmatch(text):
                    return GoTimestamp(text)
        plain = text.replace("_", "")
        value = _parse_go_int(plain)
        if value is not None:
            return value
        if _FLOAT_RE.fullmatch(plain):
            return _parse_go_float(plain)
        if plain.startswith(("0b", "-0b")):
            neg = plain.startswith("-")
            digits = plain[3:] if neg else plain[2:]
            if digits and set(digits) <= {"0", "1"}:
                return -int(digits, 2) if neg else int(digits, 2)
    return text


def _parse_go_float(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _parse_go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)``, then ``ParseUint``; ``None`` if neither accepts it."""
    body = text
    neg = False
    if body[:1] in "+-":
        neg = body[0] == "-"
        body = body[1:]
    if not body:
        return None
    base = 10
    digits = body
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        if prefix == "x":
            base, digits = 16, body[2:]
        elif prefix == "b":
            base, digits = 2, body[2:]
        elif prefix == "o":
            base, digits = 8, body[2:]
        else:
            base, digits = 8, body[1:]
    allowed = "0123456789abcdefABCDEF"[: {2: 2, 8: 8, 10: 10, 16: 22}[base]]
    if not digits or any(ch not in allowed for ch in digits):
        return None
    value = int(digits, base)
    if neg:
        value = -value
        return value if value >= _INT64_MIN else None
    if value <= _INT64_MAX:
        return value
    # ParseUint: no sign allowed.
    if text[0] != "+" and value <= _UINT64_MAX:
        return value
    return None


def resolve_scalar(node: ScalarNode) -> Any:
    """The Go value of a scalar node: quoted and block scalars are strings."""
    if not is_plain(node):
        return node.value
    # Only PyYAML's nodes can carry an explicit tag (the fast composer refuses tags).
    if node.resolved_tag == STR_TAG and _explicit_str(node):
        return node.value
    return resolve_plain(node.value)


def _explicit_str(node: ScalarNode) -> bool:
    """A plain scalar tagged ``!!str`` explicitly (PyYAML would not resolve it to str)."""
    from resolver.chart.yamlnodes import implicit_tag

    return implicit_tag(node.value, "") != STR_TAG


def to_python(node: Node) -> Any:
    """Convert a node to Go-ish Python values (maps keep string keys, as sigs.k8s.io/yaml)."""
    if isinstance(node, ScalarNode):
        return resolve_scalar(node)
    if isinstance(node, SequenceNode):
        return [to_python(item) for item in node.value]
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key, value in node.value:
            out[go_map_key(to_python(key))] = to_python(value)
        return out
    return None


def go_map_key(key: Any) -> str:
    """sigs.k8s.io/yaml's conversion of a non-string map key to a JSON object key."""
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return format_float32(key)
    raise ValueError(f"unsupported map key {key!r}")


def go_string(value: Any) -> str:
    """Coerce a YAML value into a Go ``string`` field like sigs.k8s.io/yaml does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float32(value)
    if isinstance(value, str):
        return str(value)
    raise TypeError(type(value).__name__)


def format_float32(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 32)`` (with sigs.k8s.io/yaml's inf/nan names)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    try:
        f32 = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:  # Go's float32 conversion gives +/-Inf
        return ".inf" if value > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1.0, f32) < 0 else "0"
    digits, exp = _shortest_float32_digits(f32)
    return _format_g(digits, exp, negative=f32 < 0)


def _shortest_float32_digits(f32: float) -> tuple[str, int]:
    """Shortest decimal digits that round-trip through float32; returns (digits, exponent)."""
    target = struct.pack("<f", f32)
    for precision in range(1, 10):
        text = f"{abs(f32):.{precision - 1}e}"
        try:
            candidate = struct.pack("<f", float(text))
        except OverflowError:  # rounded past float32's range: needs more digits
            continue
        if candidate == target:
            mantissa, exp_text = text.split("e")
            return mantissa.replace(".", "").rstrip("0") or "0", int(exp_text)
    text = f"{abs(f32):.8e}"
    mantissa, exp_text = text.split("e")
    return mantissa.replace(".", "").rstrip("0") or "0", int(exp_text)


def _format_g(digits: str, exp: int, *, negative: bool) -> str:
    """Go's ``'g'`` layout for shortest digits: ``%e`` when exp < -4 or exp >= 6."""
    from resolver.chart.gojson import layout_digits

    exponent = exp < -4 or exp >= 6
    return layout_digits(digits, exp, negative=negative, exponent=exponent, exp_width=2)


_GO_SPACES = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)


def sanitize(text: str) -> str:
    """Helm's ``sanitizeString``: Go spaces become ' ', non-printable runes are dropped."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in _GO_SPACES:
            out.append(" ")
        elif unicodedata.category(ch)[0] in "LMNPS":
            out.append(ch)
    return "".join(out)
