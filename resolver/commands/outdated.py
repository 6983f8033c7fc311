"""``chartlock outdated``: per dependency, the locked version, the newest version its range
allows (what ``chartlock lock --upgrade`` would pick today, chosen exactly as Helm chooses) and
the newest version overall (releases only, unless the range admits prereleases). Dependencies
that ``lock --upgrade`` would move are marked (plain ``lock`` keeps what is locked).

Each OCI repository's tags are listed once and each https index fetched once, concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resolver.chart.lockfile import rewrite_repo_aliases
from resolver.chart.models import Dependency
from resolver.chart.pair import LoadedChart, pair_requirements
from resolver.commands.common import (
    Memo,
    add_error,
    close_all,
    default_options,
    load_each,
    name_urls,
)
from resolver.errors import ChartlockError, InvalidConstraint, InvalidVersion
from resolver.registry.session import open_client
from resolver.resolution.pick import (
    IndexEntry,
    exact_oci_version,
    index_versions,
    is_oci,
    oci_versions,
    unusable_repository,
    where,
)
from resolver.semver import Constraint, Version, parse_constraint, parse_version
from resolver.util.records import Record, field

if TYPE_CHECKING:
    import httpx

    from resolver.chart.repoconfig import RepoEntry
    from resolver.registry.client import RegistryClient
    from resolver.registry.options import ClientOptions
    from resolver.registry.reference import Repository


class DependencyStatus(Record):
    """One dependency's row."""

    name: str
    alias: str
    repository: str
    constraint: str
    locked: str | None  # None: no lock entry
    wanted: str | None  # None: nothing in range (or not applicable)
    latest: str | None
    kind: str  # "oci" | "https" | "file" | "vendored"
    error: str = ""

    @property
    def outdated(self) -> bool:
        """The lock is behind what the range allows today."""
        if self.locked is None or self.wanted is None:
            return self.locked is None and self.wanted is not None
        try:
            return parse_version(self.wanted) > parse_version(self.locked)
        except InvalidVersion:
            return self.wanted != self.locked

    @property
    def moves_on_upgrade(self) -> bool:
        """``chartlock lock --upgrade`` would lock another version than the locked one.

        (Plain ``chartlock lock`` keeps the locked version while the range allows it.)
        """
        if self.kind in ("vendored", "file") or self.wanted is None:
            return False
        return self.locked != self.wanted

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias or None,
            "repository": self.repository,
            "constraint": self.constraint,
            "locked": self.locked,
            "wanted": self.wanted,
            "latest": self.latest,
            "kind": self.kind,
            "outdated": self.outdated,
            "moves_on_upgrade": self.moves_on_upgrade,
            "error": self.error or None,
        }


class ChartStatus(Record):
    chart_dir: Path
    display: str
    dependencies: list[DependencyStatus] = field(default_factory=list)


class OutdatedReport(Record):
    charts: list[ChartStatus] = field(default_factory=list)
    errors: list[ChartlockError] = field(default_factory=list)

    def dependency_errors(self) -> list[str]:
        """Each dependency's error (naming its Chart.yaml ``path:line:column``), in order."""
        return [d.error for c in self.charts for d in c.dependencies if d.error]

    @property
    def failed(self) -> bool:
        """Whether something could not be determined: the run exits 2 then."""
        return bool(self.errors) or any(d.error for c in self.charts for d in c.dependencies)


def _pick(
    versions: Sequence[Version], constraint: Constraint | None
) -> tuple[str | None, str | None]:
    """(newest allowed by ``constraint`` in Helm's order, newest overall)."""
    wanted = None
    if constraint is not None:
        wanted = next((v for v in versions if constraint.allows(v)), None)
    allow_pre = constraint is not None and any(constraint.group_has_pre)
    latest = next((v for v in versions if allow_pre or not v.prerelease), None)
    return (
        (wanted.original or str(wanted)) if wanted is not None else None,
        (latest.original or str(latest)) if latest is not None else None,
    )


def _index_version_list(entries: Sequence[IndexEntry]) -> list[Version]:
    out = []
    for entry in index_versions(entries):
        if not entry.urls:
            continue
        try:
            out.append(parse_version(entry.version))
        except InvalidVersion:
            continue
    return out


class _Outdated:
    """One outdated run's requests: each tag list fetched, parsed and sorted once, each index
    fetched once."""

    __slots__ = ("client", "indexes", "options", "repos", "versions")

    def __init__(
        self, client: RegistryClient, repos: Sequence[RepoEntry], options: ClientOptions
    ) -> None:
        self.client = client
        self.repos = repos
        self.options = options
        self.versions: Memo[str, list[Version]] = Memo()
        self.indexes: Memo[str, dict[str, list[IndexEntry]]] = Memo()

    async def _index(self, url: str) -> dict[str, list[IndexEntry]]:
        from resolver.resolution.indexrepo import fetch_indexes

        return (await fetch_indexes([url], self.repos, self.options.timeout))[url]

    async def _versions(self, repo: Repository) -> list[Version]:
        return oci_versions(await self.client.list_tags(repo))

    async def status(self, dep: Dependency, entry: Dependency | None) -> DependencyStatus:
        from resolver.registry.reference import oci_chart_repository

        row = _row(dep, entry)
        if row.kind in ("vendored", "file"):
            return row.replace(wanted=row.locked)
        refused = unusable_repository(dep.repository) if row.kind == "https" else None
        if refused is not None:  # Helm refuses it, as lock does
            return row.replace(error=f"{where(dep, 'repository')}{refused}")
        error = ""
        try:
            constraint: Constraint | None = parse_constraint(dep.version)
        except InvalidConstraint as exc:
            constraint = None
            error = (
                f"{where(dep, 'version')}dependency {dep.name!r} has an invalid "
                f"version/constraint format: {exc}"
            )
        if row.kind == "oci":
            repo = oci_chart_repository(dep.repository, dep.name)
            versions = await self.versions.get(str(repo), lambda: self._versions(repo))
            wanted, latest = _pick(versions, constraint)
            if constraint is not None and exact_oci_version(dep):
                # Helm takes an exact OCI version as the tag itself, without listing tags.
                wanted = dep.version
            return row.replace(wanted=wanted, latest=latest, error=error)
        charts = await self.indexes.get(dep.repository, lambda: self._index(dep.repository))
        entries = charts.get(dep.name)
        if entries is None:
            return row.replace(
                error=f"{where(dep, 'repository')}{dep.name} chart not found in repo "
                f"{dep.repository}"
            )
        wanted, latest = _pick(_index_version_list(entries), constraint)
        return row.replace(wanted=wanted, latest=latest, error=error)


