"""``chartlock pull``: a verified replacement for ``helm dependency build``.

For every chart, after checking (like ``helm dependency build``) that Chart.lock is in sync with
Chart.yaml, every locked dependency is fetched and verified before anything is written:

* OCI: the manifest **by the locked digest** (by tag, with a warning, when the entry has none),
  checked against that digest and for Helm's config media type; then the chart layer, checked
  against the layer digest, through the content-addressed cache
  (:mod:`resolver.registry.cache`), so a repeated pull downloads nothing. Saved as
  ``charts/<name>-<version>.tgz`` (``+`` kept).
* https index repositories: the archive URL is found in the repository's index.yaml like
  Helm's ``findChartURL`` and checked against the lock's digest (or the index's) when known.
  Saved under the URL's file name, as Helm does.
* ``file://`` dependencies are not packaged (a warning says to use ``helm dependency build``);
  ``repository: ""`` dependencies live in ``charts/`` already.

With a keyring (``pull --verify``), every archive's provenance is checked like ``helm pull
--verify`` does (:mod:`resolver.chart.provenance`): for OCI the provenance layer of the manifest
pulled by the locked digest, fetched by its digest; for https repositories ``<archive
URL>.prov`` (helm appends ``.prov`` to the whole URL). A missing, unsigned, forged or
mismatched provenance fails the pull like any other verification failure: nothing is written.

Only when every download of every chart has succeeded are the archives written (each atomically)
and older archives of the same dependencies (``charts/<name>-<other version>.tgz``) removed. Any
failure (out-of-sync lock, registry error, content that does not match its digest) leaves
``charts/`` untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resolver.chart.lockfile import hash_req, hash_v2_req, rewrite_repo_aliases
from resolver.chart.models import Dependency
from resolver.chart.pair import LoadedChart, error_at, load_chart_dir
from resolver.commands.common import Memo, default_options, name_urls
from resolver.commands.indexpull import (
    IndexDownloads,
    PulledFile,
    check_provenance,
    find_chart_url,
    index_provenance,
    resolve_reference_url,
)
from resolver.errors import ChartlockError, DigestMismatch, InvalidVersion
from resolver.registry.cache import BlobCache
from resolver.registry.reference import DIGEST_RE
from resolver.registry.session import open_client
from resolver.resolution.pick import is_oci, oci_tag
from resolver.semver import parse_version
from resolver.util.atomic import atomic_write
from resolver.util.records import Record, field

if TYPE_CHECKING:
    import httpx

    from resolver.chart.provenance import Keyring
    from resolver.registry.client import ChartManifest, RegistryClient
    from resolver.registry.options import ClientOptions
    from resolver.registry.reference import Repository

PULL_CONCURRENCY = 32
FILE_DEP_NOTE = "file:// dependencies are not pulled; run helm dependency build"


class ChartPull(Record):
    """What ``pull`` did for one chart (its lists fill as the pull goes)."""

    chart_dir: Path
    display: str
    files: list[PulledFile] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class PullResult:
    """What ``pull`` did (a state holder: the counts add up as downloads finish)."""

    __slots__ = ("charts", "downloaded", "from_cache", "warnings")

    def __init__(self) -> None:
        self.charts: list[ChartPull] = []
        self.warnings: list[str] = []
        self.downloaded = 0
        self.from_cache = 0


class _Job(Record):
    pull: ChartPull
    entry: Dependency
    lock_path: str


def check_in_sync(loaded: LoadedChart, repo_urls: dict[str, str]) -> None:
    """``helm dependency build``'s check: HashReq(Chart.yaml deps, lock entries) == digest."""
    chart, lock = loaded.chart, loaded.lock
    assert lock is not None
    req = rewrite_repo_aliases(chart.dependencies, lock.dependencies, repo_urls)
    if hash_req(req, lock.dependencies) == lock.digest:
        return
    if chart.api_version == "v1" and hash_v2_req(chart.dependencies) == lock.digest:
        return
    deps_file = "requirements.yaml" if chart.lock_name == "requirements.lock" else "Chart.yaml"
    raise error_at(
        lock.display_path,
        lock.marks.get("digest"),
        f"the lock file ({chart.lock_name}) is out of sync with the dependencies file "
        f"({deps_file}); run `chartlock lock {loaded.display}`",
    )


def parse_chart_manifest(raw: bytes, digest: str, repo: Repository) -> ChartManifest:
    """A cached manifest, checked exactly like ``RegistryClient.get_manifest`` checks one."""
    from resolver.registry.client import parse_chart_manifest as parse

    return parse(raw, digest, repo)


