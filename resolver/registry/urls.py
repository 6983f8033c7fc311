"""URLs the registry client follows: ``Link`` pages, redirects, origins (pure, no httpx I/O)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx


def parse_link_next(header: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, if any."""
    for part in header.split(","):
        if "rel" not in part:
            continue
        target, _, params = part.partition(";")
        target = target.strip()
        if (
            target.startswith("<")
            and target.endswith(">")
            and 'rel="next"' in params.replace(" ", "").replace("rel=next", 'rel="next"')
        ):
            return target[1:-1]
    return None


def join(base: str, reference: str) -> str:
    """``reference`` (a Link target, a Location) resolved against ``base``;
    ``httpx.InvalidURL`` when either is not a URL."""
    try:
        joined = urljoin(base, reference)
        urlsplit(joined).port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise httpx.InvalidURL(f"invalid URL {reference[:80]!r}") from None
    return joined


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``; urllib's parser, cached, costs far less than
    ``httpx.URL`` on every request."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or ""), port or (443 if scheme == "https" else 80)
