"""Learn a TLS registry's challenge, and get its anonymous token, while chartlock is starting.

Over TLS, the first round trips of a run against a registry with Bearer tokens (ghcr.io, Docker
Hub, distribution with ``auth: token``) are: TLS handshake, a request answered 401 with the
realm, a connection to the realm, the token; only then the tag lists and manifests. Each of
those waits for the one before it, and none could start before the client existed.

Here a background thread, started by :mod:`resolver.registry.preconnect` before the heavy
imports, does them during the start-up instead: one TLS connection per registry (verified with
the run's own TLS settings), one unauthenticated ``GET /v2/`` (the API version check every
registry answers; no credential, no chart name beyond the host), and, when the answer is a 401
with a Bearer challenge whose realm the environment does not proxy, **one** anonymous token
request for every repository scope the run will use on that host (several ``scope=``
parameters, which distribution's token specification allows). The client
(:meth:`resolver.registry.client.RegistryClient`) waits for the probe of a host before its
first request there and hands the result to :meth:`resolver.registry.auth.RegistryAuth.adopt`,
which keeps the anonymous tokens only when no credential exists for the host.

Nothing here ever sends a credential. Best effort: any failure (refused, TLS error, a token
server that refuses several scopes, a malformed answer) just leaves the client to its usual
401 dance, and a token the registry refuses for one scope is asked again for that scope only.
Import-light: no httpx (the start-up imports it in the main thread meanwhile).
"""

from __future__ import annotations

import json
import socket
import threading
from urllib.parse import urlencode, urlsplit

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Sequence

    from resolver.registry.proxyenv import Proxy

# Token answers are small (resolver.registry.bounds.MAX_TOKEN_BYTES caps the client's): a
# larger one, or one that never ends, is given up.
MAX_ANSWER_BYTES = 64 * 1024
# At most this many scopes in one token request (the query string must stay a sane length);
# the others get their tokens as usual, one per scope.
MAX_SCOPES = 64


