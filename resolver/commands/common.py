"""Options and output helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import os
import sys

from resolver.findings import Report, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

REPORT_FORMATS = ("text", "json", "sarif", "github")


def add_path_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help=f"{what} (default: .)"
    )


def add_format_option(
    parser: argparse.ArgumentParser, choices: tuple[str, ...] = REPORT_FORMATS
) -> None:
    parser.add_argument(
        "--format",
        choices=choices,
        default="text",
        help="output format (default: text)",
    )


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    """The registry/transport flags every online command takes (Helm's names and meaning)."""
    group = parser.add_argument_group("registry options")
    group.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="seconds per request: connecting, the headers and the whole body (default: 30)",
    )
    group.add_argument(
        "--plain-http", action="store_true", help="use insecure HTTP connections to OCI registries"
    )
    group.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        help="skip TLS certificate checks for OCI registries",
    )
    group.add_argument(
        "--ca-file", metavar="FILE", help="verify registry certificates with this CA bundle"
    )
    group.add_argument("--cert-file", metavar="FILE", help="client certificate for registries")
    group.add_argument("--key-file", metavar="FILE", help="client key for registries")
    group.add_argument("--username", help="registry username (for every registry, like helm)")
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the registry password from standard input",
    )
    group.add_argument(
        "--repository-config",
        metavar="FILE",
        help="Helm repositories.yaml (default: $HELM_REPOSITORY_CONFIG or Helm's)",
    )
    group.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def emit_report(
    report: Report, fmt: str, *, fail_on: Severity = Severity.ERROR, stream: TextIO | None = None
) -> int:
    """Print ``report`` in ``fmt`` and return the exit code (0 clean, 1 failing)."""
    from resolver.reporters import render

    out = stream or sys.stdout
    text = render(report, fmt, color=use_color(out))
    if text:
        out.write(text if text.endswith("\n") else text + "\n")
    for error in report.errors:
        sys.stderr.write(f"chartlock: error: {error}\n")
    if report.errors:
        return 2
    return 1 if report.failed(fail_on) else 0
