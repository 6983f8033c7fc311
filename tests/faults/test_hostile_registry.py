"""Hostile registries (tests/support/hostile.py): endless, huge, slow and deeply nested answers,
looping Links. Each run of ``chartlock lock`` ends with exit 2 and one line naming the registry,
within a small multiple of --timeout, with the chartlock process's peak RSS under 200 MB, and
writes nothing. (The time and memory bounds are loose safety bounds, not performance timings.)"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.faults.conftest import Run, assert_clean_failure, snapshot, write_chart
from tests.support.cli import run_chartlock as cli_run
from tests.support.cli import run_chartlock_measured
from tests.support.hostile import (
    HostileServer,
    Request,
    chunked,
    head,
    repeat,
    slowly,
    whole,
)

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
TIMEOUT = 2.0
MAX_RSS = 200 * MiB
TAGS = "/v2/faults/web/tags/list"
MANIFEST = "/v2/faults/web/manifests/1.0.0"
JSON = {"Content-Type": "application/json"}
OCI = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
ONE_TAG = b'{"name":"faults/web","tags":["1.0.0"]}'


def nested(depth: int, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    return prefix + b"[" * depth + b"]" * depth + suffix


Responder = Callable[[HostileServer, Request], Iterable[bytes]]


def tags(respond_tags: Callable[[HostileServer], Iterable[bytes]]) -> Responder:
    def respond(server: HostileServer, request: Request) -> Iterable[bytes]:
        if request.path == TAGS:
            return respond_tags(server)
        return whole(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', JSON)

    return respond


def manifest_get(respond_get: Callable[[HostileServer], Iterable[bytes]]) -> Responder:
    """One tag; its HEAD has no digest, so chartlock must GET the manifest."""

    def respond(server: HostileServer, request: Request) -> Iterable[bytes]:
        if request.path == TAGS:
            return whole(200, ONE_TAG, JSON)
        if request.path == MANIFEST and request.method == "HEAD":
            return [head(200, {**OCI, "Content-Length": "500"})]
        if request.path == MANIFEST:
            return respond_get(server)
        return whole(404)

    return respond


def token_bomb(server: HostileServer, request: Request) -> Iterable[bytes]:
    if request.path == "/token":
        return whole(200, nested(100_000, b'{"token":', b"}"), JSON)
    challenge = f'Bearer realm="http://{server.host}/token",service="hostile"'
    return whole(401, b"{}", {**JSON, "WWW-Authenticate": challenge})


def token_endless(server: HostileServer, request: Request) -> Iterable[bytes]:
    if request.path == "/token":
        return chunked(200, repeat(b'{"token":"', b"t", None), JSON)
    challenge = f'Bearer realm="http://{server.host}/token",service="hostile"'
    return whole(401, b"{}", {**JSON, "WWW-Authenticate": challenge})


CASES: dict[str, tuple[Responder, str]] = {
    "endless-chunked-tag-list": (
        tags(lambda s: chunked(200, repeat(b'{"tags":[', b'"1.0.0",', None), JSON)),
        "sent more than 4 MiB",
    ),
    "one-chunk-of-a-terabyte": (
        tags(
            lambda s: itertools.chain(
                [head(200, {**JSON, "Transfer-Encoding": "chunked"}), b"FFFFFFFFFF\r\n"],
                repeat(b'{"tags":[', b'"1.0.0",', None),
            )
        ),
        "sent more than 4 MiB",
    ),
    "content-length-10^12": (
        tags(
            lambda s: itertools.chain(
                [head(200, {**JSON, "Content-Length": str(10**12)})],
                repeat(b'{"tags":[', b'"1.0.0",', None),
            )
        ),
        "announced a body of 1000000000000 bytes",
    ),
    "50-MB-tag-list": (
        tags(
            lambda s: itertools.chain(
                [head(200, {**JSON, "Content-Length": str(50 * MiB)})],
                repeat(b'{"tags":[', b'"1.0.0",', 50 * MiB, b'"1.0.0"]}'),
            )
        ),
        "announced a body of 52428800 bytes",
    ),
    "50-MB-chunked-tag-list": (
        tags(lambda s: chunked(200, repeat(b'{"tags":[', b'"1.0.0",', 50 * MiB, b'"1"]}'), JSON)),
        "sent more than 4 MiB",
    ),
    "100-MB-manifest": (
        manifest_get(
            lambda s: chunked(200, repeat(b'{"schemaVersion":2,"x":"', b"a", 100 * MiB, b'"}'), OCI)
        ),
        "sent more than 4 MiB",
    ),
    "one-byte-per-second-body": (
        tags(
            lambda s: itertools.chain(
                [head(200, {**JSON, "Content-Length": "100"})],
                slowly(b" " * 100, 1.0, s.stopped),
            )
        ),
        "timed out after 2 s",
    ),
    "one-byte-per-second-headers": (
        tags(lambda s: slowly(b"".join(whole(200, ONE_TAG, JSON)), 1.0, s.stopped)),
        "timed out after 2 s",
    ),
    "nesting-bomb-tag-list": (
        tags(lambda s: whole(200, nested(100_000, b'{"tags":', b"}"), JSON)),
        "did not answer with a JSON tag list",
    ),
    "nesting-bomb-error-body": (
        tags(lambda s: whole(404, nested(30_000, b'{"errors":', b"}"), JSON)),
        "unexpected HTTP status 404",
    ),
    "nesting-bomb-token": (token_bomb, "returned no token"),
    "endless-token": (token_endless, "sent more than 1 MiB (the limit is 1 MiB)"),
    "looping-link": (
        tags(lambda s: whole(200, ONE_TAG, {**JSON, "Link": '<list?n=1>; rel="next"'})),
        "loops",
    ),
}


def run_against(server: HostileServer, chart: Path) -> tuple[Run, float, int]:
    start = time.monotonic()
    result, rss = run_chartlock_measured(
        "lock",
        str(chart),
        "--plain-http",
        "--timeout",
        f"{TIMEOUT:g}",
        report=chart.parent / "rss",
    )
    return Run(result.returncode, result.stdout, result.stderr), time.monotonic() - start, rss


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_registry_ends_in_exit_2_bounded(tmp_path: Path, case: str) -> None:
    responder, cause = CASES[case]
    with HostileServer() as server:
        server.respond = lambda request: responder(server, request)
        chart = write_chart(tmp_path / "app", server.host)
        before = snapshot(chart)
        run, elapsed, rss = run_against(server, chart)
    assert_clean_failure(run, server.host, "faults/web", cause)
    assert elapsed < TIMEOUT * 3 + 5, elapsed
    assert 0 < rss <= MAX_RSS, rss
    assert snapshot(chart) == before


def test_pull_reads_no_more_of_a_blob_than_the_manifest_declares(tmp_path: Path) -> None:
    import hashlib
    import json

    layer = {
        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        "digest": "sha256:" + "b" * 64,
        "size": 1000,
    }
    config = {
        "mediaType": "application/vnd.cncf.helm.config.v1+json",
        "digest": "sha256:" + "c" * 64,
    }
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI["Content-Type"], "config": config, "layers": [layer]}
    ).encode()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()

    def respond(request: Request) -> Iterable[bytes]:
        if request.path == TAGS:
            return whole(200, ONE_TAG, JSON)
        if request.path == MANIFEST and request.method == "HEAD":
            return [head(200, {**OCI, "Docker-Content-Digest": digest, "Content-Length": "1"})]
        if request.path == f"/v2/faults/web/manifests/{digest}":
            return whole(200, manifest, OCI)
        if request.path.startswith("/v2/faults/web/blobs/"):
            return chunked(200, repeat(b"", b"\x1f\x8b", None))
        return whole(404)

    with HostileServer(respond) as server:
        chart = write_chart(tmp_path / "app", server.host)
        locked = cli_run("lock", str(chart), "--plain-http")
        assert locked.returncode == 0, locked.stderr
        before = snapshot(chart)
        start = time.monotonic()
        result, rss = run_chartlock_measured(
            "pull", str(chart), "--plain-http", "--timeout", "2", report=tmp_path / "rss"
        )
        elapsed = time.monotonic() - start
    run = Run(result.returncode, result.stdout, result.stderr)
    assert_clean_failure(run, server.host, "faults/web", "the manifest declares 1000 bytes")
    assert elapsed < TIMEOUT * 3 + 5, elapsed
    assert 0 < rss <= MAX_RSS, rss
    assert snapshot(chart) == before
