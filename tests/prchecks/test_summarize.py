"""ci/github/summarize.py's pure parts: the changed lines of a diff, the annotation format."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from resolver.linter.findings import Finding, Report, Severity
from resolver.linter.reporters import render
from tests.prchecks.helpers import ROOT


def _summarize() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "summarize", ROOT / "ci" / "github" / "summarize.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DIFF = """\
diff --git a/values.yaml b/values.yaml
index 1..2 100644
--- a/values.yaml
+++ b/values.yaml
@@ -3,0 +4,2 @@ image:
+  tag: latest
+  pull: always
@@ -10 +12 @@ x
-old
+new
@@ -20,3 +22,0 @@ y
-gone
-gone
-gone
diff --git a/old.sh b/old.sh
deleted file mode 100644
--- a/old.sh
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/ci/new.sh b/ci/new.sh
new file mode 100644
--- /dev/null
+++ b/ci/new.sh
@@ -0,0 +1,3 @@
+x
+y
+z
"""


def test_changed_lines_of_a_unified_diff() -> None:
    assert _summarize().changed_lines(DIFF) == {"values.yaml": {4, 5, 12}, "ci/new.sh": {1, 2, 3}}


def test_annotation_matches_the_github_reporter() -> None:
    finding = Finding(
        "CL402",
        "helm-insecure-transport",
        Severity.WARNING,
        "a,b:c.sh",
        3,
        7,
        "100% bad\nreally",
        "fix: it",
    )
    expected = render(Report([finding]), "github")
    assert _summarize().annotation(finding.to_dict()) == expected
    info = Finding("CL406", "n", Severity.INFO, "x.sh", 0, 0, "m")
    assert _summarize().annotation(info.to_dict()) == render(Report([info]), "github")
