"""Structured concurrency for the online commands: every task is awaited, every exception
consumed, and the first real error is raised once.

``asyncio.gather`` without ``return_exceptions`` returns at the first failure and leaves its
siblings running; when ``asyncio.run`` then shuts down, each sibling that fails afterwards is
logged as "unhandled exception during asyncio.run() shutdown" with a traceback (a 429 storm did
that in about half the runs). :func:`gather` cancels the siblings and waits for them instead,
and :func:`cancel_and_wait` is how every owner of background tasks (memo tables, early digest
requests) closes them before its coroutine returns, whether it returns, fails or is cancelled
by Ctrl-C (``asyncio.run`` cancels the main task on SIGINT, then raises ``KeyboardInterrupt``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


async def gather(*aws: Awaitable[T]) -> list[T]:
    """Run ``aws`` concurrently and return their results in order.

    On the first failure the others are cancelled and awaited, then that failure is raised
    (when several fail together, the earliest in argument order). When this coroutine is
    cancelled, so are they, and they are awaited before the cancellation goes on.
    """
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        await cancel_and_wait(tasks)
        raise
    failed = next((t for t in tasks if t.done() and _failure(t) is not None), None)
    if failed is not None:
        await cancel_and_wait(tasks)
        error = _failure(failed)
        assert error is not None
        raise error
    if any(not t.done() for t in tasks):  # pragma: no cover - wait() returned early
        await cancel_and_wait(tasks)
        raise asyncio.CancelledError
    return [t.result() for t in tasks]


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel every task that is not done, wait until all are, and mark every exception as
    retrieved (no "Task exception was never retrieved" later).

    A cancellation of the caller while it waits (a second Ctrl-C) does not cut the wait short:
    the tasks are already cancelled and end promptly; the cancellation is raised afterwards.
    """
    items = list(tasks)
    for task in items:
        if not task.done():
            task.cancel()
    interrupted = False
    while True:
        pending = [t for t in items if not t.done()]
        if not pending:
            break
        try:
            await asyncio.wait(pending)
        except asyncio.CancelledError:
            interrupted = True
            for task in pending:
                task.cancel()
    for task in items:
        _failure(task)
    if interrupted:
        raise asyncio.CancelledError


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``, with Ctrl-C cancelling the main task on every supported Python.

    Python 3.11's ``asyncio.run`` does that itself: the first SIGINT cancels the main task,
    which unwinds through every ``finally`` (requests cancelled and awaited), then
    ``KeyboardInterrupt`` is raised. Python 3.10's lets ``KeyboardInterrupt`` out of whichever
    callback is running and cancels the remaining tasks afterwards, in no order;
    :func:`run_cancelling_on_sigint` gives 3.10 the 3.11 behaviour.
    """
    if sys.version_info >= (3, 11):
        return asyncio.run(main)
    return run_cancelling_on_sigint(main)  # pragma: no cover - Python 3.10


def run_cancelling_on_sigint(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on a new event loop; the first SIGINT cancels it (then raises
    ``KeyboardInterrupt``), a second one raises at once. What 3.11's ``asyncio.Runner`` does."""
    import signal
    import threading

    loop = asyncio.new_event_loop()
    task = loop.create_task(main)
    interrupts = 0

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1 and not task.done():
            task.cancel()
            loop.call_soon_threadsafe(lambda: None)  # wake the selector
            return
        raise KeyboardInterrupt

    install = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if install:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if interrupts:
                raise KeyboardInterrupt from None
            raise
    finally:
        if install and signal.getsignal(signal.SIGINT) is on_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            left = [t for t in asyncio.all_tasks(loop) if not t.done()]
            if left:
                loop.run_until_complete(cancel_and_wait(left))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _failure(task: asyncio.Future[Any]) -> BaseException | None:
    """The exception a done task ended with (marked retrieved), ``None`` if none or cancelled."""
    if task.cancelled():
        return None
    return task.exception()


def consume(task: asyncio.Future[Any]) -> None:
    """A done-callback marking a task's failure as retrieved, for a task started early (a
    prefetch) that may never be awaited: whoever awaits it still gets the failure, and asyncio
    does not log "exception was never retrieved"."""
    if not task.cancelled():
        task.exception()


__all__ = ["cancel_and_wait", "consume", "gather", "run", "run_cancelling_on_sigint"]
