"""``chartlock outdated``: locked vs newest-in-range vs newest, per dependency."""

from __future__ import annotations

import argparse
import sys

from resolver.cli.common import add_format_option, add_registry_options
from resolver.cli.online import add_chart_arguments, client_options, start

HELP = "show, per dependency, the locked version, the newest its range allows and the newest"


def configure(parser: argparse.ArgumentParser) -> None:
    add_chart_arguments(parser)
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when a lock is behind the newest version its range allows",
    )
    add_format_option(parser, ("text", "json"))
    add_registry_options(parser)


def run(args: argparse.Namespace) -> int:
    dirs = start(args)
    from resolver.commands.outdated import outdated_charts, render_json, render_text

    report = outdated_charts(dirs, client_options(args))
    print(render_json(report) if args.format == "json" else render_text(report))
    for error in report.errors:
        sys.stderr.write(f"chartlock: error: {error}\n")
    if report.failed:
        # Registry failures, and per-dependency errors (shown in the table's output, with
        # their Chart.yaml position): the run did not establish what it reports, --exit-code
        # or not.
        return 2
    behind = any(d.outdated for c in report.charts for d in c.dependencies)
    return 1 if args.exit_code and behind else 0
