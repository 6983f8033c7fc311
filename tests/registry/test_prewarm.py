"""HTTP11Transport.prewarm: TLS handshakes begun on preconnected sockets before any request,
taken by the next requests to that origin; a failed one leaves the request to connect anew."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest

from resolver.errors import RegistryError
from resolver.registry import preconnect
from resolver.registry.proxyenv import from_environ
from resolver.registry.tls import client_context
from resolver.registry.transport import HTTP11Transport
from tests.support.certs import make_ca_and_server_cert
from tests.support.forwardproxy import ForwardProxy


class TLSServer:
    """Answers every request with 200 ``warm``; counts connections whose handshake finished."""

    def __init__(self, certs: Path) -> None:
        self.ca, cert, key = make_ca_and_server_cert(certs, names=("registry.test",))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()


def test_prewarmed_handshakes_carry_the_first_requests(tmp_path: Path) -> None:
    server = TLSServer(tmp_path / "certs")

    async def main() -> None:
        port = await server.start()
        warm = preconnect.start({("127.0.0.1", port): [None, None]})
        await asyncio.sleep(0.1)  # the preconnect thread has begun both connections
        transport = HTTP11Transport(lambda: client_context(ca_file=str(server.ca)), None, warm)
        transport.prewarm(("https", "127.0.0.1", port))
        for _ in range(200):
            if server.connections == 2:
                break
            await asyncio.sleep(0.01)
        assert server.connections == 2  # both handshakes done before any request
        assert warm.take("127.0.0.1", port, "GET", b"/", []) is None  # all taken
        async with httpx.AsyncClient(transport=transport, timeout=5) as c:
            url = f"https://127.0.0.1:{port}/v2/"
            results = await asyncio.gather(c.get(url), c.get(url))
            assert [r.content for r in results] == [b"warm", b"warm"]
        assert server.connections == 2

    asyncio.run(main())


def test_a_failed_prewarm_handshake_leaves_the_request_to_connect_and_report(
    tmp_path: Path,
) -> None:
    server = TLSServer(tmp_path / "certs")
    other_ca, _, _ = make_ca_and_server_cert(tmp_path / "other")

    async def main() -> None:
        port = await server.start()
        warm = preconnect.start({("127.0.0.1", port): [None]})
        await asyncio.sleep(0.1)
        transport = HTTP11Transport(lambda: client_context(ca_file=str(other_ca)), None, warm)
        transport.prewarm(("https", "127.0.0.1", port))
        async with httpx.AsyncClient(transport=transport, timeout=5) as c:
            with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                await c.get(f"https://127.0.0.1:{port}/v2/")
        assert server.connections == 0  # nothing was ever sent to the untrusted server

    asyncio.run(main())


def test_prewarm_leaves_plain_http_alone(tmp_path: Path) -> None:
    async def main() -> None:
        listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = int(listener.sockets[0].getsockname()[1])
        warm = preconnect.start({("127.0.0.1", port): [None]})
        await asyncio.sleep(0.1)
        transport = HTTP11Transport(lambda: client_context(), None, warm)
        transport.prewarm(("http", "127.0.0.1", port))
        await asyncio.sleep(0.05)
        assert warm.take("127.0.0.1", port, "GET", b"/", []) is not None  # still there
        await transport.aclose()
        listener.close()

    asyncio.run(main())


def test_prewarm_through_a_proxy_opens_that_many_tunnels_before_any_request(
    tmp_path: Path,
) -> None:
    server = TLSServer(tmp_path / "certs")

    async def main() -> None:
        port = await server.start()
        with ForwardProxy({"registry.test": "127.0.0.1"}) as forward:
            proxies = from_environ({"HTTPS_PROXY": forward.url})
            transport = HTTP11Transport(
                lambda: client_context(ca_file=str(server.ca)), proxies, None
            )
            transport.prewarm(("https", "registry.test", port), 2)
            for _ in range(300):
                if server.connections == 2:
                    break
                await asyncio.sleep(0.01)
            assert server.connections == 2  # two tunnels, TLS done, before any request
            async with httpx.AsyncClient(transport=transport, timeout=5) as c:
                url = f"https://registry.test:{port}/v2/"
                results = await asyncio.gather(c.get(url), c.get(url), c.get(url))
                assert [r.content for r in results] == [b"warm"] * 3
            assert server.connections == 3  # the third request opened its own
            assert forward.targets() == {f"registry.test:{port}"}

    asyncio.run(main())


def test_a_refused_prewarm_tunnel_leaves_the_request_to_report_it(tmp_path: Path) -> None:
    server = TLSServer(tmp_path / "certs")

    async def main() -> None:
        port = await server.start()
        with ForwardProxy({"registry.test": "127.0.0.1"}, credentials=("u", "p")) as forward:
            proxies = from_environ({"HTTPS_PROXY": forward.url})  # no credentials: 407
            transport = HTTP11Transport(
                lambda: client_context(ca_file=str(server.ca)), proxies, None
            )
            transport.prewarm(("https", "registry.test", port), 1)
            async with httpx.AsyncClient(transport=transport, timeout=5) as c:
                with pytest.raises(RegistryError, match="407"):
                    await c.get(f"https://registry.test:{port}/v2/")
        assert server.connections == 0

    asyncio.run(main())
