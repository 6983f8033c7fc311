"""`chartlock lint --online` shares verify's registry rules: a re-pushed tag is CL501, with a fix
hint naming the chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_chartlock as run
from tests.support.registry import Pusher, RegistryServer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def test_lint_online_reports_moved_tag(
    registry: RegistryServer, helm_bin: str, tmp_path: Path
) -> None:
    pusher = Pusher(helm_bin, registry, tmp_path / "push")
    pusher.push("lintonline", "web", "1.0.0")
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f'  - name: web\n    version: "~1.0.0"\n    repository: oci://{registry.host}/lintonline\n',
        "utf-8",
    )
    assert run("lock", str(chart), "--plain-http").returncode == 0
    offline = run("lint", str(chart), "--format", "json")
    assert [f["rule"] for f in json.loads(offline.stdout)["findings"]] == []
    pusher.push("lintonline", "web", "1.0.0", values="changed: true\n")
    online = run("lint", str(chart), "--online", "--plain-http", "--format", "json")
    assert online.returncode == 1, online.stderr
    (finding,) = json.loads(online.stdout)["findings"]
    assert finding["rule"] == "CL501" and finding["path"].endswith("app/Chart.lock")
    assert "<chart>" not in finding["fix"] and str(chart.name) in finding["fix"]
