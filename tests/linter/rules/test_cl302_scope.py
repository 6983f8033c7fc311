"""CL302 on a repository-only image mapping: reported in a chart's own defaults, not where the
mapping overrides a subchart's image (or the chart's defaults, from another values file)."""

from __future__ import annotations

from pathlib import Path

import resolver
from resolver.linter.config import Config
from tests.linter.helpers import write

CHART = """
apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - name: postgresql
    version: 1.0.0
    repository: oci://registry-1.docker.io/bitnamicharts
  - name: redis
    alias: cache
    version: 1.0.0
    repository: oci://registry-1.docker.io/bitnamicharts
"""

VALUES = """
image:
  repository: nginx
worker:
  image:
    repository: example/worker
postgresql:
  image:
    repository: bitnamilegacy/postgresql
cache:
  image:
    registry: docker.io
    repository: bitnamilegacy/redis
vendored:
  image:
    repository: example/vendored
global:
  image:
    repository: example/global
"""


def _cl302(base: Path) -> list[tuple[str, int]]:
    report = resolver.lint(["."], Config(select=("CL302",)), cwd=base)
    assert not report.errors
    return [(f.path, f.line) for f in report.findings]


def test_own_defaults_are_reported_subchart_overrides_are_not(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/Chart.yaml": CHART,
            "app/values.yaml": VALUES,
            "app/charts/vendored/Chart.yaml": "apiVersion: v2\nname: vendored\nversion: 1.0.0\n",
        },
    )
    # image (the chart's own) and worker.image (a component, not a subchart).
    assert _cl302(tmp_path) == [("app/values.yaml", 2), ("app/values.yaml", 5)]


def test_other_values_files_are_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/Chart.yaml": CHART,
            "app/values.yaml": "image:\n  repository: nginx\n  tag: 1.27.3\n",
            "app/values-prod.yaml": "image:\n  repository: mirror.example/nginx\n",
            "app/ci/test-values.yaml": "worker:\n  image:\n    repository: example/worker\n",
        },
    )
    assert _cl302(tmp_path) == []


def test_a_string_image_without_tag_is_reported_everywhere(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/Chart.yaml": CHART,
            "app/values.yaml": "postgresql:\n  image: bitnamilegacy/postgresql\n",
            "app/values-prod.yaml": "image: nginx\n",
        },
    )
    assert _cl302(tmp_path) == [("app/values-prod.yaml", 1), ("app/values.yaml", 2)]


def test_a_tag_from_a_later_document_completes_the_default(tmp_path: Path) -> None:
    # Helm merges the documents: the image is nginx:1.27.3, not tag-less.
    write(
        tmp_path,
        {
            "app/Chart.yaml": CHART,
            "app/values.yaml": "image:\n  repository: nginx\n---\nimage:\n  tag: 1.27.3\n",
        },
    )
    assert _cl302(tmp_path) == []
    report = resolver.lint(["."], Config(select=("CL3",)), cwd=tmp_path)
    assert [(f.rule, f.line) for f in report.findings] == [("CL303", 5)]


def test_an_unreadable_chart_yaml_keeps_the_lenient_reading(tmp_path: Path) -> None:
    write(tmp_path, {"app/Chart.yaml": "name: [\n", "app/values.yaml": VALUES})
    assert _cl302(tmp_path) == []
