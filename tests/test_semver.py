"""Every row of the Masterminds semver vectors (fixtures/semver/vectors.json), plus the API."""

from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.errors import InvalidConstraint, InvalidVersion
from resolver.semver import Version, parse_constraint, parse_tag, parse_version, sort_desc
from resolver.semver.constraint import _rewrite_range
from resolver.semver.version import _check_metadata, _check_prerelease, _parse_strict
from resolver.util.gosort import go_sort
from resolver.util.records import FrozenInstanceError

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "semver" / "vectors.json").read_text("utf-8")
)


def rows(*keys: str) -> list[Any]:
    return [pytest.param(r, id=f"{k}-{i}") for k in keys for i, r in enumerate(VECTORS[k])]


@pytest.mark.parametrize("row", rows("parse", "probe_parse"))
def test_parse_loose(row: dict[str, Any]) -> None:
    if not row["valid"]:
        with pytest.raises(InvalidVersion):
            parse_version(row["input"])
        return
    v = parse_version(row["input"])
    assert str(v) == row["normalized"]
    assert (v.major, v.minor, v.patch) == (row["major"], row["minor"], row["patch"])
    assert (v.prerelease, v.metadata) == (row["prerelease"], row["metadata"])
    assert v.original == row["input"]


@pytest.mark.parametrize("row", rows("parse_strict", "probe_parse_strict"))
def test_parse_strict(row: dict[str, Any]) -> None:
    if not row["valid"]:
        with pytest.raises(InvalidVersion):
            parse_version(row["input"], strict=True)
        return
    v = parse_version(row["input"], strict=True)
    assert str(v) == row["normalized"]
    assert (v.prerelease, v.metadata) == (row["prerelease"], row["metadata"])


@pytest.mark.parametrize("row", rows("compare", "probe_compare"))
def test_compare(row: dict[str, Any]) -> None:
    a, b = parse_version(row["a"]), parse_version(row["b"])
    assert a.compare(b) == row["result"]
    assert b.compare(a) == -row["result"]
    assert (a < b) == (row["result"] < 0)
    assert (a == b) == (row["result"] == 0)


@pytest.mark.parametrize("row", rows("constraint_parse", "probe_constraint_parse"))
def test_constraint_parse(row: dict[str, Any]) -> None:
    # NewConstraint("") is an error even though the internal parseConstraint("") is "*".
    valid = row["valid"] and row["constraint"] != ""
    if not valid:
        with pytest.raises(InvalidConstraint):
            parse_constraint(row["constraint"])
        return
    c = parse_constraint(row["constraint"])
    assert str(c) == row["string"]
    assert [len(g) for g in c.groups] == row["group_sizes"]
    assert list(c.group_has_pre) == row["contains_prerelease"]
    for group, expected_group in zip(c.groups, row["atoms"], strict=True):
        for atom, expected in zip(group, expected_group, strict=True):
            assert atom.op == expected["op"]
            assert atom.orig == expected["orig"]
            assert str(atom.base) == expected["con"]
            assert (atom.dirty, atom.minor_dirty, atom.patch_dirty) == (
                expected["dirty"],
                expected["minor_dirty"],
                expected["patch_dirty"],
            )


@pytest.mark.parametrize("row", rows("check", "probe_check"))
def test_check(row: dict[str, Any]) -> None:
    if row.get("new_constraint_error"):
        with pytest.raises(InvalidConstraint):
            parse_constraint(row["constraint"])
        return
    constraint = parse_constraint(row["constraint"])
    version = parse_version(row["version"], strict=row["version_parser"] == "StrictNewVersion")
    got = constraint.allows(version, include_prerelease=row["include_prerelease"])
    assert got is row["expected"]


@pytest.mark.parametrize("row", rows("rewrite_range"))
def test_rewrite_range(row: dict[str, Any]) -> None:
    assert _rewrite_range(row["input"]) == row["expected"]


@pytest.mark.parametrize("row", rows("sort"))
def test_collection_sort(row: dict[str, Any]) -> None:
    ordered = list(reversed(sort_desc(parse_version(v) for v in row["input"])))
    assert [str(v) for v in ordered] == row["expected"]


@pytest.mark.parametrize("row", rows("identifiers"))
def test_identifiers(row: dict[str, Any]) -> None:
    check = _check_prerelease if row["kind"] == "prerelease" else _check_metadata
    if row["valid"]:
        check(row["value"])
    else:
        with pytest.raises(InvalidVersion):
            check(row["value"])


@pytest.mark.parametrize("row", rows("length_limits"))
def test_no_length_guards_in_helm_4_1_4(row: dict[str, Any]) -> None:
    # Helm 4.1.4 pins semver v3.4.0, which has no length guards: these all parse.
    assert row["valid_at_pinned_commit"] is True
    if row["kind"] == "version":
        parse_version(row["input"])
    else:
        parse_constraint(row["input"])


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("1.1.0", "1.1.0"),
        ("1.1.0_build.1", "1.1.0+build.1"),
        ("1.0.0-rc_1", "1.0.0-rc+1"),
        ("latest", None),
        ("v1.5.0", None),
        ("1.6", None),
        ("01.8.0", None),
        ("1.0.0_a_b", None),
        ("1.0.0-01", None),
    ],
)
def test_parse_tag_follows_helm(tag: str, expected: str | None) -> None:
    v = parse_tag(tag)
    assert (str(v) if v else None) == expected


