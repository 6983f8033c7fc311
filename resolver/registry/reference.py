"""OCI references as Helm and oras-go read them (no httpx here: offline code imports this)."""

from __future__ import annotations

import re

from resolver.errors import RegistryError
from resolver.util.records import Record

# oras-go registry.ParseReference repository grammar.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*"
REPOSITORY_PATH_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
TAG_RE = re.compile(r"[\w][\w.-]{0,127}")
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
DOCKER_HUB = "docker.io"
DOCKER_HUB_HOST = "registry-1.docker.io"


class Repository(Record):
    """A repository in a registry: ``registry`` as written, ``path`` below it."""

    registry: str
    path: str

    @property
    def host(self) -> str:
        """The host HTTP requests go to (``docker.io`` means ``registry-1.docker.io``)."""
        return DOCKER_HUB_HOST if self.registry == DOCKER_HUB else self.registry

    def __str__(self) -> str:
        return f"{self.registry}/{self.path}"

    def error(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        kind: type[RegistryError] = RegistryError,
    ) -> RegistryError:
        """``message`` as an error about this repository (``kind``: which error)."""
        return kind(message, registry=self.registry, repository=self.path, code=code, status=status)


def oci_chart_repository(repository_url: str, chart_name: str) -> Repository:
    """``oci://host/ns`` + ``name`` → ``Repository(host, "ns/name")``, validated like oras-go."""
    if not repository_url.startswith("oci://"):
        raise RegistryError(f"{repository_url}: not an oci:// repository")
    ref = repository_url[len("oci://") :] + "/" + chart_name
    registry, _, path = ref.partition("/")
    if not registry:
        raise RegistryError(f"{repository_url}: invalid reference: missing registry")
    if "@" in ref or (":" in path):
        raise RegistryError(
            f"{repository_url}: invalid reference: a repository must not carry a tag or digest",
            registry=registry,
        )
    if not REPOSITORY_PATH_RE.fullmatch(path):
        raise RegistryError(
            f"could not retrieve list of tags for repository {repository_url}: "
            f'invalid reference: invalid repository "{path}"',
            registry=registry,
            repository=path,
        )
    return Repository(registry, path)
