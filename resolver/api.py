"""The resolver as a library.

import resolver
lock = resolver.resolve("charts/app")            # what `chartlock lock` would write
for dep in lock.dependencies:
    print(dep.name, dep.version, dep.digest)
for change in lock.changes:                       # what differs from Chart.lock on disk
    print(change.text())
resolver.resolve("charts/app", upgrade=True)      # `chartlock lock --upgrade`
resolver.resolve("charts/app", upgrade=["redis", "db==1.2.3"])  # --upgrade-package
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resolver.lockplan import Change


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
    # What differs from the Chart.lock on disk (resolver.lockplan.Change: kind, name, alias,
    # old/new version, digest and repository; .text() and .to_dict() as `lock` prints them)
    changes: tuple[Change, ...] = ()


async def resolve_async(
    chart_dir: str | Path, *, upgrade: bool | Iterable[str] = False, **options: Any
) -> ResolvedLock:
    """Resolve one chart as ``chartlock lock`` does (online); writes nothing.

    Conservative like ``chartlock lock``: a dependency keeps the version (and digest) in the
    chart's Chart.lock while its range allows it. ``upgrade=True`` re-resolves everything
    (exactly ``helm dependency update``); ``upgrade=["redis", "db==1.2.3"]`` re-resolves just
    those dependencies (name or alias), optionally to an exact version. A locked tag re-pushed
    with other content raises :class:`resolver.errors.ChartlockError` (CL501) unless upgraded.
    The configuration file's ``lock.strategy`` is not read here: pass ``upgrade=True``.

    ``options`` are :class:`resolver.locking.ClientOptions` fields (``plain_http``,
    ``ca_file``, ``timeout``, ``username``, ``password``, ``repository_config``, ...).
    """
    import os

    from resolver.locking import ClientOptions, resolve_charts

    directory = Path(os.path.abspath(chart_dir))
    (outcome,) = await resolve_charts([directory], ClientOptions(**options), upgrade=upgrade)
    return ResolvedLock(
        chart_dir=outcome.chart_dir,
        digest=outcome.digest,
        dependencies=tuple(
            ResolvedDependency(e.name, e.repository, e.version, e.content_digest)
            for e in outcome.entries
        ),
        text=outcome.text,
        changed=outcome.status in ("created", "updated"),
        changes=tuple(outcome.changes),
    )


def resolve(
    chart_dir: str | Path, *, upgrade: bool | Iterable[str] = False, **options: Any
) -> ResolvedLock:
    """Synchronous :func:`resolve_async`."""
    return asyncio.run(resolve_async(chart_dir, upgrade=upgrade, **options))
