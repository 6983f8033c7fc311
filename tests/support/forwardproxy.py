"""A small CONNECT-capable HTTP forward proxy on 127.0.0.1, recording what it is asked.

For the proxy tests: chartlock and the real helm are pointed at it with ``HTTP_PROXY`` /
``HTTPS_PROXY`` and the proxy records every request it sees (``CONNECT`` targets, absolute-form
request lines, ``Proxy-Authorization``), so a test can compare where each tool went.

Go (helm) never proxies loopback addresses or ``localhost``, so the tests name the registry
by a host name that does not resolve (``registry.test``): ``hosts`` maps such names to
``127.0.0.1`` inside the proxy; the client never resolves them, since it goes through the
proxy. The proxy connects only to loopback addresses (names not in ``hosts`` get a ``502``),
so nothing leaves the machine. Threaded; stops on :meth:`stop` (or by itself after
``lifetime`` seconds, should a test forget).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import socket
import threading
import time


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = ([*lines[0].split(" ", 2), "", ""])[:3]
            headers: dict[str, str] = {}
            raw_headers: list[tuple[str, str]] = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
                raw_headers.append((name.strip(), value.strip()))
            with self._lock:
                self.seen.append(Seen(method, target, headers.get("proxy-authorization")))
            if not self._authorized(headers):
                client.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                    b"Connection: close\r\n\r\n"
                )
                return
            if method == "CONNECT":
                self._tunnel(client, target, rest)
            else:
                self._forward(client, method, target, raw_headers, headers, rest)
        except OSError:
            pass
        finally:
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
        method: str,
        target: str,
        raw_headers: list[tuple[str, str]],
        headers: dict[str, str],
        rest: bytes,
    ) -> None:
        if not target.startswith("http://"):
            client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        after = target[len("http://") :]
        hostport, _, path = after.partition("/")
        if hostport.startswith("["):
            host, _, port = hostport[1:].partition("]")
            port = port[1:] or "80"
        else:
            host, _, port = hostport.partition(":")
            port = port or "80"
        upstream = self._upstream(host, int(port)) if port.isdigit() else None
        if upstream is None:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            out = [f"{method} /{path} HTTP/1.1"]
            for name, value in raw_headers:
                if name.lower() in ("proxy-authorization", "proxy-connection", "connection"):
                    continue
                out.append(f"{name}: {value}")
            # One request per connection keeps the relay simple: the registry closes after
            # its answer (and says so), and the client opens a new connection next time.
            out.append("Connection: close")
            upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
            length = int(headers.get("content-length", "0") or 0)
            body = rest
            while len(body) < length:
                chunk = client.recv(65536)
                if not chunk:
                    break
                body += chunk
            if body:
                upstream.sendall(body)
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                client.sendall(chunk)
        finally:
            _close(upstream)
            with self._lock:
                self._open.discard(upstream)


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > 65536:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


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
