"""``chartlock verify``: does every locked OCI tag still point at the locked digest?"""

from __future__ import annotations

import argparse

from resolver.cli.common import (
    add_format_option,
    add_registry_options,
    add_report_options,
    emit_report,
    failed_before_report,
)
from resolver.cli.online import (
    add_chart_arguments,
    add_config_option,
    add_keyring_option,
    chart_dirs,
    client_options,
    provenance_args,
    start,
)
from resolver.errors import InputError

HELP = "check against the registries that every locked chart is still what Chart.lock pins"


def configure(parser: argparse.ArgumentParser) -> None:
    add_chart_arguments(parser)
    parser.add_argument(
        "--no-newer",
        action="store_true",
        help="do not list tags to look for newer versions in range (CL504)",
    )
    parser.add_argument(
        "--provenance",
        action="store_true",
        help="also verify every locked chart's provenance (.prov) against --keyring, like "
        "`helm verify` (CL505-CL509); needs `pip install 'chartlock[provenance]'`",
    )
    add_keyring_option(parser)
    add_config_option(parser)
    add_format_option(parser)
    add_report_options(parser)
    add_registry_options(parser)


def run(args: argparse.Namespace) -> int:
    try:
        dirs = chart_dirs(args.charts)
    except InputError as exc:
        return emit_report(failed_before_report(exc, args), args.format, args=args)
    start(args, dirs)
    from resolver.commands.verify import verify_charts

    keyring, require = provenance_args(args, args.provenance)
    signed: list[str] = []
    report = verify_charts(
        dirs,
        client_options(args),
        check_newer=not args.no_newer,
        keyring=keyring,
        require=require,
        signed=signed,
    )
    if args.format == "text":
        for line in sorted(signed):
            print(line)
    return emit_report(report, args.format, args=args)
