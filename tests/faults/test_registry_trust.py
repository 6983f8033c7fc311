"""What chartlock believes from a registry: a manifest digest only once proven (media type,
parsed document, hash equal to any digest header), credentials only to the registry's own
origin and its token realm, and never a credential echoed back into its output."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.faults.conftest import assert_clean_failure, run_chartlock, snapshot, write_chart
from tests.support.hostile import HostileServer, Request, Respond, whole
from tests.support.proxy import Hook, Proxy
from tests.support.registry import RegistryServer

pytestmark = pytest.mark.integration

OCI = "application/vnd.oci.image.manifest.v1+json"
JSON = {"Content-Type": "application/json"}
HTML = b"<html><body>Please log in to continue</body></html>"
HelmConfig = "application/vnd.cncf.helm.config.v1+json"
A_MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI,
        "config": {"mediaType": HelmConfig, "digest": "sha256:" + "a" * 64, "size": 2},
        "layers": [],
    }
).encode()


def manifests(
    head: tuple[int, dict[str, str], bytes], get: tuple[int, dict[str, str], bytes]
) -> Hook:
    def hook(method: str, path: str, h: dict[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        if "/manifests/" not in path:
            return None
        return head if method == "HEAD" else get

    return hook


NO_DIGEST_HEAD = (200, {"Content-Type": OCI}, b"")
HTML_HEAD = (200, {"Content-Type": "text/html", "Docker-Content-Digest": "sha256:" + "0" * 64}, b"")
HTML_GET = (200, {"Content-Type": "text/html; charset=utf-8"}, HTML)
WRONG_HEADER_GET = (
    200,
    {"Content-Type": OCI, "Docker-Content-Digest": "sha256:" + "1" * 64},
    A_MANIFEST,
)


@pytest.mark.parametrize(
    ("name", "head", "get", "cause"),
    [
        ("html-behind-fallback-get", NO_DIGEST_HEAD, HTML_GET, "text/html, not a manifest"),
        ("html-head-with-digest", HTML_HEAD, HTML_GET, "text/html, not a manifest"),
        ("header-body-digest-mismatch", NO_DIGEST_HEAD, WRONG_HEADER_GET, "does not match"),
        (
            "json-that-is-not-a-manifest",
            NO_DIGEST_HEAD,
            (200, {"Content-Type": OCI}, b'{"hello":"world"}'),
            "not a schema version 2 manifest",
        ),
    ],
)
def test_unproven_manifest_digest_is_never_written(
    fault_registry: RegistryServer,
    tmp_path: Path,
    name: str,
    head: tuple[int, dict[str, str], bytes],
    get: tuple[int, dict[str, str], bytes],
    cause: str,
) -> None:
    with Proxy(fault_registry.host, hook=manifests(head, get)) as proxy:
        chart = write_chart(tmp_path / "app", proxy.host)
        before = snapshot(chart)
        run = run_chartlock("lock", str(chart), "--plain-http")
    assert_clean_failure(run, proxy.host, "faults/web", cause)
    assert snapshot(chart) == before
    assert not (chart / "Chart.lock").exists()


def test_fallback_get_of_a_real_manifest_gives_the_same_digest(
    fault_registry: RegistryServer, tmp_path: Path
) -> None:
    """HEAD without a digest (some registries): the GET, checked and hashed, gives the digest
    the HEAD would have."""
    direct = write_chart(tmp_path / "direct", fault_registry.host)
    assert run_chartlock("lock", str(direct), "--plain-http").code == 0
    with Proxy(fault_registry.host) as proxy:
        proxy.hook = lambda m, p, h: (200, {"Content-Type": OCI}, b"") if m == "HEAD" else None
        chart = write_chart(tmp_path / "app", proxy.host)
        run = run_chartlock("lock", str(chart), "--plain-http")
        assert run.code == 0, run.stderr
        assert ("GET", "/v2/faults/web/manifests/1.2.0") in proxy.log
    digest = (direct / "Chart.lock").read_text("utf-8").split("digest: ")[1].split()[0]
    assert f"digest: {digest}" in (chart / "Chart.lock").read_text("utf-8")


# -- credentials -------------------------------------------------------------------------------

USER, PASSWORD, TOKEN = "alice-user", "s3cr3t-P4ss", "t0ken-S3cret-abcdef"
PAIR = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def echo_basic(request: Request) -> Iterable[bytes]:
    """Wants Basic; echoes whatever credentials arrive in its 401 body (and in the code)."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return whole(401, b"{}", {**JSON, "WWW-Authenticate": 'Basic realm="hostile"'})
    decoded = base64.b64decode(auth.split()[-1]).decode()
    body = {"errors": [{"code": "UNAUTHORIZED", "message": f"bad credentials {decoded} ({auth})"}]}
    return whole(401, json.dumps(body).encode(), JSON)