def _row(dep: Dependency, entry: Dependency | None, error: str = "") -> DependencyStatus:
    """The row of ``dep`` before anything is known of its repository."""
    repository = dep.repository
    kind = (
        "oci"
        if is_oci(repository)
        else "vendored"
        if not repository
        else "file"
        if repository.startswith("file://")
        else "https"
    )
    locked = entry.version if entry is not None else None
    return DependencyStatus(
        dep.name, dep.alias, repository, dep.version, locked, None, None, kind, error
    )


def _requirements(
    loaded: LoadedChart, repo_urls: dict[str, str]
) -> list[tuple[Dependency, Dependency | None]]:
    chart, lock = loaded.chart, loaded.lock
    deps = chart.dependencies or []
    entries: list[Dependency | None] = [None] * len(deps)
    if lock is not None:
        by_req = {
            id(r): e
            for e, r in zip(lock.dependencies or [], pair_requirements(chart, lock), strict=True)
            if r is not None
        }
        entries = [by_req.get(id(d)) for d in deps]
    rewritten = rewrite_repo_aliases(deps, lock.dependencies if lock else None, repo_urls) or []
    return list(zip(rewritten, entries, strict=True))


async def outdated_charts_async(
    chart_dirs: Sequence[Path],
    options: ClientOptions | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    cwd: Path | None = None,
) -> OutdatedReport:
    from resolver.chart.repoconfig import load_repositories

    base = cwd or Path.cwd()
    opts = options if options is not None else default_options()
    repos = load_repositories(opts.repository_config)
    repo_urls = name_urls(repos)
    report = OutdatedReport()
    work: list[tuple[ChartStatus, Dependency, Dependency | None]] = []
    for loaded in load_each(chart_dirs, base, report.errors):
        status = ChartStatus(loaded.chart.directory, loaded.display)
        report.charts.append(status)
        for dep, entry in _requirements(loaded, repo_urls):
            work.append((status, dep, entry))
    if not work:
        return report
    async with open_client(opts, transport) as client:
        checker = _Outdated(client, repos, opts)
        try:
            results = await asyncio.gather(
                *(checker.status(dep, entry) for _, dep, entry in work), return_exceptions=True
            )
        finally:
            await close_all(checker.versions, checker.indexes)
    for (status, dep, entry), result in zip(work, results, strict=True):
        if isinstance(result, ChartlockError):
            add_error(report.errors, result)
            status.dependencies.append(_row(dep, entry, f"{where(dep, 'repository')}{result}"))
            continue
        if isinstance(result, BaseException):
            raise result
        status.dependencies.append(result)
    return report


def outdated_charts(
    chart_dirs: Sequence[Path], options: ClientOptions | None = None, **kwargs: Any
) -> OutdatedReport:
    """Synchronous :func:`outdated_charts_async`."""
    from resolver.util.aio import run

    return run(outdated_charts_async(chart_dirs, options, **kwargs))


# The names of the first release's library (README): ``<command>_charts`` since every command
# core is named so (``lock_charts``, ``verify_charts``, ``pull_charts``).
outdated = outdated_charts
outdated_async = outdated_charts_async


def render_text(report: OutdatedReport) -> str:
    header = ("CHART", "DEPENDENCY", "CONSTRAINT", "LOCKED", "WANTED", "LATEST", "REPOSITORY")
    rows = [header]
    for chart in report.charts:
        for dep in chart.dependencies:
            name = f"{dep.name} (as {dep.alias})" if dep.alias else dep.name
            mark = " *" if dep.moves_on_upgrade else ""
            rows.append(
                (
                    chart.display,
                    name,
                    dep.constraint or "-",
                    (dep.locked or "-") + mark,
                    dep.wanted or "-",
                    dep.latest or "-",
                    dep.repository or '""',
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    if len(rows) == 1:
        return "no dependencies"
    if any(d.moves_on_upgrade for c in report.charts for d in c.dependencies):
        lines.append(
            "* `chartlock lock --upgrade` would move it to WANTED "
            "(just this one: `chartlock lock --upgrade-package NAME`)"
        )
    # A row that could not be determined says why, where: it is not "up to date".
    lines.extend(f"error: {error}" for error in report.dependency_errors())
    return "\n".join(lines)


def render_json(report: OutdatedReport) -> str:
    import json

    from resolver.linter.findings import error_dict

    doc = {
        "charts": [
            {"path": c.display, "dependencies": [d.to_dict() for d in c.dependencies]}
            for c in report.charts
        ],
        # The same shape as every other JSON report's errors (message, path, line, column).
        "errors": [error_dict(e) for e in report.errors],
    }
    return json.dumps(doc, indent=2)


__all__ = [
    "ChartStatus",
    "DependencyStatus",
    "OutdatedReport",
    "outdated",
    "outdated_async",
    "outdated_charts",
    "outdated_charts_async",
    "render_json",
    "render_text",
]
