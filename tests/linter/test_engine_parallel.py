"""The lint engine's units: per-chart work freed as it is done, each Chart.yaml parsed once,
a process pool for large trees with the same report as in-process, the collector paused."""

from __future__ import annotations

import concurrent.futures
import gc
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.errors import ChartlockError, InputError, UnreadableFile
from resolver.linter import checking, engine, parallel
from resolver.linter.config import Config
from resolver.linter.findings import Report
from resolver.linter.rules import CHECKERS, RULES, CheckOptions, FileKind, load_builtin_rules
from resolver.linter.targets import Walk
from tests.linter.helpers import CHART, write

LOCK = """
dependencies:
- name: redis
  repository: oci://registry-1.docker.io/bitnamicharts
  version: 17.3.0
digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
generated: "2024-01-01T00:00:00Z"
"""

VALUES = """
image:
  repository: nginx
  tag: latest
redis:
  image:
    repository: bitnami/redis
sidecar:
  image: busybox:1.36 # chartlock: ignore[CL303] pinned upstream
unused: 1 # chartlock: ignore[CL301]
worker:
  image: alpine:3.19
other:
  image:
    repository: bitnami/other
"""

PLUGIN = """
import gc
import os

from resolver.linter.rules import FileKind, Problem, Rule, Severity, checker, register

WHERE = register(Rule(id="ZPID1", name="where-checked", severity=Severity.INFO,
                      family="custom", summary="s", rationale="r", fix="f"))

@checker(FileKind.VALUES, emits=(WHERE,))
def where_checked(target, options):
    yield Problem(WHERE, f"pid={os.getpid()} gc={gc.isenabled()}", line=1, column=1)
"""


def _tree(base: Path, charts: int) -> Path:
    """``charts`` charts with findings, suppressions, and the odd broken file."""
    files: dict[str, str] = {}
    for i in range(charts):
        files[f"charts/c{i:03d}/Chart.yaml"] = CHART
        files[f"charts/c{i:03d}/Chart.lock"] = LOCK
        files[f"charts/c{i:03d}/values.yaml"] = VALUES
        files[f"charts/c{i:03d}/templates/deploy.yaml"] = "image: alpine\n"
    files["charts/c001/values-prod.yaml"] = "image: [unclosed\n"  # CL003
    if charts > 3:
        files["charts/c002/Chart.yaml"] = "name: [broken\n"  # CL003, its lock skipped
        files["charts/c003/Chart.lock"] = "dependencies: {\n"  # CL003 through the lock rules
    files[".github/workflows/ci.yaml"] = "steps:\n  - run: helm dependency build\n"
    if charts > 4:  # unreadable (a dangling symlink): an error, not a finding
        del files["charts/c004/Chart.yaml"]
    write(base, files)
    if charts > 4:
        os.symlink("nowhere.yaml", base / "charts/c004/Chart.yaml")
    return base


def _lint(base: Path, jobs: int | None, config: Config | None = None) -> Report:
    return engine.run_lint(["."], config or Config(), base, jobs=jobs)


def _summary(report: Report) -> tuple[object, ...]:
    return (
        [(f.rule, f.path, f.line, f.column, f.message, f.severity, f.fix) for f in report.findings],
        [(type(e).__name__, str(e)) for e in report.errors],
        report.charts_checked,
        report.files_checked,
    )


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "POOL_THRESHOLD", 4)
    monkeypatch.delenv(parallel.JOBS_ENV, raising=False)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    write(tmp_path / "plugins", {"zpid_rules.py": PLUGIN})
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    yield Config(select=("ZPID",), plugins=("zpid_rules",))
    RULES.pop("ZPID1", None)
    for kind in FileKind:
        CHECKERS[kind][:] = [c for c in CHECKERS[kind] if c.__module__ != "zpid_rules"]
    sys.modules.pop("zpid_rules", None)


def _pids(report: Report) -> set[int]:
    return {int(f.message.split()[0].removeprefix("pid=")) for f in report.findings}


needs_two_cores = pytest.mark.skipif(
    parallel.usable_cores() < 2, reason="a pool needs two usable cores"
)


@needs_two_cores
def test_the_pool_gives_the_same_report_as_in_process(tmp_path: Path, low_threshold: None) -> None:
    base = _tree(tmp_path, 12)
    alone = _lint(base, jobs=1)
    pooled = _lint(base, jobs=2)
    assert _summary(pooled) == _summary(alone)
    rules = {f.rule for f in alone.findings}
    # The tree exercises what crosses the process boundary: findings, suppressions used and
    # unused (CL002), CL003 from a read, a values parse and a checker, and an error.
    assert {"CL003", "CL002", "CL301", "CL302", "CL303"} <= rules
    assert ("CL303", "charts/c000/values.yaml", 8) not in {
        (f.rule, f.path, f.line) for f in alone.findings
    }
    assert [type(e) for e in alone.errors] == [UnreadableFile]
    assert alone.charts_checked == 11


@needs_two_cores
def test_plugins_run_in_the_workers(tmp_path: Path, low_threshold: None, plugin: Config) -> None:
    base = _tree(tmp_path / "tree", 12)
    report = _lint(base, jobs=2, config=plugin)
    assert len(report.findings) == 12  # each values.yaml (values-prod.yaml does not parse)
    assert os.getpid() not in _pids(report)
    # The collector stays off in the workers too (they are forked from the paused parent).
    assert {f.message.split()[1] for f in report.findings} == {"gc=False"}


