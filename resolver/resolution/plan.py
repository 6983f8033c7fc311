"""Conservative locking: which dependencies keep what Chart.lock says, which are resolved again.

Like ``uv lock``/``cargo``/``poetry lock``: when a Chart.lock exists, a dependency keeps its
locked version (and per-dependency digest) while that version still satisfies its range and
comes from the same repository; a new dependency, one whose range no longer admits the locked
version, or one whose repository changed is resolved exactly as Helm resolves it. Upgrades are
explicit: ``upgrade=True`` re-resolves everything (``helm dependency update``), named
packages re-resolve just those, optionally to an exact version (``NAME==VERSION``).

Everything here is pure (no I/O): :func:`plan_lock` decides per dependency, the caller
gathers the facts :func:`facts_needed` names, :func:`resolve_planned` builds the lock entries,
:func:`moved_tags` finds re-pushed tags and :func:`resolver.resolution.diff.changes` says
what changed.

How a Chart.yaml dependency finds its lock entry. Helm writes one entry per dependency, in
order, with only ``name``, ``repository`` and ``version`` (no alias), so the match is by name
and repository: among the unused entries with the same name and repository (compared like
Helm's ``urlutil.Equal``: trailing ``/`` and ``.``/``..`` path steps do not matter), the k-th
such entry for the k-th dependency of that name when its version satisfies the range, else the
first whose version does. Aliased copies of one chart therefore keep their own versions even
when a dependency is inserted before them. A dependency with no satisfying entry is matched,
for the report only, to an unused entry of the same name (same repository first) and resolved.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence

from resolver.chart.models import Dependency
from resolver.errors import (
    ChartlockError,
    InputError,
    InvalidConstraint,
    InvalidVersion,
    ResolveError,
)
from resolver.registry.reference import DIGEST_RE
from resolver.resolution.pick import (
    Facts,
    exact_oci_version,
    is_oci,
    oci_key,
    resolve_dependencies,
)
from resolver.semver import Constraint, parse_constraint, parse_version
from resolver.util.records import Record, field

# Decision.reason values
LOCKED = "locked"  # kept: the locked version still satisfies the range
NEW = "new"  # no lock entry
RANGE = "range"  # the range no longer admits the locked version
REPOSITORY = "repository"  # the repository changed
UPGRADE = "upgrade"  # --upgrade / --upgrade-package
EXACT = "exact"  # an exact OCI version: Helm takes it as the tag, nothing to keep
LOCAL = "local"  # file:// or charts/<name>: read from disk every time, like Helm


class UpgradeError(ChartlockError):
    """A bad ``--upgrade-package`` request (unknown name, version outside the range...)."""


class Upgrade(Record):
    """What to upgrade: everything, or the named dependencies (name or alias), each
    optionally to an exact version."""

    everything: bool = False
    packages: Mapping[str, str | None] = field(default_factory=dict)

    def names(self, dep: Dependency) -> bool:
        """Whether ``dep`` is to be upgraded."""
        return self.everything or self.key(dep) is not None

    def key(self, dep: Dependency) -> str | None:
        """The ``--upgrade-package`` name that selects ``dep`` (alias first), if any."""
        for name in (dep.alias, dep.name):
            if name and name in self.packages:
                return name
        return None

    def precise(self, dep: Dependency) -> str | None:
        """The exact version requested for ``dep`` (``NAME==VERSION``), if any."""
        key = self.key(dep)
        return None if key is None else self.packages[key]


def parse_upgrade(upgrade: bool | str | Iterable[str] | Upgrade | None) -> Upgrade:
    """``True`` (everything), ``False``/``None`` (nothing), or ``NAME``/``NAME==VERSION`` items
    (a single string is one item)."""
    if isinstance(upgrade, Upgrade):
        return upgrade
    if upgrade is None or upgrade is False:
        return Upgrade()
    if upgrade is True:
        return Upgrade(everything=True)
    items = [upgrade] if isinstance(upgrade, str) else list(upgrade)
    packages: dict[str, str | None] = {}
    for item in items:
        if not isinstance(item, str):
            raise UpgradeError(f"--upgrade-package: expected NAME or NAME==VERSION, got {item!r}")
        name, sep, version = item.partition("==")
        name, version = name.strip(), version.strip()
        if not name or (sep and not version) or "=" in name:
            raise UpgradeError(
                f"--upgrade-package {item!r}: expected NAME or NAME==VERSION "
                "(NAME is a dependency's name or alias)"
            )
        wanted = version if sep else None
        if name in packages and packages[name] != wanted:
            raise UpgradeError(
                f"--upgrade-package {name}: given twice with different versions "
                f"({packages[name] or 'newest'}, {wanted or 'newest'})"
            )
        packages[name] = wanted
    return Upgrade(packages=packages)


def same_repository(a: str, b: str) -> bool:
    """Helm's ``urlutil.Equal``: URLs equal after cleaning their paths (``""`` → ``/``, no
    trailing ``/``, no ``.``/``..`` steps); the scheme is case-insensitive."""
    if a == b:
        return True
    return _normal_url(a) == _normal_url(b)


def _normal_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return posixpath.normpath(url)
    path = parts.path or "/"
    clean = posixpath.normpath(path)
    if clean.startswith("//"):  # POSIX keeps a leading "//"; Go's path.Clean does not
        clean = "/" + clean.lstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc, clean, parts.query, parts.fragment))


class Decision(Record):
    """What happens to one Chart.yaml dependency: ``keep`` its lock entry, or ``resolve``.

    ``entry`` is the lock entry it was matched to (also for ``resolve``, to report the old
    version); ``precise`` is the exact version of ``NAME==VERSION``.
    """

    dep: Dependency
    entry: Dependency | None
    action: str  # "keep" | "resolve"
    reason: str
    precise: str | None = None
    upgraded: bool = False  # an upgrade flag names it: new content is accepted


def _kind(dep: Dependency) -> str:
    if not dep.repository or dep.repository.startswith("file://"):
        return "local"
    return "oci" if is_oci(dep.repository) else "https"


def _constraint_or_none(dep: Dependency) -> Constraint | None:
    try:
        return parse_constraint(dep.version)
    except InvalidConstraint:
        return None


def satisfies(dep: Dependency, version: str) -> bool:
    """Whether the locked ``version`` is allowed by ``dep``'s range."""
    constraint = _constraint_or_none(dep)
    if constraint is None:
        return False
    try:
        return constraint.allows(parse_version(version))
    except InvalidVersion:
        return False


