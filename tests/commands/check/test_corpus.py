"""One `chartlock check` run over 1,226 real Chart.yaml/Chart.lock pairs agrees with helm 4.1.4's
own `helm dependency build` verdict on every pair: CL202 exactly where Helm refused the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from resolver.commands.check import check

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "fixtures" / "corpus"


def verdicts() -> dict[str, str]:
    out = {}
    for line in (CORPUS / "verdicts.tsv").read_text("utf-8").splitlines():
        if line.startswith("#") or line.startswith("path\t"):
            continue
        path, verdict = line.split("\t")
        if verdict != "unknown":
            out[path] = verdict
    return out


def out_of_sync_dirs(paths: list[str]) -> set[str]:
    prefix = "fixtures/corpus/locks/"
    return {p.rsplit("/", 1)[0].removeprefix(prefix) for p in paths}


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    v = verdicts()
    assert len(v) == 1226
    assert sum(1 for x in v.values() if x == "out-of-sync") == 123
    return v


def test_api_agrees_with_helm_on_every_pair(expected: dict[str, str]) -> None:
    report = check(["fixtures/corpus/locks"], cwd=ROOT)
    assert report.errors == []
    flagged = out_of_sync_dirs([f.path for f in report.findings if f.rule == "CL202"])
    disagree = sorted(p for p, v in expected.items() if (v == "out-of-sync") != (p in flagged))
    assert disagree == []
    assert report.charts_checked == 1226


def test_cli_json_agrees_with_helm(expected: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resolver", "check", "fixtures/corpus/locks", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    for f in findings:
        assert {"rule", "severity", "path", "line", "column", "message"} <= set(f)
    flagged = out_of_sync_dirs([f["path"] for f in findings if f["rule"] == "CL202"])
    assert flagged == {p for p, v in expected.items() if v == "out-of-sync"}
