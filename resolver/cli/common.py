"""Options and output helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import os
import sys

from resolver.errors import InputError
from resolver.linter.findings import Report, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

REPORT_FORMATS = ("text", "json", "sarif", "github", "markdown", "gitlab")


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


def positive_seconds(text: str) -> float:
    """``--timeout``: a number of seconds greater than 0 (0 would fail every request at once;
    helm's own --timeout is a duration, but chartlock's is per request)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds greater than 0, not {text!r}"
        )
    return value


def _report_file(text: str) -> tuple[str, str]:
    fmt, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected FORMAT=FILE, got {text!r}")
    if fmt not in REPORT_FORMATS:
        raise argparse.ArgumentTypeError(
            f"unknown format {fmt!r} (choose from {', '.join(REPORT_FORMATS)})"
        )
    return fmt, path


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """``--report-file`` and the baseline flags of the commands that produce findings."""
    parser.add_argument(
        "--report-file",
        action="append",
        type=_report_file,
        default=[],
        metavar="FORMAT=FILE",
        help="also write the report in FORMAT to FILE (repeatable; e.g. sarif=chartlock.sarif)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--baseline",
        metavar="FILE",
        help="report only findings that are not in this baseline (see --write-baseline)",
    )
    group.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record the current findings in FILE and exit 0 (unless the run failed)",
    )


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    """The registry/transport flags every online command takes (Helm's names and meaning)."""
    group = parser.add_argument_group("registry options")
    group.add_argument(
        "--timeout",
        type=positive_seconds,
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
    group.add_argument(
        "--mirror",
        action="append",
        type=_mirror,
        default=[],
        metavar="HOST=URL",
        help="send requests for registry HOST to the mirror URL (repeatable; e.g. "
        "docker.io=http://127.0.0.1:5000; overrides the config's `mirrors:`)",
    )
    group.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")


def _mirror(text: str) -> tuple[str, str]:
    """``--mirror HOST=URL`` (:mod:`resolver.registry.mirrors`)."""
    from resolver.registry.mirrors import parse_mirror

    try:
        return parse_mirror(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _write_file(path: str, data: bytes) -> None:
    """Write ``path`` whole or not at all; a failure is one ``chartlock: error:`` line."""
    from pathlib import Path

    from resolver.errors import WriteError
    from resolver.util.atomic import atomic_write

    try:
        atomic_write(Path(path), data)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _baselined(report: Report, args: argparse.Namespace | None) -> Report:
    """Apply ``--write-baseline``/``--baseline`` from ``args`` (if any) to ``report``."""
    write_to = getattr(args, "write_baseline", None)
    read_from = getattr(args, "baseline", None)
    if not write_to and not read_from:
        return report
    from collections import Counter
    from pathlib import Path

    from resolver.linter.baseline import apply_baseline, dump_baseline, load_baseline

    if write_to:
        if report.errors:
            # A failed run saw only part of the repository: recording it would hide nothing
            # now and report everything it missed as new later.
            sys.stderr.write(f"chartlock: not writing {write_to}: the run failed\n")
            return report
        _write_file(write_to, dump_baseline(report.findings))
        counts = Counter(f.fingerprint for f in report.findings)
        sys.stderr.write(
            f"chartlock: wrote {len(report.findings)} findings to the baseline {write_to}\n"
        )
        return apply_baseline(report, counts, write_to)
    assert read_from is not None
    filtered = apply_baseline(report, load_baseline(Path(read_from)), read_from)
    summary = filtered.baseline
    assert summary is not None
    noun = "finding" if summary.matched == 1 else "findings"
    note = f"chartlock: {summary.matched} {noun} in the baseline {read_from} not shown"
    if summary.fixed:
        note += (
            f"; {summary.fixed} fixed since the baseline (tighten it: --write-baseline {read_from})"
        )
    sys.stderr.write(note + "\n")
    return filtered


def _write_report_files(report: Report, args: argparse.Namespace | None) -> None:
    from resolver.linter.reporters import render

    for fmt, path in getattr(args, "report_file", None) or ():
        text = render(report, fmt, color=False)
        _write_file(path, (text + "\n").encode("utf-8") if text else b"")


def failed_before_report(error: InputError, args: argparse.Namespace) -> Report:
    """A run that could not even start looking (a mistyped path, a folder without a chart).

    In text it stays what it is: one line on stderr, exit 2 (``error`` is raised again). In the
    machine formats, and whenever a report file or a baseline was asked for, it becomes a report
    whose only content is the error, so that JSON, SARIF (``executionSuccessful: false``),
    GitHub, Markdown and GitLab output say the run failed instead of being empty.
    """
    wants_report = (
        getattr(args, "format", "text") != "text"
        or getattr(args, "report_file", None)
        or getattr(args, "baseline", None)
        or getattr(args, "write_baseline", None)
    )
    if not wants_report:
        raise error
    return Report(errors=[error])


def emit_report(
    report: Report,
    fmt: str,
    *,
    fail_on: Severity = Severity.ERROR,
    stream: TextIO | None = None,
    args: argparse.Namespace | None = None,
) -> int:
    """Print ``report`` in ``fmt`` and return the exit code (0 clean, 1 failing, 2 errors).

    ``args`` carries the options of :func:`add_report_options`: the baseline is applied first,
    then every ``--report-file`` is written (also when the run failed, so that CI can show
    what it has), then the report is printed.
    """
    from resolver.linter.reporters import render

    report = _baselined(report, args)
    _write_report_files(report, args)
    out = stream or sys.stdout
    text = render(report, fmt, color=use_color(out))
    if text:
        out.write(text if text.endswith("\n") else text + "\n")
    for error in report.errors:
        sys.stderr.write(f"chartlock: error: {error}\n")
    if report.errors:
        return 2
    return 1 if report.failed(fail_on) else 0


def add_config_option(parser: argparse.ArgumentParser, purpose: str = "") -> None:
    """``--config FILE``; ``purpose`` says what the command reads from it."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: the nearest .chartlock.yaml or pyproject.toml "
        f"with [tool.chartlock], searching upwards){purpose}",
    )
