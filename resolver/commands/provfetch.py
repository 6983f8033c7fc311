"""Fetching a locked OCI chart's provenance layer (shared by verify, pull and lock --verify).

The manifest given is the one fetched **by the locked (or just resolved) digest**; its
provenance layer is fetched by its own digest, bounded by the size the manifest declares and by
:data:`resolver.chart.provenance.MAX_PROV_BYTES`, and checked against that digest by the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolver.chart.provenance import MAX_PROV_BYTES, ProvenanceFailure

if TYPE_CHECKING:
    from resolver.registry.client import ChartManifest, RegistryClient
    from resolver.registry.reference import Repository


async def fetch_oci_prov(
    client: RegistryClient, repo: Repository, manifest: ChartManifest, where: str
) -> bytes:
    """The provenance file of ``manifest``; :class:`ProvenanceFailure` ``missing`` when the
    manifest has no provenance layer."""
    if not manifest.prov_digest:
        raise ProvenanceFailure(
            "missing", f"{where} has no provenance layer (the chart was not signed)"
        )
    if not 0 < manifest.prov_size <= MAX_PROV_BYTES:
        raise ProvenanceFailure(
            "bad-signature",
            f"the provenance layer declares {manifest.prov_size} bytes; chartlock reads "
            f"provenance files of 1 to {MAX_PROV_BYTES} bytes",
        )
    return await client.fetch_blob(repo, manifest.prov_digest, manifest.prov_size)


__all__ = ["fetch_oci_prov"]
