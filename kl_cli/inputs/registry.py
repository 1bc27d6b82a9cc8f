"""The one format registry: how each input format is recognized and which reader reads it.

Recognition order: a stated format (``--input-format`` and the per-side
options) wins; else the content decides (compression and Parquet by their
magic bytes, JSON by its first character, JSON lines by one value per
line); else the extension; else delimited text (CSV, with its delimiter
sniffed). Compression is recognized the same way, by magic bytes first.
A JSON document has a kind: a distribution (``{"family": "normal", ...}``)
or data; ``json_kind`` tells them from the document's bytes, read once.

Adding a format: write its reader as one module in ``inputs/`` (a function
yielding pandas DataFrames of at most ``chunk_rows`` rows), and add one
``Format`` entry below with its extensions and its content test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UsageError


@dataclass(frozen=True)
class Format:
    """A format: its name (what ``--input-format`` takes), its extensions, and whether its cells are text."""

    name: str
    extensions: tuple[str, ...]
    text_cells: bool  # CSV cells are text as written; JSON and Parquet cells carry their types
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", (".csv", ".txt"), True, "delimited text: comma, semicolon, tab or pipe (sniffed or --delimiter)"),
        Format("tsv", (".tsv", ".tab"), True, "tab-separated text"),
        Format("json", (".json",), False, "one JSON document: a distribution, or records (a list of row objects)"),
        Format("jsonl", (".jsonl", ".ndjson"), False, "JSON lines: one object per line"),
        Format("parquet", (".parquet", ".pq"), False, "Apache Parquet (columnar)"),
    )
}
INPUT_FORMATS = tuple(FORMATS)


@dataclass(frozen=True)
class Compression:
    name: str
    magic: bytes
    extensions: tuple[str, ...]
    module: str  # the Python module that decompresses it
    extra: str | None = None  # the kl-cli extra that installs the module, when it is not in the standard library


COMPRESSIONS = (
    Compression("gzip", b"\x1f\x8b", (".gz", ".gzip"), "gzip"),
    Compression("bz2", b"BZh", (".bz2",), "bz2"),
    Compression("xz", b"\xfd7zXZ\x00", (".xz",), "lzma"),
    Compression("zip", b"PK\x03\x04", (".zip",), "zipfile"),
    Compression("zstd", b"\x28\xb5\x2f\xfd", (".zst", ".zstd"), "zstandard", "zstd"),
)
PARQUET_MAGIC = b"PAR1"


def compression_of(head: bytes) -> Compression | None:
    """The compression of a source, by its first bytes (a name can lie)."""
    return next((c for c in COMPRESSIONS if head.startswith(c.magic)), None)


def inner_name(name: str | None) -> str | None:
    """A compressed file's name without its compression extension: data.csv.gz -> data.csv."""
    if not name:
        return name
    root, ext = os.path.splitext(name)
    if any(ext.lower() in c.extensions for c in COMPRESSIONS):
        return root
    return name


def check_format(stated: str | None, option: str = "--input-format") -> str | None:
    if stated is None:
        return None
    name = stated.lower().strip()
    if name not in FORMATS:
        raise UsageError(f"{option} {stated!r} is not a format kl-cli reads; choose one of {', '.join(FORMATS)}")
    return name


def recognize(head: bytes, name: str | None, stated: str | None = None) -> str:
    """The format of (decompressed) content: stated, else by content, else by extension, else csv.

    ``head`` is the first bytes of the content (a few KiB).

    >>> recognize(b'{"a": 1}\\n{"a": 2}\\n', None), recognize(b"a,b\\n1,2\\n", "x.json", "csv")
    ('jsonl', 'csv')
    """
    if stated is not None:
        return stated
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    ext = os.path.splitext(inner_name(name) or "")[1].lower()
    by_ext = next((f.name for f in FORMATS.values() if ext in f.extensions), None)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"[":
        return "json"
    if text[:1] == b"{":
        return _json_or_lines(text, by_ext)
    if by_ext in ("json", "jsonl", "parquet"):
        return by_ext  # content that does not look so: its reader says what is wrong
    return "tsv" if by_ext == "tsv" else "csv"


# The key that makes a JSON document a parametric distribution rather than data.
DISTRIBUTION_KEY = b'"family"'


def json_kind(document: bytes) -> str:
    """``distribution`` for a JSON document that names a family (``{"family":
    "normal", "mu": 0, "sigma": 1}``; its parser makes sure), else ``data``."""
    return "distribution" if DISTRIBUTION_KEY in document else "data"


def _json_or_lines(text: bytes, by_ext: str | None) -> str:
    """JSON lines when the first line is one whole object and another object
    follows on the next line; one object alone goes by the extension."""
    import json

    lines = text.split(b"\n", 2)
    try:
        first = json.loads(lines[0])
    except (ValueError, RecursionError):
        return "json"  # a document spread over lines (its reader says what is wrong)
    if not isinstance(first, dict):
        return "json"
    if len(lines) > 1 and lines[1].strip()[:1] == b"{":
        return "jsonl"
    return "jsonl" if by_ext == "jsonl" else "json"  # a dataset reads a lone object as one row
