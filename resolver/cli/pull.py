"""``chartlock pull``: download the locked charts into charts/, verified, like helm dep build."""

from __future__ import annotations

import argparse
import json
import sys

from resolver.cli.common import add_format_option, add_registry_options
from resolver.cli.online import (
    add_chart_arguments,
    add_config_option,
    add_keyring_option,
    client_options,
    provenance_args,
    start,
)

HELP = (
    "download every locked dependency into charts/ by digest, verified and cached "
    "(a verified `helm dependency build`)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_chart_arguments(parser)
    parser.add_argument(
        "--verify",
        action="store_true",
        help="verify every archive's provenance (.prov) against --keyring like `helm pull "
        "--verify`; any failure writes nothing (needs `pip install 'chartlock[provenance]'`)",
    )
    add_keyring_option(parser)
    add_config_option(parser)
    add_format_option(parser, ("text", "json"))
    add_registry_options(parser)


def run(args: argparse.Namespace) -> int:
    dirs = start(args)
    from resolver.commands.pull import pull_charts

    keyring, require = provenance_args(args, args.verify)
    result = pull_charts(dirs, client_options(args), keyring=keyring, require=require)
    for warning in result.warnings:
        sys.stderr.write(f"chartlock: warning: {warning}\n")
    if args.format == "json":
        doc = {
            "charts": [
                {
                    "path": c.display,
                    "files": [
                        {
                            "name": f.name,
                            "version": f.version,
                            "path": f"charts/{f.filename}",
                            "digest": f.digest,
                            "manifest_digest": f.manifest_digest or None,
                            "source": f.source,
                            "status": f.status,
                            "signer": f.signer or None,
                        }
                        for f in c.files
                    ],
                    "removed": c.removed,
                    "notes": c.notes,
                }
                for c in result.charts
            ],
            "downloaded": result.downloaded,
            "from_cache": result.from_cache,
            "errors": [],  # a failed run prints {"errors": [...]} (resolver.cli.main)
        }
        print(json.dumps(doc, indent=2))
        return 0
    for chart in result.charts:
        for item in chart.files:
            origin = "cached" if item.source == "cache" else "downloaded"
            print(
                f"{chart.display}: charts/{item.filename} {item.digest} ({origin}, {item.status})"
            )
            if item.signer:
                print(f"{chart.display}: charts/{item.filename}: {item.signer}")
        for removed in chart.removed:
            print(f"{chart.display}: removed stale {removed}")
    total = result.downloaded + result.from_cache
    noun = "chart" if total == 1 else "charts"
    print(f"Pulled {total} {noun} ({result.from_cache} from cache, {result.downloaded} downloaded)")
    return 0
