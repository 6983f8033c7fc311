#!/usr/bin/env python3
"""Cold `chartlock check` on one chart: median wall time over N runs (goal <= 90 ms).

Compares with `helm dependency list` on the same chart when helm is available. Both run on a
copy of the chart's Chart.yaml and Chart.lock: the fixture's charts/ holds 2-byte placeholder
archives on which helm fails at once ("error unpacking subchart"), which would time helm's error
path instead of its listing (helm lists dependencies without archives as "missing"). Run:

    python bench/check_bench.py [--runs 30] [--chart fixtures/lint/lock/clean] [--json]
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
        result = subprocess.run(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if result.returncode != 0:  # a failing command would be timed as a fast one
            raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr.decode()[-500:]}")
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--chart", default="fixtures/lint/lock/clean")
    parser.add_argument(
        "--chartlock",
        default="",
        help="chartlock executable (default: this checkout's python -m resolver; an installed "
        "`chartlock` may be another checkout's, or a pyenv shim that starts bash first)",
    )
    parser.add_argument("--json", action="store_true", help="end with a JSON line")
    args = parser.parse_args()
    entry = args.chartlock
    cmd = [entry] if entry else [sys.executable, "-m", "resolver"]
    # The installed command imports the installed package; only ``python -m resolver`` needs
    # the source tree on the path.
    env = dict(os.environ) if entry else dict(os.environ, PYTHONPATH=str(ROOT))
    helm = shutil.which("helm") or "/opt/chartlock-tools/bin/helm"
    has_helm = Path(helm).exists()
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as copy:
        chart = str(Path(copy) / Path(args.chart).name)
        Path(chart).mkdir()
        for name in ("Chart.yaml", "Chart.lock"):
            if (ROOT / args.chart / name).is_file():
                shutil.copy(ROOT / args.chart / name, chart)
        henv = dict(env, HELM_CONFIG_HOME=tmp, HELM_CACHE_HOME=tmp, HELM_DATA_HOME=tmp)
        # Interleaved, so both commands see the same machine load.
        for _ in range(args.runs):
            ours += time_runs([*cmd, "check", chart], 1, env)
            if has_helm:
                theirs += time_runs([helm, "dependency", "list", chart], 1, henv)
    print(
        f"chartlock check: median {statistics.median(ours):.1f} ms "
        f"(min {min(ours):.1f}, max {max(ours):.1f}, {args.runs} runs, {' '.join(cmd)})"
    )
    if theirs:
        print(
            f"helm dependency list: median {statistics.median(theirs):.1f} ms "
            f"(min {min(theirs):.1f})"
        )
    sys.path.insert(0, str(ROOT))
    from bench._oci import emit, row

    emit(
        [
            row(
                "check-cold",
                "cold check, one chart",
                chartlock=statistics.median(ours),
                helm=statistics.median(theirs) if theirs else None,
                unit="ms",
            )
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
