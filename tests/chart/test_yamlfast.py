"""The fast composer against libyaml: the same tree (values, styles, tags, marks) or a refusal.

``resolver.chart.yamlfast`` may refuse any text (PyYAML then composes it); what it must never do is
accept a text and build a tree that differs from the one libyaml builds, or accept a text that
libyaml rejects. Checked on every YAML file in fixtures/ and on generated documents full of
the places where block YAML is subtle (folding, chomping, indentation, comments, indicators).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver.chart import yamlfast
from resolver.chart.yaml11 import compose as compose_any
from resolver.chart.yamlnodes import (
    STR_TAG,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    from_pyyaml,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def shape(node: Node | None) -> Any:
    if node is None:
        return None
    mark = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, ScalarNode):
        return ("scalar", node.value, node.style, node.tag, mark)
    if isinstance(node, SequenceNode):
        return ("seq", mark, [shape(item) for item in node.value])
    assert isinstance(node, MappingNode)
    return ("map", mark, [(shape(k), shape(v)) for k, v in node.value])


def libyaml(text: str) -> Any:
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return "error"
    return shape(from_pyyaml(node)) if node is not None else None


def verdict(text: str) -> str:
    """'refused', 'same', or a description of the disagreement."""
    fast = yamlfast.compose(text)
    if fast is yamlfast.UNSUPPORTED:
        return "refused"
    expected = libyaml(text)
    if expected == "error":
        return "accepted a text libyaml rejects"
    got = shape(fast)  # type: ignore[arg-type]
    return "same" if got == expected else f"differs:\nfast:    {got}\nlibyaml: {expected}"


def fixture_files() -> list[Path]:
    patterns = ("*.yaml", "*.yml", "*.lock")
    return sorted({p for pattern in patterns for p in FIXTURES.rglob(pattern)})


def test_libyaml_is_available() -> None:
    # The reference of these tests; without it they would compare PyYAML with itself.
    assert hasattr(yaml, "CSafeLoader")


def test_every_fixture_file_composes_as_libyaml_does() -> None:
    files = fixture_files()
    assert len(files) > 2500
    counts = {"same": 0, "refused": 0}
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
        result = verdict(text)
        assert result in counts, f"{path}: {result}"
        counts[result] += 1
    # Refusals are only a fallback: nearly every real file takes the fast path.
    assert counts["same"] / len(files) > 0.9, counts


def test_every_corpus_chart_file_takes_the_fast_path() -> None:
    charts = sorted((FIXTURES / "corpus").rglob("Chart.yaml"))
    locks = sorted((FIXTURES / "corpus").rglob("Chart.lock"))
    assert len(charts) == len(locks) == 1226
    refused = [
        p for p in charts + locks if verdict(p.read_text("utf-8").removeprefix("\ufeff")) != "same"
    ]
    assert refused == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\n", "same"),
        ("a:\n- 1\n- 2\nb: x\n", "same"),
        ("- a: 1\n  b: 2\n- c\n", "same"),
        ("a: |\n  x\n\n  y\n\n", "same"),
        ("a: >-\n  x\n  y\n\n   z\n  w\n", "same"),
        ("a: |+\n  x\n\n\nb: 1\n", "same"),
        ("a: text\n  goes on\n\n  and on # c\nb: 1\n", "same"),
        ("a: [x, 'y', \"z\\u00e9\"]\n", "same"),
        ("'a''b': \"c\\td\"\n", "same"),
        ("---\na: 1\n", "same"),
        ("# only a comment\n", "same"),
        ("a:\n", "same"),
        ("a: &x 1\nb: *x\n", "refused"),
        ("a: !!str 1\n", "refused"),
        ("a: {b: 1}\n", "refused"),
        ("a:\tb\n", "refused"),
        ("a: 1\r\nb: 2\r\n", "refused"),
        ("a: b: c\n", "refused"),
        ("a: 1\n  b: 2\n", "refused"),
        ("a:\n  - 1\n  b: 2\n", "refused"),
        ("a: 'unterminated\n", "refused"),
        ("a: 1\n---\nb: 2\n", "refused"),
        ("---\n---\na: 1\n", "refused"),
        ("---\n", "refused"),
        ("just a scalar\n", "refused"),
        ("a: |2\n   x\n", "refused"),
        ("a: [x,\n  y]\n", "refused"),
        ("a: @x\n", "refused"),
        # Empty flow mappings: nearly every real values file has 'annotations: {}'.
        ("a: {}\n", "same"),
        ("a: { }\nb: 1\n", "same"),
        ("a: {} # c\n", "same"),
        ("- {}\n- x\n", "same"),
        ("{}\n", "same"),
        ("a:\n  b: {}\n  c:\n    - {}\n", "same"),
        ("a: {}x\n", "refused"),
        ("a: {} x\n", "refused"),
        ("a: {}#c\n", "refused"),
        ("a: {\n", "refused"),
        ("a: { b }\n", "refused"),
        ("a: {}\n  b: 1\n", "refused"),
        ("{}: a\n", "refused"),
        # Colons: only one followed by a space or the line's end ends a key.
        ("a::b: c\n", "same"),
        ("a:: c\n", "same"),
        ("a :: c\n", "same"),
        ("http://x: y\n", "same"),
        ("a: b:c:d\n", "same"),
        ("a: b::\n", "refused"),
        ("a #b: c\n", "refused"),
        ("a: b #c: d\n", "same"),
        # Document markers found anywhere in the text, not only on the first line.
        ("# c\n---\na: 1\n", "same"),
        ("--- # c\na: 1\n", "refused"),
        ("a: 1\n...\n", "refused"),
        ("a: 1\n....\n", "refused"),
        ("a:\n  ---x\n", "same"),
        ("a: 1\n%x\n", "refused"),
        ("a: 1\n \x85\n", "refused"),
        # Characters Python does not call printable but YAML reads as content.
        ("a: b\xa0c\n# \u202f\u200b\n", "same"),
        ("\xa0a: b\n", "same"),
        ("a: \xa0\n", "same"),
        ("a: b\u2028c\n", "refused"),
        ("a: b\u2029c\n", "refused"),
        ("a: b\ufeffc\n", "refused"),
        ("a: b\x7f\n", "refused"),
        ("a: b\rc\n", "refused"),
    ],
)
def test_known_documents(text: str, expected: str) -> None:
    assert verdict(text) == expected


# -- generated documents -------------------------------------------------------------------

# Values that keep a document valid, mostly: most generated documents should reach the fast path.
_VALID = [
    "a",
    "a b",
    "a:b",
    "a #b",
    "a# b",
    "y",
    "1.10",
    "~",
    "-1",
    "?x",
    ":x",
    "'q''s'",
    "'x' #c",
    '"e\\"s\\n\\x41\\u00e9 \\/"',
    "[a, 'b', \"c\"]",
    "[]",
    "{}",
    "{ }",
    "{} #c",
    "a::b",
    "b:c:",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    ">+",
    "| #c",
    "",
    "x ",
    "a  b",
    "oci://r.io/x",
    "^1.2.3 || >=2",
    "é",
]
# ... and the rest: invalid values, values outside the fast subset, rarer spellings.
_SCALARS = [
    *_VALID,
    "a:",
    "a: b",
    "- x",
    "-",
    "? x",
    "@x",
    "`x",
    "%x",
    "&a x",
    "*a",
    "!!str x",
    "!x",
    "'q",
    '"bad\\q"',
    '"x" y',
    "[a, b]",
    "[ ]",
    "[a,]",
    "[a, [b]]",
    "[a: b]",
    "{a: b}",
    "{",
    "{}}",
    "{} x",
    "{}#c",
    "|2",
    "|#c",
    "> x",
    "#c",
    " ",
    "\xa0x",
    "a\tb",
    "---",
    "...",
]


def _scalar(rng: random.Random) -> str:
    return rng.choice(_VALID if rng.random() < 0.85 else _SCALARS)


_KEYS = ["k", "key", "a b", "'q'", '"d"', "y", "1", "k ", "-k", "?k", ":k", "k:k", "[k]", "&k k"]


def _block_lines(rng: random.Random, indent: int) -> list[str]:
    """Content lines for a block scalar or a plain continuation: indentation varies."""
    out = []
    for _ in range(rng.randint(0, 4)):
        kind = rng.random()
        if kind < 0.2:
            out.append("")
        elif kind < 0.3:
            out.append(" " * rng.randint(1, indent + 3))
        else:
            extra = rng.choice([0, 0, 0, 1, 2, -1, -2])
            out.append(" " * max(indent + extra, 0) + _scalar(rng))
    return out


def _node(rng: random.Random, indent: int, depth: int) -> list[str]:
    """Lines of a block collection at ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    sequence = rng.random() < 0.4
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(_KEYS) if rng.random() < 0.2 else rng.choice(["k", "key", "a b", "'q'"])
        head = pad + ("- " if sequence else key + ": ")
        if rng.random() < 0.1:
            lines.append(pad + "# " + _scalar(rng))
        if depth < 3 and rng.random() < 0.35:
            # A nested collection: on the next lines, or compact after "- ".
            if sequence and rng.random() < 0.4:
                child = _node(rng, indent + 2, depth + 1)
                lines.append(head + child[0].lstrip(" "))
                lines.extend(child[1:])
            else:
                lines.append(head.rstrip(" ") + rng.choice(["", " # c", " "]))
                child_indent = indent + rng.choice([0, 1, 2, 2, 2, 4])
                lines.extend(_node(rng, child_indent, depth + 1))
        else:
            value = _scalar(rng)
            lines.append(head + value)
            if rng.random() < 0.4:
                lines.extend(_block_lines(rng, indent + rng.choice([1, 2, 4])))
        if rng.random() < 0.1:
            lines.append(rng.choice(["", " ", pad + "  # c"]))
    return lines