def match_entries(
    req: Sequence[Dependency], entries: Sequence[Dependency]
) -> list[tuple[int | None, bool]]:
    """Per dependency: (index of its lock entry or None, whether that entry's version
    satisfies its range and comes from the same repository). See the module docstring."""
    used: set[int] = set()
    out: list[tuple[int | None, bool]] = [(None, False)] * len(req)
    seen: dict[str, int] = {}
    for i, dep in enumerate(req):
        k = seen.get(dep.name, 0)
        seen[dep.name] = k + 1
        same = [
            j
            for j, e in enumerate(entries)
            if j not in used
            and e.name == dep.name
            and same_repository(e.repository, dep.repository)
            and satisfies(dep, e.version)
        ]
        if not same:
            continue
        named = [j for j, e in enumerate(entries) if e.name == dep.name]
        preferred = named[k] if k < len(named) else None
        pick = preferred if preferred in same else same[0]
        used.add(pick)
        out[i] = (pick, True)
    for strict_repo in (True, False):  # for the report: what was this dependency locked at?
        for i, dep in enumerate(req):
            if out[i][0] is not None:
                continue
            for j, e in enumerate(entries):
                if j in used or e.name != dep.name:
                    continue
                if strict_repo and not same_repository(e.repository, dep.repository):
                    continue
                used.add(j)
                out[i] = (j, False)
                break
    return out


