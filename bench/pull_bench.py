#!/usr/bin/env python3
"""`chartlock pull` vs `helm dependency build`: a 20-dependency chart through a registry that
is 25 ms away each way (a delaying proxy in front of a real CNCF distribution registry).

Both tools start cold on every run: an empty chartlock cache (``CHARTLOCK_CACHE``), fresh
``HELM_*`` homes, no ``charts/``. A warm chartlock run (cache filled) is timed too. Prints the
medians and the ratio (goal: chartlock cold >= 5x faster). Run:

    python bench/pull_bench.py [--runs 5] [--deps 20] [--delay 0.025] [--json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._latency import LatencyProxy  # noqa: E402
from bench._oci import emit, row  # noqa: E402
from resolver.chart.loader import load_chart  # noqa: E402
from resolver.chart.lockfile import dump_lock, go_rfc3339nano, hash_req  # noqa: E402
from resolver.chart.models import Dependency  # noqa: E402
from tests.support.registry import Pusher, RegistryServer  # noqa: E402
from tests.support.tools import find_helm, find_registry, helm_env  # noqa: E402


def parent_chart(directory: Path, repo: str, digests: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    deps = "".join(
        f"  - name: {name}\n    version: ~1.0.0\n    repository: {repo}\n" for name in digests
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: bench\nversion: 0.1.0\ndependencies:\n{deps}", "utf-8"
    )
    chart = load_chart(directory / "Chart.yaml")
    entries = []
    for name, digest in digests.items():
        entry = Dependency(name=name, repository=repo, version="1.0.0")
        entry.extra["digest"] = digest
        entries.append(entry)
    text = dump_lock(entries, hash_req(chart.dependencies, entries), go_rfc3339nano())
    (directory / "Chart.lock").write_text(text, "utf-8")
    return directory


def timed(cmd: list[str], env: dict[str, str], before: object = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deps", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds each way")
    parser.add_argument("--json", action="store_true", help="end with a JSON line")
    args = parser.parse_args()
    helm, registry_bin = find_helm(), find_registry()
    if helm is None or registry_bin is None:
        raise SystemExit("needs helm and docker-registry: run `bash scripts/install-test-tools.sh`")
    work = Path(tempfile.mkdtemp(prefix="chartlock-pull-bench-"))
    try:
        with RegistryServer(registry_bin) as server:
            pusher = Pusher(helm, server, work / "push")
            names = [f"dep{i:02d}" for i in range(args.deps)]
            digests = {name: pusher.push("bench", name, "1.0.0") for name in names}
            with LatencyProxy(server.host, delay=args.delay) as proxy:
                repo = f"oci://{proxy.host}/bench"
                chart = parent_chart(work / "app", repo, digests)
                base_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
                base_env["PYTHONPATH"] = str(ROOT)
                # This checkout's chartlock (an installed entry point may be another one's).
                chartlock = [sys.executable, "-m", "resolver"]
                cold, warm, helm_times = [], [], []
                for run in range(args.runs):
                    # chartlock, cold cache
                    shutil.rmtree(chart / "charts", ignore_errors=True)
                    env = dict(base_env, CHARTLOCK_CACHE=str(work / f"cache{run}"))
                    cold.append(timed([*chartlock, "pull", str(chart), "--plain-http"], env))
                    # chartlock, warm cache (no blob or manifest request)
                    shutil.rmtree(chart / "charts", ignore_errors=True)
                    warm.append(timed([*chartlock, "pull", str(chart), "--plain-http"], env))
                    # helm, fresh homes
                    shutil.rmtree(chart / "charts", ignore_errors=True)
                    henv = dict(base_env, **helm_env(work / f"helm{run}"))
                    helm_times.append(
                        timed([helm, "dependency", "build", str(chart), "--plain-http"], henv)
                    )
                files = sorted(p.name for p in (chart / "charts").iterdir())
                assert len(files) == args.deps, files
                requests = sum(proxy.counts.values())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, w, h = (statistics.median(x) for x in (cold, warm, helm_times))
    print(
        f"{args.deps} OCI dependencies, {args.delay * 1000:.0f} ms each way, "
        f"median of {args.runs} runs ({requests} proxied requests in total)"
    )
    print(f"helm dependency build      : {h * 1000:8.0f} ms")
    print(f"chartlock pull (cold cache): {c * 1000:8.0f} ms   {h / c:5.1f}x faster")
    print(f"chartlock pull (warm cache): {w * 1000:8.0f} ms   {h / w:5.1f}x faster")
    print("runs (ms): helm", [round(x * 1000) for x in helm_times])
    print("           cold", [round(x * 1000) for x in cold])
    print("           warm", [round(x * 1000) for x in warm])
    print(f"ratio (helm / chartlock cold): {h / c:.1f}x (goal >= 5x)")
    label = f"pull {args.deps} deps, {args.delay * 1000:.0f} ms"
    emit(
        [
            row("pull-cold", f"{label}, cold cache", chartlock=c, helm=h),
            row("pull-warm", f"{label}, warm cache", chartlock=w, helm=h),
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
