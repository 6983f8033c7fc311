"""`chartlock lock` against a real registry (charts pushed by the real helm): anonymous, Basic,
Bearer token, a paging registry, an index repository; unchanged locks stay byte-identical."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.support.cli import run_chartlock as chartlock
from tests.support.proxy import Proxy
from tests.support.registry import Pusher, RegistryServer
from tests.support.tokenserver import TokenServer
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def write_chart(directory: Path, deps: list[tuple[str, str, str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  - name: {name}\n    version: {version!r}\n    repository: {repo}\n"
        for name, version, repo in deps
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{body}", "utf-8"
    )
    return directory


@pytest.fixture(scope="module")
def pushed(pusher: Pusher) -> dict[tuple[str, str, str], str]:
    for version in ("1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0"):
        pusher.push("lock", "web", version)
    for version in ("0.1.0", "0.2.0"):
        pusher.push("lock", "db", version)
    return pusher.digests


def test_lock_writes_helm_versions_and_manifest_digests(
    registry: RegistryServer, pushed: dict[tuple[str, str, str], str], tmp_path: Path
) -> None:
    repo = f"oci://{registry.host}/lock"
    chart = write_chart(tmp_path / "app", [("web", "^1.0.0", repo), ("db", "0.1.0", repo)])
    result = chartlock("lock", str(chart), "--plain-http")
    assert result.returncode == 0, result.stderr
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None
    assert [(d.name, d.version) for d in lock.dependencies] == [("web", "1.1.0"), ("db", "0.1.0")]
    assert lock.dependencies[0].content_digest == pushed[("lock", "web", "1.1.0")]
    assert lock.dependencies[1].content_digest == pushed[("lock", "db", "0.1.0")]
    before = (chart / "Chart.lock").read_bytes()
    again = chartlock("lock", str(chart), "--plain-http")
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert (chart / "Chart.lock").read_bytes() == before
    assert chartlock("lock", "--check", str(chart), "--plain-http").returncode == 0
    (chart / "Chart.yaml").write_text(
        (chart / "Chart.yaml").read_text("utf-8").replace("^1.0.0", "2.x"), "utf-8"
    )
    check = chartlock("lock", "--check", str(chart), "--plain-http")
    assert check.returncode == 1 and "would change" in check.stdout
    assert (chart / "Chart.lock").read_bytes() == before


def test_no_matching_version_fails_early_and_clearly(
    registry: RegistryServer, pushed: dict[tuple[str, str, str], str], tmp_path: Path
) -> None:
    repo = f"oci://{registry.host}/lock"
    chart = write_chart(tmp_path / "app", [("web", ">=3.0.0", repo)])
    result = chartlock("lock", str(chart), "--plain-http")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "web" in line and ">=3.0.0" in line and "newest: 2.0.0, 1.1.0, 1.0.0" in line
    assert not (chart / "Chart.lock").exists()


def test_missing_exact_tag_names_the_tag(
    registry: RegistryServer, pushed: dict[tuple[str, str, str], str], tmp_path: Path
) -> None:
    chart = write_chart(tmp_path / "app", [("web", "1.5.0", f"oci://{registry.host}/lock")])
    result = chartlock("lock", str(chart), "--plain-http")
    assert result.returncode == 2
    assert "tag 1.5.0 does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_each_repository_listed_once_and_each_tag_headed_once(
    registry: RegistryServer, pushed: dict[tuple[str, str, str], str], tmp_path: Path
) -> None:
    with Proxy(registry.host) as proxy:
        repo = f"oci://{proxy.host}/lock"
        deps = [("web", "^1.0.0", repo), ("web", "~1.1", repo), ("web", "1.x", repo)]
        deps += [("db", ">=0.1.0", repo), ("db", "0.2.0", repo)]
        chart = write_chart(tmp_path / "app", [(n, v, r) for n, v, r in deps])
        text = (chart / "Chart.yaml").read_text("utf-8")
        for i in range(5):  # aliases keep names unique
            text = text.replace("  - name:", f"  - alias: a{i}\n    name:", 1)
        (chart / "Chart.yaml").write_text(text, "utf-8")
        result = chartlock("lock", str(chart), "--plain-http")
        assert result.returncode == 0, result.stderr
    assert proxy.counts["/v2/lock/web/tags/list"] == 1
    assert proxy.counts["/v2/lock/db/tags/list"] == 1
    heads = [p for m, p in proxy.log if m == "HEAD"]
    assert sorted(heads) == sorted(set(heads))  # one HEAD per (repository, tag)
    assert "/v2/lock/web/manifests/1.1.0" in heads


def test_each_digest_is_fetched_as_soon_as_its_version_is_known(
    registry: RegistryServer, pushed: dict[tuple[str, str, str], str], tmp_path: Path
) -> None:
    """A slow tag list delays only its own dependency: the other range's HEAD and the exact
    version's HEAD go out while it is still being answered."""
    arrivals: list[tuple[float, str, str]] = []

    def hook(method: str, path: str, headers: dict[str, str]) -> None:
        arrivals.append((time.monotonic(), method, path))
        if method == "GET" and path.endswith("/lock/db/tags/list"):
            time.sleep(1.0)

    with Proxy(registry.host, hook=hook) as proxy:
        repo = f"oci://{proxy.host}/lock"
        deps = [("db", "~0.1", repo), ("web", "^1.0.0", repo), ("web", "2.0.0", repo)]
        chart = write_chart(tmp_path / "app", deps)
        text = (chart / "Chart.yaml").read_text("utf-8")
        (chart / "Chart.yaml").write_text(
            text.replace("  - name: web", "  - alias: w2\n    name: web", 1), "utf-8"
        )
        result = chartlock("lock", str(chart), "--plain-http")
        assert result.returncode == 0, result.stderr
    when = {(m, p): t for t, m, p in arrivals}
    slow_done = when[("GET", "/v2/lock/db/tags/list")] + 1.0
    assert when[("HEAD", "/v2/lock/web/manifests/1.1.0")] < slow_done
    assert when[("HEAD", "/v2/lock/web/manifests/2.0.0")] < slow_done
    assert when[("HEAD", "/v2/lock/db/manifests/0.1.0")] >= slow_done
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None
    assert [d.version for d in lock.dependencies] == ["0.1.0", "1.1.0", "2.0.0"]
    assert [d.content_digest for d in lock.dependencies] == [
        pushed[("lock", "db", "0.1.0")],
        pushed[("lock", "web", "1.1.0")],
        pushed[("lock", "web", "2.0.0")],
    ]


