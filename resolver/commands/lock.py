"""``chartlock lock``: resolve every chart (:mod:`resolver.resolution.gather`), then write.

All charts and all their dependencies are resolved together, every network fact gathered at
once (:mod:`resolver.resolution.gather`). Nothing is written until everything has resolved, and
each Chart.lock is replaced atomically (and only when its content changes).

Locking is conservative (:mod:`resolver.resolution.plan`): a dependency keeps its locked version
while its range allows it; ``upgrade`` re-resolves everything (``helm dependency update``) or
the named dependencies. A kept tag whose content changed in the registry fails the run (CL501).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from resolver.chart.discovery import display_path
from resolver.chart.lockfile import dump_lock, go_rfc3339nano, hash_req, write_lock
from resolver.chart.models import Dependency, Lock
from resolver.chart.pair import chart_display
from resolver.chart.repoconfig import load_repositories
from resolver.errors import InputError
from resolver.registry.options import ClientOptions
from resolver.resolution.diff import Change, changes
from resolver.resolution.gather import Loaded
from resolver.resolution.pick import IndexEntry
from resolver.resolution.plan import Moved, Upgrade, moved_tags
from resolver.util.records import Record, field


class LockOutcome(Record):
    """What one chart's lock is to be (and, once written, what became of it)."""

    chart_dir: Path
    display: str
    # "created" | "updated" | "unchanged" | "would change" | "no dependencies"
    status: str
    digest: str = ""
    entries: list[Dependency] = field(default_factory=list)
    text: str = ""
    # What differs from the Chart.lock on disk (resolver.resolution.diff.Change), in Chart.yaml
    # order
    changes: list[Change] = field(default_factory=list)

    def would_change(self) -> LockOutcome:
        """This outcome in a run that writes nothing (``--check``, ``--dry-run``)."""
        if self.status in ("created", "updated"):
            return self.replace(status="would change")
        return self


async def resolve_charts(
    chart_dirs: Sequence[Path],
    options: ClientOptions,
    *,
    cwd: Path | None = None,
    upgrade: bool | Iterable[str] | Upgrade = False,
    chart_texts: Mapping[Path, str] | None = None,
) -> list[LockOutcome]:
    """Resolve every chart; returns what each Chart.lock should be (nothing is written).

    ``chart_texts``: Chart.yaml texts to resolve instead of the files (per chart directory).

    Conservative (see :mod:`resolver.resolution.plan`): ``upgrade=True`` re-resolves everything like
    ``helm dependency update``; names (``"redis"``, ``"redis==17.3.2"``) re-resolve just those.
    """
    from resolver.registry.session import open_client
    from resolver.resolution.gather import load_charts, plan_charts, resolve_loaded
    from resolver.resolution.plan import check_upgrade, parse_upgrade

    wanted = parse_upgrade(upgrade)
    base = cwd or Path.cwd()
    repos = load_repositories(options.repository_config)
    loaded = load_charts(chart_dirs, repos, base, chart_texts)
    check_upgrade(wanted, [(item.chart.display_path, item.req) for item in loaded])
    loaded = plan_charts(loaded, wanted)
    async with open_client(options) as client:
        resolved, digests = await resolve_loaded(loaded, client, repos, options.timeout)
    outcomes = []
    moved: list[tuple[Loaded, Moved]] = []
    for item, entries in zip(loaded, resolved, strict=True):
        outcomes.append(_outcome(item, entries, digests))
        moved += [(item, m) for m in moved_tags(item.decisions or [], entries)]
    if moved:
        raise _moved_error(moved)
    return outcomes


def _moved_error(moved: Sequence[tuple[Loaded, Moved]]) -> InputError:
    """CL501, once per re-pushed tag, at the first one's ``digest:`` in Chart.lock."""
    first_item, first = moved[0]
    lock = first_item.lock
    assert lock is not None and first.decision.entry is not None
    mark = first.decision.entry.mark("digest")
    parts = []
    for item, m in moved:
        dep, entry = m.decision.dep, m.decision.entry
        assert entry is not None
        name = dep.alias or dep.name
        ref = f"{entry.repository}/{entry.name}:{entry.version}"
        chart = "" if item is first_item else f"{item.chart.display_path}: "
        parts.append(
            f"{chart}{name} {entry.version}: tag moved: locked {m.locked}, registry now "
            f"{m.current} ({ref})"
        )
    names = dict.fromkeys(m.decision.dep.alias or m.decision.dep.name for _, m in moved)
    flags = " ".join(f"--upgrade-package {name}" for name in names)
    return InputError(
        lock.display_path or str(lock.path),
        "CL501 tag-moved: "
        + "; ".join(parts)
        + f"; someone re-pushed {'the tag' if len(moved) == 1 else 'these tags'}, nothing was "
        "written: investigate, then accept the new "
        f"content with `chartlock lock {flags}`",
        line=mark.line if mark else None,
        column=mark.column if mark else None,
    )


def _outcome(
    item: Loaded, entries: list[Dependency], digests: dict[tuple[str, str, str], str]
) -> LockOutcome:
    chart = item.chart
    display = chart_display(chart)
    if chart.dependencies is None:
        return LockOutcome(chart.directory, display, "no dependencies")
    for entry in entries:
        key = (entry.repository, entry.name, entry.version)
        if key in digests:
            entry.extra["digest"] = digests[key]
    lock = item.lock
    _keep_signers(entries, lock)
    digest = hash_req(item.req, entries)
    old = lock.dependencies if lock is not None else None
    diff = changes(item.decisions or [], entries, old)
    if lock is not None and lock.digest == digest and _same_content_digests(lock, entries):
        return LockOutcome(chart.directory, display, "unchanged", digest, entries, lock.text, diff)
    text = dump_lock(entries, digest, go_rfc3339nano())
    status = "updated" if lock is not None else "created"
    return LockOutcome(chart.directory, display, status, digest, entries, text, diff)


