"""Reporters: json (schemas/report.schema.json), SARIF 2.1.0, GitHub annotations, text."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.reporters import render
from resolver.linter.rules import load_builtin_rules
from tests.linter.helpers import ROOT


def sample() -> Report:
    load_builtin_rules()
    return Report(
        findings=[
            Finding(
                "CL114",
                "dependency-range-unbounded",
                Severity.WARNING,
                "charts/b/Chart.yaml",
                6,
                14,
                "range '>=1' has no upper bound",
                "bound it",
                key="b",
            ),
            Finding(
                "CL104",
                "repository-insecure-http",
                Severity.ERROR,
                "charts/a/Chart.yaml",
                7,
                17,
                "plain HTTP, 100%: a,b\nnext",
                "use https://",
                key="a",
            ),
            Finding(
                "CL003",
                "unparseable-file",
                Severity.ERROR,
                "charts/a dir/values.yaml",
                0,
                0,
                "cannot parse",
                "",
            ),
        ],
        files_checked=4,
        charts_checked=2,
    )


def test_json_is_valid_against_the_report_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    doc = json.loads(render(sample(), "json"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["summary"] == {"charts": 2, "files": 4, "error": 2, "warning": 1, "info": 0}
    assert doc["findings"][0]["path"] == "charts/a dir/values.yaml"


def test_sarif_is_valid_sarif_2_1_0() -> None:
    schema = json.loads((ROOT / "fixtures" / "sarif-schema-2.1.0.json").read_text())
    doc = json.loads(render(sample(), "sarif"))
    jsonschema.Draft7Validator(schema).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert len(result["partialFingerprints"]["chartlock/v1"]) == 32
    cl104 = next(r for r in rules if r["id"] == "CL104")
    assert cl104["name"] == "repository-insecure-http"
    assert cl104["defaultConfiguration"]["level"] == "error"
    assert cl104["shortDescription"]["text"] and cl104["fullDescription"]["text"]
    assert cl104["help"]["text"]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    assert uris == ["charts/a%20dir/values.yaml", "charts/a/Chart.yaml", "charts/b/Chart.yaml"]


def test_github_annotations_escape_data_and_properties() -> None:
    lines = render(sample(), "github").splitlines()
    assert (
        lines[0]
        == "::error file=charts/a dir/values.yaml,title=CL003 unparseable-file::cannot parse"
    )
    assert lines[1] == (
        "::error file=charts/a/Chart.yaml,line=7,col=17,title=CL104 repository-insecure-http::"
        "plain HTTP, 100%25: a,b%0Anext (fix: use https://)"
    )
    assert lines[2].startswith("::warning file=charts/b/Chart.yaml,line=6,col=14,")
    weird = Report(
        findings=[Finding("CL003", "unparseable-file", Severity.INFO, "a:b,c%.yaml", 1, 1, "m")]
    )
    assert render(weird, "github") == (
        "::notice file=a%3Ab%2Cc%25.yaml,line=1,col=1,title=CL003 unparseable-file::m"
    )


def test_text_groups_by_file_and_colours_only_when_asked() -> None:
    plain = render(sample(), "text")
    assert "\033[" not in plain
    lines = plain.splitlines()
    assert lines[0] == "charts/a dir/values.yaml"
    assert lines[2] == "charts/a/Chart.yaml"
    assert lines[-1] == "2 errors, 1 warning in 2 charts, 4 files"
    assert "\033[31m" in render(sample(), "text", color=True)
    assert render(Report(charts_checked=1, files_checked=1), "text") == (
        "no problems in 1 chart, 1 file"
    )


def test_no_color_env_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    from resolver.cli.common import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())  # type: ignore[arg-type]


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render(Report(), "xml")


def test_paths_outside_the_cwd_are_file_uris(tmp_path: Path) -> None:
    report = Report(
        findings=[Finding("CL003", "unparseable-file", Severity.ERROR, "/abs/x.yaml", 1, 1, "m")]
    )
    doc = json.loads(render(report, "sarif"))
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "file:///abs/x.yaml"}
