"""Registry-client faults through httpx.MockTransport: auth, redirects, digests, secrets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import stat
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from resolver.errors import DigestMismatch, RegistryError
from resolver.registry.client import RegistryClient
from resolver.registry.credentials import Credential, CredentialStore
from resolver.registry.options import ClientOptions
from resolver.registry.reference import Repository

REPO = Repository("reg.example", "charts/app")
PASSWORD = "s3cr3t-P4ss"
TOKEN = "t0ken-S3cret"
BLOB = b"chart-bytes"
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()


class Store(CredentialStore):
    def __init__(self, cred: Credential) -> None:
        super().__init__(files=[])
        self.cred = cred

    def get(self, host: str) -> Credential:
        return self.cred


T = TypeVar("T")


def client(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> RegistryClient:
    credentials = kw.pop("credentials", None)
    assert credentials is None or isinstance(credentials, CredentialStore)
    options = ClientOptions(**kw)  # type: ignore[arg-type]
    transport = httpx.MockTransport(handler)
    return RegistryClient(options, credentials=credentials, retries=1, transport=transport)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_redirect_to_another_host_carries_no_authorization() -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("Authorization")))
        if request.url.host == "reg.example":
            if "Authorization" not in request.headers:
                return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
            return httpx.Response(307, headers={"Location": "https://storage.example/blob?sig=1"})
        return httpx.Response(200, content=BLOB)

    async def go() -> bytes:
        async with client(handler, credentials=Store(Credential("u", PASSWORD))) as c:
            return await c.fetch_blob(REPO, BLOB_DIGEST)

    assert run(go()) == BLOB
    storage = [auth for host, auth in seen if host == "storage.example"]
    assert storage == [None]
    assert any(auth and auth.startswith("Basic ") for host, auth in seen if host == "reg.example")


def test_token_endpoint_failure_is_one_line_without_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example":
            return httpx.Response(500, text="boom")
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/token",service="reg"'},
        )

    async def go() -> None:
        async with client(handler, credentials=Store(Credential("u", PASSWORD))) as c:
            await c.list_tags(REPO)

    with pytest.raises(RegistryError) as info:
        run(go())
    text = str(info.value)
    assert "reg.example" in text and "token request" in text and "500" in text
    assert "\n" not in text and PASSWORD not in text and "dTo" not in text


def test_basic_credentials_refused_over_plain_http_to_remote_realm() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="http://auth.example/token"'}
        )

    async def go() -> None:
        async with client(handler, credentials=Store(Credential("u", PASSWORD))) as c:
            await c.list_tags(REPO)

    with pytest.raises(RegistryError, match="plain HTTP"):
        run(go())


def test_bearer_token_cached_refreshed_once_on_401() -> None:
    tokens = iter(["tok-1", "tok-2"])
    state = {"token_calls": 0, "reject": {"tok-1"}}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example":
            state["token_calls"] += 1  # type: ignore[operator]
            assert request.url.params["scope"] == "repository:charts/app:pull"
            return httpx.Response(200, json={"token": next(tokens)})
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") in ("tok-2",) or (
            auth == "Bearer tok-1" and request.url.path.endswith("/tags/list")
        ):
            if request.url.path.endswith("/tags/list"):
                return httpx.Response(200, json={"tags": ["1.0.0"]})
            return httpx.Response(
                200,
                headers={
                    "Docker-Content-Digest": BLOB_DIGEST,
                    "Content-Type": "application/vnd.oci.image.manifest.v1+json",
                },
            )
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/token",service="s"'},
        )

    async def go() -> tuple[list[str], str]:
        async with client(handler, credentials=Store(Credential())) as c:
            tags = await c.list_tags(REPO)
            info = await c.head_manifest(REPO, "1.0.0")  # tok-1 rejected here: refresh once
            return tags, info.digest

    tags, digest = run(go())
    assert tags == ["1.0.0"] and digest == BLOB_DIGEST
    assert state["token_calls"] == 2


def test_identity_token_uses_refresh_grant_and_registry_token_is_used_directly() -> None:
    posts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example":
            posts.append(request.content.decode())
            return httpx.Response(200, json={"access_token": "from-refresh"})
        if request.headers.get("Authorization") in ("Bearer from-refresh", f"Bearer {TOKEN}"):
            return httpx.Response(200, json={"tags": ["2.0.0"]})
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/t",service="s"'}
        )

    async def go(cred: Credential) -> object:
        async with client(handler, credentials=Store(cred)) as c:
            return await c.list_tags(REPO)

    assert run(go(Credential(identity_token="refresh-xyz"))) == ["2.0.0"]
    assert "grant_type=refresh_token" in posts[0] and "refresh_token=refresh-xyz" in posts[0]
    assert run(go(Credential(registry_token=TOKEN))) == ["2.0.0"]
    assert len(posts) == 1


def test_blob_digest_mismatch_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"tampered")

    async def go() -> None:
        async with client(handler) as c:
            await c.fetch_blob(REPO, BLOB_DIGEST)

    with pytest.raises(DigestMismatch, match="does not match"):
        run(go())


def test_manifest_by_digest_mismatch_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"schemaVersion":2}')

    async def go() -> None:
        async with client(handler) as c:
            await c.get_manifest(REPO, BLOB_DIGEST)

    with pytest.raises(DigestMismatch):
        run(go())


def test_not_a_chart_is_refused() -> None:
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json"},
            "layers": [],
        }
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        oci = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
        return httpx.Response(200, content=manifest, headers=oci)

    async def go() -> None:
        async with client(handler) as c:
            await c.get_manifest(REPO, "1.0.0")

    with pytest.raises(RegistryError, match="not a Helm chart"):
        run(go())


def test_relative_and_absolute_link_pagination() -> None:
    pages = {
        "/v2/charts/app/tags/list": (["a"], '</v2/charts/app/tags/list?last=a>; rel="next"'),
        "/v2/charts/app/tags/list?last=a": (["b"], '<list?last=b>; rel="next"'),
        "/v2/charts/app/tags/list?last=b": (["c"], ""),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.url.raw_path.decode()
        tags, link = pages[key]
        return httpx.Response(200, json={"tags": tags}, headers={"Link": link} if link else {})

    async def go() -> object:
        async with client(handler) as c:
            return await c.list_tags(REPO)

    assert run(go()) == ["a", "b", "c"]


def test_credentials_never_in_repr() -> None:
    cred = Credential("user", PASSWORD, identity_token="idt", registry_token=TOKEN)
    for text in (repr(cred), str(cred), repr(Store(cred))):
        assert PASSWORD not in text and TOKEN not in text and "idt'" not in text


def test_docker_config_lookup_order_and_credential_helper(tmp_path: Path) -> None:
    helper = tmp_path / "bin" / "docker-credential-fake"
    helper.parent.mkdir()
    helper.write_text(
        "#!/bin/sh\nread server\n"
        'echo "{\\"Username\\":\\"helper-user\\",\\"Secret\\":\\"helper-pw\\"}"\n',
        "utf-8",
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    helm_cfg = tmp_path / "helm.json"
    docker_cfg = tmp_path / "docker.json"
    auth = base64.b64encode(b"helm-user:helm-pw").decode()
    helm_cfg.write_text(json.dumps({"auths": {"https://reg.example/v2/": {"auth": auth}}}), "utf-8")
    docker_cfg.write_text(
        json.dumps(
            {
                "auths": {"reg.example": {"username": "d", "password": "p"}},
                "credHelpers": {"helped.example": "fake"},
            }
        ),
        "utf-8",
    )
    old = os.environ["PATH"]
    os.environ["PATH"] = f"{helper.parent}:{old}"
    try:
        store = CredentialStore(files=[helm_cfg, docker_cfg])
        assert store.get("reg.example").username == "helm-user"  # Helm's file first
        assert store.get("helped.example").username == "helper-user"
        assert store.get("other.example").empty
    finally:
        os.environ["PATH"] = old


@pytest.mark.parametrize(
    "body",
    [
        b'{"tags": ["1.0.0", 2]}',
        b'{"tags": ["1.0.0", null]}',
        b'{"tags": [["1.0.0"]]}',
        b'{"tags": "1.0.0"}',
        b"[]",
    ],
)
def test_a_tag_list_that_is_not_strings_is_one_error(body: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    async def go() -> list[str]:
        async with client(handler) as c:
            return await c.list_tags(REPO)

    with pytest.raises(RegistryError, match="did not answer with a JSON tag list"):
        run(go())


def test_a_tag_list_of_strings_is_kept_in_registry_order() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"name": "charts/app", "tags": ["2.0.0", "1.0.0", "x"]})

    async def go() -> list[str]:
        async with client(handler) as c:
            return await c.list_tags(REPO)

    assert run(go()) == ["2.0.0", "1.0.0", "x"]
