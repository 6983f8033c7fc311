"""``chartlock lock``: resolve ranges like Helm and write Chart.lock with digests."""

from __future__ import annotations

import argparse
import json

from resolver.commands.common import add_format_option, add_registry_options
from resolver.commands.online import (
    add_chart_arguments,
    chart_dirs,
    client_options,
    preconnect,
    setup_logging,
)

HELP = "resolve dependencies like helm and write Chart.lock with per-dependency digests"


def configure(parser: argparse.ArgumentParser) -> None:
    add_chart_arguments(parser)
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when a lock would change"
    )
    add_format_option(parser, ("text", "json"))
    add_registry_options(parser)


def run(args: argparse.Namespace) -> int:
    dirs = chart_dirs(args.charts)
    preconnect(args, dirs, early_lists=True)
    from resolver.locking import lock_charts

    setup_logging(args)
    outcomes = lock_charts(dirs, client_options(args), check_only=args.check)
    if args.format == "json":
        doc = {
            "charts": [
                {
                    "path": o.display,
                    "status": o.status,
                    "digest": o.digest,
                    "dependencies": [
                        {
                            "name": e.name,
                            "repository": e.repository,
                            "version": e.version,
                            "digest": e.content_digest,
                        }
                        for e in o.entries
                    ],
                }
                for o in outcomes
            ]
        }
        print(json.dumps(doc, indent=2))
    else:
        for o in outcomes:
            count = len(o.entries)
            noun = "dependency" if count == 1 else "dependencies"
            print(f"{o.display}: Chart.lock {o.status} ({count} {noun})")
    return 1 if args.check and any(o.status == "would change" for o in outcomes) else 0
