"""``chartlock lock``: load charts, gather every network fact at once, resolve, write.

All charts and all their dependencies are resolved together: each OCI repository's tags are
listed once per run, each https index is fetched once, each (repository, tag) digest is asked
for once with ``HEAD``, all concurrently. Nothing is written until everything has resolved, and
each Chart.lock is replaced atomically (and only when its content changes).

Locking is conservative (:mod:`resolver.resolution.plan`): a dependency keeps its locked version
while its range allows it; ``upgrade`` re-resolves everything (``helm dependency update``) or
the named dependencies. A kept tag whose content changed in the registry fails the run (CL501).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from resolver.chart.discovery import display_path
from resolver.chart.lockfile import (
    dump_lock,
    go_rfc3339nano,
    hash_req,
    repo_alias_name,
    write_lock,
)
from resolver.chart.models import Chart, Dependency, Lock
from resolver.chart.repoconfig import RepoEntry, load_repositories
from resolver.errors import InputError, RegistryError, ResolveError
from resolver.linter.rules.lock import load_pair
from resolver.resolution.pick import (
    Facts,
    IndexEntry,
    is_oci,
    oci_key,
    oci_pick,
    oci_tag,
    plan,
    unusable_repository,
    where,
)
from resolver.resolution.plan import (
    Change,
    Decision,
    Moved,
    Upgrade,
    changes,
    check_upgrade,
    facts_needed,
    moved_tags,
    parse_upgrade,
    plan_lock,
    resolve_planned,
)
from resolver.util.records import Struct


class ClientOptions(Struct):
    """Registry/transport options (Helm's flags)."""

    __slots__ = (
        "plain_http",
        "insecure_skip_tls_verify",
        "ca_file",
        "cert_file",
        "key_file",
        "timeout",
        "username",
        "password",
        "repository_config",
        "max_per_host",
        "mirrors",
    )

    def __init__(
        self,
        plain_http: bool = False,
        insecure_skip_tls_verify: bool = False,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        timeout: float = 30.0,
        username: str | None = None,
        password: str | None = None,
        repository_config: str | None = None,
        max_per_host: int = 32,
        mirrors: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.plain_http = plain_http
        self.insecure_skip_tls_verify = insecure_skip_tls_verify
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file
        self.timeout = timeout
        self.username = username
        self.password = password
        self.repository_config = repository_config
        self.max_per_host = max_per_host
        self.mirrors = mirrors  # ((host, mirror URL), ...): resolver.registry.mirrors

    def __repr__(self) -> str:  # the password is never shown
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name != "password"
        )
        return f"ClientOptions({shown})"


class Loaded(Struct):
    __slots__ = ("chart", "lock", "req", "decisions")

    def __init__(
        self,
        chart: Chart,
        lock: Lock | None,
        req: list[Dependency],
        decisions: list[Decision] | None = None,
    ) -> None:
        self.chart = chart
        self.lock = lock
        self.req = req  # dependencies after the @name rewrite (what Helm hashes)
        # What to keep and what to resolve (None: resolve everything, like Helm)
        self.decisions = decisions

    @property
    def wanted(self) -> list[Dependency]:
        """The dependencies whose facts must be gathered (kept OCI ones as exact versions)."""
        return self.req if self.decisions is None else facts_needed(self.decisions)


class LockOutcome(Struct):
    __slots__ = ("chart_dir", "display", "status", "digest", "entries", "text", "changes")

    def __init__(
        self,
        chart_dir: Path,
        display: str,
        status: str,
        digest: str = "",
        entries: list[Dependency] | None = None,
        text: str = "",
        changes: list[Change] | None = None,
    ) -> None:
        self.chart_dir = chart_dir
        self.display = display
        # "created" | "updated" | "unchanged" | "would change" | "no dependencies"
        self.status = status
        self.digest = digest
        self.entries: list[Dependency] = entries if entries is not None else []
        self.text = text
        # What differs from the Chart.lock on disk (lockplan.Change), in Chart.yaml order
        self.changes: list[Change] = changes if changes is not None else []


def load_charts(chart_dirs: Sequence[Path], repos: Sequence[RepoEntry], cwd: Path) -> list[Loaded]:
    """Load every chart and rewrite ``@name``/``alias:name`` repositories like Helm."""
    urls: dict[str, str] = {}
    for entry in repos:
        urls.setdefault(entry.name, entry.url)
    out = []
    for chart_dir in chart_dirs:
        chart_yaml = chart_dir / "Chart.yaml"
        chart, lock = load_pair(chart_yaml, display_path(chart_yaml, cwd))
        req = []
        for dep in chart.dependencies or []:
            name = repo_alias_name(dep.repository)
            if name is not None:
                if name not in urls:
                    raise ResolveError(
                        f"{where(dep, 'repository', chart.display_path)}no repository "
                        f"definition for {dep.repository}. Please add it via 'helm repo add'"
                    )
                dep = dep.replace(repository=urls[name])
            refused = unusable_repository(dep.repository) if dep.repository else None
            if refused is not None:
                raise ResolveError(f"{where(dep, 'repository', chart.display_path)}{refused}")
            req.append(dep)
        out.append(Loaded(chart, lock, req))
    return out


def _local_version(chart_dir: Path, repository: str) -> str | None:
    from resolver.chart.loader import load_chart

    path = repository[len("file://") :]
    target = Path(path) if path.startswith("/") else chart_dir / path
    if not (target / "Chart.yaml").is_file():
        return None
    return load_chart(target / "Chart.yaml").version


class DigestFetcher:
    """Manifest digests by ``HEAD``, each fetched once, started as early as it is known.

    A dependency's digest is fetched as soon as its version is known: at once for an exact
    version, when its own tag list arrives for a range (the lock is still resolved as a whole,
    afterwards). The critical path is then one dependency's list-then-HEAD, not the slowest
    list plus the slowest HEAD. Errors surface only where a digest is awaited.
    """

    def __init__(self, client: object) -> None:
        self.client = client
        self.tasks: dict[tuple[str, str, str], asyncio.Task[str]] = {}

    def start(self, repository: str, name: str, version: str) -> None:
        key = (repository, name, version)
        if key not in self.tasks:
            task = asyncio.ensure_future(self._head(key))
            task.add_done_callback(_consume)
            self.tasks[key] = task

    async def get(self, key: tuple[str, str, str]) -> str:
        self.start(*key)
        return await self.tasks[key]

    def cancel(self) -> None:
        for task in self.tasks.values():
            task.cancel()

    async def aclose(self) -> None:
        """Cancel the digests nobody awaited and wait for them (none outlives the run)."""
        from resolver.util.aio import cancel_and_wait

        await cancel_and_wait(self.tasks.values())

    async def _head(self, key: tuple[str, str, str]) -> str:
        from resolver.registry.client import RegistryClient
        from resolver.registry.reference import oci_chart_repository

        assert isinstance(self.client, RegistryClient)
        repository, name, version = key
        repo = oci_chart_repository(repository, name)
        info = await self.client.head_manifest(repo, oci_tag(version))
        return info.digest


def _consume(task: asyncio.Task[str]) -> None:
    """Mark a failure as retrieved: it is raised again where (and if) the digest is awaited."""
    if not task.cancelled():
        task.exception()


async def gather_facts(
    loaded: Sequence[Loaded],
    client: object,
    repos: Sequence[RepoEntry],
    options: ClientOptions,
    digests: DigestFetcher | None = None,
) -> Facts:
    """Fetch every tag list and index the charts need, once each, concurrently (and, with
    ``digests``, start each OCI dependency's digest as soon as its version is known)."""
    from resolver.registry.client import RegistryClient
    from resolver.registry.reference import oci_chart_repository
    from resolver.resolution.indexrepo import fetch_indexes

    assert isinstance(client, RegistryClient)
    facts = Facts()
    lists: dict[str, Dependency] = {}
    users: dict[str, list[Dependency]] = {}
    index_urls: set[str] = set()
    for item in loaded:
        wanted = item.wanted
        p = plan(wanted)
        for dep in wanted:
            if not is_oci(dep.repository):
                continue
            key = oci_key(dep.repository, dep.name)
            if key in p.oci_lists:
                lists.setdefault(key, dep)
                users.setdefault(key, []).append(dep)
            elif digests is not None:
                digests.start(dep.repository, dep.name, dep.version)
        index_urls |= p.index_urls
        chart_dir = item.chart.directory
        for repo_url in p.local_repos:
            facts.local[repo_url] = _local_version(chart_dir, repo_url)
        for name in p.vendored:
            sub = chart_dir / "charts" / name / "Chart.yaml"
            facts.vendored[name] = (
                _local_version(chart_dir, f"file://charts/{name}") if (sub.is_file()) else None
            )

    async def list_one(key: str, dep: Dependency) -> None:
        repo = oci_chart_repository(dep.repository, dep.name)
        facts.tags[key] = tags = await client.list_tags(repo)
        if digests is not None:
            for user in users[key]:
                version = oci_pick(user, tags)
                if version is not None:
                    digests.start(user.repository, user.name, version)

    from resolver.util.aio import gather

    tasks = [list_one(k, d) for k, d in lists.items()]
    index_task = fetch_indexes(sorted(index_urls), repos, options)
    indexes, *_ = await gather(index_task, *tasks)
    assert isinstance(indexes, dict)
    facts.indexes.update(indexes)
    return facts


async def fetch_digests(
    entries: Sequence[Dependency], client: object, digests: DigestFetcher | None = None
) -> dict[tuple[str, str, str], str]:
    """Manifest digests (HEAD) for every OCI lock entry, deduplicated, concurrently."""
    fetcher = digests if digests is not None else DigestFetcher(client)
    wanted = {(e.repository, e.name, e.version) for e in entries if is_oci(e.repository)}
    keys = sorted(wanted)
    from resolver.util.aio import gather

    values = await gather(*(fetcher.get(k) for k in keys))
    return dict(zip(keys, values, strict=True))


def make_client(options: ClientOptions) -> object:
    from resolver.registry.session import open_client

    return open_client(options)


async def resolve_charts(
    chart_dirs: Sequence[Path],
    options: ClientOptions,
    *,
    cwd: Path | None = None,
    upgrade: bool | Iterable[str] | Upgrade = False,
) -> list[LockOutcome]:
    """Resolve every chart; returns what each Chart.lock should be (nothing is written).

    Conservative (see :mod:`resolver.resolution.plan`): ``upgrade=True`` re-resolves everything like
    ``helm dependency update``; names (``"redis"``, ``"redis==17.3.2"``) re-resolve just those.
    """
    from resolver.registry.client import RegistryClient

    wanted = parse_upgrade(upgrade)
    base = cwd or Path.cwd()
    repos = load_repositories(options.repository_config)
    loaded = load_charts(chart_dirs, repos, base)
    check_upgrade(wanted, [(item.chart.display_path, item.req) for item in loaded])
    for item in loaded:
        old = item.lock.dependencies if item.lock is not None else None
        item.decisions = plan_lock(item.req, old, wanted)
    client = make_client(options)
    assert isinstance(client, RegistryClient)
    async with client:
        fetcher = DigestFetcher(client)
        try:
            facts = await gather_facts(loaded, client, repos, options, fetcher)
            resolved = [
                resolve_planned(item.decisions or [], facts, chart=item.chart.display_path)
                if item.chart.dependencies is not None
                else []
                for item in loaded
            ]
            all_entries = [e for entries in resolved for e in entries]
            digests = await _fetch_explained(loaded, resolved, all_entries, client, fetcher)
        except RegistryError as exc:
            raise _located(exc, loaded) from None
        finally:
            await fetcher.aclose()
    outcomes = []
    moved: list[tuple[Loaded, Moved]] = []
    for item, entries in zip(loaded, resolved, strict=True):
        outcomes.append(_outcome(item, entries, digests))
        moved += [(item, m) for m in moved_tags(item.decisions or [], entries)]
    if moved:
        raise _moved_error(moved)
    return outcomes


def _located(exc: RegistryError, loaded: Sequence[Loaded]) -> RegistryError:
    """``exc`` prefixed with the Chart.yaml position of the dependency it is about: one whose
    reference is itself invalid; else the first in that registry repository (for a missing tag
    its version, preferring the dependency that asked for that exact tag; else its
    repository), so that in a monorepo the error says which line to fix. Errors about a whole
    registry stay as they are."""
    import copy

    from resolver.registry.reference import oci_chart_repository

    matches: list[tuple[Dependency, str]] = []
    for item in loaded:
        for dep in item.req:
            if not is_oci(dep.repository):
                continue
            try:
                repo = oci_chart_repository(dep.repository, dep.name)
            except RegistryError as invalid:
                if str(invalid) == str(exc):  # this dependency's reference is the problem
                    located = copy.copy(exc)
                    located.args = (f"{where(dep, 'repository', item.chart.display_path)}{exc}",)
                    return located
                continue
            if exc.repository and (repo.registry, repo.path) == (exc.registry, exc.repository):
                matches.append((dep, item.chart.display_path))
    if not matches:
        return exc
    dep, display = matches[0]
    key = "repository"
    if exc.code == "MANIFEST_UNKNOWN":
        key = "version"
        # The dependency that asked for the missing tag, when its version is that tag.
        for candidate, candidate_display in matches:
            if f": tag {oci_tag(candidate.version)} does not exist" in str(exc):
                dep, display = candidate, candidate_display
                break
    located = copy.copy(exc)
    located.args = (f"{where(dep, key, display)}{exc}",)
    return located


async def _fetch_explained(
    loaded: Sequence[Loaded],
    resolved: Sequence[list[Dependency]],
    entries: Sequence[Dependency],
    client: object,
    fetcher: DigestFetcher,
) -> dict[tuple[str, str, str], str]:
    """:func:`fetch_digests`; a kept version whose tag is gone says so (CL503), with the way
    out, instead of the registry's bare "does not exist"."""
    try:
        return await fetch_digests(entries, client, fetcher)
    except RegistryError as exc:
        if not (exc.status == 404 or exc.code in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")):
            raise
        for item, chart_entries in zip(loaded, resolved, strict=True):
            for decision, entry in zip(item.decisions or [], chart_entries, strict=True):
                if decision.action != "keep" or not is_oci(entry.repository):
                    continue
                task = fetcher.tasks.get((entry.repository, entry.name, entry.version))
                if task is None or not task.done() or task.cancelled():
                    continue
                if task.exception() is None:
                    continue
                name = decision.dep.alias or decision.dep.name
                raise ResolveError(
                    f"{item.chart.display_path}: dependency {name!r}: the locked version "
                    f"{entry.version} is gone from {entry.repository}/{entry.name} (CL503 "
                    f"locked-version-gone); run `chartlock lock --upgrade-package {name}` to "
                    "pick an existing version"
                ) from None
        raise


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
    display = Path(chart.display_path).parent.as_posix() or "."
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
) -> None:
    """Write every changed lock, each atomically and as a compare-and-swap against
    ``expected[chart_dir]`` (the bytes read before resolving; by default, what is there now).

    A Ctrl-C meanwhile is handled once every lock is written: a run never stops between two
    charts' locks (:func:`resolver.util.interrupts.deferred`).
    """
    from resolver.util.interrupts import deferred

    with deferred():
        _write_outcomes(outcomes, expected)


def _write_outcomes(
    outcomes: Sequence[LockOutcome], expected: Mapping[Path, bytes | None] | None
) -> None:
    for outcome in outcomes:
        if outcome.status not in ("created", "updated"):
            continue
        path = lock_path(outcome.chart_dir)
        if expected is not None and outcome.chart_dir in expected:
            before = expected[outcome.chart_dir]
        else:
            before = read_locks([outcome.chart_dir])[outcome.chart_dir]
        if not write_lock(path, outcome.text, expected=before):
            outcome.status = "unchanged"


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
        for outcome in outcomes:
            if outcome.status in ("created", "updated"):
                outcome.status = "would change"
        return outcomes
    with chart_locks(chart_dirs):
        before = read_locks(chart_dirs)
        outcomes = run(resolve_charts(chart_dirs, options, cwd=cwd, upgrade=upgrade))
        write_outcomes(outcomes, before)
    return outcomes


__all__ = [
    "ClientOptions",
    "IndexEntry",
    "LockOutcome",
    "lock_charts",
    "resolve_charts",
]
