"""Pure dependency resolution, identical to helm 4.1.4's ``internal/resolver.Resolve``.

No I/O here: the caller gathers the network facts (tag lists, index entries, local chart
versions) and this module turns them into lock entries. :func:`plan` says which facts are needed
so they can all be fetched concurrently.

Where Helm fails late or obscurely (no OCI tag matches), this fails early with a message naming
the dependency, the range and the newest versions that exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from resolver.chart.models import Dependency
from resolver.errors import InvalidConstraint, InvalidVersion, ResolveError
from resolver.semver import (
    Constraint,
    Version,
    parse_constraint,
    parse_tag,
    parse_version,
    sort_desc,
)
from resolver.semver.tagindex import TagIndex, Tie
from resolver.util.gosort import go_sort
from resolver.util.records import Record


class IndexEntry(Record):
    """One ``entries.<name>[]`` item of an https repository's index.yaml."""

    version: str
    urls: tuple[str, ...] = ()
    digest: str = ""


class Facts:
    """What the network and the disk told us (filled by the caller, then read by resolution).

    Each OCI tag list is indexed once per run (:class:`TagIndex`, for picks) and parsed and
    sorted into Versions at most once (:meth:`versions`: error messages, ``NAME==VERSION``, a
    tie), however many dependencies, charts and steps (the digest prefetch, resolution) use it:
    a 10,000-tag repository shared by 800 charts used to be parsed for each of them, twice.
    Each (repository, range) is matched once too (:meth:`newest_allowed`): charts of a monorepo
    mostly share their ranges.
    """

    __slots__ = ("tags", "indexes", "local", "vendored", "_sorted", "_indexed", "_picks")

    def __init__(self) -> None:
        # "registry/path" -> tags in registry order
        self.tags: dict[str, list[str]] = {}
        # repository URL -> chart name -> entries in index order (None: the chart is not there)
        self.indexes: dict[str, dict[str, list[IndexEntry]]] = {}
        # file:// repository -> the local chart's version (None: directory missing)
        self.local: dict[str, str | None] = {}
        # name -> version of the unpacked chart in charts/<name> (None: missing)
        self.vendored: dict[str, str | None] = {}
        # "registry/path" -> (the tag list it was computed from, its versions in Helm's order)
        self._sorted: dict[str, tuple[list[str], list[Version]]] = {}
        # "registry/path" -> (the tag list it was computed from, the list indexed for picks)
        self._indexed: dict[str, tuple[list[str], TagIndex]] = {}
        # ("registry/path", range) -> (the tag list, the newest version the range allows)
        self._picks: dict[tuple[str, str], tuple[list[str], Version | None]] = {}

    def versions(self, key: str) -> list[Version] | None:
        """The tags of ``key`` as Helm orders them (:func:`oci_versions`), computed on first use
        (again only if ``tags[key]`` was replaced); ``None`` when its tags were not listed."""
        tags = self.tags.get(key)
        if tags is None:
            return None
        cached = self._sorted.get(key)
        if cached is None or cached[0] is not tags:
            cached = self._sorted[key] = (tags, oci_versions(tags))
        return cached[1]

    def newest_allowed(self, key: str, constraint: Constraint, text: str) -> Version | None:
        """The first of :meth:`versions` that ``constraint`` (parsed from ``text``) allows:
        what Helm locks. ``None`` when none does or the tags were not listed.

        Found with a :class:`TagIndex` (no full sort: the pick is on the critical path of a
        lock); only a tie at the top, which Go's sort order decides, sorts them all."""
        tags = self.tags.get(key)
        cached = self._picks.get((key, text))
        if cached is None or cached[0] is not tags:
            picked = None
            if tags is not None:
                try:
                    picked = self._index(key, tags).newest(constraint)
                except Tie:
                    picked = _first_allowed(constraint, self.versions(key) or [])
            cached = self._picks[(key, text)] = (tags or [], picked)
        return cached[1]

    def _index(self, key: str, tags: list[str]) -> TagIndex:
        cached = self._indexed.get(key)
        if cached is None or cached[0] is not tags:
            cached = self._indexed[key] = (tags, TagIndex(tags))
        return cached[1]


class Plan(Record):
    """The facts a set of dependencies needs."""

    oci_lists: frozenset[str] = frozenset()  # "host/ns/name" for tag listings
    index_urls: frozenset[str] = frozenset()
    local_repos: frozenset[str] = frozenset()
    vendored: frozenset[str] = frozenset()


