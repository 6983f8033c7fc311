"""Opening the registry client from Helm's flags (:class:`resolver.registry.options.ClientOptions`).

Every online command (lock, verify, pull, outdated) opens its client here, so the TLS settings,
the proxies and the lazily built certificate store are the same everywhere.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import httpx

    from resolver.registry.client import RegistryClient
    from resolver.registry.options import ClientOptions


def open_client(
    options: ClientOptions, transport: httpx.AsyncBaseTransport | None = None
) -> RegistryClient:
    """A registry client for ``options`` (Helm's flags); ``transport`` is for tests.

    Without a test transport, both of the client's HTTP clients share one
    :func:`resolver.registry.transport.registry_transport`, so the certificate store is loaded
    at most once, and only when an ``https://`` request is made.
    """
    from resolver.registry.client import RegistryClient

    return RegistryClient(options, transport=transport)
