"""``chartlock rules``."""

from __future__ import annotations

import argparse

from resolver.errors import ChartlockError

HELP = "rules (not available yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."])


def run(args: argparse.Namespace) -> int:
    raise ChartlockError("chartlock rules is not implemented yet")