def echo_code(request: Request) -> Iterable[bytes]:
    auth = request.headers.get("authorization", "")
    if not auth:
        return whole(401, b"{}", {**JSON, "WWW-Authenticate": 'Basic realm="hostile"'})
    decoded = base64.b64decode(auth.split()[-1]).decode()
    body = {"errors": [{"code": decoded, "message": auth}]}
    return whole(403, json.dumps(body).encode(), JSON)


@pytest.mark.parametrize("responder", [echo_basic, echo_code], ids=["message", "code"])
def test_basic_credentials_echoed_in_401_body_are_not_printed(
    tmp_path: Path, responder: Respond
) -> None:
    with HostileServer(responder) as server:
        chart = write_chart(tmp_path / "app", server.host)
        run = run_chartlock(
            "lock",
            str(chart),
            "--plain-http",
            "--username",
            USER,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert any(r.headers.get("authorization") == f"Basic {PAIR}" for r in server.requests)
    assert_clean_failure(run, server.host, "faults/web")
    output = run.stdout + run.stderr
    for secret in (PASSWORD, PAIR, USER):
        assert secret not in output, output
    assert "***" in output


def test_bearer_token_echoed_in_403_body_is_not_printed(tmp_path: Path) -> None:
    def respond(request: Request) -> Iterable[bytes]:
        if request.path == "/token":
            return whole(200, json.dumps({"token": TOKEN}).encode(), JSON)
        auth = request.headers.get("authorization", "")
        if not auth:
            challenge = f'Bearer realm="http://{server.host}/token",service="hostile"'
            return whole(401, b"{}", {**JSON, "WWW-Authenticate": challenge})
        body = {"errors": [{"code": "DENIED", "message": f"token {TOKEN} may not: {auth}"}]}
        return whole(403, json.dumps(body).encode(), JSON)

    with HostileServer(respond) as server:
        chart = write_chart(tmp_path / "app", server.host)
        run = run_chartlock("lock", str(chart), "--plain-http")
        assert any(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in server.requests)
    assert_clean_failure(run, server.host, "faults/web", "denied")
    assert TOKEN not in run.stdout + run.stderr


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_credentials_never_follow_to_another_host(tmp_path: Path, how: str) -> None:
    """The registry wants Basic credentials and sends the next tag page (or a redirect) to
    another host: that host gets no Authorization header, and the error names it."""
    with HostileServer() as other, HostileServer() as registry:
        other.respond = lambda request: whole(
            401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": 'Basic realm="o"'}
        )
        elsewhere = f"http://{other.host}/v2/faults/web/tags/list?last=1.0.0"

        def respond(request: Request) -> Iterable[bytes]:
            if not request.headers.get("authorization"):
                return whole(401, b"{}", {**JSON, "WWW-Authenticate": 'Basic realm="r"'})
            if how == "redirect":
                return whole(307, b"", {"Location": elsewhere})
            link = f'<{elsewhere}>; rel="next"'
            return whole(200, b'{"tags":["1.0.0"]}', {**JSON, "Link": link})

        registry.respond = respond
        chart = write_chart(tmp_path / "app", registry.host)
        run = run_chartlock(
            "lock",
            str(chart),
            "--plain-http",
            "--username",
            USER,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert other.requests, "the other host was never asked"
        assert all("authorization" not in r.headers for r in other.requests), other.requests
        assert any("authorization" in r.headers for r in registry.requests)
    assert_clean_failure(run, registry.host, "faults/web", other.host, "not the registry")
