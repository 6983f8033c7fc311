"""Container image references: the distribution/reference grammar, as Docker and containerd use it.

``[host[:port]/]path[:tag][@digest]`` where path components are lower-case ``[a-z0-9]`` runs
separated by ``.``, ``_``, ``__`` or runs of ``-``; a tag is ``[\\w][\\w.-]{0,127}``; a digest is
``algorithm:hex`` (for ``sha256`` exactly 64 lower-case hex digits). The first path component is
the registry host when it contains ``.`` or ``:``, is ``localhost``, or has upper-case letters;
otherwise the image lives on ``docker.io``.

Pure functions, no I/O; used by the image lint rules (CL301-CL306, CL601).
"""

from __future__ import annotations

import re

from resolver.registry.reference import DIGEST_RE
from resolver.util.records import Record

DEFAULT_REGISTRY = "docker.io"
MAX_NAME_LENGTH = 255

_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_RE = re.compile(
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
    r"|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
)
_TAG_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class ImageRef(Record):
    """A parsed reference; ``host`` is always set (``docker.io`` when the name has none)."""

    host: str
    path: str
    tag: str | None
    digest: str | None
    explicit_host: bool

    @property
    def name(self) -> str:
        return f"{self.host}/{self.path}" if self.explicit_host else self.path


class ReferenceError(ValueError):
    """Why a string is not an image reference; ``part`` is name, tag or digest."""

    def __init__(self, reason: str, part: str = "name") -> None:
        super().__init__(reason)
        self.reason = reason
        self.part = part


def is_templated(text: str) -> bool:
    return "{{" in text


def has_oci_scheme(text: str) -> bool:
    return text.strip().lower().startswith("oci://")


def digest_problem(digest: str) -> str | None:
    """Why ``digest`` is malformed (``None`` when it is fine)."""
    if digest.startswith("sha256:"):
        if DIGEST_RE.fullmatch(digest):
            return None
        return "sha256 digests are 64 lower-case hex digits"
    if _DIGEST_RE.fullmatch(digest):
        return None
    return "expected algorithm:hex, e.g. sha256:<64 hex digits>"


def normalize_digest_value(value: str) -> str:
    """A ``digest``/``sha`` value as ``algorithm:hex`` (bare 64-hex values get ``sha256:``)."""
    value = value.strip()
    if _HEX64_RE.fullmatch(value):
        return "sha256:" + value
    return value


def tag_problem(tag: str) -> str | None:
    if not tag:
        return "empty tag"
    if len(tag) > 128:
        return f"tag is {len(tag)} characters long (at most 128)"
    if not _TAG_RE.fullmatch(tag):
        return "tag may only contain letters, digits, '_', '.' and '-' (not first)"
    return None


def host_problem(host: str) -> str | None:
    if not _DOMAIN_RE.fullmatch(host):
        return f"invalid registry host {host!r}"
    return None


def split_host(name: str) -> tuple[str, str, bool]:
    """``(host, path, explicit)`` for a repository name without tag or digest."""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first, rest, True
    return DEFAULT_REGISTRY, name, False


def registry_host(name: str) -> str:
    """The registry host of a repository name (``docker.io`` when none is written)."""
    return split_host(name)[0]


def path_problem(path: str) -> str | None:
    if not path:
        return "empty repository name"
    for component in path.split("/"):
        if not component:
            return "empty path component ('//' or a trailing '/')"
        if not _PATH_COMPONENT_RE.fullmatch(component):
            if component.lower() != component and _PATH_COMPONENT_RE.fullmatch(component.lower()):
                return "repository name must be lower-case"
            return f"invalid repository name component {component!r}"
    return None


def parse(text: str) -> ImageRef:
    """Parse ``text`` as ``[host/]path[:tag][@digest]``; raise :class:`ReferenceError`."""
    if not text:
        raise ReferenceError("empty reference")
    if any(ch.isspace() for ch in text):
        raise ReferenceError("contains whitespace")
    if _SCHEME_RE.match(text):
        raise ReferenceError("image references have no URL scheme")
    name_tag, at, digest = text.partition("@")
    if at:
        problem = digest_problem(digest)
        if problem is not None:
            raise ReferenceError(problem, "digest")
    slash = name_tag.rfind("/")
    colon = name_tag.rfind(":")
    tag: str | None = None
    name = name_tag
    if colon > slash:
        name, tag = name_tag[:colon], name_tag[colon + 1 :]
        problem = tag_problem(tag)
        if problem is not None:
            raise ReferenceError(problem, "tag")
    if len(name) > MAX_NAME_LENGTH:
        raise ReferenceError(f"repository name is longer than {MAX_NAME_LENGTH} characters")
    host, path, explicit = split_host(name)
    if explicit:
        problem = host_problem(host)
        if problem is not None:
            raise ReferenceError(problem)
    problem = path_problem(path)
    if problem is not None:
        raise ReferenceError(problem)
    return ImageRef(host, path, tag, digest if at else None, explicit)