@pytest.mark.parametrize(
    ("constraint", "bounded"),
    [
        ("<2", True),
        ("~1.2", True),
        ("1.x", True),
        ("^1", True),
        ("=1.2.3", True),
        ("1.2.3 - 2", True),
        (">=1 <2", True),
        ("12.x.x", True),
        (">=1", False),
        ("*", False),
        ("x", False),
        (">1.2", False),
        ("!=1.0", False),
        ("1.0 || >=3", False),
        ("~0.0.0", False),
    ],
)
def test_has_upper_bound(constraint: str, bounded: bool) -> None:
    assert parse_constraint(constraint).has_upper_bound() is bounded


@pytest.mark.parametrize(
    ("constraint", "exact"),
    [
        ("1.2.3", True),
        ("=1.2.3-rc.1", True),
        ("1.2", False),
        ("^1.2.3", False),
        ("1.2.3 || 2.0.0", False),
    ],
)
def test_is_exact(constraint: str, exact: bool) -> None:
    assert parse_constraint(constraint).is_exact() is exact


def test_helm_resolution_table() -> None:
    """docs/helm-semantics.md §1.5: first match in Helm's order, over the registry's tags."""
    tags = ["0.9.0", "1.0.0", "1.1.0", "1.1.0_build.1", "1.2.0-rc.1", "1.7.0-alpha", "2.0.0"]
    tags += ["latest", "v1.5.0", "1.6", "01.8.0"]
    ordered = sort_desc(v for v in (parse_tag(t) for t in tags) if v is not None)

    def pick(constraint: str) -> str:
        c = parse_constraint(constraint)
        return next(v.original for v in ordered if c.allows(v))

    assert pick(">=1.0.0 <2.0.0") == "1.1.0"
    assert pick("^1.0.0") == "1.1.0"
    assert pick("~1.1.0") == "1.1.0"
    assert pick("*") == "2.0.0"
    assert pick("~1.2.0-0") == "1.2.0-rc.1"
    assert pick(">=1.0.0-0") == "2.0.0"
    assert pick(">=1.0.0 <2.0.0-0") == "1.7.0-alpha"
    assert pick("^1.0.0 || >=1.7.0-0 <1.8.0") == "1.7.0-alpha"


# --- the fast paths against the reference implementations -----------------------------------

# Strings near the grammar: digits, separators, identifier characters and a few that are not.
_NEAR = st.text(alphabet="0123456789.-+_vVaZx\n ", max_size=24)
_SHAPED = st.from_regex(
    r"v?(0|00|[1-9][0-9]{0,20})(\.[0-9]{1,3}){0,3}([-+_][0-9A-Za-z.\-+_]{0,8}){0,3}",
    fullmatch=True,
)
_TEXTS = st.one_of(_NEAR, _SHAPED)


def _outcome(fn: Any, text: str) -> tuple[Any, ...]:
    try:
        v = fn(text)
    except InvalidVersion as exc:
        return ("error", str(exc))
    if v is None:
        return ("none",)
    return (v.major, v.minor, v.patch, v.prerelease, v.metadata, v.original)


def _reference_tag(tag: str) -> Version | None:
    """Helm's tag rule on the step-by-step StrictNewVersion port."""
    try:
        return _parse_strict(tag.replace("_", "+"))
    except InvalidVersion:
        return None


_LOOSE_REFERENCE_RE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
)


def _reference_loose(text: str) -> Version:
    """NewVersion as the first port wrote it (group by group, every check spelled out)."""
    m = _LOOSE_REFERENCE_RE.fullmatch(text)
    if m is None:
        raise InvalidVersion(f"invalid semantic version: {text!r}")
    numbers = []
    for what, group in (("major", m.group(1)), ("minor", m.group(2)), ("patch", m.group(3))):
        digits = group if what == "major" else (group[1:] if group else "0")
        if int(digits) > (1 << 64) - 1:
            raise InvalidVersion(
                f"error parsing version segment: {what} {digits!r} is out of range"
            )
        numbers.append(int(digits))
    pre, meta = m.group(4) or "", m.group(5) or ""
    if pre:
        _check_prerelease(pre)
    if meta:
        _check_metadata(meta)
    return Version(numbers[0], numbers[1], numbers[2], pre, meta, text)


@settings(max_examples=800, deadline=None)
@given(_TEXTS)
def test_tag_fast_path_is_the_strict_parser(text: str) -> None:
    assert _outcome(parse_tag, text) == _outcome(_reference_tag, text)
    # Strict parse_version: the same versions, and the reference's error messages.
    assert _outcome(lambda t: parse_version(t, strict=True), text) == _outcome(_parse_strict, text)


