"""Bytes from files and streams: decoding, one-pass streams, spooled copies."""

from __future__ import annotations

import codecs
import io
import os
import stat
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..errors import InputError, UsageError

# A JSON document is parsed whole into Python objects (tens of bytes per
# number), so its size is capped; big data belongs in CSV.
MAX_JSON_BYTES = 64 << 20
# A dataset's first line (the CSV header, or the first JSON-lines record)
# must end within this many bytes; a longer one is not data we can count.
MAX_FIRST_LINE = 16 << 20


def decode(data: bytes, encoding: str, source: str, partial: bool = False, final: bool = True) -> str:
    """Decode bytes; a UTF-8 byte-order mark is dropped, CRLF is left to the parsers.
    ``partial``: the bytes are the head of a file, only to be sniffed (bad
    bytes are replaced); ``final`` False: more bytes follow, so a character
    cut at the end is not an error."""
    if is_utf8(encoding):
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise InputError(f"{source}: the file is UTF-16 text, not UTF-8", hint="pass --encoding utf-16")
        encoding = "utf-8-sig"
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace" if partial else "strict")
        return decoder.decode(data, final=final)
    except LookupError:
        raise UsageError(f"unknown --encoding {encoding!r}") from None
    except UnicodeError as exc:
        raise decode_error(exc, source, encoding) from None


def decode_error(exc: UnicodeError, source: str, encoding: str) -> InputError:
    """The one-line error for text that does not decode, whichever reader found it."""
    if isinstance(exc, UnicodeDecodeError):
        byte = exc.object[exc.start]
        return InputError(
            f"{source}: not valid {exc.encoding} text (byte 0x{byte:02x} at offset {exc.start})",
            hint="pass --encoding, e.g. --encoding latin-1",
        )
    # e.g. 'UTF-16 stream does not start with BOM'
    return InputError(f"{source}: not {encoding} text: {exc}", hint=_byte_order_hint(encoding))


def is_utf8(encoding: str) -> bool:
    """Whether an --encoding names UTF-8 (a byte-order mark is then dropped)."""
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def _byte_order_hint(encoding: str) -> str | None:
    """For UTF-16/32 text without a byte-order mark: name the variants that need none."""
    name = encoding.lower().replace("_", "-").replace("utf16", "utf-16").replace("utf32", "utf-32")
    if name in ("utf-16", "utf-32"):
        return f"text without a byte-order mark needs --encoding {name}-le or {name}-be"
    return None


def read_bytes(path: str, source: str, limit: int = -1) -> bytes:
    """Read a file (its first ``limit`` bytes, if given), turning OS errors
    into one-line ``InputError``s."""
    if os.path.isdir(path):
        raise InputError(f"{source}: is a directory, not a file")
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None


def is_stream(path: str) -> bool:
    """True for a source that can be read only once: standard input ('-'), a
    FIFO, a process substitution ``<(...)``, ``/dev/stdin`` fed by a pipe.
    Such a source is read once (``spool_stream``), never
    sniffed and then reopened."""
    return path == "-" or _stream_identity(path) is not None


def one_stream(a: str, b: str) -> bool:
    """True when two sources are one stream (see ``is_stream``), which can be
    read only once: '-' twice, '-' and /dev/stdin, a FIFO named twice."""
    if a == "-" and b == "-":
        return True
    ia, ib = _stream_identity(a), _stream_identity(b)
    return ia is not None and ia == ib


def _stream_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of a stream; None for a regular file or folder (it can
    be opened again) or a path that cannot be examined (missing, unreadable,
    a NUL byte: the regular path says why)."""
    try:
        st = os.fstat(0) if path == "-" else os.stat(path)
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    return st.st_dev, st.st_ino


# A stream for drift or profile is copied once, into memory up to this size
# and to a temporary file beyond it, so a large one costs disk, not memory.
STREAM_MEMORY = 32 << 20
_BLOCK = 1 << 20


def spool_stream(
    path: str, source: str, open_stdin: Callable[[], BinaryIO] | None, first_line_limit: int = MAX_FIRST_LINE
) -> BinaryIO:
    """A stream copied once into a seekable file (memory, then disk), to be
    read as often as needed; its first line must end within ``first_line_limit``
    (compare allows a one-line JSON document of MAX_JSON_BYTES)."""
    import tempfile  # only here: imports that compare's start-up need not pay

    spool: BinaryIO = io.BytesIO()
    try:
        for block in _stream_blocks(path, source, open_stdin, first_line_limit):
            if spool.tell() + len(block) > STREAM_MEMORY and isinstance(spool, io.BytesIO):
                on_disk = tempfile.TemporaryFile()  # noqa: SIM115 (the caller's to close)
                on_disk.write(spool.getbuffer())
                spool = on_disk
            spool.write(block)
    except OSError as exc:  # no space left for the temporary copy
        spool.close()
        raise InputError(f"{source}: cannot keep a copy of the stream: {exc.strerror or exc}") from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _stream_blocks(
    path: str, source: str, open_stdin: Callable[[], BinaryIO] | None, first_line_limit: int
) -> Iterator[bytes]:
    """The blocks of a stream, read once. One whose first line does not end
    within ``first_line_limit`` bytes is refused as it is read (``/dev/zero``
    would otherwise fill memory); Parquet, being binary, is exempt."""
    if path == "-":
        if open_stdin is None:
            raise UsageError("standard input ('-') is only read by the command line")
        handle, owned = open_stdin(), False
    else:
        try:
            handle, owned = open(path, "rb"), True  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        seen, line_ended = 0, False
        while True:
            try:
                block = handle.read(_BLOCK)
            except OSError as exc:
                raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
            if not block:
                return
            if not line_ended:
                line_ended = b"\n" in block or (seen == 0 and block.startswith(b"PAR1"))
                if not line_ended and seen + len(block) > first_line_limit:
                    raise InputError(f"{source}: the first line is longer than {first_line_limit >> 20} MiB")
            seen += len(block)
            yield block
    finally:
        if owned:
            handle.close()
