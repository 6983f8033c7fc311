"""``chartlock pull``."""

from __future__ import annotations

import argparse

from resolver.errors import ChartlockError

HELP = "pull (not available yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."])


def run(args: argparse.Namespace) -> int:
    raise ChartlockError("chartlock pull is not implemented yet")
