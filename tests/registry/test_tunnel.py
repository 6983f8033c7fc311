"""resolver.registry.tunnel and the transport's proxy routing, against scripted proxies.

A scripted proxy (raw asyncio streams on loopback) answers exactly what a test wants, so the
failure paths (refusals, garbage, data after the CONNECT answer, a proxy that hangs up) are
checked byte for byte; the real forward proxy and helm comparisons are in
tests/commands/lock/test_proxy.py.
"""

from __future__ import annotations

import asyncio
import base64
import ssl

import httpx
import pytest

from resolver.errors import RegistryError
from resolver.registry.proxyenv import ProxyConfig
from resolver.registry.transport import HTTP11Transport
from resolver.registry.tunnel import connect_request, connect_status
from tests.registry.test_transport import Server, ok, run

CREDS = "Basic " + base64.b64encode(b"alice:s3cret").decode()


def no_tls() -> ssl.SSLContext:
    raise AssertionError("no TLS context may be needed here")


def client(proxies: ProxyConfig, tls: object = no_tls) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=HTTP11Transport(tls, proxies), timeout=5)  # type: ignore[arg-type]


def test_connect_request_bytes() -> None:
    assert connect_request("registry.test", 443, None) == (
        b"CONNECT registry.test:443 HTTP/1.1\r\nHost: registry.test:443\r\n\r\n"
    )
    assert connect_request("::1", 5000, CREDS) == (
        b"CONNECT [::1]:5000 HTTP/1.1\r\nHost: [::1]:5000\r\n"
        b"Proxy-Authorization: " + CREDS.encode() + b"\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("head", "want"),
    [
        (b"HTTP/1.1 200 Connection established\r\n\r\n", (200, "Connection established")),
        (b"HTTP/1.0 200\r\n\r\n", (200, "")),
        (
            b"HTTP/1.1 407 Proxy Authentication Required\r\nX: y\r\n\r\n",
            (407, "Proxy Authentication Required"),
        ),
        (b"SSH-2.0-OpenSSH\r\n\r\n", (0, "SSH-2.0-OpenSSH")),
        (b"HTTP/1.1 abc\r\n\r\n", (0, "HTTP/1.1 abc")),
    ],
)
def test_connect_status(head: bytes, want: tuple[int, str]) -> None:
    assert connect_status(head) == want


def test_plain_http_goes_in_absolute_form_with_proxy_credentials() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            await server.read_request(r)
            w.write(ok(b"{}"))
            await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server:
            proxies = ProxyConfig(http=f"http://alice:s3cret@127.0.0.1:{server.port}")
            async with client(proxies) as c:
                for path in ("/v2/a/tags/list?n=5", "/v2/b/manifests/1.0.0"):
                    response = await c.get("http://registry.test:5000" + path)
                    assert response.status_code == 200 and response.content == b"{}"
        assert server.connections == 1  # kept alive, like a direct connection
        first, second = server.requests
        assert first.startswith(b"GET http://registry.test:5000/v2/a/tags/list?n=5 HTTP/1.1\r\n")
        assert second.startswith(b"GET http://registry.test:5000/v2/b/manifests/1.0.0 HTTP/1.1\r\n")
        assert b"\r\nHost: registry.test:5000\r\n" in first
        assert b"\r\nProxy-Authorization: " + CREDS.encode() + b"\r\n" in first

    run(main())


def test_no_proxy_and_loopback_go_direct() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(ok(b"direct"))
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server:
            # The proxy address is closed: any proxied request would fail.
            proxies = ProxyConfig(http="127.0.0.1:1", https="127.0.0.1:1")
            async with client(proxies) as c:
                response = await c.get(server.url + "/v2/")
                assert response.content == b"direct"
        assert server.requests[0].startswith(b"GET /v2/ HTTP/1.1\r\n")

    run(main())


