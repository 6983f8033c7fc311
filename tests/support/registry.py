"""A real CNCF distribution registry on 127.0.0.1 for integration tests, and helm pushes.

``RegistryServer`` starts ``docker-registry serve`` on a free loopback port with filesystem
storage in a temp dir (modes: anonymous, htpasswd Basic), waits for ``/v2/``, and stops it.
``push_chart`` makes a minimal chart and pushes it with the real ``helm``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from tests.support.tools import helm_env


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RegistryServer:
    def __init__(
        self,
        binary: str,
        *,
        username: str | None = None,
        password: str | None = None,
        extra_auth: str = "",
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.binary = binary
        self.tls = tls  # (certificate, key): serve HTTPS
        self.username = username
        self.password = password
        self.extra_auth = extra_auth
        self.port = 0
        self.workdir = Path(tempfile.mkdtemp(prefix="chartlock-registry-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def config(self) -> str:
        auth = self.extra_auth
        if self.username is not None and not auth:
            htpasswd = self.workdir / "htpasswd"
            result = subprocess.run(
                ["htpasswd", "-Bbn", self.username, self.password or ""],
                capture_output=True,
                text=True,
                check=True,
            )
            htpasswd.write_text(result.stdout, "utf-8")
            auth = f"auth:\n  htpasswd:\n    realm: chartlock-test\n    path: {htpasswd}\n"
        return (
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.workdir / 'data'}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
            + (
                f"  tls:\n    certificate: {self.tls[0]}\n    key: {self.tls[1]}\n"
                if self.tls
                else ""
            )
            + f"{auth}"
        )

    def start(self) -> RegistryServer:
        for _ in range(5):
            self.port = free_port()
            config = self.workdir / "config.yml"
            config.write_text(self.config(), "utf-8")
            self.process = subprocess.Popen(
                [self.binary, "serve", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=(self.workdir / "registry.log").open("wb"),
            )
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"docker-registry did not start: {self.log()}")

    def _wait_ready(self, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                import ssl

                context = ssl._create_unverified_context() if self.tls else None
                urllib.request.urlopen(f"{self.url}/v2/", timeout=1, context=context)
                return True
            except urllib.error.HTTPError:
                return True  # 401: up, with auth
            except OSError:
                time.sleep(0.05)
        return False

    def log(self) -> str:
        path = self.workdir / "registry.log"
        return path.read_text("utf-8", "replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_chart(directory: Path, name: str, version: str, *, values: str = "") -> Path:
    chart = directory / name
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: {version}\ntype: application\n", "utf-8"
    )
    (chart / "values.yaml").write_text(values or f"chart: {name}\nversion: {version}\n", "utf-8")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        "  name: {{ .Chart.Name }}-{{ .Release.Name }}\n"
        "data:\n  version: {{ .Chart.Version | quote }}\n",
        "utf-8",
    )
    return chart


class Pusher:
    """Push charts with the real helm (isolated HELM_* and DOCKER_CONFIG)."""

    def __init__(self, helm: str, server: RegistryServer, work: Path) -> None:
        self.helm = helm
        self.server = server
        self.work = work
        self.env = helm_env(work / "helm-home")
        self.digests: dict[tuple[str, str, str], str] = {}
        if server.username is not None:
            self._run(
                "registry",
                "login",
                server.host,
                "--plain-http",
                "-u",
                server.username,
                "--password-stdin",
                stdin=server.password or "",
            )

    def _run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.helm, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"helm {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result

    def push(self, namespace: str, name: str, version: str, *, values: str = "") -> str:
        """Push ``name`` ``version`` to ``oci://<registry>/<namespace>``; returns the digest."""
        src = self.work / "src" / f"{name}-{version}"
        chart = make_chart(src, name, version, values=values)
        pkg = self.work / "pkg" / f"{name}-{version}"
        pkg.mkdir(parents=True, exist_ok=True)
        self._run("package", str(chart), "-d", str(pkg))
        (archive,) = pkg.glob("*.tgz")
        result = self._run(
            "push", str(archive), f"oci://{self.server.host}/{namespace}", "--plain-http"
        )
        digest = ""
        for line in (result.stdout + result.stderr).splitlines():
            if line.startswith("Digest:"):
                digest = line.split(":", 1)[1].strip()
        self.digests[(namespace, name, version)] = digest
        return digest


def seed_tags(server: RegistryServer, repo: str, tags: Iterable[str], digest: str) -> int:
    """Thousands of tags without pushing each one: the registry's filesystem storage gets the
    two link files a tag is made of. Tag lists, HEAD and GET by tag then behave exactly as for
    pushed tags; only a tag whose version the chart inside really has can be pulled by helm.

    Point every tag of ``tags`` that does not exist yet at manifest ``digest`` (which a real
    push stored in ``repo``). Returns how many were added."""
    algorithm, hexdigest = digest.split(":", 1)
    base = server.workdir / "data/docker/registry/v2/repositories" / repo / "_manifests/tags"
    if not (base.parent / "revisions" / algorithm / hexdigest / "link").is_file():
        raise RuntimeError(f"{digest} was not pushed to {repo}")
    added = 0
    for tag in tags:
        directory = base / tag
        if directory.exists():
            continue
        (directory / "current").mkdir(parents=True)
        (directory / "current" / "link").write_text(digest)
        index = directory / "index" / algorithm / hexdigest
        index.mkdir(parents=True)
        (index / "link").write_text(digest)
        added += 1
    return added
