"""``chartlock lock``."""

from __future__ import annotations

import argparse

from resolver.errors import ChartlockError

HELP = "lock (not available yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."])


def run(args: argparse.Namespace) -> int:
    raise ChartlockError("chartlock lock is not implemented yet")