def plan_lock(
    req: Sequence[Dependency],
    entries: Sequence[Dependency] | None,
    upgrade: Upgrade,
) -> list[Decision]:
    """Decide, per dependency of ``req`` (after the ``@name`` rewrite), whether it keeps its
    lock entry. ``entries`` is the current lock (None: no lock, everything is resolved)."""
    locked = list(entries or [])
    matches = match_entries(req, locked) if locked else [(None, False)] * len(req)
    decisions = []
    for dep, (index, keepable) in zip(req, matches, strict=True):
        entry = locked[index] if index is not None else None
        named = upgrade.names(dep)
        precise = upgrade.precise(dep)
        kind = _kind(dep)
        if kind == "local":
            decision = Decision(dep, entry, "resolve", LOCAL, upgraded=named)
        elif kind == "oci" and exact_oci_version(dep):
            decision = Decision(dep, entry, "resolve", EXACT, upgraded=named)
        elif named:
            decision = Decision(dep, entry, "resolve", UPGRADE, precise, upgraded=True)
        elif entry is None:
            decision = Decision(dep, None, "resolve", NEW)
        elif keepable:
            decision = Decision(dep, entry, "keep", LOCKED)
        elif not same_repository(entry.repository, dep.repository):
            decision = Decision(dep, entry, "resolve", REPOSITORY)
        else:
            decision = Decision(dep, entry, "resolve", RANGE)
        decisions.append(decision)
    return decisions


def check_upgrade(upgrade: Upgrade, charts: Sequence[tuple[str, Sequence[Dependency]]]) -> None:
    """Every ``--upgrade-package`` name must name a dependency (by name or alias) of some
    chart, and an exact version must satisfy the range of every dependency it selects.

    ``charts`` is (Chart.yaml display path, dependencies) per chart.
    """
    if not upgrade.packages:
        return
    found: set[str] = set()
    for display, deps in charts:
        for dep in deps:
            key = upgrade.key(dep)
            if key is None:
                continue
            found.add(key)
            version = upgrade.packages[key]
            if version is None:
                continue
            try:
                parse_version(version)
            except InvalidVersion:
                raise UpgradeError(
                    f"--upgrade-package {key}=={version}: {version!r} is not a version"
                ) from None
            if not satisfies(dep, version):
                mark = dep.mark("version")
                raise InputError(
                    display,
                    f"--upgrade-package {key}=={version}: {version} is not allowed by the range "
                    f"{dep.version!r} of dependency {dep.alias or dep.name!r}; change the range "
                    "in Chart.yaml first",
                    line=mark.line if mark else None,
                    column=mark.column if mark else None,
                )
    unknown = [name for name in upgrade.packages if name not in found]
    if unknown:
        names = sorted({d.alias or d.name for _, deps in charts for d in deps})
        raise UpgradeError(
            f"--upgrade-package {unknown[0]}: no dependency is named or aliased {unknown[0]!r} "
            f"(dependencies: {', '.join(names) or 'none'})"
        )


def facts_needed(decisions: Sequence[Decision]) -> list[Dependency]:
    """The dependencies whose facts (tag lists, indexes, local versions) must be gathered.

    A kept OCI dependency appears with its locked version as an exact version: no tag list is
    needed, only its digest. A kept https dependency needs its repository's index (to check
    the version is still there and compare its digest).
    """
    out = []
    for d in decisions:
        if d.action == "keep" and d.entry is not None and is_oci(d.dep.repository):
            out.append(d.dep.replace(version=d.entry.version))
        else:
            out.append(d.dep)
    return out


