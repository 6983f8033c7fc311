#!/usr/bin/env python3
"""`chartlock verify` with and without `--provenance`: a 20-dependency chart whose every
dependency was signed by the real helm (`helm package --sign`, a throwaway gpg key) and pushed
with its .prov, through a registry that is 25 ms away each way (a delaying proxy in front of a
real CNCF distribution registry).

The two variants run interleaved (plain, provenance, plain, ...) so that load on the machine
hits both alike. Prints the medians and the overhead (goal: provenance adds <= 50%). Run:

    python bench/provenance_bench.py [--runs 7] [--deps 20] [--delay 0.025] [--json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._latency import LatencyProxy  # noqa: E402
from bench._oci import emit, row  # noqa: E402
from bench.pull_bench import parent_chart, timed  # noqa: E402
from tests.support.registry import Pusher, RegistryServer  # noqa: E402
from tests.support.signing import make_key, package, push_archive  # noqa: E402
from tests.support.tools import find_helm, find_registry  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--deps", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds each way")
    parser.add_argument("--json", action="store_true", help="end with a JSON line")
    args = parser.parse_args()
    helm, registry_bin, gpg = find_helm(), find_registry(), shutil.which("gpg")
    if helm is None or registry_bin is None or gpg is None:
        raise SystemExit("needs helm, docker-registry and gpg: bash scripts/install-test-tools.sh")
    work = Path(tempfile.mkdtemp(prefix="chartlock-prov-bench-"))
    try:
        key = make_key(gpg, work / "key", "Bench Signer", "bench@example.test")
        with RegistryServer(registry_bin) as server:
            pusher = Pusher(helm, server, work / "push")
            digests = {}
            for i in range(args.deps):
                name = f"dep{i:02d}"
                archive = package(pusher, name, "1.0.0", key=key)
                digests[name] = push_archive(pusher, archive, "bench")
            with LatencyProxy(server.host, delay=args.delay) as proxy:
                chart = parent_chart(work / "app", f"oci://{proxy.host}/bench", digests)
                env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
                env["PYTHONPATH"] = str(ROOT)
                # This checkout's chartlock (an installed entry point may be another one).
                chartlock = [sys.executable, "-m", "resolver"]
                plain_cmd = [*chartlock, "verify", str(chart), "--plain-http"]
                prov_cmd = [*plain_cmd, "--provenance", "--keyring", str(key.pubring)]
                timed(prov_cmd, env)  # warm-up (and proof that every signature verifies)
                plain, prov = [], []
                for _ in range(args.runs):
                    plain.append(timed(plain_cmd, env))
                    prov.append(timed(prov_cmd, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b = statistics.median(plain), statistics.median(prov)
    print(
        f"{args.deps} signed OCI dependencies, {args.delay * 1000:.0f} ms each way, "
        f"median of {args.runs} interleaved runs"
    )
    print(f"chartlock verify              : {a * 1000:8.0f} ms")
    print(f"chartlock verify --provenance : {b * 1000:8.0f} ms   +{(b / a - 1) * 100:.0f}%")
    print("runs (ms): plain     ", [round(x * 1000) for x in plain])
    print("           provenance", [round(x * 1000) for x in prov])
    print(f"overhead: {(b / a - 1) * 100:.0f}% (goal <= 50%)")
    # No helm column: helm has no lock verification to compare with; the ratio is the overhead.
    emit(
        [
            row(
                "provenance-overhead",
                f"verify --provenance / verify, {args.deps} deps",
                chartlock=b / a,
                unit="x",
                seconds={"plain": a, "provenance": b},
            )
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
