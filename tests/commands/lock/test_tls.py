"""TLS is verified by default; --ca-file and --insecure-skip-tls-verify behave as in Helm,
against a real registry serving HTTPS with a certificate from a throwaway CA."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.support.certs import make_ca_and_server_cert
from tests.support.cli import run_chartlock
from tests.support.registry import RegistryServer
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tls_registry(
    registry_bin: str, helm_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryServer, Path]]:
    certs = tmp_path_factory.mktemp("certs")
    ca, cert, key = make_ca_and_server_cert(certs)
    with RegistryServer(registry_bin, tls=(cert, key)) as server:
        work = tmp_path_factory.mktemp("tlspush")
        from tests.support.registry import make_chart

        chart = make_chart(work / "src", "secure", "1.2.3")
        subprocess.run(
            [helm_bin, "package", str(chart), "-d", str(work)], check=True, capture_output=True
        )
        subprocess.run(
            [
                helm_bin,
                "push",
                str(work / "secure-1.2.3.tgz"),
                f"oci://{server.host}/tls",
                "--ca-file",
                str(ca),
            ],
            check=True,
            capture_output=True,
            env=helm_env(work / "h"),
        )
        yield server, ca


def lock(chart: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return run_chartlock("lock", str(chart), *flags)


def chart(tmp_path: Path, host: str) -> Path:
    d = tmp_path / "app"
    d.mkdir()
    (d / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: secure\n    version: ~1.2\n    repository: oci://{host}/tls\n",
        "utf-8",
    )
    return d


def test_unknown_ca_is_refused_by_default(
    tls_registry: tuple[RegistryServer, Path], tmp_path: Path
) -> None:
    server, _ = tls_registry
    result = lock(chart(tmp_path, server.host))
    assert result.returncode == 2
    assert "TLS certificate verification failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_ca_file_is_trusted(tls_registry: tuple[RegistryServer, Path], tmp_path: Path) -> None:
    server, ca = tls_registry
    c = chart(tmp_path, server.host)
    result = lock(c, "--ca-file", str(ca), "--plain-http")  # --plain-http is ignored, as in Helm
    assert result.returncode == 0, result.stderr
    assert [d.version for d in load_lock(c / "Chart.lock").dependencies or []] == ["1.2.3"]


def test_insecure_skip_tls_verify(
    tls_registry: tuple[RegistryServer, Path], tmp_path: Path
) -> None:
    server, _ = tls_registry
    result = lock(chart(tmp_path, server.host), "--insecure-skip-tls-verify")
    assert result.returncode == 0, result.stderr
