"""Async OCI distribution client: tag lists, manifest digests, manifests and blobs.

One :class:`RegistryClient` per run: one connection pool (keep-alive), one token cache, a
concurrency bound per host, bounded retries with jittered backoff for idempotent requests, and
every failure turned into a one-line :class:`RegistryError` naming registry and repository.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from types import TracebackType
from typing import Any

import httpx

from resolver import __version__
from resolver.errors import DigestMismatch, RegistryError
from resolver.registry import retry
from resolver.registry.auth import SCOPE_EXTENSION, RegistryAuth
from resolver.registry.bounds import (
    BUDGET_EXTENSION,
    CAP_EXTENSION,
    DEFAULT_CAP,
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
from resolver.registry.earlyauth import Probe
from resolver.registry.failures import (
    attempts,
    manifest_unknown,
    status_error,
    too_large,
    transport_error,
)
from resolver.registry.manifests import (
    MANIFEST_ACCEPT,
    MANIFEST_MEDIA_TYPES,
    check_manifest,
    digest_matches,
    sha256,
)
from resolver.registry.manifests import ChartManifest as ChartManifest
from resolver.registry.manifests import ManifestInfo as ManifestInfo
from resolver.registry.manifests import parse_chart_manifest as parse_chart_manifest
from resolver.registry.options import ClientOptions
from resolver.registry.reference import DIGEST_RE, Repository
from resolver.registry.retry import RETRY_STATUSES, backoff_delay, rate_limit_delay, retryable
from resolver.registry.scrub import printable, scrub
from resolver.registry.urls import join, origin, parse_link_next
from resolver.util.urls import strip_query

log = logging.getLogger("chartlock.registry")

# The whole command gives up after this many --timeout periods (and never sooner than
# MIN_OVERALL_SECONDS): each request has --timeout, but a registry answering every request
# just in time, page after page, must not keep a run going for hours.
OVERALL_TIMEOUTS = 10
MIN_OVERALL_SECONDS = 60.0


class RegistryClient:
    """See the module docstring. Use as ``async with RegistryClient(...) as client``."""

    def __init__(
        self,
        options: ClientOptions | None = None,
        *,
        credentials: CredentialStore | None = None,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``options``: Helm's flags (default: :class:`ClientOptions` defaults).
        ``credentials`` (default: helm's and docker's stores; ``--username``/``--password``
        win), ``retries`` and ``transport`` (default: chartlock's HTTP/1.1 transport with
        ``options``' TLS settings, proxies and preconnected sockets) are for tests."""
        if options is None:
            options = ClientOptions()
        self.options = options
        self.plain_http = options.uses_plain_http
        if options.username is not None or options.password is not None:
            credentials = StaticCredentials(options.username or "", options.password or "")
        self.auth = RegistryAuth(credentials or CredentialStore(), allow_plain_http=self.plain_http)
        if transport is None:
            from resolver.registry.transport import registry_transport

            transport = registry_transport(options)
        self._transport = transport
        timeout = options.timeout
        # One transport for both HTTP clients: TLS settings, proxies and pooled connections
        # are the same for the registry and the hosts it points to. (httpx's ``verify`` would
        # only configure httpx's own transport, which is never used.)
        self._bare_options: dict[str, Any] = dict(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            # identity: a registry has no reason to compress JSON, and what it compresses
            # anyway is inflated under the same caps (resolver.registry.bounds).
            headers={"User-Agent": f"chartlock/{__version__}", "Accept-Encoding": "identity"},
            follow_redirects=False,
            transport=transport,
            event_hooks={"request": [], "response": [cap_response]},
        )
        self._http = httpx.AsyncClient(auth=self.auth, **self._bare_options)
        # Requests to any other origin (a redirect to blob storage, a Link to another host)
        # carry no Authorization header: they go through a second client without auth, made
        # when first needed. Redirects are followed by _exchange, hop by hop, for both.
        self._bare_client: httpx.AsyncClient | None = None
        self.max_per_host = options.max_per_host
        self.retries = retries
        self.timeout = timeout
        self.overall_timeout = max(OVERALL_TIMEOUTS * timeout, MIN_OVERALL_SECONDS)
        self._give_up_at: float | None = None
        self._budget = Budget(RUN_BUDGET_BYTES)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self.requests = 0
        # The start-up's probes of TLS registries' auth, by host (resolver.registry.earlyauth).
        early = options.preconnected
        self._probes = dict(early.probes) if early is not None else {}
        self._adopting: dict[str, asyncio.Future[None]] = {}

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
            self._bare_client = httpx.AsyncClient(**self._bare_options)
        return self._bare_client

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._bare_client is not None:
            await self._bare_client.aclose()

    # -- plumbing --------------------------------------------------------------------------

    def _base(self, repo: Repository) -> str:
        if self.options.mirrors:  # issue 13: a mirrored registry is served by its mirror
            from resolver.registry.mirrors import base_url

            mirrored = base_url(self.options.mirrors, repo.registry, repo.path)
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
        registry = origin(self._base(repo))
        extensions: dict[str, object] = {
            SCOPE_EXTENSION: f"repository:{repo.path}:pull",
            CAP_EXTENSION: cap,
        }
        if budgeted:
            extensions[BUDGET_EXTENSION] = self._budget
        loop = asyncio.get_running_loop()
        if self._probes or self._adopting:
            await self._early_auth(repo.host)
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
                raise repo.error(
                    f"{repo}: {what}: the registry redirected to an invalid URL",
                ) from None
            except BodyTooLarge as exc:
                raise repo.error(
                    # (exc.cap differs from cap for a body of another kind: a token response)
                    f"{repo}: {what}: {too_large(exc, limit if exc.cap == cap else '')}; "
                    "refusing to read more "
                    "(a broken registry, or not a registry?)",
                ) from None
            except httpx.HTTPError as exc:
                if attempt <= self.retries and retryable(exc):
                    await retry.pause(backoff_delay(attempt))
                    continue
                raise repo.error(
                    f"{repo}: {what}: {transport_error(exc)}{attempts(attempt)}",
                ) from None
            log.debug("%s %s -> %s", method, strip_query(url), response.status_code)
            status = response.status_code
            if status == 429 and attempt <= self.retries:
                await retry.pause(rate_limit_delay(attempt, response.headers.get("Retry-After")))
                continue
            if status in RETRY_STATUSES and attempt <= self.retries:
                await retry.pause(backoff_delay(attempt))
                continue
            return response

    async def _early_auth(self, host: str) -> None:
        """Wait (at most 5 s: a slower probe costs that before the usual 401 dance) for the
        start-up's probe of ``host``, then hand what it learnt to the auth flow; every request
        to ``host`` waits for the same one, while the transport handshakes its connections."""
        probe = self._probes.pop(host, None)
        if probe is not None:
            self._adopting[host] = asyncio.ensure_future(self._adopt(host, probe))
            prewarm = getattr(self._transport, "prewarm", None)
            if prewarm is not None:
                prewarm(origin(f"https://{host}/"), min(probe.repositories, self.max_per_host))
        waiting = self._adopting.get(host)
        if waiting is not None and not waiting.done():
            await asyncio.shield(waiting)

    async def _adopt(self, host: str, probe: Probe) -> None:
        if await probe.wait(min(self.timeout, 5.0)) and probe.challenge:
            self.auth.adopt(host, probe.challenge, probe.tokens)

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
            client = self._http if origin(url) == registry else self._bare
            self.requests += 1
            response = await client.request(method, url, headers=headers, extensions=extensions)
            if not response.is_redirect or hops >= 10:
                return response
            hops += 1
            url = join(str(response.url), response.headers.get("Location", ""))

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
                f"{repo}: {what}: timed out after {self.timeout:g} s{attempts(attempt)}; "
                "the registry is slow or unreachable (--timeout bounds each request: "
                "connecting, the headers and the whole body)"
            )
        return repo.error(message)

    def _error(self, response: httpx.Response, repo: Repository, what: str) -> RegistryError:
        return status_error(
            response, repo, what, self.scrub, from_registry=self._from(repo, response)
        )

    def _from(self, repo: Repository, response: httpx.Response) -> bool:
        """Whether ``response`` came from the registry itself (not a host it pointed to)."""
        return origin(str(response.url)) == origin(self._base(repo))

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
                raise repo.error(
                    self.scrub(
                        f"{repo}: tag list pagination loops "
                        f"(page {self._show(url, 120)} requested twice)"
                    ),
                )
            if len(seen) >= MAX_PAGES:
                raise repo.error(
                    f"{repo}: list tags: stopped after {MAX_PAGES} pages (the page cap); the "
                    'registry keeps answering with another Link: rel="next"',
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
                if not isinstance(page, list) or not set(map(type, page)) <= {str}:
                    raise ValueError
            except (ValueError, AttributeError):
                raise repo.error(
                    self.scrub(
                        f"{repo}: list tags: the registry did not answer with a JSON tag list "
                        f"(HTTP {response.status_code}, {self._content_type(response) or '?'})"
                    ),
                ) from None
            tags.extend(page)
            link = parse_link_next(response.headers.get("Link", ""))
            if not link:
                return tags
            try:
                url = join(str(response.url), link)
            except httpx.InvalidURL:
                raise repo.error(
                    self.scrub(
                        f"{repo}: list tags: the Link header names an invalid URL "
                        f"({self._show(link, 120)})"
                    ),
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
            raise manifest_unknown(repo, f"tag {reference}")
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
                raise manifest_unknown(repo, reference)
            raise self._error(response, repo, what)
        raw = response.content
        actual = sha256(raw)
        if DIGEST_RE.fullmatch(reference) and reference != actual:
            raise repo.error(
                f"{repo}: manifest {reference}: content does not match its digest "
                f"(expected {reference}, got {actual})",
                kind=DigestMismatch,
            )
        header = response.headers.get("Docker-Content-Digest", "").strip()
        if header and not digest_matches(header, raw, actual):
            raise repo.error(
                self.scrub(
                    f"{repo}: {what}: content does not match its digest (the "
                    f"Docker-Content-Digest header says {self._show(header, 80)}, "
                    f"the body hashes to {actual})"
                ),
                kind=DigestMismatch,
            )
        try:
            media_type = check_manifest(raw, self._content_type(response), self._show)
        except ValueError as exc:
            raise repo.error(
                f"{repo}: {what}: {self._show(_host(response))} answered {exc}",
                code="NOT_A_MANIFEST",
            ) from None
        return raw, actual, media_type

    async def get_manifest(self, repo: Repository, reference: str) -> ChartManifest:
        """The manifest of a Helm chart, verified; refuses artifacts that are not charts."""
        raw, digest, _ = await self._get_manifest_bytes(repo, reference)
        return parse_chart_manifest(raw, digest, repo, reference)

    async def fetch_blob(self, repo: Repository, digest: str, size: int = 0) -> bytes:
        """A blob by digest, verified (redirects to storage hosts carry no credentials).
        ``size`` is the size the manifest declares: no more is read (0: at most
        :data:`~resolver.registry.bounds.MAX_BLOB_BYTES`)."""
        from resolver.registry.blobs import blob_bounds, verified_blob

        cap, limit = blob_bounds(repo, digest, size)
        url, what = f"{self._base(repo)}/blobs/{digest}", f"blob {digest[:19]}"
        response = await self._send(  # not budgeted: bounded by the declared size
            "GET", url, repo, what=what, cap=cap, limit=limit, budgeted=False
        )
        if response.status_code != 200:
            raise self._error(response, repo, f"blob {digest}")
        return verified_blob(repo, digest, response.content)

    async def learn_challenge(self, repo: Repository) -> None:
        """Ask ``repo``'s registry once for its challenge (``GET /v2/``, no credentials), so
        that many concurrent first requests go out with their tokens instead of each drawing
        a 401 (``chartlock fix`` asks for hundreds of repositories at once). Best effort."""
        base = self._base(repo)
        host = base.split("://", 1)[1].split("/", 1)[0]
        if host in self.auth.challenges:
            return
        try:
            response = await self._bare.get(base.rsplit("/v2/", 1)[0] + "/v2/")
        except httpx.HTTPError:
            return
        header = response.headers.get("WWW-Authenticate", "")
        if response.status_code == 401 and header:
            self.auth.adopt(host, header, {})


def _host(response: httpx.Response) -> str:
    return response.url.netloc.decode("ascii", "replace")


def _media_type(response: httpx.Response) -> str:
    value: str = response.headers.get("Content-Type", "")
    return value.split(";", 1)[0].strip().lower()
