"""A small CONNECT-capable HTTP forward proxy on 127.0.0.1, recording what it is asked.

For the proxy tests: chartlock and the real helm are pointed at it with ``HTTP_PROXY`` /
``HTTPS_PROXY`` and the proxy records every request it sees (``CONNECT`` targets, absolute-form
request lines, ``Proxy-Authorization``), so a test can compare where each tool went.

Go (helm) never proxies loopback addresses or ``localhost``, so the tests name the registry
by a host name that does not resolve (``registry.test``): ``hosts`` maps such names to
``127.0.0.1`` inside the proxy; the client never resolves them, since it goes through the
proxy. The proxy connects only to loopback addresses (names not in ``hosts`` get a ``502``),
so nothing leaves the machine. Plain-HTTP requests are relayed one by one on kept-alive
connections (each is recorded); with ``tls`` the proxy itself speaks TLS (an ``https://``
proxy). Threaded; stops on :meth:`stop` (or by itself after ``lifetime`` seconds, should a
test forget).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from pathlib import Path


class Seen:
    """One request the proxy received."""

    __slots__ = ("method", "target", "authorization")

    def __init__(self, method: str, target: str, authorization: str | None) -> None:
        self.method = method  # "CONNECT", or the forwarded method
        self.target = target  # "host:port" for CONNECT, the absolute URL otherwise
        self.authorization = authorization  # the Proxy-Authorization header, verbatim

    @property
    def host(self) -> str:
        """``host:port`` of the destination."""
        if self.method == "CONNECT":
            return self.target
        rest = self.target.split("://", 1)[1]
        hostport = rest.split("/", 1)[0]
        if ":" not in hostport.rsplit("]", 1)[-1]:
            hostport += ":443" if self.target.startswith("https") else ":80"
        return hostport

    def __repr__(self) -> str:
        return f"Seen({self.method} {self.target}, auth={'yes' if self.authorization else 'no'})"


class ForwardProxy:
    def __init__(
        self,
        hosts: dict[str, str] | None = None,
        *,
        credentials: tuple[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
        lifetime: float = 600.0,
    ) -> None:
        self.hosts = {k.lower(): v for k, v in (hosts or {}).items()}
        self.credentials = credentials  # require Proxy-Authorization: Basic user:password
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(128)
        self.port = int(self._server.getsockname()[1])
        self._stopped = threading.Event()
        self._lifetime = lifetime
        self._open: set[socket.socket] = set()
        self._tls: ssl.SSLContext | None = None
        if tls is not None:  # an https:// proxy: TLS with the client first
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> ForwardProxy:
        threading.Thread(target=self._accept, daemon=True, name="forward-proxy").start()
        deadline = time.monotonic() + self._lifetime
        threading.Thread(target=self._expire, args=(deadline,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._server.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.close()
            self._open.clear()

    def __enter__(self) -> ForwardProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def targets(self) -> set[str]:
        """The ``host:port`` destinations requested through the proxy."""
        with self._lock:
            return {item.host for item in self.seen}

    # -- internals -------------------------------------------------------------------------

    def _expire(self, deadline: float) -> None:
        while not self._stopped.wait(max(0.0, min(1.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                self.stop()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._track(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _resolve(self, host: str) -> str | None:
        host = host.strip("[]").lower()
        address = self.hosts.get(host, host)
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        return str(ip) if ip.is_loopback else None  # never anywhere but this machine

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self.credentials is None:
            return True
        user, password = self.credentials
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return headers.get("proxy-authorization") == expected

    def _serve(self, client: socket.socket) -> None:
        upstream: _Upstream | None = None
        try:
            if self._tls is not None:
                client = self._tls.wrap_socket(client, server_side=True)
                self._track(client)
            reader = _Reader(client)
            while True:  # one request after another on a kept-alive connection
                head = reader.head()
                if head is None:
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
                headers: list[tuple[str, str]] = []
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers.append((name.strip(), value.strip()))
                found = {name.lower(): value for name, value in headers}
                with self._lock:
                    self.seen.append(Seen(method, target, found.get("proxy-authorization")))
                if not self._authorized(found):
                    client.sendall(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                        b"Connection: close\r\n\r\n"
                    )
                    return
                if method == "CONNECT":
                    self._tunnel(client, target, reader.buffered())
                    return
                upstream = self._forward(client, reader, method, target, headers, upstream)
                if upstream is None:
                    return
        except (OSError, ValueError):
            pass
        finally:
            if upstream is not None:
                upstream.close()
            _close(client)
            with self._lock:
                self._open.discard(client)

    def _upstream(self, host: str, port: int) -> socket.socket | None:
        address = self._resolve(host)
        if address is None:
            return None
        try:
            sock = socket.create_connection((address, port), timeout=10)
        except OSError:
            return None
        sock.settimeout(None)
        self._track(sock)
        return sock

    def _tunnel(self, client: socket.socket, target: str, rest: bytes) -> None:
        host, _, port = target.rpartition(":")
        upstream = self._upstream(host, int(port)) if port.isdigit() else None
        if upstream is None:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _pipe(client, upstream)
        finally:
            _close(upstream)
            with self._lock:
                self._open.discard(upstream)

    def _forward(
        self,
        client: socket.socket,
        reader: _Reader,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        upstream: _Upstream | None,
    ) -> _Upstream | None:
        """Relay one absolute-form request and its response; returns the upstream connection
        to reuse for the next request on this client connection, or ``None`` to close."""
        if not target.startswith("http://"):
            client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return None
        hostport, _, path = target[len("http://") :].partition("/")
        if hostport.startswith("["):
            host, _, port = hostport[1:].partition("]")
            port = port[1:] or "80"
        else:
            host, _, port = hostport.partition(":")
            port = port or "80"
        if upstream is None or upstream.key != (host, port):
            if upstream is not None:
                upstream.close()
            sock = self._upstream(host, int(port)) if port.isdigit() else None
            if sock is None:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return None
            upstream = _Upstream((host, port), sock, self)
        out = [f"{method} /{path} HTTP/1.1"]
        close = False
        length = 0
        for name, value in headers:
            lower = name.lower()
            if lower in ("proxy-authorization", "proxy-connection"):
                continue
            if lower == "connection" and "close" in value.lower():
                close = True
            if lower == "content-length":
                length = int(value)
            out.append(f"{name}: {value}")
        upstream.sock.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        if length:
            upstream.sock.sendall(reader.exactly(length))
        keep = _relay_response(upstream.reader, client, head_only=method == "HEAD")
        if close or not keep:
            upstream.close()
            return None
        return upstream


class _Upstream:
    def __init__(self, key: tuple[str, str], sock: socket.socket, proxy: ForwardProxy) -> None:
        self.key = key
        self.sock = sock
        self.reader = _Reader(sock)
        self._proxy = proxy

    def close(self) -> None:
        _close(self.sock)
        with self._proxy._lock:
            self._proxy._open.discard(self.sock)


class _Reader:
    """Buffered reads from a socket: a header block, a line, an exact count, until close."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def head(self) -> bytes | None:
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536 or not self._fill():
                return None
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise OSError("closed")
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise OSError("closed")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def buffered(self) -> bytes:
        data, self.buf = self.buf, b""
        return data


