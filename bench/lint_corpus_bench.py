"""Lint throughput on REAL data: monorepos of N charts built from the shared research corpus.

Each chart of the monorepo is a real Chart.yaml/Chart.lock pair (``<corpus>/locks``) plus a real
values.yaml (``<corpus>/values``), both taken round-robin, so a 4,000-chart tree repeats the
corpus. The corpus is ``../shared/data/corpus`` when present, else the sample shipped in the
repository (``fixtures/corpus/locks``: 1,226 pairs, ``fixtures/corpus-lint/values``: 40 values
files; see their PROVENANCE.md). Every run is a fresh ``python -m resolver lint`` process (start-up
included, as a user sees it); sizes (and code trees, with several ``--code``) are interleaved and
the median is reported, with the run's peak RSS: the lint process's own plus its largest pool
worker's (measured inside the run, so one run's peak is not hidden by another's).

    python bench/lint_corpus_bench.py [--charts 250,1000,4000] [--runs 3]
        [--code PATH ...] [--corpus DIR | --shipped] [--profile N] [--jobs N]

``--code`` runs another checkout's ``resolver`` (e.g. ``--code /work/main --code .`` compares a
baseline with this tree). ``--profile N`` runs cProfile once on an N-chart tree in-process and
prints the top functions (cumulative and own time). ``--jobs 1`` measures one core (lint uses a
process pool from 200 charts otherwise). Targets (issue 14): >= 200 charts/s on one
core at 1,000 charts (>= 400 with both), rate at 4,000 within 20% of 250, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "corpus"
sys.path.insert(0, str(ROOT))

from bench._oci import emit, row  # noqa: E402


def corpus_sources(
    corpus: Path | None, *, shipped: bool = False
) -> tuple[list[Path], list[Path], str]:
    """Chart directories (with Chart.yaml and Chart.lock) and values files, sorted."""
    if corpus is None and not shipped:
        corpus = SHARED if (SHARED / "locks").is_dir() else None
    if corpus is not None:
        locks, values, where = corpus / "locks", corpus / "values", str(corpus)
    else:
        locks = ROOT / "fixtures" / "corpus" / "locks"
        values = ROOT / "fixtures" / "corpus-lint" / "values"
        where = "shipped sample (fixtures/corpus, fixtures/corpus-lint)"
    pairs = sorted(
        p.parent for p in locks.rglob("Chart.yaml") if (p.parent / "Chart.lock").is_file()
    )
    files = sorted(values.rglob("values.yaml"))
    if not pairs or not files:
        raise SystemExit(f"no corpus under {locks} / {values}")
    return pairs, files, where


def build(root: Path, count: int, pairs: list[Path], values: list[Path]) -> int:
    """Write ``count`` charts under ``root/charts``; returns the bytes written."""
    total = 0
    for i in range(count):
        src = pairs[i % len(pairs)]
        d = root / "charts" / f"c{i:05d}"
        d.mkdir(parents=True)
        for name in ("Chart.yaml", "Chart.lock"):
            data = (src / name).read_bytes()
            (d / name).write_bytes(data)
            total += len(data)
        data = values[i % len(values)].read_bytes()
        (d / "values.yaml").write_bytes(data)
        total += len(data)
    return total


# ``python -m resolver lint ...`` that also reports, on its last stderr line, its own peak RSS
# and the largest of its worker processes' (KB): with a pool, the peak of the run is at most
# their sum (the workers run at the same time as the parent, and each other).
_WRAPPER = """
import os, resource, sys
sys.argv = ["chartlock", *sys.argv[1:]]
from resolver.cli.main import main
try:
    code = main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
sys.stdout.flush()
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"\\nRSS {own} {workers}\\n")
sys.stderr.flush()
os._exit(code or 0)  # as resolver.cli.console does
"""


def run_once(code: Path, tree: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB: the lint process's plus its largest worker's, if any) and
    CPU seconds (user + system, workers included) of one ``python -m resolver lint`` run. On a
    loaded machine the CPU time is the steadier measure of the work; the wall time is what a
    user waits."""
    env = dict(os.environ, PYTHONPATH=str(code))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, "lint", "--format", "json", "."],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"lint failed ({proc.returncode}) in {tree}:\n{err.decode()[:2000]}")
    last = err.decode(errors="replace").rstrip().rpartition("\n")[2].split()
    if len(last) == 3 and last[0] == "RSS":
        rss_mb = (int(last[1]) + int(last[2])) / 1024  # kilobytes on Linux
    else:  # pragma: no cover - the wrapper could not report
        rss_mb = usage.ru_maxrss / 1024
    # Linux folds the workers a run reaped into its rusage: CPU times add up.
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, rss_mb, cpu