def _keep_signers(entries: Sequence[Dependency], lock: Lock | None) -> None:
    """Carry ``signer:`` (recorded by ``lock --verify``) over to entries that lock the same
    content (name, repository, version and digest): a re-lock must not silently drop it."""
    if lock is None:
        return
    signed = {
        (d.name, d.repository, d.version, d.content_digest): d.extra["signer"]
        for d in lock.dependencies or []
        if isinstance(d.extra.get("signer"), str)
    }
    for entry in entries:
        signer = signed.get((entry.name, entry.repository, entry.version, entry.content_digest))
        if signer and entry.content_digest:
            entry.extra["signer"] = signer


def _same_content_digests(lock: Lock, entries: Sequence[Dependency]) -> bool:
    old = [d.content_digest for d in lock.dependencies or []]
    return old == [e.content_digest for e in entries]


def lock_path(chart_dir: Path) -> Path:
    """The lock file Helm reads for a chart (``requirements.lock`` for apiVersion v1 charts
    that have one), where ``lock`` writes."""
    for name in ("requirements.lock", "Chart.lock"):
        if (chart_dir / name).exists():
            return chart_dir / name
    # No lock yet: Helm's writeLock names it requirements.lock for an apiVersion v1 chart.
    from resolver.chart.loader import load_chart
    from resolver.errors import ChartlockError

    try:
        return chart_dir / load_chart(chart_dir / "Chart.yaml").lock_name
    except ChartlockError:
        return chart_dir / "Chart.lock"  # unreadable: loading the chart reports why


def read_locks(chart_dirs: Sequence[Path]) -> dict[Path, bytes | None]:
    """Each chart's lock bytes as they are now (``b""`` when there is none), to compare with
    when writing; ``None`` when unreadable (the write then says why)."""
    out: dict[Path, bytes | None] = {}
    for chart_dir in chart_dirs:
        path = lock_path(chart_dir)
        try:
            out[chart_dir] = b"" if path.is_symlink() or not path.exists() else path.read_bytes()
        except OSError:
            out[chart_dir] = None
    return out


def write_outcomes(
    outcomes: Sequence[LockOutcome], expected: Mapping[Path, bytes | None] | None = None
) -> list[LockOutcome]:
    """Write every changed lock, each atomically and as a compare-and-swap against
    ``expected[chart_dir]`` (the bytes read before resolving; by default, what is there now).

    A Ctrl-C meanwhile is handled once every lock is written: a run never stops between two
    charts' locks (:func:`resolver.util.interrupts.deferred`).
    """
    from resolver.util.interrupts import deferred

    with deferred():
        return [_write_outcome(outcome, expected) for outcome in outcomes]


def _write_outcome(
    outcome: LockOutcome, expected: Mapping[Path, bytes | None] | None
) -> LockOutcome:
    """``outcome`` once written (``unchanged`` when the file held those bytes already)."""
    if outcome.status in ("created", "updated"):
        path = lock_path(outcome.chart_dir)
        if expected is not None and outcome.chart_dir in expected:
            before = expected[outcome.chart_dir]
        else:
            before = read_locks([outcome.chart_dir])[outcome.chart_dir]
        if not write_lock(path, outcome.text, expected=before):
            return outcome.replace(status="unchanged")
    return outcome


@contextlib.contextmanager
def chart_locks(chart_dirs: Sequence[Path]) -> Iterator[None]:
    """Hold every chart directory's advisory lock (:func:`resolver.chart.lockfile.directory_lock`),
    taken in one global order so that two runs over overlapping charts cannot deadlock.

    A second ``chartlock lock`` on the same chart waits here, saying so, and then resolves
    against the lock the first one wrote, instead of both resolving at once and the second
    overwriting the first.
    """
    from resolver.chart.lockfile import directory_lock

    with contextlib.ExitStack() as stack:
        for chart_dir in sorted(set(chart_dirs), key=os.path.realpath):
            shown = display_path(chart_dir, Path.cwd())

            def waiting(shown: str = shown) -> None:
                import logging

                logging.getLogger("chartlock").warning(
                    "%s: another chartlock run is updating this chart; waiting for it to finish",
                    shown,
                )

            stack.enter_context(directory_lock(chart_dir, on_wait=waiting))
        yield


def lock_charts(
    chart_dirs: Sequence[Path],
    options: ClientOptions,
    *,
    check_only: bool = False,
    cwd: Path | None = None,
    upgrade: bool | Iterable[str] | Upgrade = False,
) -> list[LockOutcome]:
    """Resolve and (unless ``check_only``) write every chart's lock.

    Writing runs hold each chart's directory lock from before reading its Chart.lock until
    after writing it (:func:`chart_locks`), and write only if the file still holds the bytes
    read at the start (anything else that changed it meanwhile is reported, not overwritten).
    """
    from resolver.util.aio import run

    if check_only:
        outcomes = run(resolve_charts(chart_dirs, options, cwd=cwd, upgrade=upgrade))
        return [outcome.would_change() for outcome in outcomes]
    with chart_locks(chart_dirs):
        before = read_locks(chart_dirs)
        outcomes = run(resolve_charts(chart_dirs, options, cwd=cwd, upgrade=upgrade))
        return write_outcomes(outcomes, before)


__all__ = [
    "ClientOptions",
    "IndexEntry",
    "LockOutcome",
    "lock_charts",
    "resolve_charts",
]
