#!/usr/bin/env python3
"""`chartlock fix` on 200 distinct images through a proxy adding 25 ms each way (issue 13).

Starts its own docker-registry on 127.0.0.1, pushes N real two-platform images (OCI image
index, manifests, configs, layers: tests/support/images.py), writes a chart whose values.yaml
lists them as ``docker.io/bench/imgNNN:1.0.0``, and runs ``chartlock fix --mirror
docker.io=http://<proxy>`` (the proxy adds ``--delay`` below HTTP in each direction,
tests/support/latency.py). Every run checks that each image got the digest the registry serves
for its tag (the image index digest).

``--auth token`` (the default) serves the pushed images the way Docker Hub and ghcr.io do:
Bearer tokens from a separate realm (tests/support/tokenserver.py, anonymous pull allowed),
the realm behind its own proxy adding the same delay. ``--auth none``: an anonymous registry.

Then one more run through a counting HTTP proxy (tests/support/proxy.py), not timed, counts
the requests: manifest ``HEAD`` requests (and how many of them the registry answered 401),
token requests (the token server logs each query) against the number of distinct
repositories, and whether any scope was fetched twice (it must not: tokens are cached per
(host, scope) and reused). Run from the repository root:

    python bench/fix_bench.py [--images 200] [--runs 3] [--auth token|none] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._oci import chartlock_cmd, clean_env, emit, load_average, quiet, row  # noqa: E402
from tests.support.images import push_image  # noqa: E402
from tests.support.latency import LatencyProxy  # noqa: E402
from tests.support.proxy import Proxy  # noqa: E402
from tests.support.registry import RegistryServer  # noqa: E402
from tests.support.tokenserver import TokenServer  # noqa: E402
from tests.support.tools import find_registry  # noqa: E402

TARGET_SECONDS = 2.0  # issue 13: 200 images, 25 ms each way, <= 2 s


class CountingProxy(Proxy):
    """tests/support/proxy.py's proxy, also logging each reply's status: (method, path,
    status). A HEAD answered 401 is the auth dance's first try, not a digest lookup."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.replies: list[tuple[str, str, int]] = []

    def _reply(  # type: ignore[override]
        self,
        req: BaseHTTPRequestHandler,
        method: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        with self._lock:
            self.replies.append((method, req.path, status))
        Proxy._reply(req, method, status, headers, body)


class DelayedRealm(TokenServer):
    """The tests' token server (anonymous pull), announced to the registry at the address of
    the latency proxy in front of it, so a token request pays the delay like a real realm."""

    hop_port = 0

    def __init__(self, workdir: Path, *, keepalive: bool) -> None:
        super().__init__(workdir, anonymous=True)
        if keepalive:
            # The test server speaks HTTP/1.0: one TCP connection per token, i.e. one more
            # round trip through the latency proxy for each. Real realms (auth.docker.io,
            # ghcr.io/token) keep connections alive. Its only reply without Content-Length is
            # the 401 for bad Basic credentials, which an anonymous client never sends.
            self.httpd.RequestHandlerClass.protocol_version = "HTTP/1.1"  # type: ignore[attr-defined]

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.hop_port}/token"


@dataclass
class Setup:
    registry: RegistryServer
    tokens: DelayedRealm | None
    digests: dict[str, str]  # repository -> index digest of tag 1.0.0
    hops: list[LatencyProxy] = field(default_factory=list)


