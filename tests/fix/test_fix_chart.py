"""`chartlock fix` on Chart.yaml (issue 13, scope 2): the mechanical CL1xx repository fixes,
made surgically, then the chart re-locked so that `helm dependency build` accepts it; and the
run-level refusal of a file whose edit cannot be made safely."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from resolver.autofix.chartrepo import fixed_repository, repository_edits
from resolver.autofix.editor import edit_bytes
from resolver.chart.loader import load_lock
from tests.support.certs import make_ca_and_server_cert
from tests.support.cli import run_chartlock
from tests.support.registry import Pusher, RegistryServer, make_chart
from tests.support.tools import helm_env


@pytest.mark.parametrize(
    ("repository", "name", "expected"),
    [
        ("oci://docker.io/bitnamicharts", "redis", "oci://registry-1.docker.io/bitnamicharts"),
        ("oci://index.docker.io/org/charts", "x", "oci://registry-1.docker.io/org/charts"),
        ("oci://ghcr.io/org/charts/", "x", "oci://ghcr.io/org/charts"),
        ("oci://ghcr.io/org/charts//", "x", "oci://ghcr.io/org/charts"),
        ("oci://ghcr.io/org/charts/app", "app", "oci://ghcr.io/org/charts"),
        ("oci://ghcr.io/org/helm-charts/app/", "app", "oci://ghcr.io/org/helm-charts"),
        ("oci://127.0.0.1:5000/charts/app:1.2.0", "app", "oci://127.0.0.1:5000/charts"),
        ("oci://ghcr.io/org/charts@sha256:" + "a" * 64, "x", "oci://ghcr.io/org/charts"),
    ],
)
def test_each_mechanical_fix(repository: str, name: str, expected: str) -> None:
    assert fixed_repository(repository, name) == expected


@pytest.mark.parametrize(
    ("repository", "name"),
    [
        ("oci://ghcr.io/org/app", "app"),  # a repository named like its chart: valid, kept
        ("oci://registry-1.docker.io/bitnamicharts", "redis"),
        ("oci://127.0.0.1:5000/charts", "app"),  # a port is not a tag
        ("https://charts.example.com/", "app"),  # not OCI: left to the index rules
        ("file://../app", "app"),
        ("@bitnami", "redis"),
    ],
)
def test_what_is_already_right_or_not_oci_is_left_alone(repository: str, name: str) -> None:
    assert fixed_repository(repository, name) == repository


def test_repository_edits_touch_only_the_repository_bytes() -> None:
    text = (
        "\ufeffapiVersion: v2  # chart\r\nname: app\r\nversion: 0.1.0\r\n\r\n"
        "dependencies:\r\n  # the cache\r\n  - name: redis\r\n    version: '~17.3'\r\n"
        '    repository: "oci://docker.io/bitnamicharts/"  # hub\r\n'
        "  - {name: web, version: 1.0.0, repository: oci://ghcr.io/org/charts/web}\r\n"
        "  - name: ok\r\n    version: 1.0.0\r\n    repository: oci://ghcr.io/org/charts\r\n"
    )
    data = text.encode("utf-8")
    edits = repository_edits(text.lstrip("\ufeff"))
    assert [(e.new, name) for e, name in edits] == [
        ("oci://registry-1.docker.io/bitnamicharts", "redis"),
        ("oci://ghcr.io/org/charts", "web"),
    ]
    new = edit_bytes(data, [e for e, _ in edits])
    assert new == text.replace(
        '"oci://docker.io/bitnamicharts/"', '"oci://registry-1.docker.io/bitnamicharts"'
    ).replace(
        # in a flow mapping a plain scalar with ':' is not safe to write: it gets quoted
        "oci://ghcr.io/org/charts/web}",
        '"oci://ghcr.io/org/charts"}',
    ).encode("utf-8")
    assert repository_edits(new.decode("utf-8-sig")) == []  # a second run changes nothing


def _chart(directory: Path, repository: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app  # the app\nversion: 0.1.0\n\ndependencies:\n"
        f"  - name: web\n    version: '~1.0'  # web\n    repository: {repository}\n",
        "utf-8",
    )
    return directory


def _helm_build(helm: str, chart: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm, "dependency", "build", str(chart), "--plain-http"],
        env=helm_env(tmp_path / "helm"),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.integration
def test_fix_rewrites_the_repository_relocks_and_helm_builds(
    registry: RegistryServer, pusher: Pusher, helm_bin: str, tmp_path: Path
) -> None:
    digest = pusher.push("fixcharts", "web", "1.0.3")
    good = f"oci://{registry.host}/fixcharts"
    chart = _chart(tmp_path / "app", good)
    locked = run_chartlock("lock", str(chart), "--plain-http")
    assert locked.returncode == 0, locked.stderr
    # The same chart with the repository spelled wrong (trailing slash, repeated name): the lock
    # records the old spelling's digest, so helm refuses it until it is re-locked.
    (chart / "Chart.yaml").write_text(
        (chart / "Chart.yaml").read_text("utf-8").replace(good, f"{good}/web/"), "utf-8"
    )
    broken_yaml = (chart / "Chart.yaml").read_bytes()
    refused = _helm_build(helm_bin, chart, tmp_path)
    assert refused.returncode != 0  # helm: the lock is out of sync with Chart.yaml
    lock_before = (chart / "Chart.lock").read_bytes()

    for flag in ("--check", "--diff"):
        result = run_chartlock("fix", str(chart), "--plain-http", flag)
        assert result.returncode == (1 if flag == "--check" else 0), result.stderr
        assert (chart / "Chart.yaml").read_bytes() == broken_yaml  # wrote nothing
        assert (chart / "Chart.lock").read_bytes() == lock_before
    assert f"-    repository: {good}/web/\n+    repository: {good}\n" in result.stdout
    # the lock was made for the right spelling: the re-lock would keep it, so no second file
    assert "Chart.lock" not in result.stdout and result.stdout.count("--- a/") == 1

    result = run_chartlock("fix", str(chart), "--plain-http")
    assert result.returncode == 0, result.stderr
    assert "CL109" in result.stderr and "re-locked" in result.stderr
    assert (chart / "Chart.yaml").read_bytes() == broken_yaml.replace(
        f"{good}/web/".encode(), good.encode()
    )
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None
    [entry] = lock.dependencies
    assert (entry.repository, entry.version, entry.content_digest) == (good, "1.0.3", digest)

    fixed_yaml, fixed_lock = (
        (chart / "Chart.yaml").read_bytes(),
        (chart / "Chart.lock").read_bytes(),
    )
    # The lock was made for the right spelling: re-locking keeps it byte for byte (a lock
    # that records the old spelling is re-written: the docker.io test below).
    assert fixed_lock == lock_before
    again = run_chartlock("fix", str(chart), "--plain-http")
    assert again.returncode == 0, again.stderr
    assert "0 fixes" in again.stderr and "re-locked" not in again.stderr
    assert (chart / "Chart.yaml").read_bytes() == fixed_yaml  # a second run changes nothing
    assert (chart / "Chart.lock").read_bytes() == fixed_lock

    build = _helm_build(helm_bin, chart, tmp_path)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (chart / "charts" / "web-1.0.3.tgz").is_file()


@pytest.mark.integration
def test_a_docker_hub_spelling_is_fixed_and_relocked_through_a_mirror(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    digest = pusher.push("hubcharts", "web", "1.0.4")
    mirror = ("--mirror", f"docker.io=http://{registry.host}")
    chart = _chart(tmp_path / "app", "oci://docker.io/hubcharts")
    locked = run_chartlock("lock", str(chart), *mirror)
    assert locked.returncode == 0, locked.stderr
    assert "oci://docker.io/hubcharts" in (chart / "Chart.lock").read_text("utf-8")
    yaml_before, lock_before = (
        (chart / "Chart.yaml").read_bytes(),
        (chart / "Chart.lock").read_bytes(),
    )

    # --diff shows the Chart.lock the re-lock would write as a second file; --check counts it;
    # neither writes anything.
    diff = run_chartlock("fix", str(chart), "--diff", *mirror)
    assert diff.returncode == 0, diff.stderr
    check = run_chartlock("fix", str(chart), "--check", *mirror)
    assert check.returncode == 1, check.stderr
    assert "1 fix in 2 files (would change)" in check.stderr
    assert f"{chart}/Chart.lock: would be re-locked" in check.stderr
    assert (chart / "Chart.yaml").read_bytes() == yaml_before
    assert (chart / "Chart.lock").read_bytes() == lock_before
    lock_diff = diff.stdout[diff.stdout.index("--- a/") :].split("--- a/")
    assert [part.split("\n", 1)[0] for part in lock_diff[1:]] == [
        f"{chart}/Chart.lock",
        f"{chart}/Chart.yaml",
    ]
    assert "-  repository: oci://docker.io/hubcharts\n" in lock_diff[1]
    assert "+  repository: oci://registry-1.docker.io/hubcharts\n" in lock_diff[1]
    assert "+    repository: oci://registry-1.docker.io/hubcharts\n" in lock_diff[2]

    result = run_chartlock("fix", str(chart), *mirror)
    assert result.returncode == 0, result.stderr
    assert "CL110" in result.stderr
    text = (chart / "Chart.yaml").read_text("utf-8")
    assert "    repository: oci://registry-1.docker.io/hubcharts\n" in text
    assert "name: app  # the app\n" in text and "version: '~1.0'  # web\n" in text
    lock = load_lock(chart / "Chart.lock")
    assert lock.dependencies is not None
    [entry] = lock.dependencies
    assert entry.repository == "oci://registry-1.docker.io/hubcharts"
    assert (entry.version, entry.content_digest) == ("1.0.4", digest)
    check = run_chartlock("check", str(chart))
    assert check.returncode == 0, check.stdout + check.stderr
    # the previewed lock is the written one, but for the time it was generated
    written = (chart / "Chart.lock").read_text("utf-8").split("\n")
    previewed = [
        line[1:]
        for line in lock_diff[1].split("\n")[2:]
        if line[:1] in (" ", "+") and not line.startswith("@@")
    ]
    assert [x for x in previewed if not x.startswith("generated:")] == [
        x for x in written if x and not x.startswith("generated:")
    ]


@pytest.mark.integration
def test_diff_reports_a_relock_that_would_fail_and_still_shows_the_chart_yaml_fix(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    pusher.push("failcharts", "web", "1.0.0")
    good = f"oci://{registry.host}/failcharts"
    chart = _chart(tmp_path / "app", good)
    assert run_chartlock("lock", str(chart), "--plain-http").returncode == 0
    # fixed, this repository has no chart `web`: the re-lock (and so its preview) fails
    wrong = f"oci://{registry.host}/emptycharts/"
    (chart / "Chart.yaml").write_text(
        (chart / "Chart.yaml").read_text("utf-8").replace(good, wrong), "utf-8"
    )
    yaml_before, lock_before = (
        (chart / "Chart.yaml").read_bytes(),
        (chart / "Chart.lock").read_bytes(),
    )
    result = run_chartlock("fix", str(chart), "--plain-http", "--diff")
    assert result.returncode == 1, result.stderr
    assert f"-    repository: {wrong}\n+    repository: {wrong[:-1]}\n" in result.stdout
    assert "Chart.lock" not in result.stdout
    assert "CL1xx not fixed: re-lock failed:" in result.stderr, result.stderr
    assert (chart / "Chart.yaml").read_bytes() == yaml_before
    assert (chart / "Chart.lock").read_bytes() == lock_before


def test_a_file_whose_edit_cannot_be_made_is_refused_and_left_alone(tmp_path: Path) -> None:
    # A block scalar is never edited (its folding would have to be re-done): the whole file is
    # refused with a clear line, nothing is written, and the run exits 1.
    chart = tmp_path / "app"
    chart.mkdir()
    text = (
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        "  - name: web\n    version: 1.0.0\n    repository: >-\n      oci://ghcr.io/org/charts/\n"
        "  - name: db\n    version: 1.0.0\n    repository: oci://docker.io/org/charts\n"
    )
    (chart / "Chart.yaml").write_text(text, "utf-8")
    result = run_chartlock("fix", str(chart))
    assert result.returncode == 1, result.stderr
    refused = [line for line in result.stderr.splitlines() if "fix refused" in line]
    assert refused, result.stderr
    assert any(
        "app/Chart.yaml:7:17:" in line and "block scalars are not edited (line 7" in line
        for line in refused
    ), refused
    assert "Traceback" not in result.stderr
    assert (chart / "Chart.yaml").read_text("utf-8") == text
    assert not (chart / "Chart.lock").exists()


class _DualServer(http.server.ThreadingHTTPServer):
    """Plain HTTP and HTTPS on one port (a TLS ClientHello starts with 0x16), as a web server
    serves http://host/ and https://host/: the same URL but for the scheme."""

    def __init__(
        self, handler: Callable[..., http.server.BaseHTTPRequestHandler], ctx: ssl.SSLContext
    ) -> None:
        self.ctx = ctx
        super().__init__(("127.0.0.1", 0), handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.settimeout(10)
        if sock.recv(1, socket.MSG_PEEK) == b"\x16":
            sock = self.ctx.wrap_socket(sock, server_side=True)
        return sock, addr


@pytest.fixture
def dual_repo(helm_bin: str, tmp_path: Path) -> Iterator[tuple[int, Path, Path, Path]]:
    """A chart index served over http:// and https:// on one port: (port, repositories.yaml
    trusting its CA, the directory served over http, the one served over https)."""
    ca, cert, key = make_ca_and_server_cert(tmp_path / "certs")
    plain, tls = tmp_path / "plain", tmp_path / "tls"
    src = make_chart(tmp_path / "src", "webapp", "1.0.0")
    for served in (plain, tls):
        (served / "charts").mkdir(parents=True)
        subprocess.run(
            [helm_bin, "package", str(src), "-d", str(served / "charts")],
            check=True,
            capture_output=True,
        )

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **k: Any) -> None:
            secure = isinstance(a[0], ssl.SSLSocket)
            super().__init__(*a, directory=str(tls if secure else plain), **k)

        def log_message(self, *args: object) -> None:
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd = _DualServer(Handler, ctx)
    port = httpd.server_address[1]
    for served in (plain, tls):
        subprocess.run(
            [helm_bin, "repo", "index", str(served / "charts")], check=True, capture_output=True
        )
    repos = tmp_path / "repositories.yaml"
    repos.write_text(
        "apiVersion: v1\nrepositories:\n- name: web\n"
        f"  url: https://127.0.0.1:{port}/charts\n  caFile: {ca}\n",
        "utf-8",
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield port, repos, plain, tls
    httpd.shutdown()
    httpd.server_close()


def _http_chart(directory: Path, url: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: webapp\n    version: 1.0.0\n    repository: {url}  # the index\n",
        "utf-8",
    )
    return directory


def _cl104_sarif_fixes(chart: Path, repos: Path) -> list[Any]:
    """The SARIF fix of each CL104 result of ``lint --check --format sarif`` (None: none)."""
    import json

    import jsonschema

    args = ("--check", "--format", "sarif", "--select", "CL104", "--repository-config")
    result = run_chartlock("lint", *args, str(repos), str(chart))
    assert result.returncode == 1, result.stderr
    sarif = json.loads(result.stdout)
    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validate(sarif, schema)
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "CL104"]
    return [r["fixes"][0] if "fixes" in r else None for r in results]


