"""Run the real command line (`python -m resolver`) the way a user's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_chartlock(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """chartlock in a subprocess, without the user's Helm and Docker settings; ``env`` on top."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "DOCKER_"))}
    # This checkout's resolver, whatever the cwd (an installed chartlock may be another one).
    path = base.get("PYTHONPATH")
    base["PYTHONPATH"] = str(ROOT) + (os.pathsep + path if path else "")
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "resolver", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        input=stdin,
        env=base,
        timeout=timeout,
    )
