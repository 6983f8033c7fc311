"""``chartlock check``: is every Chart.lock what ``helm dependency build`` will accept?

Offline and fast: it imports neither httpx nor jsonschema.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from resolver.chart.discovery import display_path, find_charts
from resolver.chart.pair import load_pair
from resolver.chart.repoconfig import repo_urls
from resolver.errors import InputError
from resolver.linter.findings import Report, Severity
from resolver.linter.rules.base import to_finding
from resolver.linter.rules.lock import LOCK_DIGEST_MISSING, check_chart, vendored_archives


def check(
    paths: Sequence[str | Path] = (".",),
    *,
    require_digests: bool = False,
    repository_config: str | Path | None = None,
    cwd: Path | None = None,
) -> Report:
    """Check every chart under ``paths``.

    Charts are found by :func:`resolver.chart.discovery.find_charts` (a vendored subchart is part
    of its umbrella, not a chart): a path that does not exist or holds no chart raises
    :class:`~resolver.errors.InputError`. Charts whose files cannot be read or parsed are
    skipped and their one-line errors collected in ``report.errors`` (the CLI prints them and
    exits 2). ``require_digests`` makes a missing per-dependency digest (CL205) an error.
    """
    base = cwd or Path.cwd()
    chart_dirs = find_charts(paths, cwd=base)
    urls = repo_urls(repository_config)
    report = Report()
    for chart_dir in chart_dirs:
        chart_yaml = chart_dir / "Chart.yaml"
        try:
            chart, lock = load_pair(chart_yaml, display_path(chart_yaml, base))
        except InputError as exc:
            report.errors.append(exc)
            continue
        report.charts_checked += 1
        report.files_checked += 1 if lock is None else 2
        for problem in check_chart(
            chart, lock, repo_urls=urls, vendored=vendored_archives(chart_dir)
        ):
            digest_rule = problem.rule is LOCK_DIGEST_MISSING
            severity = Severity.ERROR if require_digests and digest_rule else None
            report.findings.append(to_finding(problem, chart.display_path, severity))
    report.findings.sort(key=lambda f: f.sort_key())
    return report
