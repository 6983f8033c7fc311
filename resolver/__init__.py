"""chartlock: Helm-exact dependency locking, verification and linting, as a library.

Offline (no network, no heavy imports)::

    import resolver

    report = resolver.lint(["charts/"])                      # a Report of Findings
    report = resolver.check(["charts/app"])                  # Chart.lock in sync? (CL2xx)
    for finding in report.sorted():
        print(finding.path, finding.line, finding.severity, finding.message)
    failed = report.failed(resolver.Severity.WARNING)

Online (asks the registries, writes nothing)::

    lock = resolver.resolve("charts/app", plain_http=True)  # what `chartlock lock` would write
    for dep in lock.dependencies:
        print(dep.name, dep.version, dep.digest)

API: :func:`lint`, :func:`check`, :func:`fix`, :func:`resolve`, :func:`resolve_async`,
:class:`Config`, :class:`ClientOptions`, :class:`Report`, :class:`Finding`, :class:`Severity`,
:class:`ResolvedLock`, :class:`ResolvedDependency`, :class:`ChartlockError` (every error the
library raises on bad input), and the semver helpers :func:`parse_version`,
:func:`parse_constraint` (:class:`Version`, :class:`Constraint`, Helm's Masterminds v3 rules).

The names are loaded on first use so that ``import resolver`` stays cheap (the offline
commands never import httpx); type checkers see them through the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import sys


def _import(name: str) -> object:
    """``importlib.import_module(name)`` for an absolute name, without importing
    :mod:`importlib` (with :mod:`warnings`, ~0.5 ms of a cold ``chartlock check``)."""
    __import__(name)
    return sys.modules[name]


def _leave_now(signum: int, frame: object) -> None:
    """SIGINT/SIGTERM while nothing is being written (start-up, teardown): print the line and
    leave at once, exit 130 (see :mod:`resolver.util.interrupts`)."""
    import os

    try:
        os.write(2, b"chartlock: interrupted\n")
    finally:
        os._exit(130)


def _guard_start() -> None:
    """Ctrl-C from now on is "chartlock: interrupted": the first thing the ``chartlock``
    command does (:mod:`resolver.cli.console`). Uses the C module ``_signal``, loaded by every
    interpreter at start-up: importing ``signal`` itself takes about a millisecond, a window
    in which Ctrl-C would still print a traceback. Signals ignored by the parent stay so."""
    sig: Any = _import("_signal")
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
    # loads resolver.__main__ (resolver.cli.console does the rest).
    _guard_start()
elif sys.argv[:1] and sys.argv[0].replace("\\", "/").rpartition("/")[2] in (
    "chartlock",
    "chartlock-script.py",
    "chartlock.exe",
):
    # pip's ``chartlock`` script imports resolver.cli.console through this package: guard from
    # here rather than from resolver.cli.console, after the rest of this module has loaded.
    _guard_start()


__version__ = "0.1.0"

TYPE_CHECKING = False  # typing is not imported at run time; mypy treats this name as true
if TYPE_CHECKING:
    # Explicit ``as`` re-exports: ``mypy --strict`` on a user's script sees the real types.
    from typing import Any

    from resolver.api import ResolvedDependency as ResolvedDependency
    from resolver.api import ResolvedLock as ResolvedLock
    from resolver.api import resolve as resolve
    from resolver.api import resolve_async as resolve_async
    from resolver.autofix.run import fix as fix
    from resolver.chart.loader import load_chart as load_chart
    from resolver.chart.loader import load_lock as load_lock
    from resolver.chart.lockfile import hash_req as hash_req
    from resolver.commands.check import check as check
    from resolver.commands.lint import lint as lint
    from resolver.errors import ChartlockError as ChartlockError
    from resolver.linter.config import Config as Config
    from resolver.linter.findings import Finding as Finding
    from resolver.linter.findings import Report as Report
    from resolver.linter.findings import Severity as Severity
    from resolver.registry.options import ClientOptions as ClientOptions
    from resolver.semver import Constraint as Constraint
    from resolver.semver import Version as Version
    from resolver.semver import parse_constraint as parse_constraint
    from resolver.semver import parse_version as parse_version

# Public name -> the module defining it. No module of this package is named like a public
# name: importing a submodule sets it as an attribute of the package, which would replace the
# function (``resolver.resolve`` once was a module too).
_LAZY: dict[str, str] = {
    "ChartlockError": "resolver.errors",
    "ClientOptions": "resolver.registry.options",
    "Config": "resolver.linter.config",
    "Constraint": "resolver.semver",
    "Finding": "resolver.linter.findings",
    "Report": "resolver.linter.findings",
    "ResolvedDependency": "resolver.api",
    "ResolvedLock": "resolver.api",
    "Severity": "resolver.linter.findings",
    "Version": "resolver.semver",
    "check": "resolver.commands.check",
    "fix": "resolver.autofix.run",
    "hash_req": "resolver.chart.lockfile",
    "lint": "resolver.commands.lint",
    "load_chart": "resolver.chart.loader",
    "load_lock": "resolver.chart.loader",
    "parse_constraint": "resolver.semver",
    "parse_version": "resolver.semver",
    "resolve": "resolver.api",
    "resolve_async": "resolver.api",
}

__all__ = [
    "ChartlockError",
    "ClientOptions",
    "Config",
    "Constraint",
    "Finding",
    "Report",
    "ResolvedDependency",
    "ResolvedLock",
    "Severity",
    "Version",
    "__version__",
    "check",
    "fix",
    "hash_req",
    "lint",
    "load_chart",
    "load_lock",
    "parse_constraint",
    "parse_version",
    "resolve",
    "resolve_async",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    value = getattr(_import(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API (for ``dir()``, completion and ``help(resolver)``), and the module's own
    dunder names."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
