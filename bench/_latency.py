"""A latency proxy for benchmarks: ``tests.support.proxy.Proxy`` (``delay`` seconds before
forwarding each request and again before answering) with a listen backlog of 128.

The test proxy uses ``socketserver``'s default backlog of 5, so a client opening 16
connections at once gets SYNs dropped and waits ~1 s for the kernel to retry: that measures the
proxy, not the client. Real registries accept many connections at once.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

from tests.support.proxy import Proxy


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


class LatencyProxy(Proxy):
    def __init__(self, upstream: str, *, delay: float) -> None:
        super().__init__(upstream, delay=delay)
        handler = self.httpd.RequestHandlerClass
        self.httpd.server_close()
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