@needs_two_cores
def test_plugins_run_in_spawned_workers(
    tmp_path: Path, low_threshold: None, plugin: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A multi-threaded parent spawns its workers (resolver.linter.parallel): they start
    without the plugin and import it themselves."""
    import multiprocessing

    base = _tree(tmp_path / "tree", 12)
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    report = _lint(base, jobs=2, config=plugin)
    assert len(report.findings) == 12
    assert os.getpid() not in _pids(report)
    assert {f.message.split()[1] for f in report.findings} == {"gc=False"}


def test_chartlock_jobs_1_lints_in_process(
    tmp_path: Path, low_threshold: None, plugin: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _tree(tmp_path / "tree", 12)
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    assert _pids(_lint(base, jobs=None, config=plugin)) == {os.getpid()}


def test_small_trees_lint_in_process(tmp_path: Path, plugin: Config) -> None:
    base = _tree(tmp_path / "tree", 3)  # below the default threshold
    assert _pids(_lint(base, jobs=2, config=plugin)) == {os.getpid()}


def test_no_processes_falls_back_to_in_process(
    tmp_path: Path, low_threshold: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _tree(tmp_path, 12)
    expected = _summary(_lint(base, jobs=1))

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")  # no POSIX semaphores (sandboxes)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    assert _summary(_lint(base, jobs=2)) == expected


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_for_the_run_and_restored(
    tmp_path: Path, plugin: Config, enabled: bool
) -> None:
    base = _tree(tmp_path / "tree", 2)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        report = _lint(base, jobs=1, config=plugin)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert {f.message.split()[1] for f in report.findings} == {"gc=False"}


def test_the_collector_is_restored_when_the_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _tree(tmp_path, 2)

    def interrupted(*args: object) -> None:
        assert not gc.isenabled()
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "check_unit", interrupted)
    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        _lint(base, jobs=1)
    assert gc.isenabled()


def _units(base: Path) -> list[list[checking.UnitItem]]:
    load_builtin_rules()
    walk = Walk(base, Config())
    walk.path_arg(".")
    return list(checking.units_of(walk.targets, set(walk.charts)))


def test_units_are_the_files_of_one_chart_in_walking_order(tmp_path: Path) -> None:
    base = _tree(tmp_path, 2)
    units = _units(base)
    shown = [[(t.display, t.kind.value, counted) for t, counted in unit] for unit in units]
    assert shown == [
        [(".github/workflows/ci.yaml", "ci", False)],
        [
            ("charts/c000/Chart.yaml", "chart", True),
            ("charts/c000/Chart.yaml", "lock", False),
            ("charts/c000/values.yaml", "values", False),
            ("charts/c000/templates/deploy.yaml", "template", False),
        ],
        [
            ("charts/c001/Chart.yaml", "chart", True),
            ("charts/c001/Chart.yaml", "lock", False),
            ("charts/c001/values-prod.yaml", "values", False),
            ("charts/c001/values.yaml", "values", False),
            ("charts/c001/templates/deploy.yaml", "template", False),
        ],
    ]


def test_a_unit_keeps_no_text_or_tree(tmp_path: Path) -> None:
    base = _tree(tmp_path, 1)
    unit = _units(base)[1]
    context = checking.LintContext(base, Config(), CheckOptions())
    result = checking.check_unit(context, unit)
    assert result.findings and result.files == 4
    # The walked targets are left as they were: no text, nothing cached (the trees died
    # with the unit; before, every target's cache kept its tree until the end of the run).
    assert all(t.text == "" and not t.cache and not t.chart_cache for t, _ in unit)
    assert set(result.directives) == {
        "charts/c000/Chart.yaml",
        "charts/c000/Chart.lock",
        "charts/c000/values.yaml",
        "charts/c000/templates/deploy.yaml",
    }
    assert [s.line for s in result.directives["charts/c000/values.yaml"]] == [8, 9]
    assert result.directives["charts/c000/Chart.yaml"] == []
    # What travels back from a worker pickles.
    again = pickle.loads(pickle.dumps(result))
    assert again.findings == result.findings and again.directives == result.directives


def test_each_chart_yaml_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolver.chart import loader

    base = _tree(tmp_path, 6)
    parsed: list[str] = []
    real = loader.parse_chart

    def counting(text: str, path: Path, display: str) -> object:
        parsed.append(display)
        return real(text, path, display)

    monkeypatch.setattr(loader, "parse_chart", counting)
    report = _lint(base, jobs=1)
    # chart rules, lock rules and the image rules' subchart keys (redis) share one parse
    # (c002's fails, once; c004's cannot be read)
    assert sorted(parsed) == [f"charts/c{i:03d}/Chart.yaml" for i in range(6) if i != 4]
    redis = [f for f in report.findings if f.path == "charts/c000/values.yaml"]
    # `redis:` is a subchart key (from the shared parse): only `other:`'s image is reported
    assert [f.line for f in redis if f.rule == "CL302"] == [14]


@pytest.mark.parametrize(
    "error",
    [
        UnreadableFile("a/values.yaml", "is a dangling symlink"),
        InputError("a/Chart.yaml", "bad", line=3, column=4),
        ChartlockError("checker x reported y"),
    ],
)
def test_errors_cross_the_process_boundary(error: ChartlockError) -> None:
    portable = pickle.loads(pickle.dumps(checking.PortableError.of(error, dedupe=True)))
    back = portable.error()
    assert type(back) is type(error) and str(back) == str(error) and portable.dedupe
