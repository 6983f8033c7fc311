"""A TCP proxy that adds one-way latency, for benchmarks.

Every chunk is delivered ``delay`` seconds after it arrived, in each direction, and a new
connection pays one extra round trip before its first byte goes through (like a TCP handshake
over a real link). It works below HTTP, so it costs nothing but the delay and counts
connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class LatencyProxy:
    def __init__(self, upstream: str, *, delay: float) -> None:
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.delay = delay
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> LatencyProxy:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
        )
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()
        # Connections still open (kept alive by a client that exited) are cancelled cleanly.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        handshake = self.loop.time() + 2 * self.delay
        await asyncio.gather(
            self._pipe(reader, up_writer, handshake), self._pipe(up_reader, writer, 0.0)
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, not_before: float
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        task = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(65536)
                due = max(self.loop.time() + self.delay, not_before)
                await queue.put((due, data))
                if not data:
                    break
        except (ConnectionError, OSError):
            await queue.put((0.0, b""))
        with contextlib.suppress(ConnectionError, OSError):
            await task
