"""Open the registries' connections, and ask for the tag lists, while chartlock is starting.

An online command spends its first tenth of a second or more importing (httpx, asyncio, ssl);
a TCP handshake to a distant registry takes a round trip, and so does each request. Before
those imports, :func:`start` hands a background thread the connections the command will need:
it begins the handshakes (after a name lookup for host names) and, on plain-HTTP connections,
sends each tag-list ``GET`` that ``chartlock lock`` is certain to make as soon as its handshake
completes. :class:`resolver.registry.transport.HTTP11Transport` takes the sockets with
:func:`take`: a request identical to one already sent (same method, path and host, no
credentials, no conditional or range headers) just reads its response, which is usually
there by then. So the handshake and the first round of requests overlap the start-up instead
of following it.

The early requests are exactly the unauthenticated first requests the client would send a
moment later (a registry that wants credentials answers 401 and the client's auth flow takes
over as usual); nothing is sent early over TLS (only the TCP handshake is done) and no
credential ever is. Best effort: any failure here means the transport connects and sends as it
otherwise would, and reports errors then. Sockets nobody took are closed by :func:`discard`.

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
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from resolver.registry.proxyenv import ProxyConfig

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


_lock = threading.Lock()
_pending: dict[tuple[str, int], list[_Warm]] = {}
_stop = threading.Event()


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


def start(
    targets: Mapping[tuple[str, int], Sequence[str | None]],
    *,
    host_headers: dict[tuple[str, int], str] | None = None,
) -> None:
    """Begin one connection per item of ``targets[(host, port)]``; an item that is a path
    (``/v2/.../tags/list``) gets that GET sent as soon as the connection is up, with
    ``host_headers[(host, port)]`` as its Host header; ``None`` is a bare connection."""
    jobs = [(key, list(paths)) for key, paths in targets.items() if paths]
    if not jobs:
        return
    _stop.clear()
    threading.Thread(
        target=_drive, args=(jobs, host_headers or {}), daemon=True, name="chartlock-preconnect"
    ).start()


def _drive(
    jobs: list[tuple[tuple[str, int], list[str | None]]],
    host_headers: dict[tuple[str, int], str],
) -> None:
    """The background thread: look up, connect, and send the early requests."""
    selector = selectors.DefaultSelector()
    try:
        for (host, port), paths in jobs:
            try:
                if _is_ip(host):
                    family = socket.AF_INET6 if ":" in host else socket.AF_INET
                    address: tuple[object, ...] = (
                        (host, port, 0, 0) if family == socket.AF_INET6 else (host, port)
                    )
                else:
                    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                    family, _, _, _, address = infos[0]
            except (OSError, IndexError):
                continue
            for path in paths:
                sock = _connect(family, address)
                if sock is None:
                    break
                host_header = host_headers.get((host, port), f"{host}:{port}")
                request = None if path is None else _early_request(host_header, path)
                target = None if path is None else path.encode("ascii")
                warm = _Warm(sock, target, request)
                with _lock:
                    _pending.setdefault((host, port), []).append(warm)
                selector.register(sock, selectors.EVENT_WRITE, warm)
        deadline = time.monotonic() + _DEADLINE
        while selector.get_map() and not _stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in selector.select(min(left, 0.1)):
                warm = key.data
                selector.unregister(warm.sock)
                _connected(warm)
    except Exception:
        return
    finally:
        selector.close()


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


def _connected(warm: _Warm) -> None:
    """The handshake finished (or failed): send the early request, unless already taken."""
    with _lock:
        if warm.state != _CONNECTING:
            return  # the transport claimed it and sends its own request
        try:
            failed = warm.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if not failed and warm.request is not None:
                failed = warm.sock.send(warm.request) != len(warm.request)
        except OSError:
            failed = True
        if failed:
            for warms in _pending.values():
                if warm in warms:
                    warms.remove(warm)
            warm.sock.close()
            return
        warm.state = _READY if warm.request is None else _SENT


def take(
    host: str, port: int, method: str, target: bytes, headers: Sequence[bytes]
) -> tuple[socket.socket, bool] | None:
    """A connection to ``(host, port)`` begun by :func:`start`, and whether the request
    (``method``, ``target``, lower-case header names ``headers``) was already sent on it.

    Never blocks. Prefers the connection whose early request is this one. A connection whose
    handshake is still under way comes back too: the caller waits for it to become writable.
    """
    same = method == "GET" and PLAIN_HEADERS.issuperset(headers)
    with _lock:
        warms = _pending.get((host, port))
        if not warms:
            return None
        if same:
            for warm in warms:
                if warm.target == target and warm.state == _SENT:
                    warms.remove(warm)
                    return warm.sock, True
        # Else a connection with no request on it: a bare one, or one whose early request was
        # not sent yet (claiming it cancels that request).
        for state in (_READY, _CONNECTING):
            for warm in warms:
                if warm.state == state:
                    warms.remove(warm)
                    warm.state = _CLAIMED
                    return warm.sock, False
    return None


def discard() -> None:
    """Close every connection nobody took, and stop the background thread."""
    _stop.set()
    with _lock:
        for warms in _pending.values():
            for warm in warms:
                warm.state = _CLAIMED
                warm.sock.close()
        _pending.clear()


def start_for_charts(
    chart_dirs: list[Path], *, plain_http: bool, early_lists: bool, per_host: int = 32
) -> None:
    """:func:`start` one connection per OCI dependency of the charts (at most ``per_host`` per
    registry). With ``early_lists`` (``chartlock lock``) and plain HTTP, the connection of a
    dependency whose version is a range asks for its repository's tags at once (each
    repository once). Never raises: a chart that does not load is reported later, by the
    command."""
    targets: dict[tuple[str, int], list[str | None]] = {}
    host_headers: dict[tuple[str, int], str] = {}
    try:
        import os

        from resolver.chart.loader import load_chart
        from resolver.registry.proxyenv import from_environ
        from resolver.registry.reference import oci_chart_repository

        proxies = from_environ(os.environ)
        scheme = "http" if plain_http else "https"

        listed: set[str] = set()
        for chart_dir in chart_dirs:
            chart = load_chart(chart_dir / "Chart.yaml")
            for dep in chart.dependencies or ():
                if not dep.repository.startswith("oci://"):
                    continue
                try:
                    repo = oci_chart_repository(dep.repository, dep.name)
                except Exception:
                    continue
                host, port = _split_host(repo.host, 80 if plain_http else 443)
                if not proxies.empty and _proxied(proxies, scheme, host, port):
                    continue
                host_headers[(host, port)] = repo.host
                items = targets.setdefault((host, port), [])
                if len(items) >= per_host:
                    continue
                path = f"/v2/{repo.path}/tags/list"
                if early_lists and plain_http and _is_range(dep.version) and path not in listed:
                    listed.add(path)
                    items.append(path)
                else:
                    items.append(None)
        start(targets, host_headers=host_headers)
    except Exception:
        return


def _proxied(proxies: ProxyConfig, scheme: str, host: str, port: int) -> bool:
    """Whether requests to this registry go through a proxy (or are refused: then the
    transport reports it, so nothing starts here either)."""
    from resolver.registry.proxyenv import ProxyError

    try:
        return proxies.proxy_for(scheme, host, port) is not None
    except ProxyError:
        return True


def _is_range(version: str) -> bool:
    """Whether ``lock`` lists the tags for this version (Helm's exact-version short cut)."""
    from resolver.chart.models import Dependency
    from resolver.resolution.pick import exact_oci_version

    return not exact_oci_version(Dependency(version=version))


def _split_host(registry: str, default_port: int) -> tuple[str, int]:
    if registry.startswith("["):  # [::1]:5000
        host, _, rest = registry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = registry.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return registry, default_port
