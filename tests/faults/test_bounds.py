"""Unit-level bounds, proofs and scrubbing of the registry client (httpx.MockTransport): caps
counted while streaming, deadlines, the page cap, manifest checks, credentials kept home."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import zlib
from collections.abc import Awaitable, Callable

import httpx
import pytest

from resolver.errors import DigestMismatch, RegistryError
from resolver.registry import bounds
from resolver.registry.bounds import MAX_PAGES
from resolver.registry.client import RegistryClient
from resolver.registry.credentials import CredentialStore
from resolver.registry.failures import connect_reason
from resolver.registry.manifests import check_manifest
from resolver.registry.options import ClientOptions
from resolver.registry.reference import Repository
from resolver.registry.scrub import printable, scrub, variants
from tests.faults.conftest import Pauses

REPO = Repository("reg.example", "charts/app")
OCI = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
Handler = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]


def client(handler: Handler, **kw: object) -> RegistryClient:
    credentials = kw.pop("credentials", None)
    assert credentials is None or isinstance(credentials, CredentialStore)
    options = ClientOptions(**kw)  # type: ignore[arg-type]
    transport = httpx.MockTransport(handler)  # type: ignore[arg-type]
    return RegistryClient(options, credentials=credentials, retries=1, transport=transport)


class Stream(httpx.AsyncByteStream):
    """A body that really streams (``httpx.Response(content=...)`` is read in the handler)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read = 0

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for i in range(0, len(self.data), 65536):
            self.read += 1
            yield self.data[i : i + 65536]


def list_tags(handler: Handler, **kw: object) -> list[str]:
    async def go() -> list[str]:
        async with client(handler, **kw) as c:
            return await c.list_tags(REPO)

    return asyncio.run(go())


# -- scrubbing --------------------------------------------------------------------------------


def test_scrub_masks_user_password_pair_and_tokens() -> None:
    secrets = variants("alice", "s3cret", "tok-123456", "id/tok+en")
    text = "alice:s3cret (Basic YWxpY2U6czNjcmV0) tok-123456 id%2Ftok%2Ben id/tok+en"
    out = scrub(text, secrets)
    for secret in ("alice", "s3cret", "YWxpY2U6czNjcmV0", "tok-123456", "id%2Ftok%2Ben"):
        assert secret not in out, out
    assert out.count("***") >= 6


def test_short_secrets_are_masked_as_words_only() -> None:
    out = scrub("bobcat: no; user bob denied", variants("bob", "a-long-password"))
    assert out == "bobcat: no; user *** denied"


def test_printable_drops_control_characters_and_truncates() -> None:
    assert printable("a\x1b[31mb\nc") == "a?[31mb?c"
    assert len(printable("x" * 500, 80)) == 80


# -- caps --------------------------------------------------------------------------------------


def gzip_of_zeros(total: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"0" * (1 << 20)
    parts = [z.compress(block) for _ in range(total // len(block))]
    return b"".join(parts) + z.flush()


def test_gzip_bomb_is_counted_inflated() -> None:
    bomb = gzip_of_zeros(64 << 20)  # ~64 KiB on the wire, 64 MiB inflated
    assert len(bomb) < 1 << 20

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Stream(bomb), headers={"Content-Encoding": "gzip"})

    with pytest.raises(RegistryError, match="sent more than 4 MiB"):
        list_tags(handler)


def test_compressed_tag_list_within_the_cap_is_read() -> None:
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    body = z.compress(b'{"tags":["1.0.0","2.0.0"]}') + z.flush()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Accept-Encoding"] == "identity"
        return httpx.Response(200, stream=Stream(body), headers={"Content-Encoding": "gzip"})

    assert list_tags(handler) == ["1.0.0", "2.0.0"]


def test_content_length_over_the_cap_is_refused_before_reading() -> None:
    class Endless(httpx.AsyncByteStream):
        read = 0

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            while True:
                Endless.read += 1
                yield b"x" * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(10**12)}, stream=Endless())

    with pytest.raises(RegistryError, match="announced a body of 1000000000000 bytes"):
        list_tags(handler)
    assert Endless.read == 0


