"""Fail closed (issue 9): a mistyped path, a folder without a chart, an unreadable Chart.yaml
never look like a clean run, for every command and in the library; one chart discovery."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

import resolver
from resolver.chart.discovery import find_charts, walk
from resolver.errors import ChartlockError, InputError
from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.reporters import render
from resolver.linter.rules import load_builtin_rules
from tests.support.cli import run_chartlock

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("check", "lint", "lock", "verify", "pull", "outdated")
REPORTING = ("check", "lint", "verify")  # the commands whose output is a findings report
FORMATS = {
    "check": ("text", "json", "sarif", "github"),
    "lint": ("text", "json", "sarif", "github"),
    "verify": ("text", "json", "sarif", "github"),
    "lock": ("text", "json"),
    "pull": ("text", "json"),
    "outdated": ("text", "json"),
}


def chart(directory: Path, name: str = "app", deps: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{deps}", "utf-8"
    )
    return directory


def assert_one_line_failure(result: subprocess.CompletedProcess[str], expect: str) -> None:
    assert result.returncode == 2, (
        result.stdout,
        result.stderr,
    )
    stderr = [line for line in result.stderr.splitlines() if line.strip()]
    assert stderr == [f"chartlock: error: {expect}"], stderr
    assert result.stdout == ""


# -- discovery ----------------------------------------------------------------------------


def test_discovery_rule(tmp_path: Path) -> None:
    chart(tmp_path / "charts" / "a")
    chart(tmp_path / "charts" / "b")
    umbrella = chart(tmp_path / "deploy" / "prod" / "umbrella")
    chart(umbrella / "charts" / "sub")
    chart(umbrella / "charts" / "sub" / "charts" / "deeper")
    chart(umbrella / "charts" / "sub" / "docs" / "example")  # inside the vendored area
    chart(umbrella / "examples" / "demo")  # beside charts/: a chart of its own
    chart(tmp_path / ".terraform" / "modules" / "x")  # hidden folders hold no charts
    chart(tmp_path / "node_modules" / "y")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "Chart.yaml").mkdir()  # still a chart: it fails to load
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / "Chart.yaml").symlink_to(tmp_path / "nowhere")
    found = [p.relative_to(tmp_path).as_posix() for p in find_charts(["."], cwd=tmp_path)]
    assert found == [
        "broken",
        "charts/a",
        "charts/b",
        "dangling",
        "deploy/prod/umbrella",
        "deploy/prod/umbrella/examples/demo",
    ]
    # A chart file or directory named explicitly is a chart, even a vendored one (alone).
    sub = "deploy/prod/umbrella/charts/sub"
    for arg in (sub, f"{sub}/Chart.yaml", f"{sub}/values.yaml"):
        if arg.endswith("values.yaml"):
            (tmp_path / arg).write_text("a: 1\n", "utf-8")
        assert find_charts([arg], cwd=tmp_path) == [tmp_path / sub]
    # Duplicates collapse, the order is sorted.
    assert find_charts(["charts/b", "charts", "charts/a/Chart.yaml"], cwd=tmp_path) == [
        tmp_path / "charts" / "a",
        tmp_path / "charts" / "b",
    ]
    with pytest.raises(InputError, match=r"^deploy/prod/umbrella/charts: no charts found: "):
        find_charts(["deploy/prod/umbrella/charts"], cwd=tmp_path)
    lint_walk = [v.path.relative_to(tmp_path).as_posix() for v in walk(tmp_path, hidden=True)]
    assert ".terraform/modules/x" in lint_walk  # lint looks there for CI files ...
    assert not any(
        v.is_chart for v in walk(tmp_path, hidden=True) if ".terraform" in v.path.parts
    )  # ... but finds no charts


def test_deduplication_is_linear(tmp_path: Path) -> None:
    # Every chart named twice, and its folder too: each is found once (a dict, not `in list`).
    for i in range(300):
        chart(tmp_path / "charts" / f"c{i:04d}")
    args = [f"charts/c{i:04d}" for i in range(300)] * 2 + ["charts"]
    assert len(find_charts(args, cwd=tmp_path)) == 300


# -- a mistyped path, a folder without a chart ------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_mistyped_path_is_one_line_exit_2(tmp_path: Path, command: str) -> None:
    chart(tmp_path / "charts" / "app")
    for fmt in FORMATS[command][:2]:  # text, json
        result = run_chartlock(command, "chrts", "--format", fmt, cwd=tmp_path)
        if fmt == "json" and command not in REPORTING:
            # lock, pull, outdated: the JSON document says why the run failed.
            assert result.returncode == 2
            assert result.stderr == "chartlock: error: chrts: no such file or directory\n"
            assert json.loads(result.stdout) == {
                "errors": [
                    {
                        "message": "chrts: no such file or directory",
                        "path": "chrts",
                        "line": 0,
                        "column": 0,
                    }
                ]
            }
        elif fmt == "json" and command in REPORTING:
            # A report command's JSON still says the run failed (an empty file would not).
            assert result.returncode == 2
            assert result.stderr == "chartlock: error: chrts: no such file or directory\n"
            report = json.loads(result.stdout)
            assert report["findings"] == []
            assert [e["message"] for e in report["errors"]] == ["chrts: no such file or directory"]
        else:
            assert_one_line_failure(result, "chrts: no such file or directory")
        assert "no problems" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", REPORTING)
def test_mistyped_path_sarif_says_the_run_failed(tmp_path: Path, command: str) -> None:
    result = run_chartlock(command, "chrts", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 2
    (invocation,) = json.loads(result.stdout)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert notes == ["chrts: no such file or directory"]


@pytest.mark.parametrize("command", COMMANDS)
def test_folder_without_a_chart_is_one_line_exit_2(tmp_path: Path, command: str) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# docs\n", "utf-8")
    result = run_chartlock(command, "docs", cwd=tmp_path)
    expect = (
        "docs: nothing to lint (no chart or CI file below it)"
        if command == "lint"
        else "docs: no charts found (no Chart.yaml below it)"
    )
    assert_one_line_failure(result, expect)


def test_library_raises_on_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(ChartlockError, match="nonexistent: no such file or directory"):
        resolver.check(["nonexistent"], cwd=tmp_path)
    with pytest.raises(ChartlockError, match="nonexistent: no such file or directory"):
        resolver.lint(["nonexistent"], resolver.Config(), cwd=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ChartlockError, match="no charts found"):
        resolver.check([tmp_path / "empty"])
    from resolver import resolve

    with pytest.raises(ChartlockError, match="no such file"):
        resolve(tmp_path / "nonexistent")


# -- unreadable Chart.yaml -------------------------------------------------------------------

UNREADABLE = ("directory", "dangling-symlink", "invalid-utf8")


def unreadable(directory: Path, how: str) -> str:
    directory.mkdir(parents=True)
    target = directory / "Chart.yaml"
    if how == "directory":
        target.mkdir()
        return "is a directory"
    if how == "dangling-symlink":
        target.symlink_to(directory / "gone.yaml")
        return "is a dangling symlink"
    target.write_bytes(b"apiVersion: v2\nname: \xff\xfe\nversion: 0.1.0\n")
    return "not valid UTF-8"


@pytest.mark.parametrize("how", UNREADABLE)
@pytest.mark.parametrize("command", ["check", "verify", "lint"])
def test_unreadable_chart_yaml_fails_the_run(tmp_path: Path, command: str, how: str) -> None:
    chart(tmp_path / "good")
    expect = unreadable(tmp_path / "bad", how)
    for fmt in ("text", "json", "sarif", "github") if how == "directory" else ("text",):
        result = run_chartlock(command, ".", "--format", fmt, cwd=tmp_path)
        output = result.stdout + result.stderr
        assert "no problems" not in output
        assert "Traceback" not in output
        if command == "lint" and how == "invalid-utf8":
            # Read, but broken content: lint's CL003 finding (an error, exit 1).
            assert result.returncode == 1, output
            assert "CL003" in result.stdout
            continue
        assert result.returncode == 2, output
        assert "chartlock: error: bad/Chart.yaml" in result.stderr
        assert expect in result.stderr
        if fmt == "json":
            doc = json.loads(result.stdout)
            assert doc["errors"] and doc["errors"][0]["path"] == "bad/Chart.yaml"
            schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
            jsonschema.Draft202012Validator(schema).validate(doc)
        if fmt == "sarif":
            (invocation,) = json.loads(result.stdout)["runs"][0]["invocations"]
            assert invocation["executionSuccessful"] is False
        if fmt == "github":
            assert "::error file=bad/Chart.yaml" in result.stdout


def test_lint_counts_vendored_subcharts_as_part_of_their_umbrella(tmp_path: Path) -> None:
    umbrella = chart(tmp_path / "umbrella")
    chart(umbrella / "charts" / "sub", "sub", "dependencies:\n  - name: x\n    version: '>=1'\n")
    report = resolver.lint([tmp_path], resolver.Config(select=("CL1", "CL2")), cwd=tmp_path)
    assert report.charts_checked == 1
    assert report.errors == []
    rules = {(f.rule, f.path) for f in report.findings}
    # The vendored Chart.yaml is still linted (CL113: a dependency without a repository) ...
    assert ("CL113", "umbrella/charts/sub/Chart.yaml") in rules
    # ... but no lock-sync rule asks for a lock `chartlock lock` never writes for it.
    assert not any(rule.startswith("CL2") for rule, _ in rules)
    assert resolver.check([tmp_path], cwd=tmp_path).charts_checked == 1


# -- reporters ------------------------------------------------------------------------------


def failed_report() -> Report:
    load_builtin_rules()
    return Report(
        findings=[
            Finding(
                "CL114", "dependency-range-unbounded", Severity.WARNING, "a/Chart.yaml", 6, 14, "m"
            )
        ],
        files_checked=1,
        charts_checked=1,
        errors=[
            InputError("b/Chart.yaml", "not valid UTF-8", line=2),
            ChartlockError("127.0.0.1:9/ns/web: cannot connect"),
        ],
    )


def test_text_never_says_no_problems_when_the_run_failed() -> None:
    text = render(Report(charts_checked=1, files_checked=1, errors=[ChartlockError("x")]), "text")
    assert text == "failed: 1 error (on stderr); checked 1 chart, 1 file"
    lines = render(failed_report(), "text").splitlines()
    assert lines[-1] == "failed: 2 errors (on stderr); findings: 1 warning in 1 chart, 1 file"


def test_json_errors_are_schema_valid() -> None:
    doc = json.loads(render(failed_report(), "json"))
    for copy in ("schemas", "resolver/schemas"):
        schema = json.loads((ROOT / copy / "report.schema.json").read_text("utf-8"))
        jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["errors"] == [
        {
            "message": "b/Chart.yaml:2: not valid UTF-8",
            "path": "b/Chart.yaml",
            "line": 2,
            "column": 0,
        },
        {"message": "127.0.0.1:9/ns/web: cannot connect", "path": "", "line": 0, "column": 0},
    ]
    clean = json.loads(render(Report(charts_checked=1), "json"))
    assert clean["errors"] == []


def test_sarif_failed_run_is_valid_and_unsuccessful() -> None:
    schema = json.loads((ROOT / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    doc = json.loads(render(failed_report(), "sarif"))
    jsonschema.Draft7Validator(schema).validate(doc)
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "b/Chart.yaml:2: not valid UTF-8",
        "127.0.0.1:9/ns/web: cannot connect",
    ]
    assert notes[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}
    assert "locations" not in notes[1]
    clean = json.loads(render(Report(charts_checked=1), "sarif"))
    jsonschema.Draft7Validator(schema).validate(clean)
    assert clean["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_github_failed_run_emits_error_annotations() -> None:
    lines = render(failed_report(), "github").splitlines()
    assert lines[1:] == [
        "::error file=b/Chart.yaml,line=2,title=chartlock error::b/Chart.yaml:2: not valid UTF-8",
        "::error title=chartlock error::127.0.0.1:9/ns/web: cannot connect",
    ]


def test_shared_sarif_schema_copy_is_the_oasis_one() -> None:
    # The project's reference material sits beside the checkout (CI lays it there too).
    shared = ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
    if not shared.is_file():
        pytest.skip("no shared/ beside this checkout (a user's clone): nothing to compare with")
    ours = json.loads((ROOT / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    assert ours == json.loads(shared.read_text("utf-8"))


@pytest.mark.parametrize(
    ("repository", "message"),
    [
        ("nope", "no repository definition for nope. Please add it via 'helm repo add'"),
        (
            "git+https://github.com/x/y@charts/z?ref=main",
            "could not find protocol handler for: git+https",
        ),
    ],
)
def test_lock_repository_helm_cannot_use_is_helms_error_at_its_position(
    tmp_path: Path, repository: str, message: str
) -> None:
    # Helm refuses both before any request (resolveRepoNames; getter.ByScheme); chartlock used
    # to try an index.yaml at "nope" and print "cannot fetch index.yaml (UnsupportedProtocol)".
    chart(
        tmp_path / "charts" / "app",
        deps=f"dependencies:\n  - name: d\n    version: 1.0.0\n    repository: '{repository}'\n",
    )
    for command in ("lock", "outdated"):
        env = {"HELM_REPOSITORY_CONFIG": "/nonexistent"}
        result = run_chartlock(command, cwd=tmp_path, env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"charts/app/Chart.yaml:7:17: {message}" in result.stdout + result.stderr
        assert "UnsupportedProtocol" not in result.stdout + result.stderr
    assert not (tmp_path / "charts" / "app" / "Chart.lock").exists()


@pytest.mark.parametrize(
    ("repository", "message"),
    [
        # helm: `could not retrieve list of tags ... invalid repository "charts//redis"`
        ("oci://127.0.0.1:9/charts/", 'invalid repository "charts//d"'),
        ("oci://127.0.0.1:9/charts:1.0", "must not carry a tag or digest"),
    ],
)
def test_lock_invalid_oci_reference_names_its_chart_yaml_position(
    tmp_path: Path, repository: str, message: str
) -> None:
    chart(
        tmp_path / "charts" / "app",
        deps=f"dependencies:\n  - name: d\n    version: ^1.0.0\n    repository: '{repository}'\n",
    )
    result = run_chartlock("lock", "--plain-http", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("chartlock: error: charts/app/Chart.yaml:7:17: "), result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("command", ["lock", "pull", "outdated"])
def test_unreachable_registry_json_says_why(tmp_path: Path, command: str) -> None:
    # Port 9 on loopback: nothing listens there, so the connection is refused at once.
    deps = "dependencies:\n- name: web\n  version: 1.0.0\n  repository: oci://127.0.0.1:9/ns\n"
    app = chart(tmp_path / "app", deps=deps)
    if command == "pull":  # pull reads the lock: give it one to follow
        (app / "Chart.lock").write_text(
            "dependencies:\n- name: web\n  repository: oci://127.0.0.1:9/ns\n  version: 1.0.0\n"
            "digest: sha256:" + "0" * 64 + '\ngenerated: "2026-01-01T00:00:00Z"\n',
            "utf-8",
        )
    before = sorted(p.name for p in app.iterdir())
    result = run_chartlock(command, str(app), "--plain-http", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no problems" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    messages = [str(e["message"]) for e in document["errors"]]
    if command == "pull":  # pull stops at the lock first (this one is not helm's digest)
        assert messages and all(m.startswith("app/Chart.lock:") for m in messages), messages
    else:
        assert any("cannot connect: connection refused" in m for m in messages), messages
    assert sorted(p.name for p in app.iterdir()) == before  # nothing written
