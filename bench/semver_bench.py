"""Tag parsing and sorting cost (issue 14: parsing 10,000 tags must cost less than fetching them).

Builds 10,000 realistic OCI tags (plain semver, ``v``-prefixed, two-part, pre-releases, ``_``
build metadata, and non-semver tags such as ``latest`` or ``sha-abc123``), then times what
resolution does with a tag list: ``parse_tag`` on every tag, ``sort_desc`` of the valid ones,
plus loose ``parse_version`` on every tag (the Chart.yaml/lint path). Prints CPU µs per tag,
the best and the median of ``--repeat`` runs.

    python bench/semver_bench.py                    # the worktree's resolver.semver
    python bench/semver_bench.py --module old.py    # another copy, e.g. main's semver.py

``--module`` loads a file as ``resolver.semver`` (it may import resolver.errors and
resolver.util.gosort from the worktree), so the same tags time the old and the new code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_tags(n: int, seed: int = 14) -> list[str]:
    """``n`` tags shaped like real chart and image repositories (deterministic)."""
    rnd = random.Random(seed)
    tags: list[str] = []
    while len(tags) < n:
        major, minor, patch = rnd.randrange(0, 30), rnd.randrange(0, 40), rnd.randrange(0, 60)
        kind = rnd.random()
        if kind < 0.55:
            tags.append(f"{major}.{minor}.{patch}")
        elif kind < 0.65:
            pre = rnd.choice(["rc", "alpha", "beta", "dev"])
            tags.append(f"{major}.{minor}.{patch}-{pre}.{rnd.randrange(1, 12)}")
        elif kind < 0.70:
            tags.append(f"{major}.{minor}.{patch}_build.{rnd.randrange(1, 999)}")
        elif kind < 0.80:
            tags.append(f"v{major}.{minor}.{patch}")
        elif kind < 0.85:
            tags.append(f"{major}.{minor}")
        elif kind < 0.90:
            tags.append(f"sha-{rnd.getrandbits(28):07x}")
        elif kind < 0.93:
            tags.append(rnd.choice(["latest", "stable", "main", "edge", "nightly"]))
        elif kind < 0.96:
            tags.append(f"{major}.{minor}.{patch}-debian-12-r{rnd.randrange(0, 30)}")
        else:
            tags.append(f"pr-{rnd.randrange(1, 5000)}")
    return tags


def load(path: str | None) -> ModuleType:
    if path is None:
        import resolver.semver

        return resolver.semver
    spec = importlib.util.spec_from_file_location("resolver.semver", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["resolver.semver"] = module
    spec.loader.exec_module(module)
    return module


def _time(fn: object, repeat: int) -> tuple[float, float]:
    """(best, median) CPU seconds of ``repeat`` runs: CPU time, not wall time, because the
    machines this runs on are shared and a waiting process is not a slower parser."""
    assert callable(fn)
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        runs.append(time.process_time() - start)
    return min(runs), statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", help="a semver.py to time instead of resolver.semver")
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    semver = load(args.module)
    tags = make_tags(args.tags)
    n = len(tags)

    def tag_parse() -> list[object]:
        return [semver.parse_tag(t) for t in tags]

    def loose_parse() -> None:
        for t in tags:
            with contextlib.suppress(ValueError):
                semver.parse_version(t)

    parsed = [v for v in tag_parse() if v is not None]

    def sort() -> None:
        semver.sort_desc(parsed)

    def parse_and_sort() -> None:
        semver.sort_desc(v for v in (semver.parse_tag(t) for t in tags) if v is not None)

    print(f"{n} tags, {len(parsed)} valid helm tags; {args.repeat} runs; CPU µs per tag")
    print(f"  {'':<24} {'best':>8} {'median':>8}")
    for name, fn in (
        ("parse_tag", tag_parse),
        ("parse_version (loose)", loose_parse),
        ("sort_desc", sort),
        ("parse_tag + sort_desc", parse_and_sort),
    ):
        best, median = _time(fn, args.repeat)
        print(f"  {name:<24} {best / n * 1e6:8.2f} {median / n * 1e6:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
