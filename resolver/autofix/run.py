"""The core of ``chartlock fix``: lint offline, look digests up, plan, edit, diff, write.

Nothing is written unless ``write`` is true; every file is written whole through
:func:`resolver.util.atomic.atomic_write` after its edits were verified by re-parsing
(:mod:`resolver.autofix.editor`); a file whose edits cannot be verified is left alone and reported.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from resolver.autofix.chartrepo import CHART_RULES, https_edits, repository_edits
from resolver.autofix.editor import EditRefused, ScalarEdit, edit_bytes
from resolver.autofix.lookup import ImageKey, Resolved
from resolver.autofix.plan import (
    REPORTED_RULES,
    PlannedEdit,
    Skipped,
    Target,
    find_targets,
    plan_edits,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.linter.config import Config
    from resolver.registry.options import ClientOptions

_VALUES_RE = re.compile(r"(values[^/]*|[^/]*values)\.ya?ml")


class FixResult:
    """What a run planned (``edits``), could not do (``skipped``), and the changed files.

    Not a record: a run fills it as it goes."""

    __slots__ = ("changes", "edits", "lookups", "relocked", "skipped", "written")

    def __init__(self) -> None:
        self.edits: list[PlannedEdit] = []
        self.skipped: list[Skipped] = []
        self.changes: dict[str, tuple[bytes, bytes]] = {}  # display -> old, new
        self.written: list[str] = []
        self.lookups = 0
        self.relocked: list[str] = []  # the charts re-locked after a fix

    def diff(self) -> str:
        """A unified diff of every change (``a/``/``b/`` paths, like ``git diff``)."""
        out: list[str] = []
        for display, (old, new) in sorted(self.changes.items()):
            old_lines = old.decode("utf-8", "replace").splitlines(keepends=True)
            new_lines = new.decode("utf-8", "replace").splitlines(keepends=True)
            for line in difflib.unified_diff(old_lines, new_lines, f"a/{display}", f"b/{display}"):
                out.append(
                    line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                )
        return "".join(out)


def is_values_file(display: str) -> bool:
    parts = display.split("/")
    return "templates" not in parts[:-1] and _VALUES_RE.fullmatch(parts[-1]) is not None


def fix(
    paths: Sequence[str | Path] = (".",),
    options: ClientOptions | None = None,
    *,
    config: Config | None = None,
    cwd: Path | None = None,
    write: bool = False,
    pin_app_version: bool = False,
    resolve_latest: bool = False,
    progress: TextIO | None = None,
) -> FixResult:
    """Plan (and with ``write``, make) the digest pins for the images under ``paths``.

    The library's ``resolver.fix(paths, options)``: returns a :class:`FixResult` whose
    ``edits`` are the planned :class:`~resolver.autofix.plan.PlannedEdit` s (``skipped``: the
    findings not fixed and why; ``diff()``: a unified diff); nothing is written unless
    ``write=True``; ``pin_app_version=True`` pins an empty tag to the chart's appVersion
    (``"<appVersion>@sha256:..."``, which stops appVersion from driving the tag);
    ``resolve_latest=True`` replaces ``latest`` by the highest released version tag with the
    same digest, pinned (``1.27.3@sha256:...``), and reports it when there is none.
    Without ``write``, a fixed Chart.yaml whose chart has a lock is resolved as fixed (online,
    nothing written) and the lock its re-lock would write joins ``changes`` (shown by
    ``diff()``). ``progress``: a stream (stderr) for a ``n/N images resolved`` line, shown
    only when it is a terminal and the run is long (:mod:`resolver.autofix.progress`).
    ``options`` is a :class:`resolver.ClientOptions` (``mirrors=`` maps registry hosts to
    mirrors). Raises :class:`resolver.ChartlockError` for a path that holds
    nothing to lint or a bad configuration.
    """
    from resolver.autofix.lookup import lookup
    from resolver.autofix.progress import Progress
    from resolver.autofix.templates import clear_cache, reads_key
    from resolver.commands.lint import lint
    from resolver.registry.options import ClientOptions

    base = Path(cwd or Path.cwd()).absolute()
    report = lint(paths, config, cwd=base)
    if report.errors:
        raise report.errors[0]
    by_file: dict[str, list[tuple[str, int, int, str]]] = {}
    for finding in report.findings:
        if finding.rule in REPORTED_RULES and is_values_file(finding.path):
            by_file.setdefault(finding.path, []).append(
                (finding.rule, finding.line, finding.column, finding.key)
            )
    result = FixResult()
    texts: dict[str, bytes] = {}
    targets: list[Target] = []
    for display, found in sorted(by_file.items()):
        data = (base / display).read_bytes()
        texts[display] = data
        text = data.decode("utf-8-sig", "replace")
        app_version = _app_version(base / display) if pin_app_version else ""
        for found_item in find_targets(display, text, found, app_version, resolve_latest):
            if isinstance(found_item, Skipped):
                result.skipped.append(found_item)
            else:
                targets.append(found_item)
    keys = {target.image for target in targets if not target.latest}
    latest = {target.image for target in targets if target.latest}
    shown = Progress(progress, len(keys) + len(latest))
    try:
        digests = asyncio.run(lookup(keys, options or ClientOptions(), shown.step)) if keys else {}
        result.lookups = len(digests)
        versions: dict[ImageKey, Resolved] = {}
        if latest:
            from resolver.autofix.lookup import resolve_latest as find_versions

            versions = asyncio.run(find_versions(latest, options or ClientOptions(), shown.step))
            result.lookups += len(versions)
    finally:
        shown.close()
    clear_cache()

    def chart_reads(display: str, key: str) -> bool:
        return reads_key(_chart_dir(base / display), key)

    plain = [target for target in targets if not target.latest]
    for item in [
        *plan_edits(plain, digests, chart_reads),
        *plan_edits([t for t in targets if t.latest], versions, chart_reads),
    ]:
        if isinstance(item, Skipped):
            result.skipped.append(item)
        else:
            result.edits.append(item)
    chart_files = sorted(
        {f.path for f in report.findings if f.rule in CHART_RULES and _is_chart_yaml(f.path)}
    )
    chart_rules = {(f.path, f.line): f.rule for f in report.findings if f.rule in CHART_RULES}
    for display in chart_files:
        data = texts[display] = (base / display).read_bytes()
        chart_text = data.decode("utf-8-sig", "replace")
        for scalar, name in repository_edits(chart_text):
            rule = chart_rules.get((display, scalar.line), "CL1xx")
            result.edits.append(_repository_edit(display, rule, scalar, name))
        for scalar, http_url in https_edits(chart_text):
            if chart_rules.get((display, scalar.line)) != "CL104":
                continue
            why = _same_index(http_url, scalar.new, options or ClientOptions())
            if why:
                result.skipped.append(Skipped(display, "CL104", scalar.line, scalar.column, why))
            else:
                result.edits.append(_repository_edit(display, "CL104", scalar, http_url))
    per_file: dict[str, list[PlannedEdit]] = {}
    for edit in result.edits:
        per_file.setdefault(edit.path, []).append(edit)
    for display, edits in sorted(per_file.items()):
        old = texts[display]
        try:
            new = edit_bytes(old, [edit.scalar_edit() for edit in edits])
        except EditRefused as exc:
            result.edits = [e for e in result.edits if e.path != display]
            result.skipped.extend(
                # Each finding at its own place; the reason names the edit that failed.
                Skipped(
                    display,
                    e.rule,
                    e.finding_line or e.line,
                    e.finding_column or e.column,
                    f"fix refused for this file: {exc.reason}"
                    + (f" (line {exc.line}, column {exc.column})" if exc.line else ""),
                )
                for e in edits
            )
            continue
        if new != old:
            result.changes[display] = (old, new)
    if write:
        from resolver.util.atomic import atomic_write

        for display, (_, new) in sorted(result.changes.items()):
            # through a symlink to its target: replacing the link by a file would cut it
            target = (base / display).resolve()
            atomic_write(target, new, target.stat().st_mode & 0o7777)
            result.written.append(display)
        relock = [d for d in result.written if _is_chart_yaml(d)]
        if relock:
            _relock(base, relock, options or ClientOptions(), result)
    else:
        previews = [d for d in result.changes if _is_chart_yaml(d)]
        if previews:
            _preview_locks(base, sorted(previews), options or ClientOptions(), result)
    return result


def _same_index(http_url: str, https_url: str, options: ClientOptions) -> str:
    """ "" when ``https_url`` serves the same index.yaml as ``http_url`` (the same charts,
    versions, URLs and digests), else why the ``http://`` repository is left. The https
    request trusts what ``--repository-config`` says for that URL (its caFile), as lock does."""
    from resolver.chart.repoconfig import load_repositories
    from resolver.errors import ChartlockError
    from resolver.resolution.indexrepo import fetch_indexes
    from resolver.util.aio import run

    repos = load_repositories(options.repository_config)
    try:
        indexes = run(fetch_indexes([http_url, https_url], repos, options.timeout))
    except ChartlockError as exc:
        return f"not changed to https://: {exc}"
    if indexes[http_url] != indexes[https_url]:
        return f"not changed to https://: {https_url} serves a different index.yaml"
    return ""


def _is_chart_yaml(display: str) -> bool:
    return display.rsplit("/", 1)[-1] == "Chart.yaml"


def _repository_edit(display: str, rule: str, scalar: ScalarEdit, name: str) -> PlannedEdit:
    return PlannedEdit(
        display,
        rule,
        scalar.line,
        scalar.column,
        scalar.old,
        scalar.new,
        image=name,
        digest="",
        how="repository",
        finding_line=scalar.line,
        finding_column=scalar.column,
    )


def _relock(base: Path, charts: Sequence[str], options: ClientOptions, result: FixResult) -> None:
    """Re-lock each fixed chart that has a lock: the lock records the repository verbatim
    (and helm refuses a lock whose digest no longer matches Chart.yaml). A chart whose lock
    cannot be made is reported (its Chart.yaml is fixed; ``chartlock lock`` says why)."""
    from resolver.commands.lock import lock_charts, lock_path
    from resolver.errors import ChartlockError

    for display in charts:
        chart_dir = (base / display).parent
        if not lock_path(chart_dir).is_file():
            continue
        try:
            lock_charts([chart_dir], options, cwd=base)
        except ChartlockError as exc:
            result.skipped.append(_relock_failed(display, exc))
            continue
        result.relocked.append(display)


def _preview_locks(
    base: Path, charts: Sequence[str], options: ClientOptions, result: FixResult
) -> None:
    """Without writing (``--diff``, ``--check``, the library): add to ``result.changes`` the
    lock each fixed chart's re-lock would write, resolved from the fixed Chart.yaml text, so a
    diff shows everything a real run writes. A lock that would stay as it is adds nothing; one
    that cannot be resolved is reported, as the real run reports it."""
    from resolver.commands.lock import lock_path, resolve_charts
    from resolver.errors import ChartlockError
    from resolver.util.aio import run

    for display in charts:
        chart_dir = (base / display).parent
        lock_file = lock_path(chart_dir)
        if not lock_file.is_file():
            continue
        new_text = result.changes[display][1].decode("utf-8-sig")
        try:
            [outcome] = run(
                resolve_charts([chart_dir], options, cwd=base, chart_texts={chart_dir: new_text})
            )
        except ChartlockError as exc:
            result.skipped.append(_relock_failed(display, exc))
            continue
        old = lock_file.read_bytes()
        new = outcome.text.encode("utf-8")
        if outcome.status in ("created", "updated") and new != old:
            lock_display = display[: -len("Chart.yaml")] + lock_file.name
            result.changes[lock_display] = (old, new)


def _chart_dir(values: Path) -> Path | None:
    """The chart a values file belongs to: its folder, or the chart above a ``ci/`` folder."""
    for folder in (values.parent, values.parent.parent):
        if (folder / "Chart.yaml").is_file():
            return folder
        if folder.name != "ci":
            break
    return None


def _app_version(values: Path) -> str:
    """The appVersion of the chart a values file belongs to ("" when none)."""
    import yaml

    chart = _chart_dir(values)
    if chart is None:
        return ""
    try:
        data = yaml.safe_load((chart / "Chart.yaml").read_text("utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    value = data.get("appVersion") if isinstance(data, dict) else None
    return str(value).strip() if isinstance(value, str | int | float) and str(value) else ""


def _relock_failed(display: str, exc: Exception) -> Skipped:
    """A chart whose lock could not be resolved again; ``failed`` when a registry could not be
    asked (the run could not look), not when it answered that no version fits."""
    from resolver.errors import RegistryError

    failed = isinstance(exc, RegistryError) and not exc.gone
    return Skipped(display, "CL1xx", 0, 0, f"re-lock failed: {exc}", failed=failed)
