"""Progress of long reads and long resampling: a spinner on stderr, and only on a terminal.

Paths, column names and labels are data: every status line is plain text,
its user parts passed through ``visible`` (control characters shown as
escapes), and it reaches rich as a ``rich.text.Text``, which is never read as
markup: ``x[/bold].csv`` is shown as it is instead of closing a style that was
never opened (a crash), ``[blink red]alert.csv`` does not blink, and a path
ending in a backslash keeps one backslash (``rich.markup.escape`` doubles it).
"""

from __future__ import annotations

from typing import Any

from ..text import visible


def read_status(source: str, rows: int) -> str:
    """The status line (plain text) of a read: 'reading data.csv: 1,000 rows'."""
    return f"reading {visible(source, 60)}: {rows:,} rows"


def resample_status(what: str, done: int, total: int) -> str:
    """The status line (plain text) of resampling: 'permutations: 5,000 of 10,000 (50%)'."""
    share = done / total if total else 1.0
    return f"{visible(what, 80)}: {done:,} of {total:,} ({share:.0%})"


def partitions_status(done: int, total: int, width: int = 24) -> str:
    """The status line (plain text) of a cluster's work, with a bar:
    'counting on the cluster [######------] 5 of 10 partitions (50%)'."""
    share = done / total if total else 1.0
    filled = int(share * width)
    bar = "#" * filled + "-" * (width - filled)
    return f"counting on the cluster [{bar}] {done:,} of {total:,} partitions ({share:.0%})"


class ReadProgress:
    """A spinner on stderr for work that takes more than about a second: reads
    (called with (source, rows read so far) after each chunk) and resampling
    (``resampling(what, done, total)`` after each batch). It shows only when
    stderr is a terminal (rich decides) and never touches stdout."""

    DELAY = 1.0

    def __init__(self, console: Any = None) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        self._status: Any = None
        self._console: Any = console

    def __call__(self, source: str, rows: int) -> None:
        self.show(read_status(source, rows))

    def resampling(self, what: str, done: int, total: int) -> None:
        self.show(resample_status(what, done, total))

    def partitions(self, done: int, total: int) -> None:
        """After each partition a cluster counted: a bar of partitions done of total."""
        self.show(partitions_status(done, total))

    def show(self, status: str) -> None:
        """Show a status line: plain text, never read as markup."""
        if self._status is None:
            if self._clock() - self._start < self.DELAY:
                return
            if self._console is None:
                import sys

                from rich.console import Console

                from .writers import REPORT_HEIGHT, report_width

                # Width and height given, so rich never reads COLUMNS/LINES itself.
                self._console = Console(
                    stderr=True, width=report_width(sys.stderr), height=REPORT_HEIGHT, markup=False, emoji=False
                )
            if not self._console.is_terminal:
                self._clock = lambda: float("-inf")  # never check again
                return
            self._status = self._console.status("")
            self._status.start()
        from rich.text import Text

        self._status.update(Text(status))

    def __enter__(self) -> ReadProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()


# The spinner serves reads and resampling alike.
Progress = ReadProgress
