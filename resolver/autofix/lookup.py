"""Tag -> digest: one manifest ``HEAD`` per distinct image, through the registry client.

The ``HEAD`` carries the client's manifest ``Accept`` list, image indexes first among them
(OCI image index, Docker manifest list): a multi-arch tag is answered with the digest of its
index, which is what ``tag@sha256:...`` must name so that every platform still pulls its own
image; a single-platform tag with its manifest's digest. Tokens are the client's, reused for
every request to the same repository scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.commands.lock import ClientOptions


@dataclass(frozen=True, order=True)
class ImageKey:
    """One image tag to resolve: its registry host (``docker.io`` for Docker Hub), path, tag."""

    registry: str
    path: str
    tag: str

    def __str__(self) -> str:
        return f"{self.registry}/{self.path}:{self.tag}"


@dataclass(frozen=True)
class Resolved:
    """The digest the registry serves for a tag (and its media type), or why there is none."""

    digest: str = ""
    media_type: str = ""
    error: str = ""


async def lookup(keys: Iterable[ImageKey], options: ClientOptions) -> dict[ImageKey, Resolved]:
    """``{key: Resolved}`` for every distinct key (one ``HEAD`` each, concurrently)."""
    from resolver.errors import ChartlockError
    from resolver.registry.mirrors import repository_path
    from resolver.registry.reference import Repository
    from resolver.registry.session import open_client
    from resolver.util.aio import gather

    wanted = sorted(set(keys))
    if not wanted:
        return {}
    async with open_client(options) as client:

        async def one(key: ImageKey) -> Resolved:
            repo = Repository(key.registry, repository_path(key.registry, key.path))
            try:
                info = await client.head_manifest(repo, key.tag)
            except ChartlockError as exc:
                return Resolved(error=client.scrub(str(exc)))
            return Resolved(info.digest, info.media_type)

        results = await gather(*(one(key) for key in wanted))
    return dict(zip(wanted, results, strict=True))
