"""Chart.lock rules (CL201-CL208): is the lock what ``helm dependency build`` will accept?

The pure core is :func:`check_chart`; ``chartlock check`` and the lint engine both call it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from resolver.chart.models import Chart, Dependency, Lock, Mark
from resolver.chart.pair import load_pair, position
from resolver.errors import InvalidConstraint, InvalidVersion
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
from resolver.linter.rules.chartfile import chart_arg
from resolver.linter.rules.meta import UNPARSEABLE_FILE
from resolver.registry.reference import DIGEST_RE

LOCK_MISSING = register(
    Rule(
        id="CL201",
        name="lock-missing",
        severity=Severity.ERROR,
        family="lock",
        summary="A chart with dependencies has no Chart.lock.",
        rationale="Without a lock every `helm dependency build` resolves the ranges again, so two "
        "builds of the same commit can ship different subcharts.",
        fix="run `chartlock lock <chart>` and commit Chart.lock",
        bad="Chart.yaml lists dependencies; Chart.lock does not exist",
        good="Chart.lock committed next to Chart.yaml",
    )
)
LOCK_OUT_OF_SYNC = register(
    Rule(
        id="CL202",
        name="lock-out-of-sync",
        severity=Severity.ERROR,
        family="lock",
        summary="Chart.lock's digest does not match Chart.yaml (Helm's HashReq).",
        rationale="`helm dependency build` recomputes the digest over the dependencies of "
        "Chart.yaml and the lock entries and refuses to build when they differ.",
        fix="run `chartlock lock <chart>` (or `helm dependency update`) and commit Chart.lock",
        bad="version: ~1.2 in Chart.yaml after the lock was written for ~1.1",
        good="Chart.lock regenerated after every change to dependencies",
    )
)
LOCK_VERSION_OUTSIDE_RANGE = register(
    Rule(
        id="CL203",
        name="lock-version-outside-range",
        severity=Severity.ERROR,
        family="lock",
        summary="A locked version is not allowed by the dependency's version range.",
        rationale="A hand-edited or stale lock pins a version the chart does not accept.",
        fix="run `chartlock lock <chart>`",
        bad="version: ~1.2.0 in Chart.yaml, version: 1.3.0 in Chart.lock",
        good="version: 1.2.7 in Chart.lock",
    )
)
LOCK_VERSION_NOT_EXACT = register(
    Rule(
        id="CL204",
        name="lock-version-not-exact",
        severity=Severity.ERROR,
        family="lock",
        summary="A locked version is a range or not a version at all.",
        rationale="A lock entry must name one version; a range is resolved again at build time.",
        fix="run `chartlock lock <chart>`",
        bad="version: ^1.2.0 in Chart.lock",
        good="version: 1.2.7 in Chart.lock",
    )
)
LOCK_DIGEST_MISSING = register(
    Rule(
        id="CL205",
        name="lock-digest-missing",
        severity=Severity.WARNING,
        family="lock",
        summary="A remote dependency in Chart.lock has no per-dependency `digest`.",
        rationale="Tags are mutable: without the manifest digest nobody can tell that a tag was "
        "re-pushed with other content. Helm ignores the extra key when reading.",
        fix="run `chartlock lock <chart>` to record digests",
        bad="- name: redis\n  version: 17.3.2",
        good="- digest: sha256:0f3a...\n  name: redis\n  version: 17.3.2",
    )
)
LOCK_DIGEST_MALFORMED = register(
    Rule(
        id="CL206",
        name="lock-digest-malformed",
        severity=Severity.ERROR,
        family="lock",
        summary="A per-dependency `digest` in Chart.lock is not `sha256:` and 64 hex digits.",
        rationale="A malformed digest cannot be verified and hides the real one.",
        fix="run `chartlock lock <chart>`",
        bad="digest: sha256:abc",
        good="digest: sha256:<64 lowercase hex digits>",
    )
)
LOCK_ENTRIES_MISMATCH = register(
    Rule(
        id="CL207",
        name="lock-entries-mismatch",
        severity=Severity.ERROR,
        family="lock",
        summary="Chart.lock entries do not line up with Chart.yaml dependencies.",
        rationale="Helm writes one lock entry per dependency, in order; a different count, name "
        "or repository means the lock belongs to another Chart.yaml.",
        fix="run `chartlock lock <chart>`",
        bad="Chart.yaml: redis, postgresql; Chart.lock: redis",
        good="one entry per dependency, same order",
    )
)
VENDORED_ARCHIVE_MISMATCH = register(
    Rule(
        id="CL208",
        name="vendored-archive-mismatch",
        severity=Severity.WARNING,
        family="lock",
        summary="An archive in charts/ is not the version Chart.lock pins.",
        rationale="Helm renders whatever is in charts/; a stale archive ships another version "
        "than the lock promises.",
        fix="run `chartlock pull <chart>` (or `helm dependency build`)",
        bad="charts/redis-17.0.0.tgz with redis 17.3.2 in Chart.lock",
        good="charts/redis-17.3.2.tgz",
    )
)


def _at(mark: Mark | None) -> tuple[int, int]:
    """Lint findings always point into the file they check: (1, 1) when a key has no mark."""
    return position(mark, (1, 1))


def _is_remote(dep: Dependency) -> bool:
    repo = dep.repository
    return bool(repo) and not repo.startswith("file://")


def _same_repository(chart_repo: str, lock_repo: str) -> bool:
    if chart_repo == lock_repo:
        return True
    # urlutil.Equal for http(s): a trailing slash does not matter.
    if chart_repo.startswith(("http://", "https://")):
        return chart_repo.rstrip("/") == lock_repo.rstrip("/")
    return False


def check_chart(
    chart: Chart,
    lock: Lock | None,
    *,
    repo_urls: Mapping[str, str] | None = None,
    vendored: Sequence[str] | None = None,
) -> list[Problem]:
    """Everything that makes ``lock`` unfit for ``chart``; pure (``vendored`` = charts/*.tgz)."""
    from resolver.chart.lockfile import hash_req, hash_v2_req, rewrite_repo_aliases

    deps = chart.dependencies
    chart_path = chart.display_path
    relock = f"run `chartlock lock {chart_arg(chart_path)}` and commit {chart.lock_name}"
    if lock is None:
        if not deps:
            return []
        mark = chart.marks.get("dependencies")
        line, col = _at(mark)
        return [
            Problem(
                LOCK_MISSING,
                f"{chart.name or chart_path} has {len(deps)} "
                f"{'dependency' if len(deps) == 1 else 'dependencies'} but no {chart.lock_name}",
                line=line,
                column=col,
                # requirements.yaml for an apiVersion v1 chart: the position is in that file
                path=mark.path if mark is not None and mark.path else chart_path,
                key="lock-missing",
                fix=relock,
            )
        ]
    lock_path = lock.display_path
    problems: list[Problem] = []
    locked = lock.dependencies or []
    rewritten = rewrite_repo_aliases(deps, lock.dependencies, repo_urls)
    req = rewritten or []
    expected = hash_req(rewritten, lock.dependencies)
    in_sync = expected == lock.digest
    if not in_sync and chart.api_version == "v1":
        # Helm 2 locks: Build falls back to HashV2Req over the dependencies as written.
        in_sync = hash_v2_req(deps) == lock.digest
    if not in_sync:
        line, col = _at(lock.marks.get("digest"))
        problems.append(
            Problem(
                LOCK_OUT_OF_SYNC,
                f"helm dependency build would fail: {chart.lock_name} is out of sync with "
                f"Chart.yaml (digest {lock.digest or '(none)'}, expected {expected})",
                line=line,
                column=col,
                path=lock_path,
                key="out-of-sync",
                fix=relock,
            )
        )
    if deps is None:
        return problems
    if len(locked) != len(req):
        line, col = _at(lock.marks.get("dependencies"))
        problems.append(
            Problem(
                LOCK_ENTRIES_MISMATCH,
                f"{chart.lock_name} has {len(locked)} entries but Chart.yaml has "
                f"{len(req)} dependencies",
                line=line,
                column=col,
                path=lock_path,
                key="count",
            )
        )
    for dep, entry in zip(req, locked, strict=False):
        problems.extend(_check_entry(dep, entry, lock_path))
    if vendored and any(name.endswith(".tgz") for name in vendored):
        problems.extend(_check_vendored(chart, locked, vendored, lock_path))
    return problems


def _check_entry(dep: Dependency, entry: Dependency, lock_path: str) -> Iterable[Problem]:
    line, col = _at(entry.mark("-"))
    if dep.name != entry.name:
        yield Problem(
            LOCK_ENTRIES_MISMATCH,
            f"lock entry {entry.index + 1} is {entry.name!r} but Chart.yaml dependency "
            f"{dep.index + 1} is {dep.name!r}",
            line=line,
            column=col,
            path=lock_path,
            key=f"name:{dep.index}",
        )
        return
    if not _same_repository(dep.repository, entry.repository):
        eline, ecol = _at(entry.mark("repository"))
        yield Problem(
            LOCK_ENTRIES_MISMATCH,
            f"{dep.name}: locked from {entry.repository!r} but Chart.yaml says {dep.repository!r}",
            line=eline,
            column=ecol,
            path=lock_path,
            key=f"repository:{dep.name}:{dep.index}",
        )
    yield from _check_version(dep, entry, lock_path)
    if _is_remote(dep):
        digest = entry.content_digest
        dline, dcol = _at(entry.mark("digest"))
        if "digest" not in entry.extra:
            yield Problem(
                LOCK_DIGEST_MISSING,
                f"{dep.name} {entry.version}: no per-dependency digest in the lock",
                line=line,
                column=col,
                path=lock_path,
                key=f"digest-missing:{dep.name}:{dep.index}",
            )
        elif digest is None or not DIGEST_RE.fullmatch(digest):
            shown = digest if digest is not None else repr(entry.extra.get("digest"))
            yield Problem(
                LOCK_DIGEST_MALFORMED,
                f"{dep.name} {entry.version}: digest {shown!r} is not sha256: and 64 hex digits",
                line=dline,
                column=dcol,
                path=lock_path,
                key=f"digest-malformed:{dep.name}:{dep.index}",
            )


def _check_version(dep: Dependency, entry: Dependency, lock_path: str) -> Iterable[Problem]:
    from resolver.semver import parse_constraint, parse_version

    vline, vcol = _at(entry.mark("version"))
    if not dep.repository:
        return  # charts/ directory dependency: Helm locks the constraint verbatim
    if entry.version == dep.version and dep.repository.startswith("oci://"):
        try:
            parse_version(dep.version)
            return  # OCI exact-version shortcut: the original string is the tag
        except InvalidVersion:
            pass
    try:
        version = parse_version(entry.version)
    except InvalidVersion:
        yield Problem(
            LOCK_VERSION_NOT_EXACT,
            f"{dep.name}: locked version {entry.version!r} is not an exact version",
            line=vline,
            column=vcol,
            path=lock_path,
            key=f"not-exact:{dep.name}:{dep.index}",
        )
        return
    try:
        constraint = parse_constraint(dep.version)
    except InvalidConstraint:
        return  # reported by the linter as CL102 on Chart.yaml
    if not constraint.allows(version):
        yield Problem(
            LOCK_VERSION_OUTSIDE_RANGE,
            f"{dep.name}: locked version {entry.version} is not allowed by {dep.version!r}",
            line=vline,
            column=vcol,
            path=lock_path,
            key=f"outside:{dep.name}:{dep.index}",
        )


def _check_vendored(
    chart: Chart, locked: Sequence[Dependency], vendored: Sequence[str], lock_path: str
) -> list[Problem]:
    from resolver.semver import parse_version

    problems: list[Problem] = []
    archives = set(vendored)
    charts_dir = (Path(chart.display_path).parent / "charts").as_posix()
    for entry in locked:
        if not entry.repository:
            continue
        wanted = f"{entry.name}-{entry.version}.tgz"
        if wanted in archives or f"{entry.name}/" in archives:
            continue  # archived, or unpacked as charts/<name>/ (helm: "unpacked")
        others = []
        for name in sorted(archives):
            if name.startswith(entry.name + "-") and name.endswith(".tgz"):
                suffix = name[len(entry.name) + 1 : -4]
                try:
                    parse_version(suffix)
                except InvalidVersion:
                    continue
                others.append(name)
        line, col = _at(entry.mark("version"))
        if others:
            message = (
                f"{charts_dir}/{others[0]} does not match the locked version {entry.version} "
                f"of {entry.name}"
            )
        else:
            message = f"{charts_dir}/{wanted} is missing (charts/ holds other archives)"
        problems.append(
            Problem(
                VENDORED_ARCHIVE_MISMATCH,
                message,
                line=line,
                column=col,
                path=lock_path,
                key=f"vendored:{entry.name}:{entry.index}",
            )
        )
    return problems


def vendored_archives(chart_dir: Path) -> list[str]:
    """The ``.tgz`` archives in ``charts/``, plus ``<name>/`` for each unpacked subchart there
    (helm's ``dependency list`` accepts ``charts/<dependency name>/`` as the dependency)."""
    try:
        return sorted(
            e.name if e.name.endswith(".tgz") else e.name + "/"
            for e in os.scandir(chart_dir / "charts")
            if (e.name.endswith(".tgz") and e.is_file())
            or (e.is_dir() and os.path.isfile(os.path.join(e.path, "Chart.yaml")))
        )
    except (FileNotFoundError, NotADirectoryError):
        return []


# The rules this module's checker reports; CL003 too: a Chart.lock that does not parse is
# found here (load_pair), so the checker runs while CL003 is enabled.
LOCK_RULES = (
    LOCK_MISSING,
    LOCK_OUT_OF_SYNC,
    LOCK_VERSION_OUTSIDE_RANGE,
    LOCK_VERSION_NOT_EXACT,
    LOCK_DIGEST_MISSING,
    LOCK_DIGEST_MALFORMED,
    LOCK_ENTRIES_MISMATCH,
    VENDORED_ARCHIVE_MISMATCH,
    UNPARSEABLE_FILE,
)


@checker(FileKind.LOCK, emits=LOCK_RULES)
def check_lock(target: LintTarget, options: CheckOptions) -> Iterable[Problem]:
    """Lint adapter: ``target.path`` is the chart's Chart.yaml."""
    from resolver.chart.repoconfig import repo_urls
    from resolver.linter.rules.chartfile import cached_chart

    # The chart rules parsed this Chart.yaml a moment ago (the engine checks a chart's lock
    # right after its Chart.yaml): only the lock is read here.
    chart, lock = load_pair(target.path, target.display, chart=cached_chart(target, target.path))
    urls = options.settings.get("repo_urls")
    if urls is None:
        urls = repo_urls()
    return check_chart(chart, lock, repo_urls=urls, vendored=vendored_archives(target.path.parent))
