"""`chartlock pull` against a real registry: a verified, cached `helm dependency build`."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.cli.main import main
from resolver.commands.pull import pull_charts
from resolver.errors import ChartlockError, DigestMismatch
from resolver.registry.cache import BlobCache
from resolver.registry.options import ClientOptions
from tests.commands.online.helpers import layer_digest, unique, write_lock, write_parent
from tests.support.proxy import Proxy
from tests.support.registry import Pusher, RegistryServer, make_chart
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("CHARTLOCK_CACHE", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def blob_gets(proxy: Proxy) -> int:
    return sum(1 for method, path in proxy.log if method == "GET" and "/blobs/" in path)


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def app(registry: RegistryServer, pusher: Pusher, tmp_path: Path) -> tuple[Path, str, str]:
    """A parent chart locking web 1.0.0, db 0.1.0 and meta 1.1.0+build.1 (tag 1.1.0_build.1)."""
    ns = unique("p")
    web = pusher.push(ns, "web", "1.0.0")
    db = pusher.push(ns, "db", "0.1.0")
    meta = pusher.push(ns, "meta", "1.1.0+build.1")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(
        tmp_path / "app",
        [("web", "~1.0.0", repo), ("db", "0.1.0", repo), ("meta", "1.1.0+build.1", repo)],
    )
    write_lock(
        chart,
        [
            ("web", repo, "1.0.0", web),
            ("db", repo, "0.1.0", db),
            ("meta", repo, "1.1.0+build.1", meta),
        ],
    )
    return chart, ns, repo


def test_pull_writes_layer_archives_and_helm_template_renders(
    app: tuple[Path, str, str],
    registry: RegistryServer,
    helm_bin: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chart, ns, _ = app
    code, out, err = run(capsys, "pull", str(chart), "--plain-http")
    assert code == 0, err
    files = sorted(p.name for p in (chart / "charts").iterdir())
    assert files == ["db-0.1.0.tgz", "meta-1.1.0+build.1.tgz", "web-1.0.0.tgz"]
    assert sha256(chart / "charts" / "web-1.0.0.tgz") == layer_digest(
        registry, f"{ns}/web", "1.0.0"
    )
    assert sha256(chart / "charts" / "meta-1.1.0+build.1.tgz") == layer_digest(
        registry, f"{ns}/meta", "1.1.0_build.1"
    )
    assert "Pulled 3 charts (0 from cache, 3 downloaded)" in out
    rendered = subprocess.run(
        [helm_bin, "template", "rel", str(chart)],
        env=helm_env(tmp_path / "helm"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    for name in ("web-rel", "db-rel", "meta-rel", "parent"):
        assert f"name: {name}" in rendered.stdout
    # Same archives helm dependency build would have written (the layer blobs).
    other = tmp_path / "helm-built"
    import shutil

    shutil.copytree(chart, other, ignore=shutil.ignore_patterns("charts"))
    built = subprocess.run(
        [helm_bin, "dependency", "build", str(other), "--plain-http"],
        env=helm_env(tmp_path / "helm"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert snapshot(other / "charts") == snapshot(chart / "charts")


def test_second_pull_downloads_nothing(
    app: tuple[Path, str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    chart, _ns, repo = app
    with Proxy(registry.host) as proxy:
        proxied = write_parent(
            tmp_path / "proxied",
            [
                ("web", "~1.0.0", repo.replace(registry.host, proxy.host)),
            ],
        )
        lock_digest = (chart / "Chart.lock").read_text("utf-8").split("digest: ")[1].split()[0]
        write_lock(
            proxied, [("web", repo.replace(registry.host, proxy.host), "1.0.0", lock_digest)]
        )
        options = ClientOptions(plain_http=True)
        first = pull_charts([proxied], options)
        assert first.downloaded == 1 and first.from_cache == 0
        assert blob_gets(proxy) == 1
        before = len(proxy.log)
        second = pull_charts([proxied], options)
        assert second.downloaded == 0 and second.from_cache == 1
        assert blob_gets(proxy) == 1
        assert len(proxy.log) == before  # manifest by digest is cached too: no request at all
        assert second.charts[0].files[0].status == "unchanged"


def test_corrupt_cache_entry_is_detected_and_refetched(
    app: tuple[Path, str, str], registry: RegistryServer, cache_dir: Path
) -> None:
    chart, ns, _ = app
    options = ClientOptions(plain_http=True)
    pull_charts([chart], options)
    layer = layer_digest(registry, f"{ns}/web", "1.0.0")
    entry = BlobCache(cache_dir).path(layer)
    entry.write_bytes(b"garbage")
    (chart / "charts" / "web-1.0.0.tgz").unlink()
    result = pull_charts([chart], options)
    assert result.downloaded == 1 and result.from_cache == 2
    assert sha256(chart / "charts" / "web-1.0.0.tgz") == layer
    assert sha256(entry) == layer


def test_blob_that_does_not_match_its_digest_is_refused(
    app: tuple[Path, str, str],
    registry: RegistryServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chart, ns, repo = app

    def tamper(method: str, path: str, body: bytes) -> bytes:
        # Same length: a longer body is refused before its hash (the manifest declares the size).
        return body[:-8] + b"tampered" if "/blobs/" in path else body

    with Proxy(registry.host, rewrite=tamper) as proxy:
        other = repo.replace(registry.host, proxy.host)
        proxied = write_parent(tmp_path / "proxied", [("web", "~1.0.0", other)])
        text = (chart / "Chart.lock").read_text("utf-8")
        web_digest = text.split("digest: ")[1].split()[0]
        write_lock(proxied, [("web", other, "1.0.0", web_digest)])
        charts = proxied / "charts"
        charts.mkdir()
        (charts / "web-0.9.0.tgz").write_bytes(b"old archive")
        before = snapshot(charts)
        code, _, err = run(capsys, "pull", str(proxied), "--plain-http")
        assert code == 2
        assert "does not match its digest" in err and f"{ns}/web" in err
        assert err.count("\n") == 1
        assert snapshot(charts) == before
        layer = layer_digest(registry, f"{ns}/web", "1.0.0")
        assert not BlobCache(tmp_path / "cache").path(layer).exists()
        with pytest.raises(DigestMismatch):
            pull_charts([proxied], ClientOptions(plain_http=True))


def test_stale_archives_of_the_same_dependency_are_removed(
    app: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, _, _ = app
    charts = chart / "charts"
    charts.mkdir()
    (charts / "web-0.9.0.tgz").write_bytes(b"old")
    (charts / "web-ui-1.0.0.tgz").write_bytes(b"another chart")
    (charts / "other-1.0.0.tgz").write_bytes(b"vendored")
    code, out, err = run(capsys, "pull", str(chart), "--plain-http")
    assert code == 0, err
    assert "removed stale charts/web-0.9.0.tgz" in out
    names = sorted(p.name for p in charts.iterdir())
    assert names == [
        "db-0.1.0.tgz",
        "meta-1.1.0+build.1.tgz",
        "other-1.0.0.tgz",
        "web-1.0.0.tgz",
        "web-ui-1.0.0.tgz",
    ]


def test_out_of_sync_lock_is_refused(
    app: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    chart, _, _ = app
    text = (chart / "Chart.yaml").read_text("utf-8").replace("~1.0.0", "~1.0")
    (chart / "Chart.yaml").write_text(text, "utf-8")
    code, out, err = run(capsys, "pull", str(chart), "--plain-http")
    assert code == 2 and out == ""
    assert "out of sync" in err
    assert not (chart / "charts").exists()


def test_missing_lock_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", "oci://127.0.0.1:9/ns")])
    code, _, err = run(capsys, "pull", str(chart), "--plain-http")
    assert code == 2 and "no Chart.lock" in err


def test_entry_without_digest_is_pulled_by_tag_with_a_warning(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("p")
    manifest = pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", repo)])
    write_lock(chart, [("web", repo, "1.0.0", None)])
    code, _out, err = run(capsys, "pull", str(chart), "--plain-http")
    assert code == 0, err
    assert "has no digest" in err and manifest in err
    assert sha256(chart / "charts" / "web-1.0.0.tgz") == layer_digest(
        registry, f"{ns}/web", "1.0.0"
    )


def test_file_and_vendored_dependencies(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("p")
    web = pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    make_chart(tmp_path, "local", "0.3.0")
    chart = write_parent(
        tmp_path / "app",
        [("web", "1.0.0", repo), ("local", "0.3.0", "file://../local"), ("vend", "*", '""')],
    )
    make_chart(chart / "charts", "vend", "1.0.0")
    write_lock(
        chart,
        [
            ("web", repo, "1.0.0", web),
            ("local", "file://../local", "0.3.0", None),
            ("vend", "", "*", None),
        ],
    )
    code, _, err = run(capsys, "pull", str(chart), "--plain-http")
    assert code == 0, err
    assert "file:// dependencies are not pulled; run helm dependency build" in err
    assert sorted(p.name for p in (chart / "charts").iterdir()) == ["vend", "web-1.0.0.tgz"]


class _Index:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        index = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

            def log_message(self, *args: object) -> None:
                index.requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def index_repo(helm_bin: str, tmp_path: Path) -> Iterator[tuple[_Index, str]]:
    root = tmp_path / "repo"
    (root / "charts").mkdir(parents=True)
    src = make_chart(tmp_path / "src", "webchart", "1.2.3")
    subprocess.run(
        [helm_bin, "package", str(src), "-d", str(root / "charts")],
        env=helm_env(tmp_path / "helm"),
        check=True,
        capture_output=True,
    )
    archive = root / "charts" / "webchart-1.2.3.tgz"
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    (root / "index.yaml").write_text(
        "apiVersion: v1\nentries:\n  webchart:\n"
        f"  - name: webchart\n    version: 1.2.3\n    digest: {digest}\n"
        "    urls:\n    - charts/webchart-1.2.3.tgz\n"
        "  - name: webchart\n    version: 1.0.0\n    urls:\n    - charts/webchart-1.0.0.tgz\n",
        "utf-8",
    )
    server = _Index(root)
    yield server, "sha256:" + digest
    server.close()


def test_https_index_dependency(
    index_repo: tuple[_Index, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, digest = index_repo
    chart = write_parent(tmp_path / "app", [("webchart", "^1.0.0", server.url)])
    write_lock(chart, [("webchart", server.url, "1.2.3", digest)])
    code, _, err = run(capsys, "pull", str(chart))
    assert code == 0, err
    assert sha256(chart / "charts" / "webchart-1.2.3.tgz") == digest
    downloads = [r for r in server.requests if r.endswith(".tgz")]
    assert len(downloads) == 1
    code, _, err = run(capsys, "pull", str(chart))
    assert code == 0, err
    assert len([r for r in server.requests if r.endswith(".tgz")]) == 1  # from the cache
    # A lock digest the archive does not match: refused, nothing changed.
    (chart / "charts" / "webchart-1.2.3.tgz").unlink()
    write_lock(chart, [("webchart", server.url, "1.2.3", "sha256:" + "1" * 64)])
    code, _, err = run(capsys, "pull", str(chart))
    assert code == 2 and "does not match its digest" in err
    assert list((chart / "charts").iterdir()) == []


def test_pull_errors_are_chartlock_errors(tmp_path: Path) -> None:
    chart = write_parent(tmp_path / "app", [("web", "1.0.0", "oci://127.0.0.1:9/ns")])
    write_lock(chart, [("web", "oci://127.0.0.1:9/ns", "1.0.0", "sha256:" + "2" * 64)])
    with pytest.raises(ChartlockError, match="cannot connect"):
        pull_charts([chart], ClientOptions(plain_http=True, timeout=2))
    assert not (chart / "charts").exists()
