"""The standard streams as the commands write them, so that the exit status stays meaningful.

- standard output: a write that fails (a closed stream, a full disk) is an
  ``OutputError`` naming standard output, exit 2; a broken pipe stays a
  ``BrokenPipeError`` (``| head`` ends quietly); text the encoding cannot
  hold is escaped instead of failing (the renderers fit their reports to
  the encoding first, so this is only a safety net);
- standard error: diagnostics that cannot be written are dropped, never an
  error of their own: a warning that cannot be shown must not turn a pass
  into a failure, and an error keeps its status.

``guarded_streams()`` puts both in place of ``sys.stdout`` and ``sys.stderr``
for one run and puts the originals back after it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from ..errors import OutputError


class _Guard:
    """A text stream's proxy. ``buffer`` is hidden, so that click writes
    through the proxy instead of wrapping the stream's bytes itself."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        if name == "buffer" or self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)

    def isatty(self) -> bool:
        try:
            return bool(self._stream.isatty())
        except (AttributeError, OSError, ValueError):
            return False


class GuardedOutput(_Guard):
    """Standard output: failures become ``OutputError`` (exit 2)."""

    def check(self) -> None:
        """Raise at once when standard output is closed, before any work is done."""
        if self._stream is None or getattr(self._stream, "closed", False):
            raise OutputError("standard output is closed")

    def write(self, text: str) -> int:
        _text_only(text)
        self.check()
        try:
            return self._stream.write(text)
        except UnicodeEncodeError:
            encoding = self._stream.encoding
            return self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise _failed(exc) from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise _failed(exc) from None


def _text_only(text: object) -> None:
    if not isinstance(text, str):  # a text stream, as click tells one from a binary stream
        raise TypeError(f"write() argument must be str, not {type(text).__name__}")


def _failed(exc: Exception) -> OutputError:
    if isinstance(exc, ValueError):  # "I/O operation on closed file"
        return OutputError("standard output is closed")
    return OutputError(f"cannot write to standard output: {exc.strerror or exc}")


class QuietDiagnostics(_Guard):
    """Standard error: what cannot be written is dropped."""

    def write(self, text: str) -> int:
        _text_only(text)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            return self._stream.write(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self._stream.flush()


@contextlib.contextmanager
def guarded_streams() -> Iterator[GuardedOutput]:
    """``sys.stdout`` and ``sys.stderr`` guarded for the body; yields the output."""
    stdout, stderr = sys.stdout, sys.stderr
    out = stdout if isinstance(stdout, GuardedOutput) else GuardedOutput(stdout)
    sys.stdout = out  # type: ignore[assignment]
    if stderr is not None and not isinstance(stderr, QuietDiagnostics):  # a closed one stays None
        sys.stderr = QuietDiagnostics(stderr)  # type: ignore[assignment]
    try:
        yield out
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def check_stdout() -> None:
    """Refuse at once to start a run whose result could not be written."""
    if isinstance(sys.stdout, GuardedOutput):
        sys.stdout.check()
    elif sys.stdout is None:
        raise OutputError("standard output is closed")
