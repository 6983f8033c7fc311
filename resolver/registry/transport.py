"""HTTP/1.1 for the registry client: an httpx transport on asyncio streams.

httpx's default transport (httpcore on anyio) costs more than the requests of a typical lock:
importing it, its per-request pool bookkeeping (quadratic in the number of open connections)
and its backend. Registries speak plain HTTP/1.1, so this transport does just that: one
keep-alive pool per origin, ``Content-Length``, chunked and close-delimited bodies, ``HEAD``,
the timeouts httpx hands over (connect, read, write; there is no pool to wait for: the client
bounds concurrency per host), and httpx's exception types, so
everything above it (auth flows, redirects, retries, ``httpx.MockTransport`` in tests) is
unchanged. Connections may come from :mod:`resolver.registry.preconnect`, opened while
chartlock was still starting. A request that the environment sends through a proxy
(:mod:`resolver.registry.proxyenv`, Go's rules, as helm) goes through it
(:mod:`resolver.registry.tunnel`) on a connection of its own, never a preconnected one.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
from typing import TypeVar

import httpx

from resolver.registry import preconnect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from resolver.registry.proxyenv import Proxy, ProxyConfig

T = TypeVar("T")

MAX_HEAD_BYTES = 64 * 1024
MAX_IDLE_PER_ORIGIN = 64
_READ_SIZE = 64 * 1024


class _Framing:
    NONE = 0
    LENGTH = 1
    CHUNKED = 2
    UNTIL_CLOSE = 3


class _Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        fresh: bool,
        sent: bool = False,
    ) -> None:
        self.reader = reader
        self.writer = writer
        # A connection that carried no request yet (a closed keep-alive one fails differently).
        self.fresh = fresh
        # The request was sent on it already (an early request of resolver.registry.preconnect).
        self.sent = sent

    def close(self) -> None:
        self.writer.close()


class HTTP11Transport(httpx.AsyncBaseTransport):
    """See the module docstring. ``tls_context`` is called once, on the first https request.
    ``proxies``: the proxy settings (default: this process's environment)."""

    def __init__(
        self, tls_context: Callable[[], ssl.SSLContext], proxies: ProxyConfig | None = None
    ) -> None:
        self._tls_factory = tls_context
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._closed = False
        if proxies is None:
            import os

            from resolver.registry.proxyenv import from_environ

            proxies = from_environ(os.environ)
        self._proxies = proxies
        self._routes: dict[tuple[str, str, int], Proxy | None] = {}

    def _route(self, origin: tuple[str, str, int]) -> Proxy | None:
        """The proxy for requests to ``origin``, or ``None`` (direct); decided once."""
        if self._proxies.empty:
            return None
        if origin not in self._routes:
            from resolver.errors import RegistryError
            from resolver.registry.proxyenv import ProxyError

            scheme, host, port = origin
            try:
                route = self._routes[origin] = self._proxies.proxy_for(scheme, host, port)
            except ProxyError as exc:
                raise RegistryError(f"{host}:{port}: {exc}", registry=f"{host}:{port}") from None
            import logging

            # -v: which way each origin goes (the proxy's URL without its credentials).
            logging.getLogger("chartlock.registry").debug(
                "%s://%s:%s: %s", scheme, host, port, f"via proxy {route}" if route else "direct"
            )
        return self._routes[origin]

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = self._tls_factory()
        return self._tls

    # -- the request ---------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise httpx.ConnectError("the transport is closed", request=request)
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        route = self._route(origin)
        attempt = 0
        while True:
            attempt += 1
            conn = await self._acquire(origin, request, timeouts)
            try:
                if conn.sent:
                    conn.sent = False
                else:
                    await _with_timeout(
                        self._send(conn, request, route),
                        timeouts.get("write"),
                        httpx.WriteTimeout,
                        request,
                    )
                status, reason, headers, version = await _with_timeout(
                    _read_head(conn.reader, request, reused=not conn.fresh),
                    timeouts.get("read"),
                    httpx.ReadTimeout,
                    request,
                )
            except _Stale:
                # A kept-alive connection the server had closed: try once more on a new one.
                conn.close()
                if attempt == 1:
                    continue
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
            except BaseException:
                conn.close()
                raise
            break
        if status == 407 and route is not None:
            conn.close()
            from resolver.registry.tunnel import proxy_refused

            raise proxy_refused(route, url.host, origin[2], status, reason.decode("latin-1"))
        framing, length = _framing(request.method, status, headers)
        keep = version == b"HTTP/1.1" and not _has_token(headers, b"connection", b"close")
        stream = _Body(self, origin, conn, request, framing, length, keep, timeouts.get("read"))
        if framing == _Framing.NONE:
            stream.finish()
        return httpx.Response(
            status,
            headers=headers,
            stream=stream,
            extensions={"http_version": version, "reason_phrase": reason},
        )

    async def _send(
        self, conn: _Connection, request: httpx.Request, route: Proxy | None = None
    ) -> None:
        url = request.url
        target = url.raw_path or b"/"
        forward = route is not None and url.scheme == "http"
        if forward:
            # Through a proxy, a plain-HTTP request names its whole URL (absolute form).
            target = url.raw_scheme + b"://" + url.netloc + target
        lines = [request.method.encode("ascii") + b" " + target + b" HTTP/1.1\r\n"]
        if forward and route is not None and route.authorization:
            lines.append(b"Proxy-Authorization: " + route.authorization.encode("latin-1") + b"\r\n")
        chunked = False
        for name, value in request.headers.raw:
            if name.lower() == b"transfer-encoding" and value.lower() == b"chunked":
                chunked = True
            lines.append(name + b": " + value + b"\r\n")
        lines.append(b"\r\n")
        writer = conn.writer
        try:
            writer.write(b"".join(lines))
            async for chunk in request.stream:  # type: ignore[union-attr]
                if not chunk:
                    continue
                if chunked:
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    writer.write(chunk)
            if chunked:
                writer.write(b"0\r\n\r\n")
            await writer.drain()
        except OSError as exc:
            if not conn.fresh:
                raise _Stale from None
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None

    # -- the pool ------------------------------------------------------------------------

    async def _acquire(
        self, origin: tuple[str, str, int], request: httpx.Request, timeouts: dict[str, float]
    ) -> _Connection:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                conn.fresh = False
                return conn
            conn.close()
        return await _with_timeout(
            self._connect(origin, request, self._route(origin)),
            timeouts.get("connect"),
            httpx.ConnectTimeout,
            request,
        )

    async def _connect(
        self, origin: tuple[str, str, int], request: httpx.Request, route: Proxy | None = None
    ) -> _Connection:
        scheme, host, port = origin
        if route is not None:
            from resolver.registry.tunnel import open_via_proxy

            reader, writer = await open_via_proxy(
                route, scheme, host, port, self._tls_context, request, limit=MAX_HEAD_BYTES
            )
            _nodelay(writer)
            return _Connection(reader, writer, fresh=True)
        tls: ssl.SSLContext | None = None
        if scheme == "https":
            tls = self._tls_context()
        try:
            sock, sent = await _warm_socket(host, port, request)
            if sock is not None:
                reader, writer = await asyncio.open_connection(
                    sock=sock,
                    ssl=tls,
                    server_hostname=host if tls else None,
                    limit=MAX_HEAD_BYTES,
                )
            else:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=MAX_HEAD_BYTES
                )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        _nodelay(writer)
        return _Connection(reader, writer, fresh=True, sent=sock is not None and sent)

    def release(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= MAX_IDLE_PER_ORIGIN:
            conn.close()
        else:
            idle.append(conn)

    async def aclose(self) -> None:
        self._closed = True
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
        preconnect.discard()


class _Stale(Exception):
    """A reused connection turned out to be closed before the response began."""


class _Body(httpx.AsyncByteStream):
    """The response body; gives the connection back to the pool once read to the end."""

    def __init__(
        self,
        transport: HTTP11Transport,
        origin: tuple[str, str, int],
        conn: _Connection,
        request: httpx.Request,
        framing: int,
        length: int,
        keep: bool,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._conn: _Connection | None = conn
        self._request = request
        self._framing = framing
        self._length = length
        self._keep = keep and framing != _Framing.UNTIL_CLOSE
        self._timeout = read_timeout

    def finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._keep:
            self._transport.release(self._origin, conn)
        else:
            conn.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        chunks = self._chunks(conn.reader)
        try:
            while True:
                try:
                    chunk = await _with_timeout(
                        chunks.__anext__(), self._timeout, httpx.ReadTimeout, self._request
                    )
                except StopAsyncIteration:
                    break
                yield chunk
        except BaseException:
            self._keep = False
            self.finish()
            raise
        self.finish()

    async def _chunks(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        request = self._request
        try:
            if self._framing == _Framing.LENGTH:
                left = self._length
                while left:
                    data = await reader.read(min(left, _READ_SIZE))
                    if not data:
                        raise _incomplete(request)
                    left -= len(data)
                    yield data
            elif self._framing == _Framing.CHUNKED:
                while True:
                    size_line = await reader.readuntil(b"\n")
                    try:
                        size = int(size_line.split(b";", 1)[0].strip(), 16)
                    except ValueError:
                        raise httpx.RemoteProtocolError(
                            "malformed chunk size", request=request
                        ) from None
                    if size == 0:
                        while (await reader.readuntil(b"\n")).strip():
                            pass  # trailers
                        return
                    # In pieces: a chunk may announce any size (a terabyte), and the layers
                    # above count the body only as it is handed up.
                    while size:
                        data = await reader.read(min(size, _READ_SIZE))
                        if not data:
                            raise _incomplete(request)
                        size -= len(data)
                        yield data
                    if (await reader.readexactly(2)) != b"\r\n":
                        raise httpx.RemoteProtocolError("malformed chunk", request=request)
            elif self._framing == _Framing.UNTIL_CLOSE:
                while True:
                    data = await reader.read(_READ_SIZE)
                    if not data:
                        return
                    yield data
        except asyncio.IncompleteReadError:
            raise _incomplete(request) from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("malformed chunk size", request=request) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None

    async def aclose(self) -> None:
        if self._conn is not None:
            # Not read to the end: the connection cannot carry another request.
            self._keep = False
            self.finish()


def _incomplete(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body", request=request
    )


async def _read_head(
    reader: asyncio.StreamReader, request: httpx.Request, *, reused: bool
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
    """Status line and headers (skipping 1xx interim responses).

    On a reused connection, nothing at all before the end (or a reset) means the server had
    closed it while idle: :class:`_Stale`, and the request goes out again on a new one.
    """
    first = reused
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if first and not exc.partial:
                raise _Stale from None
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError(
                f"response headers exceed {MAX_HEAD_BYTES} bytes", request=request
            ) from None
        except OSError as exc:
            if first:
                raise _Stale from None
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None
        first = False
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(
                f"malformed status line {lines[0][:80]!r}", request=request
            )
        status = int(parts[1])
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip())
                continue
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise httpx.RemoteProtocolError(
                    f"malformed header line {line[:80]!r}", request=request
                )
            headers.append((name, value.strip()))
        if 100 <= status < 200 and status != 101:
            continue
        return status, parts[2] if len(parts) > 2 else b"", headers, parts[0]


def _framing(method: str, status: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return _Framing.NONE, 0
    if _has_token(headers, b"transfer-encoding", b"chunked"):
        return _Framing.CHUNKED, 0
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                break
            if length < 0:
                break
            return (_Framing.LENGTH, length) if length else (_Framing.NONE, 0)
    return _Framing.UNTIL_CLOSE, 0


def _has_token(headers: list[tuple[bytes, bytes]], name: bytes, token: bytes) -> bool:
    return any(
        key.lower() == name and token in [t.strip().lower() for t in value.split(b",")]
        for key, value in headers
    )


async def _with_timeout(
    awaitable: Awaitable[T],
    timeout: float | None,
    error: type[httpx.TimeoutException],
    request: httpx.Request,
) -> T:
    if timeout is None:
        return await awaitable
    try:
        if sys.version_info >= (3, 11):
            # Not wait_for: on 3.11 it returns the result when a cancellation (Ctrl-C) and the
            # completion coincide, and the cancelled run goes on as if nothing had happened.
            async with asyncio.timeout(timeout):
                return await awaitable
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise error(f"timed out after {timeout} s", request=request) from None


async def _warm_socket(
    host: str, port: int, request: httpx.Request
) -> tuple[socket.socket | None, bool]:
    """A connection :mod:`preconnect` began, once its handshake is done, and whether this very
    request was already sent on it; ``(None, False)`` when there is none."""
    names = [name.lower() for name, _ in request.headers.raw]
    warm = preconnect.take(host, port, request.method, request.url.raw_path, names)
    if warm is None:
        return None, False
    sock, sent = warm
    if sent:
        return sock, True
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def writable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_writer(sock.fileno(), writable)
    try:
        await done
    finally:
        loop.remove_writer(sock.fileno())
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
        sock.close()
        return None, False  # refused or unreachable: connect again, and report that error
    return sock, False


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):  # some platforms refuse it on some sockets
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
