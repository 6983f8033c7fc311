"""Fault-matrix fixtures: the real registry with charts pushed by helm, and a way to run
chartlock through a fault-injecting proxy and check the three promises: exit 2 with one line
naming registry and repository, every file unchanged, no secret in any output."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import cli
from tests.support.registry import Pusher, RegistryServer

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("s3cr3t-P4ss", "t0ken-S3cret")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def run_chartlock(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Run:
    result = cli.run_chartlock(*args, stdin=stdin, env=env, timeout=120)
    return Run(result.returncode, result.stdout, result.stderr)


def assert_clean_failure(run: Run, *names: str) -> None:
    """Exit 2, one line, naming what it must name, no traceback, no secret."""
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert len(run.error_lines) == 1, run.stderr
    line = run.error_lines[0]
    assert line.startswith("chartlock: error: ")
    for name in names:
        assert name in line, (name, line)
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr


@pytest.fixture(scope="session")
def fault_registry(pusher: Pusher) -> RegistryServer:
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        pusher.push("faults", "web", version)
    return pusher.server


def write_chart(directory: Path, host: str, version: str = "^1.0.0") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: web\n    version: {version!r}\n    repository: oci://{host}/faults\n",
        "utf-8",
    )
    return directory


@pytest.fixture
def chart_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "app"


# --- back-off: recorded, never slept through ----------------------------------------------

NOBACKOFF = Path(__file__).resolve().parent / "nobackoff"


class Pauses:
    """The waits the registry client asked for (seconds): in this process, and in chartlock
    subprocesses (through tests/faults/nobackoff/sitecustomize.py and the file it writes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.here: list[float] = []

    def subprocesses(self) -> list[float]:
        if not self.path.exists():
            return []
        return [float(line) for line in self.path.read_text("utf-8").split()]

    def all(self) -> list[float]:
        return self.here + self.subprocesses()


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Pauses:
    """The fault suite does not sleep through real back-offs (issue 11): the client's one
    back-off seam, :func:`resolver.registry.retry.pause`, records the wait instead, here and
    in every chartlock subprocess. The schedule itself (bounded, jittered) is checked as a
    pure function in tests/registry/test_retry.py."""
    import asyncio
    import os

    from resolver.registry import retry

    recorded = Pauses(tmp_path_factory.mktemp("pauses") / "pauses.txt")

    async def pause(seconds: float) -> None:
        recorded.here.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(retry, "pause", pause)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(NOBACKOFF) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("CHARTLOCK_TEST_PAUSES", str(recorded.path))
    return recorded
