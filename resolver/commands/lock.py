"""``chartlock lock``: resolve ranges like Helm and write Chart.lock with digests."""

from __future__ import annotations

import argparse
import json
import sys

from resolver.commands.common import add_format_option, add_registry_options

HELP = "resolve dependencies like helm and write Chart.lock with per-dependency digests"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "charts",
        nargs="*",
        default=["."],
        metavar="CHART_DIR",
        help="chart directories (default: .)",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when a lock would change"
    )
    add_format_option(parser, ("text", "json"))
    add_registry_options(parser)


def client_options(args: argparse.Namespace) -> object:
    from resolver.locking import ClientOptions

    password = None
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    return ClientOptions(
        plain_http=args.plain_http,
        insecure_skip_tls_verify=args.insecure_skip_tls_verify,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        timeout=args.timeout,
        username=args.username,
        password=password,
        repository_config=args.repository_config,
    )


def setup_logging(args: argparse.Namespace) -> None:
    """``-v``: log each request's method, URL (no query string) and status; never headers."""
    if getattr(args, "verbose", False):
        import logging

        logging.basicConfig(level=logging.DEBUG, format="chartlock: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    from resolver.locking import ClientOptions, chart_dirs_from, lock_charts

    setup_logging(args)
    options = client_options(args)
    assert isinstance(options, ClientOptions)
    outcomes = lock_charts(chart_dirs_from(args.charts), options, check_only=args.check)
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
