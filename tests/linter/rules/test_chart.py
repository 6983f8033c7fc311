"""Chart.yaml rules CL101-CL114 and CL601.

A positive fixture (fixtures/lint/chart/bad) has every problem at a known line and column; a
negative one (fixtures/lint/chart/clean) holds the near misses."""

from __future__ import annotations

import pytest

from resolver.commands.lint import lint
from resolver.linter.config import Config
from resolver.linter.findings import Severity
from resolver.linter.rules.policy import registry_allowed
from tests.linter.helpers import FIXTURES, ROOT, run, where, write

BAD = "fixtures/lint/chart/bad/Chart.yaml"
EXPECTED = [
    ("CL101", 5, 5),
    ("CL102", 8, 14),
    ("CL103", 11, 14),
    ("CL104", 15, 17),
    ("CL105", 18, 17),
    ("CL106", 21, 17),
    ("CL107", 24, 17),
    ("CL108", 27, 17),
    ("CL109", 30, 17),
    ("CL110", 33, 17),
    ("CL111", 34, 11),
    ("CL112", 37, 11),
    ("CL113", 40, 5),
    ("CL114", 43, 14),
    ("CL115", 47, 17),
    ("CL116", 50, 17),
]


@pytest.fixture(scope="module")
def bad_findings() -> dict[str, list[tuple[str, str, int, int]]]:
    report = lint([FIXTURES / "chart" / "bad"], Config(select=("CL1",)), cwd=ROOT)
    assert not report.errors
    out: dict[str, list[tuple[str, str, int, int]]] = {}
    for f in report.findings:
        out.setdefault(f.rule, []).append((f.rule, f.path, f.line, f.column))
    return out


@pytest.mark.parametrize(("rule", "line", "column"), EXPECTED)
def test_positive(
    bad_findings: dict[str, list[tuple[str, str, int, int]]], rule: str, line: int, column: int
) -> None:
    assert (rule, BAD, line, column) in bad_findings[rule]


@pytest.mark.parametrize("rule", [r for r, _, _ in EXPECTED] + ["CL601"])
def test_negative(rule: str) -> None:
    config = Config(
        select=(rule,),
        allowed_registries=(
            "registry-1.docker.io",
            "ghcr.io/org",
            "ghcr.io/hopps-app",
            "localhost:5000",
        ),
    )
    report = lint([FIXTURES / "chart" / "clean"], config, cwd=ROOT)
    assert report.findings == []
    # The vendored charts/common is linted, but part of its umbrella: not a chart of its own.
    assert report.charts_checked == 1


def test_messages_name_the_value_and_fix_names_the_command() -> None:
    report = lint([FIXTURES / "chart" / "bad"], Config(select=("CL103", "CL114")), cwd=ROOT)
    partial = next(f for f in report.findings if f.rule == "CL103")
    assert "'1.6'" in partial.message
    assert partial.fix.startswith("write `version: 1.6.0`")
    assert "chartlock lock fixtures/lint/chart/bad" in partial.fix
    assert partial.severity is Severity.WARNING
    unbounded = next(f for f in report.findings if f.rule == "CL114")
    assert "'>=1.0.0'" in unbounded.message


def test_cl601_registry_not_allowed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path,
        {
            "Chart.yaml": """
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - name: redis
            version: 17.3.2
            repository: oci://docker.io/bitnamicharts
          - name: mine
            version: 1.0.0
            repository: oci://ghcr.io/myorg/charts
    """
        },
    )
    report = run(tmp_path, Config(select=("CL601",), allowed_registries=("ghcr.io/myorg",)))
    assert where(report.findings) == [("CL601", "Chart.yaml", 7, 17)]
    assert "'docker.io'" in report.findings[0].message


