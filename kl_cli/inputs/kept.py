"""A stream's bytes kept as they are read, so that its readers can start again from the first byte.

A stream (standard input, a FIFO, ``<(...)``, ``/dev/stdin`` fed by a pipe)
gives its bytes once. ``Kept`` reads it on demand, in order, as its readers
ask, and keeps what it has read:

- ``copy`` (drift and profile, where a second pass may come): every byte, in
  memory up to ``STREAM_MEMORY`` and in a temporary file beyond, up to
  ``STREAM_SPOOL_LIMIT``; a longer stream is refused, so an endless one
  neither fills the disk nor runs forever;
- one pass (compare, which reads each source once): only the first
  ``REPLAY_BYTES``, enough to sniff the head and plan the columns; the
  reader that goes past them is the last one, and the kept bytes are let go.

Either way the stream is parsed as it arrives: garbage is refused at its
head, not after a copy of all of it. The first line must end within
``first_line_limit`` bytes (``/dev/zero`` is refused as it is read);
Parquet, being binary, is exempt.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, BinaryIO

from ..errors import InputError
from . import streams
from .streams import first_line_too_long, open_stream, read_block, too_long_to_copy

_BLOCK = 1 << 20


class Kept:
    """A stream read once, its bytes kept for readers that start from the first byte (see the module)."""

    def __init__(self, handle: BinaryIO, source: str, owned: bool, first_line_limit: int, *, copy: bool) -> None:
        self.source = source
        self.copy = copy
        self._handle = handle
        self._owned = owned
        self._store: BinaryIO = io.BytesIO()
        self._size = 0  # bytes read from the stream so far
        self._passed = False  # (one pass) a reader went past the kept bytes
        self._ended = False
        seen = 0
        try:
            while True:
                block = self._fill(_BLOCK)
                if not block or b"\n" in block or (seen == 0 and block.startswith(b"PAR1")):
                    break
                seen += len(block)
                if seen > first_line_limit or self._passed:
                    raise first_line_too_long(source, first_line_limit)
        except BaseException:
            self.close()
            raise

    @classmethod
    def of(
        cls,
        path: str,
        source: str,
        open_stdin: Callable[[], BinaryIO] | None,
        first_line_limit: int,
        *,
        copy: bool,
    ) -> Kept:
        """Open the stream ``path`` ('-': standard input) and read its first line."""
        handle, owned = open_stream(path, source, open_stdin)
        return cls(handle, source, owned, first_line_limit, copy=copy)

    @property
    def replayable(self) -> bool:
        """Whether ``open()`` can still start from the first byte."""
        return not self._passed

    def open(self) -> BinaryIO:
        """A reader of the stream from its first byte."""
        if self._passed:
            raise RuntimeError(f"{self.source}: a stream read in one pass cannot be read again")
        return io.BufferedReader(_Reader(self), buffer_size=1 << 16)

    def whole(self) -> BinaryIO:
        """(copy) The whole stream as a seekable file (Parquet, zip need one); not to be closed."""
        assert self.copy
        while self._fill(_BLOCK):
            pass
        self._store.seek(0)
        return _Unclosing(self._store)

    def close(self) -> None:
        self._store.close()
        if self._owned:
            self._handle.close()

    def _fill(self, size: int) -> bytes:
        """Read more of the stream and keep it (see the module for how much)."""
        if self._ended:
            return b""
        block = read_block(self._handle, self.source, size)
        if not block:
            self._ended = True
            return block
        self._size += len(block)
        if self._passed:
            return block
        if not self.copy and self._size > streams.REPLAY_BYTES:
            self._passed = True
            self._store = io.BytesIO()
            return block
        if self.copy and self._size > streams.STREAM_SPOOL_LIMIT:
            raise too_long_to_copy(self.source)
        try:
            if self.copy and self._size > streams.STREAM_MEMORY and isinstance(self._store, io.BytesIO):
                import tempfile  # only here: imports that compare's start-up need not pay

                on_disk = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the stream)
                on_disk.write(self._store.getbuffer())
                self._store = on_disk
            self._store.seek(0, io.SEEK_END)
            self._store.write(block)
        except OSError as exc:  # no space left for the copy
            raise InputError(f"{self.source}: cannot keep a copy of the stream: {exc.strerror or exc}") from None
        return block

    def _read_at(self, position: int, size: int) -> bytes:
        """``size`` bytes (or fewer) from ``position``: kept ones, else the stream's next."""
        kept = self._size if not self._passed else 0
        if position < kept:
            self._store.seek(position)
            return self._store.read(min(size, kept - position))
        if not self._passed and position != self._size:
            raise RuntimeError(f"{self.source}: a reader of a kept stream lost its place")
        return self._fill(max(size, _BLOCK))


class _Reader(io.RawIOBase):
    """One reader of a ``Kept`` stream, from its first byte."""

    def __init__(self, stream: Kept) -> None:
        self._stream = stream
        self._position = 0
        self._pending = b""  # read from the stream beyond what was asked

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        data = self._pending or self._stream._read_at(self._position, want)
        chunk, self._pending = data[:want], data[want:]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


class _Unclosing(io.BufferedReader):
    """A view of a kept copy that leaves the copy open when it is closed."""

    def close(self) -> None:  # the copy is the stream's to close
        self.detach()


def copy_blocks(blocks: Any, source: str) -> Kept:
    """Blocks kept whole, within the stream copy limit: ``whole()`` is then a seekable file."""
    copy = Kept(_Blocks(blocks), source, False, streams.STREAM_SPOOL_LIMIT, copy=True)
    copy.whole()
    return copy


class _Blocks(io.RawIOBase):
    """An iterator of byte blocks as a file to read."""

    def __init__(self, blocks: Any) -> None:
        self._blocks = iter(blocks)
        self._rest = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self._rest:
            self._rest = next(self._blocks, b"")
        if size < 0:
            size = len(self._rest)
        out, self._rest = self._rest[:size], self._rest[size:]
        return out


def spool_stream(
    path: str, source: str, open_stdin: Callable[[], BinaryIO] | None, first_line_limit: int = streams.MAX_FIRST_LINE
) -> Kept:
    """A stream kept whole as it is read (``copy``), for drift and profile."""
    return Kept.of(path, source, open_stdin, first_line_limit, copy=True)