def resolve_planned(
    decisions: Sequence[Decision], facts: Facts, *, chart: str = ""
) -> list[Dependency]:
    """Lock entries for ``decisions``, in order: kept entries as locked (their digest from the
    index for https repositories, none yet for OCI), the others resolved exactly as Helm."""
    where = f"{chart}: " if chart else ""
    fresh = [d.dep for d in decisions if d.action == "resolve" and d.precise is None]
    resolved = iter(resolve_dependencies(fresh, facts, chart=chart))
    out = []
    for d in decisions:
        if d.action == "resolve" and d.precise is None:
            out.append(next(resolved))
        elif d.precise is not None:
            out.append(_precise(d.dep, d.precise, facts, where))
        else:
            assert d.entry is not None
            out.append(_kept(d.dep, d.entry, facts, where))
    return out


def _kept(dep: Dependency, entry: Dependency, facts: Facts, where: str) -> Dependency:
    kept = Dependency(name=dep.name, repository=dep.repository, version=entry.version)
    if is_oci(dep.repository):
        return kept
    charts = facts.indexes.get(dep.repository) or {}
    for item in charts.get(dep.name) or []:
        if item.version == entry.version and item.urls:
            if item.digest:
                kept.extra["digest"] = _sha256(item.digest)
            return kept
    raise ResolveError(
        f"{where}dependency {dep.name!r} ({dep.repository}): the locked version "
        f"{entry.version} is no longer in the repository index (CL503 locked-version-gone); "
        f"run `chartlock lock --upgrade-package {dep.alias or dep.name}` to pick another"
    )


def _precise(dep: Dependency, version: str, facts: Facts, where: str) -> Dependency:
    wanted = parse_version(version)
    if is_oci(dep.repository):
        available = [str(v) for v in facts.versions(oci_key(dep.repository, dep.name)) or []]
    else:
        charts = facts.indexes.get(dep.repository) or {}
        available = [e.version for e in charts.get(dep.name) or [] if e.urls]
    pick = version if version in available else None
    if pick is None:
        for text in available:
            try:
                if parse_version(text) == wanted and parse_version(text).metadata == (
                    wanted.metadata
                ):
                    pick = text
                    break
            except InvalidVersion:
                continue
    if pick is None:
        raise ResolveError(
            f"{where}--upgrade-package {dep.alias or dep.name}=={version}: version {version} of "
            f"{dep.name!r} does not exist in {dep.repository} (newest: "
            f"{', '.join(available[:3]) or 'none'})"
        )
    locked = Dependency(name=dep.name, repository=dep.repository, version=pick)
    if not is_oci(dep.repository):
        charts = facts.indexes.get(dep.repository) or {}
        for item in charts.get(dep.name) or []:
            if item.version == pick and item.urls and item.digest:
                locked.extra["digest"] = _sha256(item.digest)
                break
    return locked


def _sha256(digest: str) -> str:
    """An index ``digest`` (bare hex in index.yaml) as a lock digest, like Helm's resolver."""
    return digest if digest.startswith("sha256:") else "sha256:" + digest


class Moved(Record):
    """A locked tag whose content changed in the registry (CL501)."""

    decision: Decision
    locked: str
    current: str


def moved_tags(decisions: Sequence[Decision], entries: Sequence[Dependency]) -> list[Moved]:
    """Dependencies that stay at their locked version while the registry now serves other
    content than the lock's ``digest:`` records, and that no upgrade flag names."""
    out = []
    for d, entry in zip(decisions, entries, strict=True):
        old = d.entry
        if old is None or d.upgraded or not old.content_digest or not entry.content_digest:
            continue
        if not DIGEST_RE.fullmatch(old.content_digest):
            continue  # a malformed digest (CL206) records nothing to compare: replaced
        if old.version != entry.version or not same_repository(old.repository, entry.repository):
            continue
        if old.content_digest != entry.content_digest:
            out.append(Moved(d, old.content_digest, entry.content_digest))
    return out


__all__ = [
    "Decision",
    "Moved",
    "Upgrade",
    "UpgradeError",
    "check_upgrade",
    "facts_needed",
    "match_entries",
    "moved_tags",
    "parse_upgrade",
    "plan_lock",
    "resolve_planned",
    "same_repository",
]
