"""Progress of the digest lookups on stderr (issue 13: "when it is a TTY and the run is long").

One line, rewritten in place (``\\r``, then erased when done), and only when the stream is a
terminal and there are more than :data:`THRESHOLD` lookups: a short run, a pipe or a CI log
gets nothing, so stderr stays a list of findings there.
"""

from __future__ import annotations

from typing import TextIO

THRESHOLD = 20  # lookups; below this the run is quick enough not to need a progress line
_ERASE = "\r\x1b[K"  # back to the line's start, erase to its end


class Progress:
    """``n/N images resolved``; call :meth:`step` per finished lookup, :meth:`close` once."""

    def __init__(self, stream: TextIO | None, total: int) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None and total > THRESHOLD and _tty(stream) else None
        self._show()

    @property
    def active(self) -> bool:
        return self.stream is not None

    def step(self) -> None:
        self.done += 1
        self._show()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write(_ERASE)
            self.stream.flush()
            self.stream = None

    def _show(self) -> None:
        if self.stream is not None:
            self.stream.write(f"{_ERASE}chartlock: {self.done}/{self.total} images resolved")
            self.stream.flush()


def _tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: no progress
        return False
