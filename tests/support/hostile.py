"""A hostile HTTP/1.1 server on 127.0.0.1, for tests: each response is written byte by byte by
the test, lazily, so it can be endless, huge, slow or malformed without the test holding it.

``HostileServer(respond)`` calls ``respond(request)`` for every request; it returns an iterable
of raw bytes (status line, headers, body) written as it is produced, after which the connection
is closed. Writing stops when the client hangs up, when the server is stopped, or at its
``lifetime`` (the server stops itself then, whatever the test does). Every request is recorded
(method, target, lower-case headers) for the test to inspect.
"""

from __future__ import annotations

import io
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

CHUNK = 64 * 1024


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Respond = Callable[[Request], Iterable[bytes]]


def head(status: int, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def whole(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> list[bytes]:
    """A complete response with ``Content-Length``."""
    return [head(status, {**(headers or {}), "Content-Length": str(len(body))}), body]


def chunked(
    status: int, parts: Iterable[bytes], headers: dict[str, str] | None = None
) -> Iterator[bytes]:
    """A chunked response whose body is ``parts`` (lazily; endless if ``parts`` is)."""
    yield head(status, {**(headers or {}), "Transfer-Encoding": "chunked"})
    for part in parts:
        if part:
            yield b"%x\r\n%s\r\n" % (len(part), part)
    yield b"0\r\n\r\n"


def repeat(prefix: bytes, unit: bytes, total: int | None, suffix: bytes = b"") -> Iterator[bytes]:
    """``prefix``, then ``unit`` repeated in 64 KiB pieces up to ``total`` bytes in all (forever
    when ``None``), then ``suffix``."""
    yield prefix
    piece = unit * max(1, CHUNK // len(unit))
    sent = len(prefix)
    while total is None or sent < total - len(suffix):
        if total is not None:
            piece = piece[: total - len(suffix) - sent]
        yield piece
        sent += len(piece)
    yield suffix


class HostileServer:
    def __init__(self, respond: Respond | None = None, *, lifetime: float = 120.0) -> None:
        self.respond: Respond = respond or (lambda request: whole(404))
        self.requests: list[Request] = []
        self.stopped = threading.Event()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._serve(self.connection, self.rfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client hanging up mid-response is what these tests do

        self.tcp = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)
        self.timer = threading.Timer(lifetime, self.stop)
        self.timer.daemon = True

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.tcp.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.timer.cancel()
        self.tcp.shutdown()
        self.tcp.server_close()

    def paths(self, method: str = "") -> list[str]:
        return [r.path for r in self.requests if not method or r.method == method]

    def _serve(self, conn: socket.socket, reader: io.BufferedIOBase) -> None:
        try:
            line = reader.readline(65537)
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while True:
                raw = reader.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body = reader.read(length) if length else b""
            request = Request(method, target, headers, body)
            self.requests.append(request)
            for data in self.respond(request):
                if self.stopped.is_set():
                    return
                conn.sendall(data)
        except (OSError, ValueError):
            return  # the client hung up (or sent nonsense): stop writing


def slowly(data: bytes, interval: float, stopped: threading.Event) -> Iterator[bytes]:
    """``data`` one byte per ``interval`` seconds."""
    for i in range(len(data)):
        if stopped.wait(interval):
            return
        yield data[i : i + 1]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