def test_error_body_is_cut_not_refused() -> None:
    body = json.dumps({"errors": [{"code": "DENIED", "message": "x" * 200_000}]}).encode()
    stream = Stream(body)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, stream=stream)

    with pytest.raises(RegistryError, match="denied") as info:
        list_tags(handler)
    # Cut after 64 KiB: the JSON is incomplete, so only the status is used.
    assert "x" * 10 not in str(info.value)
    assert stream.read <= 2  # of 4


def test_blob_larger_than_declared_size_is_refused() -> None:
    data = b"chart-bytes"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Stream(data + b"more"))

    async def go(size: int) -> bytes:
        async with client(handler) as c:
            return await c.fetch_blob(REPO, digest, size)

    with pytest.raises(RegistryError, match=f"declares {len(data)} bytes"):
        asyncio.run(go(len(data)))
    with pytest.raises(DigestMismatch):  # no declared size: read (under the cap), then hashed
        asyncio.run(go(0))
    with pytest.raises(RegistryError, match="refuses chart archives over 512 MiB"):
        asyncio.run(go(bounds.MAX_BLOB_BYTES + 1))


def test_nesting_bomb_is_malformed_json_not_recursion_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        bounds.loads(b"[" * 100_000 + b"]" * 100_000)
    assert bounds.loads(b"[[1]]") == [[1]]


# -- deadlines ---------------------------------------------------------------------------------


def test_request_deadline_covers_a_slow_body() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={"tags": []})

    with pytest.raises(RegistryError, match=r"timed out after 0\.2 s; ") as info:
        list_tags(handler, timeout=0.2)
    assert "attempt" not in str(info.value)


def test_overall_deadline_ends_a_registry_that_answers_just_in_time() -> None:
    pages = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal pages
        pages += 1
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={"tags": []}, headers={"Link": f'<?p={pages}>; rel="next"'})

    async def go() -> None:
        async with client(handler, timeout=0.5) as c:
            c.overall_timeout = 0.4
            await c.list_tags(REPO)

    with pytest.raises(RegistryError, match="the deadline of the whole command"):
        asyncio.run(go())
    assert 3 <= pages <= 12


def test_overall_deadline_default_is_ten_timeouts_at_least_a_minute() -> None:
    assert client(lambda r: httpx.Response(200), timeout=30).overall_timeout == 300
    assert client(lambda r: httpx.Response(200), timeout=2).overall_timeout == 60


# -- pagination --------------------------------------------------------------------------------


def test_page_cap_has_its_own_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("p", "0"))
        return httpx.Response(200, json={"tags": []}, headers={"Link": f'<?p={n + 1}>; rel="next"'})

    with pytest.raises(RegistryError, match=f"stopped after {MAX_PAGES} pages \\(the page cap\\)"):
        list_tags(handler)


def test_link_to_another_host_carries_no_credentials() -> None:
    seen: list[tuple[str, str | None]] = []
    pair = base64.b64encode(b"alice:s3cr3t-P4ss").decode()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("Authorization")))
        if request.url.host == "other.example":
            return httpx.Response(200, json={"tags": ["2.0.0"]})
        if "Authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        link = '<https://other.example/v2/charts/app/tags/list?last=1>; rel="next"'
        return httpx.Response(200, json={"tags": ["1.0.0"]}, headers={"Link": link})

    assert list_tags(handler, username="alice", password="s3cr3t-P4ss") == ["1.0.0", "2.0.0"]
    assert ("other.example", None) in seen
    assert ("reg.example", f"Basic {pair}") in seen
    assert all(auth is None for host, auth in seen if host == "other.example")


def test_other_origin_on_the_same_host_is_another_host() -> None:
    """A different port or scheme is a different origin: no credentials there either."""
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("Authorization")))
        if request.url.port == 8443:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        if "Authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        link = '<https://reg.example:8443/v2/charts/app/tags/list?last=1>; rel="next"'
        return httpx.Response(200, json={"tags": ["1.0.0"]}, headers={"Link": link})

    with pytest.raises(RegistryError, match=r"reg\.example:8443 \(not the registry\) answered"):
        list_tags(handler, username="alice", password="s3cr3t-P4ss")
    assert [auth for url, auth in seen if ":8443" in url] == [None]


