"""Building the registry client from Helm's flags (:class:`resolver.commands.lock.ClientOptions`).

Every online command (lock, verify, pull, outdated) opens its client here, so the TLS settings
and the lazily built certificate store are the same everywhere.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import httpx

    from resolver.commands.lock import ClientOptions
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
        mirrors=getattr(options, "mirrors", ()),
        transport=transport if transport is not None else lazy_tls_transport(options),
    )


def lazy_tls_transport(options: ClientOptions) -> httpx.AsyncBaseTransport:
    """chartlock's HTTP/1.1 transport with the TLS settings ``RegistryClient`` would use
    (Helm's flags: ``--insecure-skip-tls-verify``, ``--ca-file``, ``--cert-file``/``--key-file``,
    else the default store); the TLS context is built on the first ``https://`` request.
    Requests go through the proxy the environment names for them, by Go's rules, as helm's do
    (:mod:`resolver.registry.proxyenv`): that covers the registry, its token realm and the
    hosts it redirects to, since they all share this transport."""
    import os
    import ssl

    from resolver.registry.proxyenv import from_environ
    from resolver.registry.transport import HTTP11Transport

    def tls_context() -> ssl.SSLContext:
        if options.insecure_skip_tls_verify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif options.ca_file or (options.cert_file and options.key_file):
            context = ssl.create_default_context(cafile=options.ca_file or None)
        else:
            import httpx

            context = httpx.create_ssl_context()
        if options.cert_file and options.key_file:
            context.load_cert_chain(options.cert_file, options.key_file)
        context.set_alpn_protocols(["http/1.1"])
        return context

    return HTTP11Transport(tls_context, from_environ(os.environ))
