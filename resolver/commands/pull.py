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
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from resolver.chart.lockfile import hash_req, hash_v2_req, rewrite_repo_aliases
from resolver.chart.models import Dependency
from resolver.commands.verify import (
    LoadedChart,
    Memo,
    default_options,
    error_at,
    load_chart_dir,
    open_client,
)
from resolver.errors import (
    ChartlockError,
    DigestMismatch,
    InvalidVersion,
    RegistryError,
)
from resolver.registry.cache import BlobCache, sha256_digest
from resolver.resolution.pick import IndexEntry, index_versions, is_oci, oci_tag
from resolver.semver import parse_version
from resolver.util.atomic import atomic_write

if TYPE_CHECKING:
    import httpx

    from resolver.chart.provenance import Keyring
    from resolver.chart.repoconfig import RepoEntry
    from resolver.commands.lock import ClientOptions
    from resolver.registry.client import ChartManifest, RegistryClient
    from resolver.registry.reference import Repository

PULL_CONCURRENCY = 32
FILE_DEP_NOTE = "file:// dependencies are not pulled; run helm dependency build"


@dataclass
class PulledFile:
    """One archive to write into a chart's ``charts/`` directory."""

    name: str
    version: str
    filename: str
    digest: str  # sha256 of the archive (for OCI: the chart layer digest)
    manifest_digest: str = ""  # OCI only
    source: str = ""  # "cache" | "registry" | "repository"
    status: str = ""  # "written" | "unchanged" (after writing)
    signer: str = ""  # "Signed by: …" when the provenance was verified (pull --verify)
    fingerprint: str = ""  # the signer's key fingerprint (idem)
    data: bytes = field(default=b"", repr=False)


@dataclass
class ChartPull:
    """What ``pull`` did for one chart."""

    chart_dir: Path
    display: str
    files: list[PulledFile] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class PullResult:
    charts: list[ChartPull] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    downloaded: int = 0
    from_cache: int = 0


@dataclass
class _Job:
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


def resolve_reference_url(base_url: str, ref_url: str) -> str:
    """Helm's ``repo.ResolveReferenceURL``: ``ref`` against ``base`` + ``/``, base query kept."""
    ref = urlsplit(ref_url)
    if ref.scheme:
        return ref_url
    base = urlsplit(base_url)
    joined = urlsplit(
        urljoin(
            urlunsplit(base._replace(path=base.path.rstrip("/") + "/", query="", fragment="")),
            ref_url,
        )
    )
    return urlunsplit(joined._replace(query=base.query))


def version_equals(a: str, b: str) -> bool:
    """Helm's ``versionEquals``: semver equality, else string equality."""
    try:
        va = parse_version(a)
    except InvalidVersion:
        return a == b
    try:
        vb = parse_version(b)
    except InvalidVersion:
        return False
    return va == vb


def find_chart_url(entries: Sequence[IndexEntry], version: str) -> IndexEntry | None:
    for entry in index_versions(entries):
        if entry.urls and version_equals(version, entry.version):
            return entry
    return None


def _normal_digest(value: str) -> str:
    value = value.strip().lower()
    if not value:
        return ""
    return value if value.startswith("sha256:") else "sha256:" + value


def _proxy_routing(verify: Any) -> httpx.AsyncBaseTransport:
    """httpx's transport with the environment's proxies applied by Go's rules, as helm does
    (:mod:`resolver.registry.routing`); ``verify`` as for httpx."""
    import os

    from resolver.registry.proxyenv import from_environ
    from resolver.registry.routing import ProxyRoutingTransport

    return ProxyRoutingTransport(verify, from_environ(os.environ))


