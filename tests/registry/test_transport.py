"""resolver.registry.transport: HTTP/1.1 framing, keep-alive, errors, and pre-opened sockets.

Each test runs a scripted HTTP server on a free loopback port (raw asyncio streams, so the
bytes on the wire are exactly the ones a test wants, malformed included); the registry itself
is exercised through this transport by every integration and fault test.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from resolver.registry import preconnect
from resolver.registry.http11 import MAX_HEAD_BYTES
from resolver.registry.proxyenv import ProxyConfig
from resolver.registry.reference import Repository
from resolver.registry.transport import HTTP11Transport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


class Server:
    """Calls ``handler(reader, writer, connection_number)`` for each connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer, self.connections)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        return head


def no_tls() -> ssl.SSLContext:
    raise AssertionError("no https in these tests")


def client(
    timeout: float = 5.0, preconnected: preconnect.Preconnect | None = None
) -> httpx.AsyncClient:
    transport = HTTP11Transport(no_tls, preconnected=preconnected)
    return httpx.AsyncClient(transport=transport, timeout=timeout)


def ok(body: bytes, *extra: bytes) -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), headers, body)


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_keep_alive_reuses_one_connection() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            await server.read_request(r)
            w.write(ok(b"hello"))
            await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            for _ in range(3):
                response = await c.get(server.url + "/v2/x/tags/list?n=5")
                assert response.status_code == 200 and response.content == b"hello"
        assert server.connections == 1
        assert server.requests[0].startswith(b"GET /v2/x/tags/list?n=5 HTTP/1.1\r\n")
        assert b"\r\nHost: 127.0.0.1:" in server.requests[0]

    run(main())


def test_chunked_body_with_extensions_and_trailers() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
        )
        await w.drain()
        await server.read_request(r)  # the connection is still usable
        w.write(ok(b"again"))
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            assert (await c.get(server.url)).content == b"hello, world"
            assert (await c.get(server.url)).content == b"again"
        assert server.connections == 1

    run(main())


def test_body_until_close_then_a_new_connection() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nno length " + str(n).encode())
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            assert (await c.get(server.url)).content == b"no length 1"
            assert (await c.get(server.url)).content == b"no length 2"
        assert server.connections == 2

    run(main())


def test_head_and_204_have_no_body() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nDocker-Content-Digest: sha256:ab\r\n\r\n"
        )
        await server.read_request(r)
        w.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await server.read_request(r)
        w.write(ok(b"x"))
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            head = await c.head(server.url)
            assert head.headers["docker-content-digest"] == "sha256:ab" and head.content == b""
            assert (await c.delete(server.url)).status_code == 204
            assert (await c.get(server.url)).content == b"x"
        assert server.connections == 1

    run(main())


def test_interim_response_and_folded_header() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        w.write(b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 2\r\n\r\nok")
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            response = await c.get(server.url)
            assert response.status_code == 200
            assert response.headers["x-long"] == "a b"
            assert response.content == b"ok"

    run(main())


def test_stale_keep_alive_connection_is_retried_once() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(ok(b"first" if n == 1 else b"second"))
        await w.drain()
        # Close the idle connection without saying so (a keep-alive timeout).

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            assert (await c.get(server.url)).content == b"first"
            await asyncio.sleep(0.05)
            assert (await c.get(server.url)).content == b"second"
        assert server.connections == 2

    run(main())


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            httpx.RemoteProtocolError,
            "complete",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            httpx.RemoteProtocolError,
            "chunk",
        ),
        (b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError, "status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", httpx.RemoteProtocolError, "header line"),
        (b"HTTP/1.1 200", httpx.RemoteProtocolError, "without sending a response"),
        (b"", httpx.RemoteProtocolError, "without sending a response"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_HEAD_BYTES, httpx.RemoteProtocolError, "exceed"),
    ],
    ids=["truncated", "bad-chunk", "not-http", "bad-header", "cut-head", "nothing", "huge-head"],
)
def test_malformed_responses(response: bytes, error: type[Exception], text: str) -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(response)
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server, client() as c:
            with pytest.raises(error, match=text):
                await c.get(server.url)
        assert server.connections == 1  # a fresh connection is not retried by the transport

    run(main())


def test_read_timeout() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        await asyncio.sleep(2)

    server = Server(handler)

    async def main() -> None:
        async with server, client(timeout=0.2) as c:
            with pytest.raises(httpx.ReadTimeout):
                await c.get(server.url)

    run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_connect_error() -> None:
    async def main() -> None:
        async with client() as c:
            with pytest.raises(httpx.ConnectError):
                await c.get(f"http://127.0.0.1:{free_port()}/")

    run(main())


def test_streamed_request_body_is_sent_chunked() -> None:
    received: list[bytes] = []

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        head = await server.read_request(r)
        assert b"transfer-encoding: chunked" in head.lower()
        body = await r.readuntil(b"0\r\n\r\n")
        received.append(body)
        w.write(ok(b"done"))
        await w.drain()

    server = Server(handler)

    async def parts() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b""
        yield b"defgh"

    async def main() -> None:
        async with server, client() as c:
            assert (await c.post(server.url, content=parts())).content == b"done"
        assert received == [b"3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n"]

    run(main())


def test_preconnected_sockets_are_used_first() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            await server.read_request(r)
            w.write(ok(b"warm"))
            await w.drain()

    server = Server(handler)

    async def main() -> None:
        async with server:
            warm = preconnect.start({("127.0.0.1", server.port): [None, None]})
            await asyncio.sleep(0.1)
            assert server.connections == 2  # both handshakes done before any request
            async with client(preconnected=warm) as c:
                results = await asyncio.gather(c.get(server.url), c.get(server.url))
                assert [r.content for r in results] == [b"warm", b"warm"]
            assert server.connections == 2
            assert warm.take("127.0.0.1", server.port, "GET", b"/", []) is None

    run(main())


