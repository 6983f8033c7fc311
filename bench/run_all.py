#!/usr/bin/env python3
"""Every benchmark against helm on this machine, one table: benchmark, chartlock, helm, ratio,
the issue-14 target, pass/fail.

    python bench/run_all.py                 # everything (about 15-25 minutes on 2 cores)
    python bench/run_all.py --quick         # one run each, helm loops sampled: a few minutes
    python bench/run_all.py --only lock-https --only tags
    python bench/run_all.py --list          # the benchmark names
    python bench/run_all.py --save out.json # every row (with each script's extra numbers)
    python bench/run_all.py --profile DIR   # and cProfile hot spots where a target is about lock

Each benchmark is a script in bench/ run as its own process with ``--json``: it prints its usual
report, then one JSON line ``{"rows": [{"key", "label", "chartlock", "helm", "unit", "ratio",
...}]}`` (bench/_oci.py ``row``/``emit``). ``ratio`` is helm / chartlock, so higher is better for
chartlock; the targets below are keyed by ``key``. A script that is missing (bench/
semver_bench.py is optional) is skipped; one without ``--json`` is run as it is and its last
lines are shown. The cold ``check`` and the 10,000-tag lock, where start-up is most of the
time, run chartlock from a virtualenv made for the invocation, with this checkout installed as
a user installs it (not editable: no ``.pth`` start-up hooks of the machine's interpreter).
Comparisons inside a script are interleaved run by run, so machine load hits both tools alike;
the load average is printed with the table: numbers taken under load are not comparable with
a quiet machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Entry:
    name: str
    script: str
    args: tuple[str, ...]
    quick: tuple[str, ...]
    optional: bool = False  # a helper's script that may not exist on this branch
    venv: bool = False  # gets --venv DIR: a virtualenv created for this run_all invocation


ENTRIES = (
    # A cold start is what an installed chartlock costs: timed from a fresh virtualenv with
    # this checkout pip-installed (not editable: no .pth hooks of this machine's interpreter).
    Entry("check", "check_bench.py", ("--runs", "30"), ("--runs", "10"), venv=True),
    Entry("lint", "lint_bench.py", (), ("--charts", "500")),
    Entry(
        "lint-corpus",
        "lint_corpus_bench.py",
        ("--charts", "250,1000,4000", "--runs", "3"),
        ("--charts", "250,1000", "--runs", "1"),
    ),
    Entry(
        "lint-corpus-one-core",
        "lint_corpus_bench.py",
        ("--charts", "250,1000", "--runs", "3", "--jobs", "1"),
        ("--charts", "1000", "--runs", "1", "--jobs", "1"),
    ),
    Entry("semver", "semver_bench.py", (), ("--repeat", "5"), optional=True),
    Entry("lock", "lock_bench.py", ("--runs", "3"), ("--runs", "1")),
    Entry(
        "lock-proxy",
        "lock_bench.py",
        ("--runs", "3", "--via-proxy"),
        ("--runs", "1", "--via-proxy"),
    ),
    Entry("lock-https", "lock_https_bench.py", ("--runs", "3"), ("--runs", "1")),
    Entry(
        "lock-https-proxy",
        "lock_https_bench.py",
        ("--runs", "3", "--via-proxy"),
        ("--runs", "1", "--via-proxy"),
    ),
    Entry("pull", "pull_bench.py", ("--runs", "5"), ("--runs", "2")),
    Entry("provenance", "provenance_bench.py", ("--runs", "7"), ("--runs", "2")),
    Entry(
        "tags",
        "scale_bench.py",
        ("--case", "tags", "--runs", "9"),
        ("--case", "tags", "--runs", "3"),
        venv=True,  # start-up is most of this one: time chartlock as installed
    ),
    Entry(
        "shared",
        "scale_bench.py",
        ("--case", "shared", "--runs", "3", "--helm-sample", "10"),
        ("--case", "shared", "--runs", "1", "--helm-sample", "3"),
    ),
    Entry(
        "many",
        "scale_bench.py",
        ("--case", "many", "--runs", "2"),
        ("--case", "many", "--runs", "1"),
    ),
    Entry("fix", "fix_bench.py", ("--runs", "3"), ("--runs", "1")),
    Entry(
        "fix-anonymous",
        "fix_bench.py",
        ("--runs", "3", "--auth", "none"),
        ("--runs", "1", "--auth", "none"),
    ),
    Entry(
        "fleet",
        "scale_bench.py",
        ("--case", "fleet", "--runs", "3", "--helm-sample", "10"),
        ("--case", "fleet", "--runs", "1", "--helm-sample", "3"),
    ),
)

Check = Callable[[dict[str, Any]], bool]


def _ratio_at_least(x: float) -> Check:
    return lambda r: r.get("ratio") is not None and r["ratio"] >= x


def _value_at_most(x: float) -> Check:
    return lambda r: r.get("chartlock") is not None and r["chartlock"] <= x


def _value_at_least(x: float) -> Check:
    return lambda r: r.get("chartlock") is not None and r["chartlock"] >= x


# key -> (target as issue 14 states it, check). Rows without a target are informational.
TARGETS: dict[str, tuple[str, Check]] = {
    "check-cold": ("<= 1.0x helm dependency list", _ratio_at_least(1.0)),
    "lint-synthetic": (">= 200 charts/s", _value_at_least(200)),
    "lint-corpus-1000": (">= 400 charts/s (both cores)", _value_at_least(400)),
    "lint-corpus-1000-one-core": (">= 200 charts/s (one core)", _value_at_least(200)),
    "lint-corpus-scaling": ("rate 4000 / rate 250 >= 0.8", _value_at_least(0.8)),
    "lint-corpus-rss-4000": ("peak RSS <= 300 MB", _value_at_most(300)),
    "lock-https-direct": (">= 15x helm", _ratio_at_least(15)),
    "lock-https-proxy": (">= 10x helm (HTTPS_PROXY)", _ratio_at_least(10)),
    "pull-cold": (">= 5x helm", _ratio_at_least(5)),
    "provenance-overhead": ("<= 1.5x verify", _value_at_most(1.5)),
    "tags-10k": (">= 1.5x helm, same pick", _ratio_at_least(1.5)),
    "shared-per-chart": ("<= 50 ms per extra chart", _value_at_most(50)),
    "shared-vs-helm": (">= 5x helm's loop", _ratio_at_least(5)),
    "many-charts": ("<= 1.2x per chart", _value_at_most(1.2)),
    "fleet-vs-helm": (">= 50x helm's loop", _ratio_at_least(50)),
    "fleet-seconds": ("<= 3 s", _value_at_most(3.0)),
    # issue 13 (chartlock fix): 200 images, 25 ms each way, Bearer tokens from a separate realm
    "fix-200": ("<= 2 s (issue 13)", _value_at_most(2.0)),
    "fix-200-heads": ("1 HEAD per image (issue 13)", _value_at_most(1.0)),
    "fix-200-tokens": ("<= 1 token per repository", _value_at_most(1.0)),
    "fix-200-anonymous": ("<= 2 s (issue 13)", _value_at_most(2.0)),
    "fix-200-anonymous-heads": ("1 HEAD per image (issue 13)", _value_at_most(1.0)),
}


def supports_json(script: Path) -> bool:
    return "--json" in script.read_text("utf-8")


def bench_env(bytecode: bool) -> dict[str, str]:
    """The scripts' environment: this checkout first on ``PYTHONPATH``; with ``bytecode``,
    resolver/ compiled once up front and ``PYTHONDONTWRITEBYTECODE`` dropped.

    Why: with that variable set (as on the development VMs) and no ``__pycache__`` in the
    checkout, every chartlock start compiles each resolver module it imports from source,
    ~30-150 ms per run depending on the command and the load, which an installed chartlock
    (wheels ship no bytecode, but pip compiles it at install time) never pays."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if bytecode:
        import compileall

        env.pop("PYTHONDONTWRITEBYTECODE", None)
        compileall.compile_dir(str(ROOT / "resolver"), quiet=1)
    return env


