"""Every row of the Masterminds semver vectors (fixtures/semver/vectors.json), plus the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from resolver.errors import InvalidConstraint, InvalidVersion
from resolver.semver import (
    _check_metadata,
    _check_prerelease,
    _rewrite_range,
    parse_constraint,
    parse_tag,
    parse_version,
    sort_desc,
)

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
    """HELM-SEMANTICS.md §1.5: first match in Helm's order, over the registry's tags."""
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
