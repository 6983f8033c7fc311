"""When the registry client tries again, and how long it waits (pure, but for :func:`pause`).

Idempotent requests are retried on a connection failure and on 502/503/504 after a jittered
exponential back-off (:func:`backoff_delay`), and on 429 after the server's ``Retry-After``
(bounded by :data:`MAX_RETRY_AFTER`). Every wait goes through :func:`pause`, the one seam a test
patches so that it does not sleep through real back-offs (tests/faults/conftest.py).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time

import httpx

RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER = 10.0
BACKOFF_BASE = 0.2  # seconds before the second attempt (then doubling)
BACKOFF_MAX = 2.0  # seconds, before jitter


def backoff_delay(attempt: int, jitter: float | None = None) -> float:
    """Seconds to wait after failed ``attempt`` (1, 2, ...): ``BACKOFF_BASE`` doubling per
    attempt, at most ``BACKOFF_MAX``, times a jitter factor in [0.5, 1.5) (``jitter`` in
    [0, 1), default random) so that concurrent requests do not retry in lockstep."""
    if jitter is None:
        jitter = random.random()
    return min(BACKOFF_BASE * 2.0 ** (attempt - 1), BACKOFF_MAX) * (0.5 + jitter)


def rate_limit_delay(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait after a 429 answer to ``attempt``: its ``Retry-After`` header (seconds
    or an HTTP date), else ``2 ** attempt``; at most :data:`MAX_RETRY_AFTER`."""
    delay = retry_after_seconds(retry_after)
    return min(delay if delay is not None else 2**attempt, MAX_RETRY_AFTER)


async def pause(seconds: float) -> None:
    """Wait ``seconds`` before trying again (the seam tests patch)."""
    await asyncio.sleep(seconds)


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retryable(exc: httpx.HTTPError) -> bool:
    """Whether a transport error is worth another attempt (the request may not have arrived)."""
    return isinstance(
        exc,
        (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError),
    )