def test_paging_registry(
    registry: RegistryServer, pushed: dict[tuple[str, str, str], str], tmp_path: Path
) -> None:
    with Proxy(registry.host, page_size=1) as proxy:
        chart = write_chart(tmp_path / "app", [("web", "*", f"oci://{proxy.host}/lock")])
        result = chartlock("lock", str(chart), "--plain-http")
        assert result.returncode == 0, result.stderr
    pages = [p for m, p in proxy.log if "/tags/list" in p]
    assert len(pages) == 4  # 4 tags, one per page, followed through Link headers
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None and lock.dependencies[0].version == "2.0.0"


def docker_config(tmp: Path, host: str, user: str, password: str) -> dict[str, str]:
    import base64

    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    cfg = tmp / "docker"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "DOCKER_"))}
    env["DOCKER_CONFIG"] = str(cfg)
    env["HELM_REGISTRY_CONFIG"] = str(tmp / "no-helm-registry.json")
    env["HOME"] = str(tmp)
    return env


def test_basic_auth_from_docker_config(
    basic_registry: RegistryServer, helm_bin: str, tmp_path: Path
) -> None:
    pusher = Pusher(helm_bin, basic_registry, tmp_path / "push")
    digest = pusher.push("private", "secret-chart", "1.0.0")
    chart = write_chart(
        tmp_path / "app", [("secret-chart", "~1.0", f"oci://{basic_registry.host}/private")]
    )
    anonymous = chartlock(
        "lock", str(chart), "--plain-http", env=docker_config(tmp_path / "a", "x", "y", "z")
    )
    assert anonymous.returncode == 2
    assert "authentication required" in anonymous.stderr
    assert f"helm registry login {basic_registry.host}" in anonymous.stderr
    env = docker_config(tmp_path / "b", basic_registry.host, "chartuser", "s3cr3t-P4ss")
    result = chartlock("lock", str(chart), "--plain-http", env=env)
    assert result.returncode == 0, result.stderr
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None and lock.dependencies[0].content_digest == digest
    for output in (result.stdout, result.stderr, anonymous.stderr, lock.text):
        assert "s3cr3t-P4ss" not in output


