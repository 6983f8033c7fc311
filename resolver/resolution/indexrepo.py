"""https chart repositories: fetch each referenced ``index.yaml`` once, concurrently.

Credentials and TLS settings come from the repository's repositories.yaml entry, as in Helm
(the OCI flags do not apply to index repositories). Proxies come from the environment with Go's
rules, as in Helm (:mod:`resolver.registry.routing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from resolver import __version__
from resolver.chart.repoconfig import RepoEntry
from resolver.chart.yamldepth import too_deep
from resolver.errors import RegistryError
from resolver.registry.bounds import bounded_get, cap_response
from resolver.resolution.pick import IndexEntry

MAX_INDEX_BYTES = 256 * 1024 * 1024
# Real indexes nest about 5 levels; libyaml crashes at ~100,000 (see resolver.chart.yamldepth).
MAX_INDEX_DEPTH = 1000


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
    if too_deep(data, MAX_INDEX_DEPTH):
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
    import os

    from resolver.registry.proxyenv import from_environ
    from resolver.registry.routing import ProxyRoutingTransport
    from resolver.registry.tls import client_context

    # The entry's client certificate (certFile/keyFile) is not used (yet): only its CA file
    # and insecure_skip_tls_verify.
    verify = client_context(
        insecure_skip_tls_verify=entry is not None and entry.insecure_skip_tls_verify,
        ca_file=entry.ca_file if entry is not None and entry.ca_file else None,
    )
    auth = None
    if entry is not None and entry.username:
        auth = httpx.BasicAuth(entry.username, entry.password)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        headers={"User-Agent": f"chartlock/{__version__}", "Accept-Encoding": "identity"},
        transport=ProxyRoutingTransport(verify, from_environ(os.environ)),
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
    urls: Sequence[str], repos: Sequence[RepoEntry], timeout: float = 30.0
) -> dict[str, dict[str, list[IndexEntry]]]:
    """Each repository's index.yaml, fetched concurrently (``timeout``: seconds per request,
    the registry options' ``timeout``)."""
    from resolver.util.aio import gather

    results = await gather(*(_fetch(u, _entry_for(u, repos), timeout) for u in urls))
    return dict(zip(urls, results, strict=True))
