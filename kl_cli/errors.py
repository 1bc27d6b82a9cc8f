"""The project's exception types and exit statuses (leaf: standard library only).

Every problem the user can fix is a ``KlError``; the CLI maps each to exit
status 2 with its message on one line. Nothing here knows about Click.
"""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Exit statuses, as diff, cmp and grep use them."""

    OK = 0
    EXCEEDED = 1  # over the limit the user asked for (only when one was asked for)
    TROUBLE = 2  # bad usage, unreadable or malformed input, an internal error
    INTERRUPTED = 130


class KlError(Exception):
    """Base class: a problem with what the user asked for or gave us."""

    status = ExitStatus.TROUBLE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        """The message and its hint on a single line, for stderr."""
        text = str(self)
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


class InputError(KlError):
    """The data is unusable: unreadable, malformed, negative, empty..."""


class UsageError(KlError):
    """The options or arguments do not fit together."""


class OutputError(KlError):
    """Standard output cannot be written: closed, or a write failed (a full disk)."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived. Raised in the main thread, as Ctrl-C raises
    KeyboardInterrupt, so every ``finally`` and ``except BaseException``
    cleanup runs; not an ``Exception``, so no handler of errors can take it
    for one. The exit status is 128 + the signal's number, as a shell reports it."""

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name

    @property
    def status(self) -> int:
        return 128 + self.signum
