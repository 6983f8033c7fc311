"""Bounds on what a registry can make chartlock read, hold and wait for.

Every response body is counted while it streams, by a wrapper installed on each response as
an httpx response hook (so it also covers the bodies httpx reads by itself: a 401 before the
auth flow retries, a token response, a redirect). A success body larger than its kind's cap
(``CAP_EXTENSION`` on the request) is refused with :class:`BodyTooLarge`, before reading when
``Content-Length`` already says so; an error body is cut at :data:`MAX_ERROR_BYTES` (only its
code and message are used). Compressed bodies are inflated here, counting the inflated bytes, so
a small gzip bomb cannot grow in memory either. JSON is parsed by :func:`loads`, which turns a
nesting bomb's ``RecursionError`` into a ``ValueError`` like any other malformed document.
"""

from __future__ import annotations

import asyncio
import json
import sys
import zlib
from typing import Any, TypeVar

import httpx

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable

T = TypeVar("T")

KiB = 1024
MiB = 1024 * KiB

CAP_EXTENSION = "chartlock_cap"
BUDGET_EXTENSION = "chartlock_budget"
# All tag lists and manifests of one run together (blobs excepted: their size is the
# manifest's). Per-kind caps bound one body; this bounds many at once (a chart with 40
# dependencies on one hostile registry), so that peak memory has a ceiling whatever is sent.
# Measured: a run holding 8 MiB of short version tags peaks at ~170 MB (the strings, then the
# versions resolution parses), near the 200 MB budget. Real runs read far less: 8 MiB is 400
# repositories with 1,000 tags each.
RUN_BUDGET_BYTES = 8 * MiB
# One repository's tag list, all pages together: ~400,000 tags (real repositories have at most
# a few thousand). Peak memory for a 4 MiB list of version tags: ~100 MB.
MAX_TAG_LIST_BYTES = 4 * MiB
# distribution refuses to store a manifest larger than 4 MiB; an index is a manifest too.
MAX_MANIFEST_BYTES = 4 * MiB
MAX_TOKEN_BYTES = 1 * MiB  # real tokens are a few KiB (JWTs with certificate chains: ~10 KiB)
MAX_ERROR_BYTES = 64 * KiB
# Chart archives: the layer's declared size, itself at most this (Helm refuses charts that
# decompress to more than 100 MiB; a gzip is never much smaller than that for real charts).
MAX_BLOB_BYTES = 512 * MiB
DEFAULT_CAP = 1 * MiB  # a success body whose request named no kind
MAX_PAGES = 10_000


class BodyTooLarge(Exception):
    """A success body is (or announces itself as) larger than its cap, or the run's budget
    (``budget``) is spent."""

    def __init__(
        self, host: str, cap: int, announced: int | None = None, *, budget: bool = False
    ) -> None:
        self.host = host
        self.cap = cap
        self.announced = announced
        self.budget = budget
        super().__init__(f"{host} sent more than {size_text(cap)}")


class Budget:
    """Bytes the bodies of one run may still take (never given back: what was read is held)."""

    __slots__ = ("total", "left")

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total

    def take(self, n: int) -> bool:
        self.left -= n
        return self.left >= 0


def size_text(n: int) -> str:
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= KiB and n % KiB == 0:
        return f"{n // KiB} KiB"
    return f"{n} bytes"


def loads(data: bytes | str) -> Any:
    """``json.loads``; a document nested too deeply raises ``ValueError`` too (not
    ``RecursionError``): the callers report it as malformed, like any other bad JSON."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class _Inflate:
    """gzip/deflate decoding whose output is produced at most ``limit`` bytes at a time."""

    __slots__ = ("_z", "_raw", "_first")

    def __init__(self, encoding: str) -> None:
        # 47 = 32 + 15: zlib or gzip header, detected; raw deflate is tried on failure.
        self._z = zlib.decompressobj(47 if encoding in ("gzip", "x-gzip") else 15)
        self._raw = encoding == "deflate"
        self._first = True

    def feed(self, data: bytes, limit: int) -> list[bytes]:
        out: list[bytes] = []
        while data:
            try:
                piece = self._z.decompress(data, limit + 1)
            except zlib.error:
                if self._raw and self._first:  # "deflate" sent as raw deflate (no zlib header)
                    self._z, self._first = zlib.decompressobj(-15), False
                    continue
                raise httpx.DecodingError("malformed compressed body") from None
            self._first = False
            out.append(piece)
            limit -= len(piece)
            if limit < 0:
                return out
            data = self._z.unconsumed_tail
        return out

    def finish(self, limit: int) -> list[bytes]:
        """What zlib still holds once the input has ended (at most ``limit + 1`` bytes)."""
        out: list[bytes] = []
        while limit >= 0:
            piece = self._z.decompress(b"", limit + 1)
            if not piece:
                break
            out.append(piece)
            limit -= len(piece)
        return out


class CappedStream(httpx.AsyncByteStream):
    """``inner``, inflated when compressed, counted: past ``cap`` bytes either cut (``cut``)
    or :class:`BodyTooLarge`."""

    def __init__(
        self,
        inner: httpx.AsyncByteStream,
        cap: int,
        *,
        cut: bool,
        host: str,
        encoding: str = "",
        budget: Budget | None = None,
    ) -> None:
        self._budget = budget
        self._inner = inner
        self._cap = cap
        self._cut = cut
        self._host = host
        self._inflate = _Inflate(encoding) if encoding else None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        left = self._cap
        inflate = self._inflate
        iterator = self._inner.__aiter__()
        try:
            # Only a compressed body needs its end marked (an extra layer per chunk otherwise).
            source = _then_end(iterator) if inflate is not None else iterator
            async for chunk in source:
                if inflate is None:
                    pieces = [chunk]
                elif chunk:
                    pieces = inflate.feed(chunk, left)
                else:  # the end of a compressed body
                    pieces = inflate.finish(left)
                for piece in pieces:
                    if len(piece) > left:
                        if not self._cut:
                            raise BodyTooLarge(self._host, self._cap)
                        if left:
                            yield piece[:left]
                        return
                    left -= len(piece)
                    if self._budget is not None and not self._budget.take(len(piece)):
                        raise BodyTooLarge(self._host, self._budget.total, budget=True)
                    if piece:
                        yield piece
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _then_end(iterator: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``iterator``'s non-empty chunks, then one ``b""`` for the end."""
    async for chunk in iterator:
        if chunk:
            yield chunk
    yield b""


