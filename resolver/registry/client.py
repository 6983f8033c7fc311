"""Async OCI distribution client: tag lists, manifest digests, manifests and blobs.

One :class:`RegistryClient` per run: one connection pool (keep-alive), one token cache, a
concurrency bound per host, bounded retries with jittered backoff for idempotent requests, and
every failure turned into a one-line :class:`RegistryError` naming registry and repository.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from resolver import __version__
from resolver.errors import DigestMismatch, RegistryError
from resolver.registry.auth import SCOPE_EXTENSION, RegistryAuth
from resolver.registry.bounds import (
    BUDGET_EXTENSION,
    CAP_EXTENSION,
    DEFAULT_CAP,
    MAX_BLOB_BYTES,
    MAX_MANIFEST_BYTES,
    MAX_PAGES,
    MAX_TAG_LIST_BYTES,
    RUN_BUDGET_BYTES,
    BodyTooLarge,
    Budget,
    cap_response,
    content_length,
    loads,
    size_text,
    within,
)
from resolver.registry.credentials import CredentialStore, StaticCredentials
from resolver.registry.messages import describe
from resolver.registry.reference import DIGEST_RE, Repository
from resolver.registry.scrub import printable, scrub
from resolver.util.records import Struct

log = logging.getLogger("chartlock.registry")

HELM_CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
PROV_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
HELM_CHART_LAYER_MEDIA_TYPES = (
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
    "application/tar+gzip",
)
# The media types a manifest may be served as, and whether each is an image manifest or an
# index (a list of manifests).
MANIFEST_MEDIA_TYPES = {
    "application/vnd.oci.image.manifest.v1+json": "manifest",
    "application/vnd.oci.image.index.v1+json": "index",
    "application/vnd.docker.distribution.manifest.v2+json": "manifest",
    "application/vnd.docker.distribution.manifest.list.v2+json": "index",
}
MANIFEST_ACCEPT = ", ".join(MANIFEST_MEDIA_TYPES)
# The whole command gives up after this many --timeout periods (and never sooner than
# MIN_OVERALL_SECONDS): each request has --timeout, but a registry answering every request
# just in time, page after page, must not keep a run going for hours.
OVERALL_TIMEOUTS = 10
MIN_OVERALL_SECONDS = 60.0
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
        "prov_digest",
        "prov_size",
    )

    def __init__(
        self,
        digest: str,
        config_media_type: str,
        layer_digest: str,
        layer_size: int,
        layer_media_type: str,
        raw: bytes,
        prov_digest: str = "",
        prov_size: int = 0,
    ) -> None:
        self.digest = digest
        self.config_media_type = config_media_type
        self.layer_digest = layer_digest
        self.layer_size = layer_size
        self.layer_media_type = layer_media_type
        self.raw = raw
        # The provenance layer (``helm push`` of a signed chart), "" when there is none.
        self.prov_digest = prov_digest
        self.prov_size = prov_size


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_chart_manifest(
    raw: bytes, digest: str, repo: Repository, reference: str = ""
) -> ChartManifest:
    """Parse a manifest and insist it is a Helm chart (config media type, chart layer)."""
    where = f"{repo}: {reference or digest}"
    try:
        data = loads(raw)
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
    size = layer.get("size") or 0
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RegistryError(
            f"{where}: the manifest's chart layer has an invalid size {printable(str(size), 40)}",
            registry=repo.registry,
            repository=repo.path,
            code="NOT_A_CHART",
        )
    prov = next((x for x in layers if x.get("mediaType") == PROV_LAYER_MEDIA_TYPE), None)
    prov_digest, prov_size = "", 0
    if prov is not None and DIGEST_RE.fullmatch(str(prov.get("digest", ""))):
        prov_digest = str(prov["digest"])
        raw_size = prov.get("size") or 0
        if isinstance(raw_size, int) and not isinstance(raw_size, bool) and raw_size >= 0:
            prov_size = raw_size
    return ChartManifest(
        digest=digest,
        config_media_type=config_type,
        layer_digest=str(layer["digest"]),
        layer_size=size,
        layer_media_type=str(layer["mediaType"]),
        raw=raw,
        prov_digest=prov_digest,
        prov_size=prov_size,
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
        mirrors: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.mirrors = mirrors  # resolver.registry.mirrors: host -> mirror URL
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
        # identity: a registry has no reason to compress JSON, and what it compresses anyway
        # is inflated under the same caps (resolver.registry.bounds).
        headers = {"User-Agent": f"chartlock/{__version__}", "Accept-Encoding": "identity"}
        hooks = {"request": [], "response": [cap_response]}
        self._http = httpx.AsyncClient(
            auth=self.auth,
            verify=verify,
            timeout=timeouts,
            limits=limits,
            headers=headers,
            follow_redirects=False,
            transport=transport,
            event_hooks=hooks,
        )
        # Requests to any other origin (a redirect to blob storage, a Link to another host)
        # carry no Authorization header: they go through a second client without auth, made
        # when first needed. Redirects are followed by _exchange, hop by hop, for both.
        self._bare_options: dict[str, object] = dict(
            verify=verify,
            timeout=timeouts,
            limits=limits,
            headers=headers,
            follow_redirects=False,
            transport=transport,
            event_hooks=hooks,
        )
        self._bare_client: httpx.AsyncClient | None = None
        self.max_per_host = max_per_host
        self.retries = retries
        self.timeout = timeout
        self.overall_timeout = max(OVERALL_TIMEOUTS * timeout, MIN_OVERALL_SECONDS)
        self._give_up_at: float | None = None
        self._budget = Budget(RUN_BUDGET_BYTES)
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
        if self.mirrors:  # issue 13: a mirrored registry is served by its mirror
            from resolver.registry.mirrors import base_url

            mirrored = base_url(self.mirrors, repo.registry, repo.path)
            if mirrored is not None:
                return mirrored
        scheme = "http" if self.plain_http else "https"
        return f"{scheme}://{repo.host}/v2/{repo.path}"

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(host)
        if sem is None:
            sem = self._semaphores[host] = asyncio.Semaphore(self.max_per_host)
        return sem

    def scrub(self, text: str) -> str:
        """``text`` without any credential in use (see :mod:`resolver.registry.scrub`)."""
        return scrub(text, self.auth.secrets)

    def _show(self, text: str, limit: int = 80) -> str:
        """Registry-sent ``text`` fit to print: scrubbed first (a secret cut in two by the
        truncation would no longer match), then one printable line of at most ``limit``."""
        return printable(self.scrub(text), limit)

    async def _send(
        self,
        method: str,
        url: str,
        repo: Repository,
        *,
        headers: dict[str, str] | None = None,
        what: str,
        cap: int = DEFAULT_CAP,
        limit: str = "",
        budgeted: bool = True,
    ) -> httpx.Response:
        """Send with retries and read the body, at most ``cap`` bytes of it (``limit`` says
        what that cap is when it is exceeded); follow redirects (credentials only within the
        registry's origin). Each attempt must end within ``--timeout``: connecting, the headers
        and the whole body; the command as a whole within :attr:`overall_timeout`. ``budgeted``
        bodies also count against the run's :data:`RUN_BUDGET_BYTES`."""
        registry = _origin(self._base(repo))
        extensions: dict[str, object] = {
            SCOPE_EXTENSION: f"repository:{repo.path}:pull",
            CAP_EXTENSION: cap,
        }
        if budgeted:
            extensions[BUDGET_EXTENSION] = self._budget
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._semaphore(repo.host):
                    now = loop.time()
                    if self._give_up_at is None:
                        self._give_up_at = now + self.overall_timeout
                    if now >= self._give_up_at:
                        raise asyncio.TimeoutError
                    when = min(now + self.timeout, self._give_up_at)
                    response = await within(
                        when, self._exchange(method, url, registry, headers, extensions)
                    )
            except RegistryError as exc:  # from the auth flow: say which request needed it
                text = str(exc)
                if not exc.repository:
                    host_prefix = f"{exc.registry}: " if exc.registry else ""
                    text = f"{repo}: {what}: {text.removeprefix(host_prefix)}"
                    exc.registry, exc.repository = exc.registry or repo.registry, repo.path
                exc.args = (self.scrub(text),)
                raise
            except (asyncio.TimeoutError, httpx.TimeoutException):
                # Not retried: a registry that accepted the request and went silent would
                # multiply the wait (a connect timeout spends the whole deadline too).
                raise self._timed_out(repo, what, attempt) from None
            except httpx.InvalidURL:  # a redirect's Location
                raise RegistryError(
                    f"{repo}: {what}: the registry redirected to an invalid URL",
                    registry=repo.registry,
                    repository=repo.path,
                ) from None
            except BodyTooLarge as exc:
                raise RegistryError(
                    # (exc.cap differs from cap for a body of another kind: a token response)
                    f"{repo}: {what}: {_too_large(exc, limit if exc.cap == cap else '')}; "
                    "refusing to read more "
                    "(a broken registry, or not a registry?)",
                    registry=repo.registry,
                    repository=repo.path,
                ) from None
            except httpx.HTTPError as exc:
                if attempt <= self.retries and _retryable(exc):
                    await self._backoff(attempt)
                    continue
                raise RegistryError(
                    f"{repo}: {what}: {_transport_error(exc)}{_attempts(attempt)}",
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

    async def _exchange(
        self,
        method: str,
        url: str,
        registry: tuple[str, str, int],
        headers: dict[str, str] | None,
        extensions: dict[str, object],
    ) -> httpx.Response:
        """One request and its redirects, each body read (under its cap by the response
        hook). The auth client, which may add Authorization, is used only for the registry's
        own origin; every other host gets the bare client (the token realm is reached by the
        auth flow itself)."""
        hops = 0
        while True:
            client = self._http if _origin(url) == registry else self._bare
            self.requests += 1
            response = await client.request(method, url, headers=headers, extensions=extensions)
            if not response.is_redirect or hops >= 10:
                return response
            hops += 1
            url = _join(str(response.url), response.headers.get("Location", ""))

    def _timed_out(self, repo: Repository, what: str, attempt: int) -> RegistryError:
        now = asyncio.get_running_loop().time()
        if self._give_up_at is not None and now >= self._give_up_at - 0.01:
            message = (
                f"{repo}: {what}: gave up after {self.overall_timeout:g} s, the deadline of the "
                f"whole command ({OVERALL_TIMEOUTS} x --timeout, at least "
                f"{MIN_OVERALL_SECONDS:g} s); the registry is too slow"
            )
        else:
            message = (
                f"{repo}: {what}: timed out after {self.timeout:g} s{_attempts(attempt)}; "
                "the registry is slow or unreachable (--timeout bounds each request: "
                "connecting, the headers and the whole body)"
            )
        return RegistryError(message, registry=repo.registry, repository=repo.path)

    async def _backoff(self, attempt: int) -> None:
        await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 2.0) * (0.5 + random.random()))

    def _error(self, response: httpx.Response, repo: Repository, what: str) -> RegistryError:
        code, detail = "", ""
        try:
            data = loads(response.content)  # an error body: cut at MAX_ERROR_BYTES
            first = (data.get("errors") or [{}])[0]
            code = str(first.get("code") or "")
            detail = str(first.get("message") or "")
        except (ValueError, AttributeError, TypeError, IndexError, KeyError):
            pass
        status = response.status_code
        host = response.url.netloc.decode("ascii", "replace")
        if _origin(str(response.url)) != _origin(self._base(repo)):
            # Not the registry: a Link or a redirect named this host. Say so, and name it.
            message = (
                f"{repo}: {what}: {self._show(host)} (not the registry) answered HTTP {status}"
            )
            if status in (401, 403):
                message += (
                    "; chartlock sends credentials only to the registry and its token realm, "
                    "never to other hosts its responses point to"
                )
            return RegistryError(
                self.scrub(message), registry=repo.registry, repository=repo.path, status=status
            )
        code, detail = self._show(code, 60), self._show(detail, 200)
        if not code:
            code = {401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS"}.get(status, "")
        if code:
            message = describe(code, repo.registry, repo.path, detail)
            if code == "MANIFEST_UNKNOWN" and what:
                message = f"{repo}: {what}: manifest unknown; check the version, or push the chart"
        else:
            message = f"{repo}: {what}: unexpected HTTP status {status}"
        return RegistryError(
            self.scrub(message),
            registry=repo.registry,
            repository=repo.path,
            code=code,
            status=status,
        )

    def _content_type(self, response: httpx.Response) -> str:
        return self._show(response.headers.get("Content-Type", ""), 80)

    # -- API ---------------------------------------------------------------------------------

    async def list_tags(self, repo: Repository) -> list[str]:
        """All tags, in registry order, following ``Link: rel="next"`` pages (at most
        :data:`MAX_PAGES`, :data:`MAX_TAG_LIST_BYTES` over all of them)."""
        url = f"{self._base(repo)}/tags/list"
        tags: list[str] = []
        # Hashes, not the URLs: 10,000 Link targets of 60 KiB each would be 600 MB.
        seen: set[bytes] = set()
        used = 0
        while True:
            key = hashlib.blake2b(url.encode(), digest_size=16).digest()
            if key in seen:
                raise RegistryError(
                    self.scrub(
                        f"{repo}: tag list pagination loops "
                        f"(page {self._show(url, 120)} requested twice)"
                    ),
                    registry=repo.registry,
                    repository=repo.path,
                )
            if len(seen) >= MAX_PAGES:
                raise RegistryError(
                    f"{repo}: list tags: stopped after {MAX_PAGES} pages (the page cap); the "
                    'registry keeps answering with another Link: rel="next"',
                    registry=repo.registry,
                    repository=repo.path,
                )
            seen.add(key)
            response = await self._send(
                "GET",
                url,
                repo,
                what="list tags",
                cap=max(MAX_TAG_LIST_BYTES - used, 0),
                limit=f"the tag list, all pages together, may have {size_text(MAX_TAG_LIST_BYTES)}",
            )
            if response.status_code != 200:
                raise self._error(response, repo, "list tags")
            used += len(response.content)
            try:
                data = loads(response.content)
                page = data.get("tags") or []
                if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
                    raise ValueError
            except (ValueError, AttributeError):
                raise RegistryError(
                    self.scrub(
                        f"{repo}: list tags: the registry did not answer with a JSON tag list "
                        f"(HTTP {response.status_code}, {self._content_type(response) or '?'})"
                    ),
                    registry=repo.registry,
                    repository=repo.path,
                ) from None
            tags.extend(page)
            link = parse_link_next(response.headers.get("Link", ""))
            if not link:
                return tags
            try:
                url = _join(str(response.url), link)
            except httpx.InvalidURL:
                raise RegistryError(
                    self.scrub(
                        f"{repo}: list tags: the Link header names an invalid URL "
                        f"({self._show(link, 120)})"
                    ),
                    registry=repo.registry,
                    repository=repo.path,
                ) from None

    async def head_manifest(self, repo: Repository, reference: str) -> ManifestInfo:
        """The manifest digest of a tag: ``HEAD``, trusted only when it answers with a
        manifest media type and a digest; else ``GET``, checked and hashed."""
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
        media_type = _media_type(response)
        if DIGEST_RE.fullmatch(digest) and media_type in MANIFEST_MEDIA_TYPES:
            return ManifestInfo(digest, media_type, content_length(response) or 0)
        raw, digest, media_type = await self._get_manifest_bytes(repo, reference)
        return ManifestInfo(digest, media_type, len(raw))

    async def _get_manifest_bytes(self, repo: Repository, reference: str) -> tuple[bytes, str, str]:
        """A manifest's bytes, proven: a manifest media type, a manifest or index document,
        and its sha256 equal to the reference (a digest) and to ``Docker-Content-Digest``."""
        url = f"{self._base(repo)}/manifests/{reference}"
        what = f"manifest {reference}"
        response = await self._send(
            "GET",
            url,
            repo,
            headers={"Accept": MANIFEST_ACCEPT},
            what=what,
            cap=MAX_MANIFEST_BYTES,
            limit=f"a manifest may have {size_text(MAX_MANIFEST_BYTES)}",
        )
        if response.status_code != 200:
            if response.status_code == 404:
                raise _manifest_unknown(repo, reference)
            raise self._error(response, repo, what)
        raw = response.content
        actual = _sha256(raw)
        if DIGEST_RE.fullmatch(reference) and reference != actual:
            raise DigestMismatch(
                f"{repo}: manifest {reference}: content does not match its digest "
                f"(expected {reference}, got {actual})",
                registry=repo.registry,
                repository=repo.path,
            )
        header = response.headers.get("Docker-Content-Digest", "").strip()
        if header and not _digest_matches(header, raw, actual):
            raise DigestMismatch(
                self.scrub(
                    f"{repo}: {what}: content does not match its digest (the "
                    f"Docker-Content-Digest header says {self._show(header, 80)}, "
                    f"the body hashes to {actual})"
                ),
                registry=repo.registry,
                repository=repo.path,
            )
        try:
            media_type = check_manifest(raw, self._content_type(response), self._show)
        except ValueError as exc:
            raise RegistryError(
                f"{repo}: {what}: {self._show(_host(response))} answered {exc}",
                registry=repo.registry,
                repository=repo.path,
                code="NOT_A_MANIFEST",
            ) from None
        return raw, actual, media_type

    async def get_manifest(self, repo: Repository, reference: str) -> ChartManifest:
        """The manifest of a Helm chart, verified; refuses artifacts that are not charts."""
        raw, digest, _ = await self._get_manifest_bytes(repo, reference)
        return parse_chart_manifest(raw, digest, repo, reference)

    async def fetch_blob(self, repo: Repository, digest: str, size: int = 0) -> bytes:
        """A blob by digest, verified (redirects to storage hosts carry no credentials).

        ``size`` is the size the manifest declares: no more is read. Without it (0), at most
        :data:`MAX_BLOB_BYTES`.
        """
        if not DIGEST_RE.fullmatch(digest):
            raise RegistryError(f"{repo}: invalid blob digest {printable(digest)!r}")
        if size > MAX_BLOB_BYTES:
            raise RegistryError(
                f"{repo}: blob {digest}: the manifest declares {size} bytes; chartlock refuses "
                f"chart archives over {size_text(MAX_BLOB_BYTES)}",
                registry=repo.registry,
                repository=repo.path,
            )
        url = f"{self._base(repo)}/blobs/{digest}"
        response = await self._send(
            "GET",
            url,
            repo,
            what=f"blob {digest[:19]}",
            cap=size or MAX_BLOB_BYTES,
            budgeted=False,  # bounded by the declared size
            limit=(
                f"the manifest declares {size} bytes"
                if size
                else f"a chart archive may have {size_text(MAX_BLOB_BYTES)}"
            ),
        )
        if response.status_code != 200:
            raise self._error(response, repo, f"blob {digest}")
        data = response.content
        actual = _sha256(data)
        if actual != digest:
            raise DigestMismatch(
                f"{repo}: blob {digest}: content does not match its digest (got {actual})",
                registry=repo.registry,
                repository=repo.path,
            )
        return data


def check_manifest(
    raw: bytes, content_type: str, show: Callable[[str, int], str] = printable
) -> str:
    """The media type of a manifest served as ``content_type``; ``ValueError`` (worded to
    follow "<host> answered ") when it is not a manifest or an index of an accepted type."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        data = loads(raw)
    except ValueError:
        data = None
    if media_type not in MANIFEST_MEDIA_TYPES:
        declared = data.get("mediaType") if isinstance(data, dict) else None
        # Some registries serve manifests as plain JSON; then the document must say what it is.
        if media_type in ("", "application/json") and declared in MANIFEST_MEDIA_TYPES:
            media_type = str(declared)
        else:
            shown = show(media_type, 60) if media_type else "no Content-Type"
            raise ValueError(f"{shown}, not a manifest: a proxy or login page?")
    if not isinstance(data, dict):
        raise ValueError(f"{media_type}, but the body is not a JSON manifest")
    declared = data.get("mediaType")
    if declared is not None and declared != media_type:
        raise ValueError(f"{media_type}, but the body says it is {show(str(declared), 60)}")
    if data.get("schemaVersion") != 2:
        raise ValueError(f"{media_type}, but the body is not a schema version 2 manifest")
    if MANIFEST_MEDIA_TYPES[media_type] == "index":
        if not isinstance(data.get("manifests"), list):
            raise ValueError(f"{media_type}, but the body has no list of manifests")
    elif not isinstance(data.get("config"), dict) or not isinstance(data.get("layers", []), list):
        raise ValueError(f"{media_type}, but the body has no config and layers")
    return media_type


def _digest_matches(header: str, raw: bytes, sha256: str) -> bool:
    algorithm, _, value = header.partition(":")
    if algorithm == "sha256":
        return header == sha256
    if algorithm in ("sha384", "sha512") and value:
        return value == hashlib.new(algorithm, raw).hexdigest()
    return False


def _join(base: str, reference: str) -> str:
    """``reference`` (a Link target, a Location) resolved against ``base``;
    ``httpx.InvalidURL`` when either is not a URL."""
    try:
        joined = urljoin(base, reference)
        urlsplit(joined).port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise httpx.InvalidURL(f"invalid URL {reference[:80]!r}") from None
    return joined


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``; urllib's parser, cached, costs far less than
    ``httpx.URL`` on every request."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or ""), port or (443 if scheme == "https" else 80)


def _host(response: httpx.Response) -> str:
    return response.url.netloc.decode("ascii", "replace")


def _media_type(response: httpx.Response) -> str:
    value: str = response.headers.get("Content-Type", "")
    return value.split(";", 1)[0].strip().lower()


def _attempts(attempt: int) -> str:
    return f" (after {attempt} attempts)" if attempt > 1 else ""


def _too_large(exc: BodyTooLarge, limit: str) -> str:
    host = printable(exc.host)
    if exc.budget:
        return (
            f"{host} sent more than this run reads in all ({size_text(exc.cap)} of tag lists "
            "and manifests together)"
        )
    if exc.announced is not None:
        said = f"{host} announced a body of {exc.announced} bytes"
    else:
        said = f"{host} sent more than {size_text(exc.cap)}"
    return f"{said} ({limit or 'the limit is ' + size_text(exc.cap)})"


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
    text = str(exc)
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return "TLS certificate verification failed (see --ca-file)"
        if "WRONG_VERSION_NUMBER" in text or "record layer" in text:
            return "TLS handshake failed (is it a plain-HTTP registry? see --plain-http)"
        if text.startswith("proxy "):  # resolver.registry.tunnel: the proxy is unreachable
            return f"cannot connect through the {text}"
        return f"cannot connect: {connect_reason(text)}"
    if isinstance(exc, httpx.DecodingError):
        return f"the response could not be decoded ({printable(text, 60)})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed or the response was malformed"
    if isinstance(exc, httpx.ReadError):
        return "the connection was reset while reading"
    return type(exc).__name__


# What an OS or TLS error message says, in words; the first match wins (the text of a failed
# connect to several addresses lists each address's error).
_CONNECT_REASONS = (
    (("refused", "Errno 111", "Errno 61", "Connect call failed"), "connection refused"),
    (
        (
            "Name or service not known",
            "nodename nor servname",
            "No address associated",
            "Errno -2",
            "Errno -5",
            "Errno 8]",
            "getaddrinfo failed",
        ),
        "host name not known",
    ),
    (("Temporary failure in name resolution", "Errno -3"), "host name lookup failed"),
    (("Network is unreachable", "Errno 101"), "network unreachable"),
    (("No route to host", "Errno 113"), "no route to host"),
    (("timed out", "Errno 110"), "timed out"),
    (("reset", "Errno 104"), "connection reset"),
    (("CERTIFICATE", "SSL", "TLS"), "TLS handshake failed"),
)


def connect_reason(text: str) -> str:
    """Why a connection failed, in a few words, from the error's text."""
    for needles, reason in _CONNECT_REASONS:
        if any(needle in text for needle in needles):
            return reason
    return printable(text, 80) or "unknown error"


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]
