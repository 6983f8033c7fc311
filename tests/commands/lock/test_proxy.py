"""Through a real forward proxy (tests/support/forwardproxy.py), chartlock goes where helm goes.

Each case runs the real helm and chartlock with the same environment (HTTP_PROXY, HTTPS_PROXY,
NO_PROXY) against the same real registry, and compares what the proxy saw (which
``host:port`` was proxied, by ``CONNECT`` or by absolute-form request) and the results.

Go never proxies loopback addresses, so the registry is named ``registry.test``, a name only the
proxy resolves (to 127.0.0.1): a request that does not go through the proxy cannot reach it.
For the direct (``NO_PROXY``) cases, the machine's own host name is used when it resolves to a
loopback address.
"""

from __future__ import annotations

import base64
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.support.certs import make_ca_and_server_cert
from tests.support.cli import run_chartlock
from tests.support.forwardproxy import ForwardProxy
from tests.support.registry import Pusher, RegistryServer, make_chart
from tests.support.tokenserver import TokenServer
from tests.support.tools import helm_env

pytestmark = pytest.mark.integration

NAME = "registry.test"
USER, PASSWORD = "proxyuser", "pr0xy-S3cret"
# Each test states its whole proxy environment: the variables it does not set are empty (unset,
# for Go and for chartlock), whatever the environment running the tests has.
CLEAN = {
    name: ""
    for name in (
        *("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"),
        *("ALL_PROXY", "all_proxy", "REQUEST_METHOD"),
    )
}


def _local_hostname() -> str | None:
    """This machine's name, if it resolves to a loopback address (then it is a name Go
    proxies, yet a direct connection reaches 127.0.0.1)."""
    name = socket.gethostname().lower()
    if not name or name == "localhost":
        return None
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    except OSError:
        return None
    return name if addresses and all(a.startswith("127.") for a in addresses) else None


LOCAL = _local_hostname()
needs_local_name = pytest.mark.skipif(
    LOCAL is None, reason="the host name does not resolve to a loopback address"
)


@pytest.fixture(scope="module")
def proxy() -> Iterator[ForwardProxy]:
    hosts = {NAME: "127.0.0.1"}
    if LOCAL:
        hosts[LOCAL] = "127.0.0.1"
    with ForwardProxy(hosts) as server:
        yield server


@pytest.fixture(scope="module")
def auth_proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy({NAME: "127.0.0.1"}, credentials=(USER, PASSWORD)) as server:
        yield server


@pytest.fixture(scope="module")
def plain(pusher: Pusher) -> Pusher:
    for version in ("1.2.3", "1.3.0", "2.0.0"):
        pusher.push("proxied", "alpha", version)
    pusher.push("proxied", "beta", "0.4.1")
    return pusher


@pytest.fixture(scope="module")
def tls_registry(
    registry_bin: str, helm_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryServer, Path, str]]:
    """An https registry whose certificate names registry.test (and the local host name);
    returns it, the CA file and the pushed chart's digest."""
    certs = tmp_path_factory.mktemp("proxycerts")
    names = (NAME,) + ((LOCAL,) if LOCAL else ())
    ca, cert, key = make_ca_and_server_cert(certs, names)
    with RegistryServer(registry_bin, tls=(cert, key)) as server:
        work = tmp_path_factory.mktemp("proxytls")
        chart = make_chart(work / "src", "secure", "1.2.3")
        subprocess.run(
            [helm_bin, "package", str(chart), "-d", str(work)], check=True, capture_output=True
        )
        pushed = subprocess.run(
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
            text=True,
            env=helm_env(work / "h"),
        )
        digest = next(
            line.split(":", 1)[1].strip()
            for line in (pushed.stdout + pushed.stderr).splitlines()
            if line.startswith("Digest:")
        )
        yield server, ca, digest


def _parent(directory: Path, deps: list[tuple[str, str, str]]) -> Path:
    directory.mkdir(parents=True)
    body = "".join(
        f'  - name: {name}\n    version: {version!r}\n    repository: "{repo}"\n'
        for name, version, repo in deps
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{body}", "utf-8"
    )
    return directory