def content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


async def cap_response(response: httpx.Response) -> None:
    """The response hook (see the module docstring)."""
    request = response.request
    stream = response.stream
    if request.method == "HEAD" or not isinstance(stream, httpx.AsyncByteStream):
        return
    host = request.url.netloc.decode("ascii", "replace")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding == "identity":
        encoding = ""
    ok = 200 <= response.status_code < 300
    if encoding and encoding not in ("gzip", "x-gzip", "deflate"):
        if ok:
            raise httpx.DecodingError(f"unsupported Content-Encoding {encoding[:20]!r}")
        # An error body we cannot read: its status is all we use (a cap of 0 reads nothing
        # beyond the first chunk, then closes the stream).
        response.stream = CappedStream(stream, 0, cut=True, host=host)
        return
    if encoding:
        # Decoded here, counted as it is inflated: httpx must not decode it again.
        del response.headers["Content-Encoding"]
    if ok:
        cap = int(request.extensions.get(CAP_EXTENSION, DEFAULT_CAP))
        budget = request.extensions.get(BUDGET_EXTENSION)
        if not isinstance(budget, Budget):
            budget = None
        announced = content_length(response)
        if announced is not None and announced > cap and not encoding:
            raise BodyTooLarge(host, cap, announced)
        if budget is not None and announced is not None and announced > budget.left:
            raise BodyTooLarge(host, budget.total, announced, budget=True)
        response.stream = CappedStream(
            stream, cap, cut=False, host=host, encoding=encoding, budget=budget
        )
    else:
        response.stream = CappedStream(
            stream, MAX_ERROR_BYTES, cut=True, host=host, encoding=encoding
        )


if sys.version_info >= (3, 11):

    async def within(when: float, awaitable: Awaitable[T]) -> T:
        """``awaitable``, cancelled at loop time ``when`` (``asyncio.TimeoutError``)."""
        async with asyncio.timeout_at(when):
            return await awaitable

else:  # pragma: no cover  (Python 3.10)

    async def within(when: float, awaitable: Awaitable[T]) -> T:
        """``awaitable``, cancelled at loop time ``when`` (``asyncio.TimeoutError``)."""
        delay = max(0.0, when - asyncio.get_running_loop().time())
        return await asyncio.wait_for(awaitable, delay)


async def bounded_get(
    client: httpx.AsyncClient,
    url: str,
    *,
    cap: int,
    timeout: float,
    where: str,
    auth: httpx.Auth | None = None,
) -> httpx.Response:
    """``GET url`` with its body read, at most ``cap`` bytes, all within ``timeout`` seconds
    (``client`` must have :func:`cap_response` as a response hook). Too large or too slow:
    a one-line :class:`~resolver.errors.RegistryError` starting with ``where``."""
    from resolver.errors import RegistryError

    when = asyncio.get_running_loop().time() + timeout
    extensions = {CAP_EXTENSION: cap}
    try:
        if auth is None:
            return await within(when, client.get(url, extensions=extensions))
        return await within(when, client.get(url, auth=auth, extensions=extensions))
    except asyncio.TimeoutError:
        raise RegistryError(
            f"{where}: timed out after {timeout:g} s (--timeout bounds each request: "
            "connecting, the headers and the whole body)"
        ) from None
    except BodyTooLarge as exc:
        raise RegistryError(
            f"{where}: {exc} (the limit is {size_text(cap)}); refusing to read more"
        ) from None
