"""HTTP/1.1 on the wire, for :mod:`resolver.registry.transport`: reading a response head,
deciding how its body is framed, reading that body, and timeouts with httpx's exception types.

Pure protocol over asyncio streams: no pool, no connections of its own.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TypeVar

import httpx

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable

T = TypeVar("T")

MAX_HEAD_BYTES = 64 * 1024
READ_SIZE = 64 * 1024


class Framing:
    """How a response body ends."""

    NONE = 0
    LENGTH = 1
    CHUNKED = 2
    UNTIL_CLOSE = 3


class Stale(Exception):
    """A reused connection turned out to be closed before the response began."""


async def body_chunks(
    reader: asyncio.StreamReader, request: httpx.Request, framing: int, length: int
) -> AsyncIterator[bytes]:
    """The body of a response framed as ``framing`` (``length`` bytes for
    :attr:`Framing.LENGTH`), in pieces of at most :data:`READ_SIZE` bytes, each handed up as
    it arrives (the layers above count and cap it); httpx's exceptions for a broken body."""
    try:
        if framing == Framing.LENGTH:
            async for data in _exactly(reader, length, request):
                yield data
        elif framing == Framing.CHUNKED:
            while True:
                size_line = await reader.readuntil(b"\n")
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise httpx.RemoteProtocolError(
                        "malformed chunk size", request=request
                    ) from None
                if size == 0:
                    while (await reader.readuntil(b"\n")).strip():
                        pass  # trailers
                    return
                # In pieces: a chunk may announce any size (a terabyte), and the layers
                # above count the body only as it is handed up.
                async for data in _exactly(reader, size, request):
                    yield data
                if (await reader.readexactly(2)) != b"\r\n":
                    raise httpx.RemoteProtocolError("malformed chunk", request=request)
        elif framing == Framing.UNTIL_CLOSE:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    return
                yield data
    except asyncio.IncompleteReadError:
        raise incomplete(request) from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError("malformed chunk size", request=request) from None
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None


async def _exactly(
    reader: asyncio.StreamReader, size: int, request: httpx.Request
) -> AsyncIterator[bytes]:
    """``size`` bytes, in pieces of at most :data:`READ_SIZE`; the end of the stream before
    them is an incomplete body."""
    while size:
        data = await reader.read(min(size, READ_SIZE))
        if not data:
            raise incomplete(request)
        size -= len(data)
        yield data


def incomplete(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body", request=request
    )


async def read_head(
    reader: asyncio.StreamReader, request: httpx.Request, *, reused: bool
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
    """Status line and headers (skipping 1xx interim responses).

    On a reused connection, nothing at all before the end (or a reset) means the server had
    closed it while idle: :class:`Stale`, and the request goes out again on a new one.
    """
    first = reused
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if first and not exc.partial:
                raise Stale from None
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError(
                f"response headers exceed {MAX_HEAD_BYTES} bytes", request=request
            ) from None
        except OSError as exc:
            if first:
                raise Stale from None
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None
        first = False
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(
                f"malformed status line {lines[0][:80]!r}", request=request
            )
        status = int(parts[1])
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip())
                continue
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise httpx.RemoteProtocolError(
                    f"malformed header line {line[:80]!r}", request=request
                )
            headers.append((name, value.strip()))
        if 100 <= status < 200 and status != 101:
            continue
        return status, parts[2] if len(parts) > 2 else b"", headers, parts[0]


def framing_of(method: str, status: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Framing.NONE, 0
    if has_token(headers, b"transfer-encoding", b"chunked"):
        return Framing.CHUNKED, 0
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                break
            if length < 0:
                break
            return (Framing.LENGTH, length) if length else (Framing.NONE, 0)
    return Framing.UNTIL_CLOSE, 0


def has_token(headers: list[tuple[bytes, bytes]], name: bytes, token: bytes) -> bool:
    return any(
        key.lower() == name and token in [t.strip().lower() for t in value.split(b",")]
        for key, value in headers
    )


async def with_timeout(
    awaitable: Awaitable[T],
    timeout: float | None,
    error: type[httpx.TimeoutException],
    request: httpx.Request,
) -> T:
    if timeout is None:
        return await awaitable
    try:
        if sys.version_info >= (3, 11):
            # Not wait_for: on 3.11 it returns the result when a cancellation (Ctrl-C) and the
            # completion coincide, and the cancelled run goes on as if nothing had happened.
            async with asyncio.timeout(timeout):
                return await awaitable
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise error(f"timed out after {timeout} s", request=request) from None
