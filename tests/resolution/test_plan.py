"""resolver.resolution.plan: conservative locking as a pure function, property-tested with
hypothesis against random charts, locks and tag sets, and unit-tested case by case."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from resolver.chart.models import Dependency, Mark
from resolver.errors import InputError, ResolveError
from resolver.resolution.diff import Change, changes
from resolver.resolution.pick import Facts, IndexEntry, is_oci, oci_key, resolve_dependencies
from resolver.resolution.plan import (
    Upgrade,
    UpgradeError,
    check_upgrade,
    match_entries,
    moved_tags,
    parse_upgrade,
    plan_lock,
    resolve_planned,
    same_repository,
)
from resolver.semver import parse_constraint, parse_version

VERSIONS = [
    "0.1.0",
    "0.2.0",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.2.0-rc.1",
    "1.2.0",
    "1.10.0",
    "2.0.0",
    "2.1.0",
    "3.0.0-beta.1",
]
RANGES = [
    "*",
    "^1.0.0",
    "~1.0",
    "1.x",
    ">=1.0.0 <2.0.0",
    ">=0.1.0",
    "~1.2.0-0",
    "^2",
    "0.x",
    "<=1.1.0",
    "!=1.1.0",
    "1.0.0",  # exact: an OCI dependency takes it as the tag itself (Helm's short cut)
    "2.0.0",
    ">=3.0.0-0",
]
REPOS = ["oci://r.example/x", "oci://r.example/y", "https://charts.example/z"]
NAMES = ["a", "b", "c", "d", "e", "f"]


def digest_of(repo: str, name: str, version: str, generation: int = 0) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(f"{repo}|{name}|{version}|{generation}".encode()).hexdigest()


def make_facts(tags: dict[tuple[str, str], list[str]]) -> Facts:
    facts = Facts()
    for (repo, name), versions in tags.items():
        if is_oci(repo):
            facts.tags[oci_key(repo, name)] = list(versions)
        else:
            facts.indexes.setdefault(repo, {})[name] = [
                IndexEntry(v, ("https://x/" + v,), digest_of(repo, name, v).split(":")[1])
                for v in versions
            ]
    return facts


def allows(range_: str, version: str) -> bool:
    return parse_constraint(range_).allows(parse_version(version))


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, object]:
    """An old chart and its lock (any versions that existed), the tags published since, a new
    chart (ranges and repositories changed, dependencies added and removed, reordered) and an
    upgrade request."""
    old_tags = {
        (repo, name): draw(st.lists(st.sampled_from(VERSIONS), min_size=1, unique=True))
        for repo in REPOS
        for name in NAMES
    }
    new_tags = {
        key: versions + draw(st.lists(st.sampled_from(VERSIONS), unique=True))
        for key, versions in old_tags.items()
    }
    new_tags = {k: list(dict.fromkeys(v)) for k, v in new_tags.items()}
    old_names = draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=4, unique=True))
    old_deps = [
        Dependency(
            name=n, version=draw(st.sampled_from(RANGES)), repository=draw(st.sampled_from(REPOS))
        )
        for n in old_names
    ]
    lock = [
        Dependency(
            name=d.name,
            repository=d.repository,
            version=(v := draw(st.sampled_from(old_tags[(d.repository, d.name)]))),
            extra={"digest": digest_of(d.repository, d.name, v)},
        )
        for d in old_deps
        if draw(st.integers(0, 4)) > 0  # some dependencies were never locked
    ]
    lock = draw(st.permutations(lock)) if draw(st.booleans()) else lock
    new_deps = []
    for d in old_deps:
        action = draw(st.sampled_from(["same", "same", "range", "repository", "remove"]))
        if action == "remove":
            continue
        if action == "range":
            d = d.replace(version=draw(st.sampled_from(RANGES)))
        if action == "repository":
            d = d.replace(repository=draw(st.sampled_from(REPOS)))
        new_deps.append(d)
    for n in draw(
        st.lists(st.sampled_from([n for n in NAMES if n not in old_names]), unique=True, max_size=2)
    ):
        new_deps.append(
            Dependency(
                name=n,
                version=draw(st.sampled_from(RANGES)),
                repository=draw(st.sampled_from(REPOS)),
            )
        )
    new_deps = draw(st.permutations(new_deps))
    everything = draw(st.booleans()) and draw(st.booleans())
    named = draw(
        st.lists(st.sampled_from([d.name for d in new_deps] or ["a"]), unique=True, max_size=2)
    )
    return {
        "old_tags": old_tags,
        "new_tags": new_tags,
        "lock": lock,
        "new_deps": new_deps,
        "upgrade": Upgrade(everything=everything, packages={n: None for n in named}),
    }


def fresh(dep: Dependency, facts: Facts) -> str | None:
    """What Helm picks for ``dep`` today (None: nothing matches)."""
    try:
        return resolve_dependencies([dep], facts)[0].version
    except ResolveError:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_a_locked_version_changes_only_when_range_repository_or_upgrade_demands_it(
    case: dict[str, object],
) -> None:
    lock: list[Dependency] = case["lock"]  # type: ignore[assignment]
    deps: list[Dependency] = case["new_deps"]  # type: ignore[assignment]
    upgrade: Upgrade = case["upgrade"]  # type: ignore[assignment]
    facts = make_facts(case["new_tags"])  # type: ignore[arg-type]
    by_name = {e.name: e for e in lock}
    expected: list[str | None] = []
    for dep in deps:
        old = by_name.get(dep.name)
        exact_oci = is_oci(dep.repository) and dep.version in ("1.0.0", "2.0.0")
        keep = (
            old is not None
            and not upgrade.names(dep)
            and old.repository == dep.repository
            and allows(dep.version, old.version)
            and not exact_oci
        )
        expected.append(old.version if keep and old is not None else fresh(dep, facts))
    decisions = plan_lock(deps, lock, upgrade)
    if None in expected:
        with pytest.raises(ResolveError):
            resolve_planned(decisions, facts)
        return
    entries = resolve_planned(decisions, facts)
    assert [e.version for e in entries] == expected
    assert [(e.name, e.repository) for e in entries] == [(d.name, d.repository) for d in deps]
    # A kept entry keeps its digest (OCI: until the registry is asked; https: the index's).
    for d, e in zip(decisions, entries, strict=True):
        if d.action == "keep" and not is_oci(e.repository):
            assert d.entry is not None and e.content_digest == d.entry.content_digest
    # The report: removed = locked names no longer in Chart.yaml; added = new names.
    report = changes(decisions, entries, lock)
    names = {d.name for d in deps}
    assert {c.name for c in report if c.kind == "removed"} == {e.name for e in lock} - names
    assert {c.name for c in report if c.kind == "added"} == names - set(by_name)
    moved = {c.name for c in report if c.kind in ("upgraded", "downgraded", "changed")}
    assert moved == {
        d.name
        for d, e in zip(deps, entries, strict=True)
        if d.name in by_name
        and (by_name[d.name].version != e.version or by_name[d.name].repository != e.repository)
    }


@settings(max_examples=100, deadline=None)
@given(scenario())
def test_upgrading_everything_is_helm(case: dict[str, object]) -> None:
    """`--upgrade`: whatever the lock says, the entries are exactly Helm's resolution."""
    deps: list[Dependency] = case["new_deps"]  # type: ignore[assignment]
    facts = make_facts(case["new_tags"])  # type: ignore[arg-type]
    try:
        helm = resolve_dependencies(deps, facts)
    except ResolveError:
        helm = None
    decisions = plan_lock(deps, case["lock"], Upgrade(everything=True))  # type: ignore[arg-type]
    if helm is None:
        with pytest.raises(ResolveError):
            resolve_planned(decisions, facts)
        return
    assume(helm is not None)
    assert resolve_planned(decisions, facts) == helm


