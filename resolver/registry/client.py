"""Async OCI distribution client: tag lists, manifest digests, manifests and blobs.

One :class:`RegistryClient` per run: one connection pool (keep-alive), one token cache, a
concurrency bound per host, bounded retries with jittered backoff for idempotent requests, and
every failure turned into a one-line :class:`RegistryError` naming registry and repository.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import random
import ssl
import time
from types import TracebackType
from urllib.parse import urljoin

import httpx

from resolver import __version__
from resolver._struct import Struct
from resolver.errors import DigestMismatch, RegistryError
from resolver.registry.auth import SCOPE_EXTENSION, RegistryAuth
from resolver.registry.credentials import CredentialStore, StaticCredentials
from resolver.registry.messages import describe
from resolver.registry.reference import DIGEST_RE, Repository

log = logging.getLogger("chartlock.registry")

HELM_CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_LAYER_MEDIA_TYPES = (
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
    "application/tar+gzip",
)
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    )
)
MAX_PAGES = 10_000
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_BLOB_BYTES = 512 * 1024 * 1024
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER = 10.0


class ManifestInfo(Struct):
    __slots__ = ("digest", "media_type", "size")

    def __init__(self, digest: str, media_type: str, size: int) -> None:
        self.digest = digest
        self.media_type = media_type
        self.size = size


class ChartManifest(Struct):
    __slots__ = (
        "digest",
        "config_media_type",
        "layer_digest",
        "layer_size",
        "layer_media_type",
        "raw",
    )

    def __init__(
        self,
        digest: str,
        config_media_type: str,
        layer_digest: str,
        layer_size: int,
        layer_media_type: str,
        raw: bytes,
    ) -> None:
        self.digest = digest
        self.config_media_type = config_media_type
        self.layer_digest = layer_digest
        self.layer_size = layer_size
        self.layer_media_type = layer_media_type
        self.raw = raw


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_chart_manifest(
    raw: bytes, digest: str, repo: Repository, reference: str = ""
) -> ChartManifest:
    """Parse a manifest and insist it is a Helm chart (config media type, chart layer)."""
    where = f"{repo}: {reference or digest}"
    try:
        data = json.loads(raw)
        config_type = str(data["config"]["mediaType"])
        layers = [x for x in (data.get("layers") or []) if isinstance(x, dict)]
    except (ValueError, KeyError, TypeError):
        raise RegistryError(
            f"{where}: not a Helm chart (the manifest has no config)",
            registry=repo.registry,
            repository=repo.path,
            code="NOT_A_CHART",
        ) from None
    if config_type != HELM_CONFIG_MEDIA_TYPE:
        raise RegistryError(
            f"{where} is not a Helm chart (config media type {config_type})",
            registry=repo.registry,
            repository=repo.path,
            code="NOT_A_CHART",
        )
    layer = next((x for x in layers if x.get("mediaType") in HELM_CHART_LAYER_MEDIA_TYPES), None)
    if layer is None or not DIGEST_RE.fullmatch(str(layer.get("digest", ""))):
        raise RegistryError(
            f"{where}: the manifest has no Helm chart layer",
            registry=repo.registry,
            repository=repo.path,
            code="NOT_A_CHART",
        )
    return ChartManifest(
        digest=digest,
        config_media_type=config_type,
        layer_digest=str(layer["digest"]),
        layer_size=int(layer.get("size") or 0),
        layer_media_type=str(layer["mediaType"]),
        raw=raw,
    )


def parse_link_next(header: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, if any."""
    for part in header.split(","):
        if "rel" not in part:
            continue
        target, _, params = part.partition(";")
        target = target.strip()
        if (
            target.startswith("<")
            and target.endswith(">")
            and 'rel="next"' in params.replace(" ", "").replace("rel=next", 'rel="next"')
        ):
            return target[1:-1]
    return None


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RegistryClient:
    """See the module docstring. Use as ``async with RegistryClient(...) as client``."""

    def __init__(
        self,
        *,
        plain_http: bool = False,
        insecure_skip_tls_verify: bool = False,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        timeout: float = 30.0,
        username: str | None = None,
        password: str | None = None,
        credentials: CredentialStore | None = None,
        max_per_host: int = 32,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        tls_options = bool(ca_file or (cert_file and key_file) or insecure_skip_tls_verify)
        # Helm: any TLS option switches to the TLS client and --plain-http is ignored.
        self.plain_http = plain_http and not tls_options
        if username is not None or password is not None:
            credentials = StaticCredentials(username or "", password or "")
        self.auth = RegistryAuth(credentials or CredentialStore(), allow_plain_http=self.plain_http)
        verify: bool | ssl.SSLContext = True
        if insecure_skip_tls_verify:
            verify = False
        elif ca_file or (cert_file and key_file):
            context = (
                ssl.create_default_context(cafile=ca_file)
                if ca_file
                else (ssl.create_default_context())
            )
            if cert_file and key_file:
                context.load_cert_chain(cert_file, key_file)
            verify = context
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
        timeouts = httpx.Timeout(timeout)
        headers = {"User-Agent": f"chartlock/{__version__}"}
        self._http = httpx.AsyncClient(
            auth=self.auth,
            verify=verify,
            timeout=timeouts,
            limits=limits,
            headers=headers,
            follow_redirects=False,
            transport=transport,
        )
        # Redirect targets on other hosts (blob storage) get no Authorization header: they are
        # fetched with a second client without auth, made when first needed.
        self._bare_options: dict[str, object] = dict(
            verify=verify,
            timeout=timeouts,
            limits=limits,
            headers=headers,
            follow_redirects=True,
            transport=transport,
        )
        self._bare_client: httpx.AsyncClient | None = None
        self.max_per_host = max_per_host
        self.retries = retries
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self.requests = 0

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def _bare(self) -> httpx.AsyncClient:
        if self._bare_client is None:
            self._bare_client = httpx.AsyncClient(**self._bare_options)  # type: ignore[arg-type]
        return self._bare_client

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._bare_client is not None:
            await self._bare_client.aclose()

    # -- plumbing --------------------------------------------------------------------------

    def _base(self, repo: Repository) -> str:
        scheme = "http" if self.plain_http else "https"
        return f"{scheme}://{repo.host}/v2/{repo.path}"

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(host)
        if sem is None:
            sem = self._semaphores[host] = asyncio.Semaphore(self.max_per_host)
        return sem

    async def _send(
        self,
        method: str,
        url: str,
        repo: Repository,
        *,
        headers: dict[str, str] | None = None,
        what: str,
    ) -> httpx.Response:
        """Send with retries; follow redirects (dropping credentials across hosts)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._semaphore(repo.host):
                    self.requests += 1
                    response = await self._http.request(
                        method,
                        url,
                        headers=headers,
                        extensions={SCOPE_EXTENSION: f"repository:{repo.path}:pull"},
                    )
                    await response.aread()
                    hops = 0
                    while response.is_redirect and hops < 10:
                        hops += 1
                        target = urljoin(str(response.url), response.headers.get("Location", ""))
                        same_host = httpx.URL(target).netloc == response.url.netloc
                        client = self._http if same_host else self._bare
                        self.requests += 1
                        response = await client.request(method, target, headers=headers)
                        await response.aread()
            except RegistryError:
                raise
            except httpx.TimeoutException as exc:
                # A connect timeout may be a dropped SYN: retry. A server that accepted the
                # request and went silent is not retried: that would multiply the wait.
                if isinstance(exc, httpx.ConnectTimeout) and attempt <= self.retries:
                    await self._backoff(attempt)
                    continue
                raise RegistryError(
                    f"{repo}: {what}: timed out (after {attempt} attempts); "
                    "the registry is slow or unreachable (see --timeout)",
                    registry=repo.registry,
                    repository=repo.path,
                ) from None
            except httpx.HTTPError as exc:
                if attempt <= self.retries and _retryable(exc):
                    await self._backoff(attempt)
                    continue
                raise RegistryError(
                    f"{repo}: {what}: {_transport_error(exc)}",
                    registry=repo.registry,
                    repository=repo.path,
                ) from None
            log.debug("%s %s -> %s", method, _strip_query(url), response.status_code)
            status = response.status_code
            if status == 429 and attempt <= self.retries:
                delay = retry_after_seconds(response.headers.get("Retry-After"))
                await asyncio.sleep(
                    min(delay if delay is not None else 2**attempt, MAX_RETRY_AFTER)
                )
                continue
            if status in RETRY_STATUSES and attempt <= self.retries:
                await self._backoff(attempt)
                continue
            return response

    async def _backoff(self, attempt: int) -> None:
        await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 2.0) * (0.5 + random.random()))

    def _error(self, response: httpx.Response, repo: Repository, what: str) -> RegistryError:
        code, detail = "", ""
        try:
            data = json.loads(response.content)
            first = (data.get("errors") or [{}])[0]
            code = str(first.get("code") or "")
            detail = str(first.get("message") or "")
        except (ValueError, AttributeError, TypeError, IndexError):
            pass
        status = response.status_code
        if not code:
            code = {401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS"}.get(status, "")
        if code:
            message = describe(code, repo.registry, repo.path, detail)
            if code == "MANIFEST_UNKNOWN" and what:
                message = f"{repo}: {what}: manifest unknown; check the version, or push the chart"
        else:
            message = f"{repo}: {what}: unexpected HTTP status {status}"
        return RegistryError(
            message, registry=repo.registry, repository=repo.path, code=code, status=status
        )

    # -- API ---------------------------------------------------------------------------------

    async def list_tags(self, repo: Repository) -> list[str]:
        """All tags, in registry order, following ``Link: rel="next"`` pages."""
        url = f"{self._base(repo)}/tags/list"
        tags: list[str] = []
        seen: set[str] = set()
        while True:
            if url in seen or len(seen) >= MAX_PAGES:
                raise RegistryError(
                    f"{repo}: tag list pagination loops (page {url} requested twice)",
                    registry=repo.registry,
                    repository=repo.path,
                )
            seen.add(url)
            response = await self._send("GET", url, repo, what="list tags")
            if response.status_code != 200:
                raise self._error(response, repo, "list tags")
            try:
                data = json.loads(response.content)
                page = data.get("tags") or []
                if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
                    raise ValueError
            except (ValueError, AttributeError):
                raise RegistryError(
                    f"{repo}: list tags: the registry did not answer with a JSON tag list "
                    f"(HTTP {response.status_code}, {response.headers.get('Content-Type', '?')})",
                    registry=repo.registry,
                    repository=repo.path,
                ) from None
            tags.extend(page)
            link = parse_link_next(response.headers.get("Link", ""))
            if not link:
                return tags
            url = urljoin(str(response.url), link)

    async def head_manifest(self, repo: Repository, reference: str) -> ManifestInfo:
        """The manifest digest of a tag (``HEAD``; ``GET`` and hash when no digest header)."""
        url = f"{self._base(repo)}/manifests/{reference}"
        what = f"tag {reference}"
        response = await self._send(
            "HEAD", url, repo, headers={"Accept": MANIFEST_ACCEPT}, what=what
        )
        if response.status_code == 404:
            raise _manifest_unknown(repo, f"tag {reference}")
        if response.status_code != 200:
            raise self._error(response, repo, what)
        digest = response.headers.get("Docker-Content-Digest", "")
        media_type = response.headers.get("Content-Type", "")
        if DIGEST_RE.fullmatch(digest):
            size = int(response.headers.get("Content-Length") or 0)
            return ManifestInfo(digest, media_type, size)
        raw, digest, media_type = await self._get_manifest_bytes(repo, reference)
        return ManifestInfo(digest, media_type, len(raw))

    async def _get_manifest_bytes(self, repo: Repository, reference: str) -> tuple[bytes, str, str]:
        url = f"{self._base(repo)}/manifests/{reference}"
        what = f"manifest {reference}"
        response = await self._send(
            "GET", url, repo, headers={"Accept": MANIFEST_ACCEPT}, what=what
        )
        if response.status_code != 200:
            if response.status_code == 404:
                raise _manifest_unknown(repo, reference)
            raise self._error(response, repo, what)
        raw = response.content
        if len(raw) > MAX_MANIFEST_BYTES:
            raise RegistryError(f"{repo}: manifest {reference} is too large ({len(raw)} bytes)")
        actual = _sha256(raw)
        header = response.headers.get("Docker-Content-Digest", "")
        expected = reference if DIGEST_RE.fullmatch(reference) else header
        if expected and DIGEST_RE.fullmatch(expected) and expected != actual:
            raise DigestMismatch(
                f"{repo}: manifest {reference}: content does not match its digest "
                f"(expected {expected}, got {actual})",
                registry=repo.registry,
                repository=repo.path,
            )
        return raw, actual, response.headers.get("Content-Type", "")

    async def get_manifest(self, repo: Repository, reference: str) -> ChartManifest:
        """The manifest of a Helm chart, verified; refuses artifacts that are not charts."""
        raw, digest, _ = await self._get_manifest_bytes(repo, reference)
        return parse_chart_manifest(raw, digest, repo, reference)

    async def fetch_blob(self, repo: Repository, digest: str) -> bytes:
        """A blob by digest, verified (redirects to storage hosts carry no credentials)."""
        if not DIGEST_RE.fullmatch(digest):
            raise RegistryError(f"{repo}: invalid blob digest {digest!r}")
        url = f"{self._base(repo)}/blobs/{digest}"
        response = await self._send("GET", url, repo, what=f"blob {digest[:19]}")
        if response.status_code != 200:
            raise self._error(response, repo, f"blob {digest}")
        data = response.content
        if len(data) > MAX_BLOB_BYTES:
            raise RegistryError(f"{repo}: blob {digest} is too large")
        actual = _sha256(data)
        if actual != digest:
            raise DigestMismatch(
                f"{repo}: blob {digest}: content does not match its digest (got {actual})",
                registry=repo.registry,
                repository=repo.path,
            )
        return data


def _manifest_unknown(repo: Repository, what: str) -> RegistryError:
    return RegistryError(
        f"{repo}: {what} does not exist (manifest unknown); check the version, or push the chart",
        registry=repo.registry,
        repository=repo.path,
        code="MANIFEST_UNKNOWN",
        status=404,
    )


def _retryable(exc: httpx.HTTPError) -> bool:
    return isinstance(
        exc,
        (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError),
    )


def _transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return "TLS certificate verification failed (see --ca-file)"
        if "WRONG_VERSION_NUMBER" in text or "record layer" in text:
            return "TLS handshake failed (is it a plain-HTTP registry? see --plain-http)"
        if text.startswith("proxy "):  # resolver.registry.tunnel: the proxy is unreachable
            return f"cannot connect through the {text}"
        return "cannot connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed or the response was malformed"
    if isinstance(exc, httpx.ReadError):
        return "the connection was reset while reading"
    return type(exc).__name__


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]