class Probe:
    """What the probe of one registry learnt (a state holder): ``challenge``, the
    ``WWW-Authenticate`` header of its 401 (``""``: none), and ``tokens`` per scope; ``done``
    is set when the thread is finished with it, successfully or not."""

    __slots__ = ("done", "challenge", "tokens", "repositories")

    def __init__(self, repositories: int = 0) -> None:
        # How many repositories the run will ask for there (connections worth opening early).
        self.repositories = repositories
        self.done = threading.Event()
        self.challenge = ""
        self.tokens: dict[str, str] = {}

    async def wait(self, timeout: float) -> bool:
        """Wait (asynchronously, at most ``timeout`` seconds) for the probe; whether it is
        done. Polled: the probe runs in a thread that knows nothing of the event loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout
        while not self.done.is_set() and loop.time() < give_up:
            await asyncio.sleep(0.002)
        return self.done.is_set()


class Job:
    """One registry to probe: ``netloc`` as the client names it (``host[:port]``, also the
    Host header), where to connect, and the scopes the run will ask for there."""

    __slots__ = ("netloc", "host", "port", "scopes", "proxy")

    def __init__(
        self,
        netloc: str,
        host: str,
        port: int,
        scopes: Sequence[str],
        proxy: Proxy | None = None,
    ) -> None:
        self.netloc = netloc
        self.host = host
        self.port = port
        self.scopes = list(scopes)
        # The http:// proxy the environment names for the registry: the probe tunnels
        # through it (CONNECT), as the transport does (resolver.registry.tunnel).
        self.proxy = proxy


def start(
    jobs: Sequence[Job],
    tls: Callable[[], ssl.SSLContext],
    proxied: Callable[[str, str, int], bool],
    timeout: float,
) -> dict[str, Probe]:
    """Probe each of ``jobs`` in a background thread of its own; the probes by netloc.
    ``tls`` builds the run's client TLS context; ``proxied(scheme, host, port)`` says whether
    the environment sends a request there through a proxy (then no token is asked early);
    ``timeout`` bounds each connect and each read."""
    probes: dict[str, Probe] = {}
    context: list[ssl.SSLContext] = []
    lock = threading.Lock()

    def shared_tls() -> ssl.SSLContext:
        with lock:  # one context for every thread (loading a CA store costs milliseconds)
            if not context:
                context.append(tls())
            return context[0]

    for job in jobs:
        probe = probes[job.netloc] = Probe(len(job.scopes))
        threading.Thread(
            target=_run,
            args=(job, probe, shared_tls, proxied, timeout),
            daemon=True,
            name="chartlock-earlyauth",
        ).start()
    return probes


def _run(
    job: Job,
    probe: Probe,
    tls: Callable[[], ssl.SSLContext],
    proxied: Callable[[str, str, int], bool],
    timeout: float,
) -> None:
    try:
        status, headers, _ = exchange(
            "https", job.host, job.port, job.netloc, "/v2/", tls, timeout, proxy=job.proxy
        )
        if status != 401:
            return
        probe.challenge = ", ".join(v for k, v in headers if k == "www-authenticate")
        probe.tokens = anonymous_tokens(probe.challenge, job.scopes, tls, proxied, timeout)
    except Exception:  # best effort: the client does it all again the usual way
        return
    finally:
        probe.done.set()


def anonymous_tokens(
    header: str,
    scopes: Sequence[str],
    tls: Callable[[], ssl.SSLContext],
    proxied: Callable[[str, str, int], bool],
    timeout: float,
) -> dict[str, str]:
    """One anonymous token for all ``scopes`` (at most :data:`MAX_SCOPES`) from the realm of
    the Bearer challenge in ``header``, by scope; ``{}`` when there is no such challenge, the
    realm is proxied or not http(s), or the token server does not answer with a token."""
    from resolver.registry.challenges import parse_challenges, preferred

    challenge = preferred(parse_challenges(header))
    if challenge is None or challenge.scheme != "bearer" or not scopes:
        return {}
    realm = urlsplit(challenge.params.get("realm", ""))
    if realm.scheme not in ("http", "https") or not realm.hostname:
        return {}
    port = realm.port or (443 if realm.scheme == "https" else 80)
    if proxied(realm.scheme, realm.hostname, port):
        return {}
    wanted = list(dict.fromkeys(scopes))[:MAX_SCOPES]
    query = [("service", challenge.params.get("service", ""))] + [("scope", s) for s in wanted]
    given = realm.query + "&" if realm.query else ""
    target = (realm.path or "/") + "?" + given + urlencode(query)
    try:
        status, _, body = exchange(
            realm.scheme, realm.hostname, port, realm.netloc, target, tls, timeout
        )
    except (OSError, ValueError):  # refused, TLS, too large, not HTTP
        return {}
    if status != 200:
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        return {}
    return {scope: token for scope in wanted}


def exchange(
    scheme: str,
    host: str,
    port: int,
    netloc: str,
    target: str,
    tls: Callable[[], ssl.SSLContext],
    timeout: float,
    *,
    proxy: Proxy | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One ``GET`` on a connection of its own (closed after), tunnelled through the http://
    ``proxy`` if given (``https`` only): status, headers (lower-case names) and body (at
    most :data:`MAX_ANSWER_BYTES`, else ``ValueError``)."""
    from resolver import __version__

    if proxy is not None and (proxy.scheme != "http" or scheme != "https"):
        raise ValueError("only https through an http:// proxy")
    where = (proxy.host, proxy.port) if proxy is not None else (host, port)
    sock = socket.create_connection(where, timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if proxy is not None:
            _tunnel(sock, host, port, proxy)
        if scheme == "https":
            sock = tls().wrap_socket(sock, server_hostname=host)
        sock.sendall(
            (
                f"GET {target} HTTP/1.1\r\nHost: {netloc}\r\nAccept: application/json\r\n"
                f"Accept-Encoding: identity\r\nConnection: close\r\n"
                f"User-Agent: chartlock/{__version__}\r\n\r\n"
            ).encode("ascii")
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(16384)
            if not chunk:
                raise ValueError("no complete answer")
            data += chunk
            if len(data) > MAX_ANSWER_BYTES:
                raise ValueError("answer too large")
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ValueError("not HTTP/1.x")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name.strip().lower(), value.strip()))
        fields = dict(headers)
        if "chunked" in fields.get("transfer-encoding", "").lower():
            raise ValueError("chunked answer")  # token servers send lengths; not worth a parser
        length = fields.get("content-length")
        want = int(length) if length is not None and length.isdigit() else MAX_ANSWER_BYTES + 1
        if want > MAX_ANSWER_BYTES and length is not None:
            raise ValueError("answer too large")
        while len(body) < want:
            chunk = sock.recv(16384)
            if not chunk:
                if length is not None:
                    raise ValueError("answer cut short")
                break
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise ValueError("answer too large")
        return int(parts[1]), headers, body[:want]
    finally:
        sock.close()


def _tunnel(sock: socket.socket, host: str, port: int, proxy: Proxy) -> None:
    """``CONNECT host:port`` through ``proxy`` on ``sock``; ``ValueError`` unless it answers
    200 (and nothing more: the TLS handshake comes next)."""
    from resolver.registry.tunnel import MAX_CONNECT_HEAD, connect_request, connect_status

    sock.sendall(connect_request(host, port, proxy.authorization))
    head = b""
    while b"\r\n\r\n" not in head:
        # One byte at a time past the first chunk would be slow; the proxy sends its head and
        # waits for the client's TLS hello, so reading what is there is exact.
        chunk = sock.recv(MAX_CONNECT_HEAD)
        if not chunk:
            raise ValueError("the proxy closed the connection")
        head += chunk
        if len(head) > MAX_CONNECT_HEAD:
            raise ValueError("the proxy's answer is too large")
    status, _ = connect_status(head)
    if status != 200 or not head.endswith(b"\r\n\r\n"):
        raise ValueError(f"the proxy answered {status}")