@pytest.mark.integration
def test_http_becomes_https_only_where_https_serves_the_same_index(
    dual_repo: tuple[int, Path, Path, Path], tmp_path: Path
) -> None:
    port, repos, _, _ = dual_repo
    chart = _http_chart(tmp_path / "app", f"http://127.0.0.1:{port}/charts")
    before = (chart / "Chart.yaml").read_text("utf-8")
    # SARIF: the run compared the two indexes, so the CL104 result carries the replacement
    [fix] = _cl104_sarif_fixes(chart, repos)
    assert fix is not None
    [change] = fix["artifactChanges"]
    [replacement] = change["replacements"]
    assert replacement["insertedContent"]["text"] == f"https://127.0.0.1:{port}/charts"
    assert replacement["deletedRegion"] == {
        "startLine": 7,
        "startColumn": 17,
        "endLine": 7,
        "endColumn": 17 + len(f"http://127.0.0.1:{port}/charts"),
    }
    result = run_chartlock("fix", str(chart), "--repository-config", str(repos))
    assert result.returncode == 0, result.stderr
    assert "CL104" in result.stderr
    assert (chart / "Chart.yaml").read_text("utf-8") == before.replace(
        "http://127.0.0.1", "https://127.0.0.1"
    )
    lint = run_chartlock("lint", str(chart), "--select", "CL104")
    assert "CL104" not in lint.stdout, lint.stdout