def _connect_answer(answer: bytes) -> tuple[Server, list[bytes]]:
    seen: list[bytes] = []

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        seen.append(await r.readuntil(b"\r\n\r\n"))
        w.write(answer)
        await w.drain()
        await r.read()  # until the client gives up

    return Server(handler), seen


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            "the proxy http://127.0.0.1:{port} refused the tunnel (CONNECT): 403 Forbidden",
        ),
        (
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
            "407 Proxy Authentication Required; check the credentials in the proxy URL",
        ),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "refused the tunnel (CONNECT): malformed answer"),
    ],
)
def test_refused_tunnel_is_one_clear_error_without_retries(answer: bytes, message: str) -> None:
    server, seen = _connect_answer(answer)

    async def main() -> None:
        async with server:
            proxies = ProxyConfig(https=f"http://alice:s3cret@127.0.0.1:{server.port}")
            async with client(proxies) as c:
                with pytest.raises(RegistryError) as info:
                    await c.get("https://registry.test:5000/v2/")
            text = str(info.value)
            assert text.startswith("registry.test:5000: ")
            assert message.format(port=server.port) in text
            assert "alice" not in text and "s3cret" not in text
        assert server.connections == 1
        assert seen[0] == connect_request("registry.test", 5000, CREDS)

    run(main())


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\n\r\nunexpected",  # data before our TLS ClientHello
        b"HTTP/1.1 200 OK\r\n",  # hangs up mid-answer
        b"HTTP/1.1 200 OK\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",  # an endless head
    ],
    ids=["data-after-answer", "hang-up", "huge-head"],
)
def test_broken_connect_answers_are_connect_errors(answer: bytes) -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await r.readuntil(b"\r\n\r\n")
        w.write(answer)
        await w.drain()
        w.close()

    server = Server(handler)

    async def main() -> None:
        async with server:
            proxies = ProxyConfig(https=f"127.0.0.1:{server.port}")
            async with client(proxies) as c:
                with pytest.raises(
                    httpx.ConnectError, match=f"^proxy http://127.0.0.1:{server.port}: "
                ):
                    await c.get("https://registry.test/v2/")

    run(main())


def test_unreachable_proxy_is_a_connect_error_naming_it() -> None:
    async def main() -> None:
        for proxies in (ProxyConfig(https="127.0.0.1:1"), ProxyConfig(http="127.0.0.1:1")):
            async with client(proxies) as c:
                with pytest.raises(httpx.ConnectError, match=r"^proxy http://127\.0\.0\.1:1: "):
                    scheme = "https" if proxies.https else "http"
                    await c.get(f"{scheme}://registry.test/v2/")

    run(main())


@pytest.mark.parametrize(
    ("proxies", "url", "message"),
    [
        (ProxyConfig(http="p:1", cgi=True), "http://registry.test/v2/", "CGI environment"),
        (ProxyConfig(https="socks5://p:1080"), "https://registry.test/v2/", "proxies only"),
    ],
)
def test_proxy_settings_that_cannot_be_used_are_errors(
    proxies: ProxyConfig, url: str, message: str
) -> None:
    async def main() -> None:
        async with client(proxies) as c:
            with pytest.raises(RegistryError, match=message):
                await c.get(url)

    run(main())


def test_transport_reads_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(ok(b"via proxy"))
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server:
            monkeypatch.setenv("HTTP_PROXY", f"127.0.0.1:{server.port}")
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            monkeypatch.delenv("REQUEST_METHOD", raising=False)
            async with httpx.AsyncClient(transport=HTTP11Transport(no_tls)) as c:
                response = await c.get("http://registry.test/v2/")
            assert response.content == b"via proxy"
        assert server.requests[0].startswith(b"GET http://registry.test/v2/ HTTP/1.1\r\n")

    run(main())


def test_407_to_a_plain_http_request_names_the_proxy() -> None:
    """A registry never answers 407: it is the proxy asking for (other) credentials."""

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server:
            port = server.port
            proxies = ProxyConfig(http=f"http://alice:s3cret@127.0.0.1:{port}")
            async with client(proxies) as c:
                with pytest.raises(RegistryError) as info:
                    await c.get("http://registry.test:5000/v2/")
        text = str(info.value)
        assert text == (
            f"registry.test:5000: the proxy http://127.0.0.1:{port} refused the request: "
            "407 Proxy Authentication Required; check the credentials in the proxy URL "
            "(HTTP_PROXY)"
        )
        assert server.connections == 1

    run(main())


def test_407_from_a_direct_server_is_just_a_response() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client(ProxyConfig()) as c:
            response = await c.get(server.url + "/v2/")
            assert response.status_code == 407

    run(main())
