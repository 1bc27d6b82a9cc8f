"""Compressed sources: gzip, bz2, xz, zip with one member, zstd (the ``zstd`` extra).

``decompressed(open_raw, ...)`` gives a binary file object of the
decompressed bytes; the compression is recognized by magic bytes (see
``registry``), so a gzip file named ``.csv`` or piped to standard input
is read as gzip.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any, BinaryIO

from ..errors import InputError
from .registry import Compression


def open_decompressed(raw: BinaryIO, compression: Compression, source: str) -> BinaryIO:
    """Wrap ``raw`` (positioned at its start) so that reads give the decompressed bytes."""
    try:
        module: Any = importlib.import_module(compression.module)
    except ImportError:
        raise InputError(
            f"{source}: reading {compression.name}-compressed data needs the {compression.module} package",
            hint=f"pip install 'kl-cli[{compression.extra}]'" if compression.extra else None,
        ) from None
    if compression.name == "gzip":
        return module.GzipFile(fileobj=raw, mode="rb")
    if compression.name == "bz2":
        return module.BZ2File(raw, mode="rb")
    if compression.name == "xz":
        return module.LZMAFile(raw, mode="rb")
    if compression.name == "zstd":
        return module.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return _zip_member(module, raw, source)


def _zip_member(zipfile: Any, raw: BinaryIO, source: str) -> BinaryIO:
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{source}: not a readable zip archive: {exc}") from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        names = ", ".join(m.filename for m in members[:5]) or "none"
        raise InputError(f"{source}: a zip archive must hold exactly one file, this one holds {len(members)} ({names})")
    return archive.open(members[0])


def decompression_errors() -> tuple[type[BaseException], ...]:
    """The errors a corrupt compressed stream raises as it is read."""
    import zlib

    errors: list[type[BaseException]] = [EOFError, zlib.error]
    for name, attr in (("gzip", "BadGzipFile"), ("lzma", "LZMAError"), ("zipfile", "BadZipFile")):
        with contextlib.suppress(ImportError, AttributeError):
            errors.append(getattr(importlib.import_module(name), attr))
    with contextlib.suppress(ImportError):
        errors.append(importlib.import_module("zstandard").ZstdError)
    return tuple(errors)
