"""Renovate (npm ``renovate@39``), for checking that its helm-values extractor reads the pins
``chartlock fix`` writes. Installed by scripts/install-test-tools.sh into
``/opt/chartlock-tools``; ``CHARTLOCK_RENOVATE`` names another executable."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.tools import _find, _require

RENOVATE_CANDIDATES = ("/opt/chartlock-tools/node_modules/.bin/renovate",)


def require_renovate() -> str:
    return _require(
        "renovate@39 (npm)", _find("CHARTLOCK_RENOVATE", ("renovate",), RENOVATE_CANDIDATES)
    )


def extract_helm_values(renovate: str, repo: Path) -> list[dict[str, object]]:
    """Renovate's own helm-values extraction of ``repo`` (a git work tree), offline:
    ``--platform=local --dry-run=extract``; returns every extracted dependency."""
    report = repo.parent / f"{repo.name}-renovate.json"
    env = {
        **os.environ,
        "RENOVATE_X_IGNORE_NODE_WARN": "true",
        "LOG_LEVEL": "warn",
        "RENOVATE_BASE_DIR": str(repo.parent / f"{repo.name}-renovate-cache"),
    }
    result = subprocess.run(
        [
            renovate,
            "--platform=local",
            "--dry-run=extract",
            "--enabled-managers=helm-values",
            "--onboarding=false",
            "--report-type=file",
            f"--report-path={report}",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads(report.read_text("utf-8"))
    deps: list[dict[str, object]] = []
    for package_file in data["repositories"]["local"]["packageFiles"].get("helm-values", []):
        for dep in package_file["deps"]:
            deps.append({**dep, "packageFile": package_file["packageFile"]})
    return deps