class _Puller:
    """Every locked archive of a pull: OCI ones here, https ones through
    :class:`resolver.commands.indexpull.IndexDownloads`."""

    __slots__ = (
        "_client",
        "_client_lock",
        "_open_registry",
        "blobs",
        "cache",
        "index",
        "manifests",
        "result",
    )

    def __init__(
        self,
        open_registry: Callable[[], Awaitable[RegistryClient]],
        cache: BlobCache,
        index: IndexDownloads,
        result: PullResult,
    ) -> None:
        self._open_registry = open_registry
        self._client: RegistryClient | None = None
        self._client_lock = asyncio.Lock()
        self.cache = cache
        self.index = index
        self.result = result
        self.blobs: Memo[tuple[str, str], tuple[bytes, str]] = Memo()
        self.manifests: Memo[tuple[str, str], ChartManifest] = Memo()

    async def aclose(self) -> None:
        try:
            for memo in (self.blobs, self.manifests):
                await memo.aclose()
        finally:
            await self.index.aclose()

    async def client(self) -> RegistryClient:
        """The registry client, opened on first use (a fully cached pull never imports httpx)."""
        async with self._client_lock:
            if self._client is None:
                self._client = await self._open_registry()
        return self._client

    async def _manifest(self, repo: Repository, reference: str) -> ChartManifest:
        if DIGEST_RE.fullmatch(reference):
            raw = self.cache.get_manifest(reference)
            if raw is not None:
                return parse_chart_manifest(raw, reference, repo)
        manifest = await (await self.client()).get_manifest(repo, reference)
        # fsync waits for the disk: do it off the event loop, beside the other downloads.
        await asyncio.to_thread(self.cache.put_manifest, manifest.digest, manifest.raw)
        return manifest

    async def _blob(self, repo: Repository, digest: str, size: int) -> tuple[bytes, str]:
        data = self.cache.get(digest)
        if data is not None:
            return data, "cache"
        client = await self.client()
        # Verified (DigestMismatch otherwise); no more read than the manifest's declared size.
        data = await client.fetch_blob(repo, digest, size)
        await asyncio.to_thread(self.cache.put, digest, data)
        return data, "registry"

    async def pull_oci(self, job: _Job) -> PulledFile:
        from resolver.registry.reference import oci_chart_repository

        entry = job.entry
        repo = oci_chart_repository(entry.repository, entry.name)
        locked = entry.content_digest
        tag = oci_tag(entry.version)
        if locked:
            if not DIGEST_RE.fullmatch(locked):
                raise error_at(
                    job.lock_path,
                    entry.mark("digest"),
                    f"{entry.name}: digest {locked!r} is not a sha256 manifest digest",
                )
            reference = locked
        else:
            reference = tag
        manifest = await self.manifests.get(
            (str(repo), reference), lambda: self._manifest(repo, reference)
        )
        if locked and manifest.digest != locked:  # the client verifies; belt and braces
            raise DigestMismatch(
                f"{repo}: manifest {locked}: content hashes to {manifest.digest}",
                registry=repo.registry,
                repository=repo.path,
            )
        if not locked:
            self.result.warnings.append(
                f"{job.pull.display}: {entry.name} {entry.version} has no digest in "
                f"{Path(job.lock_path).name}; pulled by tag {tag} (manifest {manifest.digest}); "
                "run `chartlock lock` to pin it"
            )
        data, source = await self.blobs.get(
            (str(repo), manifest.layer_digest),
            lambda: self._blob(repo, manifest.layer_digest, manifest.layer_size),
        )
        pulled = PulledFile(
            name=entry.name,
            version=entry.version,
            filename=f"{entry.name}-{entry.version}.tgz",
            digest=manifest.layer_digest,
            manifest_digest=manifest.digest,
            source=source,
            data=data,
        )
        keyring = self.index.keyring
        if keyring is not None and self.index.wants_provenance(entry):
            from resolver.commands.provfetch import fetch_oci_prov

            where = f"oci://{repo}@{manifest.digest}"
            prov = await fetch_oci_prov(await self.client(), repo, manifest, where)
            pulled = check_provenance(entry, pulled, prov, keyring)
        return pulled

    async def pull(self, job: _Job) -> PulledFile:
        from resolver.chart.provenance import ProvenanceFailure

        try:
            if is_oci(job.entry.repository):
                return await self.pull_oci(job)
            return await self.index.pull(job.entry, job.pull.display)
        except ProvenanceFailure as failure:
            entry = job.entry
            raise error_at(
                job.lock_path,
                entry.mark("version"),
                f"{entry.name} {entry.version}: provenance {failure.kind}: {failure}; "
                "nothing was written",
            ) from None


def plan_chart(loaded: LoadedChart, repo_urls: dict[str, str], result: PullResult) -> list[_Job]:
    """Check the lock and list what to download for one chart."""
    chart, lock = loaded.chart, loaded.lock
    pull = ChartPull(chart.directory, loaded.display)
    result.charts.append(pull)
    if lock is None:
        if chart.dependencies:
            raise error_at(
                chart.display_path,
                chart.marks.get("dependencies"),
                f"has dependencies but no {chart.lock_name}; run `chartlock lock {loaded.display}` "
                "first",
            )
        return []
    check_in_sync(loaded, repo_urls)
    jobs = []
    for entry in lock.dependencies or []:
        if not entry.repository:
            continue
        if entry.repository.startswith("file://"):
            note = f"{entry.name} ({entry.repository}): {FILE_DEP_NOTE}"
            pull.notes.append(note)
            result.warnings.append(f"{loaded.display}: {note}")
            continue
        if entry.repository.startswith("@") or entry.repository.startswith("alias:"):
            raise error_at(
                lock.display_path,
                entry.mark("repository"),
                f"{entry.name}: repository {entry.repository!r} in the lock is not a URL",
            )
        jobs.append(_Job(pull, entry, lock.display_path))
    return jobs


