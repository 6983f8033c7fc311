"""The console-script entry points: today's and the one older installs generated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_old_entry_point_still_runs_the_command_line() -> None:
    """Scripts generated for ``chartlock = "resolver.cli:entry"`` keep working."""
    done = _run(
        "import sys; sys.argv = ['chartlock', '--version']\n"
        "from resolver.cli import entry\n"
        "entry()\n"
    )
    from resolver import __version__

    assert (done.returncode, done.stdout.strip()) == (0, f"chartlock {__version__}")


def test_the_old_entry_point_reports_usage_errors_like_the_console_script() -> None:
    done = _run(
        "import sys; sys.argv = ['chartlock', 'lnt']\nfrom resolver.cli import entry\nentry()\n"
    )
    assert done.returncode == 2
    assert "did you mean 'lint'?" in done.stderr
    assert "Traceback" not in done.stderr
