"""An https chart repository served locally with a throwaway CA, referenced as `@name` through
Helm's repositories.yaml (caFile): chartlock picks helm's version and writes helm's digest."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.support.certs import make_ca_and_server_cert
from tests.support.cli import run_chartlock
from tests.support.registry import make_chart
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_repo(helm_bin: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca, cert, key = make_ca_and_server_cert(tmp_path / "certs")
    serve = tmp_path / "repo"
    serve.mkdir()
    for version in ("0.9.0", "1.0.0", "1.4.2", "2.0.0-rc.1"):
        src = make_chart(tmp_path / "src" / version, "webapp", version)
        subprocess.run(
            [helm_bin, "package", str(src), "-d", str(serve)], check=True, capture_output=True
        )

    def handler(*a: object, **k: object) -> _Quiet:
        return _Quiet(*a, directory=str(serve), **k)  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    url = f"https://127.0.0.1:{httpd.server_address[1]}/charts"
    (serve / "charts").mkdir()
    for tgz in serve.glob("*.tgz"):
        tgz.rename(serve / "charts" / tgz.name)
    subprocess.run(
        [helm_bin, "repo", "index", str(serve / "charts"), "--url", url],
        check=True,
        capture_output=True,
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    repos = tmp_path / "repositories.yaml"
    repos.write_text(
        f"apiVersion: v1\nrepositories:\n- name: secure\n  url: {url}\n  caFile: {ca}\n",
        "utf-8",
    )
    yield url, repos
    httpd.shutdown()
    httpd.server_close()


def test_at_name_https_repository_matches_helm(
    https_repo: tuple[str, Path], helm_bin: str, tmp_path: Path
) -> None:
    url, repos = https_repo
    for which in ("helm", "ours"):
        d = tmp_path / which
        d.mkdir()
        (d / "Chart.yaml").write_text(
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
            '  - name: webapp\n    version: ">=0.9 <2"\n    repository: "@secure"\n',
            "utf-8",
        )
    env = helm_env(tmp_path / "h")
    env["HELM_REPOSITORY_CONFIG"] = str(repos)
    update = subprocess.run([helm_bin, "repo", "update"], env=env, capture_output=True, text=True)
    assert update.returncode == 0, update.stderr
    helm = subprocess.run(
        [helm_bin, "dependency", "update", str(tmp_path / "helm")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert helm.returncode == 0, helm.stderr
    ours = run_chartlock("lock", str(tmp_path / "ours"), "--repository-config", str(repos))
    assert ours.returncode == 0, ours.stderr
    theirs, mine = (
        load_lock(tmp_path / "helm" / "Chart.lock"),
        load_lock(tmp_path / "ours" / "Chart.lock"),
    )
    assert mine.digest == theirs.digest
    assert [(d.repository, d.version) for d in mine.dependencies or []] == [(url, "1.4.2")]
    (entry,) = mine.dependencies or []
    assert (entry.content_digest or "").startswith("sha256:")
    check = run_chartlock("check", str(tmp_path / "ours"), "--repository-config", str(repos))
    assert check.returncode == 0, check.stdout + check.stderr
