"""The concurrent orchestration of ``chartlock lock``: load the charts, plan what to keep,
gather every network fact at once, resolve, and fetch the digests.

All charts and all their dependencies are resolved together: each OCI repository's tags are
listed once per run (and parsed once: :meth:`resolver.resolution.pick.Facts.versions`), each
https index is fetched once, each (repository, tag) digest is asked for once with ``HEAD``, all
concurrently. Writing the locks is :mod:`resolver.commands.lock`'s job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from resolver.chart.models import Chart, Dependency, Lock
from resolver.chart.repoconfig import RepoEntry
from resolver.errors import RegistryError, ResolveError
from resolver.resolution.pick import (
    Facts,
    is_oci,
    oci_key,
    oci_pick,
    oci_tag,
    plan,
    unusable_repository,
    where,
)
from resolver.resolution.plan import Decision, Upgrade, facts_needed, plan_lock
from resolver.util.records import Record

if TYPE_CHECKING:
    from resolver.registry.client import RegistryClient

DigestKey = tuple[str, str, str]  # (repository, chart name, version)


class Loaded(Record):
    """One chart to lock: its Chart.yaml, its lock, and what the plan decided."""

    chart: Chart
    lock: Lock | None
    req: list[Dependency]  # dependencies after the @name rewrite (what Helm hashes)
    # What to keep and what to resolve (None: resolve everything, like Helm)
    decisions: list[Decision] | None = None

    @property
    def wanted(self) -> list[Dependency]:
        """The dependencies whose facts must be gathered (kept OCI ones as exact versions)."""
        return self.req if self.decisions is None else facts_needed(self.decisions)


def load_charts(
    chart_dirs: Sequence[Path],
    repos: Sequence[RepoEntry],
    cwd: Path,
    chart_texts: Mapping[Path, str] | None = None,
) -> list[Loaded]:
    """Load every chart and rewrite ``@name``/``alias:name`` repositories like Helm.

    ``chart_texts``: a Chart.yaml text to use instead of the file, per chart directory (``fix
    --diff`` resolves the lock of a Chart.yaml it has not written)."""
    from resolver.chart.discovery import display_path
    from resolver.chart.loader import parse_chart
    from resolver.chart.lockfile import repo_alias_name
    from resolver.chart.pair import apply_requirements, load_pair

    urls: dict[str, str] = {}
    for entry in repos:
        urls.setdefault(entry.name, entry.url)
    out = []
    for chart_dir in chart_dirs:
        chart_yaml = chart_dir / "Chart.yaml"
        shown = display_path(chart_yaml, cwd)
        given = None
        if chart_texts is not None and chart_dir in chart_texts:
            given = parse_chart(chart_texts[chart_dir], chart_yaml, shown)
            given = apply_requirements(given, chart_dir, shown)
        chart, lock = load_pair(chart_yaml, shown, chart=given)
        req = []
        for dep in chart.dependencies or []:
            name = repo_alias_name(dep.repository)
            if name is not None:
                if name not in urls:
                    raise ResolveError(
                        f"{where(dep, 'repository', chart.display_path)}no repository "
                        f"definition for {dep.repository}. Please add it via 'helm repo add'"
                    )
                dep = dep.replace(repository=urls[name])
            refused = unusable_repository(dep.repository) if dep.repository else None
            if refused is not None:
                raise ResolveError(f"{where(dep, 'repository', chart.display_path)}{refused}")
            req.append(dep)
        out.append(Loaded(chart, lock, req))
    return out


def plan_charts(loaded: Sequence[Loaded], upgrade: Upgrade) -> list[Loaded]:
    """Each chart with its decisions (:func:`resolver.resolution.plan.plan_lock`)."""
    return [
        item.replace(
            decisions=plan_lock(
                item.req, item.lock.dependencies if item.lock is not None else None, upgrade
            )
        )
        for item in loaded
    ]


def _local_version(chart_dir: Path, repository: str) -> str | None:
    from resolver.chart.loader import load_chart

    path = repository[len("file://") :]
    target = Path(path) if path.startswith("/") else chart_dir / path
    if not (target / "Chart.yaml").is_file():
        return None
    return load_chart(target / "Chart.yaml").version


class DigestFetcher:
    """Manifest digests by ``HEAD``, each fetched once, started as early as it is known.

    A dependency's digest is fetched as soon as its version is known: at once for an exact
    version, when its own tag list arrives for a range (the lock is still resolved as a whole,
    afterwards). The critical path is then one dependency's list-then-HEAD, not the slowest
    list plus the slowest HEAD. Errors surface only where a digest is awaited.
    """

    __slots__ = ("client", "tasks")

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.tasks: dict[DigestKey, asyncio.Task[str]] = {}

    def start(self, repository: str, name: str, version: str) -> None:
        from resolver.util.aio import consume

        key = (repository, name, version)
        if key not in self.tasks:
            task = asyncio.ensure_future(self._head(key))
            task.add_done_callback(consume)
            self.tasks[key] = task

    async def get(self, key: DigestKey) -> str:
        self.start(*key)
        return await self.tasks[key]

    async def aclose(self) -> None:
        """Cancel the digests nobody awaited and wait for them (none outlives the run)."""
        from resolver.util.aio import cancel_and_wait

        await cancel_and_wait(self.tasks.values())

    async def _head(self, key: DigestKey) -> str:
        from resolver.registry.reference import oci_chart_repository

        repository, name, version = key
        repo = oci_chart_repository(repository, name)
        info = await self.client.head_manifest(repo, oci_tag(version))
        return info.digest


async def gather_facts(
    loaded: Sequence[Loaded],
    client: RegistryClient,
    repos: Sequence[RepoEntry],
    timeout: float,
    digests: DigestFetcher | None = None,
) -> Facts:
    """Fetch every tag list and index the charts need, once each, concurrently (and, with
    ``digests``, start each OCI dependency's digest as soon as its version is known).
    ``timeout``: seconds per index request."""
    from resolver.registry.reference import oci_chart_repository
    from resolver.resolution.indexrepo import fetch_indexes
    from resolver.util.aio import gather

    facts = Facts()
    lists: dict[str, Dependency] = {}
    users: dict[str, list[Dependency]] = {}
    index_urls: set[str] = set()
    for item in loaded:
        wanted = item.wanted
        p = plan(wanted)
        for dep in wanted:
            if not is_oci(dep.repository):
                continue
            key = oci_key(dep.repository, dep.name)
            if key in p.oci_lists:
                lists.setdefault(key, dep)
                users.setdefault(key, []).append(dep)
            elif digests is not None:
                digests.start(dep.repository, dep.name, dep.version)
        index_urls |= p.index_urls
        chart_dir = item.chart.directory
        for repo_url in p.local_repos:
            facts.local[repo_url] = _local_version(chart_dir, repo_url)
        for name in p.vendored:
            sub = chart_dir / "charts" / name / "Chart.yaml"
            facts.vendored[name] = (
                _local_version(chart_dir, f"file://charts/{name}") if (sub.is_file()) else None
            )

    async def list_one(key: str, dep: Dependency) -> None:
        repo = oci_chart_repository(dep.repository, dep.name)
        facts.tags[key] = await client.list_tags(repo)
        if digests is not None:
            for user in users[key]:
                version = oci_pick(user, facts)
                if version is not None:
                    digests.start(user.repository, user.name, version)

    tasks = [list_one(k, d) for k, d in lists.items()]
    index_task = fetch_indexes(sorted(index_urls), repos, timeout)
    indexes, *_ = await gather(index_task, *tasks)
    assert isinstance(indexes, dict)
    facts.indexes.update(indexes)
    return facts


async def fetch_digests(
    entries: Sequence[Dependency], client: RegistryClient, digests: DigestFetcher | None = None
) -> dict[DigestKey, str]:
    """Manifest digests (HEAD) for every OCI lock entry, deduplicated, concurrently."""
    from resolver.util.aio import gather

    fetcher = digests if digests is not None else DigestFetcher(client)
    keys = sorted({(e.repository, e.name, e.version) for e in entries if is_oci(e.repository)})
    values = await gather(*(fetcher.get(k) for k in keys))
    return dict(zip(keys, values, strict=True))


async def resolve_loaded(
    loaded: Sequence[Loaded],
    client: RegistryClient,
    repos: Sequence[RepoEntry],
    timeout: float,
) -> tuple[list[list[Dependency]], dict[DigestKey, str]]:
    """Every chart's lock entries (in Chart.yaml order) and the manifest digest of every OCI
    entry. A registry failure names the Chart.yaml line it is about (:func:`located`)."""
    from resolver.resolution.plan import resolve_planned

    fetcher = DigestFetcher(client)
    try:
        facts = await gather_facts(loaded, client, repos, timeout, fetcher)
        resolved = [
            resolve_planned(item.decisions or [], facts, chart=item.chart.display_path)
            if item.chart.dependencies is not None
            else []
            for item in loaded
        ]
        all_entries = [e for entries in resolved for e in entries]
        digests = await _fetch_explained(loaded, resolved, all_entries, client, fetcher)
    except RegistryError as exc:
        raise located(exc, loaded) from None
    finally:
        await fetcher.aclose()
    return resolved, digests


def _prefixed(exc: RegistryError, prefix: str) -> RegistryError:
    import copy

    out = copy.copy(exc)
    out.args = (f"{prefix}{exc}",)
    return out


def located(exc: RegistryError, loaded: Sequence[Loaded]) -> RegistryError:
    """``exc`` prefixed with the Chart.yaml position of the dependency it is about: one whose
    reference is itself invalid; else the first in that registry repository (for a missing tag
    its version, preferring the dependency that asked for that exact tag; else its
    repository), so that in a monorepo the error says which line to fix. Errors about a whole
    registry stay as they are."""
    from resolver.registry.reference import oci_chart_repository

    matches: list[tuple[Dependency, str]] = []
    for item in loaded:
        for dep in item.req:
            if not is_oci(dep.repository):
                continue
            try:
                repo = oci_chart_repository(dep.repository, dep.name)
            except RegistryError as invalid:
                if str(invalid) == str(exc):  # this dependency's reference is the problem
                    return _prefixed(exc, where(dep, "repository", item.chart.display_path))
                continue
            if exc.repository and (repo.registry, repo.path) == (exc.registry, exc.repository):
                matches.append((dep, item.chart.display_path))
    if not matches:
        return exc
    dep, display = matches[0]
    key = "repository"
    if exc.code == "MANIFEST_UNKNOWN":
        key = "version"
        # The dependency that asked for the missing tag, when its version is that tag.
        for candidate, candidate_display in matches:
            if f": tag {oci_tag(candidate.version)} does not exist" in str(exc):
                dep, display = candidate, candidate_display
                break
    return _prefixed(exc, where(dep, key, display))


async def _fetch_explained(
    loaded: Sequence[Loaded],
    resolved: Sequence[list[Dependency]],
    entries: Sequence[Dependency],
    client: RegistryClient,
    fetcher: DigestFetcher,
) -> dict[DigestKey, str]:
    """:func:`fetch_digests`; a kept version whose tag is gone says so (CL503), with the way
    out, instead of the registry's bare "does not exist"."""
    try:
        return await fetch_digests(entries, client, fetcher)
    except RegistryError as exc:
        if not exc.gone:
            raise
        for item, chart_entries in zip(loaded, resolved, strict=True):
            for decision, entry in zip(item.decisions or [], chart_entries, strict=True):
                if decision.action != "keep" or not is_oci(entry.repository):
                    continue
                task = fetcher.tasks.get((entry.repository, entry.name, entry.version))
                if task is None or not task.done() or task.cancelled():
                    continue
                if task.exception() is None:
                    continue
                name = decision.dep.alias or decision.dep.name
                raise ResolveError(
                    f"{item.chart.display_path}: dependency {name!r}: the locked version "
                    f"{entry.version} is gone from {entry.repository}/{entry.name} (CL503 "
                    f"locked-version-gone); run `chartlock lock --upgrade-package {name}` to "
                    "pick an existing version"
                ) from None
        raise


__all__ = [
    "DigestFetcher",
    "Loaded",
    "fetch_digests",
    "gather_facts",
    "load_charts",
    "located",
    "plan_charts",
    "resolve_loaded",
]