@contextlib.contextmanager
def serve(
    registry_bin: str, images: int, auth: str, delay: float, work: Path, keepalive: bool
) -> Iterator[Setup]:
    """Images pushed anonymously over plain HTTP, then (``auth == "token"``) served by a
    second registry process on the same storage that requires Bearer tokens."""
    plain = RegistryServer(registry_bin).start()
    try:
        start = time.perf_counter()
        digests = {
            f"bench/img{i:03d}": push_image(plain.url, f"bench/img{i:03d}", ("1.0.0",), str(i))
            for i in range(images)
        }
        print(f"pushed {images} images in {time.perf_counter() - start:.1f} s")
        if auth == "none":
            yield Setup(plain, None, digests)
            return
        plain.stop()
        tokens = DelayedRealm(work, keepalive=keepalive)
        tokens.start()
        with contextlib.ExitStack() as stack:
            stack.callback(tokens.stop)
            hop = quiet(
                stack.enter_context(
                    LatencyProxy(f"127.0.0.1:{tokens.httpd.server_address[1]}", delay=delay)
                )
            )
            tokens.hop_port = hop.port
            server = RegistryServer(registry_bin, extra_auth=tokens.registry_auth_config())
            shutil.rmtree(server.workdir, ignore_errors=True)
            server.workdir = plain.workdir  # the pushed images; close() must not delete them
            server.close = server.stop  # type: ignore[method-assign]
            stack.enter_context(server)
            yield Setup(server, tokens, digests, [hop])
    finally:
        plain.close()


def chart(directory: Path, images: int) -> Path:
    directory.mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
    body = "".join(f"  - docker.io/bench/img{i:03d}:1.0.0\n" for i in range(images))
    (directory / "values.yaml").write_text(f"# {images} images\nextraImages:\n{body}")
    return directory


def fix(target: Path, mirror: str, digests: dict[str, str], cmd: list[str]) -> float:
    """One ``chartlock fix`` run; checks every image got its index digest. Returns seconds."""
    start = time.perf_counter()
    result = subprocess.run(
        [*cmd, "fix", str(target), f"--mirror=docker.io=http://{mirror}"],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"fix failed ({result.returncode}): {result.stderr[-800:]}")
    text = (target / "values.yaml").read_text()
    missing = [
        repo for repo, digest in digests.items() if f"docker.io/{repo}:1.0.0@{digest}" not in text
    ]
    if missing:
        raise SystemExit(f"{len(missing)} images not pinned to their index digest: {missing[:3]}")
    return elapsed


