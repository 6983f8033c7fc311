"""The resolver as a library.

import resolver
lock = resolver.resolve("charts/app")            # what `chartlock lock` would write
for dep in lock.dependencies:
    print(dep.name, dep.version, dep.digest)
for change in lock.changes:                       # what differs from Chart.lock on disk
    print(change.text())
resolver.resolve("charts/app", upgrade=True)      # `chartlock lock --upgrade`
resolver.resolve("charts/app", upgrade=["redis", "db==1.2.3"])  # --upgrade-package

The registry options are keyword arguments named like :class:`resolver.ClientOptions`'s fields
(and the CLI's flags); a misspelled one is a ``TypeError``, and a type checker flags it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from resolver.util.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.registry.options import ClientOptions
    from resolver.resolution.diff import Change

P = ParamSpec("P")
T = TypeVar("T")


class ResolvedDependency(Record):
    """One locked dependency: the version Helm would pick and its manifest digest."""

    name: str
    repository: str
    version: str
    digest: str | None


class ResolvedLock(Record):
    """What ``chartlock lock`` would write for one chart."""

    chart_dir: Path
    digest: str  # Helm's lock digest (HashReq)
    dependencies: tuple[ResolvedDependency, ...]
    text: str  # the Chart.lock text chartlock would write
    changed: bool  # whether it differs from the Chart.lock on disk
    # What differs from the Chart.lock on disk (resolver.resolution.diff.Change: kind, name, alias,
    # old/new version, digest and repository; .text() and .to_dict() as `lock` prints them)
    changes: tuple[Change, ...] = ()


def client_options(options: ClientOptions | None = None, **given: Any) -> ClientOptions:
    """``options`` (default: :class:`ClientOptions` defaults) with the ``given`` fields
    replaced; ``None`` means "not given" (:meth:`ClientOptions.merged`: an unknown name is a
    ``TypeError``, a timeout that is not positive a ``ValueError``)."""
    from resolver.registry.options import ClientOptions

    return (options if options is not None else ClientOptions()).merged(**given)


async def resolve_async(
    chart_dir: str | Path,
    options: ClientOptions | None = None,
    *,
    plain_http: bool | None = None,
    insecure_skip_tls_verify: bool | None = None,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    timeout: float | None = None,
    username: str | None = None,
    password: str | None = None,
    repository_config: str | None = None,
    upgrade: bool | Iterable[str] = False,
) -> ResolvedLock:
    """Resolve one chart as ``chartlock lock`` does (online); writes nothing.

    Conservative like ``chartlock lock``: a dependency keeps the version (and digest) in the
    chart's Chart.lock while its range allows it. ``upgrade=True`` re-resolves everything
    (exactly ``helm dependency update``); ``upgrade=["redis", "db==1.2.3"]`` re-resolves just
    those dependencies (name or alias), optionally to an exact version. A locked tag re-pushed
    with other content raises :class:`resolver.errors.ChartlockError` (CL501) unless upgraded.
    The configuration file's ``lock.strategy`` is not read here: pass ``upgrade=True``.

    Registry options come from ``options`` (a :class:`resolver.ClientOptions`) and/or the
    keyword arguments, which replace its fields: ``plain_http``, ``insecure_skip_tls_verify``,
    ``ca_file``, ``cert_file``, ``key_file``, ``timeout`` (seconds, > 0), ``username``,
    ``password``, ``repository_config`` (Helm's repositories.yaml). Raises
    :class:`resolver.ChartlockError` when the chart cannot be resolved.
    """
    # New keyword-only parameters go after the registry options, each passed on explicitly.
    import os

    from resolver.commands.lock import resolve_charts

    opts = client_options(
        options,
        plain_http=plain_http,
        insecure_skip_tls_verify=insecure_skip_tls_verify,
        ca_file=ca_file,
        cert_file=cert_file,
        key_file=key_file,
        timeout=timeout,
        username=username,
        password=password,
        repository_config=repository_config,
    )
    directory = Path(os.path.abspath(chart_dir))
    (outcome,) = await resolve_charts([directory], opts, upgrade=upgrade)
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


def _synchronous(function: Callable[P, Coroutine[Any, Any, T]], name: str) -> Callable[P, T]:
    """``function`` run to completion on a new event loop, with the same parameters (a type
    checker sees them, so a misspelled option stays an error) and :mod:`resolver.util.aio`'s
    Ctrl-C handling."""

    @functools.wraps(function)
    def synchronous(*args: P.args, **kwargs: P.kwargs) -> T:
        from resolver.util.aio import run

        return run(function(*args, **kwargs))

    synchronous.__name__ = synchronous.__qualname__ = name
    synchronous.__doc__ = (
        f"Synchronous :func:`{function.__name__}` (same arguments); call it from code that is "
        "not already running an event loop."
    )
    return synchronous


resolve = _synchronous(resolve_async, "resolve")
