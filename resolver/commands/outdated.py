"""``chartlock outdated``."""

from __future__ import annotations

import argparse

from resolver.errors import ChartlockError

HELP = "outdated (not available yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."])


def run(args: argparse.Namespace) -> int:
    raise ChartlockError("chartlock outdated is not implemented yet")
