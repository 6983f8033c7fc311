"""Open the registries' TCP connections while chartlock is still starting.

An online command spends its first tenth of a second importing (httpx, asyncio, ssl); a TCP
handshake to a distant registry takes a round trip. :func:`start` begins the handshakes
before those imports (non-blocking ``connect``, names resolved on a background thread), and
:class:`resolver.registry.transport.HTTP11Transport` takes the sockets with :func:`take` for
its first requests, so the handshake costs no time on the critical path. Best effort: any
failure here only means the transport connects as it otherwise would (and reports errors then).
Sockets nobody took are closed by :func:`discard` (the transport calls it when it closes).
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
from pathlib import Path

_lock = threading.Lock()
_pending: dict[tuple[str, int], list[socket.socket]] = {}
_resolving: dict[tuple[str, int], threading.Event] = {}


def _is_ip(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return True
    return False


def _open(family: int, address: tuple[object, ...], count: int) -> list[socket.socket]:
    out = []
    for _ in range(count):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            break
        sock.setblocking(False)
        with contextlib.suppress(OSError):  # some platforms refuse it before connecting
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex(address)
        if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            sock.close()
            break
        out.append(sock)
    return out


def _resolve_and_open(key: tuple[str, int], count: int, event: threading.Event) -> None:
    try:
        infos = socket.getaddrinfo(key[0], key[1], type=socket.SOCK_STREAM)
        if infos:
            family, _, _, _, address = infos[0]
            socks = _open(family, address, count)
            with _lock:
                _pending.setdefault(key, []).extend(socks)
    except OSError:
        pass
    finally:
        event.set()


def start(targets: dict[tuple[str, int], int]) -> None:
    """Begin ``count`` connections to each ``(host, port)``: now for IP addresses, on a
    background thread (after a name lookup) for host names."""
    for (host, port), count in targets.items():
        if count <= 0:
            continue
        key = (host, port)
        if _is_ip(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            address: tuple[object, ...] = (host, port, 0, 0) if ":" in host else (host, port)
            socks = _open(family, address, count)
            with _lock:
                _pending.setdefault(key, []).extend(socks)
            continue
        event = threading.Event()
        with _lock:
            _resolving[key] = event
        threading.Thread(
            target=_resolve_and_open, args=(key, count, event), daemon=True, name="preconnect"
        ).start()


def take(host: str, port: int) -> socket.socket | None:
    """A socket whose connection to ``(host, port)`` was begun by :func:`start`, if any.

    Never blocks: its handshake may still be under way (the caller waits for the socket to
    become writable and reads ``SO_ERROR``), and a name lookup still under way gives None.
    """
    with _lock:
        socks = _pending.get((host, port))
        return socks.pop() if socks else None


def start_for_charts(chart_dirs: list[Path], *, plain_http: bool, per_host: int = 32) -> None:
    """:func:`start` one connection per OCI dependency of the charts (at most ``per_host`` per
    registry). Never raises: a chart that does not load is reported later, by the command."""
    targets: dict[tuple[str, int], int] = {}
    try:
        from resolver.loader import load_chart
        from resolver.registry.reference import DOCKER_HUB, DOCKER_HUB_HOST

        for chart_dir in chart_dirs:
            chart = load_chart(chart_dir / "Chart.yaml")
            for dep in chart.dependencies or ():
                if not dep.repository.startswith("oci://"):
                    continue
                registry = dep.repository[len("oci://") :].split("/", 1)[0]
                host, port = _split_host(registry, 80 if plain_http else 443)
                if host == DOCKER_HUB:
                    host = DOCKER_HUB_HOST
                key = (host, port)
                targets[key] = min(targets.get(key, 0) + 1, per_host)
        start(targets)
    except Exception:
        return


def _split_host(registry: str, default_port: int) -> tuple[str, int]:
    if registry.startswith("["):  # [::1]:5000
        host, _, rest = registry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = registry.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return registry, default_port


def discard() -> None:
    """Close every socket nobody took."""
    with _lock:
        for socks in _pending.values():
            for sock in socks:
                sock.close()
        _pending.clear()
        _resolving.clear()
