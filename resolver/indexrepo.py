"""https chart repositories: fetch each referenced ``index.yaml`` once, concurrently.

Credentials and TLS settings come from the repository's repositories.yaml entry, as in Helm
(the OCI flags do not apply to index repositories).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import httpx

from resolver import __version__
from resolver.errors import RegistryError
from resolver.registry.bounds import bounded_get, cap_response
from resolver.repoconfig import RepoEntry
from resolver.resolve import IndexEntry

MAX_INDEX_BYTES = 256 * 1024 * 1024
# libyaml's composer recurses in C: an index nested ~100,000 levels deep (200 KB of "[")
# crashes the interpreter (a segfault, not an exception). Real indexes nest about 5 levels.
MAX_INDEX_DEPTH = 1000
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# Anchored on a literal newline rather than ``^`` with MULTILINE: the regex engine then skips
# from newline to newline (3x faster on a 20 MB index).
_BLOCK_NESTING = re.compile(rb"\n[ \t]*(?:[-?][ \t]+){%d}" % MAX_INDEX_DEPTH)
_DEEP_INDENT = re.compile(rb"\n {%d}" % MAX_INDEX_DEPTH)


def too_deep(data: bytes) -> bool:
    """Whether YAML ``data`` may nest deeper than :data:`MAX_INDEX_DEPTH` (a cheap,
    conservative scan: flow brackets, block ``-``/``?`` indicators on one line, indentation)."""
    if data.count(b"[") + data.count(b"{") >= MAX_INDEX_DEPTH:
        brackets = data.translate(None, _NOT_BRACKETS)
        for _ in range(8):  # drop innermost pairs at C speed: real indexes are left with ~nothing
            brackets = brackets.replace(b"[]", b"").replace(b"{}", b"")
        depth = 0
        for byte in brackets:
            if byte in b"[{":
                depth += 1
                if depth >= MAX_INDEX_DEPTH:
                    return True
            elif depth:
                depth -= 1
    lines = b"\n" + data
    return bool(_BLOCK_NESTING.search(lines) or _DEEP_INDENT.search(lines))


def index_url(repo_url: str) -> str:
    return repo_url.rstrip("/") + "/index.yaml"


def _entry_for(url: str, repos: Sequence[RepoEntry]) -> RepoEntry | None:
    for entry in repos:
        if entry.url.rstrip("/") == url.rstrip("/"):
            return entry
    return None


def parse_index(data: bytes, url: str) -> dict[str, list[IndexEntry]]:
    import yaml  # only charts with https repositories pay for PyYAML

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if too_deep(data):
        raise RegistryError(
            f"{url}: index.yaml is nested more than {MAX_INDEX_DEPTH} levels deep; "
            "not a chart repository index"
        )
    try:
        doc = yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise RegistryError(f"{url}: index.yaml is not valid YAML ({first})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
        raise RegistryError(f"{url}: not a chart repository index (no entries)")
    out: dict[str, list[IndexEntry]] = {}
    for name, versions in doc["entries"].items():
        items = []
        for item in versions or []:
            if not isinstance(item, dict) or item.get("version") is None:
                continue
            urls = tuple(str(u) for u in item.get("urls") or [])
            items.append(IndexEntry(str(item["version"]), urls, str(item.get("digest") or "")))
        out[str(name)] = items
    return out


async def _fetch(url: str, entry: RepoEntry | None, timeout: float) -> dict[str, list[IndexEntry]]:
    verify: Any = True
    if entry is not None and entry.insecure_skip_tls_verify:
        verify = False
    elif entry is not None and entry.ca_file:
        import ssl

        verify = ssl.create_default_context(cafile=entry.ca_file)
    auth = None
    if entry is not None and entry.username:
        auth = httpx.BasicAuth(entry.username, entry.password)
    async with httpx.AsyncClient(
        verify=verify,
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        headers={"User-Agent": f"chartlock/{__version__}", "Accept-Encoding": "identity"},
        event_hooks={"response": [cap_response]},
    ) as client:
        try:
            response = await bounded_get(
                client,
                index_url(url),
                cap=MAX_INDEX_BYTES,
                timeout=timeout,
                where=f"{url}: index.yaml",
                auth=auth,
            )
        except httpx.HTTPError as exc:
            raise RegistryError(
                f"{url}: cannot fetch index.yaml ({type(exc).__name__})", registry=url
            ) from None
    if response.status_code != 200:
        raise RegistryError(
            f"{url}: index.yaml: HTTP {response.status_code}"
            + ("; check the repository credentials" if response.status_code in (401, 403) else ""),
            registry=url,
            status=response.status_code,
        )
    return parse_index(response.content, url)


async def fetch_indexes(
    urls: Sequence[str], repos: Sequence[RepoEntry], options: Any
) -> dict[str, dict[str, list[IndexEntry]]]:
    timeout = float(getattr(options, "timeout", 30.0))
    results = await asyncio.gather(*(_fetch(u, _entry_for(u, repos), timeout) for u in urls))
    return dict(zip(urls, results, strict=True))