def _helm(
    helm_bin: str, home: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    full = helm_env(home)
    full.update(env)
    return subprocess.run([helm_bin, *args], env=full, capture_output=True, text=True, timeout=120)


def _both(
    helm_bin: str,
    proxy: ForwardProxy,
    tmp_path: Path,
    deps: list[tuple[str, str, str]],
    env: dict[str, str],
    *flags: str,
) -> tuple[set[str], set[str], Path, Path]:
    """``helm dependency update`` and ``chartlock lock`` on copies of one chart, with ``env``;
    returns the hosts the proxy saw for each, and the two chart directories."""
    theirs = _parent(tmp_path / "helm", deps)
    ours = _parent(tmp_path / "ours", deps)
    proxy.clear()
    helm = _helm(helm_bin, tmp_path / "home", env, "dependency", "update", str(theirs), *flags)
    assert helm.returncode == 0, helm.stderr
    helm_seen = proxy.targets()
    proxy.clear()
    result = run_chartlock("lock", str(ours), *flags, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return helm_seen, proxy.targets(), theirs, ours


def _same_lock(theirs: Path, ours: Path) -> list[tuple[str, str]]:
    helm_lock = load_lock(theirs / "Chart.lock")
    our_lock = load_lock(ours / "Chart.lock")
    assert our_lock.digest == helm_lock.digest
    pairs = [(d.name, d.version) for d in our_lock.dependencies or []]
    assert pairs == [(d.name, d.version) for d in helm_lock.dependencies or []]
    return pairs


def test_plain_http_registry_through_http_proxy(
    plain: Pusher, proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    repo = f"oci://{NAME}:{plain.server.port}/proxied"
    deps = [("alpha", "~1.2", repo), ("beta", ">=0.1", repo)]
    env = {**CLEAN, "HTTP_PROXY": proxy.url}
    helm_seen, ours_seen, theirs, ours = _both(helm_bin, proxy, tmp_path, deps, env, "--plain-http")
    assert helm_seen == ours_seen == {f"{NAME}:{plain.server.port}"}
    assert _same_lock(theirs, ours) == [("alpha", "1.2.3"), ("beta", "0.4.1")]
    locked = load_lock(ours / "Chart.lock").dependencies or []
    assert [d.content_digest for d in locked] == [
        plain.digests[("proxied", "alpha", "1.2.3")],
        plain.digests[("proxied", "beta", "0.4.1")],
    ]
    # Plain HTTP through a proxy: absolute-form requests, no tunnel.
    proxy.clear()
    again = run_chartlock("verify", str(ours), "--plain-http", env=env)
    assert again.returncode == 0, again.stderr
    assert proxy.seen and all(s.method in ("GET", "HEAD") for s in proxy.seen)
    assert all(s.target.startswith(f"http://{NAME}:{plain.server.port}/v2/") for s in proxy.seen)


def test_pull_downloads_blobs_through_the_proxy(
    plain: Pusher, proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    repo = f"oci://{NAME}:{plain.server.port}/proxied"
    chart = _parent(tmp_path / "app", [("alpha", "1.3.0", repo)])
    env = {**CLEAN, "HTTP_PROXY": proxy.url}
    assert run_chartlock("lock", str(chart), "--plain-http", env=env).returncode == 0
    proxy.clear()
    result = run_chartlock("pull", str(chart), "--plain-http", env=env)
    assert result.returncode == 0, result.stderr
    assert (chart / "charts" / "alpha-1.3.0.tgz").is_file()
    assert any("/blobs/sha256:" in s.target for s in proxy.seen)
    assert proxy.targets() == {f"{NAME}:{plain.server.port}"}


def test_https_registry_through_connect_with_proxy_credentials(
    tls_registry: tuple[RegistryServer, Path, str],
    auth_proxy: ForwardProxy,
    helm_bin: str,
    tmp_path: Path,
) -> None:
    server, ca, digest = tls_registry
    repo = f"oci://{NAME}:{server.port}/tls"
    env = {**CLEAN, "HTTPS_PROXY": f"http://{USER}:{PASSWORD}@127.0.0.1:{auth_proxy.port}"}
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, auth_proxy, tmp_path, [("secure", "~1.2", repo)], env, "--ca-file", str(ca)
    )
    assert helm_seen == ours_seen == {f"{NAME}:{server.port}"}
    assert _same_lock(theirs, ours) == [("secure", "1.2.3")]
    (locked,) = load_lock(ours / "Chart.lock").dependencies or []
    assert locked.content_digest == digest
    # Every request was a tunnel, with the proxy's credentials (and only the proxy saw them).
    auth_proxy.clear()
    result = run_chartlock("verify", str(ours), "--ca-file", str(ca), "-v", env=env)
    assert result.returncode == 0, result.stderr
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert auth_proxy.seen
    assert all(s.method == "CONNECT" and s.authorization == expected for s in auth_proxy.seen)
    output = result.stdout + result.stderr
    assert PASSWORD not in output and expected.split()[1] not in output
    assert f"https://{NAME}:{server.port}: via proxy http://127.0.0.1:{auth_proxy.port}" in output


def test_wrong_proxy_credentials_fail_like_helm(
    tls_registry: tuple[RegistryServer, Path, str],
    auth_proxy: ForwardProxy,
    helm_bin: str,
    tmp_path: Path,
) -> None:
    server, ca, _ = tls_registry
    chart = _parent(tmp_path / "app", [("secure", "~1.2", f"oci://{NAME}:{server.port}/tls")])
    env = {**CLEAN, "HTTPS_PROXY": f"http://{USER}:not-{PASSWORD}@127.0.0.1:{auth_proxy.port}"}
    helm = _helm(
        helm_bin, tmp_path / "h", env, "dependency", "update", str(chart), "--ca-file", str(ca)
    )
    assert helm.returncode != 0 and "Proxy Authentication Required" in helm.stderr
    result = run_chartlock("lock", str(chart), "--ca-file", str(ca), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chartlock: error: ")
    assert "407 Proxy Authentication Required" in lines[0]
    assert f"http://127.0.0.1:{auth_proxy.port}" in lines[0]
    assert PASSWORD not in result.stderr and USER not in result.stderr
    assert not (chart / "Chart.lock").exists()


def test_unreachable_proxy_is_reported(
    tls_registry: tuple[RegistryServer, Path, str], helm_bin: str, tmp_path: Path
) -> None:
    server, ca, _ = tls_registry
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    chart = _parent(tmp_path / "app", [("secure", "1.2.3", f"oci://{NAME}:{server.port}/tls")])
    env = {**CLEAN, "HTTPS_PROXY": f"127.0.0.1:{port}"}
    helm = _helm(
        helm_bin, tmp_path / "h", env, "dependency", "update", str(chart), "--ca-file", str(ca)
    )
    assert helm.returncode != 0 and "proxyconnect" in helm.stderr
    result = run_chartlock("lock", str(chart), "--ca-file", str(ca), "--timeout", "5", env=env)
    assert result.returncode == 2
    assert f"proxy http://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_registries_are_never_proxied(
    plain: Pusher, proxy: ForwardProxy, helm_bin: str, tmp_path: Path, host: str
) -> None:
    """Go's rule, whatever the variables say (httpx and urllib would proxy these)."""
    repo = f"oci://{host}:{plain.server.port}/proxied"
    env = {**CLEAN, "HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url}
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, proxy, tmp_path, [("alpha", "^1", repo)], env, "--plain-http"
    )
    assert helm_seen == ours_seen == set()
    assert _same_lock(theirs, ours) == [("alpha", "1.3.0")]


@needs_local_name
def test_no_proxy_host_goes_direct(
    tls_registry: tuple[RegistryServer, Path, str],
    proxy: ForwardProxy,
    helm_bin: str,
    tmp_path: Path,
) -> None:
    server, ca, digest = tls_registry
    assert LOCAL is not None
    repo = f"oci://{LOCAL}:{server.port}/tls"
    env = {**CLEAN, "HTTPS_PROXY": proxy.url, "NO_PROXY": f"example.invalid, {LOCAL}:{server.port}"}
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, proxy, tmp_path / "direct", [("secure", "1.2.3", repo)], env, "--ca-file", str(ca)
    )
    assert helm_seen == ours_seen == set()
    assert _same_lock(theirs, ours) == [("secure", "1.2.3")]
    # The same name, not listed in NO_PROXY (another port): both go through the proxy.
    env["NO_PROXY"] = f"{LOCAL}:1"
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin,
        proxy,
        tmp_path / "proxied",
        [("secure", "1.2.3", repo)],
        env,
        "--ca-file",
        str(ca),
    )
    assert helm_seen == ours_seen == {f"{LOCAL}:{server.port}"}
    (locked,) = load_lock(ours / "Chart.lock").dependencies or []
    assert locked.content_digest == digest


@needs_local_name
def test_https_proxy_variable_does_not_apply_to_plain_http(
    plain: Pusher, proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    """HTTPS_PROXY is for https:// URLs only: a --plain-http registry goes direct."""
    assert LOCAL is not None
    repo = f"oci://{LOCAL}:{plain.server.port}/proxied"
    env = {**CLEAN, "HTTPS_PROXY": proxy.url}
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, proxy, tmp_path, [("alpha", "~1.2", repo)], env, "--plain-http"
    )
    assert helm_seen == ours_seen == set()
    assert _same_lock(theirs, ours) == [("alpha", "1.2.3")]


@pytest.fixture(scope="module")
def tls_proxy(tls_registry: tuple[RegistryServer, Path, str]) -> Iterator[ForwardProxy]:
    """An https:// proxy, its certificate (for 127.0.0.1) from the registry's test CA."""
    _, ca, _ = tls_registry
    pair = (ca.parent / "server.pem", ca.parent / "server.key")
    with ForwardProxy({NAME: "127.0.0.1"}, tls=pair) as server:
        yield server


def test_https_proxy_for_an_https_registry(
    tls_registry: tuple[RegistryServer, Path, str],
    tls_proxy: ForwardProxy,
    helm_bin: str,
    tmp_path: Path,
) -> None:
    """TLS to the proxy, CONNECT inside it, TLS to the registry inside that; the proxy's
    certificate is checked with the same settings as the registry's (--ca-file), as in Go."""
    server, ca, digest = tls_registry
    assert tls_proxy.url.startswith("https://")
    repo = f"oci://{NAME}:{server.port}/tls"
    env = {**CLEAN, "HTTPS_PROXY": tls_proxy.url}
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, tls_proxy, tmp_path, [("secure", "~1.2", repo)], env, "--ca-file", str(ca)
    )
    assert helm_seen == ours_seen == {f"{NAME}:{server.port}"}
    assert _same_lock(theirs, ours) == [("secure", "1.2.3")]
    (locked,) = load_lock(ours / "Chart.lock").dependencies or []
    assert locked.content_digest == digest


