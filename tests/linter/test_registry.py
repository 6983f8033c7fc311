"""The typed rule registry: rules referenced by their constants, checkers that declare the rules
they emit (and are skipped when all are off), built-in modules that must all load."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import resolver.linter.rules as rules_package
from resolver.linter.config import Config
from resolver.linter.findings import Severity
from resolver.linter.rules import (
    CHECKERS,
    EMITS,
    RULES,
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    UnregisteredRule,
    checker,
    load_builtin_rules,
    register,
)
from resolver.linter.rules.images import NOT_DIGEST_PINNED
from tests.linter.helpers import CHART, ROOT, run, write

TEST_RULE = Rule(
    id="ZTEST1",
    name="test-rule",
    severity=Severity.WARNING,
    family="custom",
    summary="A rule for the registry tests.",
    rationale="Tests need one.",
    fix="none",
)
OTHER_RULE = TEST_RULE.replace(id="ZTEST2", name="other-test-rule")


@pytest.fixture
def registry() -> Iterator[list[str]]:
    """Register TEST_RULE and OTHER_RULE; yields a log the test's checkers append to; removes
    every rule and checker the test added."""
    load_builtin_rules()  # before the test's own checkers, so every built-in runs first
    register(TEST_RULE)
    register(OTHER_RULE)
    calls: list[str] = []
    try:
        yield calls
    finally:
        for rule_id in ("ZTEST1", "ZTEST2"):
            RULES.pop(rule_id, None)
        for kind in FileKind:
            for func in CHECKERS[kind]:
                if func.__module__ == __name__:
                    EMITS.pop(func, None)
            CHECKERS[kind][:] = [f for f in CHECKERS[kind] if f.__module__ != __name__]


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return write(tmp_path, {"charts/app/Chart.yaml": CHART, "charts/app/values.yaml": "a: 1\n"})


def _values_checker(calls: list[str], *emits: Rule, reports: Rule | str = TEST_RULE) -> None:
    @checker(FileKind.VALUES, emits=emits)
    def counting(target: LintTarget, options: CheckOptions) -> Iterator[Problem]:
        calls.append(target.display)
        # An id string is the first plugin API: still accepted at run time, not by the types.
        yield Problem(reports, "found", line=1, column=1)  # type: ignore[arg-type]


def test_a_checker_whose_rules_are_all_disabled_is_not_called(
    registry: list[str], chart: Path
) -> None:
    _values_checker(registry, TEST_RULE, OTHER_RULE)
    report = run(chart, Config(ignore=("ZTEST",)))
    assert registry == []
    assert not report.errors


def test_a_checker_runs_while_one_of_its_rules_is_enabled(registry: list[str], chart: Path) -> None:
    _values_checker(registry, TEST_RULE, OTHER_RULE)
    report = run(chart, Config(ignore=("ZTEST2",)))
    assert registry == ["charts/app/values.yaml"]
    assert [(f.rule, f.path) for f in report.findings if f.rule.startswith("Z")] == [
        ("ZTEST1", "charts/app/values.yaml")
    ]


def test_select_alone_decides_too(registry: list[str], chart: Path) -> None:
    _values_checker(registry, TEST_RULE)
    run(chart, Config(select=("CL1",)))
    assert registry == []
    run(chart, Config(select=("ZTEST1",)))
    assert registry == ["charts/app/values.yaml"]


def test_a_checker_that_declares_nothing_always_runs(registry: list[str], chart: Path) -> None:
    # The first plugin API had no ``emits``: such a checker cannot be skipped safely.
    _values_checker(registry)
    report = run(chart, Config(ignore=("ZTEST",)))
    assert registry == ["charts/app/values.yaml"]
    assert [f for f in report.findings if f.rule.startswith("Z")] == []  # still filtered


def test_a_checker_must_declare_what_it_reports(registry: list[str], chart: Path) -> None:
    _values_checker(registry, OTHER_RULE, reports=TEST_RULE)
    report = run(chart)
    assert [str(e) for e in report.errors] == [
        f"checker {__name__}.counting reported ZTEST1, which it does not declare"
    ]
    assert [f for f in report.findings if f.rule.startswith("Z")] == []


def test_a_problem_naming_an_unknown_id_is_a_run_error(registry: list[str], chart: Path) -> None:
    _values_checker(registry, reports="ZNOPE9")
    report = run(chart)
    assert [str(e) for e in report.errors] == [
        f"checker {__name__}.counting reported unregistered rule 'ZNOPE9'"
    ]


def test_a_problem_with_an_unregistered_rule_object_is_a_run_error(
    registry: list[str], chart: Path
) -> None:
    ghost = TEST_RULE.replace(id="ZGHOST", name="ghost")
    _values_checker(registry, reports=ghost)
    report = run(chart)
    assert [str(e) for e in report.errors] == [
        f"checker {__name__}.counting reported unregistered rule 'ZGHOST'"
    ]


def test_emits_must_name_registered_rules(registry: list[str]) -> None:
    ghost = TEST_RULE.replace(id="ZGHOST", name="ghost")
    with pytest.raises(ValueError, match="checker emits ZGHOST, which is not registered"):
        checker(FileKind.VALUES, emits=(ghost,))


def test_problem_takes_the_rule_constant_or_a_registered_id() -> None:
    load_builtin_rules()
    assert Problem(NOT_DIGEST_PINNED, "m").rule is NOT_DIGEST_PINNED
    assert Problem("CL303", "m").rule is NOT_DIGEST_PINNED  # type: ignore[arg-type]
    with pytest.raises(UnregisteredRule, match="unregistered rule 'CL999'"):
        Problem("CL999", "m")  # type: ignore[arg-type]


def test_register_refuses_a_different_rule_under_a_taken_id(registry: list[str]) -> None:
    assert register(TEST_RULE.replace()) == TEST_RULE  # the same rule again is fine
    with pytest.raises(ValueError, match="rule id ZTEST1 is already registered as test-rule"):
        register(TEST_RULE.replace(name="renamed"))


def test_a_missing_builtin_rule_module_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    modules = (*rules_package.BUILTIN_MODULES, "no_such_family")
    monkeypatch.setattr(rules_package, "BUILTIN_MODULES", modules)
    with pytest.raises(ModuleNotFoundError, match="no_such_family"):
        load_builtin_rules()


def test_every_builtin_checker_declares_registered_rules() -> None:
    load_builtin_rules()
    builtin = [
        func
        for kind in FileKind
        for func in CHECKERS[kind]
        if func.__module__.startswith("resolver.linter.rules.")
    ]
    # Chart.yaml, policy, lock, values, values' digest keys (CL307), templates, CI
    assert len(builtin) == 7
    for func in builtin:
        declared = EMITS.get(func)
        assert declared, f"{func.__module__}.{func.__name__} declares no rules"
        assert all(RULES[rule.id] == rule for rule in declared)
    emitted = {rule.id for func in builtin for rule in EMITS[func]}
    # Every offline rule but the engine's own suppression rules comes from some checker.
    offline = {r.id for r in RULES.values() if not r.online and r.id.startswith("CL")}
    assert offline - emitted == {"CL001", "CL002"}


_LITERAL = re.compile(r"CL[0-9]{3}")
_SCOPE = [
    *sorted((ROOT / "resolver" / "linter").rglob("*.py")),
    ROOT / "resolver" / "commands" / "lint.py",
    ROOT / "resolver" / "commands" / "check.py",
]


def _rule_id_literals(path: Path, root: Path = ROOT) -> list[str]:
    """Every ``"CLxxx"`` string in ``path`` that is not the ``id=`` of a ``Rule(...)``."""
    tree = ast.parse(path.read_text("utf-8"))
    declared = {
        id(keyword.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Rule"
        for keyword in node.keywords
        if keyword.arg == "id"
    }
    return [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _LITERAL.fullmatch(node.value)
        and id(node) not in declared
    ]


def test_rules_are_referenced_by_their_constants() -> None:
    assert len(_SCOPE) > 20
    assert [hit for path in _SCOPE for hit in _rule_id_literals(path)] == []


def test_the_literal_scan_sees_a_literal(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('X = Rule(id="CL900")\nProblem("CL901", "m")\n', "utf-8")
    assert _rule_id_literals(sample, tmp_path) == ["sample.py:2: 'CL901'"]


# Modules that talk to the network or run programs: lint rules judge files, they fetch nothing.
_IO_MODULES = ("socket", "ssl", "http", "urllib.request", "subprocess", "asyncio", "httpx")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def _is_io(name: str) -> bool:
    return any(name == io or name.startswith(io + ".") for io in _IO_MODULES)


def test_rules_import_no_io_beyond_the_chart_package() -> None:
    modules = sorted((ROOT / "resolver" / "linter" / "rules").glob("*.py"))
    assert len(modules) >= 12
    wrong = [
        f"{path.name}: {name}"
        for path in modules
        for name in _imports(path)
        if _is_io(name)
        or (
            name.startswith("resolver.")
            and not name.startswith(("resolver.linter.", "resolver.chart.", "resolver.util."))
            and name not in ("resolver.errors", "resolver.semver", "resolver.registry.reference")
        )
    ]
    assert wrong == []


def test_the_io_scan_sees_an_io_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import urllib.parse\nfrom http.client import HTTPConnection\n", "utf-8")
    assert [name for name in _imports(sample) if _is_io(name)] == ["http.client"]
