"""The chart rules over 1,226 real Chart.yaml/Chart.lock pairs: no error-level false positives.

Error-level findings that remain are true positives, each checked by hand:

* CL104 - one chart really pulls `http://charts.bitnami.com/bitnami`.
* CL107 - `oci://ghcr.io/borchero/charts/switchboard` for chart `switchboard`; the project's later
  commits in the corpus stop using that repository (they point at `oci://ghcr.io/borchero`).
* CL110 - `oci://docker.io/bitnamicharts` (8 charts of one project).

CL113 is left out: the corpus stores only Chart.yaml and Chart.lock, not the vendored
`charts/<name>/` directories that `repository: ""` dependencies rely on.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from resolver.commands.lint import lint
from resolver.linter.config import Config
from resolver.linter.findings import Severity

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "fixtures" / "corpus" / "locks"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="fixtures/corpus/locks is not there")
def test_chart_rules_on_real_charts() -> None:
    report = lint([CORPUS], Config(select=("CL0", "CL1", "CL6"), ignore=("CL113",)), cwd=ROOT)
    assert report.errors == []
    assert report.charts_checked == 1226
    errors = Counter(f.rule for f in report.findings if f.severity is Severity.ERROR)
    assert errors == {"CL110": 8, "CL104": 1, "CL107": 1}
    cl107 = next(f for f in report.findings if f.rule == "CL107")
    assert "oci://ghcr.io/borchero/charts/switchboard" in cl107.message