_VENV: list[Path] = []


def _fresh_venv_path() -> Path:
    """Where this invocation's virtualenv goes (the script creates it there on first use):
    a new directory each run_all, so that it always holds this checkout as it is now."""
    if not _VENV:
        import tempfile

        _VENV.append(Path(tempfile.mkdtemp(prefix="chartlock-bench-")) / "venv")
    return _VENV[0]


def run(
    entry: Entry, quick: bool, env: dict[str, str], profile: Path | None = None
) -> tuple[list[dict[str, Any]], str]:
    """(rows, the script's report). A failure is one row with ``error``."""
    script = BENCH / entry.script
    args = list(entry.quick if quick else entry.args)
    if profile is not None and "--profile" in script.read_text("utf-8"):
        args += ["--profile", str(profile / entry.name)]
    if entry.venv:
        args += ["--venv", str(_fresh_venv_path())]
    with_json = supports_json(script)
    cmd = [sys.executable, str(script), *args, *(["--json"] if with_json else [])]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    lines = result.stdout.rstrip("\n").splitlines()
    if result.returncode != 0:
        error = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [{"key": entry.name, "label": entry.name, "error": error}], result.stdout
    if not with_json:
        return [{"key": entry.name, "label": f"{entry.name} (no --json: see above)"}], "\n".join(
            lines[-8:]
        )
    try:
        data = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return [{"key": entry.name, "label": entry.name, "error": "no JSON line"}], result.stdout
    report = "\n".join(lines[:-1])
    return [
        dict(r, bench=entry.name, seconds_total=round(elapsed, 1)) for r in data["rows"]
    ], report


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def table(rows: list[dict[str, Any]]) -> str:
    header = ("benchmark", "chartlock", "helm", "ratio", "target (issue 14)", "result")
    body = []
    for r in rows:
        target, check = TARGETS.get(r["key"], ("-", None))
        if "error" in r:
            verdict = "ERROR: " + r["error"][:60]
        elif check is None:
            verdict = "info"
        else:
            verdict = "pass" if check(r) else "FAIL"
        unit = r.get("unit", "")
        body.append(
            (
                r["label"],
                _num(r.get("chartlock"), unit),
                _num(r.get("helm"), unit),
                "-" if r.get("ratio") is None else f"{r['ratio']:.2f}x",
                target,
                verdict,
            )
        )
    widths = [max(len(str(x[i])) for x in (header, *body)) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([fmt(header), fmt(tuple("-" * w for w in widths)), *map(fmt, body)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, helm loops sampled")
    parser.add_argument("--only", action="append", metavar="NAME", help="repeatable; see --list")
    parser.add_argument("--list", action="store_true", help="print the benchmark names")
    parser.add_argument("--save", type=Path, metavar="FILE", help="write every row as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="the table only")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="scripts that can also run chartlock once under cProfile do (DIR/NAME/*.prof) and "
        "print the hot spots",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE if set: chartlock then compiles its modules from "
        "source at every start (default: compile resolver/ once and drop the variable)",
    )
    args = parser.parse_args()
    available = [e for e in ENTRIES if not e.optional or (BENCH / e.script).is_file()]
    if args.list:
        for e in ENTRIES:
            state = "" if e in available else "  (not on this branch)"
            print(f"{e.name:12} bench/{e.script} {' '.join(e.args)}{state}")
        return 0
    names = {e.name for e in ENTRIES}
    for name in args.only or []:
        if name not in names:
            parser.error(f"unknown benchmark {name!r}; one of: {', '.join(sorted(names))}")
    chosen = [e for e in available if not args.only or e.name in args.only]
    env = bench_env(bytecode=not args.no_bytecode)
    bytecode = "PYTHONDONTWRITEBYTECODE" not in env
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    for entry in chosen:
        print(f"== {entry.name} (bench/{entry.script})", file=sys.stderr, flush=True)
        got, report = run(entry, args.quick, env, args.profile)
        if report and not args.quiet:
            print("\n".join("   " + line for line in report.splitlines()), file=sys.stderr)
        rows += got
    load_after = os.getloadavg()
    print(table(rows))
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, after "
        f"{load_after[0]:.2f} {load_after[1]:.2f} ({os.cpu_count()} CPUs)"
        + (" - quick mode: one run each, helm loops sampled" if args.quick else "")
        + ("" if bytecode else " - no bytecode: every chartlock start compiled resolver/")
    )
    if args.save:
        args.save.write_text(
            json.dumps(
                {"rows": rows, "load": [load_before, load_after], "bytecode": bytecode}, indent=1
            ),
            "utf-8",
        )
    failed = any("error" in r for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