def test_error_body_echoing_credentials_is_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization")
        if auth is None:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        user_pass = base64.b64decode(auth.split()[1]).decode()
        body = {"errors": [{"code": "UNAUTHORIZED", "message": f"{user_pass} ({auth})"}]}
        return httpx.Response(401, json=body)

    with pytest.raises(RegistryError) as info:
        list_tags(handler, username="alice", password="s3cr3t-P4ss")
    message = str(info.value)
    assert "s3cr3t-P4ss" not in message and "alice" not in message
    assert base64.b64encode(b"alice:s3cr3t-P4ss").decode() not in message


# -- manifests ---------------------------------------------------------------------------------


def manifest(**extra: object) -> bytes:
    doc: dict[str, object] = {"schemaVersion": 2, "config": {"mediaType": "x"}, "layers": []}
    doc.update(extra)
    return json.dumps(doc).encode()


def test_check_manifest_accepts_manifest_and_index_types() -> None:
    assert check_manifest(manifest(), OCI + "; charset=utf-8") == OCI
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": []}).encode()
    assert check_manifest(index, INDEX) == INDEX
    # Plain JSON is accepted only when the document says what it is.
    assert check_manifest(manifest(mediaType=OCI), "application/json") == OCI


@pytest.mark.parametrize(
    ("raw", "content_type", "message"),
    [
        (b"<html>login</html>", "text/html", "text/html, not a manifest: a proxy or login page?"),
        (manifest(), "", "no Content-Type, not a manifest"),
        (manifest(), "application/json", "application/json, not a manifest"),
        (b"<html>", OCI, "the body is not a JSON manifest"),
        (manifest(mediaType=INDEX), OCI, "the body says it is " + INDEX),
        (manifest(schemaVersion=1), OCI, "not a schema version 2 manifest"),
        (json.dumps({"schemaVersion": 2}).encode(), INDEX, "no list of manifests"),
        (json.dumps({"schemaVersion": 2}).encode(), OCI, "no config and layers"),
        (b"[" * 50_000 + b"]" * 50_000, OCI, "not a JSON manifest"),
    ],
)
def test_check_manifest_refuses(raw: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_manifest(raw, content_type)


def test_head_without_manifest_media_type_is_not_trusted() -> None:
    body = manifest(mediaType=OCI)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "HEAD":
            wrong = "sha256:" + "0" * 64
            return httpx.Response(
                200, headers={"Content-Type": "text/html", "Docker-Content-Digest": wrong}
            )
        return httpx.Response(200, content=body, headers={"Content-Type": OCI})

    async def go() -> str:
        async with client(handler) as c:
            return (await c.head_manifest(REPO, "1.0.0")).digest

    assert asyncio.run(go()) == digest
    assert calls == ["HEAD", "GET"]


def test_digest_header_disagreeing_with_the_body_is_refused() -> None:
    body = manifest(mediaType=OCI)

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": OCI, "Docker-Content-Digest": "sha256:" + "1" * 64}
        return httpx.Response(
            200,
            content=body if request.method == "GET" else b"",
            headers={"Content-Type": OCI} if request.method == "HEAD" else headers,
        )

    async def go() -> str:
        async with client(handler) as c:
            return (await c.head_manifest(REPO, "1.0.0")).digest

    with pytest.raises(DigestMismatch, match="Docker-Content-Digest header says sha256:1111"):
        asyncio.run(go())


# -- transport errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[Errno 111] Connect call failed ('127.0.0.1', 9)", "connection refused"),
        (
            "Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] x",
            "connection refused",
        ),
        ("[Errno -2] Name or service not known", "host name not known"),
        ("[Errno -3] Temporary failure in name resolution", "host name lookup failed"),
        ("[Errno 101] Network is unreachable", "network unreachable"),
        ("[Errno 113] No route to host", "no route to host"),
        ("timed out", "timed out"),
        ("something else\nentirely", "something else?entirely"),
    ],
)
def test_connect_reason(text: str, reason: str) -> None:
    assert connect_reason(text) == reason


