"""Open the registries' connections, and ask for the tag lists, while chartlock is starting.

An online command spends its first tenth of a second or more importing (httpx, asyncio, ssl);
a TCP handshake to a distant registry takes a round trip, and so does each request. Before
those imports, :func:`start` hands a background thread the connections the command will need:
it begins the handshakes (after a name lookup for host names) and, on plain-HTTP connections,
sends each tag-list ``GET`` that ``chartlock lock`` is certain to make as soon as its handshake
completes. The sockets belong to a :class:`Preconnect` (one per run), which the
client's options carry to :class:`resolver.registry.transport.HTTP11Transport`; it takes them
with :meth:`Preconnect.take`: a request identical to one already sent (same method, path and
host, no credentials, no conditional or range headers) just reads its response, which is
usually there by then. So the handshake and the first round of requests overlap the start-up instead
of following it.

The early requests are exactly the unauthenticated first requests the client would send a
moment later (a registry that wants credentials answers 401 and the client's auth flow takes
over as usual); nothing is sent early on these connections over TLS (only the TCP handshake is
done) and no credential ever is. Over TLS, :mod:`resolver.registry.earlyauth` learns each
registry's challenge (and an anonymous token) meanwhile, on a connection of its own. Best
effort: any failure here means the transport connects and sends as it otherwise would, and
reports errors then. Sockets nobody took are closed by :meth:`Preconnect.discard` (when the
transport closes).

This module knows nothing of charts: its caller (:func:`resolver.cli.online.preconnect`) reads
them and hands over the repositories (:class:`Wanted`) and which of them ``lock`` lists at once.

A registry that the environment sends through a proxy (``HTTPS_PROXY``/``HTTP_PROXY``, Go's
rules: :mod:`resolver.registry.proxyenv`) is left alone here: a direct connection to it may be
impossible or forbidden, and the transport tunnels through the proxy instead.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import threading
import time

from resolver.util.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from resolver.registry.earlyauth import Job, Probe
    from resolver.registry.proxyenv import ProxyConfig
    from resolver.registry.reference import Repository

# The headers httpx adds to a request of ours that carries none of its own: a request with
# only these may be answered by the response to an early request for the same path.
PLAIN_HEADERS = frozenset((b"host", b"accept", b"accept-encoding", b"connection", b"user-agent"))
_DEADLINE = 10.0  # seconds the background thread waits for handshakes

_CONNECTING, _READY, _SENT, _CLAIMED = range(4)


class _Warm:
    """One connection begun early; ``target`` is the path of its early GET, if any."""

    __slots__ = ("sock", "target", "request", "state")

    def __init__(self, sock: socket.socket, target: bytes | None, request: bytes | None) -> None:
        self.sock = sock
        self.target = target
        self.request = request
        self.state = _CONNECTING


def _is_ip(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return True
    return False


def _early_request(host_header: str, target: str) -> bytes:
    from resolver import __version__

    return (
        f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nAccept: */*\r\n"
        f"Accept-Encoding: identity\r\nConnection: keep-alive\r\n"
        f"User-Agent: chartlock/{__version__}\r\n\r\n"
    ).encode("ascii")


class Wanted(Record):
    """A repository the command will ask for; ``list_tags``: its tag list is certain to be
    asked for at once (``chartlock lock``, a version range)."""

    repository: Repository
    list_tags: bool = False


Targets = dict[tuple[str, int], list["str | None"]]


class Preconnect:
    """The connections begun early for one run (a state holder, not a record): started by
    :meth:`start`, taken by the transport with :meth:`take`, the rest closed by
    :meth:`discard`."""

    __slots__ = ("_lock", "_pending", "_stop", "probes")

    def __init__(self) -> None:
        # The early challenge probes of TLS registries, by netloc (resolver.registry.earlyauth).
        self.probes: dict[str, Probe] = {}
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], list[_Warm]] = {}
        self._stop = threading.Event()

    def start(
        self,
        targets: Mapping[tuple[str, int], Sequence[str | None]],
        *,
        host_headers: Mapping[tuple[str, int], str] | None = None,
    ) -> None:
        """Begin one connection per item of ``targets[(host, port)]``; an item that is a path
        (``/v2/.../tags/list``) gets that GET sent as soon as the connection is up, with
        ``host_headers[(host, port)]`` as its Host header; ``None`` is a bare connection."""
        jobs = [(key, list(paths)) for key, paths in targets.items() if paths]
        if not jobs:
            return
        self._stop.clear()
        threading.Thread(
            target=self._drive,
            args=(jobs, dict(host_headers or {})),
            daemon=True,
            name="chartlock-preconnect",
        ).start()

    def _drive(
        self,
        jobs: list[tuple[tuple[str, int], list[str | None]]],
        host_headers: dict[tuple[str, int], str],
    ) -> None:
        """The background thread: look up, connect, and send the early requests."""
        selector = selectors.DefaultSelector()
        try:
            for (host, port), paths in jobs:
                address = _address(host, port)
                if address is None:
                    continue
                family, sockaddr = address
                for path in paths:
                    sock = _connect(family, sockaddr)
                    if sock is None:
                        break
                    host_header = host_headers.get((host, port), f"{host}:{port}")
                    request = None if path is None else _early_request(host_header, path)
                    target = None if path is None else path.encode("ascii")
                    warm = _Warm(sock, target, request)
                    with self._lock:
                        self._pending.setdefault((host, port), []).append(warm)
                    selector.register(sock, selectors.EVENT_WRITE, warm)
            deadline = time.monotonic() + _DEADLINE
            while selector.get_map() and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                for key, _ in selector.select(min(left, 0.1)):
                    warm = key.data
                    selector.unregister(warm.sock)
                    self._connected(warm)
        except Exception:
            return
        finally:
            selector.close()

    def _connected(self, warm: _Warm) -> None:
        """The handshake finished (or failed): send the early request, unless already taken."""
        with self._lock:
            if warm.state != _CONNECTING:
                return  # the transport claimed it and sends its own request
            try:
                failed = warm.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if not failed and warm.request is not None:
                    failed = warm.sock.send(warm.request) != len(warm.request)
            except OSError:
                failed = True
            if failed:
                for warms in self._pending.values():
                    if warm in warms:
                        warms.remove(warm)
                warm.sock.close()
                return
            warm.state = _READY if warm.request is None else _SENT

    def take(
        self, host: str, port: int, method: str, target: bytes, headers: Sequence[bytes]
    ) -> tuple[socket.socket, bool] | None:
        """A connection to ``(host, port)`` begun by :meth:`start`, and whether the request
        (``method``, ``target``, lower-case header names ``headers``) was already sent on it.

        Never blocks. Prefers the connection whose early request is this one. A connection
        whose handshake is still under way comes back too: the caller waits for it to become
        writable.
        """
        same = method == "GET" and PLAIN_HEADERS.issuperset(headers)
        with self._lock:
            warms = self._pending.get((host, port))
            if not warms:
                return None
            if same:
                for warm in warms:
                    if warm.target == target and warm.state == _SENT:
                        warms.remove(warm)
                        return warm.sock, True
            # Else a connection with no request on it: a bare one, or one whose early request
            # was not sent yet (claiming it cancels that request).
            for state in (_READY, _CONNECTING):
                for warm in warms:
                    if warm.state == state:
                        warms.remove(warm)
                        warm.state = _CLAIMED
                        return warm.sock, False
        return None

    def discard(self) -> None:
        """Close every connection nobody took, and stop the background thread."""
        self._stop.set()
        with self._lock:
            for warms in self._pending.values():
                for warm in warms:
                    warm.state = _CLAIMED
                    warm.sock.close()
            self._pending.clear()


def start(
    targets: Mapping[tuple[str, int], Sequence[str | None]],
    *,
    host_headers: Mapping[tuple[str, int], str] | None = None,
) -> Preconnect:
    """A new :class:`Preconnect`, started (see :meth:`Preconnect.start`)."""
    session = Preconnect()
    session.start(targets, host_headers=host_headers)
    return session


def plan(
    wanted: Iterable[Wanted], *, plain_http: bool, proxies: ProxyConfig, per_host: int = 32
) -> tuple[Targets, dict[tuple[str, int], str]]:
    """The connections to begin for ``wanted`` (pure): one per repository asked for, at most
    ``per_host`` per registry, none to a registry the environment proxies; over plain HTTP,
    each repository whose ``list_tags`` is set gets its tag list asked for (once). Also the
    Host header of each registry. No request goes on these connections over TLS (the
    challenge is learnt on a connection of its own: :mod:`resolver.registry.earlyauth`)."""
    targets: Targets = {}
    host_headers: dict[tuple[str, int], str] = {}
    scheme = "http" if plain_http else "https"
    listed: set[str] = set()
    for item in wanted:
        repo = item.repository
        host, port = _split_host(repo.host, 80 if plain_http else 443)
        if not proxies.empty and _proxied(proxies, scheme, host, port):
            continue
        host_headers[(host, port)] = repo.host
        items = targets.setdefault((host, port), [])
        if len(items) >= per_host:
            continue
        path = f"/v2/{repo.path}/tags/list"
        if item.list_tags and plain_http and path not in listed:
            listed.add(path)
            items.append(path)
        else:
            items.append(None)
    return targets, host_headers


def start_for(
    wanted: Iterable[Wanted],
    *,
    plain_http: bool,
    per_host: int = 32,
    tls: Callable[[], ssl.SSLContext] | None = None,
    timeout: float = 30.0,
    anonymous: bool = True,
) -> Preconnect:
    """:func:`start` the connections :func:`plan` names, with this process's proxy settings;
    over TLS, given the run's ``tls`` context builder (its TLS flags) and ``timeout``, also
    the early challenge probes of :func:`probe_jobs` (asking for anonymous tokens only when
    ``anonymous``: no credential given on the command line). Never raises (best effort: the
    transport connects as usual)."""
    session = Preconnect()
    try:
        import os

        from resolver.registry.proxyenv import from_environ

        wanted = list(wanted)
        proxies = from_environ(os.environ)
        if not plain_http and tls is not None:
            from resolver.registry import earlyauth

            jobs = probe_jobs(wanted, proxies, tokens=anonymous)
            if jobs:
                session.probes = earlyauth.start(jobs, tls, _proxied_by(proxies), timeout)
        targets, host_headers = plan(
            wanted, plain_http=plain_http, proxies=proxies, per_host=per_host
        )
        session.start(targets, host_headers=host_headers)
    except Exception:
        pass
    return session


def probe_jobs(wanted: Iterable[Wanted], proxies: ProxyConfig, *, tokens: bool = True) -> list[Job]:
    """The TLS registries of ``wanted`` to probe early (pure): one job per registry, direct
    or through the ``http://`` proxy the environment names for it (not an ``https://`` one),
    with the pull scope of each of its repositories (none
    without ``tokens``: then only the challenge is learnt)."""
    from resolver.registry.earlyauth import Job
    from resolver.registry.proxyenv import ProxyError

    jobs: dict[str, Job] = {}
    for item in wanted:
        repo = item.repository
        host, port = _split_host(repo.host, 443)
        try:
            proxy = None if proxies.empty else proxies.proxy_for("https", host, port)
        except ProxyError:
            continue  # refused: the transport reports it
        if proxy is not None and proxy.scheme != "http":
            continue
        job = jobs.setdefault(repo.host, Job(repo.host, host, port, [], proxy))
        scope = f"repository:{repo.path}:pull"
        if tokens and scope not in job.scopes:
            job.scopes.append(scope)
    return list(jobs.values())


def _proxied_by(proxies: ProxyConfig) -> Callable[[str, str, int], bool]:
    def proxied(scheme: str, host: str, port: int) -> bool:
        return not proxies.empty and _proxied(proxies, scheme, host, port)

    return proxied


def _address(host: str, port: int) -> tuple[int, tuple[object, ...]] | None:
    """The address family and socket address of ``host`` (an IP as is, a name looked up)."""
    try:
        if _is_ip(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return family, ((host, port, 0, 0) if family == socket.AF_INET6 else (host, port))
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, _, _, sockaddr = infos[0]
        return family, tuple(sockaddr)
    except (OSError, IndexError):
        return None


def _connect(family: int, address: tuple[object, ...]) -> socket.socket | None:
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return None
    sock.setblocking(False)
    with contextlib.suppress(OSError):  # some platforms refuse it before connecting
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if sock.connect_ex(address) not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
        sock.close()
        return None
    return sock


def _proxied(proxies: ProxyConfig, scheme: str, host: str, port: int) -> bool:
    """Whether requests to this registry go through a proxy (or are refused: then the
    transport reports it, so nothing starts here either)."""
    from resolver.registry.proxyenv import ProxyError

    try:
        return proxies.proxy_for(scheme, host, port) is not None
    except ProxyError:
        return True


def _split_host(registry: str, default_port: int) -> tuple[str, int]:
    if registry.startswith("["):  # [::1]:5000
        host, _, rest = registry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = registry.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return registry, default_port
