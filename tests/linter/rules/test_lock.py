"""CL201-CL208: each fires on its fixture (rule, file, line, column) and not on the clean one."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.commands.check import check

ROOT = Path(__file__).resolve().parents[3]
FIX = "fixtures/lint/lock"

POSITIVE = [
    ("CL201", "cl201-lock-missing", "Chart.yaml", 5, 3),
    ("CL202", "cl202-out-of-sync", "Chart.lock", 10, 9),
    ("CL203", "cl203-outside-range", "Chart.lock", 5, 12),
    ("CL204", "cl204-not-exact", "Chart.lock", 5, 12),
    ("CL205", "cl205-digest-missing", "Chart.lock", 2, 3),
    ("CL206", "cl206-digest-malformed", "Chart.lock", 2, 11),
    ("CL207", "cl207-entries-mismatch", "Chart.lock", 6, 3),
    ("CL208", "cl208-vendored-mismatch", "Chart.lock", 5, 12),
]


@pytest.mark.parametrize(("rule", "case", "file", "line", "column"), POSITIVE)
def test_rule_fires(rule: str, case: str, file: str, line: int, column: int) -> None:
    report = check([f"{FIX}/{case}"], cwd=ROOT)
    hits = [f for f in report.findings if f.rule == rule]
    assert len(hits) == 1, report.findings
    hit = hits[0]
    assert (hit.path, hit.line, hit.column) == (f"{FIX}/{case}/{file}", line, column)
    assert "chartlock" in hit.fix or "helm" in hit.fix
    # The positive fixture breaks only what it is about.
    others = {f.rule for f in report.findings} - {rule}
    assert others <= {"CL202"} if rule in ("CL207",) else others == set()


@pytest.mark.parametrize("rule", [p[0] for p in POSITIVE])
def test_rule_silent_on_clean_chart(rule: str) -> None:
    report = check([f"{FIX}/clean", f"{FIX}/local-deps"], cwd=ROOT)
    assert [f for f in report.findings if f.rule == rule] == []


def test_require_digests_makes_cl205_an_error() -> None:
    plain = check([f"{FIX}/cl205-digest-missing"], cwd=ROOT)
    strict = check([f"{FIX}/cl205-digest-missing"], cwd=ROOT, require_digests=True)
    assert [f.severity.label for f in plain.findings] == ["warning"]
    assert [f.severity.label for f in strict.findings] == ["error"]


def test_charts_dir_dependency_is_not_flagged() -> None:
    report = check([f"{FIX}/local-deps"], cwd=ROOT)
    assert report.findings == []
    # The unpacked charts/<sub> is part of its umbrella, not a chart (resolver.chart.discovery).
    assert report.charts_checked == 1


def test_unpacked_subchart_beside_archives_is_not_cl208(tmp_path: Path) -> None:
    # After `chartlock pull` (or `helm dependency build`) charts/ holds the pulled archive next
    # to the vendored charts/sub directory; helm's `dependency list` calls that "unpacked", ok.
    umb = tmp_path / "umb"
    (umb / "charts" / "sub").mkdir(parents=True)
    (umb / "charts" / "sub" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: sub\nversion: 0.2.0\n", "utf-8"
    )
    (umb / "charts" / "nginx-0.1.0.tgz").write_bytes(b"")
    (umb / "Chart.yaml").write_text(
        "apiVersion: v2\nname: umb\nversion: 1.0.0\ndependencies:\n"
        "  - name: sub\n    version: 0.2.0\n    repository: file://charts/sub\n"
        "  - name: nginx\n    version: 0.1.0\n    repository: oci://127.0.0.1:42065/charts\n",
        "utf-8",
    )
    (umb / "Chart.lock").write_text(
        "dependencies:\n- name: sub\n  repository: file://charts/sub\n  version: 0.2.0\n"
        "- digest: sha256:cce5c69c37685d91b0a21cf8eb18120753c581a29a07b2cedcbe92d9988965bc\n"
        "  name: nginx\n  repository: oci://127.0.0.1:42065/charts\n  version: 0.1.0\n"
        "digest: sha256:968bcc5d3aa00e4d78917ac8a43c792e3d4ba645c453cf2ce2049edf441c7ec0\n"
        'generated: "2026-12-01T15:48:33.268798391Z"\n',
        "utf-8",
    )
    assert check(["umb"], cwd=tmp_path).findings == []
    # Without the directory the archive is really missing.
    (umb / "charts" / "sub" / "Chart.yaml").unlink()
    (umb / "charts" / "sub").rmdir()
    assert [f.rule for f in check(["umb"], cwd=tmp_path).findings] == ["CL208"]


def test_cl201_of_a_v1_chart_points_into_requirements_yaml(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "Chart.yaml").write_text("apiVersion: v1\nname: app\nversion: 0.1.0\n", "utf-8")
    (app / "requirements.yaml").write_text(
        "# deps\ndependencies:\n  - name: web\n    version: ^1.0.0\n"
        "    repository: oci://example.com/charts\n",
        "utf-8",
    )
    (hit,) = check(["app"], cwd=tmp_path).findings
    assert (hit.rule, hit.path, hit.line, hit.column) == ("CL201", "app/requirements.yaml", 3, 3)
    assert hit.message == "app has 1 dependency but no requirements.lock"
