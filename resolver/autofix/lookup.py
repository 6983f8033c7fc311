"""Tag -> digest: one manifest ``HEAD`` per distinct image, through the registry client.

The ``HEAD`` carries the client's manifest ``Accept`` list, image indexes first among them
(OCI image index, Docker manifest list): a multi-arch tag is answered with the digest of its
index, which is what ``tag@sha256:...`` must name so that every platform still pulls its own
image; a single-platform tag with its manifest's digest. Tokens are the client's, reused for
every request to the same repository scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.registry.options import ClientOptions


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
    version: str = ""  # --resolve-latest: the released tag with the same digest


async def lookup(
    keys: Iterable[ImageKey],
    options: ClientOptions,
    on_done: Callable[[], None] | None = None,
) -> dict[ImageKey, Resolved]:
    """``{key: Resolved}`` for every distinct key (one ``HEAD`` each, concurrently);
    ``on_done`` is called as each lookup finishes (progress)."""
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

        async def counted(key: ImageKey) -> Resolved:
            result = await one(key)
            if on_done is not None:
                on_done()
            return result

        results = await gather(*(counted(key) for key in wanted))
    return dict(zip(wanted, results, strict=True))


MAX_LATEST_CANDIDATES = 30  # HEADs spent looking for the version behind `latest`


async def resolve_latest(
    keys: Iterable[ImageKey],
    options: ClientOptions,
    on_done: Callable[[], None] | None = None,
) -> dict[ImageKey, Resolved]:
    """``--resolve-latest``: for each mutable tag (``latest``), the highest released version
    tag (semver, no pre-release) whose digest equals the mutable tag's current digest, as
    ``Resolved(digest, media_type, version=tag)``; ``error`` says why there is none. Tags are
    tried from the highest down, at most :data:`MAX_LATEST_CANDIDATES` of them."""
    from resolver.errors import ChartlockError, InvalidVersion
    from resolver.registry.mirrors import repository_path
    from resolver.registry.reference import Repository
    from resolver.registry.session import open_client
    from resolver.semver import parse_version
    from resolver.util.aio import gather

    wanted = sorted(set(keys))
    if not wanted:
        return {}
    async with open_client(options) as client:

        async def one(key: ImageKey) -> Resolved:
            repo = Repository(key.registry, repository_path(key.registry, key.path))
            try:
                current = await client.head_manifest(repo, key.tag)
                tags = await client.list_tags(repo)
            except ChartlockError as exc:
                return Resolved(error=client.scrub(str(exc)))
            versions = []
            for tag in tags:
                try:
                    version = parse_version(tag)
                except InvalidVersion:
                    continue
                if not version.prerelease:
                    versions.append((version, tag))
            versions.sort(reverse=True)
            for _, tag in versions[:MAX_LATEST_CANDIDATES]:
                try:
                    info = await client.head_manifest(repo, tag)
                except ChartlockError:
                    continue
                if info.digest == current.digest:
                    return Resolved(info.digest, info.media_type, version=tag)
            return Resolved(
                error=f"no released version tag has the digest of `{key.tag}` ({current.digest})"
            )

        async def counted(key: ImageKey) -> Resolved:
            result = await one(key)
            if on_done is not None:
                on_done()
            return result

        results = await gather(*(counted(key) for key in wanted))
    return dict(zip(wanted, results, strict=True))