class _Puller:
    def __init__(
        self,
        open_registry: Callable[[], Awaitable[RegistryClient]],
        cache: BlobCache,
        options: ClientOptions,
        repos: Sequence[RepoEntry],
        transport: httpx.AsyncBaseTransport | None,
        result: PullResult,
    ) -> None:
        self._open_registry = open_registry
        self._client: RegistryClient | None = None
        self._client_lock = asyncio.Lock()
        self.cache = cache
        self.options = options
        self.repos = repos
        self.transport = transport
        self.result = result
        self.blobs: Memo[tuple[str, str], tuple[bytes, str]] = Memo()
        self.manifests: Memo[tuple[str, str], ChartManifest] = Memo()
        self.indexes: Memo[str, dict[str, list[IndexEntry]]] = Memo()
        self.downloads: Memo[str, tuple[bytes, str]] = Memo()
        self._http: httpx.AsyncClient | None = None
        self.keyring: Keyring | None = None
        self.require: Callable[[str, str], bool] | None = None  # None: every dependency

    def _wants_provenance(self, entry: Dependency) -> bool:
        return self.keyring is not None and (
            self.require is None or self.require(entry.name, entry.repository)
        )

    async def aclose(self) -> None:
        try:
            for memo in (self.downloads, self.blobs, self.manifests, self.indexes):
                await memo.aclose()
        finally:
            if self._http is not None:
                await self._http.aclose()

    async def client(self) -> RegistryClient:
        """The registry client, opened on first use (a fully cached pull never imports httpx)."""
        async with self._client_lock:
            if self._client is None:
                self._client = await self._open_registry()
        return self._client

    # -- OCI --------------------------------------------------------------------------------

    async def _manifest(self, repo: Repository, reference: str) -> ChartManifest:
        from resolver.registry.reference import DIGEST_RE

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
        from resolver.registry.reference import DIGEST_RE, oci_chart_repository

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
        if self.keyring is not None and self._wants_provenance(entry):
            where = f"oci://{repo}@{manifest.digest}"
            prov = await self._oci_prov(repo, manifest, where)
            self._check_provenance(job, pulled, prov, where, self.keyring)
        return pulled

    async def _oci_prov(self, repo: Repository, manifest: ChartManifest, where: str) -> bytes:
        from resolver.commands.provfetch import fetch_oci_prov

        return await fetch_oci_prov(await self.client(), repo, manifest, where)

    def _check_provenance(
        self, job: _Job, pulled: PulledFile, prov: bytes, where: str, keyring: Keyring
    ) -> None:
        """Verify ``prov`` for ``pulled`` (raises :class:`ProvenanceFailure`, turned into the
        pull's one-line error by :func:`pull_charts_async`)."""
        from resolver.chart.provenance import check_signer, verify_provenance

        verification = verify_provenance(prov, pulled.digest, pulled.filename, keyring)
        recorded = job.entry.extra.get("signer")
        check_signer(verification, recorded if isinstance(recorded, str) else "")
        pulled.signer = verification.signer.describe()
        pulled.fingerprint = verification.signer.fingerprint

    # -- https index repositories ------------------------------------------------------------

    def _repo_entry(self, url: str) -> RepoEntry | None:
        for item in self.repos:
            if item.url.rstrip("/") == url.rstrip("/"):
                return item
        return None

    async def _index(self, url: str) -> dict[str, list[IndexEntry]]:
        from resolver.resolution.indexrepo import fetch_indexes

        indexes = await fetch_indexes([url], self.repos, self.options)
        return indexes[url]

    def _http_client(self) -> httpx.AsyncClient:
        import httpx

        from resolver import __version__
        from resolver.registry.bounds import cap_response

        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=True,
                headers={"User-Agent": f"chartlock/{__version__}", "Accept-Encoding": "identity"},
                transport=self.transport or _proxy_routing(True),
                event_hooks={"response": [cap_response]},
            )
        return self._http

    async def _download(self, url: str, repo_url: str, expected: str) -> tuple[bytes, str]:
        if expected:
            cached = self.cache.get(expected)
            if cached is not None:
                return cached, "cache"
        response = await self._fetch(url, repo_url)
        data = response.content
        actual = sha256_digest(data)
        if expected and actual != expected:
            raise DigestMismatch(
                f"{_strip_query(url)}: the archive does not match its digest "
                f"(expected {expected}, got {actual})",
                registry=repo_url,
            )
        self.cache.put(actual, data)
        return data, "repository"

    async def _fetch(
        self, url: str, repo_url: str, cap: int = 0, *, missing_ok: bool = False
    ) -> httpx.Response:
        """GET ``url`` with the repository's credentials and TLS settings (at most ``cap``
        bytes, default a chart archive's limit)."""
        import httpx

        from resolver.registry.bounds import cap_response

        repo = self._repo_entry(repo_url)
        auth: httpx.Auth | None = None
        if repo is not None and repo.username:
            same_host = urlsplit(url).netloc == urlsplit(repo.url).netloc
            if same_host or repo.pass_credentials_all:
                auth = httpx.BasicAuth(repo.username, repo.password)
        if repo is not None and (repo.insecure_skip_tls_verify or repo.ca_file):
            import ssl

            verify: Any = False
            if not repo.insecure_skip_tls_verify:
                verify = ssl.create_default_context(cafile=repo.ca_file)
            async with httpx.AsyncClient(
                verify=verify,
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=True,
                headers={"Accept-Encoding": "identity"},
                transport=self.transport or _proxy_routing(verify),
                event_hooks={"response": [cap_response]},
            ) as special:
                return await self._get(special, url, auth, cap, missing_ok)
        return await self._get(self._http_client(), url, auth, cap, missing_ok)

    async def _get(
        self,
        client: httpx.AsyncClient,
        url: str,
        auth: httpx.Auth | None,
        cap: int = 0,
        missing_ok: bool = False,
    ) -> httpx.Response:
        import httpx

        from resolver.registry.bounds import MAX_BLOB_BYTES, bounded_get

        try:
            response = await bounded_get(
                client,
                url,
                cap=cap or MAX_BLOB_BYTES,
                timeout=self.options.timeout,
                where=f"{_strip_query(url)}: download",
                auth=auth,
            )
        except httpx.HTTPError as exc:
            raise RegistryError(
                f"{_strip_query(url)}: download failed ({type(exc).__name__})"
            ) from None
        if missing_ok and response.status_code == 404:
            return response
        if response.status_code != 200:
            hint = (
                "; check the repository credentials" if response.status_code in (401, 403) else ""
            )
            raise RegistryError(
                f"{_strip_query(url)}: download failed: HTTP {response.status_code}{hint}",
                status=response.status_code,
            )
        return response

    async def pull_index(self, job: _Job) -> PulledFile:
        entry = job.entry
        repo_url = entry.repository
        charts = await self.indexes.get(repo_url, lambda: self._index(repo_url))
        versions = charts.get(entry.name)
        if versions is None:
            raise RegistryError(f"{entry.name} chart not found in repo {repo_url}")
        found = find_chart_url(versions, entry.version)
        if found is None:
            raise RegistryError(
                f"chart {entry.name!r} version {entry.version!r} not found in repo {repo_url}"
            )
        url = resolve_reference_url(repo_url, found.urls[0])
        expected = _normal_digest(entry.content_digest or "") or _normal_digest(found.digest)
        if not expected:
            self.result.warnings.append(
                f"{job.pull.display}: {entry.name} {entry.version}: neither the lock nor the "
                "index has a digest; the archive is not verified"
            )
        data, source = await self.downloads.get(
            url + "\0" + expected, lambda: self._download(url, repo_url, expected)
        )
        filename = os.path.basename(urlsplit(url).path) or f"{entry.name}-{entry.version}.tgz"
        pulled = PulledFile(
            name=entry.name,
            version=entry.version,
            filename=filename,
            digest=sha256_digest(data),
            source=source,
            data=data,
        )
        if self.keyring is not None and self._wants_provenance(entry):
            prov = await self._index_prov(url, repo_url)
            self._check_provenance(job, pulled, prov, _strip_query(url) + ".prov", self.keyring)
        return pulled

    async def _index_prov(self, url: str, repo_url: str) -> bytes:
        """``<archive URL>.prov``: helm's ``u.String() + ".prov"``, query included."""
        from resolver.chart.provenance import MAX_PROV_BYTES, ProvenanceFailure

        prov_url = url + ".prov"
        response = await self._fetch(prov_url, repo_url, MAX_PROV_BYTES, missing_ok=True)
        if response.status_code == 404:
            raise ProvenanceFailure(
                "missing", f"{_strip_query(prov_url)} does not exist (the chart was not signed)"
            )
        return response.content

    async def pull(self, job: _Job) -> PulledFile:
        from resolver.chart.provenance import ProvenanceFailure

        try:
            if is_oci(job.entry.repository):
                return await self.pull_oci(job)
            return await self.pull_index(job)
        except ProvenanceFailure as failure:
            entry = job.entry
            raise error_at(
                job.lock_path,
                entry.mark("version"),
                f"{entry.name} {entry.version}: provenance {failure.kind}: {failure}; "
                "nothing was written",
            ) from None


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


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
    for item in pull.files:
        target = charts / item.filename
        try:
            same = target.is_file() and not target.is_symlink() and target.read_bytes() == item.data
        except OSError:
            same = False
        if same:
            item.status = "unchanged"
            continue
        try:
            atomic_write(target, item.data)
        except OSError as exc:
            raise ChartlockError(
                f"{pull.display}/charts/{item.filename}: cannot write: {exc.strerror or exc}"
            ) from None
        item.status = "written"
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
    repo_urls: dict[str, str] = {}
    for item in repos:
        repo_urls.setdefault(item.name, item.url)
    result = PullResult()
    jobs: list[_Job] = []
    for chart_dir in chart_dirs:
        loaded = load_chart_dir(Path(chart_dir), base)
        jobs.extend(plan_chart(loaded, repo_urls, result))
    if jobs:
        async with contextlib.AsyncExitStack() as stack:

            async def open_registry() -> RegistryClient:
                return await stack.enter_async_context(open_client(opts, transport))

            puller = _Puller(open_registry, store, opts, repos, transport, result)
            puller.keyring = keyring
            puller.require = require
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


