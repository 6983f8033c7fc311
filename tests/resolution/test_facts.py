"""resolver.resolution.pick.Facts: each OCI tag list is indexed (and, when needed, parsed and
sorted) once per run, however many dependencies (and steps: prefetch, resolution,
``NAME==VERSION``) use it (issue 14)."""

from __future__ import annotations

import pytest

from resolver.chart.models import Dependency
from resolver.errors import ResolveError
from resolver.resolution import pick
from resolver.resolution.pick import Facts, oci_key, oci_pick, resolve_dependencies
from resolver.resolution.plan import Upgrade, plan_lock, resolve_planned
from resolver.semver import Constraint, Version, parse_constraint, parse_tag, sort_desc
from resolver.semver.tagindex import TagIndex
from tests.support.tagwork import count_tag_work

REPO = "oci://r.example/charts"
TAGS = ["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0", "not-a-version", "1.10.0", "0.9.0_build.1"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """One ``(what, number of tags)`` item per tag list indexed or sorted."""
    return count_tag_work(monkeypatch)


def facts() -> Facts:
    out = Facts()
    out.tags[oci_key(REPO, "web")] = list(TAGS)
    return out


def dep(version: str, alias: str = "") -> Dependency:
    return Dependency(name="web", repository=REPO, version=version, alias=alias)


def test_one_parse_for_every_dependency_sharing_a_tag_list(parses: list[tuple[str, int]]) -> None:
    deps = [dep("^1.0.0", "a"), dep("~1.1", "b"), dep(">=2.0.0-0", "c"), dep("<1.1.0", "d")]
    shared = facts()
    locked = [resolve_dependencies(deps, shared) for _ in range(3)]  # three charts, one run
    assert parses == [("index", len(TAGS))]  # picks need no sort into Versions
    assert [e.version for e in locked[0]] == ["1.10.0", "1.1.0", "2.0.0", "1.0.0"]
    assert locked[0] == locked[1] == locked[2]


def test_the_picks_are_those_of_an_unshared_parse() -> None:
    """Caching changes no pick: each dependency alone, with fresh facts, picks the same."""
    deps = [dep("^1.0.0"), dep("~1.1"), dep(">=2.0.0-0"), dep("<1.1.0"), dep("0.9.x")]
    together = resolve_dependencies(deps, facts())
    alone = [resolve_dependencies([d], facts())[0] for d in deps]
    assert [e.version for e in together] == [e.version for e in alone]
    assert together[-1].version == "0.9.0+build.1"


def test_the_prefetch_pick_and_an_exact_upgrade_reuse_the_parse(
    parses: list[tuple[str, int]],
) -> None:
    shared = facts()
    key = oci_key(REPO, "web")
    assert oci_pick(dep("^1.0.0"), shared) == "1.10.0"  # the digest prefetch's guess
    assert shared.versions(key) is not None
    decisions = plan_lock([dep("^1.0.0")], None, Upgrade(packages={"web": "1.1.0"}))
    assert [e.version for e in resolve_planned(decisions, shared)] == ["1.1.0"]
    assert [
        e.version for e in resolve_planned(plan_lock([dep("^1")], None, Upgrade()), shared)
    ] == ["1.10.0"]
    assert parses == [("index", len(TAGS)), ("sort", len(TAGS))]


def test_a_replaced_tag_list_is_parsed_again(parses: list[tuple[str, int]]) -> None:
    shared = facts()
    key = oci_key(REPO, "web")
    assert str((shared.versions(key) or [])[0]) == "2.0.0"
    assert oci_pick(dep("^1.0.0"), shared) == "1.10.0"
    shared.tags[key] = ["3.0.0", "2.5.0", "1.11.0"]
    assert [str(v) for v in shared.versions(key) or []] == ["3.0.0", "2.5.0", "1.11.0"]
    assert oci_pick(dep("^1.0.0"), shared) == "1.11.0"
    assert parses == [("sort", len(TAGS)), ("index", len(TAGS)), ("sort", 3), ("index", 3)]


def test_no_versions_for_a_repository_that_was_not_listed(parses: list[tuple[str, int]]) -> None:
    assert Facts().versions(oci_key(REPO, "web")) is None
    assert oci_pick(dep("^1.0.0"), Facts()) is None
    assert parses == []


def test_a_tie_at_the_top_takes_gos_sort_order(parses: list[tuple[str, int]]) -> None:
    """``1.0.0+b`` and ``1.0.0+a`` have equal precedence: which one Helm locks is the one Go's
    unstable sort puts first, so this pick sorts the whole list like Helm does."""
    tags = ["1.0.0_b", "0.9.0", "1.0.0_a", "1.0.0_c"]
    shared = Facts()
    shared.tags[oci_key(REPO, "web")] = tags
    expected = pick._first_allowed(
        parse_constraint("^1.0.0"),
        sort_desc(v for v in (parse_tag(t) for t in tags) if v is not None),
    )
    assert expected is not None
    assert oci_pick(dep("^1.0.0"), shared) == str(expected)
    assert parses == [("index", 4), ("sort", 4)]


def test_no_match_still_names_the_newest_versions() -> None:
    with pytest.raises(ResolveError, match=r"no version matches '\^3.0.0'; newest: 2.0.0, 1.10"):
        resolve_dependencies([dep("^3.0.0")], facts())


def test_each_range_is_matched_once_per_tag_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts of a monorepo share their ranges: the index is asked once per (repository,
    range), and again only for a replaced list."""
    scans: list[str] = []
    real = TagIndex.newest

    def counted(self: TagIndex, constraint: Constraint) -> Version | None:
        got = real(self, constraint)
        scans.append(str(got))
        return got

    monkeypatch.setattr(TagIndex, "newest", counted)
    shared = facts()
    for _ in range(4):
        assert oci_pick(dep("^1.0.0"), shared) == "1.10.0"
        assert [e.version for e in resolve_dependencies([dep("^1.0.0"), dep("~1.1")], shared)] == [
            "1.10.0",
            "1.1.0",
        ]
    assert scans == ["1.10.0", "1.1.0"]  # "^1.0.0" once, "~1.1" once
    shared.tags[oci_key(REPO, "web")] = ["1.20.0", "1.0.0"]
    assert oci_pick(dep("^1.0.0"), shared) == "1.20.0"
    assert scans == ["1.10.0", "1.1.0", "1.20.0"]
    assert oci_pick(dep("^1.0.0"), Facts()) is None  # not listed: nothing to pick
