"""resolver.semver.tagindex: the pick without a full sort is Helm's pick (sort all, take the first
allowed), or says that Go's tie order decides; Constraint.upper_core is a true ceiling."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from resolver.errors import InvalidConstraint
from resolver.semver import Constraint, Version, parse_constraint, parse_tag, sort_desc
from resolver.semver.tagindex import TagIndex, Tie


def helm_pick(tags: list[str], constraint: Constraint) -> Version | None:
    """Helm: every tag parsed (``_`` as ``+``), all sorted highest first, the first allowed."""
    ordered = sort_desc(v for v in (parse_tag(t) for t in tags) if v is not None)
    return next((v for v in ordered if constraint.allows(v)), None)


def tied_at_top(tags: list[str], constraint: Constraint) -> bool:
    allowed = [v for v in (parse_tag(t) for t in tags) if v is not None and constraint.allows(v)]
    if not allowed:
        return False
    top = max(v.sort_key() for v in allowed)
    # Two of the same text (a registry listing a tag twice) pick the same text either way.
    return len({v.original for v in allowed if v.sort_key() == top}) > 1


_NUMBERS = st.sampled_from(["0", "1", "2", "3", "10", "99"])
_PRE = st.lists(st.sampled_from(["0", "1", "2", "10", "a", "rc", "RC", "alpha", "x-y"]), max_size=3)
_TAGS = st.one_of(
    st.builds(
        lambda core, pre, meta, sep: (
            ".".join(core) + (f"-{'.'.join(pre)}" if pre else "") + (f"{sep}{meta}" if meta else "")
        ),
        st.tuples(_NUMBERS, _NUMBERS, _NUMBERS),
        _PRE,
        st.sampled_from(["", "", "", "a", "b", "build.1"]),
        st.sampled_from(["_", "+"]),
    ),
    # Not strict semver, or past uint64, or with a line break: never picked.
    st.sampled_from(
        [
            "latest",
            "v1.0.0",
            "1.0",
            "01.0.0",
            "1.0.0-01",
            "1.0.0\n2.0.0",
            "2.0.0\n",
            "",
            "1.0.0-",
            "18446744073709551616.0.0",
            "18446744073709551615.0.0",
            "1.0.0-18446744073709551616",
        ]
    ),
)
_PART = st.sampled_from(["0", "1", "2", "3", "10", "x", "*"])
_COMPARATOR = st.builds(
    lambda op, parts, pre: op + ".".join(parts) + pre,
    st.sampled_from(["", "=", "!=", ">", "<", ">=", "<=", "~", "~>", "^"]),
    st.lists(_PART, min_size=1, max_size=3),
    st.sampled_from(["", "", "-0", "-rc", "-a.1"]),
)
_CONSTRAINTS = st.one_of(
    st.lists(
        st.lists(_COMPARATOR, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=3
    ).map(" || ".join),
    st.builds(
        lambda a, b: f"{a} - {b}",
        st.lists(_PART, min_size=1, max_size=3).map(".".join),
        st.lists(_PART, min_size=1, max_size=3).map(".".join),
    ),
)


def _constraint(text: str) -> Constraint:
    try:
        return parse_constraint(text)
    except InvalidConstraint:
        assume(False)
        raise


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TAGS, max_size=40), _CONSTRAINTS)
def test_the_pick_is_helms_or_a_tie(tags: list[str], text: str) -> None:
    constraint = _constraint(text)
    expected = helm_pick(tags, constraint)
    index = TagIndex(tags)
    try:
        got = index.newest(constraint)
    except Tie:
        assert tied_at_top(tags, constraint)
        return
    assert not tied_at_top(tags, constraint)
    assert (got and got.original) == (expected and expected.original)
    # Asked again (now from the sorted keys), and with another range: the same answers.
    assert index.newest(constraint) == got


@settings(max_examples=400, deadline=None)
@given(st.lists(_TAGS, max_size=40), st.lists(_CONSTRAINTS, min_size=2, max_size=4))
def test_many_ranges_on_one_index(tags: list[str], texts: list[str]) -> None:
    index = TagIndex(tags)
    for text in texts:
        constraint = _constraint(text)
        if tied_at_top(tags, constraint):
            with pytest.raises(Tie):
                index.newest(constraint)
            continue
        got, expected = index.newest(constraint), helm_pick(tags, constraint)
        assert (got and got.original) == (expected and expected.original)


@settings(max_examples=1500, deadline=None)
@given(_TAGS, _CONSTRAINTS)
def test_upper_core_is_a_ceiling(tag: str, text: str) -> None:
    constraint = _constraint(text)
    version = parse_tag(tag)
    assume(version is not None)
    assert version is not None
    ceiling = constraint.upper_core()
    if ceiling is not None and constraint.allows(version, include_prerelease=True):
        assert version.core <= ceiling


@pytest.mark.parametrize(
    ("text", "ceiling"),
    [
        ("~1.2.3", (1, 2, 1 << 64)),
        ("~1", (1, 1 << 64, 1 << 64)),
        ("^1.2.3", (1, 1 << 64, 1 << 64)),
        ("^0.2.3", (0, 2, 1 << 64)),
        ("^0.0.3", (0, 0, 3)),
        ("<2.0.0", (2, 0, 0)),
        ("<2", (2, 0, 0)),
        ("<1.5", (1, 5, 0)),
        (">=1 <2", (2, 0, 0)),
        ("<=1.2", (1, 2, 1 << 64)),
        ("1.2.3", (1, 2, 3)),
        ("1.x", (1, 1 << 64, 1 << 64)),
        (">=1.0.0 <1.5.0 || ~3.1", (3, 1, 1 << 64)),
        (">=1.0.0", None),
        ("*", None),
        ("~0.0.0", None),
        ("!=1.0.0", None),
        (">=1.0.0 || <2", None),
    ],
)
def test_upper_core_examples(text: str, ceiling: tuple[int, int, int] | None) -> None:
    assert parse_constraint(text).upper_core() == ceiling


def grid(count: int) -> list[str]:
    return [f"{a}.{b}.{c}" for c in range(count // 100) for b in range(10) for a in range(10)]


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("~4.2.0", "4.2.99"),
        ("^4.0.0", "4.9.99"),
        (">=1.0.0 <9.0.0", "8.9.99"),
        (">=1.0.0", "9.9.99"),
        ("<0.0.5", "0.0.4"),
        ("~11.0.0", None),
        ("4.2.50 || 4.2.7", "4.2.50"),
    ],
)
def test_ten_thousand_tags(text: str, picked: str | None) -> None:
    tags = grid(10_000)
    index = TagIndex(tags)
    got = index.newest(parse_constraint(text))
    assert (got and str(got)) == picked
    assert len(index) == 10_000


def test_tags_helm_cannot_parse_are_skipped() -> None:
    tags = ["latest", "v2.0.0", "2.0", "1.0.0", "sha-abc", "1.1.0_build.7", "1.2.0-rc.1"]
    index = TagIndex(tags)
    assert len(index) == 3
    assert str(index.newest(parse_constraint("^1.0.0"))) == "1.1.0+build.7"
    assert str(index.newest(parse_constraint("^1.0.0-0"))) == "1.2.0-rc.1"
    assert index.newest(parse_constraint(">=2.0.0")) is None


@pytest.mark.parametrize(
    "odd", ["1.5.0\n1.9.0", "99999999999999999999.0.0", "1.0.0-99999999999999999999"]
)
def test_lists_the_regex_cannot_split_take_the_per_tag_path(odd: str) -> None:
    """A tag with a line break, or a number that may overflow uint64: parsed tag by tag."""
    tags = ["1.0.0", odd, "1.2.0", "0.5.0"]
    got = TagIndex(tags).newest(parse_constraint(">=0.1.0"))
    expected = helm_pick(tags, parse_constraint(">=0.1.0"))
    assert got is not None and expected is not None
    assert got.original == expected.original


def test_a_tie_at_the_top_is_reported() -> None:
    tags = ["1.0.0_b", "0.9.0", "1.0.0", "1.0.0_a"]
    with pytest.raises(Tie):
        TagIndex(tags).newest(parse_constraint("^1.0.0"))
    # A tie below the pick decides nothing.
    assert str(TagIndex([*tags, "1.1.0"]).newest(parse_constraint("^1.0.0"))) == "1.1.0"
    assert str(TagIndex(tags).newest(parse_constraint("<1.0.0"))) == "0.9.0"


@settings(max_examples=500, deadline=None)
@given(_CONSTRAINTS)
def test_a_ceiling_is_an_upper_bound(text: str) -> None:
    """has_upper_bound (the lint rule's "unbounded range") and upper_core say the same."""
    constraint = _constraint(text)
    assert constraint.has_upper_bound() == (constraint.upper_core() is not None)
    for group in constraint.groups:
        for comparator in group:
            assert comparator.bounded_above == (comparator.upper_core() is not None)
