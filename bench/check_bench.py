#!/usr/bin/env python3
"""Cold `chartlock check` on one chart against `helm dependency list` on the same chart.

Issue 14's goal: at most 1.0x helm. What a user runs is the console script of a normal
(non-editable) install, so measure that: ``--venv DIR`` uses ``DIR/bin/chartlock`` and creates
the virtualenv first when it does not exist (``python -m venv DIR`` and ``pip install`` of this
checkout: chartlock and its dependencies only, no other ``.pth`` hooks). ``--editable-venv DIR``
does the same with ``pip install -e`` (a developer's setup: the editable finder's ``.pth`` hook
runs at every start). Both may be repeated (e.g. a venv of another commit, to compare). The
venvs' interpreters alone (``python -S -c pass``, ``python -c pass``) are timed too, and
``python -m resolver`` with this interpreter on this checkout (``--no-module`` skips it).

Both tools run on a copy of the chart's Chart.yaml and Chart.lock only: a chart's charts/ may
hold archives (the example's are 2-byte placeholders, on which helm fails at once with "error
unpacking subchart": that would time helm's error path). A command that fails stops the
benchmark (a failing command would be timed as a fast one). ``--json`` ends with one JSON line
for ``bench/run_all.py`` (the first chartlock command's median, usually the venv script).

Every round runs each command once, in turn (interleaved, so all see the same machine load);
the table gives medians, and the ratio column is the median of the per-round ratios to helm.
The machine's load averages are printed before and after: compare ratios, not absolute times.

    python bench/check_bench.py [--runs 30] [--chart fixtures/example/app] \
        [--venv /tmp/cl-venv] [--editable-venv /tmp/cl-venv-e]
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
    result = subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr.decode()[-500:]}")
    return elapsed


def make_venv(venv: Path, *, editable: bool) -> None:
    """A clean virtualenv holding chartlock (this checkout) and its dependencies only."""
    how = ["-e", str(ROOT)] if editable else [str(ROOT)]
    print(f"creating {venv} (python -m venv; pip install {' '.join(how)})", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *how], check=True)


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
        "--venv",
        type=Path,
        action="append",
        default=[],
        help="virtualenv whose bin/chartlock to time (created, non-editable, if missing)",
    )
    parser.add_argument(
        "--editable-venv",
        type=Path,
        action="append",
        default=[],
        help="the same, created with pip install -e if missing",
    )
    parser.add_argument(
        "--no-module", action="store_true", help="do not time python -m resolver on this checkout"
    )
    parser.add_argument("--json", action="store_true", help="end with a JSON line (run_all.py)")
    args = parser.parse_args()
    copy_dir = tempfile.TemporaryDirectory()
    chart = str(Path(copy_dir.name) / Path(args.chart).name)
    Path(chart).mkdir()
    for name in ("Chart.yaml", "Chart.lock"):
        if (ROOT / args.chart / name).is_file():
            shutil.copy(ROOT / args.chart / name, chart)

    # A user's Python caches bytecode; with PYTHONDONTWRITEBYTECODE set (as in some CI and
    # sandbox shells) every run of a source tree or an editable install would compile every
    # module again, ~20 ms here, which no user pays. The warm-up round below writes the caches.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {}
    venvs = [(v, False) for v in args.venv] + [(v, True) for v in args.editable_venv]
    for given, editable in venvs:
        venv = given.resolve()
        if not (venv / "bin" / "chartlock").exists():
            make_venv(venv, editable=editable)
        vpy = str(venv / "bin" / "python")
        label = f"{venv.name}{' (-e)' if editable else ''}"
        commands[f"{label}: python -S -c pass"] = ([vpy, "-S", "-c", "pass"], env)
        commands[f"{label}: python -c pass"] = ([vpy, "-c", "pass"], env)
        script = str(venv / "bin" / "chartlock")
        commands[f"{label}: chartlock check"] = ([script, "check", chart], env)
    if not args.no_module:
        # This interpreter (its site-packages and .pth hooks) on the source tree.
        menv = dict(env, PYTHONPATH=str(ROOT))
        cmd = [sys.executable, "-m", "resolver", "check", chart]
        commands["python -m resolver check"] = (cmd, menv)
    helm = helm_binary()

    times: dict[str, list[float]] = {name: [] for name in commands}
    helm_times: list[float] = []
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        henv = dict(env, HELM_CONFIG_HOME=tmp, HELM_CACHE_HOME=tmp, HELM_DATA_HOME=tmp)
        for cmd, cmd_env in commands.values():  # warm-up (bytecode caches), not timed
            run_once(cmd, cmd_env)
        for _ in range(args.runs):
            if helm is not None:
                helm_times.append(run_once([helm, "dependency", "list", chart], henv))
            for name, (cmd, cmd_env) in commands.items():
                times[name].append(run_once(cmd, cmd_env))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"chart {args.chart}, {args.runs} interleaved rounds, Python {sys.version.split()[0]}")
    width = max(len(name) for name in ["helm dependency list", *times])
    print(f"{'command':{width}} {'median ms':>10} {'min ms':>8} {'÷ helm':>8}")
    rows = [("helm dependency list", helm_times)] if helm_times else []
    rows += list(times.items())
    for name, values in rows:
        ratio = ""
        if helm_times and values is not helm_times:
            ratio = (
                f"{statistics.median(v / h for v, h in zip(values, helm_times, strict=True)):.2f}x"
            )
        print(f"{name:{width}} {statistics.median(values):10.1f} {min(values):8.1f} {ratio:>8}")
    copy_dir.cleanup()
    sys.path.insert(0, str(ROOT))
    from bench._oci import emit, row

    ours = next((v for name, v in times.items() if "chartlock check" in name), None)
    ours = ours or next(iter(times.values()), [])
    emit(
        [
            row(
                "check-cold",
                "cold check, one chart",
                chartlock=statistics.median(ours),
                helm=statistics.median(helm_times) if helm_times else None,
                unit="ms",
            )
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