def test_early_request_answers_the_same_request() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            await server.read_request(r)
            w.write(ok(b'{"tags": ["1.0.0"]}'))
            await w.drain()

    server = Server(handler)
    path = "/v2/ns/app/tags/list"

    async def main() -> None:
        async with server:
            warm = preconnect.start(
                {("127.0.0.1", server.port): [path]},
                host_headers={("127.0.0.1", server.port): f"127.0.0.1:{server.port}"},
            )
            await asyncio.sleep(0.1)
            # Sent before the client exists, without credentials.
            assert len(server.requests) == 1
            assert server.requests[0].startswith(f"GET {path} HTTP/1.1\r\n".encode())
            assert b"authorization" not in server.requests[0].lower()
            async with client(preconnected=warm) as c:
                first = await c.get(server.url + path)
                assert first.json() == {"tags": ["1.0.0"]}
                again = await c.get(server.url + path)  # the connection is kept alive
                assert again.status_code == 200
        assert len(server.requests) == 2 and server.connections == 1

    run(main())


def test_early_request_is_not_used_for_a_request_with_credentials() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            head = await server.read_request(r)
            w.write(ok(b"secret" if b"authorization" in head.lower() else b"anonymous"))
            await w.drain()

    server = Server(handler)
    path = "/v2/ns/app/tags/list"

    async def main() -> None:
        async with server:
            warm = preconnect.start({("127.0.0.1", server.port): [path]})
            await asyncio.sleep(0.1)
            async with client(preconnected=warm) as c:
                response = await c.get(server.url + path, headers={"Authorization": "Bearer t"})
                assert response.content == b"secret"
            assert server.connections == 2  # its own connection, not the early one
            assert warm.take("127.0.0.1", server.port, "GET", path.encode(), []) is None

    run(main())


def test_failed_preconnect_falls_back_to_a_normal_connect() -> None:
    port = free_port()
    warm = preconnect.start({("127.0.0.1", port): ["/v2/x/tags/list"]})  # nothing listens

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await server.read_request(r)
        w.write(ok(b"late"))
        await w.drain()

    server = Server(handler)

    async def main() -> None:
        await asyncio.sleep(0.1)
        server.server = await asyncio.start_server(server._handle, "127.0.0.1", port)
        async with server, client(preconnected=warm) as c:
            assert (await c.get(server.url + "/v2/x/tags/list")).content == b"late"
        assert server.connections == 1

    run(main())


def test_unused_preconnected_sockets_are_closed_with_the_transport() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await r.read()  # until the client closes

    server = Server(handler)

    async def main() -> None:
        async with server:
            warm = preconnect.start({("127.0.0.1", server.port): [None, None, "/v2/a/tags/list"]})
            await asyncio.sleep(0.1)
            transport = HTTP11Transport(no_tls, preconnected=warm)
            await transport.aclose()
            assert warm.take("127.0.0.1", server.port, "GET", b"/", []) is None

    run(main())


def test_each_preconnect_session_owns_its_sockets() -> None:
    """Two runs in one process (the library): a session's sockets are never handed to a
    transport of the other, and closing one transport leaves the other session's alone."""

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await r.read()

    server = Server(handler)

    async def main() -> None:
        async with server:
            first = preconnect.start({("127.0.0.1", server.port): [None]})
            second = preconnect.start({("127.0.0.1", server.port): [None]})
            await asyncio.sleep(0.1)
            await HTTP11Transport(no_tls, preconnected=first).aclose()
            assert first.take("127.0.0.1", server.port, "GET", b"/", []) is None
            taken = second.take("127.0.0.1", server.port, "GET", b"/", [])
            assert taken is not None and taken[1] is False
            taken[0].close()

    run(main())


def _wanted(registry: str, path: str, list_tags: bool) -> preconnect.Wanted:
    return preconnect.Wanted(Repository(registry, path), list_tags)


@pytest.mark.parametrize(
    ("plain_http", "expected"),
    [
        # A listed repository asks once; the exact version needs only a HEAD.
        (True, {("127.0.0.1", 1): ["/v2/ns/a/tags/list", None, None]}),
        (False, {("127.0.0.1", 1): [None, None, None]}),  # nothing early over TLS
    ],
)
def test_plan(plain_http: bool, expected: dict[tuple[str, int], list[str | None]]) -> None:
    wanted = [
        _wanted("127.0.0.1:1", "ns/a", True),
        _wanted("127.0.0.1:1", "ns/a", True),
        _wanted("127.0.0.1:1", "ns/b", False),
    ]
    targets, headers = preconnect.plan(wanted, plain_http=plain_http, proxies=ProxyConfig())
    assert targets == expected
    assert headers == {("127.0.0.1", 1): "127.0.0.1:1"}


def test_plan_caps_connections_per_registry_and_names_docker_hub_by_its_host() -> None:
    wanted = [_wanted("docker.io", f"ns/c{i}", False) for i in range(5)]
    targets, headers = preconnect.plan(wanted, plain_http=False, proxies=ProxyConfig(), per_host=3)
    assert targets == {("registry-1.docker.io", 443): [None, None, None]}
    assert headers == {("registry-1.docker.io", 443): "registry-1.docker.io"}
    ipv6, _ = preconnect.plan(
        [_wanted("[::1]:5000", "ns/a", True)], plain_http=True, proxies=ProxyConfig()
    )
    assert ipv6 == {("::1", 5000): ["/v2/ns/a/tags/list"]}
