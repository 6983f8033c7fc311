#!/usr/bin/env python3
"""`chartlock lock` vs `helm dependency update`, 20 dependencies, against a registry that looks
like ghcr.io or Docker Hub: HTTPS with its own CA (``--ca-file`` for both tools), anonymous
Bearer tokens from a separate HTTPS realm, registry and realm each 25 ms away each way (a TCP
proxy, below TLS). Issue 14 targets: >= 15x helm direct, >= 10x through an HTTPS_PROXY.

Modes (interleaved run by run, so load hits all alike):
  direct  registry and realm named 127.0.0.1;
  proxy   both named registry.test, reached through HTTPS_PROXY (tests/support/forwardproxy.py,
          CONNECT, on loopback with no latency of its own): the latency sits between the proxy
          and the servers, as with a corporate proxy near the user.

    python bench/https_lock_bench.py [--runs 3] [--deps 20] [--modes direct,proxy] [--json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._oci import (
    PROXY_NAME,
    chartlock_cmd,
    clean_env,
    emit,
    https_token_registry,
    load_average,
    locked_versions,
    profile_summary,
    profiled,
    row,
    timed,
    write_chart,
)
from tests.support.forwardproxy import ForwardProxy
from tests.support.registry import Pusher, RegistryServer
from tests.support.tools import find_helm, find_registry, helm_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deps", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds added each way")
    parser.add_argument("--modes", default="direct,proxy")
    parser.add_argument("--chartlock", default="", help="command (default: python -m resolver)")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="one more chartlock run per mode, profiled"
    )
    parser.add_argument("--json", action="store_true", help="end with a JSON line for run_all")
    args = parser.parse_args()
    helm, registry_bin = find_helm(), find_registry()
    if not helm or not registry_bin:
        raise SystemExit("needs helm and docker-registry: bash scripts/install-test-tools.sh")
    modes = tuple(m for m in args.modes.split(",") if m)
    ours_cmd = chartlock_cmd(args.chartlock)
    names = [f"dep{i:02d}" for i in range(args.deps)]

    def push(pusher: Pusher, _: RegistryServer) -> None:
        for name in names:
            for version in ("1.0.0", "1.1.0", "2.0.0"):
                pusher.push("bench", name, version)

    with tempfile.TemporaryDirectory(prefix="chartlock-https-bench-") as tmp:
        work = Path(tmp)
        with (
            https_token_registry(
                registry_bin, helm, work, push, delay=args.delay, modes=modes
            ) as setup,
            ForwardProxy({PROXY_NAME: "127.0.0.1"}) as forward,
        ):
            times: dict[tuple[str, str], list[float]] = {}
            conns: dict[tuple[str, str], int] = {}
            for run in range(args.runs):
                for mode in modes:
                    extra = {"HTTPS_PROXY": forward.url, "NO_PROXY": ""} if mode == "proxy" else {}
                    repo = f"oci://{setup.registries[mode]}/bench"
                    deps = [(n, "^1.0.0", repo) for n in names]
                    for tool in ("chartlock", "helm"):
                        chart = write_chart(work / f"{tool}-{mode}-{run}", "bench", deps)
                        if tool == "chartlock":
                            cmd = [*ours_cmd, "lock", str(chart), "--ca-file", str(setup.ca)]
                            env = clean_env(**extra)
                        else:
                            cmd = [helm, "dependency", "update", str(chart)]
                            cmd += ["--ca-file", str(setup.ca)]
                            env = {**clean_env(**extra), **helm_env(work / f"h{mode}{run}")}
                        before = setup.connections()
                        times.setdefault((mode, tool), []).append(timed(cmd, env))
                        conns[(mode, tool)] = setup.connections() - before
                        got = locked_versions(chart)
                        assert got == {n: "1.1.0" for n in names}, got
            for mode in modes if args.profile else ():
                args.profile.mkdir(parents=True, exist_ok=True)
                extra = {"HTTPS_PROXY": forward.url, "NO_PROXY": ""} if mode == "proxy" else {}
                repo = f"oci://{setup.registries[mode]}/bench"
                chart = write_chart(
                    work / f"prof-{mode}", "bench", [(n, "^1.0.0", repo) for n in names]
                )
                out = args.profile / f"lock-https-{mode}.prof"
                cmd = [*ours_cmd, "lock", str(chart), "--ca-file", str(setup.ca)]
                timed(profiled(cmd, out), clean_env(**extra))
                print(profile_summary(out))
            if "proxy" in modes:
                assert any(s.method == "CONNECT" for s in forward.seen), forward.seen[:3]
    rtt = 2 * args.delay * 1000
    print(
        f"{args.deps} deps, HTTPS (own CA) + anonymous Bearer (separate HTTPS realm), "
        f"{rtt:.0f} ms round trip, median of {args.runs} interleaved runs, "
        f"load {load_average()}"
    )
    rows = []
    for mode in modes:
        ours = statistics.median(times[(mode, "chartlock")])
        theirs = statistics.median(times[(mode, "helm")])
        print(
            f"  {mode:6}  chartlock lock {ours:6.2f} s ({conns[(mode, 'chartlock')]} connections)"
            f"   helm dependency update {theirs:6.2f} s ({conns[(mode, 'helm')]} connections)"
            f"   {theirs / ours:5.1f}x"
        )
        print(
            f"          runs chartlock {[round(x, 2) for x in times[(mode, 'chartlock')]]}"
            f" helm {[round(x, 2) for x in times[(mode, 'helm')]]}"
        )
        rows.append(
            row(
                f"lock-https-{mode}",
                f"lock {args.deps} deps HTTPS+token {mode}",
                chartlock=ours,
                helm=theirs,
                connections={
                    "chartlock": conns[(mode, "chartlock")],
                    "helm": conns[(mode, "helm")],
                },
            )
        )
    emit(rows, args.json)


if __name__ == "__main__":
    main()