# -- case by case -----------------------------------------------------------------------------


def dep(name: str, version: str, repo: str = "oci://r/x", alias: str = "") -> Dependency:
    return Dependency(name=name, version=version, repository=repo, alias=alias)


def entry(
    name: str, version: str, repo: str = "oci://r/x", digest: str | None = None
) -> Dependency:
    extra = {"digest": digest} if digest else {}
    return Dependency(name=name, version=version, repository=repo, extra=extra)


def test_parse_upgrade() -> None:
    assert parse_upgrade(False) == Upgrade()
    assert parse_upgrade(None) == Upgrade()
    assert parse_upgrade(True) == Upgrade(everything=True)
    assert parse_upgrade("redis").packages == {"redis": None}
    assert parse_upgrade(["redis==17.3.2", "db"]).packages == {"redis": "17.3.2", "db": None}
    assert parse_upgrade(["db", "db"]).packages == {"db": None}
    for bad in (["=x"], ["x=="], ["==1.0.0"], [""], ["a=b"]):
        with pytest.raises(UpgradeError, match="NAME==VERSION"):
            parse_upgrade(bad)
    with pytest.raises(UpgradeError, match="given twice"):
        parse_upgrade(["db==1.0.0", "db==2.0.0"])


def test_same_repository_is_helms_url_equal() -> None:
    assert same_repository("https://c.example/charts/", "https://c.example/charts")
    assert same_repository("HTTPS://c.example", "https://c.example/")
    assert same_repository("https://c.example/a/../b", "https://c.example/b")
    assert same_repository("oci://r.example/ns/", "oci://r.example/ns")
    assert not same_repository("https://c.example/a", "https://c.example/b")
    assert not same_repository("oci://r.example/ns", "oci://other.example/ns")
    assert not same_repository("https://c.example/a", "http://c.example/a")


