"""Registry mirrors: a registry host mapped to a mirror or pull-through cache.

The semantics are containerd's ``hosts.toml`` and podman's ``registries.conf``: a request for
``docker.io/library/nginx`` with ``docker.io`` mirrored to ``http://127.0.0.1:5000`` goes to
``http://127.0.0.1:5000/v2/library/nginx/...``; a mirror URL with a path (Artifactory's
``https://artifactory.example/docker-remote``) keeps it: ``.../docker-remote/v2/library/nginx``.
The URL's scheme decides http or https for that mirror, whatever ``--plain-http`` says.
Docker Hub is one registry under three names (``docker.io``, ``index.docker.io``,
``registry-1.docker.io``): a mirror for any of them serves all three.

Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from resolver.util.lazyre import LazyPattern

_DOCKER_HUB_NAMES = frozenset(("docker.io", "index.docker.io", "registry-1.docker.io"))
_HOST_RE = LazyPattern(  # compiled on first use: only a run with mirrors needs it
    globals(),
    "_HOST_RE",
    r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?|\[[0-9A-Fa-f:]+\](:[0-9]+)?",
)

Mirrors = tuple[tuple[str, str], ...]


def canonical_host(host: str) -> str:
    """``host`` lower-cased, with Docker Hub's aliases folded into ``docker.io``."""
    host = host.strip().lower()
    return "docker.io" if host in _DOCKER_HUB_NAMES else host


def check_mirror(host: str, url: str) -> tuple[str, str]:
    """``(canonical host, url without trailing slash)``; ``ValueError`` saying what is wrong."""
    if not _HOST_RE.fullmatch(host.strip()):
        raise ValueError(f"{host!r} is not a registry host (e.g. docker.io, ghcr.io)")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(f"{url!r} is not an http:// or https:// mirror URL")
    if "?" in rest or "#" in rest or "@" in rest.split("/", 1)[0]:
        raise ValueError(f"{url!r}: a mirror URL has no query, fragment or credentials")
    return canonical_host(host), f"{scheme.lower()}://{rest.rstrip('/')}"


def parse_mirror(text: str) -> tuple[str, str]:
    """``--mirror HOST=URL`` → ``(host, url)``; ``ValueError`` when malformed."""
    host, sep, url = text.partition("=")
    if not sep:
        raise ValueError(f"expected HOST=URL, got {text!r}")
    return check_mirror(host, url)


def normalize(pairs: Iterable[tuple[str, str]]) -> Mirrors:
    """Validated pairs, later ones winning for the same host (a flag overrides the config)."""
    table: dict[str, str] = {}
    for host, url in pairs:
        key, value = check_mirror(host, url)
        table[key] = value
    return tuple(sorted(table.items()))


def mirror_for(mirrors: Mirrors, registry: str) -> str | None:
    """The mirror URL serving ``registry``, or ``None``."""
    if not mirrors:
        return None
    wanted = canonical_host(registry)
    for host, url in mirrors:
        if host == wanted:
            return url
    return None


def repository_path(registry: str, path: str) -> str:
    """The path a registry serves ``path`` under: Docker Hub's official images live under
    ``library/`` (``nginx`` is ``library/nginx``), as every container runtime expands it."""
    if canonical_host(registry) == "docker.io" and "/" not in path:
        return f"library/{path}"
    return path


def base_url(mirrors: Mirrors, registry: str, path: str) -> str | None:
    """``<mirror>/v2/<path>`` for a mirrored registry, else ``None``."""
    url = mirror_for(mirrors, registry)
    if url is None:
        return None
    return f"{url}/v2/{repository_path(registry, path)}"
