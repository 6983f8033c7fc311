"""Connections through a forward proxy, as Go's ``net/http`` makes them (helm's client).

- ``http://`` target: a connection to the proxy; the transport then sends each request in
  absolute form (``GET http://registry:5000/v2/ HTTP/1.1``) with ``Proxy-Authorization``.
- ``https://`` target: ``CONNECT registry:443 HTTP/1.1`` to the proxy (with
  ``Proxy-Authorization``), a ``200`` answer, then TLS with the registry through the tunnel:
  the proxy sees the host and port, never the requests.
- An ``https://`` proxy is reached over TLS first (verified with the same settings as the
  registry, as Go does); an ``https://`` target through it is TLS inside TLS, which asyncio
  supports from Python 3.11.

Which proxy, if any, comes from :mod:`resolver.registry.proxyenv`.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys

import httpx

from resolver.errors import RegistryError
from resolver.registry.proxyenv import Proxy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_CONNECT_HEAD = 16 * 1024


def connect_request(host: str, port: int, authorization: str | None) -> bytes:
    """The ``CONNECT`` request for ``host:port`` (IPv6 in brackets)."""
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if authorization:
        lines.append(f"Proxy-Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def connect_status(head: bytes) -> tuple[int, str]:
    """Status code and reason of the proxy's answer to ``CONNECT`` (its header block)."""
    first = head.split(b"\r\n", 1)[0]
    parts = first.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        return 0, first[:80].decode("latin-1")
    reason = parts[2].decode("latin-1").strip() if len(parts) > 2 else ""
    return int(parts[1]), reason


async def open_via_proxy(
    proxy: Proxy,
    scheme: str,
    host: str,
    port: int,
    tls: Callable[[], ssl.SSLContext],
    request: httpx.Request,
    *,
    limit: int,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to ``scheme://host:port`` through ``proxy``, ready for HTTP/1.1 requests
    (absolute-form ones for an ``http`` target). Errors are ``httpx.ConnectError`` (retried
    by the client) for the proxy's network failures, and :class:`RegistryError` when the
    proxy answers ``CONNECT`` with a refusal (a definite answer: not retried)."""
    where = f"proxy {proxy}"
    if proxy.scheme == "https":
        try:
            reader, writer = await asyncio.open_connection(
                proxy.host, proxy.port, ssl=tls(), server_hostname=proxy.host, limit=limit
            )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"{where}: {_reason(exc)}", request=request) from None
        if scheme == "http":
            return reader, writer
        if sys.version_info < (3, 11):
            writer.close()
            raise RegistryError(
                f"{host}:{port}: an https:// proxy for an https:// registry needs Python 3.11 "
                "or later (TLS inside TLS); use an http:// proxy URL",
                registry=f"{host}:{port}",
            )
        head = b""
        try:
            writer.write(connect_request(host, port, proxy.authorization))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            writer.close()
            raise httpx.ConnectError(f"{where}: {_reason(exc)}", request=request) from None
        _check_connect(head, proxy, host, port, writer.close)
        try:
            await writer.start_tls(tls(), server_hostname=host)
        except (OSError, ssl.SSLError) as exc:
            writer.close()
            raise httpx.ConnectError(_reason(exc), request=request) from None
        return reader, writer
    if scheme == "http":
        try:
            return await asyncio.open_connection(proxy.host, proxy.port, limit=limit)
        except OSError as exc:
            raise httpx.ConnectError(f"{where}: {_reason(exc)}", request=request) from None
    # An https target through a plain proxy: CONNECT on a bare socket, then TLS over it with
    # asyncio's own streams (this works on every supported Python).
    sock = await _socket_to(proxy, request)
    try:
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_sendall(sock, connect_request(host, port, proxy.authorization))
            head = await _read_connect_head(loop, sock)
        except OSError as exc:
            raise httpx.ConnectError(f"{where}: {_reason(exc)}", request=request) from None
        _check_connect(head, proxy, host, port, sock.close)
        try:
            return await asyncio.open_connection(
                sock=sock, ssl=tls(), server_hostname=host, limit=limit
            )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(_reason(exc), request=request) from None
    except BaseException:
        sock.close()
        raise


async def _socket_to(proxy: Proxy, request: httpx.Request) -> socket.socket:
    loop = asyncio.get_running_loop()
    where = f"proxy {proxy}"
    try:
        infos = await loop.getaddrinfo(proxy.host, proxy.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpx.ConnectError(f"{where}: {_reason(exc)}", request=request) from None
    error: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise httpx.ConnectError(
        f"{where}: {_reason(error) if error else 'no address'}", request=request
    )


async def _read_connect_head(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    """The proxy's answer to CONNECT, up to the blank line. Nothing may follow it: TLS
    starts with the client, so the proxy has nothing to send before our ClientHello."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_CONNECT_HEAD:
            raise OSError("the answer to CONNECT is too long")
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            raise OSError("the proxy closed the connection during CONNECT")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if rest:
        raise OSError("the proxy sent data after its answer to CONNECT")
    return head + b"\r\n\r\n"


def _check_connect(
    head: bytes, proxy: Proxy, host: str, port: int, close: Callable[[], object]
) -> None:
    status, reason = connect_status(head)
    if status == 200:  # Go accepts exactly 200
        return
    close()
    raise proxy_refused(proxy, host, port, status, reason, tunnel=True)


def proxy_refused(
    proxy: Proxy, host: str, port: int, status: int, reason: str, *, tunnel: bool = False
) -> RegistryError:
    """The error for a proxy's refusal: of a tunnel (``CONNECT``), or a ``407`` to a plain-HTTP
    request (a registry never sends ``407``: it comes from the proxy)."""
    what = "the tunnel (CONNECT)" if tunnel else "the request"
    hint = ""
    if status == 407:
        variable = "HTTPS_PROXY" if tunnel else "HTTP_PROXY"
        hint = f"; check the credentials in the proxy URL ({variable})"
    return RegistryError(
        f"{host}:{port}: the proxy {proxy} refused {what}: "
        f"{status or 'malformed answer'} {reason}".rstrip()
        + hint,
        registry=f"{host}:{port}",
        status=status or None,
    )


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
