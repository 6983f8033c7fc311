"""Proxy routing outside the registry transport: start-up preconnections step aside for
proxied registries, and the index-repository transport (httpx's own, routed by Go's rules)."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from resolver.errors import RegistryError
from resolver.registry.preconnect import Preconnect, Wanted, start_for
from resolver.registry.proxyenv import ProxyConfig
from resolver.registry.reference import Repository
from resolver.registry.routing import ProxyRoutingTransport
from tests.registry.test_transport import Server, ok, run

PROXY_VARS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")


# The registries of four dependencies, each with a version range (its tags listed at once).
WANTED = [
    Wanted(Repository("registry.test:5000", "ns/a"), True),
    Wanted(Repository("mirror.corp.test", "ns/b"), True),
    Wanted(Repository("127.0.0.1:5000", "ns/c"), True),
    Wanted(Repository("localhost:5001", "ns/d"), True),
]


LIST = "/v2/ns/{}/tags/list"


@pytest.mark.parametrize(
    ("environ", "plain_http", "expected"),
    [
        (
            {},
            True,
            {
                ("registry.test", 5000): [LIST.format("a")],
                ("mirror.corp.test", 80): [LIST.format("b")],
                ("127.0.0.1", 5000): [LIST.format("c")],
                ("localhost", 5001): [LIST.format("d")],
            },
        ),
        # Proxied registries are left to the transport; loopback is never proxied (Go).
        (
            {"HTTP_PROXY": "proxy.corp:3128"},
            True,
            {("127.0.0.1", 5000): [LIST.format("c")], ("localhost", 5001): [LIST.format("d")]},
        ),
        (
            {"http_proxy": "proxy.corp:3128", "no_proxy": ".corp.test"},
            True,
            {
                ("mirror.corp.test", 80): [LIST.format("b")],
                ("127.0.0.1", 5000): [LIST.format("c")],
                ("localhost", 5001): [LIST.format("d")],
            },
        ),
        # HTTPS_PROXY does not apply to plain HTTP, HTTP_PROXY not to TLS.
        (
            {"HTTPS_PROXY": "proxy.corp:3128"},
            True,
            {
                ("registry.test", 5000): [LIST.format("a")],
                ("mirror.corp.test", 80): [LIST.format("b")],
                ("127.0.0.1", 5000): [LIST.format("c")],
                ("localhost", 5001): [LIST.format("d")],
            },
        ),
        (
            {"HTTP_PROXY": "proxy.corp:3128"},
            False,
            {
                ("registry.test", 5000): [None],
                ("mirror.corp.test", 443): [None],
                ("127.0.0.1", 5000): [None],
                ("localhost", 5001): [None],
            },
        ),
        (
            {"HTTPS_PROXY": "proxy.corp:3128", "NO_PROXY": "registry.test:5000"},
            False,
            {
                ("registry.test", 5000): [None],
                ("127.0.0.1", 5000): [None],
                ("localhost", 5001): [None],
            },
        ),
        # A proxy that cannot be used: nothing starts early; the transport reports it.
        (
            {"HTTPS_PROXY": "socks5://proxy.corp:1080"},
            False,
            {("127.0.0.1", 5000): [None], ("localhost", 5001): [None]},
        ),
        # Go refuses HTTP_PROXY in a CGI environment before it looks at the host, so even
        # loopback requests fail there (the transport says why).
        ({"HTTP_PROXY": "proxy.corp:3128", "REQUEST_METHOD": "GET"}, True, {}),
    ],
)
def test_preconnect_steps_aside_for_proxied_registries(
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    plain_http: bool,
    expected: dict[tuple[str, int], list[str | None]],
) -> None:
    for name in (*PROXY_VARS, "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    opened: list[object] = []
    monkeypatch.setattr(Preconnect, "start", lambda self, targets, **kw: opened.append(targets))
    start_for(WANTED, plain_http=plain_http)
    assert opened == [expected]


def test_index_transport_goes_through_the_proxy_by_go_rules() -> None:
    """An http index URL named by host goes through HTTP_PROXY (absolute form, with the proxy
    credentials); a loopback one goes direct, though httpx's own rules would proxy it."""

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            await server.read_request(r)
            w.write(ok(b"entries: {}\n"))
            await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server:
            proxies = ProxyConfig(http=f"http://bob:pw@127.0.0.1:{server.port}")
            transport = ProxyRoutingTransport(True, proxies)
            async with httpx.AsyncClient(transport=transport) as c:
                response = await c.get("http://charts.test/index.yaml")
                assert response.content == b"entries: {}\n"
                direct = await c.get(f"http://127.0.0.1:{server.port}/index.yaml")
                assert direct.status_code == 200
            first, second = server.requests
            assert first.startswith(b"GET http://charts.test/index.yaml HTTP/1.1\r\n")
            creds = base64.b64encode(b"bob:pw")
            assert b"\r\nProxy-Authorization: Basic " + creds + b"\r\n" in first
            assert second.startswith(b"GET /index.yaml HTTP/1.1\r\n")
            assert b"proxy-authorization" not in second.lower()

    run(main())


def test_index_transport_reuses_one_transport_per_route() -> None:
    proxies = ProxyConfig(https="proxy.corp:3128", no_proxy="direct.test")
    transport = ProxyRoutingTransport(True, proxies)
    via_a = transport.transport_for(httpx.URL("https://a.test/index.yaml"))
    via_b = transport.transport_for(httpx.URL("https://b.test/index.yaml"))
    direct = transport.transport_for(httpx.URL("https://direct.test/index.yaml"))
    loopback = transport.transport_for(httpx.URL("https://127.0.0.1:8443/index.yaml"))
    assert via_a is via_b
    assert direct is loopback
    assert direct is not via_a
    run(transport.aclose())


def test_index_transport_refuses_unusable_proxies() -> None:
    transport = ProxyRoutingTransport(True, ProxyConfig(https="socks5://p:1080"))
    with pytest.raises(RegistryError, match=r"^charts\.test: .*http:// and https:// proxies only"):
        transport.transport_for(httpx.URL("https://charts.test/index.yaml"))
