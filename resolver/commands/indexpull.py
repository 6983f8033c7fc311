"""Chart archives from https index repositories, found and verified like Helm's downloader.

Shared by ``pull`` (download into ``charts/``), ``verify --provenance`` and ``lock --verify``
(:func:`index_provenance`). The archive URL is found in the repository's index.yaml like Helm's
``findChartURL``, resolved against the repository URL like ``repo.ResolveReferenceURL``, and
checked against the lock's digest (or the index's) when known. With a keyring, ``<archive
URL>.prov`` (helm appends ``.prov`` to the whole URL, query included) is checked like ``helm
pull --verify``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from resolver.chart.models import Dependency
from resolver.commands.common import Memo
from resolver.errors import ChartlockError, DigestMismatch, InvalidVersion, RegistryError
from resolver.registry.cache import BlobCache, sha256_digest
from resolver.resolution.pick import IndexEntry, index_versions
from resolver.semver import parse_version
from resolver.util.records import Record, field
from resolver.util.urls import strip_query

if TYPE_CHECKING:
    import httpx

    from resolver.chart.provenance import Keyring
    from resolver.chart.repoconfig import RepoEntry
    from resolver.registry.options import ClientOptions


class PulledFile(Record):
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


def check_provenance(
    entry: Dependency, pulled: PulledFile, prov: bytes, keyring: Keyring
) -> PulledFile:
    """``pulled`` with its signer, once ``prov`` verifies for it (raises
    :class:`resolver.chart.provenance.ProvenanceFailure` otherwise; a ``signer:`` recorded in
    the lock entry must be the key that signed)."""
    from resolver.chart.provenance import check_signer, verify_provenance

    verification = verify_provenance(prov, pulled.digest, pulled.filename, keyring)
    recorded = entry.extra.get("signer")
    check_signer(verification, recorded if isinstance(recorded, str) else "")
    return pulled.replace(
        signer=verification.signer.describe(), fingerprint=verification.signer.fingerprint
    )


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
    from resolver.registry.proxyenv import from_environ
    from resolver.registry.routing import ProxyRoutingTransport

    return ProxyRoutingTransport(verify, from_environ(os.environ))


class IndexDownloads:
    """Archives (and their ``.prov``) from https index repositories, each index fetched once
    and each archive downloaded once per run, through the content-addressed cache."""

    __slots__ = (
        "_http",
        "cache",
        "downloads",
        "indexes",
        "keyring",
        "options",
        "repos",
        "require",
        "transport",
        "warnings",
    )

    def __init__(
        self,
        cache: BlobCache,
        options: ClientOptions,
        repos: Sequence[RepoEntry],
        transport: httpx.AsyncBaseTransport | None,
        warnings: list[str],
    ) -> None:
        self.cache = cache
        self.options = options
        self.repos = repos
        self.transport = transport
        self.warnings = warnings
        self.indexes: Memo[str, dict[str, list[IndexEntry]]] = Memo()
        self.downloads: Memo[str, tuple[bytes, str]] = Memo()
        self._http: httpx.AsyncClient | None = None
        self.keyring: Keyring | None = None
        self.require: Callable[[str, str], bool] | None = None  # None: every dependency

    def wants_provenance(self, entry: Dependency) -> bool:
        return self.keyring is not None and (
            self.require is None or self.require(entry.name, entry.repository)
        )

    async def aclose(self) -> None:
        try:
            for memo in (self.downloads, self.indexes):
                await memo.aclose()
        finally:
            if self._http is not None:
                await self._http.aclose()

    def _repo_entry(self, url: str) -> RepoEntry | None:
        for item in self.repos:
            if item.url.rstrip("/") == url.rstrip("/"):
                return item
        return None

    async def _index(self, url: str) -> dict[str, list[IndexEntry]]:
        from resolver.resolution.indexrepo import fetch_indexes

        indexes = await fetch_indexes([url], self.repos, self.options.timeout)
        return indexes[url]

    def _client(self, verify: Any = True) -> httpx.AsyncClient:
        import httpx

        from resolver import __version__
        from resolver.registry.bounds import cap_response

        return httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(self.options.timeout),
            follow_redirects=True,
            headers={"User-Agent": f"chartlock/{__version__}", "Accept-Encoding": "identity"},
            transport=self.transport or _proxy_routing(verify),
            event_hooks={"response": [cap_response]},
        )

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
                f"{strip_query(url)}: the archive does not match its digest "
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
            async with self._client(verify) as special:
                return await self._get(special, url, auth, cap, missing_ok)
        if self._http is None:
            self._http = self._client()
        return await self._get(self._http, url, auth, cap, missing_ok)

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
                where=f"{strip_query(url)}: download",
                auth=auth,
            )
        except httpx.HTTPError as exc:
            raise RegistryError(
                f"{strip_query(url)}: download failed ({type(exc).__name__})"
            ) from None
        if missing_ok and response.status_code == 404:
            return response
        if response.status_code != 200:
            hint = (
                "; check the repository credentials" if response.status_code in (401, 403) else ""
            )
            raise RegistryError(
                f"{strip_query(url)}: download failed: HTTP {response.status_code}{hint}",
                status=response.status_code,
            )
        return response

    async def pull(self, entry: Dependency, display: str) -> PulledFile:
        """The archive of lock ``entry`` of the chart shown as ``display`` (verified against
        its digest, and its provenance when :meth:`wants_provenance`)."""
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
            self.warnings.append(
                f"{display}: {entry.name} {entry.version}: neither the lock nor the "
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
        if self.keyring is not None and self.wants_provenance(entry):
            prov = await self._prov(url, repo_url)
            pulled = check_provenance(entry, pulled, prov, self.keyring)
        return pulled

    async def _prov(self, url: str, repo_url: str) -> bytes:
        """``<archive URL>.prov``: helm's ``u.String() + ".prov"``, query included."""
        from resolver.chart.provenance import MAX_PROV_BYTES, ProvenanceFailure

        prov_url = url + ".prov"
        response = await self._fetch(prov_url, repo_url, MAX_PROV_BYTES, missing_ok=True)
        if response.status_code == 404:
            raise ProvenanceFailure(
                "missing", f"{strip_query(prov_url)} does not exist (the chart was not signed)"
            )
        return response.content


async def index_provenance(
    entries: Sequence[Dependency],
    options: ClientOptions,
    keyring: Keyring,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[PulledFile | Exception]:
    """For ``verify --provenance`` and ``lock --verify``: download each https-repository
    dependency (lock entries; archives through the cache) and its ``.prov``, and verify it as
    ``pull --verify`` does. Per entry: the verified download (``signer``, ``fingerprint``), or
    the :class:`ProvenanceFailure` / one-line :class:`ChartlockError` that stopped it."""
    from resolver.chart.provenance import ProvenanceFailure
    from resolver.chart.repoconfig import load_repositories

    repos = load_repositories(options.repository_config)
    downloads = IndexDownloads(BlobCache(), options, repos, transport, [])
    downloads.keyring = keyring

    async def one(entry: Dependency) -> PulledFile | Exception:
        try:
            return await downloads.pull(entry, "")
        except (ProvenanceFailure, ChartlockError) as exc:
            return exc

    try:
        return list(await asyncio.gather(*(one(e) for e in entries)))
    finally:
        await downloads.aclose()


__all__ = [
    "IndexDownloads",
    "PulledFile",
    "check_provenance",
    "find_chart_url",
    "index_provenance",
    "resolve_reference_url",
    "version_equals",
]