def random_document(rng: random.Random) -> str:
    lines = _node(rng, rng.choice([0, 0, 0, 1, 2]), 0)
    if rng.random() < 0.1:
        lines.insert(0, rng.choice(["---", "# c", "", "--- # c", "%YAML 1.1\n---", "---\n---"]))
    if rng.random() < 0.05:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["---", "...", "--- x"]))
    text = "\n".join(lines)
    return text + rng.choice(["\n", "", "\n\n", "\n  \n"])


@pytest.mark.parametrize("seed", range(8))
def test_generated_documents_compose_as_libyaml_does(seed: int) -> None:
    rng = random.Random(seed)
    counts = {"same": 0, "refused": 0}
    for _ in range(1500):
        text = random_document(rng)
        result = verdict(text)
        assert result in counts, f"{text!r}: {result}"
        counts[result] += 1
    # The generator is meant to reach the fast path, not only its refusals.
    assert counts["same"] > 200, counts


def test_compose_falls_back_to_pyyaml_for_the_rest() -> None:
    node = compose_any("a: &x [1, 2]\nb: *x\n", "t.yaml")
    assert isinstance(node, MappingNode)
    first, second = node.value[0][1], node.value[1][1]
    assert first is second  # an alias stays one node after conversion
    assert isinstance(first, SequenceNode)
    assert [n.value for n in first.value if isinstance(n, ScalarNode)] == ["1", "2"]
    assert len(first.value) == 2


