"""`chartlock lint` and `chartlock rules` end to end; docs/rules.md is generated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver.cli.docs import DOC_PATH, generate
from resolver.cli.main import main
from tests.linter.helpers import CHART, write


def test_lint_exit_codes_and_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"app/Chart.yaml": CHART})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--select", "CL114"]) == 0  # a warning does not fail by default
    out = capsys.readouterr().out
    assert "app/Chart.yaml" in out and "CL114" in out
    assert main(["lint", "--select", "CL114", "--fail-on", "warning"]) == 1
    assert main(["lint", "--select", "CL1,CL2", "--ignore", "CL114"]) == 1  # CL201 lock-missing
    capsys.readouterr()
    assert main(["lint", "--select", "cl1"]) == 2
    assert "--select: 'cl1' is not a rule id" in capsys.readouterr().err
    assert main(["lint", "missing-dir"]) == 2


def test_lint_json_and_config_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"app/Chart.yaml": CHART, "cfg.yaml": "select: [CL114]\nfail-on: warning\n"})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--config", "cfg.yaml", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in doc["findings"]] == ["CL114"]
    (tmp_path / "bad.yaml").write_text("fail-on: never\n")
    assert main(["lint", "--config", "bad.yaml"]) == 2
    assert "bad.yaml:1: fail-on: 'never' is not allowed" in capsys.readouterr().err


def test_rules_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rules = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    expected = {
        "CL001": ("suppression-without-reason", "warning"),
        "CL002": ("unused-suppression", "warning"),
        "CL003": ("unparseable-file", "error"),
        "CL101": ("dependency-version-missing", "error"),
        "CL102": ("dependency-version-invalid", "error"),
        "CL103": ("oci-version-not-strict", "warning"),
        "CL104": ("repository-insecure-http", "error"),
        "CL105": ("repository-classic-https", "info"),
        "CL106": ("repository-local-alias", "warning"),
        "CL107": ("repository-repeats-chart-name", "error"),
        "CL108": ("repository-has-tag-or-digest", "error"),
        "CL109": ("repository-invalid-oci-reference", "error"),
        "CL110": ("docker-hub-host", "error"),
        "CL111": ("chart-name-invalid", "error"),
        "CL112": ("dependency-duplicate", "error"),
        "CL113": ("dependency-repository-missing", "error"),
        "CL114": ("dependency-range-unbounded", "warning"),
        "CL115": ("repository-not-url-or-alias", "error"),
        "CL116": ("repository-needs-plugin", "warning"),
        "CL501": ("tag-moved", "error"),
        "CL502": ("not-a-helm-chart", "error"),
        "CL503": ("locked-version-gone", "error"),
        "CL504": ("newer-version-in-range", "info"),
        "CL601": ("registry-not-allowed", "error"),
    }
    for rule_id, (name, severity) in expected.items():
        assert (rules[rule_id]["name"], rules[rule_id]["severity"]) == (name, severity)
    for rule in rules.values():
        assert rule["summary"] and rule["rationale"] and rule["fix"]
    assert all(rules[i]["online"] for i in ("CL501", "CL502", "CL503", "CL504"))


def test_rules_text_and_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    assert "CL103  oci-version-not-strict" in capsys.readouterr().out
    assert main(["rules", "CL103"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CL103 oci-version-not-strict (warning)")
    assert "Use instead:" in out
    assert main(["rules", "CL999"]) == 2


def test_docs_rules_md_is_up_to_date() -> None:
    assert DOC_PATH.read_text("utf-8") == generate(), "run `python -m resolver.cli.docs`"
