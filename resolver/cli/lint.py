"""``chartlock lint``: run the lint rules over charts and CI files."""

from __future__ import annotations

import argparse
from pathlib import Path

from resolver.cli.common import (
    add_config_option,
    add_format_option,
    add_path_arguments,
    add_registry_options,
    add_report_options,
    emit_report,
    failed_before_report,
)
from resolver.errors import InputError

HELP = "lint charts, values, templates and CI files (offline; --online adds registry rules)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_path_arguments(parser, "files or directories to lint")
    add_format_option(parser)
    add_report_options(parser)
    add_config_option(parser)
    parser.add_argument(
        "--select",
        metavar="IDS",
        help="comma-separated rule ids or prefixes to run, replacing the configured selection "
        "(e.g. CL1,CL303)",
    )
    parser.add_argument(
        "--ignore",
        metavar="IDS",
        help="comma-separated rule ids or prefixes not to run (added to the configured ones)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        help="lowest severity that fails the run with exit code 1 (default: error)",
    )
    parser.add_argument(
        "--online",
        action="store_true",
        help="also ask the registries (CL501-CL504, like `chartlock verify`)",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="pin unpinned images first (`chartlock fix`), then lint (the registry options "
        "apply; with --diff/--check nothing is written)",
    )
    from resolver.cli.fix import add_fix_options

    add_fix_options(parser)
    add_registry_options(parser)


def run(args: argparse.Namespace) -> int:
    from resolver.commands.lint import lint
    from resolver.linter.config import load_config, split_selectors

    config = load_config(Path(args.config) if args.config else None)
    config = config.with_overrides(
        select=split_selectors(args.select) if args.select is not None else None,
        ignore=split_selectors(args.ignore or ""),
        fail_on=args.fail_on,
    )
    result = None
    if args.fix or args.diff or args.check:  # issue 13: `lint --fix`, ruff's convention
        from resolver.cli.fix import apply_fix, could_not_look

        result = apply_fix(args, config)
        if args.diff:
            return 2 if could_not_look(result) else 0
    options = None
    if args.online:
        from resolver.cli.online import client_options, setup_logging

        setup_logging(args)
        options = client_options(args)
    try:
        report = lint(args.paths, config, online=args.online, online_options=options)
    except InputError as exc:
        report = failed_before_report(exc, args)
    if result is not None and args.check:  # nothing written: the findings carry their fixes
        from resolver.cli.fix import with_fixes

        report = with_fixes(report, result)
    code = emit_report(report, args.format, fail_on=config.fail_on, args=args)
    if result is not None:
        from resolver.cli.fix import could_not_look

        if could_not_look(result):
            return 2  # a registry could not be asked: the run could not look
        if args.check and result.changes:
            return max(code, 1)
    return code