# -- real values files and hypothesis ------------------------------------------------------

SHARED_VALUES = ROOT.parent / "shared" / "data" / "corpus" / "values"


def test_every_shipped_values_file_takes_the_fast_path() -> None:
    # Real values files are the bulk of what `chartlock lint` reads (tens of KB each, issue 14):
    # the fast path must hold them (a refusal costs a PyYAML compose and a tree conversion).
    files = sorted((FIXTURES / "corpus-lint" / "values").rglob("values.yaml"))
    assert len(files) == 40
    verdicts = {p.name + str(i): verdict(p.read_text("utf-8")) for i, p in enumerate(files)}
    assert [v for v in verdicts.values() if v != "same"] == []


@pytest.mark.skipif(not SHARED_VALUES.is_dir(), reason="the shared research corpus is absent")
def test_every_research_corpus_values_file_composes_as_libyaml_does() -> None:
    files = sorted(SHARED_VALUES.rglob("*.yaml"))
    assert len(files) >= 270
    counts = {"same": 0, "refused": 0}
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
        result = verdict(text)
        assert result in counts, f"{path}: {result}"
        counts[result] += 1
    assert counts["same"] / len(files) > 0.9, counts


# Pieces of lines: indentation, indicators, keys and values chosen to hit the places where the
# fast subset ends (flow collections, colons, comments, markers) as well as its common case.
_PIECES = [
    "a",
    "b c",
    "k:",
    "k: ",
    ": ",
    ":",
    "::",
    "- ",
    "-",
    "# c",
    " #",
    "#",
    "{}",
    "{ }",
    "{",
    "}",
    "[]",
    "[a, b]",
    "[",
    "]",
    ",",
    "'q'",
    "'",
    '"d"',
    '"',
    "|",
    ">-",
    "&x ",
    "*x",
    "!t ",
    "?",
    "? ",
    "---",
    "...",
    "%",
    "http://x",
    "1.0",
    "~",
    "\xa0",
    "\u200b",
    "\u3000",
    "\x85",
    "\u2028",
    " ",
    "  ",
]
_line = st.builds(
    lambda indent, parts: " " * indent + "".join(parts),
    st.sampled_from([0, 0, 1, 2, 2, 4]),
    st.lists(st.sampled_from(_PIECES), min_size=0, max_size=5),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_line, min_size=1, max_size=8), end=st.sampled_from(["\n", "", "\n\n"]))