def test_cannot_connect_says_why_and_counts_attempts_in_english(pauses: Pauses) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connect call failed ('10.0.0.1', 443)")

    with pytest.raises(RegistryError) as info:
        list_tags(handler)
    assert "cannot connect: connection refused (after 2 attempts)" in str(info.value)
    # One back-off between the two attempts, asked of the seam (0.2 s, jittered).
    assert len(pauses.here) == 1 and 0.1 <= pauses.here[0] < 0.3

    async def once() -> None:
        async with RegistryClient(transport=httpx.MockTransport(handler), retries=0) as c:
            await c.list_tags(REPO)

    with pytest.raises(RegistryError) as info:
        asyncio.run(once())
    assert str(info.value).endswith("cannot connect: connection refused")


def test_run_budget_bounds_many_bodies_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tag list is under its own cap; together they exceed the run's budget."""
    import resolver.registry.client as client_module

    monkeypatch.setattr(client_module, "RUN_BUDGET_BYTES", 1000)
    page = json.dumps({"tags": [f"1.0.{i}" for i in range(60)]}).encode()
    assert 500 < len(page) < 1000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Stream(page))

    async def go() -> None:
        async with client(handler) as c:
            assert len(await c.list_tags(Repository("reg.example", "a"))) == 60
            await c.list_tags(Repository("reg.example", "b"))

    with pytest.raises(RegistryError, match=r"reg\.example/b: list tags: .* in all"):
        asyncio.run(go())


@pytest.mark.parametrize(
    "link", ["<http://[::1/x>", "<http://reg.example:99999/x>"], ids=["bad-ipv6", "bad-port"]
)
def test_invalid_link_url_is_one_line_error(link: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"tags": ["1"]}, headers={"Link": f'{link}; rel="next"'})

    with pytest.raises(RegistryError, match="the Link header names an invalid URL"):
        list_tags(handler)


def test_invalid_redirect_location_is_one_line_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "http://[::1/x"})

    # httpx itself refuses the Location (as a malformed response): one line all the same.
    with pytest.raises(RegistryError, match=r"list tags: .*malformed"):
        list_tags(handler)


def test_a_secret_cut_by_truncation_is_still_masked() -> None:
    """The message is scrubbed before it is cut to length: no half of a password shows."""

    def handler(request: httpx.Request) -> httpx.Response:
        if "Authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        message = "x" * 190 + " s3cr3t-P4ss-0123456789"
        return httpx.Response(403, json={"errors": [{"code": "DENIED", "message": message}]})

    with pytest.raises(RegistryError) as info:
        list_tags(handler, username="alice", password="s3cr3t-P4ss-0123456789")
    assert "s3cr" not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        b"entries: " + b"[" * 100_000 + b"]" * 100_000,  # libyaml segfaulted on this
        b"entries: " + b"{a: [" * 50_000,
        b"entries:\n" + b"- " * 100_000 + b"x\n",
        b"entries:\n  web:\n" + b" " * 5000 + b"- x\n",
    ],
    ids=["flow", "flow-mixed", "block-dashes", "indentation"],
)
def test_index_yaml_nesting_bomb_is_refused_before_libyaml(text: bytes) -> None:
    from resolver.resolution.indexrepo import parse_index

    with pytest.raises(RegistryError, match="nested more than 1000 levels deep"):
        parse_index(text, "https://charts.example")


def test_index_yaml_of_ordinary_depth_parses() -> None:
    from resolver.chart.yamldepth import too_deep
    from resolver.resolution.indexrepo import parse_index

    text = b"entries:\n  web:\n  - version: 1.0.0\n    keywords: [a, [b]]\n    urls: [x.tgz]\n"
    assert parse_index(text * 1, "https://charts.example")["web"][0].version == "1.0.0"
    assert not too_deep(b"x: " + b"[" * 999 + b"]" * 999 + b"\n" + b"keywords: []\n" * 5000, 1000)
