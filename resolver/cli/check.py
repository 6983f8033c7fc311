"""``chartlock check``: offline lock-sync check (never imports httpx)."""

from __future__ import annotations

import argparse

from resolver.cli.common import (
    add_format_option,
    add_path_arguments,
    add_report_options,
    emit_report,
    failed_before_report,
)
from resolver.errors import InputError

HELP = "check that every Chart.lock is in sync with its Chart.yaml (offline)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_path_arguments(parser, "charts or directories to search")
    parser.add_argument(
        "--require-digests",
        action="store_true",
        help="a missing per-dependency digest (CL205) is an error",
    )
    parser.add_argument(
        "--repository-config", metavar="FILE", help="Helm repositories.yaml for @name repositories"
    )
    add_format_option(parser)
    add_report_options(parser)


def run(args: argparse.Namespace) -> int:
    from resolver.commands.check import check

    try:
        report = check(
            args.paths,
            require_digests=args.require_digests,
            repository_config=args.repository_config,
        )
    except InputError as exc:
        report = failed_before_report(exc, args)
    return emit_report(report, args.format, args=args)
