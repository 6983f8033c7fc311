"""Ctrl-C (SIGINT) and SIGTERM: "chartlock: interrupted", exit 130, whenever they arrive.

A run has three stretches, and a signal is handled as fits each:

* **start-up** (imports, argument parsing) and **teardown** (flushing output, leaving): nothing
  is being written, so :func:`exit_interrupted` prints the line and leaves at once. A
  ``KeyboardInterrupt`` raised there could surface anywhere, even inside an import, as a
  traceback.
* **work** (:func:`unwinding`): SIGINT raises ``KeyboardInterrupt`` as Python does by default
  (``asyncio.run`` turns it into a cancellation of its main task, which cancels and awaits every
  request, see :mod:`resolver.util.aio`), SIGTERM does the same as SIGINT; the stack unwinds, temp
  files are removed, and :func:`resolver.cli.main.main` prints the line.
* **writes** (:func:`deferred`): a signal that arrives while files are being replaced is held
  until they are, so a run never stops between two renames; a second signal is not held.

Signals the process was started with ignored (``nohup``, ``cmd &`` in a script) stay ignored.
This module imports nothing but ``os`` and ``signal``: it is loaded before everything else.
"""

from __future__ import annotations

import contextlib
import signal

from resolver import _leave_now

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None

MESSAGE = "chartlock: interrupted"
EXIT_CODE = 130  # 128 + SIGINT, what shells report for a command ended by Ctrl-C

_console = False  # set by :func:`install_exit_handlers`: the process is the chartlock command


# Print the line and leave now, without unwinding (nothing is being written). Defined in the
# package's ``__init__`` so that the console script can install it before importing anything.
exit_interrupted = _leave_now


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM does what SIGINT would do at this moment (unwind, or cancel asyncio's main
    task, or leave at once)."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def install_exit_handlers() -> None:
    """The console script's first act: SIGINT and SIGTERM leave at once (start-up)."""
    global _console
    _console = True
    _set(signal.SIGINT, exit_interrupted, only_if=(signal.default_int_handler,))
    _set(signal.SIGTERM, exit_interrupted, only_if=(signal.SIG_DFL,))


@contextlib.contextmanager
def unwinding() -> Iterator[None]:
    """The command's work: SIGINT raises ``KeyboardInterrupt`` (and SIGTERM does the same as
    SIGINT). Afterwards, the console script's handlers are back (teardown); code calling
    :func:`resolver.cli.main.main` itself gets its own handlers back."""
    if _console:
        old_int = _set(signal.SIGINT, signal.default_int_handler, only_if=(exit_interrupted,))
    else:
        old_int = None
    old_term = _set(signal.SIGTERM, _terminate, only_if=(signal.SIG_DFL, exit_interrupted))
    try:
        yield
    finally:
        if old_term is not None:
            _set(signal.SIGTERM, old_term)
        if old_int is not None:
            _set(signal.SIGINT, old_int)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while the block runs (files being replaced), then handle them as
    the handlers in place would have. A second signal is handled at once (a user who insists).

    Python runs signal handlers in the main thread only; elsewhere this does nothing.
    """
    caught: list[tuple[int, FrameType | None]] = []
    previous: dict[int, Handler] = {}

    def hold(signum: int, frame: FrameType | None) -> None:
        if caught:
            _deliver(previous.get(signum), signum, frame)
            return
        caught.append((signum, frame))

    for number in (signal.SIGINT, signal.SIGTERM):
        if callable(_get(number)):
            old = _set(number, hold)
            if old is not None:
                previous[number] = old
    try:
        yield
    finally:
        for held, handler in previous.items():
            _set(held, handler)
        if caught:
            first, frame = caught[0]
            _deliver(previous.get(first), first, frame)


def _deliver(handler: Handler, signum: int, frame: FrameType | None) -> None:
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:
        raise KeyboardInterrupt


def _get(signum: int) -> Handler:
    try:
        return signal.getsignal(signum)
    except ValueError:  # pragma: no cover - not a signal on this platform
        return None


def _set(signum: int, handler: Handler, *, only_if: tuple[object, ...] | None = None) -> Handler:
    """Install ``handler``; returns the previous one, or ``None`` when nothing was changed
    (``only_if`` did not match, or not the main thread)."""
    current = _get(signum)
    if only_if is not None and not any(current is h or current == h for h in only_if):
        return None
    try:
        signal.signal(signum, handler)
    except (ValueError, OSError):  # not the main thread, or not settable here
        return None
    return current


__all__ = [
    "EXIT_CODE",
    "MESSAGE",
    "deferred",
    "exit_interrupted",
    "install_exit_handlers",
    "unwinding",
]
