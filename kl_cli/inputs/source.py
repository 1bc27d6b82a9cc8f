"""One source of data, opened the same way for every command.

A ``Source`` is a path or a stream (standard input, a FIFO), read as its
format says: decompressed when its first bytes say it is compressed, its
format recognized by the registry (a stated format wins). A file is simply
reopened for each pass. A stream is either copied once (memory, then disk,
up to a stated limit) so that it can be read again for a second pass
(drift, profile), or read in one pass with only its first bytes kept
(``one_pass``: compare, which reads each source once).
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..errors import InputError
from .compression import decompression_errors, open_decompressed
from .kept import Kept, copy_blocks, spool_stream
from .locations import check_url, is_url, local_path, open_url
from .registry import Compression, compression_of, recognize
from .streams import MAX_FIRST_LINE, MAX_JSON_BYTES, is_stream

HEAD_BYTES = 1 << 16


class Source:
    """A path or stream, its compression and its format."""

    def __init__(
        self,
        spec: str,
        name: str,
        *,
        stated: str | None = None,
        open_stdin: Callable[[], BinaryIO] | None = None,
        spooled: Kept | None = None,
        one_pass: bool = False,
    ) -> None:
        self.url = is_url(spec)
        self.spec = spec if self.url else local_path(spec)
        spec = self.spec
        self.name = name
        self.reader_busy = False  # a reader thread is reading (see delimited._prefetched)
        self.stream = spooled is not None or (not self.url and is_stream(spec))
        self._kept = spooled
        self._copy: Kept | None = None  # a zip archive from a stream, kept whole
        self._parquet_copy: Kept | None = None  # a one-pass stream's content, copied whole once
        if self.stream and self._kept is None:
            # compare reads a stream in one pass; a one-line JSON document may be MAX_JSON_BYTES long.
            self._kept = (
                Kept.of(spec, name, open_stdin, MAX_JSON_BYTES, copy=False)
                if one_pass
                else spool_stream(spec, name, open_stdin)
            )
        elif self.url:
            check_url(spec, name)
        elif not self.stream:
            if os.path.isdir(spec):
                raise InputError(f"{name}: is a directory, not a file")
            if not os.path.exists(spec):
                raise InputError(f"{name}: no such file")
        with self._raw() as raw:
            raw_head = raw.read(8)
        self.compression: Compression | None = compression_of(raw_head)
        if self._kept is not None and self.compression is not None and self.compression.name == "zip":
            # A zip archive is read from its end (its directory): it needs the whole, seekable.
            if self._kept.copy:
                self._copy = self._kept
            else:
                with self._raw() as raw:
                    self._copy = copy_blocks(iter(lambda: raw.read(1 << 20), b""), name)
        self.head = self._read_head()
        if not self.head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise InputError(f"{name}: standard input is empty" if spec == "-" else f"{name}: the file is empty")
        self.format = recognize(self.head, None if spec == "-" else spec, stated)

    @property
    def path(self) -> str | None:
        """The file's path when readers may open it themselves (a plain file)."""
        return None if self.stream or self.compression or self.url else self.spec

    @property
    def one_pass(self) -> bool:
        """A stream read in one pass: readers may start again from its first
        byte only while ``replayable``."""
        return self._kept is not None and not self._kept.copy

    @property
    def replayable(self) -> bool:
        """Whether ``open()`` can start from the first byte again (always, but
        for a one-pass stream that a reader has read past its kept head)."""
        return self._copy is not None or self._kept is None or self._kept.replayable

    def _raw(self) -> BinaryIO:
        if self._copy is not None:  # a zip archive from a stream
            return self._copy.whole()
        if self._kept is not None:
            return self._kept.open()
        if self.url:
            return open_url(self.spec, self.name)
        try:
            return open(self.spec, "rb")
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read: {exc.strerror or exc}") from None

    def open(self) -> BinaryIO:
        """The content's bytes from the start (decompressed); the caller closes it."""
        raw = self._raw()
        if self.compression is None:
            return raw
        return open_decompressed(raw, self.compression, self.name)

    @contextlib.contextmanager
    def reading(self) -> Iterator[BinaryIO]:
        """``open()`` as a context, with read errors of the file or the
        decompression turned into one-line errors naming the source."""
        handle = self.open()
        failed = False
        try:
            yield handle
        except OSError as exc:
            failed = True
            raise InputError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        except decompression_errors() as exc:
            failed = True
            what = self.compression.name if self.compression else "compressed"
            raise InputError(f"{self.name}: corrupt {what} data: {exc}") from None
        except BaseException:
            failed = True
            raise
        finally:
            # After an interrupt a reader thread may still be inside read() (a
            # stuck read): closing would wait for it, so the handle is left to it.
            if not (failed and self.reader_busy):
                handle.close()

    def as_stated(self, stated: str | None) -> Source:
        """This source read as ``stated`` (a stated format wins over the
        content's), without reading its head again."""
        if stated is None or stated == self.format:
            return self
        other = copy.copy(self)
        other.format = stated
        return other

    def document(self, limit: int) -> bytes:
        """The content's first ``limit`` bytes, for a reader that takes its
        document whole (JSON): the head when that already holds all of a plain
        file, else read from the start."""
        if self.path is not None and len(self.head) < HEAD_BYTES:
            return self.head[:limit]
        with self.reading() as handle:
            return handle.read(limit)

    def seekable_copy(self) -> BinaryIO:
        """A seekable file of the content (Parquet needs one): the file itself,
        or the decompressed content copied to a temporary file (a one-pass
        stream's copy is made once, within the stream copy limit, and kept)."""
        if self.one_pass:
            if self._parquet_copy is None:
                with self.reading() as handle:
                    self._parquet_copy = copy_blocks(iter(lambda: handle.read(1 << 20), b""), self.name)
            return self._parquet_copy.whole()
        if self.compression is None:
            return self._kept.whole() if self._kept is not None else self._raw()
        import shutil
        import tempfile

        copy = tempfile.TemporaryFile()  # noqa: SIM115 (the caller's to close)
        with self.reading() as handle:
            shutil.copyfileobj(handle, copy, 1 << 20)
        copy.seek(0)
        return copy

    def _read_head(self) -> bytes:
        try:
            with self.reading() as handle:
                return handle.read(HEAD_BYTES)
        except InputError:
            raise
        except Exception as exc:  # an unreadable archive and the like
            raise InputError(f"{self.name}: cannot read: {exc}") from None

    def first_line_ends(self) -> bool:
        """Whether the first line ends within MAX_FIRST_LINE bytes (a text check)."""
        if b"\n" in self.head or len(self.head) < HEAD_BYTES:
            return True
        with self.reading() as handle:
            seen = 0
            while seen < MAX_FIRST_LINE:
                block = handle.read(1 << 20)
                if not block or b"\n" in block:
                    return True
                seen += len(block)
        return False
