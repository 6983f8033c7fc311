"""The Go sort.Sort port: sorts correctly, is insertion-stable up to 12 items, and reproduces
Go's deterministic (unstable) tie order beyond that."""

from __future__ import annotations

import random

import pytest

from resolver.semver import parse_tag, sort_desc
from resolver.util.gosort import go_sort, go_sort_by


@pytest.mark.parametrize("n", [0, 1, 2, 5, 12, 13, 49, 50, 51, 200, 1000])
def test_sorts_like_sorted(n: int) -> None:
    rng = random.Random(n)
    items = [rng.randrange(n // 3 + 1) for _ in range(n)]
    got = list(items)
    go_sort(got, lambda a, b: a < b)
    assert got == sorted(items)


@pytest.mark.parametrize("n", [50, 300])
def test_adversarial_inputs(n: int) -> None:
    for items in (list(range(n)), list(range(n, 0, -1)), [1] * n, [i % 7 for i in range(n)]):
        got = list(items)
        go_sort(got, lambda a, b: a < b)
        assert got == sorted(items)


def test_twelve_or_fewer_is_stable() -> None:
    tags = ["1.0.0_z", "1.0.0_a", "1.0.0_m", "0.9.0", "1.0.0_q", "1.0.0_b"]
    ordered = sort_desc(v for v in (parse_tag(t) for t in tags) if v)
    assert [v.original for v in ordered][:5] == [
        "1.0.0+z",
        "1.0.0+a",
        "1.0.0+m",
        "1.0.0+q",
        "1.0.0+b",
    ]


def test_more_than_twelve_is_deterministic_but_not_stable() -> None:
    tags = [f"0.{i}.0" for i in range(40)] + ["1.0.0_z", "1.0.0_a", "1.0.0_m", "1.0.0_q", "1.0.0_b"]
    first = [v.original for v in sort_desc(v for v in (parse_tag(t) for t in tags) if v)]
    again = [v.original for v in sort_desc(v for v in (parse_tag(t) for t in tags) if v)]
    assert first == again
    ties = [t for t in first if t.startswith("1.0.0+")]
    assert sorted(ties) == sorted(["1.0.0+z", "1.0.0+a", "1.0.0+m", "1.0.0+q", "1.0.0+b"])
    assert first[5:] == [f"0.{i}.0" for i in range(39, -1, -1)]


@pytest.mark.parametrize("n", [0, 1, 2, 12, 13, 50, 300, 1000])
def test_go_sort_by_makes_the_same_moves_as_go_sort(n: int) -> None:
    rng = random.Random(n * 7 + 1)
    # Few distinct keys: many ties, whose final order only the same swaps reproduce.
    items = [(rng.randrange(n // 4 + 1), i) for i in range(n)]
    expected = list(items)
    go_sort(expected, lambda a, b: a[0] < b[0])
    got = list(items)
    keys = [k for k, _ in items]
    go_sort_by(got, keys)
    assert got == expected
    assert keys == [k for k, _ in expected]


def test_go_sort_by_rejects_mismatched_keys() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        go_sort_by([1, 2, 3], [1, 2])
