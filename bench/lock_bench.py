#!/usr/bin/env python3
"""Lock a 20-dependency chart through a proxy adding 25 ms each way (50 ms round trip):
`chartlock lock` vs `helm dependency update`, median of N cold runs each.

Starts its own docker-registry on 127.0.0.1, pushes 20 charts with the real helm, and counts
the requests each tool makes. Latency is added below HTTP by a TCP proxy (each packet waits
``--delay`` in each direction, each new connection pays one more round trip). Run from the
repository root:

    python bench/lock_bench.py [--runs 3] [--deps 20] [--via-proxy] [--json]

``--via-proxy``: both tools reach the registry through an HTTP forward proxy
(tests/support/forwardproxy.py, on loopback, no added latency of its own) named by
``HTTP_PROXY``, the registry being ``registry.test`` (a name only the proxy resolves): the
latency sits between the proxy and the registry, as with a corporate proxy near the user.
chartlock's start-up preconnections step aside then (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._oci import emit, range_chart, row  # noqa: E402
from bench._oci import timed_or_exit as timed  # noqa: E402
from tests.support.forwardproxy import ForwardProxy  # noqa: E402
from tests.support.latency import LatencyProxy  # noqa: E402
from tests.support.proxy import Proxy  # noqa: E402
from tests.support.registry import Pusher, RegistryServer  # noqa: E402
from tests.support.tools import find_helm, find_registry, helm_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deps", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds added each way")
    parser.add_argument(
        "--via-proxy", action="store_true", help="go through an HTTP_PROXY forward proxy"
    )
    parser.add_argument(
        "--chartlock",
        default="",
        help="chartlock executable (default: this checkout's python -m resolver; an installed "
        "`chartlock` may be another checkout's)",
    )
    parser.add_argument("--json", action="store_true", help="end with a JSON line")
    args = parser.parse_args()
    helm, registry_bin = find_helm(), find_registry()
    chartlock = [args.chartlock] if args.chartlock else [sys.executable, "-m", "resolver"]
    os.environ["PYTHONPATH"] = str(ROOT)  # python -m resolver runs this checkout, from any cwd
    if not helm or not registry_bin:
        raise SystemExit("needs helm and docker-registry: bash scripts/install-test-tools.sh")
    work = Path(tempfile.mkdtemp(prefix="chartlock-bench-"))
    try:
        with RegistryServer(registry_bin) as server:
            pusher = Pusher(helm, server, work / "push")
            for i in range(args.deps):
                for version in ("1.0.0", "1.1.0", "2.0.0"):
                    pusher.push("bench", f"dep{i:02d}", version)
            # Latency below HTTP: +delay each way per packet, +1 round trip per new connection.
            with (
                LatencyProxy(server.host, delay=args.delay) as slow,
                LatencyProxy(server.host, delay=0.0) as fast,
                ForwardProxy({"registry.test": "127.0.0.1"}) as forward,
            ):
                env: dict[str, str] | None = None
                slow_host, fast_host = slow.host, fast.host
                if args.via_proxy:
                    env = {**os.environ, "HTTP_PROXY": forward.url, "NO_PROXY": ""}
                    slow_host = "registry.test:" + slow.host.rsplit(":", 1)[1]
                    fast_host = "registry.test:" + fast.host.rsplit(":", 1)[1]
                ours, theirs, zero = [], [], []
                for run in range(args.runs):
                    a = range_chart(work / f"ours{run}", slow_host, args.deps)
                    ours.append(timed([*chartlock, "lock", str(a), "--plain-http"], env=env))
                    b = range_chart(work / f"helm{run}", slow_host, args.deps)
                    theirs.append(
                        timed(
                            [helm, "dependency", "update", str(b), "--plain-http"],
                            env={**helm_env(work / f"henv{run}"), **(env or {})},
                        )
                    )
                    assert (a / "Chart.lock").is_file() and (b / "Chart.lock").is_file()
                    # The same work with no added latency: the difference is the round trips.
                    c = range_chart(work / f"zero{run}", fast_host, args.deps)
                    zero.append(timed([*chartlock, "lock", str(c), "--plain-http"], env=env))
                base = statistics.median(zero)
                if args.via_proxy:
                    # Everything went through the forward proxy (the name resolves nowhere else).
                    assert forward.targets() == {slow_host, fast_host}, forward.targets()
            # Requests, counted once by an HTTP proxy (not timed).
            with Proxy(server.host) as counter:
                timed(
                    [
                        *chartlock,
                        "lock",
                        str(range_chart(work / "count1", counter.host, args.deps)),
                        "--plain-http",
                    ]
                )
                ours_requests = len(counter.log)
                timed(
                    [
                        helm,
                        "dependency",
                        "update",
                        str(range_chart(work / "count2", counter.host, args.deps)),
                        "--plain-http",
                    ],
                    env=helm_env(work / "henvc"),
                )
                theirs_requests = len(counter.log) - ours_requests
        m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
        rtt = 2 * args.delay
        print(
            f"deps={args.deps} round trip added={rtt * 1000:.0f} ms runs={args.runs} "
            f"via_proxy={args.via_proxy} chartlock={' '.join(chartlock)}"
        )
        print(f"chartlock lock:         median {m_ours:.2f} s  ({ours_requests} requests)")
        print(f"helm dependency update: median {m_theirs:.2f} s  ({theirs_requests} requests)")
        print(f"speed-up: {m_theirs / m_ours:.1f}x")
        print(
            f"chartlock critical path: ~{(m_ours - base) / rtt:.1f} round trips "
            f"(({m_ours:.2f} s - {base:.2f} s with no added latency) / {rtt * 1000:.0f} ms)"
        )
        mode = "proxy" if args.via_proxy else "direct"
        emit(
            [
                row(
                    f"lock-http-{mode}",
                    f"lock {args.deps} deps plain HTTP {mode}",
                    chartlock=m_ours,
                    helm=m_theirs,
                    requests={"chartlock": ours_requests, "helm": theirs_requests},
                    round_trips=round((m_ours - base) / rtt, 1),
                )
            ],
            args.json,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
