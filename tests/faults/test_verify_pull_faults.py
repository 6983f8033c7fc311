"""Faults for `chartlock verify` and `chartlock pull` through the proxy: exit 2, one line, no file
changed (pull writes nothing into charts/ unless every download verified)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.faults.conftest import assert_clean_failure, run_chartlock, snapshot, write_chart
from tests.support.proxy import RESET, Hook, Proxy
from tests.support.registry import RegistryServer

pytestmark = pytest.mark.integration


def locked_chart(tmp_path: Path, host: str) -> Path:
    chart = write_chart(tmp_path / "app", host)
    run = run_chartlock("lock", str(chart), "--plain-http")
    assert run.code == 0, run.stderr
    (chart / "charts").mkdir()
    (chart / "charts" / "keep.txt").write_text("untouched\n", "utf-8")
    return chart


def on(path_part: str, status: int, body: bytes = b"") -> Hook:
    def hook(method: str, p: str, h: dict[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        return (status, {}, body) if path_part in p else None

    return hook


@pytest.mark.parametrize("command", ["verify", "pull"])
@pytest.mark.parametrize(
    ("name", "hook", "cause"),
    [
        ("5xx", on("/manifests/", 502), "502"),
        ("reset", on("/manifests/", RESET), "reset"),
        ("denied", on("/manifests/", 403, b'{"errors":[{"code":"DENIED"}]}'), "denied"),
    ],
)
def test_online_command_faults(
    fault_registry: RegistryServer,
    tmp_path: Path,
    command: str,
    name: str,
    hook: Hook,
    cause: str,
) -> None:
    with Proxy(fault_registry.host) as proxy:
        chart = locked_chart(tmp_path, proxy.host)
        before = snapshot(chart)
        proxy.hook = hook
        run = run_chartlock(command, str(chart), "--plain-http", "--timeout", "5")
        assert_clean_failure(run, proxy.host, "faults/web", cause)
        assert snapshot(chart) == before


def test_pull_refuses_blob_whose_bytes_do_not_match(
    fault_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTLOCK_CACHE", str(tmp_path / "cache"))

    def rewrite(method: str, p: str, body: bytes) -> bytes:
        return body[:-1] + bytes([body[-1] ^ 1]) if "/blobs/" in p and body else body

    with Proxy(fault_registry.host) as proxy:
        chart = locked_chart(tmp_path, proxy.host)
        before = snapshot(chart)
        proxy.rewrite = rewrite
        run = run_chartlock(
            "pull", str(chart), "--plain-http", env={"CHARTLOCK_CACHE": str(tmp_path / "cache")}
        )
        assert_clean_failure(run, proxy.host, "faults/web", "does not match")
        assert snapshot(chart) == before
        for cached in (tmp_path / "cache").rglob("sha256/*"):  # nothing unverified was cached
            assert hashlib.sha256(cached.read_bytes()).hexdigest() == cached.name
