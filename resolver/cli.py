"""The ``chartlock`` command line: parse arguments, dispatch, turn errors into exit codes.

Exit codes: 0 clean, 1 findings (or a lock that would change), 2 usage or input errors. Errors
are printed as one line (``chartlock: error: ...``), never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from resolver import __version__
from resolver.commands import COMMANDS
from resolver.errors import ChartlockError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"chartlock: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chartlock",
        description="Lock, verify and lint Helm chart dependencies (Helm 4 compatible).",
    )
    parser.add_argument("--version", action="version", version=f"chartlock {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"resolver.commands.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C: temp files are removed, no lock is half-written."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    import signal

    with contextlib.suppress(ValueError):  # not in the main thread (tests calling main())
        signal.signal(signal.SIGTERM, _terminate)
    try:
        code: int = args._run(args)
        return code
    except ChartlockError as exc:
        sys.stderr.write(f"chartlock: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("chartlock: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
