"""Downloading a blob by digest: bounded by the size the manifest declares, verified against
its digest (redirects to storage hosts carry no credentials: :meth:`RegistryClient._send`)."""

from __future__ import annotations

from resolver.errors import DigestMismatch, RegistryError
from resolver.registry.bounds import MAX_BLOB_BYTES, size_text
from resolver.registry.manifests import sha256
from resolver.registry.reference import DIGEST_RE, Repository
from resolver.registry.scrub import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.registry.client import RegistryClient


async def fetch_blob(client: RegistryClient, repo: Repository, digest: str, size: int = 0) -> bytes:
    """A blob by digest, verified. ``size`` is the size the manifest declares: no more is
    read. Without it (0), at most :data:`MAX_BLOB_BYTES`."""
    if not DIGEST_RE.fullmatch(digest):
        raise RegistryError(f"{repo}: invalid blob digest {printable(digest)!r}")
    if size > MAX_BLOB_BYTES:
        raise repo.error(
            f"{repo}: blob {digest}: the manifest declares {size} bytes; chartlock refuses "
            f"chart archives over {size_text(MAX_BLOB_BYTES)}",
        )
    url = f"{client._base(repo)}/blobs/{digest}"
    response = await client._send(
        "GET",
        url,
        repo,
        what=f"blob {digest[:19]}",
        cap=size or MAX_BLOB_BYTES,
        budgeted=False,  # bounded by the declared size
        limit=(
            f"the manifest declares {size} bytes"
            if size
            else f"a chart archive may have {size_text(MAX_BLOB_BYTES)}"
        ),
    )
    if response.status_code != 200:
        raise client._error(response, repo, f"blob {digest}")
    data = response.content
    actual = sha256(data)
    if actual != digest:
        raise repo.error(
            f"{repo}: blob {digest}: content does not match its digest (got {actual})",
            kind=DigestMismatch,
        )
    return data
