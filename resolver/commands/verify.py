"""``chartlock verify``: does the registry still serve what Chart.lock pins?

For every locked OCI dependency (all repositories concurrently; each ``(repository, tag)`` asked
once, each repository's tags listed once):

* ``HEAD`` the locked tag. Missing → CL503 locked-version-gone.
* A digest other than the lock entry's ``digest`` → CL501 tag-moved (both digests named).
* ``GET`` the manifest by digest (the locked one, else the current one; both when the tag moved):
  a config media type other than Helm's → CL502 not-a-helm-chart.
* When the Chart.yaml range allows a newer tag than the locked one → CL504 (info).
* With a keyring (``verify --provenance``): the provenance layer of the manifest **by the locked
  digest** (by the current one only when the entry has no digest), fetched by its digest and
  checked like ``helm verify`` (:mod:`resolver.chart.provenance`) against the chart layer
  digest (the archive's sha256): CL505 missing, CL506 bad signature, CL507 unknown signer,
  CL508 hash mismatch, CL509 another signer than the lock's ``signer:`` key. Dependencies from https
  index repositories are checked too: the archive (through the cache) and ``<URL>.prov``
  (:func:`resolver.commands.indexpull.index_provenance`).
Findings sit at the lock entry's position. Registry failures that say nothing about the lock
(auth, network) become one-line errors in ``report.errors`` (exit code 2)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resolver.chart.models import Dependency
from resolver.chart.pair import (
    LoadedChart,
    error_at,
    pair_requirements,
    position,
)
from resolver.commands.common import Memo, add_error, close_all, default_options, load_each
from resolver.errors import (
    ChartlockError,
    InvalidConstraint,
    InvalidVersion,
    RegistryError,
)
from resolver.linter.findings import Finding, Report
from resolver.linter.rules.base import Problem, Rule, to_finding
from resolver.linter.rules.online import (
    NEWER_IN_RANGE,
    NOT_A_CHART,
    PROVENANCE_BAD_SIGNATURE,
    PROVENANCE_HASH_MISMATCH,
    PROVENANCE_MISSING,
    PROVENANCE_SIGNER_CHANGED,
    PROVENANCE_UNKNOWN_SIGNER,
    TAG_MOVED,
    VERSION_GONE,
)
from resolver.registry.reference import DIGEST_RE
from resolver.registry.session import open_client
from resolver.resolution.pick import exact_oci_version, is_oci, oci_tag, oci_versions
from resolver.semver import Version, parse_constraint, parse_version
from resolver.util.aio import consume
from resolver.util.records import Record

if TYPE_CHECKING:
    import httpx

    from resolver.chart.provenance import Keyring
    from resolver.registry.client import ChartManifest, ManifestInfo, RegistryClient
    from resolver.registry.options import ClientOptions
    from resolver.registry.reference import Repository


def _problem(
    rule: Rule, message: str, entry: Dependency, path: str, at: str = "version"
) -> Problem:
    """A finding about lock ``entry`` in ``path``, at its ``at`` key (no position: 0:0)."""
    line, column = position(entry.mark(at))
    key = f"{entry.repository}/{entry.name}:{entry.version}"
    return Problem(rule, message, line, column, key=key, path=path)


class _Item(Record):
    loaded: LoadedChart
    entry: Dependency
    req: Dependency | None
    repo: Repository
    tag: str


_PROVENANCE_RULES = {
    "missing": PROVENANCE_MISSING,
    "bad-signature": PROVENANCE_BAD_SIGNATURE,
    "unknown-signer": PROVENANCE_UNKNOWN_SIGNER,
    "hash-mismatch": PROVENANCE_HASH_MISMATCH,
    "signer-changed": PROVENANCE_SIGNER_CHANGED,
}


class _Verifier:
    """One verify run's requests, each made once (:class:`Memo`), and its results."""

    __slots__ = (
        "check_newer",
        "client",
        "heads",
        "keyring",
        "manifests",
        "provs",
        "require",
        "signed",
        "versions",
    )

    def __init__(
        self,
        client: RegistryClient,
        *,
        check_newer: bool,
        keyring: Keyring | None = None,
        signed: list[str] | None = None,
        require: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.client = client
        self.check_newer = check_newer
        self.keyring = keyring
        self.require = require
        self.signed = signed if signed is not None else []
        self.provs: Memo[tuple[str, str], bytes] = Memo()
        self.heads: Memo[tuple[str, str], ManifestInfo] = Memo()
        self.manifests: Memo[tuple[str, str], ChartManifest] = Memo()
        # Each repository's tags, listed once and parsed and sorted once (however many
        # dependencies ask for newer versions in it).
        self.versions: Memo[str, list[Version]] = Memo()

    def head(self, repo: Repository, tag: str) -> asyncio.Future[ManifestInfo]:
        return self.heads.get((str(repo), tag), lambda: self.client.head_manifest(repo, tag))

    def manifest(self, repo: Repository, digest: str) -> asyncio.Future[ChartManifest]:
        return self.manifests.get(
            (str(repo), digest), lambda: self.client.get_manifest(repo, digest)
        )

    def version_list(self, repo: Repository) -> asyncio.Future[list[Version]]:
        async def listed() -> list[Version]:
            return oci_versions(await self.client.list_tags(repo))

        return self.versions.get(str(repo), listed)

    async def check(self, item: _Item) -> list[Problem]:
        entry, repo, tag = item.entry, item.repo, item.tag
        where = f"oci://{repo}:{tag}"
        lock_path = item.loaded.lock_display
        problems: list[Problem] = []
        newer = asyncio.ensure_future(self.newer(item)) if self.check_newer else None
        try:
            locked = entry.content_digest
            if self.keyring is not None and locked and DIGEST_RE.fullmatch(locked):
                # Provenance needs the locked manifest whatever the tag says: ask for it
                # beside the HEAD instead of after it (one round trip less).
                self.manifest(repo, locked).add_done_callback(consume)
            try:
                current = (await self.head(repo, tag)).digest
            except RegistryError as exc:
                if not exc.gone:
                    raise
                problems.append(
                    _problem(
                        VERSION_GONE,
                        f"{entry.name} {entry.version}: the locked version is gone: {where} "
                        "does not exist in the registry",
                        entry,
                        lock_path,
                    )
                )
                current = None
            if locked and current is not None and current != locked:
                problems.append(
                    _problem(
                        TAG_MOVED,
                        f"{entry.name}: tag {tag} moved: locked {locked}, registry now {current} "
                        f"({where})",
                        entry,
                        lock_path,
                        at="digest",
                    )
                )
            wanted = [d for d in dict.fromkeys((locked, current)) if d]
            if current is None:
                wanted = []  # the tag is gone; CL503 says enough
            for digest in wanted:
                try:
                    manifest = await self.manifest(repo, digest)
                    if (
                        self.keyring is not None
                        and digest == wanted[0]
                        and (self.require is None or self.require(entry.name, entry.repository))
                    ):
                        problems.extend(await self.provenance(item, manifest, self.keyring))
                except RegistryError as exc:
                    if exc.code == "NOT_A_CHART":
                        problems.append(
                            _problem(
                                NOT_A_CHART,
                                f"{entry.name} {entry.version}: {where} ({digest}) is not a Helm "
                                f"chart: {_cause(exc)}",
                                entry,
                                lock_path,
                            )
                        )
                    elif exc.gone and digest == locked:
                        problems.append(
                            _problem(
                                VERSION_GONE,
                                f"{entry.name} {entry.version}: the locked manifest {locked} is "
                                f"gone from oci://{repo} (tag {tag} now points at {current})",
                                entry,
                                lock_path,
                            )
                        )
                    else:
                        raise
            if newer is not None:
                found = await newer
                if found is not None and item.req is not None:
                    problems.append(
                        _problem(
                            NEWER_IN_RANGE,
                            f"{entry.name}: {found} is allowed by {item.req.version!r} and newer "
                            f"than the locked {entry.version}",
                            entry,
                            lock_path,
                        )
                    )
        finally:
            if newer is not None:
                from resolver.util.aio import cancel_and_wait

                await cancel_and_wait([newer])
        return problems

    async def provenance(
        self, item: _Item, manifest: ChartManifest, keyring: Keyring
    ) -> list[Problem]:
        """The provenance findings for the locked manifest (none when it verifies; then the
        signer is added to ``self.signed``)."""
        from resolver.chart.provenance import ProvenanceFailure, check_signer, verify_provenance
        from resolver.commands.provfetch import fetch_oci_prov

        entry, repo = item.entry, item.repo
        where = f"oci://{repo}@{manifest.digest}"
        filename = f"{entry.name}-{entry.version}.tgz"
        try:
            prov = await self.provs.get(
                (str(repo), manifest.digest),
                lambda: fetch_oci_prov(self.client, repo, manifest, where),
            )
            verification = verify_provenance(prov, manifest.layer_digest, filename, keyring)
            recorded = entry.extra.get("signer")
            check_signer(verification, recorded if isinstance(recorded, str) else "")
        except ProvenanceFailure as failure:
            return [
                _problem(
                    _PROVENANCE_RULES[failure.kind],
                    f"{entry.name} {entry.version}: provenance: {failure} ({where})",
                    entry,
                    item.loaded.lock_display,
                )
            ]
        self.signed.append(
            f"{item.loaded.display}: {entry.name} {entry.version}: {verification.signer.describe()}"
        )
        return []

    async def newer(self, item: _Item) -> str | None:
        """The version ``chartlock lock --upgrade`` would pick today, when newer than the
        locked one."""
        req = item.req
        if req is None or not is_oci(req.repository) or exact_oci_version(req):
            return None
        try:
            constraint = parse_constraint(req.version)
            locked = parse_version(item.entry.version)
        except (InvalidConstraint, InvalidVersion):
            return None
        for version in await self.version_list(item.repo):
            if constraint.allows(version):
                return str(version) if version > locked else None
        return None


def _cause(exc: RegistryError) -> str:
    text = str(exc)
    marker = "is not a Helm chart ("
    if marker in text:
        return text.split(marker, 1)[1].rstrip(")")
    return text.split(": ", 1)[-1]


def collect_items(loaded: LoadedChart, report: Report, *, need_lock: bool = True) -> list[_Item]:
    """The locked OCI dependencies of one chart (bad references become report errors)."""
    from resolver.registry.reference import oci_chart_repository

    chart, lock = loaded.chart, loaded.lock
    if lock is None:
        if need_lock and chart.dependencies:
            report.errors.append(
                error_at(
                    chart.display_path,
                    chart.marks.get("dependencies"),
                    f"has dependencies but no {chart.lock_name}; run `chartlock lock "
                    f"{loaded.display}` first",
                )
            )
        return []
    items = []
    for entry, req in zip(lock.dependencies or [], pair_requirements(chart, lock), strict=True):
        if not is_oci(entry.repository):
            continue
        try:
            repo = oci_chart_repository(entry.repository, entry.name)
        except RegistryError as exc:
            report.errors.append(error_at(lock.display_path, entry.mark("repository"), str(exc)))
            continue
        items.append(_Item(loaded, entry, req, repo, oci_tag(entry.version)))
    return items


async def verify_charts_async(
    chart_dirs: Sequence[Path],
    options: ClientOptions | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    cwd: Path | None = None,
    check_newer: bool = True,
    keyring: Keyring | None = None,
    signed: list[str] | None = None,
    require: Callable[[str, str], bool] | None = None,
) -> Report:
    """See the module docstring. With ``keyring``, provenance is checked too, and one
    ``Signed by`` line per verified dependency is appended to ``signed``; ``require`` (name,
    repository) limits the check to some dependencies (``require-provenance:``)."""
    base = cwd or Path.cwd()
    opts = options if options is not None else default_options()
    report = Report()
    items: list[_Item] = []
    index_deps: list[tuple[LoadedChart, Dependency]] = []
    for loaded in load_each(chart_dirs, base, report.errors):
        report.charts_checked += 1
        report.files_checked += 1 if loaded.lock is None else 2
        items.extend(collect_items(loaded, report))
        if keyring is not None and loaded.lock is not None:
            index_deps.extend(
                (loaded, entry)
                for entry in loaded.lock.dependencies or []
                if entry.repository.startswith(("https://", "http://"))
                and (require is None or require(entry.name, entry.repository))
            )
    index_check: asyncio.Future[None] | None = None
    if index_deps and keyring is not None:  # beside the registry checks, not before them
        index_check = asyncio.ensure_future(
            _check_index_provenance(index_deps, opts, keyring, transport, report, signed)
        )
    try:
        await _check_items(items, opts, transport, report, check_newer, keyring, signed, require)
    except BaseException:
        if index_check is not None:
            index_check.cancel()
            with contextlib.suppress(BaseException):  # the first failure is the one to raise
                await index_check
        raise
    if index_check is not None:
        await index_check
    report.findings.sort(key=Finding.sort_key)
    return report


async def _check_items(
    items: Sequence[_Item],
    opts: ClientOptions,
    transport: httpx.AsyncBaseTransport | None,
    report: Report,
    check_newer: bool,
    keyring: Keyring | None,
    signed: list[str] | None,
    require: Callable[[str, str], bool] | None,
) -> None:
    if items:
        async with open_client(opts, transport) as client:
            verifier = _Verifier(
                client, check_newer=check_newer, keyring=keyring, signed=signed, require=require
            )
            try:
                results = await asyncio.gather(
                    *(verifier.check(item) for item in items), return_exceptions=True
                )
            finally:
                await close_all(
                    verifier.heads, verifier.manifests, verifier.versions, verifier.provs
                )
        for item, result in zip(items, results, strict=True):
            if isinstance(result, RegistryError) and item.loaded.lock is not None:
                # Name the lock entry the failed request was for (issue 9: path:line:column).
                result = error_at(
                    item.loaded.lock.display_path, item.entry.mark("version"), str(result)
                )
            if isinstance(result, ChartlockError):
                add_error(report.errors, result)
                continue
            if isinstance(result, BaseException):
                raise result
            path = item.loaded.lock_display
            named = _name_the_dependency(result, item, path)
            report.findings.extend(to_finding(p, path) for p in named)


async def _check_index_provenance(
    deps: Sequence[tuple[LoadedChart, Dependency]],
    options: ClientOptions,
    keyring: Keyring,
    transport: httpx.AsyncBaseTransport | None,
    report: Report,
    signed: list[str] | None,
) -> None:
    from resolver.chart.provenance import ProvenanceFailure
    from resolver.commands.indexpull import index_provenance

    outcomes = await index_provenance(
        [entry for _, entry in deps],
        options,
        keyring,
        transport=transport,
    )
    for (loaded, entry), outcome in zip(deps, outcomes, strict=True):
        if not isinstance(outcome, Exception):
            if signed is not None:
                signed.append(f"{loaded.display}: {entry.name} {entry.version}: {outcome.signer}")
        elif isinstance(outcome, ProvenanceFailure):
            problem = _problem(
                _PROVENANCE_RULES[outcome.kind],
                f"{entry.name} {entry.version}: provenance: {outcome} ({entry.repository})",
                entry,
                loaded.lock_display,
            )
            report.findings.append(to_finding(problem, loaded.lock_display))
        else:
            add_error(report.errors, outcome)


def _name_the_dependency(problems: list[Problem], item: _Item, path: str) -> list[Problem]:
    """``problems`` with ``--upgrade-package NAME`` in the rules' fixes filled with the
    dependency's name (its alias when it has one: what ``lock --upgrade-package`` accepts), so
    the fix is a command to copy."""
    name = (item.req.alias if item.req is not None else None) or item.entry.name
    directory = path.rpartition("/")[0] or "."
    named = []
    for problem in problems:
        template = problem.rule.fix
        if not problem.fix and "--upgrade-package NAME" in template:
            fix = template.replace("NAME", name, 1).replace("<chart>", directory)
            problem = problem.replace(fix=fix)
        named.append(problem)
    return named


def verify_charts(
    chart_dirs: Sequence[Path],
    options: ClientOptions | None = None,
    **kwargs: Any,
) -> Report:
    """Synchronous :func:`verify_charts_async`."""
    from resolver.util.aio import run

    return run(verify_charts_async(chart_dirs, options, **kwargs))


def verify_findings(
    chart_dirs: Sequence[Path],
    options: ClientOptions | None = None,
    **kwargs: Any,
) -> list[Finding]:
    """The CL501-CL504 findings for ``lint --online``.

    Raises the first error (a one-line :class:`ChartlockError`) when a chart could not be
    loaded or a registry could not be asked.
    """
    report = verify_charts(chart_dirs, options, **kwargs)
    if report.errors:
        error = report.errors[0]
        if isinstance(error, ChartlockError):
            raise error
        raise ChartlockError(str(error))
    return report.findings


__all__ = [
    "collect_items",
    "verify_charts",
    "verify_charts_async",
    "verify_findings",
]