def _is_version(text: str) -> bool:
    try:
        parse_version(text)
        return True
    except InvalidVersion:
        return False


def write_chart(pull: ChartPull, keep_names: Sequence[str]) -> None:
    """Write the archives of one chart, then remove stale archives of the same dependencies."""
    charts = pull.chart_dir / "charts"
    if pull.files:
        if charts.is_symlink() or (charts.exists() and not charts.is_dir()):
            raise ChartlockError(f"{pull.display}/charts: not a directory")
        charts.mkdir(exist_ok=True)
    wanted = {f.filename for f in pull.files}
    for i, item in enumerate(pull.files):
        target = charts / item.filename
        try:
            same = target.is_file() and not target.is_symlink() and target.read_bytes() == item.data
        except OSError:
            same = False
        if same:
            pull.files[i] = item.replace(status="unchanged")
            continue
        try:
            atomic_write(target, item.data)
        except OSError as exc:
            raise ChartlockError(
                f"{pull.display}/charts/{item.filename}: cannot write: {exc.strerror or exc}"
            ) from None
        pull.files[i] = item.replace(status="written")
    for name in sorted(set(keep_names)):
        prefix = f"{name}-"
        if not charts.is_dir():
            continue
        for path in sorted(charts.glob(f"{name}-*.tgz")):
            if path.name in wanted:
                continue
            version = path.name[len(prefix) : -len(".tgz")]
            if not _is_version(version):
                continue  # another chart (``web-ui-1.0.0.tgz`` for ``web``), not ours
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            pull.removed.append(f"charts/{path.name}")


async def pull_charts_async(
    chart_dirs: Sequence[Path],
    options: ClientOptions | None = None,
    *,
    cache: BlobCache | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    cwd: Path | None = None,
    keyring: Keyring | None = None,
    require: Callable[[str, str], bool] | None = None,
) -> PullResult:
    """See the module docstring. Raises a one-line :class:`ChartlockError` on any failure,
    in which case no file has been written. With ``keyring``, every archive's provenance must
    verify (``pull --verify``)."""
    from resolver.chart.repoconfig import load_repositories
    from resolver.util.aio import gather

    base = cwd or Path.cwd()
    opts = options if options is not None else default_options()
    # Helm downloads one chart after the other; a pull fetches them all at once (bounded).
    opts = opts.replace(max_per_host=max(opts.max_per_host, PULL_CONCURRENCY))
    store = cache if cache is not None else BlobCache()
    repos = load_repositories(opts.repository_config)
    repo_urls = name_urls(repos)
    result = PullResult()
    jobs: list[_Job] = []
    for chart_dir in chart_dirs:
        loaded = load_chart_dir(Path(chart_dir), base)
        jobs.extend(plan_chart(loaded, repo_urls, result))
    if jobs:
        async with contextlib.AsyncExitStack() as stack:

            async def open_registry() -> RegistryClient:
                return await stack.enter_async_context(open_client(opts, transport))

            index = IndexDownloads(store, opts, repos, transport, result.warnings)
            index.keyring = keyring
            index.require = require
            puller = _Puller(open_registry, store, index, result)
            try:
                # The first failure cancels the other downloads (nothing is written then).
                outcomes = await gather(*(puller.pull(job) for job in jobs))
            finally:
                await puller.aclose()
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.pull.files.append(outcome)
            if outcome.source == "cache":
                result.from_cache += 1
            else:
                result.downloaded += 1
    # Every download succeeded: now write.
    names: dict[int, list[str]] = {}
    for job in jobs:
        names.setdefault(id(job.pull), []).append(job.entry.name)
    from resolver.util.interrupts import deferred

    with deferred():  # a Ctrl-C now is handled once every archive is in place
        for pull in result.charts:
            write_chart(pull, names.get(id(pull), []))
    return result


def pull_charts(
    chart_dirs: Sequence[Path], options: ClientOptions | None = None, **kwargs: Any
) -> PullResult:
    """Synchronous :func:`pull_charts_async`."""
    from resolver.util.aio import run

    return run(pull_charts_async(chart_dirs, options, **kwargs))


__all__ = [
    "ChartPull",
    "PullResult",
    "PulledFile",
    "check_in_sync",
    "find_chart_url",
    "index_provenance",
    "pull_charts",
    "pull_charts_async",
    "resolve_reference_url",
]
