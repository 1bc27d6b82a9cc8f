"""The project's exception types.

Every problem the user can fix is a ``KlError``; ``cli.py`` maps each to exit
status 2 with its message on one line. Nothing here knows about Click.
"""

from __future__ import annotations


class KlError(Exception):
    """Base class: a problem with what the user asked for or gave us."""

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