def profile(tree: Path, code: Path, top: int = 30) -> None:
    import cProfile
    import pstats

    sys.path.insert(0, str(code))
    import resolver
    from resolver.linter.config import Config

    prof = cProfile.Profile()
    prof.enable()
    report = resolver.lint(["."], Config(), cwd=tree)
    prof.disable()
    print(f"profiled: {report.charts_checked} charts, {report.files_checked} files")
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", default="250,1000,4000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", action="append", type=Path, help="checkout to run (repeatable)")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--shipped", action="store_true", help="use the sample in fixtures/")
    parser.add_argument("--profile", type=int, metavar="N")
    parser.add_argument(
        "--jobs", type=int, help="CHARTLOCK_JOBS for the runs (1: one core, no pool)"
    )
    parser.add_argument("--json", action="store_true", help="end with a JSON line (run_all.py)")
    args = parser.parse_args()
    if args.jobs is not None:
        os.environ["CHARTLOCK_JOBS"] = str(args.jobs)
    codes = [c.resolve() for c in (args.code or [ROOT])]
    pairs, values, where = corpus_sources(args.corpus, shipped=args.shipped)
    print(f"corpus: {where}: {len(pairs)} chart pairs, {len(values)} values files")
    with tempfile.TemporaryDirectory(prefix="lintcorpus-") as tmp:
        if args.profile:
            tree = Path(tmp) / "profile"
            build(tree, args.profile, pairs, values)
            profile(tree, codes[0])
            return 0
        sizes = [int(s) for s in args.charts.split(",")]
        trees = {}
        for n in sizes:
            trees[n] = Path(tmp) / f"n{n}"
            mb = build(trees[n], n, pairs, values) / 1e6
            print(f"built {n} charts ({mb:.1f} MB)")
        results: dict[tuple[Path, int], list[tuple[float, float, float]]] = {}
        for _ in range(args.runs):
            for n in sizes:
                for code in codes:
                    results.setdefault((code, n), []).append(run_once(code, trees[n]))
        load = os.getloadavg()
        print(f"load average after the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        emitted: list[dict[str, object]] = []
        for code in codes:
            print(f"code: {code}")
            rates = {}
            for n in sizes:
                runs = results[(code, n)]
                median = statistics.median(t for t, _, _ in runs)
                cpu = statistics.median(c for _, _, c in runs)
                rates[n] = n / median
                peak = max(r for _, r, _ in runs)
                times = " ".join(f"{t:.2f}" for t, _, _ in runs)
                print(
                    f"  {n:>5} charts: {rates[n]:6.0f} charts/s (median {median:.2f} s of "
                    f"{times}), {n / cpu:6.0f} charts per CPU-second (median {cpu:.2f} s), "
                    f"peak RSS {peak:.0f} MB"
                )
            if len(sizes) > 1:
                ratio = rates[sizes[-1]] / rates[sizes[0]]
                print(f"  rate at {sizes[-1]} / rate at {sizes[0]}: {ratio:.2f}")
            if code == codes[0]:
                emitted = json_rows(sizes, rates, results, code, one_core=args.jobs == 1)
    emit(emitted, args.json)
    return 0


def json_rows(
    sizes: list[int],
    rates: dict[int, float],
    results: dict[tuple[Path, int], list[tuple[float, float, float]]],
    code: Path,
    *,
    one_core: bool,
) -> list[dict[str, object]]:
    """run_all.py's rows (the first checkout's): charts/s per size, peak RSS per size, and the
    rate at the largest size over the rate at the smallest."""
    cores = "one core" if one_core else "both cores"
    suffix = "-one-core" if one_core else ""
    rows = [
        row(
            f"lint-corpus-{n}{suffix}",
            f"lint real corpus, {n} charts, {cores}",
            chartlock=rates[n],
            unit="charts/s",
        )
        for n in sizes
    ]
    if not one_core:
        rows += [
            row(
                f"lint-corpus-rss-{n}",
                f"lint real corpus, {n} charts: peak RSS",
                chartlock=max(r for _, r, _ in results[(code, n)]),
                unit="MB",
            )
            for n in sizes
        ]
        if len(sizes) > 1:
            rows.append(
                row(
                    "lint-corpus-scaling",
                    f"lint real corpus: rate at {sizes[-1]} / rate at {sizes[0]}",
                    chartlock=rates[sizes[-1]] / rates[sizes[0]],
                    unit="x",
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
