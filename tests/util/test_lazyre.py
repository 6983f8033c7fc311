"""resolver.util.lazyre: a pattern compiled on first use, then in place of its stand-in."""

from __future__ import annotations

import re

from resolver.util.lazyre import LazyPattern


def test_compiles_on_first_use_and_replaces_itself() -> None:
    namespace: dict[str, object] = {}
    lazy = LazyPattern(namespace, "WORD", r"(\w+)-(\d+)", re.ASCII)
    namespace["WORD"] = lazy
    assert lazy._compiled is None  # nothing compiled yet
    m = lazy.fullmatch("ab-12")
    assert m is not None and m.groups() == ("ab", "12")
    compiled = namespace["WORD"]
    assert isinstance(compiled, re.Pattern)
    assert compiled.pattern == lazy.pattern and compiled.flags & re.ASCII
    # A kept reference to the stand-in still works, on the same compiled pattern.
    assert lazy.compiled() is compiled
    assert lazy.fullmatch("ab-x") is None


def test_methods_are_the_patterns() -> None:
    lazy = LazyPattern({}, "P", r"\d+")
    text = "a1 b22 c333"
    assert lazy.search(text) is not None and lazy.search(text).group(0) == "1"  # type: ignore[union-attr]
    assert lazy.match(text) is None and lazy.match(text, 1) is not None
    assert [m.group(0) for m in lazy.finditer(text)] == ["1", "22", "333"]
    assert [m.group(0) for m in lazy.finditer(text, 0, 5)] == ["1", "2"]
    assert lazy.fullmatch("12x", 0, 2) is not None


def test_leaves_a_rebound_name_alone() -> None:
    namespace: dict[str, object] = {"P": "something else"}
    lazy = LazyPattern(namespace, "P", r"x")
    assert lazy.fullmatch("x") is not None
    assert namespace["P"] == "something else"
