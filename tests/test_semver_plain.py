"""The regex-free paths of resolver.semver (cold-start cost, issue 14) agree with the regexes.

``parse_version`` reads "1.2.3" without its regex and ``parse_constraint`` reads plain ranges
(``~1.2.0``, ``>=1.0.0 <2.0.0``, ``^1.2``) without the constraint grammar's regexes; both must
give exactly what the regex paths give, and leave everything else to them.
"""

from __future__ import annotations

import subprocess
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from resolver.errors import InvalidConstraint, InvalidVersion
from resolver.semver import constraint as constraint_module
from resolver.semver import version as version_module
from resolver.semver.constraint import (
    Constraint,
    _parse_plain,
    _parse_with_regexes,
    parse_constraint,
)
from resolver.semver.version import Version, parse_version


def _version_fields(v: Version) -> tuple[object, ...]:
    return (v.major, v.minor, v.patch, v.prerelease, v.metadata, v.original)


def _constraint_fields(c: Constraint) -> tuple[object, ...]:
    groups = tuple(
        tuple(
            (x.op, x.orig, _version_fields(x.base), x.dirty, x.minor_dirty, x.patch_dirty)
            for x in group
        )
        for group in c.groups
    )
    return (c.original, groups, c.group_has_pre)


def _regex_version(text: str) -> tuple[object, ...] | str:
    if version_module._LOOSE_RE.fullmatch(text) is None:
        return f"error: invalid semantic version: {text!r}"
    try:
        # The regex path of parse_version, forced: a "v" makes the plain path step aside
        # without changing the numbers (the original text is left out of the comparison).
        return _version_fields(parse_version(text if text[:1] == "v" else "v" + text))[:5]
    except InvalidVersion as exc:
        return f"error: {exc}"


PLAIN_WORDS = st.builds(
    lambda op, nums: op + ".".join(nums),
    st.sampled_from(["", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^", "=~", "!"]),
    st.lists(
        st.one_of(st.from_regex(r"[0-9]{1,3}", fullmatch=True), st.just("18446744073709551616")),
        min_size=0,
        max_size=4,
    ),
)
SEPARATORS = st.sampled_from([" ", ", ", ",", "  ", " , ", "\t", " - ", " || ", ""])


@st.composite
def plain_like(draw: st.DrawFn) -> str:
    words: list[str] = draw(st.lists(PLAIN_WORDS, min_size=1, max_size=4))
    out = words[0]
    for word in words[1:]:
        separator: str = draw(SEPARATORS)
        out += separator + word
    end: str = draw(st.sampled_from(["", "", " ", ","]))
    return out + end


@settings(max_examples=600, deadline=None)
@given(st.one_of(plain_like(), st.text(alphabet="0123456789.<>=!~^, x-|v+a", max_size=24)))
@example("~1.2.0")
@example(">=0.5.0 <1.0.0")
@example(">=1.0.0, <2.0.0")
@example("^1")
@example("1.2")
@example("99999999999999999999.0.0")
@example("1.2.3 , 1.2.4")
def test_plain_constraints_parse_as_the_regexes_do(text: str) -> None:
    try:
        expected: object = _constraint_fields(_parse_with_regexes(text))
    except InvalidConstraint as exc:
        expected = f"error: {exc}"
    plain = _parse_plain(text)
    if plain is not None:
        assert _constraint_fields(plain) == expected
    try:
        got: object = _constraint_fields(parse_constraint(text))
    except InvalidConstraint as exc:
        got = f"error: {exc}"
    assert got == expected


def test_plain_subset_is_taken_and_left() -> None:
    for text in ("~1.2.0", ">=0.5.0 <1.0.0", ">=1.0.0, <2.0.0", "^1.2", "1", "!=1.2.3"):
        assert _parse_plain(text) is not None, text
    for text in ("1.x", "v1.2.3", "1.2.3-rc.1", "1.0.0 - 2.0.0", "1 || 2", " 1.2.3", "1.2.3,"):
        assert _parse_plain(text) is None, text
    assert _parse_plain("99999999999999999999") is None  # past uint64: the regex path's error


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"[0-9]{1,21}\.[0-9]{1,21}\.[0-9]{1,21}", fullmatch=True),
        st.text(alphabet="0123456789.v-+a\u0663", max_size=16),
    )
)
@example("01.002.3")
@example("1.2.18446744073709551616")
@example("1.2.\u0663")
def test_plain_versions_parse_as_the_regex_does(text: str) -> None:
    try:
        got: object = _version_fields(parse_version(text))[:5]
    except InvalidVersion as exc:
        got = f"error: {exc}"
    assert got == _regex_version(text)


def test_plain_check_compiles_no_semver_regex() -> None:
    code = (
        "from resolver.semver import constraint, version, parse_constraint, parse_version\n"
        "c = parse_constraint('>=0.5.0 <1.0.0')\n"
        "assert c.allows(parse_version('0.9.1')) and not c.allows(parse_version('1.0.0'))\n"
        "names = ('_VALID_GROUP_RE', '_FIND_RE', '_ATOM_RE', '_RANGE_RE')\n"
        "mods = [(constraint, n) for n in names]\n"
        "mods += [(version, '_LOOSE_RE'), (version, '_STRICT_RE')]\n"
        "print(sorted(n for m, n in mods if type(getattr(m, n)).__name__ != 'LazyPattern'))\n"
        "parse_constraint('1.x')\n"
        "print(sorted(n for m, n in mods if type(getattr(m, n)).__name__ != 'LazyPattern'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    before, after = result.stdout.splitlines()
    assert before == "[]"  # nothing compiled for plain ranges
    assert "_VALID_GROUP_RE" in after and "_ATOM_RE" in after  # compiled, then in place


def test_module_patterns_are_the_grammar() -> None:
    # Used, they are real patterns (the stand-ins put the compiled pattern in their place).
    assert constraint_module._ATOM_RE.fullmatch(">= 1.2") is not None
    assert version_module._STRICT_RE.fullmatch("1.2.3-rc.1+b") is not None
    assert type(constraint_module._ATOM_RE).__name__ == "Pattern"