def test_bearer_token_auth_reuses_one_token_per_repository(
    token_registry: RegistryServer, token_server: TokenServer, helm_bin: str, tmp_path: Path
) -> None:
    pusher = Pusher(helm_bin, token_registry, tmp_path / "push")
    for version in ("1.0.0", "1.1.0"):
        pusher.push("tok", "one", version)
    pusher.push("tok", "two", "3.0.0")
    repo = f"oci://{token_registry.host}/tok"
    chart = write_chart(
        tmp_path / "app", [("one", "^1.0.0", repo), ("two", "3.x", repo), ("one", "1.0.0", repo)]
    )
    text = (
        (chart / "Chart.yaml")
        .read_text("utf-8")
        .replace(
            "  - name: one\n    version: '1.0.0'",
            "  - name: one\n    alias: pinned\n    version: '1.0.0'",
        )
    )
    (chart / "Chart.yaml").write_text(text, "utf-8")
    before = len(token_server.requests)
    result = chartlock(
        "lock",
        str(chart),
        "--plain-http",
        "--username",
        "tokenuser",
        "--password-stdin",
        stdin="t0ken-S3cret\n",
    )
    assert result.returncode == 0, result.stderr
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None
    assert [d.version for d in lock.dependencies] == ["1.1.0", "3.0.0", "1.0.0"]
    scopes = token_server.requests[before:]
    assert len(scopes) == 2, scopes  # one token per repository, reused for every request
    assert "t0ken-S3cret" not in result.stdout + result.stderr + lock.text


class _IndexHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index_repo(helm_bin: str, tmp_path: Path) -> Iterator[str]:
    from tests.support.registry import make_chart

    serve = tmp_path / "repo"
    serve.mkdir()
    for version in ("1.0.0", "1.2.0", "1.3.0-beta.1", "2.0.0"):
        src = make_chart(tmp_path / "src" / version, "indexed", version)
        subprocess.run(
            [helm_bin, "package", str(src), "-d", str(serve)], check=True, capture_output=True
        )
    port_holder: list[str] = []
    handler = lambda *a, **k: _IndexHandler(*a, directory=str(serve), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    subprocess.run(
        [helm_bin, "repo", "index", str(serve), "--url", url], check=True, capture_output=True
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port_holder.append(url)
    yield url
    httpd.shutdown()
    httpd.server_close()


def test_index_repository_matches_helm(index_repo: str, helm_bin: str, tmp_path: Path) -> None:
    deps = [("indexed", "^1.0.0", index_repo), ("indexed", "~1.3.0-0", index_repo + "/")]
    for which in ("helm", "ours"):
        chart = write_chart(tmp_path / which, deps)
        text = (
            (chart / "Chart.yaml")
            .read_text("utf-8")
            .replace("version: '~1.3.0-0'", "version: '~1.3.0-0'\n    alias: beta")
        )
        (chart / "Chart.yaml").write_text(text, "utf-8")
    helm = subprocess.run(
        [helm_bin, "dependency", "update", str(tmp_path / "helm")],
        env=helm_env(tmp_path / "h"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert helm.returncode == 0, helm.stderr
    ours = chartlock("lock", str(tmp_path / "ours"))
    assert ours.returncode == 0, ours.stderr
    theirs, mine = (
        load_lock(tmp_path / "helm" / "Chart.lock"),
        load_lock(tmp_path / "ours" / "Chart.lock"),
    )
    assert mine.digest == theirs.digest
    assert [d.version for d in mine.dependencies or []] == ["1.2.0", "1.3.0-beta.1"]
    assert all((d.content_digest or "").startswith("sha256:") for d in mine.dependencies or [])


def test_apiversion_v1_chart_gets_requirements_lock_like_helm(
    registry: RegistryServer,
    pushed: dict[tuple[str, str, str], str],
    helm_bin: str,
    tmp_path: Path,
) -> None:
    # Helm's writeLock names the file requirements.lock for an apiVersion v1 chart; chartlock
    # wrote a Chart.lock beside requirements.yaml (helm dependency update then left both).
    repo = f"oci://{registry.host}/lock"
    for name in ("mine", "helms"):
        chart = tmp_path / name
        chart.mkdir()
        (chart / "Chart.yaml").write_text("apiVersion: v1\nname: app\nversion: 0.1.0\n", "utf-8")
        (chart / "requirements.yaml").write_text(
            f"dependencies:\n  - name: web\n    version: ^1.0.0\n    repository: {repo}\n",
            "utf-8",
        )
    result = chartlock("lock", str(tmp_path / "mine"), "--plain-http")
    assert result.returncode == 0, result.stderr
    assert "requirements.lock created (1 dependency)" in result.stdout
    subprocess.run(
        [helm_bin, "dependency", "update", "--plain-http", str(tmp_path / "helms")],
        env=helm_env(tmp_path / "helm-home"),
        capture_output=True,
        check=True,
    )
    assert sorted(p.name for p in (tmp_path / "helms").glob("*.lock")) == ["requirements.lock"]
    assert sorted(p.name for p in (tmp_path / "mine").glob("*.lock")) == ["requirements.lock"]
    lock = load_lock(tmp_path / "mine" / "requirements.lock")
    assert [(d.name, d.version) for d in lock.dependencies or []] == [("web", "1.1.0")]
    assert lock.digest == load_lock(tmp_path / "helms" / "requirements.lock").digest
    assert chartlock("check", str(tmp_path / "mine")).returncode == 0