def scopes(queries: list[str]) -> Counter[str]:
    """Token requests per scope (a request without a scope counts as scope "")."""
    out: Counter[str] = Counter()
    for query in queries:
        out[" ".join(parse_qs(query).get("scope", [""]))] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds added each way")
    parser.add_argument(
        "--auth",
        choices=("token", "none"),
        default="token",
        help="token: Bearer tokens from a separate realm, anonymous pull (default); "
        "none: an anonymous registry",
    )
    parser.add_argument(
        "--realm-http10",
        action="store_true",
        help="leave the test token server on HTTP/1.0 (a new connection per token request); "
        "default: keep-alive, as real token realms do",
    )
    parser.add_argument("--chartlock", default="", help="command to run (default: this checkout)")
    parser.add_argument("--json", action="store_true", help="print a JSON row line at the end")
    args = parser.parse_args()
    registry_bin = find_registry()
    if not registry_bin:
        raise SystemExit("needs docker-registry: bash scripts/install-test-tools.sh")
    cmd = chartlock_cmd(args.chartlock)
    load_before = load_average()
    work = Path(tempfile.mkdtemp(prefix="chartlock-fix-bench-"))
    try:
        with serve(
            registry_bin, args.images, args.auth, args.delay, work, not args.realm_http10
        ) as setup:
            times: list[float] = []
            run_tokens: list[int] = []
            connections: list[int] = []
            with LatencyProxy(setup.registry.host, delay=args.delay) as slow:
                quiet(slow)
                for n in range(args.runs):
                    if setup.tokens is not None:
                        setup.tokens.requests.clear()
                    before = slow.connections + sum(h.connections for h in setup.hops)
                    times.append(
                        fix(chart(work / f"run{n}", args.images), slow.host, setup.digests, cmd)
                    )
                    after = slow.connections + sum(h.connections for h in setup.hops)
                    connections.append(after - before)
                    run_tokens.append(len(setup.tokens.requests) if setup.tokens else 0)
            if setup.tokens is not None:
                setup.tokens.requests.clear()
            with CountingProxy(setup.registry.host) as counter:
                fix(chart(work / "count", args.images), counter.host, setup.digests, cmd)
                replies = list(counter.replies)
            token_queries = list(setup.tokens.requests) if setup.tokens else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = load_average()

    heads = [r for r in replies if r[0] == "HEAD" and "/manifests/" in r[1]]
    heads_401 = sum(1 for r in heads if r[2] == 401)
    heads_ok = sum(1 for r in heads if r[2] == 200)
    per_scope = scopes(token_queries)
    repeated = {s: c for s, c in per_scope.items() if c > 1}
    by_method = Counter(r[0] for r in replies)
    registry_requests = len(replies)
    total = registry_requests + len(token_queries)
    median = statistics.median(times)
    print(
        f"images={args.images} (distinct repositories: {len(setup.digests)}) auth={args.auth} "
        f"round trip added={2 * args.delay * 1000:.0f} ms runs={args.runs}"
        + (
            f" realm={'HTTP/1.0, a connection per token' if args.realm_http10 else 'keep-alive'}"
            if args.auth == "token"
            else ""
        )
    )
    print(
        f"chartlock fix: median {median:.2f} s (runs: "
        + ", ".join(f"{t:.2f}" for t in times)
        + f"), target <= {TARGET_SECONDS:.0f} s: {'pass' if median <= TARGET_SECONDS else 'FAIL'}"
    )
    print(
        "  per timed run: token requests "
        + ", ".join(map(str, run_tokens))
        + "; TCP connections through the latency proxies "
        + ", ".join(map(str, connections))
    )
    print(
        f"counted run: manifest HEAD {len(heads)} ({heads_ok} answered 200, {heads_401} 401) "
        f"for {len(setup.digests)} distinct images; registry requests {registry_requests} "
        f"({', '.join(f'{m} {c}' for m, c in sorted(by_method.items()))}); "
        f"token requests {len(token_queries)}; total requests {total}"
    )
    if args.auth == "token":
        print(
            f"tokens: {len(token_queries)} token requests for {len(setup.digests)} distinct "
            f"repositories, {len(per_scope)} distinct scopes; "
            + (
                "no scope fetched twice (tokens cached and reused)"
                if not repeated
                else f"{len(repeated)} scopes fetched more than once: "
                + ", ".join(f"{s} x{c}" for s, c in list(repeated.items())[:5])
            )
        )
    print(f"load average before {load_before}, after {load_after}")
    suffix = "" if args.auth == "token" else "-anonymous"
    emit(
        [
            row(
                f"fix-{args.images}{suffix}",
                f"fix: {args.images} images, +{args.delay * 1000:.0f} ms each way, "
                + ("Bearer tokens" if args.auth == "token" else "anonymous"),
                chartlock=median,
                runs=times,
                auth=args.auth,
                realm_keepalive=args.auth == "token" and not args.realm_http10,
                images=args.images,
                manifest_heads=len(heads),
                manifest_heads_200=heads_ok,
                manifest_heads_401=heads_401,
                token_requests=len(token_queries),
                token_requests_per_run=run_tokens,
                distinct_scopes=len(per_scope),
                scopes_fetched_twice=len(repeated),
                registry_requests=registry_requests,
                total_requests=total,
                connections_per_run=connections,
                load_before=load_before,
                load_after=load_after,
            ),
            # Issue 13 also asks for one HEAD per distinct image and reused tokens: one row each
            # so bench/run_all.py's table shows them (1.00 = exactly one per image/repository).
            row(
                f"fix-{args.images}{suffix}-heads",
                "fix: manifest HEADs per distinct image (401s included)",
                chartlock=len(heads) / len(setup.digests),
                unit="",
            ),
            row(
                f"fix-{args.images}{suffix}-tokens",
                "fix: token requests per distinct repository (0 = anonymous)",
                chartlock=len(token_queries) / len(setup.digests),
                unit="",
                scopes_fetched_twice=len(repeated),
            ),
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
