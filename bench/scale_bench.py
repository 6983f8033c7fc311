#!/usr/bin/env python3
"""Scale benchmarks of issue 14: `chartlock lock` where the work grows, against helm.

Cases (``--case``, repeatable; default all), each against a real CNCF distribution registry over
plain HTTP, with tags seeded in its storage (bench/_oci.py) and latency from a TCP proxy:

  tags     one dependency on a 10,000-tag repository, 25 ms each way: chartlock vs
           `helm dependency update`, same version picked (target >= 1.5x);
  shared   50 charts sharing that 10,000-tag repository, one `lock` run, no added latency:
           cost per extra chart ((T(50) - T(1)) / 49, target <= 50 ms) and helm's loop
           (`helm dependency update` per chart) / T(50) (target >= 5x);
  many     8,000 small charts vs 1,000 (one dependency each on 20 repositories, no added
           latency): per-chart cost at 8,000 / per-chart cost at 1,000 (target <= 1.2);
  fleet    200 charts x 5 dependencies (20 repositories), 25 ms each way: seconds and
           requests (target <= 3 s and >= 50x helm's loop).

helm's loop over many charts is timed on ``--helm-sample`` charts (interleaved with chartlock's
runs) and extrapolated to all of them (the report says so); ``--helm-sample 0`` times them all.
Requests are counted in one extra untimed run through an HTTP proxy (tests/support/proxy.py).

    python bench/scale_bench.py [--case tags] [--runs 3] [--helm-sample 5] [--json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._oci import (
    chartlock_cmd,
    clean_env,
    emit,
    load_average,
    locked_versions,
    profile_summary,
    profiled,
    quiet,
    row,
    timed,
    version_grid,
    write_chart,
)
from bench.check_bench import make_venv
from tests.support.latency import LatencyProxy
from tests.support.proxy import Proxy
from tests.support.registry import Pusher, RegistryServer, seed_tags
from tests.support.tools import find_helm, find_registry, helm_env

Deps = list[tuple[str, str, str]]  # (name, range, repository)
BIG_PICKS = {"~4.2.0": "4.2.99", "^4.0.0": "4.9.99", ">=1.0.0 <9.0.0": "8.9.99"}


class Bench:
    def __init__(self, args: argparse.Namespace, helm: str, server: RegistryServer, work: Path):
        self.args = args
        self.helm = helm
        self.server = server
        self.work = work
        self.ours = chartlock_cmd(args.chartlock)
        self.profiling = self.ours  # profiled runs need `python -m resolver`
        if args.venv is not None:
            venv = args.venv.resolve()
            if not (venv / "bin" / "chartlock").exists():
                make_venv(venv, editable=False)
            self.ours = [str(venv / "bin" / "chartlock")]
            self.profiling = [str(venv / "bin" / "python"), "-m", "resolver"]
        self.pusher = Pusher(helm, server, work / "push")
        self.seeded: set[str] = set()
        self.serial = 0

    def fresh(self, label: str) -> Path:
        self.serial += 1
        return self.work / f"{label}-{self.serial}"

    # -- registry content -------------------------------------------------------------
    def big_repo(self, tags: int) -> None:
        """bench/big: ``tags`` semver tags, the versions BIG_PICKS can pick pushed for real."""
        if "big" in self.seeded:
            return
        digest = ""
        for version in BIG_PICKS.values():
            digest = self.pusher.push("bench", "big", version)
        seed_tags(self.server, "bench/big", version_grid(tags), digest)
        self.seeded.add("big")

    def small_repos(self) -> None:
        """bench/dep00..dep19: 1.1.0 pushed (what ^1.0.0 picks), 1.0.0 and 2.0.0 seeded."""
        if "small" in self.seeded:
            return
        for i in range(20):
            digest = self.pusher.push("bench", f"dep{i:02d}", "1.1.0")
            seed_tags(self.server, f"bench/dep{i:02d}", ["1.0.0", "2.0.0"], digest)
        self.seeded.add("small")

    # -- runs -------------------------------------------------------------------------
    def tree(self, label: str, count: int, deps: Callable[[int], Deps]) -> Path:
        root = self.fresh(label)
        for i in range(count):
            write_chart(root / "charts" / f"app{i:05d}", f"app{i:05d}", deps(i))
        return root

    def lock(self, root: Path, profile: str = "") -> float:
        """Seconds for one `lock` of ``root``; with ``--profile DIR`` and ``profile`` set, the
        run is a cProfile one instead (not timed) and its summary is printed."""
        if not profile:
            return timed([*self.ours, "lock", str(root), "--plain-http"], clean_env())
        cmd = [*self.profiling, "lock", str(root), "--plain-http"]
        if not self.args.profile:
            return 0.0
        self.args.profile.mkdir(parents=True, exist_ok=True)
        out = self.args.profile / f"{profile}.prof"
        # cProfile slows the CPU-bound parts 2-3x; while they hold the event loop, requests
        # waiting for it would hit the default 30 s timeout.
        timed(profiled([*cmd, "--timeout", "600"], out), clean_env())
        print(profile_summary(out))
        return 0.0

    def helm_update(self, chart: Path) -> float:
        env = {**clean_env(), **helm_env(self.fresh("helm-home"))}
        return timed([self.helm, "dependency", "update", str(chart), "--plain-http"], env)

    def requests(self, deps: Callable[[str], Callable[[int], Deps]], count: int) -> tuple[int, int]:
        """(chartlock's requests for ``count`` charts, helm's for the first chart)."""
        with Proxy(self.server.host) as counter:
            self.lock(self.tree("count", count, deps(counter.host)))
            ours = len(counter.log)
            self.helm_update(self.tree("hcount", 1, deps(counter.host)) / "charts/app00000")
            return ours, len(counter.log) - ours

    def delay(self, default: float) -> float:
        return default if self.args.delay is None else self.args.delay

    def sample(self, count: int) -> int:
        return count if self.args.helm_sample <= 0 else min(count, self.args.helm_sample)


def case_tags(b: Bench) -> list[dict[str, Any]]:
    tags = b.args.tags
    b.big_repo(tags)
    delay = b.delay(0.025)
    with quiet(LatencyProxy(b.server.host, delay=delay)) as slow:
        deps = [("big", "~4.2.0", f"oci://{slow.host}/bench")]
        ours, theirs = [], []
        for _ in range(b.args.runs):
            a = write_chart(b.fresh("tags-ours"), "app", deps)
            ours.append(b.lock(a))
            h = write_chart(b.fresh("tags-helm"), "app", deps)
            theirs.append(b.helm_update(h))
            picked = (locked_versions(a)["big"], locked_versions(h)["big"])
            assert picked == ("4.2.99", "4.2.99"), picked
        if b.args.profile:
            b.lock(write_chart(b.fresh("tags-prof"), "app", deps), profile="tags")
    req = b.requests(lambda host: lambda i: [("big", "~4.2.0", f"oci://{host}/bench")], 1)
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    print(
        f"tags: {tags} tags, {delay * 1000:.0f} ms each way, {b.args.runs} runs: chartlock "
        f"{m_ours:.2f} s ({req[0]} requests), helm {m_theirs:.2f} s ({req[1]} requests), "
        f"{m_theirs / m_ours:.2f}x; both picked 4.2.99"
    )
    print(f"  runs chartlock {[round(x, 2) for x in ours]} helm {[round(x, 2) for x in theirs]}")
    return [
        row(
            "tags-10k",
            f"lock, 1 dep on {tags} tags, {delay * 1000:.0f} ms",
            chartlock=m_ours,
            helm=m_theirs,
            requests={"chartlock": req[0], "helm": req[1]},
            picked="4.2.99",
        )
    ]


def case_shared(b: Bench) -> list[dict[str, Any]]:
    charts, tags = b.args.charts, b.args.tags
    b.big_repo(tags)
    delay = b.delay(0.0)
    ranges = list(BIG_PICKS)
    with quiet(LatencyProxy(b.server.host, delay=delay)) as slow:
        repo = f"oci://{slow.host}/bench"

        def deps(i: int) -> Deps:
            return [("big", ranges[i % len(ranges)], repo)]

        one, many, helm_each = [], [], []
        sample = b.sample(charts)
        for run in range(b.args.runs):
            one.append(b.lock(b.tree("shared1", 1, deps)))
            root = b.tree("sharedN", charts, deps)
            many.append(b.lock(root))
            for i in range(charts):
                got = locked_versions(root / "charts" / f"app{i:05d}")["big"]
                assert got == BIG_PICKS[ranges[i % len(ranges)]], (i, got)
            if run == 0:  # helm's loop: once, chart by chart (it has no multi-chart mode)
                helm_root = b.tree("sharedH", sample, deps)
                for i in range(sample):
                    helm_each.append(b.helm_update(helm_root / "charts" / f"app{i:05d}"))
        if b.args.profile:
            b.lock(b.tree("sharedP", charts, deps), profile="shared")
    t1, tn = statistics.median(one), statistics.median(many)
    per_extra = (tn - t1) / (charts - 1)
    helm_loop = statistics.mean(helm_each) * charts
    extrapolated = "" if sample == charts else f" (extrapolated from {sample} charts)"
    print(
        f"shared: {charts} charts on one {tags}-tag repository, {delay * 1000:.0f} ms each way: "
        f"T(1) {t1:.2f} s, T({charts}) {tn:.2f} s, {per_extra * 1000:.0f} ms per extra chart; "
        f"helm loop {helm_loop:.1f} s{extrapolated}, {helm_loop / tn:.2f}x"
    )
    return [
        row(
            "shared-per-chart",
            f"{charts} charts, one {tags}-tag repo: per extra chart",
            chartlock=per_extra * 1000,
            unit="ms",
            t1=t1,
            tn=tn,
        ),
        row(
            "shared-vs-helm",
            f"{charts} charts, one {tags}-tag repo: vs helm loop{extrapolated}",
            chartlock=tn,
            helm=helm_loop,
            helm_sample=sample,
        ),
    ]


def case_many(b: Bench) -> list[dict[str, Any]]:
    b.small_repos()
    small, large = b.args.many
    delay = b.delay(0.0)
    with quiet(LatencyProxy(b.server.host, delay=delay)) as slow:
        repo = f"oci://{slow.host}/bench"

        def deps(i: int) -> Deps:
            return [(f"dep{i % 20:02d}", "^1.0.0", repo)]

        times: dict[int, list[float]] = {small: [], large: []}
        for _ in range(b.args.runs):
            for count in (small, large):
                root = b.tree(f"many{count}", count, deps)
                times[count].append(b.lock(root))
                assert locked_versions(root / "charts" / f"app{count - 1:05d}")
        for count in (small, large) if b.args.profile else ():
            b.lock(b.tree(f"manyP{count}", count, deps), profile=f"many-{count}")
    per = {n: statistics.median(t) / n for n, t in times.items()}
    ratio = per[large] / per[small]
    print(
        f"many: {small} charts {statistics.median(times[small]):.2f} s "
        f"({per[small] * 1000:.2f} ms/chart), {large} charts "
        f"{statistics.median(times[large]):.2f} s ({per[large] * 1000:.2f} ms/chart): "
        f"per-chart cost ratio {ratio:.2f}"
    )
    return [
        row(
            "many-charts",
            f"lock {large} vs {small} small charts: per-chart cost ratio",
            chartlock=ratio,
            unit="x",
            ratio=None,
            seconds={str(n): statistics.median(t) for n, t in times.items()},
        )
    ]


def case_fleet(b: Bench) -> list[dict[str, Any]]:
    b.small_repos()
    charts, per_chart = 200, 5
    delay = b.delay(0.025)

    def deps_for(host: str) -> Callable[[int], Deps]:
        return lambda i: [
            (f"dep{(i + j) % 20:02d}", "^1.0.0", f"oci://{host}/bench") for j in range(per_chart)
        ]

    with quiet(LatencyProxy(b.server.host, delay=delay)) as slow:
        deps = deps_for(slow.host)
        ours, helm_each = [], []
        sample = b.sample(charts)
        for run in range(b.args.runs):
            root = b.tree("fleet", charts, deps)
            ours.append(b.lock(root))
            assert len(locked_versions(root / "charts/app00199")) == per_chart
            if run == 0:
                helm_root = b.tree("fleetH", sample, deps)
                for i in range(sample):
                    helm_each.append(b.helm_update(helm_root / "charts" / f"app{i:05d}"))
        if b.args.profile:
            b.lock(b.tree("fleetP", charts, deps), profile="fleet")
    req_ours, req_helm_one = b.requests(deps_for, charts)
    m = statistics.median(ours)
    helm_loop = statistics.mean(helm_each) * charts
    extrapolated = "" if sample == charts else f" (extrapolated from {sample} charts)"
    print(
        f"fleet: {charts} charts x {per_chart} deps, {delay * 1000:.0f} ms each way: chartlock "
        f"{m:.2f} s ({req_ours} requests); helm loop {helm_loop:.1f} s{extrapolated} "
        f"(~{req_helm_one * charts} requests: {req_helm_one} per chart), {helm_loop / m:.0f}x"
    )
    print(f"  runs chartlock {[round(x, 2) for x in ours]}")
    return [
        row(
            "fleet-vs-helm",
            f"lock {charts} charts x {per_chart} deps, {delay * 1000:.0f} ms{extrapolated}",
            chartlock=m,
            helm=helm_loop,
            requests={"chartlock": req_ours, "helm": req_helm_one * charts},
            helm_sample=sample,
        ),
        row("fleet-seconds", f"lock {charts} charts x {per_chart} deps: seconds", chartlock=m),
    ]


CASES = {"tags": case_tags, "shared": case_shared, "many": case_many, "fleet": case_fleet}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, help="seconds each way (default: per case)")
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--charts", type=int, default=50, help="charts of the shared case")
    parser.add_argument(
        "--many", default="1000,8000", help="the many case's two sizes (default 1000,8000)"
    )
    parser.add_argument("--helm-sample", type=int, default=5, help="0: time helm on every chart")
    parser.add_argument("--chartlock", default="", help="command (default: python -m resolver)")
    parser.add_argument(
        "--venv",
        type=Path,
        metavar="DIR",
        help="time DIR/bin/chartlock: a virtualenv with this checkout pip-installed (not "
        "editable), created if missing; as a user runs chartlock",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also run chartlock once per case under cProfile (DIR/<case>.prof), print hot spots",
    )
    parser.add_argument("--json", action="store_true", help="end with a JSON line for run_all")
    args = parser.parse_args()
    args.many = tuple(int(x) for x in args.many.split(","))
    helm, registry_bin = find_helm(), find_registry()
    if not helm or not registry_bin:
        raise SystemExit("needs helm and docker-registry: bash scripts/install-test-tools.sh")
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="chartlock-scale-bench-") as tmp,
        RegistryServer(registry_bin) as server,
    ):
        bench = Bench(args, helm, server, Path(tmp))
        for name in args.case or list(CASES):
            rows += CASES[name](bench)
    print(f"load average: {load_average()}")
    emit(rows, args.json)


if __name__ == "__main__":
    main()
