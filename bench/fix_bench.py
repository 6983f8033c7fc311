#!/usr/bin/env python3
"""`chartlock fix` on 200 distinct images through a proxy adding 25 ms each way (issue 13).

Starts its own docker-registry on 127.0.0.1, pushes N real two-platform images (OCI image
index, manifests, configs, layers: tests/support/images.py), writes a chart whose values.yaml
lists them as ``docker.io/bench/imgNNN:1.0.0``, and runs ``chartlock fix --mirror
docker.io=http://<proxy>`` (the proxy adds ``--delay`` below HTTP in each direction,
tests/support/latency.py). Then the same run with ``--check`` through a counting HTTP proxy:
the number of manifest ``HEAD`` requests must equal the number of distinct images. Run from the
repository root:

    python bench/fix_bench.py [--images 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.images import push_image  # noqa: E402
from tests.support.latency import LatencyProxy  # noqa: E402
from tests.support.proxy import Proxy  # noqa: E402
from tests.support.registry import RegistryServer  # noqa: E402
from tests.support.tools import find_registry  # noqa: E402


def chart(directory: Path, images: int) -> Path:
    directory.mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
    body = "".join(f"  - docker.io/bench/img{i:03d}:1.0.0\n" for i in range(images))
    (directory / "values.yaml").write_text(f"# {images} images\nextraImages:\n{body}")
    return directory


def run(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "resolver", *args], capture_output=True, text=True, check=False
    )
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds added each way")
    args = parser.parse_args()
    registry_bin = find_registry()
    if not registry_bin:
        raise SystemExit("needs docker-registry: bash scripts/install-test-tools.sh")
    work = Path(tempfile.mkdtemp(prefix="chartlock-fix-bench-"))
    try:
        with RegistryServer(registry_bin) as server:
            start = time.perf_counter()
            for i in range(args.images):
                push_image(server.url, f"bench/img{i:03d}", ("1.0.0",), seed=str(i))
            print(f"pushed {args.images} images in {time.perf_counter() - start:.1f} s")
            times = []
            with LatencyProxy(server.host, delay=args.delay) as slow:
                for n in range(args.runs):
                    target = chart(work / f"run{n}", args.images)
                    elapsed, result = run(
                        ["fix", str(target), f"--mirror=docker.io=http://{slow.host}"]
                    )
                    if result.returncode != 0:
                        raise SystemExit(f"fix failed: {result.stderr[-800:]}")
                    assert (target / "values.yaml").read_text().count("@sha256:") == args.images
                    times.append(elapsed)
            with Proxy(server.host) as counter:
                target = chart(work / "count", args.images)
                _, result = run(
                    ["fix", "--check", str(target), f"--mirror=docker.io=http://{counter.host}"]
                )
                heads = sum(1 for method, path in counter.log if method == "HEAD")
                others = len(counter.log) - heads
        print(
            f"images={args.images} round trip added={2 * args.delay * 1000:.0f} ms runs={args.runs}"
        )
        print(
            f"chartlock fix: median {statistics.median(times):.2f} s (runs: "
            + ", ".join(f"{t:.2f}" for t in times)
            + ")"
        )
        print(f"requests: {heads} HEAD manifest (distinct images: {args.images}), {others} other")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
