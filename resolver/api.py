"""The resolver as a library.

import resolver
lock = resolver.resolve("charts/app")            # what `chartlock lock` would write
for dep in lock.dependencies:
    print(dep.name, dep.version, dep.digest)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ResolvedDependency:
    name: str
    repository: str
    version: str
    digest: str | None


@dataclass(frozen=True)
class ResolvedLock:
    chart_dir: Path
    digest: str  # Helm's lock digest (HashReq)
    dependencies: tuple[ResolvedDependency, ...]
    text: str  # the Chart.lock text chartlock would write
    changed: bool  # whether it differs from the Chart.lock on disk


async def resolve_async(chart_dir: str | Path, **options: Any) -> ResolvedLock:
    """Resolve one chart like ``helm dependency update`` (online); writes nothing.

    ``options`` are :class:`resolver.locking.ClientOptions` fields (``plain_http``,
    ``ca_file``, ``timeout``, ``username``, ``password``, ``repository_config``, ...).
    """
    import os

    from resolver.locking import ClientOptions, resolve_charts

    directory = Path(os.path.abspath(chart_dir))
    (outcome,) = await resolve_charts([directory], ClientOptions(**options))
    return ResolvedLock(
        chart_dir=outcome.chart_dir,
        digest=outcome.digest,
        dependencies=tuple(
            ResolvedDependency(e.name, e.repository, e.version, e.content_digest)
            for e in outcome.entries
        ),
        text=outcome.text,
        changed=outcome.status in ("created", "updated"),
    )


def resolve(chart_dir: str | Path, **options: Any) -> ResolvedLock:
    """Synchronous :func:`resolve_async`."""
    from resolver.aio import run

    return run(resolve_async(chart_dir, **options))
