"""httpx's own transport, routed through proxies by Go's rules (for https chart repositories).

The index-repository client uses httpx's default transport. httpx's environment proxies follow
other rules than Go's (they proxy ``localhost`` and loopback addresses; their ``NO_PROXY``
matching differs), so this transport decides per request with
:mod:`resolver.registry.proxyenv`, as helm would, and hands the request to an
``httpx.AsyncHTTPTransport`` made for that proxy (or for none). Passing a transport to
``httpx.AsyncClient`` also turns httpx's own environment proxies off, so exactly one rule
applies. Redirects to other hosts are decided again, since each request is.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from resolver.errors import RegistryError
from resolver.registry.proxyenv import Proxy, ProxyConfig, ProxyError
from resolver.registry.tls import client_context


class ProxyRoutingTransport(httpx.AsyncBaseTransport):
    """See the module docstring. ``verify``: the TLS context, or whether to verify
    certificates (a context from :func:`resolver.registry.tls.client_context`, built when
    first needed)."""

    def __init__(self, verify: ssl.SSLContext | bool, proxies: ProxyConfig) -> None:
        self._verify = verify
        self._proxies = proxies
        self._transports: dict[Proxy | None, httpx.AsyncHTTPTransport] = {}

    def _context(self) -> ssl.SSLContext:
        if not isinstance(self._verify, ssl.SSLContext):
            self._verify = client_context(insecure_skip_tls_verify=not self._verify)
        return self._verify

    def transport_for(self, url: httpx.URL) -> httpx.AsyncHTTPTransport:
        try:
            proxy = self._proxies.proxy_for(url.scheme, url.host, url.port)
        except ProxyError as exc:
            raise RegistryError(f"{url.netloc.decode('ascii')}: {exc}") from None
        transport = self._transports.get(proxy)
        if transport is None:
            options: dict[str, Any] = {"verify": self._context()}
            if proxy is not None:
                headers = (
                    {"Proxy-Authorization": proxy.authorization} if proxy.authorization else {}
                )
                options["proxy"] = httpx.Proxy(
                    str(proxy), headers=headers, ssl_context=self._proxy_tls(proxy)
                )
            transport = self._transports[proxy] = httpx.AsyncHTTPTransport(**options)
        return transport

    def _proxy_tls(self, proxy: Proxy) -> ssl.SSLContext | None:
        """TLS to an ``https://`` proxy is checked like TLS to the server (Go uses the
        transport's one TLS configuration for both)."""
        if proxy.scheme != "https":
            return None
        return self._context()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transport_for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._transports.values():
            await transport.aclose()
        self._transports.clear()
