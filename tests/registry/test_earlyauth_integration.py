"""The start-up probe against a real docker-registry serving HTTPS (a throwaway CA) with
``auth: token`` and anonymous pull tokens from a separate realm, charts pushed by the real
helm: one token request for every repository of the run, the same Chart.lock, and the usual
per-scope tokens when the token server refuses several scopes at once."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from resolver.chart.loader import load_lock
from tests.support.certs import make_ca_and_server_cert
from tests.support.cli import run_chartlock
from tests.support.registry import Pusher, RegistryServer
from tests.support.tokenserver import TokenServer

pytestmark = pytest.mark.integration


class OneScopeOnly(TokenServer):
    """A token server that refuses a request naming several scopes (as some do)."""

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        if len(parse_qs(req.path.partition("?")[2]).get("scope", [])) > 1:
            self.requests.append(req.path.partition("?")[2])
            req.send_response(400)
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        super().handle(req)


@pytest.fixture(scope="module")
def storage(
    registry_bin: str, helm_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A registry storage holding early/one 1.0.0 and 1.1.0, early/two 2.0.0, pushed by helm
    over plain HTTP; served over TLS with token auth by the tests."""
    plain = RegistryServer(registry_bin)
    data = plain.workdir
    with plain:
        plain.workdir = tmp_path_factory.mktemp("unused")  # close() keeps the storage
        pusher = Pusher(helm_bin, plain, tmp_path_factory.mktemp("push"))
        for name, version in (("one", "1.0.0"), ("one", "1.1.0"), ("two", "2.0.0")):
            pusher.push("early", name, version)
    yield data


def serve(
    registry_bin: str, storage: Path, tmp_path: Path, kind: type[TokenServer]
) -> tuple[RegistryServer, TokenServer, Path]:
    ca, cert, key = make_ca_and_server_cert(tmp_path / "certs")
    (tmp_path / "token").mkdir()
    tokens = kind(tmp_path / "token", anonymous=True).start()
    server = RegistryServer(registry_bin, extra_auth=tokens.registry_auth_config(), tls=(cert, key))
    server.workdir = storage
    return server.start(), tokens, ca


def app(tmp_path: Path, host: str) -> Path:
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: one\n    version: ^1.0.0\n    repository: oci://{host}/early\n"
        f"  - name: two\n    version: 2.x\n    repository: oci://{host}/early\n",
        "utf-8",
    )
    return chart


@pytest.mark.parametrize("kind", [TokenServer, OneScopeOnly])
def test_lock_over_https_with_anonymous_tokens_learnt_at_start_up(
    registry_bin: str, storage: Path, tmp_path: Path, kind: type[TokenServer]
) -> None:
    server, tokens, ca = serve(registry_bin, storage, tmp_path, kind)
    try:
        chart = app(tmp_path, server.host)
        result = run_chartlock("lock", str(chart), "--ca-file", str(ca), "-v")
        assert result.returncode == 0, result.stderr
        lock = load_lock(chart / "Chart.lock")
        assert lock.dependencies is not None
        assert [(d.name, d.version) for d in lock.dependencies] == [
            ("one", "1.1.0"),
            ("two", "2.0.0"),
        ]
        assert "bearer challenge learnt at start-up" in result.stderr
        scopes = [parse_qs(query).get("scope", []) for query in tokens.requests]
        both = ["repository:early/one:pull", "repository:early/two:pull"]
        if kind is TokenServer:
            assert scopes == [both]  # one token for the whole run
        else:
            # Refused: then one token per repository, as without the probe.
            assert scopes[0] == both
            assert sorted(scopes[1:]) == [[both[0]], [both[1]]]
    finally:
        server.stop()
        tokens.stop()


def test_no_anonymous_token_when_a_user_is_given(
    registry_bin: str, storage: Path, tmp_path: Path
) -> None:
    server, tokens, ca = serve(registry_bin, storage, tmp_path, TokenServer)
    tokens.username, tokens.password = "reader", "r34d-S3cret"
    try:
        chart = app(tmp_path, server.host)
        result = run_chartlock(
            "lock",
            str(chart),
            "--ca-file",
            str(ca),
            "--username",
            "reader",
            "--password-stdin",
            stdin="r34d-S3cret\n",
        )
        assert result.returncode == 0, result.stderr
        # The user's own tokens, one per repository: no anonymous multi-scope request.
        assert sorted(parse_qs(q)["scope"] for q in tokens.requests) == [
            ["repository:early/one:pull"],
            ["repository:early/two:pull"],
        ]
        assert "r34d-S3cret" not in result.stdout + result.stderr
    finally:
        server.stop()
        tokens.stop()