def oci_key(repository: str, name: str) -> str:
    """The tag-list reference Helm builds: ``trim(repository, "oci://") + "/" + name``."""
    return repository[len("oci://") :] + "/" + name


def is_oci(repository: str) -> bool:
    return repository.startswith("oci://")


def where(dep: Dependency, key: str, chart: str = "") -> str:
    """``path:line:column: `` of ``dep``'s ``key`` in its Chart.yaml (the list item's position
    when the key is absent), ``chart: `` when the position is unknown: every resolution error
    names the place to fix, like ``chartlock lint`` does."""
    mark = dep.mark(key)
    if mark is not None and mark.path:
        return f"{mark.path}:{mark.line}:{mark.column}: "
    return f"{chart}: " if chart else ""


def _constraint(dep: Dependency, chart: str = "") -> Constraint:
    try:
        return parse_constraint(dep.version)
    except InvalidConstraint as exc:
        raise ResolveError(
            f"{where(dep, 'version', chart)}dependency {dep.name!r} has an invalid "
            f"version/constraint format: {exc}"
        ) from None


def exact_oci_version(dep: Dependency) -> bool:
    """Helm's short cut: an OCI version that parses as a (loose) version is the tag itself."""
    try:
        parse_version(dep.version)
        return True
    except InvalidVersion:
        return False


_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def unusable_repository(repository: str) -> str | None:
    """Helm's error for a non-empty repository (after the ``@name`` rewrite) that it refuses
    before any request, else ``None``. Not a URL (``url.ParseRequestURI`` fails: no scheme and
    not an absolute path): ``resolveRepoNames`` reports a missing repository definition; a
    scheme other than oci/file/http(s): ``getter.ByScheme`` finds no protocol handler (those
    belong to downloader plugins such as helm-git, which chartlock does not run)."""
    match = _SCHEME_RE.match(repository)
    if match is None:
        if repository.startswith("/"):
            return None  # a URL to Helm; it fails later, as a repository
        return f"no repository definition for {repository}. Please add it via 'helm repo add'"
    scheme = match.group(1).lower()  # Go's url.Parse lower-cases the scheme
    if scheme in ("oci", "file", "http", "https"):
        return None
    return f"could not find protocol handler for: {scheme}"


def plan(deps: Sequence[Dependency]) -> Plan:
    lists: set[str] = set()
    indexes: set[str] = set()
    local: set[str] = set()
    vendored: set[str] = set()
    for dep in deps:
        if not dep.repository:
            vendored.add(dep.name)
        elif dep.repository.startswith("file://"):
            local.add(dep.repository)
        elif is_oci(dep.repository):
            if not exact_oci_version(dep):
                lists.add(oci_key(dep.repository, dep.name))
        else:
            indexes.add(dep.repository)
    return Plan(frozenset(lists), frozenset(indexes), frozenset(local), frozenset(vendored))


def oci_versions(tags: Sequence[str]) -> list[Version]:
    """Helm's ``registry.Client.Tags``: ``_``→``+``, strict parse (skip the rest), sort desc."""
    return sort_desc(v for v in (parse_tag(t) for t in tags) if v is not None)


def index_versions(entries: Sequence[IndexEntry]) -> list[IndexEntry]:
    """``sort.Sort(sort.Reverse(ChartVersions))``: loose semver, unparsable last."""

    def orig_less(a: IndexEntry, b: IndexEntry) -> bool:
        try:
            i = parse_version(a.version)
        except InvalidVersion:
            return True
        try:
            j = parse_version(b.version)
        except InvalidVersion:
            return False
        return i < j

    items = list(entries)
    go_sort(items, lambda x, y: orig_less(y, x))
    return items


def _newest(versions: Sequence[str], limit: int = 3) -> str:
    return ", ".join(versions[:limit]) if versions else "none"