async def index_provenance(
    entries: Sequence[tuple[Dependency, str]],
    options: ClientOptions,
    keyring: Keyring,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[PulledFile | Exception]:
    """For ``verify --provenance`` and ``lock --verify``: download each https-repository
    dependency (``(lock entry, lock path)``; archives through the cache) and its ``.prov``, and
    verify it as ``pull --verify`` does. Per entry: the verified download (``signer``,
    ``fingerprint``), or the :class:`ProvenanceFailure` / one-line :class:`ChartlockError` that
    stopped it."""
    from resolver.chart.provenance import ProvenanceFailure
    from resolver.chart.repoconfig import load_repositories

    async def no_registry() -> RegistryClient:
        raise ChartlockError("internal: an https repository needs no registry client")

    repos = load_repositories(options.repository_config)
    puller = _Puller(no_registry, BlobCache(), options, repos, transport, PullResult())
    puller.keyring = keyring

    async def one(entry: Dependency, lock_path: str) -> PulledFile | Exception:
        job = _Job(ChartPull(Path("."), ""), entry, lock_path)
        try:
            return await puller.pull_index(job)
        except (ProvenanceFailure, ChartlockError) as exc:
            return exc

    try:
        return list(await asyncio.gather(*(one(e, p) for e, p in entries)))
    finally:
        await puller.aclose()


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