def test_aliased_copies_keep_their_own_versions_when_one_is_inserted_before() -> None:
    lock = [entry("web", "1.1.0"), entry("web", "2.0.0")]
    deps = [dep("web", "^3", alias="c"), dep("web", "^1", alias="a"), dep("web", ">=2", alias="b")]
    assert match_entries(deps, lock) == [(None, False), (0, True), (1, True)]
    decisions = plan_lock(deps, lock, Upgrade())
    assert [(d.action, d.reason) for d in decisions] == [
        ("resolve", "new"),
        ("keep", "locked"),
        ("keep", "locked"),
    ]


def test_plan_reasons() -> None:
    lock = [
        entry("a", "1.1.0"),
        entry("b", "1.1.0"),
        entry("c", "1.1.0"),
        entry("d", "1.0.0"),
        entry("gone", "1.0.0"),
        entry("f", "0.1.0", "file://../f"),
    ]
    deps = [
        dep("a", "^1"),
        dep("b", "~1.0"),
        dep("c", "^1", "oci://r/y"),
        dep("d", "1.0.0"),
        dep("new", "*"),
        dep("f", "*", "file://../f"),
        dep("h", "^1", "https://c.example"),
    ]
    decisions = plan_lock(deps, lock, Upgrade(packages={"h": None}))
    assert [(d.action, d.reason) for d in decisions] == [
        ("keep", "locked"),
        ("resolve", "range"),
        ("resolve", "repository"),
        ("resolve", "exact"),
        ("resolve", "new"),
        ("resolve", "local"),
        ("resolve", "upgrade"),
    ]
    assert decisions[1].entry is lock[1] and decisions[2].entry is lock[2]
    # Without a lock everything is resolved (that is `helm dependency update`).
    assert {d.action for d in plan_lock(deps, None, Upgrade())} == {"resolve"}


def test_check_upgrade_names_the_range_and_chart_yaml_position() -> None:
    web = dep("web", "^1.0.0", alias="front")
    web.marks["version"] = Mark("charts/app/Chart.yaml", 9, 14)
    charts = [("charts/app/Chart.yaml", [web, dep("db", "0.x")])]
    check_upgrade(Upgrade(packages={"front": "1.2.0", "db": None}), charts)
    check_upgrade(Upgrade(packages={"web": None}), charts)
    with pytest.raises(InputError) as info:
        check_upgrade(Upgrade(packages={"front": "2.0.0"}), charts)
    assert str(info.value).startswith("charts/app/Chart.yaml:9:14: --upgrade-package front==2.0.0")
    assert "'^1.0.0'" in str(info.value)
    with pytest.raises(UpgradeError, match=r"'nope' \(dependencies: db, front\)"):
        check_upgrade(Upgrade(packages={"nope": None}), charts)
    with pytest.raises(UpgradeError, match="not a version"):
        check_upgrade(Upgrade(packages={"db": "latest"}), charts)


def test_precise_version_must_exist() -> None:
    facts = make_facts({("oci://r/x", "web"): ["1.0.0", "1.1.0", "1.2.0"]})
    deps = [dep("web", "^1")]
    lock = [entry("web", "1.2.0")]
    decisions = plan_lock(deps, lock, Upgrade(packages={"web": "1.1.0"}))
    assert [e.version for e in resolve_planned(decisions, facts)] == ["1.1.0"]
    decisions = plan_lock(deps, lock, Upgrade(packages={"web": "1.1.5"}))
    with pytest.raises(ResolveError, match=r"web==1.1.5: version 1.1.5 .* does not exist .*1.2.0"):
        resolve_planned(decisions, facts, chart="app/Chart.yaml")


def test_upgrade_everything_with_an_exact_version_for_one() -> None:
    facts = make_facts(
        {("oci://r/x", "web"): ["1.0.0", "1.1.0"], ("oci://r/x", "db"): ["1.0.0", "1.3.0"]}
    )
    deps = [dep("web", "^1"), dep("db", "^1")]
    lock = [entry("web", "1.1.0"), entry("db", "1.0.0")]
    upgrade = parse_upgrade(True).replace(packages={"web": "1.0.0"})
    decisions = plan_lock(deps, lock, upgrade)
    assert [e.version for e in resolve_planned(decisions, facts)] == ["1.0.0", "1.3.0"]