def resolve_dependencies(
    deps: Sequence[Dependency], facts: Facts, *, chart: str = ""
) -> list[Dependency]:
    """Lock entries (name, repository, version) for ``deps``, in order, exactly as Helm."""
    locked: list[Dependency] = []
    missing: list[str] = []
    first_missing = ""
    for dep in deps:
        constraint = _constraint(dep, chart)
        at_version = where(dep, "version", chart)
        at_repository = where(dep, "repository", chart)
        if not dep.repository:
            version = facts.vendored.get(dep.name)
            if version is None:
                raise ResolveError(f"{at_repository}directory charts/{dep.name} not found")
            if not _allows(constraint, version):
                raise ResolveError(
                    f"{at_version}dependency {dep.name} at version {version} does not satisfy "
                    f"the constraint {dep.version}"
                )
            locked.append(Dependency(name=dep.name, repository="", version=dep.version))
            continue
        if dep.repository.startswith("file://"):
            version = facts.local.get(dep.repository)
            if version is None:
                raise ResolveError(
                    f"{at_repository}{dep.name}: directory {dep.repository} not found"
                )
            if not _allows(constraint, version):
                first_missing = first_missing or at_version
                missing.append(
                    f"{dep.name!r} (repository {dep.repository!r}, version {dep.version!r})"
                )
                continue
            locked.append(Dependency(name=dep.name, repository=dep.repository, version=version))
            continue
        if is_oci(dep.repository):
            locked.append(_resolve_oci(dep, constraint, facts, at_version))
            continue
        entry = _resolve_index(dep, constraint, facts, at_repository)
        if entry is None:
            first_missing = first_missing or at_version
            missing.append(f"{dep.name!r} (repository {dep.repository!r}, version {dep.version!r})")
            continue
        locked.append(entry)
    if missing:
        raise ResolveError(
            f"{first_missing}can't get a valid version for {len(missing)} subchart(s): "
            f"{', '.join(missing)}. Make sure a matching chart version exists in the repo, "
            "or change the version constraint in Chart.yaml"
        )
    return locked


def _allows(constraint: Constraint, version: str) -> bool:
    try:
        return constraint.allows(parse_version(version))
    except InvalidVersion:
        return False


def oci_pick(dep: Dependency, facts: Facts) -> str | None:
    """The version Helm locks for an OCI dependency given the tags listed in ``facts``; None
    when no tag matches, the tags were not listed or the constraint is invalid. Lets the
    caller fetch the digest of one dependency as soon as its own tag list arrives."""
    if exact_oci_version(dep):
        return dep.version
    try:
        constraint = parse_constraint(dep.version)
    except InvalidConstraint:
        return None
    key = oci_key(dep.repository, dep.name)
    version = facts.newest_allowed(key, constraint, dep.version)
    return None if version is None else str(version)


def _first_allowed(constraint: Constraint, ordered: Sequence[Version]) -> Version | None:
    for version in ordered:
        if constraint.allows(version):
            return version
    return None


def _resolve_oci(dep: Dependency, constraint: Constraint, facts: Facts, where: str) -> Dependency:
    if exact_oci_version(dep):
        return Dependency(name=dep.name, repository=dep.repository, version=dep.version)
    key = oci_key(dep.repository, dep.name)
    if key not in facts.tags:
        raise ResolveError(f"{where}no tag list for {dep.repository}/{dep.name}")
    picked = facts.newest_allowed(key, constraint, dep.version)
    if picked is not None:
        return Dependency(name=dep.name, repository=dep.repository, version=str(picked))
    ordered = facts.versions(key) or []
    releases = [str(v) for v in ordered if not v.prerelease] or [str(v) for v in ordered]
    raise ResolveError(
        f"{where}dependency {dep.name!r} ({dep.repository}): no version matches "
        f"{dep.version!r}; newest: {_newest(releases)}"
    )


def _resolve_index(
    dep: Dependency, constraint: Constraint, facts: Facts, where: str = ""
) -> Dependency | None:
    charts: Mapping[str, list[IndexEntry]] | None = facts.indexes.get(dep.repository)
    if charts is None:
        raise ResolveError(f"{where}no cached repository for {dep.repository} found")
    entries = charts.get(dep.name)
    if entries is None:
        raise ResolveError(f"{where}{dep.name} chart not found in repo {dep.repository}")
    for entry in index_versions(entries):
        if not entry.urls:
            continue
        try:
            version = parse_version(entry.version)
        except InvalidVersion:
            continue
        if constraint.allows(version):
            locked = Dependency(name=dep.name, repository=dep.repository, version=entry.version)
            if entry.digest:
                digest = (
                    entry.digest
                    if entry.digest.startswith("sha256:")
                    else ("sha256:" + entry.digest)
                )
                locked.extra["digest"] = digest
            return locked
    return None


def oci_tag(version: str) -> str:
    """The registry tag for a lock version (``+`` is not allowed in tags: Helm uses ``_``)."""
    return version.replace("+", "_")
