"""Where a dataset's files are: paths, glob patterns and fsspec URLs, expanded to files.

A path that exists is that file, whatever characters it holds. A path
that does not exist and holds a glob character (``*``, ``?``, ``[``) is a
pattern, expanded to its matching files in sorted order (``**`` crosses
folders); a pattern that matches nothing is an error, never an empty
dataset. ``file://`` URLs are local paths. Other URLs (``s3://``, ``gs://``,
``memory://``, ...) are read through fsspec, which the ``dask`` extra
installs (``s3://`` also needs s3fs, and so on for each filesystem).
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from ..errors import InputError
from ..text import visible

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_MAGIC = re.compile(r"[*?\[]")


def is_url(spec: str) -> bool:
    """A URL other than ``file://`` (read through fsspec)."""
    return bool(_URL.match(spec)) and not spec.lower().startswith("file://")


def local_path(spec: str) -> str:
    """A ``file://`` URL as its path; anything else as it is."""
    if not spec.lower().startswith("file://"):
        return spec
    parts = urlsplit(spec)
    if parts.netloc not in ("", "localhost"):
        raise InputError(f"{visible(spec)}: a file:// URL names a file on this machine, not on {parts.netloc!r}")
    return unquote(parts.path)


def expand(specs: list[str]) -> list[str]:
    """Each spec as the files it names, in order: a pattern's matches sorted."""
    out: list[str] = []
    for spec in specs:
        out += expand_one(spec)
    return out


def expand_one(spec: str) -> list[str]:
    if spec == "-":
        return [spec]
    if is_url(spec):
        return _expand_url(spec)
    path = local_path(spec)
    if os.path.lexists(path) or not _MAGIC.search(path):
        return [path]
    matches = sorted(m for m in glob.glob(path, recursive=True) if not os.path.isdir(m))
    if not matches:
        raise InputError(f"{visible(spec)}: no files match")
    return matches


def filesystem(spec: str) -> tuple[Any, str]:
    """fsspec's filesystem of a URL and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise InputError(f"{visible(spec)}: reading a URL needs fsspec", hint="pip install 'kl-cli[dask]'") from None
    try:
        return fsspec.core.url_to_fs(spec)
    except (ImportError, ValueError) as exc:  # a protocol fsspec knows but whose package is missing
        raise InputError(f"{visible(spec)}: {' '.join(str(exc).split())[:200]}") from None


def _expand_url(spec: str) -> list[str]:
    fs, path = filesystem(spec)
    try:
        if not _MAGIC.search(path) or fs.exists(path):
            return [spec]
        matches = sorted(m for m in fs.glob(path) if not fs.isdir(m))
    except OSError as exc:
        raise InputError(f"{visible(spec)}: cannot list: {exc}") from None
    if not matches:
        raise InputError(f"{visible(spec)}: no files match")
    return [fs.unstrip_protocol(m) for m in matches]


def check_url(spec: str, name: str) -> None:
    """A URL that names a readable file (not a folder, not missing)."""
    fs, path = filesystem(spec)
    try:
        if fs.isdir(path):
            raise InputError(f"{name}: is a directory, not a file")
        if not fs.exists(path):
            raise InputError(f"{name}: no such file")
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc}") from None


def open_url(spec: str, name: str) -> BinaryIO:
    """A URL's bytes, seekable (fsspec's buffered file); the caller closes it."""
    fs, path = filesystem(spec)
    try:
        return fs.open(path, "rb")
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc}") from None
