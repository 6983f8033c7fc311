"""The ``chartlock`` command line: parse arguments, dispatch, turn errors into exit codes.

Exit codes: 0 clean, 1 findings (or a lock that would change), 2 usage or input errors. Errors
are printed as one line (``chartlock: error: ...``), never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from resolver import __version__
from resolver.cli import COMMANDS
from resolver.errors import ChartlockError
from resolver.util import interrupts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` (``$COLUMNS``, else the terminal on stdout, else
    80) without importing :mod:`shutil`, which loads zlib, bz2 and lzma: about 2.5 ms of a cold
    ``chartlock check``. argparse builds a help formatter, and so asks this, for every
    ``add_argument`` call, not only when it prints help."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own formatter, its default width found by :func:`terminal_columns`."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = terminal_columns() - 2  # what argparse subtracts from shutil's answer
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        hint = did_you_mean(message, self)
        sys.stderr.write(f"chartlock: error: {message}{hint}\n")
        raise SystemExit(2)


def did_you_mean(message: str, parser: argparse.ArgumentParser) -> str:
    """``"; did you mean 'lint'?"`` for a mistyped sub-command, choice or flag (argparse in
    Python 3.10/3.11 does not suggest), else ``""``."""
    import difflib
    import re

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if choice is not None:
        word = choice.group(1)
        candidates = [c.strip().strip("'\"") for c in choice.group(2).split(",")]
    else:
        unknown = re.search(r"unrecognized arguments: (.*)$", message)
        if unknown is None:
            return ""
        flags = [w.split("=", 1)[0] for w in unknown.group(1).split() if w.startswith("-")]
        if not flags:
            return ""
        word, candidates = flags[0], _option_strings(parser)
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every long flag of ``parser`` and of the sub-commands it was built with."""
    out: list[str] = []
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            out.extend(s for s in action.option_strings if s.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    return out


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` the one sub-command that was invoked (the
    others' modules are neither imported nor configured: start-up is what ``check`` costs)."""
    parser = _Parser(
        prog="chartlock",
        description="Lock, verify and lint Helm chart dependencies (Helm 4 compatible).",
    )
    parser.add_argument("--version", action="version", version=f"chartlock {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS if only is None else (only,):
        # __import__, not importlib.import_module: importing importlib costs ~0.5 ms.
        __import__(f"resolver.cli.{name}")
        module: Any = sys.modules[f"resolver.cli.{name}"]
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    try:
        parser = build_parser(words[0] if words and words[0] in COMMANDS else None)
        args = parser.parse_args(words)
        # From here on Ctrl-C (and SIGTERM) unwinds: temp files are removed, no lock is
        # half-written (resolver.util.interrupts).
        with interrupts.unwinding():
            code: int = args._run(args)
        return code
    except ChartlockError as exc:
        sys.stderr.write(f"chartlock: error: {exc}\n")
        _json_failure(exc, args)
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(interrupts.MESSAGE + "\n")
        return interrupts.EXIT_CODE
    except BrokenPipeError:
        return 1


# The commands whose JSON output is not a findings report (those carry their errors in the
# report): when they fail before producing it, stdout still holds a JSON document saying why.
_JSON_FAILURE_COMMANDS = ("lock", "pull", "outdated")


def _json_failure(exc: ChartlockError, args: argparse.Namespace | None) -> None:
    """``--format json`` on a run that failed: ``{"errors": [{message, path, line, column}]}``
    on stdout, so that a script reading the JSON sees the failure, not an empty document."""
    if args is None or getattr(args, "format", None) != "json":
        return
    if getattr(args, "command", None) not in _JSON_FAILURE_COMMANDS:
        return
    import json

    from resolver.linter.findings import error_dict

    sys.stdout.write(json.dumps({"errors": [error_dict(exc)]}, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    from resolver.cli import entry

    entry()
