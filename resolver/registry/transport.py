"""HTTP/1.1 for the registry client: an httpx transport on asyncio streams.

httpx's default transport (httpcore on anyio) costs more than the requests of a typical lock:
importing it, its per-request pool bookkeeping (quadratic in the number of open connections)
and its backend. Registries speak plain HTTP/1.1, so this transport does just that: one
keep-alive pool per origin, ``Content-Length``, chunked and close-delimited bodies, ``HEAD``,
the timeouts httpx hands over (connect, read, write; there is no pool to wait for: the client
bounds concurrency per host), and httpx's exception types, so
everything above it (auth flows, redirects, retries, ``httpx.MockTransport`` in tests) is
unchanged. Connections may come from a :class:`resolver.registry.preconnect.Preconnect`,
opened while chartlock was still starting. A request that the environment sends through a proxy
(:mod:`resolver.registry.proxyenv`, Go's rules, as helm) goes through it
(:mod:`resolver.registry.tunnel`) on a connection of its own, never a preconnected one.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl

import httpx

from resolver.registry.http11 import (
    MAX_HEAD_BYTES,
    Framing,
    Stale,
    body_chunks,
    framing_of,
    has_token,
    read_head,
    with_timeout,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from resolver.registry.options import ClientOptions
    from resolver.registry.preconnect import Preconnect
    from resolver.registry.proxyenv import Proxy, ProxyConfig

MAX_IDLE_PER_ORIGIN = 64


class _Connection:
    """One HTTP/1.1 connection of the pool (a state holder)."""

    __slots__ = ("reader", "writer", "fresh", "sent")

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
    ``proxies``: the proxy settings (default: this process's environment). ``preconnected``:
    the connections begun at start-up, used first (and the rest closed with the transport)."""

    def __init__(
        self,
        tls_context: Callable[[], ssl.SSLContext],
        proxies: ProxyConfig | None = None,
        preconnected: Preconnect | None = None,
    ) -> None:
        self._tls_factory = tls_context
        self._preconnected = preconnected
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._closed = False
        if proxies is None:
            import os

            from resolver.registry.proxyenv import from_environ

            proxies = from_environ(os.environ)
        self._proxies = proxies
        self._routes: dict[tuple[str, str, int], Proxy | None] = {}
        # TLS handshakes begun on preconnected sockets by prewarm(), by origin: taken by the
        # next requests there before any new connection is opened.
        self._warming: dict[tuple[str, str, int], list[asyncio.Task[_Connection | None]]] = {}

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
                    await with_timeout(
                        self._send(conn, request, route),
                        timeouts.get("write"),
                        httpx.WriteTimeout,
                        request,
                    )
                status, reason, headers, version = await with_timeout(
                    read_head(conn.reader, request, reused=not conn.fresh),
                    timeouts.get("read"),
                    httpx.ReadTimeout,
                    request,
                )
            except Stale:
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
        framing, length = framing_of(request.method, status, headers)
        keep = version == b"HTTP/1.1" and not has_token(headers, b"connection", b"close")
        stream = _Body(self, origin, conn, request, framing, length, keep, timeouts.get("read"))
        if framing == Framing.NONE:
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
                raise Stale from None
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None

    # -- the pool ------------------------------------------------------------------------

    def prewarm(self, origin: tuple[str, str, int], tunnels: int = 0) -> None:
        """Begin the TLS handshakes of the connections preconnected to ``origin``
        (``https``) now, before any request there, or through the proxy that applies to it,
        ``tunnels`` new ones (CONNECT, then TLS): the client calls this while it waits for
        what the start-up learnt of the registry's auth (:mod:`resolver.registry.earlyauth`),
        so the handshakes overlap that wait."""
        from resolver.errors import RegistryError

        scheme, host, port = origin
        if scheme != "https" or self._closed:
            return
        try:
            route = self._route(origin)
        except RegistryError:
            return  # the request reports it
        tasks = self._warming.setdefault(origin, [])
        if route is not None:
            from resolver.registry.tunnel import open_via_proxy

            request = httpx.Request("GET", f"https://{host}:{port}/v2/")

            async def tunnel() -> _Connection | None:
                try:
                    reader, writer = await open_via_proxy(
                        route, scheme, host, port, self._tls_context, request, limit=MAX_HEAD_BYTES
                    )
                except Exception:  # refused, unreachable: the request connects and reports
                    return None
                _nodelay(writer)
                return _Connection(reader, writer, fresh=True)

            tasks.extend(asyncio.ensure_future(tunnel()) for _ in range(tunnels))
            return
        if self._preconnected is None:
            return
        while True:
            warm = self._preconnected.take(host, port, "", b"", ())
            if warm is None:
                return
            tasks.append(asyncio.ensure_future(self._handshake(host, warm[0])))

    async def _handshake(self, host: str, sock: socket.socket) -> _Connection | None:
        """TLS on a preconnected socket (``None`` when it fails: the request connects anew)."""
        try:
            if not await _writable(sock):
                sock.close()
                return None
            reader, writer = await asyncio.open_connection(
                sock=sock, ssl=self._tls_context(), server_hostname=host, limit=MAX_HEAD_BYTES
            )
        except (OSError, ssl.SSLError, ValueError):
            sock.close()
            return None
        _nodelay(writer)
        return _Connection(reader, writer, fresh=True)

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
        warming = self._warming.get(origin)
        while warming:
            task = warming.pop(0)
            try:
                handshaken = await with_timeout(
                    asyncio.shield(task), timeouts.get("connect"), httpx.ConnectTimeout, request
                )
            except BaseException:
                warming.insert(0, task)  # still someone else's to take (or close)
                raise
            if handshaken is not None:
                return handshaken
        return await with_timeout(
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
            sock, sent = await self._warm_socket(host, port, request)
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

    async def _warm_socket(
        self, host: str, port: int, request: httpx.Request
    ) -> tuple[socket.socket | None, bool]:
        """A connection begun at start-up, once its handshake is done, and whether this very
        request was already sent on it; ``(None, False)`` when there is none."""
        if self._preconnected is None:
            return None, False
        names = [name.lower() for name, _ in request.headers.raw]
        warm = self._preconnected.take(host, port, request.method, request.url.raw_path, names)
        if warm is None:
            return None, False
        sock, sent = warm
        if sent:
            return sock, True
        if not await _writable(sock):
            sock.close()
            return None, False  # refused or unreachable: connect again, and report that error
        return sock, False

    def release(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= MAX_IDLE_PER_ORIGIN:
            conn.close()
        else:
            idle.append(conn)

    async def aclose(self) -> None:
        self._closed = True
        for tasks in self._warming.values():
            for task in tasks:
                if not task.done():
                    task.cancel()
                elif not task.cancelled() and (conn := task.result()) is not None:
                    conn.close()
        self._warming.clear()
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
        if self._preconnected is not None:
            self._preconnected.discard()


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
        self._keep = keep and framing != Framing.UNTIL_CLOSE
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
        chunks = body_chunks(conn.reader, self._request, self._framing, self._length)
        try:
            while True:
                try:
                    chunk = await with_timeout(
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

    async def aclose(self) -> None:
        if self._conn is not None:
            # Not read to the end: the connection cannot carry another request.
            self._keep = False
            self.finish()


async def _writable(sock: socket.socket) -> bool:
    """Wait for a non-blocking connect of ``sock`` to finish; whether it succeeded."""
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
    return not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):  # some platforms refuse it on some sockets
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def registry_transport(options: ClientOptions) -> HTTP11Transport:
    """The registry client's transport for ``options``: their TLS settings
    (:func:`resolver.registry.tls.client_context`, built on the first ``https://`` request, so
    the certificate store is loaded at most once, and only when needed), the connections begun
    at start-up, and the proxy the environment names for each request, by Go's rules, as
    helm's (:mod:`resolver.registry.proxyenv`): that covers the registry, its token realm and
    the hosts it redirects to, since they all share this transport."""
    import os

    from resolver.registry.proxyenv import from_environ

    return HTTP11Transport(options.tls_context, from_environ(os.environ), options.preconnected)
