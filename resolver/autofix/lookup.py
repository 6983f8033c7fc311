"""Tag -> digest: one manifest ``HEAD`` per distinct image, through the registry client.

The ``HEAD`` carries the client's manifest ``Accept`` list, image indexes first among them
(OCI image index, Docker manifest list): a multi-arch tag is answered with the digest of its
index, which is what ``tag@sha256:...`` must name so that every platform still pulls its own
image; a single-platform tag with its manifest's digest. Tokens are the client's, reused for
every request to the same repository scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from resolver.util.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable

    from resolver.registry.client import RegistryClient
    from resolver.registry.options import ClientOptions
    from resolver.registry.reference import Repository


class ImageKey(Record):
    """One image tag to resolve: its registry host (``docker.io`` for Docker Hub), path, tag."""

    registry: str
    path: str
    tag: str

    def __str__(self) -> str:
        return f"{self.registry}/{self.path}:{self.tag}"

    def __lt__(self, other: ImageKey) -> bool:  # runs are ordered by registry, path, tag
        return (self.registry, self.path, self.tag) < (other.registry, other.path, other.tag)


class Resolved(Record):
    """The digest the registry serves for a tag (and its media type), or why there is none."""

    digest: str = ""
    media_type: str = ""
    error: str = ""
    version: str = ""  # --resolve-latest: the released tag with the same digest
    # The registry could not be asked (unreachable, refused, failing): the run could not look,
    # unlike a tag the registry says does not exist.
    failed: bool = False


async def lookup(
    keys: Iterable[ImageKey],
    options: ClientOptions,
    on_done: Callable[[], None] | None = None,
) -> dict[ImageKey, Resolved]:
    """``{key: Resolved}`` for every distinct key (one ``HEAD`` each, concurrently);
    ``on_done`` is called as each lookup finishes (progress)."""

    async def one(client: RegistryClient, repo: Repository, key: ImageKey) -> Resolved:
        info = await client.head_manifest(repo, key.tag)
        return Resolved(info.digest, info.media_type)

    return await _for_each(keys, options, one, on_done)


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
    from resolver.semver import parse_version

    async def one(client: RegistryClient, repo: Repository, key: ImageKey) -> Resolved:
        current = await client.head_manifest(repo, key.tag)
        tags = await client.list_tags(repo)
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

    return await _for_each(keys, options, one, on_done)


async def _for_each(
    keys: Iterable[ImageKey],
    options: ClientOptions,
    one: Callable[[RegistryClient, Repository, ImageKey], Awaitable[Resolved]],
    on_done: Callable[[], None] | None,
) -> dict[ImageKey, Resolved]:
    """``one`` for every distinct key, concurrently, through one client (mirrors applied); a
    registry error is that key's ``Resolved.error`` (credentials scrubbed)."""
    from resolver.errors import ChartlockError, RegistryError
    from resolver.registry.mirrors import repository_path
    from resolver.registry.reference import Repository
    from resolver.registry.session import open_client
    from resolver.util.aio import gather

    wanted = sorted(set(keys))
    if not wanted:
        return {}

    def repository(key: ImageKey) -> Repository:
        return Repository(key.registry, repository_path(key.registry, key.path))

    async with open_client(options) as client:
        # Each registry's challenge first (one GET /v2/ each): then every HEAD goes out with
        # its token, instead of hundreds of concurrent HEADs each drawing a 401 (issue 13: one
        # HEAD per distinct image).
        first = {key.registry: key for key in reversed(wanted)}
        await gather(*(client.learn_challenge(repository(key)) for key in first.values()))

        async def guarded(key: ImageKey) -> Resolved:
            repo = repository(key)
            try:
                result = await one(client, repo, key)
            except ChartlockError as exc:
                failed = not (isinstance(exc, RegistryError) and exc.gone)
                result = Resolved(error=client.scrub(str(exc)), failed=failed)
            if on_done is not None:
                on_done()
            return result

        results = await gather(*(guarded(key) for key in wanted))
    return dict(zip(wanted, results, strict=True))