def test_kept_https_version_must_still_be_in_the_index() -> None:
    repo = "https://c.example"
    facts = make_facts({(repo, "web"): ["1.0.0", "1.2.0"]})
    kept = plan_lock([dep("web", "^1", repo)], [entry("web", "1.0.0", repo)], Upgrade())
    (got,) = resolve_planned(kept, facts)
    assert got.version == "1.0.0" and got.content_digest == digest_of(repo, "web", "1.0.0")
    gone = plan_lock([dep("web", "^1", repo)], [entry("web", "1.1.0", repo)], Upgrade())
    with pytest.raises(
        ResolveError, match=r"locked version 1.1.0 is no longer.*--upgrade-package web"
    ):
        resolve_planned(gone, facts)


def test_moved_tags() -> None:
    old, new_, same = ("sha256:" + c * 64 for c in "abc")
    lock = [
        entry("a", "1.0.0", digest=old),
        entry("b", "1.0.0"),  # no digest recorded (a lock helm wrote): nothing to compare
        entry("c", "1.0.0", digest=same),
        entry("d", "1.0.0", digest="sha256:abc"),  # malformed (CL206): replaced, not compared
    ]
    deps = [dep("a", "^1"), dep("b", "^1"), dep("c", "^1"), dep("d", "^1")]
    new = [
        entry("a", "1.0.0", digest=new_),
        entry("b", "1.0.0", digest=new_),
        entry("c", "1.0.0", digest=same),
        entry("d", "1.0.0", digest=new_),
    ]
    (moved,) = moved_tags(plan_lock(deps, lock, Upgrade()), new)
    assert (moved.decision.dep.name, moved.locked, moved.current) == ("a", old, new_)
    assert moved_tags(plan_lock(deps, lock, Upgrade(packages={"a": None})), new) == []
    assert moved_tags(plan_lock(deps, lock, Upgrade(everything=True)), new) == []


def test_changes_and_their_text() -> None:
    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    lock = [
        entry("a", "1.0.0", digest=d1),
        entry("b", "1.0.0"),
        entry("c", "2.0.0", digest=d1),
        entry("gone", "0.1.0", digest=d1),
        entry("e", "1.0.0", digest=d1),
    ]
    deps = [
        dep("a", "^1", alias="front"),
        dep("b", "^1"),
        dep("c", "^1"),
        dep("e", "^1"),
        dep("n", "*"),
    ]
    decisions = plan_lock(deps, lock, Upgrade(packages={"e": None, "front": None}))
    new = [
        entry("a", "1.1.0", digest=d2),
        entry("b", "1.0.0", digest=d2),
        entry("c", "1.5.0", digest=d2),
        entry("e", "1.0.0", digest=d2),
        entry("n", "3.0.0", digest=d2),
    ]
    report = changes(decisions, new, lock)
    assert [(c.kind, c.name) for c in report] == [
        ("upgraded", "a"),
        ("digest-added", "b"),
        ("downgraded", "c"),
        ("content", "e"),
        ("added", "n"),
        ("removed", "gone"),
    ]
    assert [c.text() for c in report] == [
        "front (a) 1.0.0 (sha256:111111111111) → 1.1.0 (sha256:222222222222) (upgrade requested)",
        "b 1.0.0: digest sha256:222222222222 recorded",
        "c 2.0.0 (sha256:111111111111) → 1.5.0 (sha256:222222222222) (range changed)",
        "e 1.0.0 (sha256:111111111111) → 1.0.0 (sha256:222222222222) (upgrade requested)",
        "+ n 3.0.0 (sha256:222222222222) (added)",
        "- gone 0.1.0 (sha256:111111111111) (removed)",
    ]
    assert report[0].to_dict() == {
        "kind": "upgraded",
        "name": "a",
        "alias": "front",
        "from": {"version": "1.0.0", "digest": d1, "repository": "oci://r/x"},
        "to": {"version": "1.1.0", "digest": d2, "repository": "oci://r/x"},
        "reason": "upgrade",
    }
    moved_repo = Change(
        "changed", "a", "", "1.0.0", "1.0.0", None, None, "oci://r/x", "oci://r/y", "repository"
    )
    assert moved_repo.text() == "a 1.0.0 → 1.0.0 [oci://r/x → oci://r/y] (repository changed)"
