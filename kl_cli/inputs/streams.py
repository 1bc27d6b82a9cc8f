"""Bytes from files and streams: decoding, one-pass streams, spooled copies."""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Callable
from typing import BinaryIO

from ..errors import InputError, UsageError

# A JSON document is parsed whole into Python objects (tens of bytes per
# number), so its size is capped; big data belongs in CSV.
MAX_JSON_BYTES = 64 << 20
# A dataset's first line (the CSV header, or the first JSON-lines record)
# must end within this many bytes; a longer one is not data we can count.
MAX_FIRST_LINE = 16 << 20


# Codecs that Python files as text encodings but that are not encodings of
# text files: they decode domain names or Python string escapes, or nothing.
_NOT_FILE_ENCODINGS = {
    "idna": "it encodes domain names",
    "punycode": "it encodes domain names",
    "unicode-escape": "it decodes Python string escapes",
    "raw-unicode-escape": "it decodes Python string escapes",
    "undefined": "it refuses every byte",
}
# Text every encoding of a data file must carry whole, read at once or a byte at a time.
_PROBE = 'a,b;c|d\t"e f"\r\n1.5,-2e3,NULL\n'


def text_encoding(encoding: str) -> str:
    """``encoding`` when it names a text encoding that files can be read in,
    chunk by chunk; else a ``UsageError`` saying why (the rule behind ``--encoding``).

    A text encoding turns bytes into text (not bytes into bytes like ``hex``
    or ``zlib``, not text into text like ``rot13``), is not one of the codecs
    for other purposes (``idna``, ``punycode``, ``unicode_escape``, ...), and
    decodes the same text whether it gets the bytes at once or one at a time,
    as the readers give it blocks.
    """
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):  # ValueError: a NUL in the name
        raise UsageError(f"unknown --encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"--encoding {encoding!r} is not a text encoding (it is a {info.name} transform)")
    name = info.name.replace("_", "-")
    if name in _NOT_FILE_ENCODINGS:
        raise UsageError(f"--encoding {encoding!r} is not an encoding of text files: {_NOT_FILE_ENCODINGS[name]}")
    try:
        data = _PROBE.encode(encoding)
        whole = data.decode(encoding)
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        pieces = "".join(decoder.decode(data[i : i + 1]) for i in range(len(data))) + decoder.decode(b"", True)
        codecs.getincrementaldecoder(encoding)("replace").decode(b"\xff\xfe\x00", True)
    except (UnicodeError, LookupError, TypeError, ValueError):
        raise UsageError(f"--encoding {encoding!r} cannot be read block by block as a text file") from None
    if not whole == pieces == _PROBE:
        raise UsageError(f"--encoding {encoding!r} cannot be read block by block as a text file")
    return encoding


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


# A stream for drift or profile is kept as it is read (see ``kept``), in
# memory up to STREAM_MEMORY and in a temporary file beyond, so a large one
# costs disk, not memory; past STREAM_SPOOL_LIMIT it is refused, so an endless
# stream (``yes``) neither fills the disk nor runs forever. A file is read in
# place, at any size. Compare reads a stream in one pass, keeping at most its
# first REPLAY_BYTES (a first line, or a JSON document, is bounded by
# MAX_JSON_BYTES anyway).
STREAM_MEMORY = 32 << 20
STREAM_SPOOL_LIMIT = 4 << 30
_BLOCK = 1 << 20
REPLAY_BYTES = MAX_JSON_BYTES + _BLOCK


def _show_bytes(n: int) -> str:
    return f"{n >> 30} GiB" if n >= 1 << 30 and not n % (1 << 30) else f"{n >> 20} MiB"


def too_long_to_copy(source: str) -> InputError:
    """The error for a stream longer than STREAM_SPOOL_LIMIT."""
    return InputError(
        f"{source}: a stream longer than {_show_bytes(STREAM_SPOOL_LIMIT)} is not copied "
        "(it is read more than once, or its format needs the whole file)",
        hint="give the data as a file (compressed files are read as they are)",
    )


def open_stream(path: str, source: str, open_stdin: Callable[[], BinaryIO] | None) -> tuple[BinaryIO, bool]:
    """The handle of a stream (standard input or a named one) and whether it is ours to close.

    Standard input that is closed (``<&-``: Python then has no ``sys.stdin``)
    or cannot be opened is an error naming it."""
    if path == "-":
        if open_stdin is None:
            raise UsageError("standard input ('-') is only read by the command line")
        try:
            handle = open_stdin()
        except (AttributeError, OSError, ValueError):  # sys.stdin is None, or its descriptor is gone
            raise InputError(f"{source}: standard input is closed") from None
        if handle is None:
            raise InputError(f"{source}: standard input is closed")
        return handle, False
    try:
        return open(path, "rb"), True
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None


def read_block(handle: BinaryIO, source: str, size: int = _BLOCK) -> bytes:
    """One read of a stream, an OS error turned into a one-line error."""
    try:
        return handle.read(size)
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except ValueError:  # read of a closed file
        raise InputError(f"{source}: standard input is closed") from None


def first_line_too_long(source: str, limit: int) -> InputError:
    return InputError(f"{source}: the first line is longer than {limit >> 20} MiB")