@pytest.mark.integration
def test_http_stays_when_https_serves_another_index(
    dual_repo: tuple[int, Path, Path, Path], helm_bin: str, tmp_path: Path
) -> None:
    port, repos, _, tls = dual_repo
    extra = make_chart(tmp_path / "src2", "other", "2.0.0")
    subprocess.run(
        [helm_bin, "package", str(extra), "-d", str(tls / "charts")],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [helm_bin, "repo", "index", str(tls / "charts")], check=True, capture_output=True
    )
    chart = _http_chart(tmp_path / "app", f"http://127.0.0.1:{port}/charts")
    before = (chart / "Chart.yaml").read_bytes()
    assert _cl104_sarif_fixes(chart, repos) == [None]  # not known to be right: no SARIF fix
    result = run_chartlock("fix", str(chart), "--repository-config", str(repos))
    assert result.returncode == 1, result.stderr
    assert "serves a different index.yaml" in result.stderr, result.stderr
    assert (chart / "Chart.yaml").read_bytes() == before


@pytest.mark.integration
def test_http_stays_when_nothing_answers_on_https(tmp_path: Path) -> None:
    served = tmp_path / "served"
    (served / "charts").mkdir(parents=True)
    (served / "charts" / "index.yaml").write_text("apiVersion: v1\nentries: {}\n", "utf-8")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, directory=str(served), **k)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        chart = _http_chart(tmp_path / "app", f"http://127.0.0.1:{httpd.server_address[1]}/charts")
        before = (chart / "Chart.yaml").read_bytes()
        result = run_chartlock("fix", str(chart), "--timeout", "5")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.returncode == 1, result.stderr
    assert "CL104 not fixed: not changed to https://" in result.stderr, result.stderr
    assert (chart / "Chart.yaml").read_bytes() == before


