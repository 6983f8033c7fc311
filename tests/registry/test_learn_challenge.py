"""``RegistryClient.learn_challenge``: one ``GET /v2/`` teaches the client a registry's
challenge, so concurrent first requests carry their tokens instead of each drawing a 401."""

from __future__ import annotations

import asyncio

import httpx

from resolver.registry.client import RegistryClient
from resolver.registry.credentials import Credential, CredentialStore
from resolver.registry.options import ClientOptions
from resolver.registry.reference import Repository

DIGEST = "sha256:" + "a" * 64
CHALLENGE = 'Bearer realm="https://auth.example/token",service="reg"'


class Anonymous(CredentialStore):
    def get(self, host: str) -> Credential:
        return Credential()


def _registry(seen: list[tuple[str, str, str]], *, protected: bool = True) -> RegistryClient:
    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        seen.append((request.method, request.url.host, request.url.path))
        if request.url.host == "auth.example":
            scope = request.url.params.get("scope", "")
            return httpx.Response(200, json={"token": f"t:{scope}"})
        if protected and not auth.startswith("Bearer t:"):
            return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE})
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return httpx.Response(
            200,
            headers={
                "Docker-Content-Digest": DIGEST,
                "Content-Type": "application/vnd.oci.image.index.v1+json",
            },
        )

    transport = httpx.MockTransport(handler)
    return RegistryClient(ClientOptions(), credentials=Anonymous(), retries=0, transport=transport)


def test_concurrent_heads_after_the_challenge_draw_no_401() -> None:
    seen: list[tuple[str, str, str]] = []
    repos = [Repository("reg.example", f"team/app{i}") for i in range(20)]

    async def go() -> list[str]:
        async with _registry(seen) as client:
            await client.learn_challenge(repos[0])
            infos = await asyncio.gather(*(client.head_manifest(r, "1.0") for r in repos))
            return [info.digest for info in infos]

    assert asyncio.run(go()) == [DIGEST] * 20
    heads = [s for s in seen if s[0] == "HEAD"]
    assert len(heads) == 20  # one HEAD per repository: none was refused first
    assert [s for s in seen if s[2] == "/v2/"] == [("GET", "reg.example", "/v2/")]
    tokens = [s for s in seen if s[1] == "auth.example"]
    assert len(tokens) == 20  # one token per repository scope, none fetched twice


def test_without_the_challenge_first_heads_are_refused() -> None:
    # The control for the test above: without the challenge the first request is refused (with
    # a real registry, every request already in flight is: bench/fix_bench.py counted 32 of 200).
    seen: list[tuple[str, str, str]] = []
    repos = [Repository("reg.example", f"team/app{i}") for i in range(5)]

    async def go() -> None:
        async with _registry(seen) as client:
            await asyncio.gather(*(client.head_manifest(r, "1.0") for r in repos))

    asyncio.run(go())
    assert len([s for s in seen if s[0] == "HEAD"]) > len(repos)


def test_an_open_registry_teaches_nothing_and_is_asked_once() -> None:
    seen: list[tuple[str, str, str]] = []
    repo = Repository("reg.example", "team/app")

    async def go() -> dict[str, object]:
        async with _registry(seen, protected=False) as client:
            await client.learn_challenge(repo)
            await client.learn_challenge(repo)  # still unknown: asks again, harmlessly
            return dict(client.auth.challenges)

    assert asyncio.run(go()) == {}
    assert [s[2] for s in seen] == ["/v2/", "/v2/"]
