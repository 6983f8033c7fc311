#!/usr/bin/env python3
"""Lock a 20-dependency chart against a registry that looks like ghcr.io or Docker Hub: HTTPS
with its own CA, anonymous Bearer tokens from a separate realm, 25 ms each way.
`chartlock lock` vs `helm dependency update` (both given ``--ca-file``), interleaved runs,
medians.

Set-up (all on 127.0.0.1): charts pushed by the real helm to a plain docker-registry, whose
storage a second docker-registry then serves over TLS (a throwaway CA, tests/support/certs.py)
with ``auth: token`` (tests/support/tokenserver.py, anonymous pull allowed; the realm is
another origin). Latency is added below TLS by TCP relays (tests/support/latency.py: each
chunk waits ``--delay`` in each direction, each new connection one more round trip), one in
front of the registry and one in front of the token realm. Requests are counted from the
registry's access log and the token server's log (one counted run each, not timed). Run from
the repository root:

    python bench/lock_https_bench.py [--runs 5] [--deps 20] [--via-proxy]

``--via-proxy``: both tools reach the registry through ``HTTPS_PROXY`` (a CONNECT forward
proxy, tests/support/forwardproxy.py, on loopback), the registry being ``registry.test`` (a
name only the proxy resolves); the realm stays on 127.0.0.1, which Go and chartlock never
proxy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._oci import emit, range_chart, row  # noqa: E402
from bench._oci import timed_or_exit as timed  # noqa: E402
from tests.support.certs import make_ca_and_server_cert  # noqa: E402
from tests.support.forwardproxy import ForwardProxy  # noqa: E402
from tests.support.latency import LatencyProxy  # noqa: E402
from tests.support.registry import Pusher, RegistryServer, free_port  # noqa: E402
from tests.support.tokenserver import TokenServer  # noqa: E402
from tests.support.tools import find_helm, find_registry, helm_env  # noqa: E402

_REQUEST = r'"(GET|HEAD) /v2/'


class _Realm(TokenServer):
    """A token server announced at another address (the latency relay in front of it)."""

    announced = ""

    @property
    def realm(self) -> str:
        return self.announced or super().realm


class _LoggedRegistry(RegistryServer):
    """A registry with its access log on (one line per request, in registry.log)."""

    def config(self) -> str:
        return (
            super()
            .config()
            .replace("accesslog:\n    disabled: true", "accesslog:\n    disabled: false")
        )

    def start(self) -> RegistryServer:
        # As RegistryServer.start, with standard output (the access log) kept in a file.
        for _ in range(5):
            self.port = free_port()
            config = self.workdir / "config.yml"
            config.write_text(self.config(), "utf-8")
            self.process = subprocess.Popen(
                [self.binary, "serve", str(config)],
                stdout=(self.workdir / "access.log").open("wb"),
                stderr=(self.workdir / "registry.log").open("wb"),
            )
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"docker-registry did not start: {self.log()}")

    def access_lines(self) -> int:
        """Requests to /v2/ logged so far (401s included)."""
        total = 0
        for name in ("access.log", "registry.log"):
            path = self.workdir / name
            if path.exists():
                text = path.read_text("utf-8", "replace")
                total += sum(1 for line in text.splitlines() if re.search(_REQUEST, line))
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deps", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds added each way")
    parser.add_argument("--via-proxy", action="store_true", help="go through HTTPS_PROXY")
    parser.add_argument("--no-helm", action="store_true", help="time chartlock only")
    parser.add_argument("--json", action="store_true", help="end with a JSON line (run_all.py)")
    parser.add_argument(
        "--serve",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="set up, print the chart and CA paths, and serve that long instead (for profiling)",
    )
    parser.add_argument(
        "--chartlock",
        default="",
        help="chartlock executable (default: python -m resolver from this checkout)",
    )
    args = parser.parse_args()
    helm, registry_bin = find_helm(), find_registry()
    chartlock = [args.chartlock] if args.chartlock else [sys.executable, "-m", "resolver"]
    if not helm or not registry_bin:
        raise SystemExit("needs helm and docker-registry: bash scripts/install-test-tools.sh")
    work = Path(tempfile.mkdtemp(prefix="chartlock-https-bench-"))
    try:
        ca, cert, key = make_ca_and_server_cert(work / "certs", names=("registry.test",))
        # 1. Push over plain HTTP, no auth, into a storage directory kept for step 2.
        plain = RegistryServer(registry_bin)
        storage = plain.workdir
        with plain:
            plain.workdir = work / "unused"  # close() removes workdir: keep the storage
            pusher = Pusher(helm, plain, work / "push")
            for i in range(args.deps):
                for version in ("1.0.0", "1.1.0", "2.0.0"):
                    pusher.push("bench", f"dep{i:02d}", version)
        # 2. The same storage over TLS, with anonymous Bearer tokens from a separate realm.
        (work / "token").mkdir()
        realm = _Realm(work / "token", anonymous=True)
        # socketserver listens with a backlog of 5: 20 token requests at once would get SYNs
        # dropped and wait ~1 s for the kernel's retry (measuring the test server, not the
        # clients; real token services accept many connections at once).
        realm.httpd.socket.listen(128)
        with LatencyProxy(f"127.0.0.1:{realm.httpd.server_address[1]}", delay=args.delay) as rl:
            realm.announced = f"http://{rl.host}/token"
            realm.start()
            server = _LoggedRegistry(
                registry_bin, extra_auth=realm.registry_auth_config(), tls=(cert, key)
            )
            server.workdir = storage
            try:
                with server, LatencyProxy(server.host, delay=args.delay) as slow:
                    run_all(args, helm, chartlock, work, ca, server, realm, slow)
            finally:
                realm.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(
    args: argparse.Namespace,
    helm: str,
    chartlock: list[str],
    work: Path,
    ca: Path,
    server: _LoggedRegistry,
    realm: _Realm,
    slow: LatencyProxy,
) -> None:
    host = slow.host
    if args.serve:
        target = range_chart(work / "serve", host, args.deps)
        print(f"chart {target} ca {ca} registry log {server.workdir / 'registry.log'}", flush=True)
        time.sleep(args.serve)
        return
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        env.pop(name, None)
    forward = ForwardProxy({"registry.test": "127.0.0.1"}) if args.via_proxy else None
    if forward is not None:
        forward.start()
        env["HTTPS_PROXY"] = forward.url
        host = "registry.test:" + slow.host.rsplit(":", 1)[1]
    try:
        ours: list[float] = []
        theirs: list[float] = []
        for run in range(args.runs):
            a = range_chart(work / f"ours{run}", host, args.deps)
            ours.append(timed([*chartlock, "lock", str(a), "--ca-file", str(ca)], env=env))
            assert (a / "Chart.lock").is_file()
            if not args.no_helm:
                b = range_chart(work / f"helm{run}", host, args.deps)
                theirs.append(
                    timed(
                        [helm, "dependency", "update", str(b), "--ca-file", str(ca)],
                        env={**helm_env(work / f"henv{run}"), **env},
                    )
                )
                assert (b / "Chart.lock").is_file()
        # Requests of one more run each (registry access log, token server log).
        counts = []
        tools = [("chartlock", [*chartlock, "lock"], env)]
        if not args.no_helm:
            tools.append(("helm", [helm, "dependency", "update"], {**helm_env(work / "hc"), **env}))
        for name, cmd, tool_env in tools:
            time.sleep(0.3)  # let the access log settle
            before, tokens = server.access_lines(), len(realm.requests)
            connections = slow.connections
            counted = range_chart(work / f"count-{name}", host, args.deps)
            timed([*cmd, str(counted), "--ca-file", str(ca)], env=tool_env)
            time.sleep(0.3)
            counts.append(
                (
                    name,
                    server.access_lines() - before,
                    len(realm.requests) - tokens,
                    slow.connections - connections,
                )
            )
    finally:
        if forward is not None:
            forward.stop()
    load = os.getloadavg()
    print(
        f"deps={args.deps} delay={args.delay * 1000:.0f} ms each way runs={args.runs} "
        f"via_proxy={args.via_proxy} load={load[0]:.2f},{load[1]:.2f},{load[2]:.2f}"
    )
    m_ours = statistics.median(ours)
    print(f"chartlock lock:         median {m_ours:.3f} s  runs {fmt(ours)}")
    if theirs:
        m_theirs = statistics.median(theirs)
        print(f"helm dependency update: median {m_theirs:.3f} s  runs {fmt(theirs)}")
        print(f"speed-up: {m_theirs / m_ours:.1f}x")
    for name, registry_requests, token_requests, connections in counts:
        print(
            f"{name}: {registry_requests} registry requests, {token_requests} token requests, "
            f"{connections} registry connections"
        )
    mode = "proxy" if args.via_proxy else "direct"
    emit(
        [
            row(
                f"lock-https-{mode}",
                f"lock {args.deps} deps, HTTPS + Bearer, +{args.delay * 1000:.0f} ms ({mode})",
                chartlock=m_ours,
                helm=statistics.median(theirs) if theirs else None,
                unit="s",
            )
        ],
        args.json,
    )


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)


if __name__ == "__main__":
    main()
