"""The engine: walking, classification, select/ignore/prefixes, severities, fail-on,
per-file-ignores, suppressions (CL001/CL002), CL003, plugins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import resolver
from resolver.errors import InputError
from resolver.linter.config import Config, RequireDigest
from resolver.linter.findings import Severity
from resolver.linter.rules import CHECKERS, RULES, FileKind
from resolver.linter.targets import glob_match
from tests.linter.helpers import CHART, run, where, write


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return write(tmp_path, {"charts/app/Chart.yaml": CHART})


def test_public_api_is_the_engine(chart: Path) -> None:
    report = resolver.lint(["charts"], resolver.Config(select=("CL114",)), cwd=chart)
    assert where(report.findings) == [("CL114", "charts/app/Chart.yaml", 6, 14)]
    assert report.charts_checked == 1


def test_select_prefix_and_ignore(chart: Path) -> None:
    assert {f.rule for f in run(chart, Config(select=("CL1",))).findings} == {"CL114"}
    assert {f.rule for f in run(chart, Config(select=("CL2",))).findings} == {"CL201"}
    assert run(chart, Config(select=("CL1",), ignore=("CL114",))).findings == []
    # The more specific selector wins.
    assert {f.rule for f in run(chart, Config(select=("CL114",), ignore=("CL1",))).findings} == {
        "CL114"
    }
    assert {f.rule for f in run(chart, Config(ignore=("CL2",))).findings} == {"CL114"}


def test_severity_override_and_fail_on(chart: Path) -> None:
    severity = {"CL1": Severity.INFO, "CL114": Severity.ERROR}
    report = run(chart, Config(select=("CL114",), severity=severity))
    assert [f.severity for f in report.findings] == [Severity.ERROR]
    report = run(chart, Config(select=("CL114",)))
    assert not report.failed(Severity.ERROR)
    assert report.failed(Severity.WARNING)


def test_require_digest_charts_makes_cl205_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Chart.yaml": CHART.replace('">=17.0.0"', "17.3.2"),
            "Chart.lock": """
            dependencies:
            - name: redis
              repository: oci://registry-1.docker.io/bitnamicharts
              version: 17.3.2
            digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
            generated: "2024-01-01T00:00:00Z"
        """,
        },
    )
    config = Config(select=("CL205",), require_digest=RequireDigest(charts=True))
    report = run(tmp_path, config)
    assert [(f.rule, f.severity) for f in report.findings] == [("CL205", Severity.ERROR)]


def test_per_file_ignores(tmp_path: Path) -> None:
    write(tmp_path, {"legacy/app/Chart.yaml": CHART, "new/app/Chart.yaml": CHART})
    config = Config(select=("CL114",), per_file_ignores={"legacy/**": ("CL1",)})
    assert [f.path for f in run(tmp_path, config).findings] == ["new/app/Chart.yaml"]
    config = Config(select=("CL114",), per_file_ignores={"Chart.yaml": ("CL114",)})
    assert run(tmp_path, config).findings == []


@pytest.mark.parametrize(
    ("pattern", "path", "ok"),
    [
        ("legacy/**", "legacy/a/Chart.yaml", True),
        ("**/values.yaml", "a/b/values.yaml", True),
        ("**/values.yaml", "values.yaml", True),
        ("charts/*/Chart.yaml", "charts/a/Chart.yaml", True),
        ("charts/*/Chart.yaml", "charts/a/b/Chart.yaml", False),
        ("*.sh", "scripts/deploy.sh", True),
        ("legacy", "legacy/x.yaml", True),
        ("leg", "legacy/x.yaml", False),
    ],
)
def test_glob_match(pattern: str, path: str, ok: bool) -> None:
    assert glob_match(pattern, path) is ok


def test_suppressions(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Chart.yaml": """
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - name: a
            version: ">=1.0.0"  # chartlock: ignore[CL114] upstream has no majors
            repository: https://charts.example.com
          - name: b
            # chartlock: ignore[CL114,CL105]
            version: ">=1.0.0"
            repository: https://charts.example.com
          - name: c
            version: "~1.0.0"  # chartlock: ignore[CL1] nothing to hide here
            repository: oci://ghcr.io/org/charts
          - name: d
            version: ">=1.0.0"
            repository: https://charts.example.com  # chartlock: ignore[CL999] typo
    """
        },
    )
    report = run(tmp_path, Config(select=("CL0", "CL1")))
    assert where(report.findings) == [
        ("CL105", "Chart.yaml", 7, 17),
        ("CL001", "Chart.yaml", 9, 5),  # no reason
        ("CL002", "Chart.yaml", 9, 5),  # CL105 is on line 11: it covers lines 9-10 only
        ("CL105", "Chart.yaml", 11, 17),
        ("CL002", "Chart.yaml", 13, 24),
        ("CL114", "Chart.yaml", 16, 14),
        ("CL105", "Chart.yaml", 17, 17),
        ("CL002", "Chart.yaml", 17, 45),
    ]
    unknown = next(f for f in report.findings if f.line == 17 and f.rule == "CL002")
    assert "not a chartlock rule" in unknown.message


def test_cl002_not_reported_for_rules_that_did_not_run(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Chart.yaml": CHART.replace(
                '">=17.0.0"', '">=17.0.0"  # chartlock: ignore[CL114,CL303] images elsewhere'
            )
        },
    )
    assert run(tmp_path, Config(select=("CL0", "CL114"))).findings == []


def test_file_wide_suppression(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/Chart.yaml": "# chartlock: ignore-file[CL1] generated by a tool\n" + CHART.lstrip(),
            "b/Chart.yaml": CHART.lstrip() + "# chartlock: ignore-file[CL1] too late\n",
        },
    )
    report = run(tmp_path, Config(select=("CL0", "CL114")))
    assert where(report.findings) == [
        ("CL114", "b/Chart.yaml", 6, 14),
        ("CL002", "b/Chart.yaml", 8, 1),
    ]


def test_suppression_comment_styles() -> None:
    from resolver.linter.suppressions import parse

    text = (
        "#!/bin/sh\n# chartlock: ignore-file[CL4] shell\nhelm pull x  # chartlock: ignore[CL401]\n"
    )
    sups = parse(text)
    assert [(s.line, s.file_wide, s.misplaced, s.reason) for s in sups] == [
        (2, True, False, "shell"),
        (3, False, False, ""),
    ]
    groovy = parse("sh 'helm pull x' // chartlock: ignore[CL401, CL402] pinned below\n")
    assert groovy[0].ids == ("CL401", "CL402") and groovy[0].reason == "pinned below"


def test_unparseable_files_are_cl003_and_the_run_goes_on(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/Chart.yaml": "apiVersion: v2\nname: a\ndependencies:\n  - name: x\n   version: 1\n",
            "a/values.yaml": "image: [unclosed\n",
            "b/Chart.yaml": CHART,
        },
    )
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Chart.yaml").write_bytes(b"name: \xff\n")
    report = run(tmp_path, Config(select=("CL003", "CL114")))
    assert where(report.findings) == [
        ("CL003", "a/Chart.yaml", 5, 4),
        ("CL003", "a/values.yaml", 2, 1),
        ("CL114", "b/Chart.yaml", 6, 14),
        ("CL003", "c/Chart.yaml", 1, 1),
    ]
    assert report.errors == []


def test_classification(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    def spy(target, options):  # type: ignore[no-untyped-def]
        seen.append((target.kind.value, target.display))
        return []

    for kind in FileKind:
        CHECKERS[kind].append(spy)
    try:
        write(
            tmp_path,
            {
                "app/Chart.yaml": CHART,
                "app/values.yaml": "a: 1\n",
                "app/values-prod.yml": "a: 1\n",
                "app/ci/test-values.yaml": "a: 1\n",
                "app/templates/deploy.yaml": "kind: x\n",
                "app/templates/sub/_h.tpl": "{{ x }}\n",
                "app/templates/NOTES.txt": "x\n",
                "app/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
                "app/charts/sub/values.yaml": "a: 1\n",
                "app/other.yaml": "a: 1\n",
                ".github/workflows/ci.yml": "on: push\n",
                ".gitlab-ci.yml": "a: 1\n",
                "scripts/deploy.sh": "echo\n",
                "Makefile": "all:\n",
                "Taskfile.yml": "version: 3\n",
                "Jenkinsfile": "pipeline {}\n",
                "deploy/pipeline.groovy": "x\n",
                "node_modules/x/Chart.yaml": CHART,
                ".git/Makefile": "x\n",
            },
        )
        report = run(tmp_path, Config(select=("CL0",), ci_globs=("deploy/*.groovy",)))
    finally:
        for kind in FileKind:
            CHECKERS[kind].remove(spy)
    assert sorted(seen) == sorted(
        [
            ("chart", "app/Chart.yaml"),
            ("lock", "app/Chart.yaml"),
            ("values", "app/values.yaml"),
            ("values", "app/values-prod.yml"),
            ("values", "app/ci/test-values.yaml"),
            ("template", "app/templates/deploy.yaml"),
            ("template", "app/templates/sub/_h.tpl"),
            # The vendored subchart's files are linted, but it is part of app: no lock rules.
            ("chart", "app/charts/sub/Chart.yaml"),
            ("values", "app/charts/sub/values.yaml"),
            ("ci", ".github/workflows/ci.yml"),
            ("ci", ".gitlab-ci.yml"),
            ("ci", "scripts/deploy.sh"),
            ("ci", "Makefile"),
            ("ci", "Taskfile.yml"),
            ("ci", "Jenkinsfile"),
            ("ci", "deploy/pipeline.groovy"),
        ]
    )
    assert report.charts_checked == 1  # app; its charts/sub belongs to it


def test_single_files_and_missing_paths(chart: Path) -> None:
    report = run(chart, Config(select=("CL114",)), paths=("charts/app/Chart.yaml",))
    assert where(report.findings) == [("CL114", "charts/app/Chart.yaml", 6, 14)]
    assert report.charts_checked == 1
    # A typo is an error, never a clean run of the other paths.
    with pytest.raises(InputError, match=r"^nope: no such file or directory$"):
        run(chart, Config(select=("CL114",)), paths=("charts/app/Chart.yaml", "nope"))


def test_a_crashing_checker_is_an_internal_error_not_a_crash(chart: Path) -> None:
    def boom(target, options):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaput")

    CHECKERS[FileKind.CHART].append(boom)
    try:
        report = run(chart, Config(select=("CL114",)))
    finally:
        CHECKERS[FileKind.CHART].remove(boom)
    assert [f.rule for f in report.findings] == ["CL114"]
    assert "kaput" in str(report.errors[0])


def test_plugins_register_custom_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_dir = write(
        tmp_path / "plugins",
        {
            "acme_rules.py": """
        from resolver.linter.rules import FileKind, Problem, Rule, Severity, checker, register

        register(Rule(id="ACME1", name="no-foo", severity=Severity.WARNING, family="custom",
                      summary="No foo in values.", rationale="Foo is banned.", fix="remove foo"))

        @checker(FileKind.VALUES)
        def no_foo(target, options):
            for number, line in enumerate(target.text.splitlines(), 1):
                if "foo" in line:
                    yield Problem("ACME1", f"found foo ({options.settings['why']})", line=number,
                                  column=line.index("foo") + 1)
    """
        },
    )
    monkeypatch.syspath_prepend(str(plugin_dir))
    write(
        tmp_path,
        {
            "repo/.chartlock.yaml": (
                "plugins: [acme_rules]\nselect: [ACME]\nsettings: {why: policy}\n"
            ),
            "repo/app/Chart.yaml": CHART,
            "repo/app/values.yaml": "a: 1\nb: foo\n",
        },
    )
    try:
        report = resolver.lint(cwd=tmp_path / "repo")
        assert where(report.findings) == [("ACME1", "app/values.yaml", 2, 4)]
        assert report.findings[0].message == "found foo (policy)"
    finally:
        RULES.pop("ACME1", None)
        for kind in FileKind:
            CHECKERS[kind][:] = [c for c in CHECKERS[kind] if c.__module__ != "acme_rules"]
        sys.modules.pop("acme_rules", None)
