"""Policy rules (CL6xx): organisation rules from the configuration.

``allowed-registries`` lists the registries charts and images may come from: hosts
(``ghcr.io``), wildcard hosts (``*.example.com``) or host/path prefixes (``ghcr.io/myorg``).
:func:`registry_allowed` is shared with the image rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from resolver.linter.findings import Severity
from resolver.linter.rules.base import (
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    checker,
    register,
)

REGISTRY_NOT_ALLOWED = register(
    Rule(
        id="CL601",
        name="registry-not-allowed",
        severity=Severity.ERROR,
        family="policy",
        summary="A chart or image comes from a registry not in `allowed-registries`.",
        rationale="Only vetted registries (mirrors, scanned and access-controlled) may supply "
        "what runs in the cluster.",
        fix="use a mirror in an allowed registry, or add the registry to `allowed-registries`",
        bad="allowed-registries: [ghcr.io/myorg]\n---\nrepository: oci://docker.io/bitnamicharts",
        good="repository: oci://ghcr.io/myorg/charts",
    )
)

_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return "docker.io" if host in _DOCKER_HUB else host


def registry_allowed(host: str, allowed: Iterable[str], path: str = "") -> bool:
    """Whether ``host`` (with optional repository ``path``) is covered by ``allowed``.

    An empty ``allowed`` allows everything. Entries are hosts (``ghcr.io``, with a port when the
    registry has one), ``*.example.com`` (any subdomain), or ``host/path`` prefixes matched on
    whole path segments. The Docker Hub spellings (``docker.io``, ``index.docker.io``,
    ``registry-1.docker.io``) are one registry.
    """
    entries = list(allowed)
    if not entries:
        return True
    canonical = _canonical_host(host)
    segments = [s for s in path.split("/") if s]
    for entry in entries:
        entry_host, _, entry_path = entry.strip().partition("/")
        entry_host = _canonical_host(entry_host)
        if entry_host.startswith("*."):
            if not canonical.endswith(entry_host[1:]):
                continue
        elif entry_host != canonical:
            continue
        wanted = [s for s in entry_path.split("/") if s]
        if segments[: len(wanted)] == wanted:
            return True
    return False


def repository_host(repository: str) -> tuple[str, str] | None:
    """``(host, path)`` of an ``oci://`` or ``http(s)://`` repository; None for local ones."""
    lowered = repository.lower()
    if lowered.startswith("oci://"):
        rest = repository[len("oci://") :]
        host, _, path = rest.partition("/")
        return host, path.split("@")[0].split(":")[0]
    if lowered.startswith(("http://", "https://")):
        parts = urlsplit(repository)
        return parts.netloc.rpartition("@")[2], parts.path
    return None


# The rules this module's checker reports.
POLICY_RULES = (REGISTRY_NOT_ALLOWED,)


@checker(FileKind.CHART, emits=POLICY_RULES)
def check_chart_registries(target: LintTarget, options: CheckOptions) -> Iterator[Problem]:
    if not options.allowed_registries:
        return
    from resolver.linter.rules.chartfile import at, chart_of

    chart = chart_of(target)
    allowed = ", ".join(options.allowed_registries)
    for dep in chart.dependencies or []:
        where = repository_host(dep.repository)
        if where is None:
            continue
        host, path = where
        if not registry_allowed(host, options.allowed_registries, path):
            yield at(
                REGISTRY_NOT_ALLOWED,
                f"dependency {dep.effective_name!r} comes from {host!r}, which is not an "
                f"allowed registry ({allowed})",
                dep.mark("repository"),
                target,
                key=f"{dep.effective_name}:{dep.repository}",
            )
