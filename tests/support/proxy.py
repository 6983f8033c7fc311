"""A small threaded HTTP proxy in front of the real registry, for tests and benchmarks.

It can page tag lists itself (distribution 2.8 ignores ``n``), add latency, count requests per
path, and inject faults through a hook that may answer a request itself
(``hook(method, path, headers) -> (status, headers, body) | None``) or rewrite a response body
(``rewrite(method, path, body) -> body``). Two special statuses: ``RESET`` closes the connection
with a TCP reset and no response, ``TRUNCATE`` announces a longer body than it sends.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+

RESET = -1
TRUNCATE = -2

Hook = Callable[[str, str, dict[str, str]], "tuple[int, dict[str, str], bytes] | None"]
Rewrite = Callable[[str, str, bytes], bytes]


class Proxy:
    def __init__(
        self,
        upstream: str,
        *,
        page_size: int = 0,
        delay: float = 0.0,
        hook: Hook | None = None,
        rewrite: Rewrite | None = None,
    ) -> None:
        self.upstream = upstream  # host:port
        self.page_size = page_size
        self.delay = delay
        self.hook = hook
        self.rewrite = rewrite
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy.forward(self, "GET")

            def do_HEAD(self) -> None:
                proxy.forward(self, "HEAD")

            def do_POST(self) -> None:
                proxy.forward(self, "POST")

            def do_PUT(self) -> None:
                proxy.forward(self, "PUT")

            def do_PATCH(self) -> None:
                proxy.forward(self, "PATCH")

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default of 5 drops concurrent connects

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up (interrupted runs) are expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def forward(self, req: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(req.path)
        with self._lock:
            self.counts[parts.path] += 1
            self.log.append((method, req.path))
        if self.delay:
            time.sleep(self.delay)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "connection")}
        if self.hook is not None:
            canned = self.hook(method, req.path, headers)
            if canned is not None:
                self._reply(req, method, *canned)
                return
        path = req.path
        paging = self.page_size and parts.path.endswith("/tags/list") and method == "GET"
        if paging:
            path = parts.path  # fetch the whole list, serve it page by page
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out_headers = {
                k: v
                for k, v in resp.getheaders()
                if k.lower() not in ("transfer-encoding", "connection", "content-length")
            }
            if paging and resp.status == 200:
                data, link = self._page(parts.path, parts.query, data)
                if link:
                    out_headers["Link"] = link
            if self.rewrite is not None and method == "GET":
                data = self.rewrite(method, req.path, data)
            if self.delay:
                time.sleep(self.delay)
            self._reply(req, method, resp.status, out_headers, data)
        finally:
            conn.close()

    def _page(self, path: str, query: str, data: bytes) -> tuple[bytes, str]:
        """Serve one page (``n``/``last`` as in the distribution spec), with a relative Link."""
        import json

        doc = json.loads(data)
        tags = list(doc.get("tags") or [])
        params = dict(parse_qsl(query))
        size = int(params.get("n") or self.page_size)
        start = tags.index(params["last"]) + 1 if params.get("last") in tags else 0
        page = tags[start : start + size]
        doc["tags"] = page
        link = ""
        if start + size < len(tags):
            nxt = urlencode({"n": size, "last": page[-1]})
            link = f'<{path.rsplit("/", 1)[-1]}?{nxt}>; rel="next"'
        return json.dumps(doc).encode(), link

    @staticmethod
    def _reply(
        req: BaseHTTPRequestHandler, method: str, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        if status == RESET:
            import socket
            import struct

            req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            req.connection.close()
            req.close_connection = True
            return
        if status == TRUNCATE:
            req.send_response(200)
            for key, value in headers.items():
                req.send_header(key, value)
            req.send_header("Content-Length", str(len(body) * 4 + 100))
            req.end_headers()
            req.wfile.write(body)
            req.wfile.flush()
            req.close_connection = True
            return
        req.send_response(status)
        for key, value in headers.items():
            if key.lower() != "content-length":
                req.send_header(key, value)
        if method == "HEAD" and "Content-Length" in headers:
            req.send_header("Content-Length", headers["Content-Length"])
        else:
            req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if method != "HEAD":
            req.wfile.write(body)