def test_https_proxy_for_a_plain_http_registry(
    plain: Pusher,
    tls_registry: tuple[RegistryServer, Path, str],
    tls_proxy: ForwardProxy,
    helm_bin: str,
    tmp_path: Path,
) -> None:
    """Plain-HTTP requests go to an https:// proxy over TLS, in absolute form (no CONNECT);
    the proxy's certificate is trusted through SSL_CERT_FILE by both tools."""
    _, ca, _ = tls_registry
    repo = f"oci://{NAME}:{plain.server.port}/proxied"
    env = {**CLEAN, "HTTP_PROXY": tls_proxy.url, "SSL_CERT_FILE": str(ca)}
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, tls_proxy, tmp_path, [("alpha", "~1.2", repo)], env, "--plain-http"
    )
    assert helm_seen == ours_seen == {f"{NAME}:{plain.server.port}"}
    assert _same_lock(theirs, ours) == [("alpha", "1.2.3")]
    tls_proxy.clear()
    assert run_chartlock("verify", str(ours), "--plain-http", env=env).returncode == 0
    assert tls_proxy.seen and all(s.method in ("GET", "HEAD") for s in tls_proxy.seen)


def test_untrusted_https_proxy_is_refused(
    plain: Pusher, tls_proxy: ForwardProxy, tmp_path: Path
) -> None:
    """Without its CA, the proxy's certificate fails verification: no request goes out."""
    repo = f"oci://{NAME}:{plain.server.port}/proxied"
    chart = _parent(tmp_path / "app", [("alpha", "~1.2", repo)])
    tls_proxy.clear()
    result = run_chartlock(
        "lock",
        str(chart),
        "--plain-http",
        "--timeout",
        "5",
        env={**CLEAN, "HTTP_PROXY": tls_proxy.url},
    )
    assert result.returncode == 2
    assert "TLS certificate verification failed" in result.stderr
    assert tls_proxy.seen == []
    assert not (chart / "Chart.lock").exists()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def index_repo(
    tls_registry: tuple[RegistryServer, Path, str],
    helm_bin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """An https chart repository (index.yaml) reachable as https://registry.test:<port>/charts
    through the proxy; returns its URL and the CA file."""
    _, ca, _ = tls_registry
    serve = tmp_path_factory.mktemp("proxyindex")
    (serve / "charts").mkdir()
    for version in ("1.0.0", "1.4.2", "2.0.0"):
        src = make_chart(serve / "src" / version, "webapp", version)
        subprocess.run(
            [helm_bin, "package", str(src), "-d", str(serve / "charts")],
            check=True,
            capture_output=True,
        )

    def handler(*a: object, **k: object) -> _Quiet:
        return _Quiet(*a, directory=str(serve), **k)  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca.parent / "server.pem", ca.parent / "server.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    url = f"https://{NAME}:{httpd.server_address[1]}/charts"
    subprocess.run(
        [helm_bin, "repo", "index", str(serve / "charts"), "--url", url],
        check=True,
        capture_output=True,
    )
    # The same charts again as https://127.0.0.1:<port>/loop (a loopback repository).
    shutil.copytree(serve / "charts", serve / "loop", ignore=shutil.ignore_patterns("*.yaml"))
    subprocess.run(
        [
            helm_bin,
            "repo",
            "index",
            str(serve / "loop"),
            "--url",
            f"https://127.0.0.1:{httpd.server_address[1]}/loop",
        ],
        check=True,
        capture_output=True,
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield url, ca
    httpd.shutdown()
    httpd.server_close()


def test_index_repository_through_the_proxy(
    index_repo: tuple[str, Path], proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    url, ca = index_repo
    repos = tmp_path / "repositories.yaml"
    repos.write_text(
        f"apiVersion: v1\nrepositories:\n- name: proxied\n  url: {url}\n  caFile: {ca}\n",
        "utf-8",
    )
    env = {**CLEAN, "HTTPS_PROXY": proxy.url, "HELM_REPOSITORY_CONFIG": str(repos)}
    proxy.clear()
    update = _helm(helm_bin, tmp_path / "home", env, "repo", "update")
    assert update.returncode == 0, update.stderr
    assert proxy.targets() == {url.split("/")[2]}
    deps = [("webapp", ">=1.0 <2", "@proxied")]
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, proxy, tmp_path, deps, env, "--repository-config", str(repos)
    )
    # helm reads its cached index and fetches the archive; chartlock fetches the index: the
    # same host, through the same tunnel.
    assert helm_seen == ours_seen == {url.split("/")[2]}
    assert _same_lock(theirs, ours) == [("webapp", "1.4.2")]
    # The archive download of `pull` takes the same route.
    proxy.clear()
    pulled = run_chartlock("pull", str(ours), "--repository-config", str(repos), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert (ours / "charts" / "webapp-1.4.2.tgz").is_file()
    assert proxy.targets() == {url.split("/")[2]}


@needs_local_name
def test_token_realm_follows_the_same_rules(
    registry_bin: str, helm_bin: str, proxy: ForwardProxy, tmp_path: Path
) -> None:
    """A registry behind a token realm on another host: the token requests are routed like
    any other request (here, both hosts through HTTP_PROXY), as helm routes them."""
    assert LOCAL is not None

    class NamedRealm(TokenServer):
        @property
        def realm(self) -> str:  # a name Go proxies, that resolves to 127.0.0.1 directly
            return f"http://{LOCAL}:{self.httpd.server_address[1]}/token"

    tokens = NamedRealm(tmp_path, username="tokenuser", password="t0ken-S3cret").start()
    try:
        with RegistryServer(registry_bin, extra_auth=tokens.registry_auth_config()) as server:
            server.username, server.password = tokens.username, tokens.password
            Pusher(helm_bin, server, tmp_path / "push").push("tok", "one", "1.1.0")
            repo = f"oci://{NAME}:{server.port}/tok"
            env = {**CLEAN, "HTTP_PROXY": proxy.url}
            login = subprocess.run(
                [
                    *(helm_bin, "registry", "login", f"{NAME}:{server.port}", "--plain-http"),
                    *("-u", "tokenuser", "--password-stdin"),
                ],
                input="t0ken-S3cret",
                env={**helm_env(tmp_path / "home"), **env},
                capture_output=True,
                text=True,
                check=False,
            )
            assert login.returncode == 0, login.stderr
            theirs = _parent(tmp_path / "helm", [("one", "^1", repo)])
            proxy.clear()
            helm = _helm(
                helm_bin,
                tmp_path / "home",
                env,
                "dependency",
                "update",
                str(theirs),
                "--plain-http",
            )
            assert helm.returncode == 0, helm.stderr
            helm_seen = proxy.targets()
            ours = _parent(tmp_path / "ours", [("one", "^1", repo)])
            proxy.clear()
            result = run_chartlock(
                "lock",
                str(ours),
                "--plain-http",
                "--username",
                "tokenuser",
                "--password-stdin",
                stdin="t0ken-S3cret\n",
                env=env,
            )
            assert result.returncode == 0, result.stderr
            realm_host = f"{LOCAL}:{tokens.httpd.server_address[1]}"
            assert helm_seen == proxy.targets() == {f"{NAME}:{server.port}", realm_host}
            assert _same_lock(theirs, ours) == [("one", "1.1.0")]
            assert "t0ken-S3cret" not in result.stdout + result.stderr
    finally:
        tokens.stop()


def test_loopback_index_repository_is_never_proxied(
    index_repo: tuple[str, Path], proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    """httpx's own environment handling would send these through HTTPS_PROXY; Go does not."""
    url, ca = index_repo
    loop = url.replace(NAME, "127.0.0.1").replace("/charts", "/loop")
    repos = tmp_path / "repositories.yaml"
    repos.write_text(
        f"apiVersion: v1\nrepositories:\n- name: loop\n  url: {loop}\n  caFile: {ca}\n",
        "utf-8",
    )
    env = {**CLEAN, "HTTPS_PROXY": proxy.url, "HELM_REPOSITORY_CONFIG": str(repos)}
    update = _helm(helm_bin, tmp_path / "home", env, "repo", "update")
    assert update.returncode == 0, update.stderr
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin,
        proxy,
        tmp_path,
        [("webapp", "~1.0", "@loop")],
        env,
        "--repository-config",
        str(repos),
    )
    assert helm_seen == ours_seen == set()
    assert _same_lock(theirs, ours) == [("webapp", "1.0.0")]
    pulled = run_chartlock("pull", str(ours), "--repository-config", str(repos), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert (ours / "charts" / "webapp-1.0.0.tgz").is_file()
    assert proxy.seen == []


def test_wrong_proxy_credentials_for_plain_http_fail_like_helm(
    plain: Pusher, auth_proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    repo = f"oci://{NAME}:{plain.server.port}/proxied"
    chart = _parent(tmp_path / "app", [("alpha", "~1.2", repo)])
    env = {**CLEAN, "HTTP_PROXY": f"http://{USER}@127.0.0.1:{auth_proxy.port}"}
    helm = _helm(helm_bin, tmp_path / "h", env, "dependency", "update", str(chart), "--plain-http")
    assert helm.returncode != 0 and "407" in helm.stderr
    result = run_chartlock("lock", str(chart), "--plain-http", env=env)
    assert result.returncode == 2
    # One line: where the dependency is, the repository and request, and what the proxy said.
    assert result.stderr == (
        f"chartlock: error: {chart / 'Chart.yaml'}:7:17: {NAME}:{plain.server.port}/proxied/alpha:"
        f" list tags: the proxy http://127.0.0.1:{auth_proxy.port} refused the request: 407 Proxy"
        " Authentication Required; check the credentials in the proxy URL (HTTP_PROXY)\n"
    )
    assert not (chart / "Chart.lock").exists()


def test_index_repository_through_an_https_proxy(
    index_repo: tuple[str, Path], tls_proxy: ForwardProxy, helm_bin: str, tmp_path: Path
) -> None:
    """The repository's caFile also verifies the https:// proxy's certificate, as in Go."""
    url, ca = index_repo
    repos = tmp_path / "repositories.yaml"
    repos.write_text(
        f"apiVersion: v1\nrepositories:\n- name: proxied\n  url: {url}\n  caFile: {ca}\n",
        "utf-8",
    )
    env = {**CLEAN, "HTTPS_PROXY": tls_proxy.url, "HELM_REPOSITORY_CONFIG": str(repos)}
    update = _helm(helm_bin, tmp_path / "home", env, "repo", "update")
    assert update.returncode == 0, update.stderr
    deps = [("webapp", "1.x", "@proxied")]
    helm_seen, ours_seen, theirs, ours = _both(
        helm_bin, tls_proxy, tmp_path, deps, env, "--repository-config", str(repos)
    )
    assert helm_seen == ours_seen == {url.split("/")[2]}
    assert _same_lock(theirs, ours) == [("webapp", "1.4.2")]
