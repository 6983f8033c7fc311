"""Building the registry client from Helm's flags (:class:`resolver.locking.ClientOptions`).

Every online command (lock, verify, pull, outdated) opens its client here, so the TLS settings
and the lazily built certificate store are the same everywhere.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import httpx

    from resolver.locking import ClientOptions
    from resolver.registry.client import RegistryClient


def open_client(
    options: ClientOptions, transport: httpx.AsyncBaseTransport | None = None
) -> RegistryClient:
    """A registry client for ``options`` (Helm's flags); ``transport`` is for tests.

    Without a test transport, both of the client's HTTP clients share one
    :func:`lazy_tls_transport`, so the certificate store is loaded at most once, and only when
    an ``https://`` request is made.
    """
    from resolver.registry.client import RegistryClient

    return RegistryClient(
        plain_http=options.plain_http,
        insecure_skip_tls_verify=options.insecure_skip_tls_verify,
        ca_file=options.ca_file,
        cert_file=options.cert_file,
        key_file=options.key_file,
        timeout=options.timeout,
        username=options.username,
        password=options.password,
        max_per_host=options.max_per_host,
        transport=transport if transport is not None else lazy_tls_transport(options),
    )


def lazy_tls_transport(options: ClientOptions) -> httpx.AsyncBaseTransport:
    """An httpx transport with the TLS settings ``RegistryClient`` would use (Helm's flags:
    ``--insecure-skip-tls-verify``, ``--ca-file``, ``--cert-file``/``--key-file``, else the
    default store), whose TLS context is built on the first ``https://`` request."""
    import ssl

    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)

    def tls_context() -> ssl.SSLContext | bool:
        if options.insecure_skip_tls_verify:
            return False
        if options.ca_file or (options.cert_file and options.key_file):
            context = ssl.create_default_context(cafile=options.ca_file or None)
            if options.cert_file and options.key_file:
                context.load_cert_chain(options.cert_file, options.key_file)
            return context
        return httpx.create_ssl_context()

    class LazyTLSTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            # ``verify=False`` builds a bare TLS context (no certificate store); this pool only
            # ever carries http:// requests.
            self._plain = httpx.AsyncHTTPTransport(verify=False, limits=limits)
            self._tls: httpx.AsyncHTTPTransport | None = None
            self._closed = False

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.scheme != "https":
                return await self._plain.handle_async_request(request)
            if self._tls is None:
                self._tls = httpx.AsyncHTTPTransport(verify=tls_context(), limits=limits)
            return await self._tls.handle_async_request(request)

        async def aclose(self) -> None:
            if self._closed:
                return
            self._closed = True
            await self._plain.aclose()
            if self._tls is not None:
                await self._tls.aclose()

    return LazyTLSTransport()
