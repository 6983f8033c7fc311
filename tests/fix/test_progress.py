"""``chartlock fix`` progress: one updating ``n/N images resolved`` line on stderr, only when
stderr is a terminal and there are more than ``THRESHOLD`` lookups (issue 13, scope 4)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from resolver.autofix.progress import THRESHOLD, Progress
from tests.support.registry import RegistryServer

ROOT = Path(__file__).resolve().parents[2]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_on_a_terminal_shows_one_updating_line_then_erases_it() -> None:
    stream = _Terminal()
    progress = Progress(stream, THRESHOLD + 1)
    assert progress.active
    for _ in range(THRESHOLD + 1):
        progress.step()
    progress.close()
    progress.close()  # idempotent
    text = stream.getvalue()
    assert "\n" not in text  # one line, rewritten in place
    shown = [part for part in text.split("\r\x1b[K") if part]
    assert shown == [
        f"chartlock: {n}/{THRESHOLD + 1} images resolved" for n in range(THRESHOLD + 2)
    ]
    assert text.endswith("\r\x1b[K")  # erased: what follows starts on a clean line


@pytest.mark.parametrize(
    ("stream", "total"),
    [(_Terminal(), THRESHOLD), (io.StringIO(), THRESHOLD + 50), (None, THRESHOLD + 50)],
    ids=["short-run", "not-a-terminal", "no-stream"],
)
def test_nothing_is_shown_for_a_short_run_or_off_a_terminal(
    stream: io.StringIO | None, total: int
) -> None:
    progress = Progress(stream, total)
    assert not progress.active
    for _ in range(total):
        progress.step()
    progress.close()
    assert stream is None or stream.getvalue() == ""


def _chart(tmp_path: Path, count: int) -> Path:
    chart = tmp_path / "app"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n", "utf-8")
    images = "".join(f"  - docker.io/progress/app{i}:1.0\n" for i in range(count))
    (chart / "values.yaml").write_text(f"images:\n{images}", "utf-8")
    return chart


def _mirror(registry: RegistryServer) -> list[str]:
    return [f"--mirror=docker.io={registry.url}"]


def _fix_on_a_pty(chart: Path, registry: RegistryServer) -> tuple[int, str]:
    """``chartlock fix --check`` with stderr on a pseudo-terminal; its exit code and stderr."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "DOCKER_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "resolver", "fix", "--check", str(chart), *_mirror(registry)],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
        cwd=chart.parent,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=180), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.integration
def test_fix_on_a_terminal_shows_progress_for_a_long_run_only(
    registry: RegistryServer, tmp_path: Path
) -> None:
    long_chart = _chart(tmp_path / "long", THRESHOLD + 5)
    code, stderr = _fix_on_a_pty(long_chart, registry)
    assert code == 1  # the tags are not in the registry: reported, not fixed
    total = THRESHOLD + 5
    assert f"chartlock: 0/{total} images resolved" in stderr
    assert f"chartlock: {total}/{total} images resolved\r\x1b[K" in stderr
    assert f"{total} images looked up" in stderr

    short_chart = _chart(tmp_path / "short", 3)
    code, stderr = _fix_on_a_pty(short_chart, registry)
    assert code == 1
    assert "images resolved" not in stderr and "3 images looked up" in stderr


@pytest.mark.integration
def test_fix_with_stderr_not_a_terminal_shows_no_progress(
    registry: RegistryServer, tmp_path: Path
) -> None:
    from tests.support.cli import run_chartlock

    chart = _chart(tmp_path, THRESHOLD + 5)
    result = run_chartlock("fix", "--check", str(chart), f"--mirror=docker.io={registry.url}")
    assert result.returncode == 1
    assert "images resolved" not in result.stderr and "\x1b" not in result.stderr
    assert f"{THRESHOLD + 5} images looked up" in result.stderr
