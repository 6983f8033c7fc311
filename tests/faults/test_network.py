"""Network faults against the real registry behind a fault-injecting proxy: each ends in exit 2
with one line naming registry, repository and cause, and leaves every file as it was; transient
faults are retried and succeed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.faults.conftest import (
    Pauses,
    assert_clean_failure,
    run_chartlock,
    snapshot,
    write_chart,
)
from tests.support.proxy import RESET, TRUNCATE, Hook, Proxy
from tests.support.registry import RegistryServer

pytestmark = pytest.mark.integration
TAGS = "/v2/faults/web/tags/list"


def locked(chart: Path, host: str) -> Path:
    """A chart with a Chart.lock written through a healthy path (so there is a file to protect)."""
    write_chart(chart, host)
    first = run_chartlock("lock", str(chart), "--plain-http")
    assert first.code == 0, first.stderr
    # Make the next lock want to rewrite it.
    text = (chart / "Chart.yaml").read_text("utf-8").replace("^1.0.0", "~1.1.0")
    (chart / "Chart.yaml").write_text(text, "utf-8")
    return chart


def always(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, path: str = TAGS
) -> Hook:
    def hook(method: str, p: str, h: dict[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        if p.split("?")[0] == path:
            return status, dict(headers or {}), body
        return None

    return hook


def fail_first(
    n: int, status: int, headers: dict[str, str] | None = None, path: str = TAGS
) -> Hook:
    calls = {"n": 0}

    def hook(method: str, p: str, h: dict[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        if p.split("?")[0] == path and calls["n"] < n:
            calls["n"] += 1
            return status, dict(headers or {}), b'{"errors":[{"code":"UNAVAILABLE"}]}'
        return None

    return hook


@pytest.mark.parametrize(
    ("name", "hook", "cause"),
    [
        ("5xx", always(503, b"<html>down</html>", {"Content-Type": "text/html"}), "503"),
        ("reset", always(RESET), "reset"),
        (
            "html-instead-of-json",
            always(200, b"<html>login</html>", {"Content-Type": "text/html"}),
            "JSON tag list",
        ),
        ("truncated", always(TRUNCATE, b'{"name":"faults/web","tags":["1.'), "closed"),
        ("429-forever", always(429, b"", {"Retry-After": "0"}), "too many requests"),
        (
            "404",
            always(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}'),
            "name unknown",
        ),
        ("denied", always(403, b'{"errors":[{"code":"DENIED","message":"no"}]}'), "denied"),
        (
            "endless-link",
            always(200, b'{"tags":["1.0.0"]}', {"Link": '<list?n=1&last=1.0.0>; rel="next"'}),
            "loops",
        ),
    ],
)
def test_lock_fault_exit_2_one_line_files_unchanged(
    fault_registry: RegistryServer, tmp_path: Path, name: str, hook: Hook, cause: str
) -> None:
    with Proxy(fault_registry.host) as healthy:
        chart = locked(tmp_path / "app", healthy.host)
        before = snapshot(chart)
        healthy.hook = hook
        run = run_chartlock("lock", str(chart), "--plain-http", "--timeout", "5")
        assert_clean_failure(run, healthy.host, "faults/web", cause)
        assert snapshot(chart) == before


def test_transient_503_is_retried(fault_registry: RegistryServer, tmp_path: Path) -> None:
    with Proxy(fault_registry.host, hook=fail_first(2, 503)) as proxy:
        chart = write_chart(tmp_path / "app", proxy.host)
        run = run_chartlock("lock", str(chart), "--plain-http")
        assert run.code == 0, run.stderr
        assert proxy.counts[TAGS] == 3


def test_429_retry_after_is_honoured(
    fault_registry: RegistryServer, tmp_path: Path, pauses: Pauses
) -> None:
    with Proxy(fault_registry.host, hook=fail_first(1, 429, {"Retry-After": "1"})) as proxy:
        chart = write_chart(tmp_path / "app", proxy.host)
        run = run_chartlock("lock", str(chart), "--plain-http")
        assert run.code == 0, run.stderr
        # The wait the header asked for (recorded by the back-off seam, not slept through).
        assert pauses.subprocesses() == [1.0]
        assert proxy.counts[TAGS] == 2


def test_503_is_retried_after_a_jittered_backoff(
    fault_registry: RegistryServer, tmp_path: Path, pauses: Pauses
) -> None:
    """Two 503s, then the tag list: two back-offs asked for (0.2 s then 0.4 s, each times a
    jitter in [0.5, 1.5)), recorded by the seam instead of slept through."""
    with Proxy(fault_registry.host, hook=fail_first(2, 503)) as proxy:
        chart = write_chart(tmp_path / "app", proxy.host)
        run = run_chartlock("lock", str(chart), "--plain-http")
        assert run.code == 0, run.stderr
        assert proxy.counts[TAGS] == 3
    first, second = pauses.subprocesses()
    assert 0.1 <= first < 0.3 and 0.2 <= second < 0.6


def test_timeout(fault_registry: RegistryServer, tmp_path: Path) -> None:
    with Proxy(fault_registry.host) as proxy:
        chart = locked(tmp_path / "app", proxy.host)
        before = snapshot(chart)
        proxy.delay = 2.0
        start = time.monotonic()
        run = run_chartlock("lock", str(chart), "--plain-http", "--timeout", "0.5")
        assert time.monotonic() - start < 30
        assert_clean_failure(run, proxy.host, "faults/web", "timed out")
        assert snapshot(chart) == before


def test_manifest_digest_mismatch_on_fallback_get(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    """HEAD without a digest header makes chartlock GET and hash; tampered bytes are refused."""

    def hook(method: str, p: str, h: dict[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        if method == "HEAD" and "/manifests/" in p:
            return 200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, b""
        return None

    def rewrite(method: str, p: str, body: bytes) -> bytes:
        return body.replace(b'"schemaVersion"', b'"schemaVersion" ') if "/manifests/" in p else body

    with Proxy(fault_registry.host) as proxy:
        chart = locked(tmp_path / "app", proxy.host)
        before = snapshot(chart)
        proxy.hook, proxy.rewrite = hook, rewrite
        run = run_chartlock("lock", str(chart), "--plain-http")
        assert_clean_failure(run, proxy.host, "faults/web", "does not match")
        assert snapshot(chart) == before


def test_unreachable_registry(tmp_path: Path) -> None:
    from tests.support.registry import free_port

    host = f"127.0.0.1:{free_port()}"
    chart = write_chart(tmp_path / "app", host)
    before = snapshot(chart)
    run = run_chartlock("lock", str(chart), "--plain-http", "--timeout", "2")
    assert_clean_failure(run, host, "faults/web", "cannot connect")
    assert snapshot(chart) == before


def test_tls_by_default_fails_cleanly_on_plain_http_registry(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    chart = write_chart(tmp_path / "app", fault_registry.host)
    run = run_chartlock("lock", str(chart), "--timeout", "5")
    assert_clean_failure(run, fault_registry.host, "faults/web")
    assert not (chart / "Chart.lock").exists()


def test_json_output_carries_no_secret(fault_registry: RegistryServer, tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "app", fault_registry.host)
    run = run_chartlock(
        "lock",
        str(chart),
        "--plain-http",
        "--format",
        "json",
        "--username",
        "u",
        "--password-stdin",
        stdin="s3cr3t-P4ss\n",
    )
    assert run.code == 0, run.stderr
    json.loads(run.stdout)
    assert "s3cr3t-P4ss" not in run.stdout + run.stderr
    assert "s3cr3t-P4ss" not in (chart / "Chart.lock").read_text("utf-8")


def test_token_endpoint_refusal_against_real_token_registry(
    token_registry: RegistryServer, helm_bin: str, tmp_path: Path
) -> None:
    from tests.support.registry import Pusher

    Pusher(helm_bin, token_registry, tmp_path / "push").push("faults", "web", "1.0.0")
    chart = write_chart(tmp_path / "app", token_registry.host)
    before = snapshot(chart)
    run = run_chartlock(
        "lock",
        str(chart),
        "--plain-http",
        "--username",
        "tokenuser",
        "--password-stdin",
        stdin="not-the-t0ken-S3cret\n",
    )
    assert_clean_failure(run, token_registry.host, "faults/web", "token request")
    assert "not-the-t0ken-S3cret" not in run.stdout + run.stderr
    assert snapshot(chart) == before


def test_silent_server_is_not_retried_into_a_long_hang(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    with Proxy(fault_registry.host) as proxy:
        chart = write_chart(tmp_path / "app", proxy.host)
        proxy.delay = 3.0
        start = time.monotonic()
        run = run_chartlock("lock", str(chart), "--plain-http", "--timeout", "1")
        elapsed = time.monotonic() - start
        assert_clean_failure(run, proxy.host, "faults/web", "timed out")
        assert elapsed < 6, elapsed  # one read timeout, not four
        assert proxy.counts[TAGS] == 1
