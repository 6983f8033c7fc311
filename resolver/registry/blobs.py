"""Blob downloads: the bounds a blob is read under and its verification (the request itself is
:meth:`resolver.registry.client.RegistryClient.fetch_blob`)."""

from __future__ import annotations

from resolver.errors import DigestMismatch, RegistryError
from resolver.registry.bounds import MAX_BLOB_BYTES, size_text
from resolver.registry.manifests import sha256
from resolver.registry.reference import DIGEST_RE, Repository
from resolver.registry.scrub import printable


def blob_bounds(repo: Repository, digest: str, size: int) -> tuple[int, str]:
    """``(cap, what the cap is)`` for reading blob ``digest``: the ``size`` the manifest
    declares, else :data:`MAX_BLOB_BYTES`; refuses an invalid digest or an oversized blob."""
    if not DIGEST_RE.fullmatch(digest):
        raise RegistryError(f"{repo}: invalid blob digest {printable(digest)!r}")
    if size > MAX_BLOB_BYTES:
        raise repo.error(
            f"{repo}: blob {digest}: the manifest declares {size} bytes; chartlock refuses "
            f"chart archives over {size_text(MAX_BLOB_BYTES)}",
        )
    if size:
        return size, f"the manifest declares {size} bytes"
    return MAX_BLOB_BYTES, f"a chart archive may have {size_text(MAX_BLOB_BYTES)}"


def verified_blob(repo: Repository, digest: str, data: bytes) -> bytes:
    """``data`` when its sha256 is ``digest``; else a :class:`DigestMismatch`."""
    actual = sha256(data)
    if actual != digest:
        raise repo.error(
            f"{repo}: blob {digest}: content does not match its digest (got {actual})",
            kind=DigestMismatch,
        )
    return data