@settings(max_examples=800, deadline=None)
@given(_TEXTS)
def test_loose_fast_path_is_the_reference(text: str) -> None:
    assert _outcome(parse_version, text) == _outcome(_reference_loose, text)


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("18446744073709551615.0.0", True),  # uint64 max
        ("18446744073709551616.0.0", False),
        ("0.18446744073709551616.0", False),
        ("0.0.18446744073709551616", False),
        ("1.2.3-00", False),
        ("1.2.3-0a", True),
        ("1.2.3-a.01", False),
        ("1.2.3-", False),
        ("1.2.3+", False),
        ("1.2.3-a+b-c", True),
        ("1.2.3\n", False),
    ],
)
def test_tag_edges(tag: str, valid: bool) -> None:
    assert (parse_tag(tag) is not None) is valid
    assert _outcome(parse_tag, tag) == _outcome(_reference_tag, tag)


def test_loose_overflow_names_the_segment() -> None:
    with pytest.raises(InvalidVersion, match="minor '18446744073709551616' is out of range"):
        parse_version("1.18446744073709551616")


_VERSIONS = st.builds(
    lambda core, pre, meta: (
        "{}.{}.{}".format(*core) + (f"-{pre}" if pre else "") + (f"+{meta}" if meta else "")
    ),
    st.tuples(*[st.integers(0, 3)] * 3),
    st.one_of(
        st.just(""),
        st.lists(
            st.one_of(st.sampled_from(["0", "1", "2", "10", "a", "b", "rc", "A", "-"])), max_size=3
        ).map(".".join),
    ),
    st.sampled_from(["", "a", "b", "1"]),
)


@settings(max_examples=500, deadline=None)
@given(_VERSIONS, _VERSIONS)
def test_sort_key_orders_like_compare(a: str, b: str) -> None:
    va, vb = parse_version(a), parse_version(b)
    ka, kb = va.sort_key(), vb.sort_key()
    assert ((ka > kb) - (ka < kb)) == va.compare(vb)


@settings(max_examples=150, deadline=None)
@given(st.lists(_VERSIONS, max_size=60))
def test_sort_desc_is_go_sort_with_compare(texts: list[str]) -> None:
    versions = [parse_version(t) for t in texts]
    expected = list(versions)
    go_sort(expected, lambda a, b: b.compare(a) < 0)  # Helm's sort.Reverse(Collection)
    got = sort_desc(versions)
    assert [id(v) for v in got] == [id(v) for v in expected]


def test_sort_desc_with_ties_beyond_twelve_items() -> None:
    tags = [f"1.0.0_{c}" for c in "zaqmbycxdwevfugt"] + ["0.9.0", "2.0.0", "1.0.0"]
    versions = [v for v in (parse_tag(t) for t in tags) if v is not None]
    expected = list(versions)
    go_sort(expected, lambda a, b: b.compare(a) < 0)
    assert [v.original for v in sort_desc(versions)] == [v.original for v in expected]


# --- Version is an immutable value ------------------------------------------------------------


def test_version_is_frozen() -> None:
    v = parse_version("1.2.3-rc.1+b")
    with pytest.raises(FrozenInstanceError):
        v.major = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del v.prerelease
    with pytest.raises(AttributeError):
        v.extra = 1  # type: ignore[attr-defined]
    assert str(v) == "1.2.3-rc.1+b"


def test_cached_constraint_versions_cannot_be_changed() -> None:
    base = parse_constraint("^1.2.3").groups[0][0].base
    with pytest.raises(FrozenInstanceError):
        base.minor = 9  # type: ignore[misc]
    assert parse_constraint("^1.2.3").allows(parse_version("1.9.0"))
    assert not parse_constraint("^1.2.3").allows(parse_version("1.2.2"))


def test_version_hash_and_equality() -> None:
    a, b, c = parse_version("1.0.0+a"), parse_version("1.0.0+b"), parse_version("v1")
    assert a == b == c and hash(a) == hash(b) == hash(c)
    assert len({a, b, c, parse_version("1.0.0-rc.1")}) == 2
    assert parse_version("1.0.0-1") != parse_version("1.0.0-a")
    assert parse_version("1.0.0-rc.1") < parse_version("1.0.0") <= parse_version("1.0.1")
    assert parse_version("2.0.0") > parse_version("1.99.99") >= parse_version("1.99.99")


def test_version_pickle_copy_and_constructor() -> None:
    v = Version(1, 2, 3, "rc.1", "b", "1.2.3-rc.1+b")
    for clone in (pickle.loads(pickle.dumps(v)), copy.copy(v), copy.deepcopy(v)):
        assert (clone.core, clone.prerelease, clone.metadata, clone.original) == (
            (1, 2, 3),
            "rc.1",
            "b",
            "1.2.3-rc.1+b",
        )
    assert copy.copy(v) is v and copy.deepcopy(v) is v
    assert Version(1, 0, 0) == parse_version("1.0.0")
    assert repr(Version(1, 0, 0)) == "Version('1.0.0')"
    assert repr(parse_version("v1.2")) == "Version('v1.2')"
