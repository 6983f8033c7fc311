"""The ``chartlock`` console script and ``python -m resolver``: Ctrl-C at any moment, even
while the rest of chartlock is still being imported, ends with "chartlock: interrupted" and
exit code 130, never a traceback (see :mod:`resolver.util.interrupts`).

This module must stay tiny: it runs before the imports it guards. Its first act installs the
handler (``resolver._guard_start``); its only import is :mod:`resolver.util.interrupts` (``os`` and
``signal``). What cannot be guarded: a signal that arrives while the interpreter itself
starts, before any line of chartlock runs: Python's initialisation, ``site`` and the ``.pth``
hooks of installed packages (from 10 ms to 100 ms and more on a loaded machine with editable
installs), pip's script's ``import re, sys``, and the loading of ``resolver/__init__.py`` up to
its own guard (it installs the handler when the script is named ``chartlock``). Python itself
prints ``KeyboardInterrupt`` there (or dies of the signal before its own handler is in place,
which shells report as 130 too).
"""

from __future__ import annotations

from resolver import _guard_start

_guard_start()  # first: before any other import of ours

from resolver.util import interrupts  # noqa: E402

interrupts.install_exit_handlers()


def main() -> None:
    """Run the command line, then leave without tearing the interpreter down (tens of
    milliseconds for the modules an online command loads).

    Safe because everything is finished by then: locks and archives are written, closed and
    fsynced, the event loop and its threads are shut down, logging flushes every record. Only
    the output streams remain, flushed below.
    """
    import os
    import sys

    interrupts.install_exit_handlers()  # again: a caller may have imported us earlier
    try:
        from resolver.cli.main import main as run

        code = run()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = _exit_code(exc.code)
    except KeyboardInterrupt:  # a belt to the braces in cli.main
        sys.stderr.write(interrupts.MESSAGE + "\n")
        code = interrupts.EXIT_CODE
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or 1
    except OSError:
        code = code or 1
    os._exit(code)


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    import sys

    sys.stderr.write(f"{value}\n")
    return 1


if __name__ == "__main__":  # pragma: no cover
    main()
