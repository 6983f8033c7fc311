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


# A fresh process between the test and chartlock: its RUSAGE_CHILDREN is chartlock's alone (the
# test process's own covers every child it ever had), and it reports it in a file.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[2:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(peak * (1 if sys.platform == 'darwin' else 1024)))\n"
    "sys.exit(code)\n"
)


def run_chartlock_measured(
    *args: str,
    report: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> tuple[subprocess.CompletedProcess[str], int]:
    """:func:`run_chartlock`, and the peak resident set size of the chartlock process, in
    bytes (``report`` is a scratch file)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "DOCKER_"))}
    base.update(env or {})
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(report), sys.executable, "-m", "resolver", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        input=stdin,
        env=base,
        timeout=timeout,
    )
    return result, int(report.read_text() or 0)
