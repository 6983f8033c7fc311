#!/usr/bin/env python3
"""Cold `chartlock check` on one chart against `helm dependency list` on the same chart.

Issue 14's goal: at most 1.0x helm. What a user runs is the console script of a normal
(non-editable) install, so measure that: ``--venv DIR`` uses ``DIR/bin/chartlock`` and creates
the virtualenv first when it does not exist (``python -m venv DIR`` and ``pip install`` of this
checkout: chartlock and its dependencies only, no other ``.pth`` hooks). The editable
install's script (next to this interpreter) is measured too when present (``--no-editable``
skips it), and so are the venv interpreter alone (``python -S -c pass``, ``python -c pass``).

Every round runs each command once, in turn (interleaved, so all see the same machine load);
the table gives medians, and the ratio column is the median of the per-round ratios to helm.
The machine's load averages are printed before and after: compare ratios, not absolute times.

    python bench/check_bench.py [--runs 30] [--chart fixtures/example/app] [--venv /tmp/cl-venv]
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
HELM = "/opt/chartlock-tools/bin/helm"


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def make_venv(venv: Path) -> None:
    """A clean virtualenv holding chartlock (a normal install of this checkout) and its deps."""
    print(f"creating {venv} (python -m venv; pip install {ROOT})", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(ROOT)], check=True
    )


def editable_script() -> Path | None:
    """The ``chartlock`` script of this interpreter's install (``pip install -e .``), not a
    pyenv shim (a shell script that would add its own start-up to every run)."""
    script = Path(sys.executable).parent / "chartlock"
    return script if script.is_file() else None


def helm_binary() -> str | None:
    found = shutil.which("helm")
    if found and "shims" not in found:
        return found
    return HELM if Path(HELM).exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--chart", default="fixtures/example/app")
    parser.add_argument(
        "--venv", type=Path, help="virtualenv whose bin/chartlock to time (created if missing)"
    )
    parser.add_argument(
        "--no-editable", action="store_true", help="do not time this interpreter's chartlock"
    )
    args = parser.parse_args()

    env = dict(os.environ)
    commands: dict[str, list[str]] = {}
    if args.venv is not None:
        venv = args.venv.resolve()
        if not (venv / "bin" / "chartlock").exists():
            make_venv(venv)
        vpy = str(venv / "bin" / "python")
        commands["venv: python -S -c pass"] = [vpy, "-S", "-c", "pass"]
        commands["venv: python -c pass"] = [vpy, "-c", "pass"]
        commands["venv: chartlock check"] = [str(venv / "bin" / "chartlock"), "check", args.chart]
    editable = None if args.no_editable else editable_script()
    if editable is not None:
        commands["editable: chartlock check"] = [str(editable), "check", args.chart]
    if not commands:
        # Neither: the source tree as a module (what the old version of this script timed).
        env["PYTHONPATH"] = str(ROOT)
        commands["python -m resolver check"] = [
            sys.executable,
            "-m",
            "resolver",
            "check",
            args.chart,
        ]
    helm = helm_binary()

    times: dict[str, list[float]] = {name: [] for name in commands}
    helm_times: list[float] = []
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        henv = dict(env, HELM_CONFIG_HOME=tmp, HELM_CACHE_HOME=tmp, HELM_DATA_HOME=tmp)
        for _ in range(args.runs):
            if helm is not None:
                helm_times.append(run_once([helm, "dependency", "list", args.chart], henv))
            for name, cmd in commands.items():
                times[name].append(run_once(cmd, env))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"chart {args.chart}, {args.runs} interleaved rounds, Python {sys.version.split()[0]}")
    print(f"{'command':32} {'median ms':>10} {'min ms':>8} {'÷ helm':>8}")
    rows = [("helm dependency list", helm_times)] if helm_times else []
    rows += list(times.items())
    for name, values in rows:
        ratio = ""
        if helm_times and values is not helm_times:
            ratio = (
                f"{statistics.median(v / h for v, h in zip(values, helm_times, strict=True)):.2f}x"
            )
        print(f"{name:32} {statistics.median(values):10.1f} {min(values):8.1f} {ratio:>8}")


if __name__ == "__main__":
    main()
