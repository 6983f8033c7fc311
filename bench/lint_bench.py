"""Lint throughput on a generated monorepo: 1,000 charts, each with a Chart.yaml of 3-5
dependencies, a Chart.lock, a values.yaml with images and a template.

    python bench/lint_bench.py [--charts N] [--json]

Prints charts/second (median of 3 runs, every rule family, one core). Goal: >= 200.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _chart(root: Path, i: int) -> None:
    from resolver.chart.loader import parse_chart
    from resolver.chart.lockfile import hash_req

    d = root / f"charts/app{i:04d}"
    (d / "templates").mkdir(parents=True)
    n = 3 + i % 3
    deps = "".join(
        f"  - name: dep{j}\n    version: ~1.{j}.0\n"
        f"    repository: oci://ghcr.io/org{i % 7}/charts\n"
        for j in range(n)
    )
    chart_text = f"apiVersion: v2\nname: app{i:04d}\nversion: 1.0.{i}\ndependencies:\n{deps}"
    (d / "Chart.yaml").write_text(chart_text)
    chart = parse_chart(chart_text, d / "Chart.yaml", "Chart.yaml")
    entries = [
        f"- digest: sha256:{hashlib.sha256(f'{i}-{j}'.encode()).hexdigest()}\n  name: dep{j}\n"
        f"  repository: oci://ghcr.io/org{i % 7}/charts\n  version: 1.{j}.3\n"
        for j in range(n)
    ]
    lock_text = "dependencies:\n" + "".join(entries) + 'generated: "2024-01-01T00:00:00Z"\n'
    from resolver.chart.loader import parse_lock

    lock = parse_lock(lock_text + "digest: sha256:" + "0" * 64 + "\n", d / "Chart.lock", "x")
    digest = hash_req(chart.dependencies or [], lock.dependencies or [])
    (d / "Chart.lock").write_text(lock_text.replace("generated", f"digest: {digest}\ngenerated"))
    (d / "values.yaml").write_text(
        "replicaCount: 1\nimage:\n  repository: ghcr.io/org/app\n  tag: 1.2.3\n"
        f"sidecar:\n  image: docker.io/library/nginx:1.25.{i % 10}\n"
        "resources: {}\n"
    )
    (d / "templates/deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        '        - image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="end with a JSON line")
    args = parser.parse_args()
    import resolver
    from resolver.linter.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.charts):
            _chart(root, i)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            report = resolver.lint(["."], Config(), cwd=root)
            times.append(time.perf_counter() - start)
            assert report.charts_checked == args.charts, report.charts_checked
            assert not report.errors, report.errors[:3]
        median = statistics.median(times)
        rules = sorted({f.rule for f in report.findings})
        print(
            f"lint: {args.charts} charts, {report.files_checked} files in {median:.2f} s "
            f"(median of 3) = {args.charts / median:.0f} charts/s; findings: "
            f"{len(report.findings)} ({', '.join(rules)})"
        )
        from bench._oci import emit, row

        emit(
            [
                row(
                    "lint-synthetic",
                    f"lint {args.charts} generated charts (in-process, one core)",
                    chartlock=args.charts / median,
                    unit="charts/s",
                )
            ],
            args.json,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