def _relay_response(upstream: _Reader, client: socket.socket, *, head_only: bool) -> bool:
    """Copy one response from ``upstream`` to ``client``; whether the connection may carry
    another request."""
    head = upstream.head()
    if head is None:
        raise OSError("no response")
    client.sendall(head + b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip().lower()
    keep = "close" not in fields.get("connection", "")
    if head_only or status in (204, 304) or 100 <= status < 200:
        return keep
    if "chunked" in fields.get("transfer-encoding", ""):
        while True:
            size_line = upstream.line()
            client.sendall(size_line + b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the blank line
                    trailer = upstream.line()
                    client.sendall(trailer + b"\r\n")
                    if not trailer:
                        return keep
            client.sendall(upstream.exactly(size + 2))
    if "content-length" in fields:
        left = int(fields["content-length"])
        while left:
            data = upstream.exactly(min(left, 65536))
            client.sendall(data)
            left -= len(data)
        return keep
    client.sendall(upstream.buffered())
    while True:  # until the server closes
        chunk = upstream.sock.recv(65536)
        if not chunk:
            return False
        client.sendall(chunk)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Relay both ways until either side closes."""

    def one_way(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=one_way, args=(b, a), daemon=True)
    other.start()
    one_way(a, b)
    other.join(30)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
