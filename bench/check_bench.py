#!/usr/bin/env python3
"""Cold `chartlock check` on one chart: median wall time over N runs (goal <= 90 ms).

Compares with `helm dependency list` on the same chart when helm is available. Run:

    python bench/check_bench.py [--runs 30] [--chart fixtures/lint/lock/clean]
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


def time_runs(cmd: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--chart", default="fixtures/lint/lock/clean")
    args = parser.parse_args()
    entry = shutil.which("chartlock")
    cmd = [entry] if entry else [sys.executable, "-m", "resolver"]
    # The installed command imports the installed package; only ``python -m resolver`` needs
    # the source tree on the path.
    env = dict(os.environ) if entry else dict(os.environ, PYTHONPATH=str(ROOT))
    helm = shutil.which("helm") or "/opt/chartlock-tools/bin/helm"
    has_helm = Path(helm).exists()
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        henv = dict(env, HELM_CONFIG_HOME=tmp, HELM_CACHE_HOME=tmp, HELM_DATA_HOME=tmp)
        # Interleaved, so both commands see the same machine load.
        for _ in range(args.runs):
            ours += time_runs([*cmd, "check", args.chart], 1, env)
            if has_helm:
                theirs += time_runs([helm, "dependency", "list", args.chart], 1, henv)
    print(
        f"chartlock check: median {statistics.median(ours):.1f} ms "
        f"(min {min(ours):.1f}, max {max(ours):.1f}, {args.runs} runs, {' '.join(cmd)})"
    )
    if theirs:
        print(
            f"helm dependency list: median {statistics.median(theirs):.1f} ms "
            f"(min {min(theirs):.1f})"
        )


if __name__ == "__main__":
    main()