def test_hypothesis_documents_compose_as_libyaml_does_or_are_refused(
    lines: list[str], end: str
) -> None:
    text = "\n".join(lines) + end
    assert verdict(text) in ("same", "refused"), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keys=st.lists(st.sampled_from(["k", "a b", "a::b", "x:y", "\xa0k"]), min_size=1, max_size=5),
    values=st.lists(
        st.sampled_from(["{}", "{ }", "{} # c", "v", "a:b", "[]", "[x]", "1"]), min_size=1
    ),
    indent=st.sampled_from([0, 2]),
)
def test_hypothesis_values_like_mappings_take_the_fast_path(
    keys: list[str], values: list[str], indent: int
) -> None:
    # The shape of real values files: nested mappings with empty flow mappings as values.
    pad = " " * indent
    lines = ["top:"] + [f"{pad}{k}{i}: {values[i % len(values)]}" for i, k in enumerate(keys)]
    if indent == 0:
        lines = lines[1:]
    assert verdict("\n".join(lines) + "\n") == "same"


# -- the PyYAML conversion (the fallback path) ---------------------------------------------


def pyyaml_shape(node: Any) -> Any:
    """The shape of a PyYAML tree read directly (recursively), the reference for from_pyyaml."""
    mark = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.value, node.style or "", node.tag, mark)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", mark, [pyyaml_shape(item) for item in node.value])
    return ("map", mark, [(pyyaml_shape(k), pyyaml_shape(v)) for k, v in node.value])


def test_from_pyyaml_keeps_every_value_style_tag_and_mark_of_every_fixture() -> None:
    checked = 0
    for path in fixture_files():
        text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
        try:
            node = yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue
        if node is None:
            continue
        assert shape(from_pyyaml(node)) == pyyaml_shape(node), path
        checked += 1
    assert checked > 2500


def test_from_pyyaml_converts_tagged_anchored_and_flow_documents() -> None:
    text = "a: &x !!str 1\nb: *x\nc: {d: [1, 'e', {f: g}]}\nh: &s [1]\ni: *s\nj: !t x\n"
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    converted = from_pyyaml(node)
    assert shape(converted) == pyyaml_shape(node)
    assert isinstance(converted, MappingNode)
    values = [v for _, v in converted.value]
    assert values[0] is values[1]  # an aliased scalar stays one node
    assert values[3] is values[4]  # and so does an aliased sequence
    assert isinstance(values[5], ScalarNode) and values[5].tag == "!t"


def test_from_pyyaml_converts_a_scalar_document() -> None:
    node = yaml.compose("--- 'text'\n", Loader=yaml.CSafeLoader)
    converted = from_pyyaml(node)
    assert isinstance(converted, ScalarNode)
    assert (converted.value, converted.style, converted.tag) == ("text", "'", STR_TAG)
    assert (converted.start_mark.line, converted.start_mark.column) == (0, 4)


def test_from_pyyaml_refuses_a_cycle_and_survives_deep_nesting() -> None:
    at = yaml.Mark("t", 0, 0, 0, None, None)  # type: ignore[arg-type]  # no buffer: PyYAML allows None
    key = yaml.ScalarNode("tag:yaml.org,2002:str", "k", at, at)
    loop = yaml.MappingNode("tag:yaml.org,2002:map", [], at, at)
    loop.value.append((key, loop))
    with pytest.raises(ValueError, match="recursive alias"):
        from_pyyaml(loop)
    deep: Any = yaml.ScalarNode("tag:yaml.org,2002:str", "leaf", at, at)
    for _ in range(20_000):  # far beyond the Python recursion limit
        deep = yaml.SequenceNode("tag:yaml.org,2002:seq", [deep], at, at)
    converted = from_pyyaml(deep)
    for _ in range(20_000):
        assert isinstance(converted, SequenceNode)
        converted = converted.value[0]
    assert isinstance(converted, ScalarNode) and converted.value == "leaf"