@pytest.mark.parametrize(
    ("host", "path", "allowed", "ok"),
    [
        ("ghcr.io", "org/x", [], True),
        ("ghcr.io", "org/x", ["ghcr.io"], True),
        ("GHCR.io", "", ["ghcr.io"], True),
        ("ghcr.io", "org/x", ["ghcr.io/org"], True),
        ("ghcr.io", "organisation/x", ["ghcr.io/org"], False),
        ("quay.io", "", ["ghcr.io"], False),
        ("docker.io", "library/nginx", ["registry-1.docker.io"], True),
        ("index.docker.io", "", ["docker.io"], True),
        ("eu.mirror.example.com", "", ["*.example.com"], True),
        ("example.com", "", ["*.example.com"], False),
        ("localhost:5000", "", ["localhost"], False),
    ],
)
def test_registry_allowed(host: str, path: str, allowed: list[str], ok: bool) -> None:
    assert registry_allowed(host, allowed, path) is ok


@pytest.mark.parametrize(
    ("repository", "rule"),
    [
        ("OCI://ghcr.io/org/charts", "CL109"),
        ("oci://ghcr.io/org//charts", "CL109"),
        ("oci://ghcr.io/org/ch@rts", "CL108"),
        ("oci://ghcr.io/org/charts@sha256:" + "a" * 64, "CL108"),
        ("oci://ghcr.io/org/ch$rts", "CL109"),
        ("oci://index.docker.io/bitnamicharts", "CL110"),
        ("alias:stable", "CL106"),
        ("HTTP://charts.example.com", "CL104"),
        # helm: "no repository definition for stable ... must be URLs or aliases"
        ("stable", "CL115"),
        ("bitnami/redis", "CL115"),
        ("charts.example.com", "CL115"),
        # helm: "could not find protocol handler for: git+https"
        ("git+https://github.com/org/charts@charts/dep?ref=v1.0.0", "CL116"),
        ("git+ssh://git@github.com/org/charts@charts/dep", "CL116"),
        ("s3://bucket/charts", "CL116"),
    ],
)
def test_repository_variants(tmp_path, repository: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path,
        {
            "Chart.yaml": f"""
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - name: dep
            version: 1.0.0
            repository: "{repository}"
    """
        },
    )
    report = run(tmp_path, Config(select=("CL1",)))
    assert where(report.findings) == [(rule, "Chart.yaml", 7, 17)]


def test_version_variants(tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path,
        {
            "Chart.yaml": """
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - name: a
            version: v1.2.3
            repository: oci://ghcr.io/org/charts
          - name: b
            version: "*"
            repository: oci://ghcr.io/org/charts
          - name: c
            version: 1.6
            repository: https://charts.example.com
          - name: d
            version: ""
            repository: oci://ghcr.io/org/charts
    """
        },
    )
    report = run(tmp_path, Config(select=("CL101", "CL102", "CL103", "CL114")))
    assert where(report.findings) == [
        ("CL103", "Chart.yaml", 6, 14),
        ("CL114", "Chart.yaml", 9, 14),
        ("CL101", "Chart.yaml", 15, 14),
    ]


def test_chart_own_name_and_alias(tmp_path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path,
        {
            "Chart.yaml": """
        apiVersion: v2
        name: a/b
        version: 1.0.0
        dependencies:
          - name: redis
            alias: my.cache
            version: 1.0.0
            repository: https://charts.example.com
    """
        },
    )
    report = run(tmp_path, Config(select=("CL111",)))
    assert where(report.findings) == [
        ("CL111", "Chart.yaml", 2, 7),
        ("CL111", "Chart.yaml", 6, 12),
    ]


@pytest.mark.parametrize(
    "repository", ["file://../dep", "@stable", "/abs/path", "https://charts.example.com"]
)
def test_urls_and_aliases_are_not_cl115_or_cl116(tmp_path, repository: str) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path,
        {
            "Chart.yaml": f"""
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - name: dep
            version: 1.0.0
            repository: "{repository}"
    """
        },
    )
    report = run(tmp_path, Config(select=("CL115", "CL116")))
    assert report.findings == []


def test_cl116_names_the_helm_git_plugin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = lint([FIXTURES / "chart" / "bad"], Config(select=("CL115", "CL116")), cwd=ROOT)
    by_rule = {f.rule: f for f in report.findings}
    assert "helm-git plugin" in by_rule["CL116"].message
    assert "aslafy-z/helm-git" in by_rule["CL116"].fix
    assert "neither a URL nor an alias" in by_rule["CL115"].message
