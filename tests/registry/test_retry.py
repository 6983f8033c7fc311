"""resolver.registry.retry: the back-off schedule (a pure function) and the 429 wait."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest

from resolver.registry import retry


def test_backoff_doubles_from_the_base_and_is_bounded() -> None:
    # Without jitter's spread (the middle of [0.5, 1.5) is 1.0): 0.2, 0.4, 0.8, 1.6, 2.0, ...
    middle = [retry.backoff_delay(attempt, 0.5) for attempt in range(1, 8)]
    assert middle == pytest.approx([0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0])


@pytest.mark.parametrize("attempt", [1, 2, 3, 10, 100])
def test_backoff_jitter_spans_half_to_one_and_a_half_times(attempt: int) -> None:
    base = min(retry.BACKOFF_BASE * 2.0 ** (attempt - 1), retry.BACKOFF_MAX)
    assert retry.backoff_delay(attempt, 0.0) == pytest.approx(base * 0.5)
    assert retry.backoff_delay(attempt, 0.999999) == pytest.approx(base * 1.5, rel=1e-5)
    # The real (random) jitter stays within those bounds, and varies.
    delays = {retry.backoff_delay(attempt) for _ in range(200)}
    assert all(base * 0.5 <= d < base * 1.5 for d in delays)
    assert len(delays) > 1
    assert max(delays) <= retry.BACKOFF_MAX * 1.5


def test_rate_limit_delay_follows_retry_after_within_the_cap() -> None:
    assert retry.rate_limit_delay(1, "3") == 3.0
    assert retry.rate_limit_delay(1, "0") == 0.0
    assert retry.rate_limit_delay(1, "-5") == 0.0
    assert retry.rate_limit_delay(1, "3600") == retry.MAX_RETRY_AFTER
    # No (or an unreadable) Retry-After: 2 ** attempt seconds, capped as well.
    assert [retry.rate_limit_delay(a, None) for a in (1, 2, 3, 4)] == [2, 4, 8, 10.0]
    assert retry.rate_limit_delay(2, "soon") == 4
    later = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.0 <= retry.rate_limit_delay(1, later) <= 5.0
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry.rate_limit_delay(1, past) == 0.0


def test_only_failures_before_a_response_are_retryable() -> None:
    request = httpx.Request("GET", "http://reg.example/v2/")
    assert retry.retryable(httpx.ConnectError("refused", request=request))
    assert retry.retryable(httpx.ReadError("reset", request=request))
    assert retry.retryable(httpx.RemoteProtocolError("closed", request=request))
    assert not retry.retryable(httpx.DecodingError("bad gzip", request=request))
    assert not retry.retryable(httpx.ReadTimeout("slow", request=request))


def test_pause_sleeps_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seam the fault tests patch (tests/faults/conftest.py) is asyncio's sleep otherwise
    (not a blocking one: other requests go on meanwhile)."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    asyncio.run(retry.pause(0.25))
    assert slept == [0.25]
