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
