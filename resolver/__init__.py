"""chartlock: Helm-exact dependency locking, verification and linting.

The public API is loaded lazily so that importing :mod:`resolver` stays cheap (offline commands
never import httpx)::

    import resolver
    report = resolver.lint(["charts/"])
    lock = resolver.resolve("charts/app")
"""

from __future__ import annotations

import importlib
import sys


def _leave_now(signum: int, frame: object) -> None:
    """SIGINT/SIGTERM while nothing is being written (start-up, teardown): print the line and
    leave at once, exit 130 (see :mod:`resolver.interrupts`)."""
    import os

    try:
        os.write(2, b"chartlock: interrupted\n")
    finally:
        os._exit(130)


def _guard_start() -> None:
    """Ctrl-C from now on is "chartlock: interrupted": the first thing the ``chartlock``
    command does (:mod:`resolver.console`). Uses the C module ``_signal``, loaded by every
    interpreter at start-up: importing ``signal`` itself takes about a millisecond, a window
    in which Ctrl-C would still print a traceback. Signals ignored by the parent stay so."""
    sig = importlib.import_module("_signal")
    if sig.getsignal(sig.SIGINT) is sig.default_int_handler:
        sig.signal(sig.SIGINT, _leave_now)
    if sig.getsignal(sig.SIGTERM) == sig.SIG_DFL:
        sig.signal(sig.SIGTERM, _leave_now)


def _run_as_module() -> bool:
    """Whether this import is ``python -m resolver`` locating ``resolver.__main__``."""
    argv = list(getattr(sys, "orig_argv", []))[1:]
    while argv:
        word = argv.pop(0)
        if word in ("-m", "-mresolver"):
            return word == "-mresolver" or argv[:1] == ["resolver"]
        if word in ("-X", "-W"):
            argv = argv[1:]  # the option's value
        elif not word.startswith("-") or word == "-c":
            return False
    return False


if sys.argv[:1] == ["-m"] and _run_as_module():
    # ``python -m resolver``: guard the start-up from here, also while runpy still locates and
    # loads resolver.__main__ (resolver.console does the rest).
    _guard_start()


__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "parse_version": "resolver.semver",
    "parse_constraint": "resolver.semver",
    "Version": "resolver.semver",
    "Constraint": "resolver.semver",
    "load_chart": "resolver.loader",
    "load_lock": "resolver.loader",
    "hash_req": "resolver.lockfile",
    "check": "resolver.checking",
    "lint": "resolver.linting",
    "Config": "resolver.config",
    "resolve": "resolver.api",
    "resolve_async": "resolver.api",
    "Finding": "resolver.findings",
    "Report": "resolver.findings",
    "Severity": "resolver.findings",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