def test_lint_check_sarif_carries_the_chart_yaml_fixes_that_apply(tmp_path: Path) -> None:
    """CL107-CL110 are mechanical: ``lint --check --format sarif`` offers each as a SARIF
    replacement of the repository scalar (quotes kept), schema-valid, and applying them gives
    the bytes ``chartlock fix`` writes (offline: no lock, nothing to look up)."""
    import json

    import jsonschema

    chart = tmp_path / "app"
    chart.mkdir()
    original = (
        "apiVersion: v2\r\nname: app\r\nversion: 0.1.0\r\ndependencies:\r\n"
        '  - name: web\r\n    version: "~1.0"\r\n'
        '    repository: "oci://docker.io/x/charts/web/"   # c\r\n'
        "  - name: db\r\n    version: 1.0.0\r\n"
        "    repository: oci://127.0.0.1:5000/helm/db:1.0.0\r\n"
        "  - name: api\r\n    version: 2.0.0\r\n"
        "    repository: 'oci://127.0.0.1:5000/charts/api'\r\n"
    )
    (chart / "Chart.yaml").write_bytes(original.encode("utf-8"))
    result = run_chartlock("lint", "--check", "--format", "sarif", str(chart), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (chart / "Chart.yaml").read_bytes() == original.encode("utf-8")  # wrote nothing
    sarif = json.loads(result.stdout)
    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validate(sarif, schema)
    fixed = [r for r in sarif["runs"][0]["results"] if "fixes" in r]
    # one fix per repository scalar (several rules may point at it; one replacement does all)
    assert sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in fixed) == [
        7,
        10,
        13,
    ]
    assert {r["ruleId"] for r in fixed} <= {"CL107", "CL108", "CL109", "CL110"}
    lines = original.split("\n")
    replacements = [
        rep for r in fixed for ch in r["fixes"][0]["artifactChanges"] for rep in ch["replacements"]
    ]
    for rep in sorted(replacements, key=lambda r: -r["deletedRegion"]["startLine"]):
        region = rep["deletedRegion"]
        assert region["startLine"] == region["endLine"]
        row = lines[region["startLine"] - 1]
        lines[region["startLine"] - 1] = (
            row[: region["startColumn"] - 1]
            + rep["insertedContent"]["text"]
            + row[region["endColumn"] - 1 :]
        )
    fixed_run = run_chartlock("fix", str(chart), cwd=tmp_path)
    assert fixed_run.returncode == 0, fixed_run.stderr
    written = (chart / "Chart.yaml").read_bytes()
    assert "\n".join(lines).encode("utf-8") == written
    assert b'"oci://registry-1.docker.io/x/charts"   # c\r\n' in written
    assert b"'oci://127.0.0.1:5000/charts'\r\n" in written
