"""The image and CI rules end to end through the lint engine (resolver.commands.lint.lint)."""

from __future__ import annotations

from pathlib import Path

import resolver.commands.lint as lint_module

MINE = {f"CL30{i}" for i in range(1, 7)} | {f"CL40{i}" for i in range(1, 7)} | {"CL601"}


def _chart(root: Path) -> None:
    chart = root / "charts" / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text(
        "image:\n  repository: nginx\n  tag: latest\nsidecar:\n  image: busybox\n"
    )
    (chart / "templates" / "job.yaml").write_text(
        "spec:\n  containers:\n    - image: alpine:3.20\n"
    )
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "jobs:\n  a:\n    steps:\n      - run: helm dependency update charts/app\n"
        "      - run: helm pull oci://ghcr.io/org/charts/x\n"
    )


def test_lint_reports_image_and_ci_rules(tmp_path: Path) -> None:
    _chart(tmp_path)
    report = lint_module.lint(["."], cwd=tmp_path)
    found = sorted((f.rule, f.path, f.line, f.column) for f in report.findings if f.rule in MINE)
    assert found == [
        ("CL301", "charts/app/values.yaml", 3, 8),
        ("CL302", "charts/app/values.yaml", 5, 10),
        ("CL303", "charts/app/templates/job.yaml", 3, 14),
        ("CL401", ".github/workflows/ci.yml", 5, 24),
        ("CL404", ".github/workflows/ci.yml", 4, 30),
    ]
    names = {f.rule: f.name for f in report.findings}
    assert names["CL301"] == "image-tag-latest" and names["CL404"] == "helm-dependency-update-in-ci"


def test_allowed_registries_reach_the_image_rules(tmp_path: Path) -> None:
    _chart(tmp_path)
    (tmp_path / ".chartlock.yaml").write_text("allowed-registries: [ghcr.io]\n")
    report = lint_module.lint(["."], cwd=tmp_path)
    cl601 = sorted((f.path, f.line) for f in report.findings if f.rule == "CL601")
    assert ("charts/app/values.yaml", 2) in cl601
    assert ("charts/app/templates/job.yaml", 3) in cl601
