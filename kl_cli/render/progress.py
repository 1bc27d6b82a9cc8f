"""Progress of long reads: a spinner on stderr, and only on a terminal."""

from __future__ import annotations

from typing import Any

from ..text import visible


class ReadProgress:
    """A spinner on stderr for reads that take more than about a second:
    called with (source, rows read so far) after each chunk. It shows only
    when stderr is a terminal (rich decides) and never touches stdout."""

    DELAY = 1.0

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        self._status: Any = None
        self._console: Any = None

    def __call__(self, source: str, rows: int) -> None:
        if self._status is None:
            if self._clock() - self._start < self.DELAY:
                return
            from rich.console import Console

            self._console = Console(stderr=True)
            if not self._console.is_terminal:
                self._clock = lambda: float("-inf")  # never check again
                return
            self._status = self._console.status("")
            self._status.start()
        self._status.update(f"reading {visible(source, 60)}: {rows:,} rows")

    def __enter__(self) -> ReadProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
