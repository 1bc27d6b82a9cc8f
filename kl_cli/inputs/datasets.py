"""Datasets for drift and profile: whole tables read in chunks."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from ..errors import InputError
from ..text import show_label
from ..vocabulary import MISSING_SPELLINGS
from .parse_errors import pandas_read_errors, unique_names
from .streams import MAX_FIRST_LINE, is_stream, spool_stream

DATASET_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DEFAULT_CHUNK_ROWS = 1_000_000


# Set in the ``attrs`` of the chunks of CSV/TSV files: their cells are text as
# written, so any cell that reads as a number is one (``profile.typed_cells``);
# JSON and Parquet cells carry their own types.
TEXT_CELLS = "kl_cli.text_cells"


def cells_are_text(frame: Any) -> bool:
    return bool(frame.attrs.get(TEXT_CELLS, False))


def dataset_format(path: str, head: bytes) -> str:
    """csv, tsv, jsonl or parquet: by extension, else by the first bytes."""
    ext = os.path.splitext(path)[1].lower()
    if ext in DATASET_FORMATS:
        return DATASET_FORMATS[ext]
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"{":
        return "jsonl"
    first = text.split(b"\n", 1)[0]
    return "tsv" if b"\t" in first and b"," not in first else "csv"


def iter_dataset(
    path: str,
    source: str,
    *,
    encoding: str = "utf-8",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    open_stdin: Callable[[], BinaryIO] | None = None,
    columns: list[str] | None = None,
    spooled: BinaryIO | None = None,
) -> Any:
    """Yield the rows of a CSV/TSV/JSON-lines/Parquet file as DataFrames of at
    most ``chunk_rows`` rows, so memory is bounded by the chunk, not the file.
    ``spooled``: a stream's copy from ``spool_stream`` (read from its start);
    a stream not yet copied is copied here.

    Errors (missing file, bad encoding, malformed rows) are ``InputError``s
    naming the source.
    """
    import pandas as pd

    if spooled is None and is_stream(path):
        spooled = spool_stream(path, source, open_stdin)
    if spooled is not None:
        spooled.seek(0)
        head = spooled.read(4096)
        spooled.seek(0)
        fmt = dataset_format("" if path == "-" else path, head)
        first_line_ends = True  # checked as it was copied
        handle: Any = spooled
    else:
        if os.path.isdir(path):
            raise InputError(f"{source}: is a directory, not a file")
        try:
            with open(path, "rb") as probe:
                head = probe.read(4096)
                fmt = dataset_format(path, head)
                first_line_ends = fmt == "parquet" or b"\n" in head or _line_ends_within(probe, MAX_FIRST_LINE)
        except OSError as exc:
            raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from None
        handle = path
    if not head.strip():
        raise InputError(f"{source}: the file is empty")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        raise InputError(f"{source}: the file is UTF-16 text, not UTF-8", hint="pass --encoding utf-16")
    if not first_line_ends:
        raise InputError(f"{source}: the first line is longer than {MAX_FIRST_LINE >> 20} MiB")
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    with pandas_read_errors(source, fmt.upper(), encoding):
        if fmt == "parquet":
            yield from _parquet_chunks(handle, source, chunk_rows, columns)
            return
        sep = "\t" if fmt == "tsv" else ","
        wanted = None  # the positions and names of the columns asked for
        if fmt == "jsonl":
            reader = contextlib.closing(_jsonl_chunks(handle, source, chunk_rows, encoding))
        else:
            if columns is not None:
                header = pd.read_csv(handle, sep=sep, nrows=0, encoding=encoding, skipinitialspace=True).columns
                if not isinstance(handle, str):
                    handle.seek(0)
                names = _column_names(header)
                wanted = [(i, name) for i, name in enumerate(names) if name in columns]
            reader = pd.read_csv(
                handle,
                sep=sep,
                chunksize=chunk_rows,
                encoding=encoding,
                keep_default_na=False,
                na_values=list(MISSING_SPELLINGS),
                skipinitialspace=True,
                low_memory=False,
                usecols=None if wanted is None else [i for i, _ in wanted],
            )
        with reader as chunks:
            any_rows = False
            for chunk in chunks:
                any_rows = any_rows or len(chunk) > 0
                if fmt != "jsonl":  # JSON keys are exact; CSV header names are trimmed
                    chunk.columns = _column_names(chunk.columns) if wanted is None else [name for _, name in wanted]
                if columns is not None and fmt == "jsonl":
                    chunk = chunk[[c for c in chunk.columns if c in columns]]
                chunk.attrs[TEXT_CELLS] = fmt != "jsonl"
                yield chunk
        if not any_rows:
            raise InputError(f"{source}: has no data rows")


def _column_names(header: Any) -> list[str]:
    """Header names trimmed; names equal once trimmed are made distinct as
    pandas does exact repeats (a, a.1), by position, so every pass agrees."""
    return unique_names([str(c).strip() for c in header])


def _jsonl_chunks(handle: Any, source: str, chunk_rows: int, encoding: str) -> Iterator[Any]:
    """JSON lines as DataFrames of ``chunk_rows`` rows. Every line must be a
    JSON object whose values are numbers, strings, booleans or null (the
    cells that can be counted); blank lines are skipped. Parsed as strictly
    as JSON elsewhere: no NaN/Infinity tokens."""

    decoder = json.JSONDecoder(parse_constant=_no_constant)  # numbers stay on the C fast path
    raw = open(handle, "rb") if isinstance(handle, str) else handle  # noqa: SIM115 (closed below)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        rows: list[dict[str, Any]] = []
        for number, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                row = _decode_line(decoder, line)
            except RecursionError:
                raise InputError(f"{source}: line {number}: JSON is nested too deeply") from None
            except _BadNumber as exc:
                raise InputError(f"{source}: line {number}: {exc}") from None
            except ValueError as exc:  # JSONDecodeError included
                raise InputError(f"{source}: line {number}: malformed JSON: {exc}") from None
            if type(row) is not dict or not all(map(_countable, row.values())):
                _refuse_row(row, f"{source}: line {number}")
            rows.append(row)
            if len(rows) == chunk_rows:
                yield _frame_of(rows)
                rows = []
        if rows:
            yield _frame_of(rows)
    finally:
        text.detach()  # a handle given to us (a spooled stream) stays open for the next pass
        if raw is not handle:
            raw.close()


def _decode_line(decoder: json.JSONDecoder, line: str) -> Any:
    """One JSON document on a line: the C scanner directly (the public decode
    adds two regular-expression matches per line), the full decoder only to
    word the error when there is one."""
    text = line.strip()
    try:
        value, end = decoder.scan_once(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        return decoder.decode(text)  # raises the JSONDecodeError that says what is wrong
    return value


_FLOAT_MAX_INT = int(sys.float_info.max)


def _countable(value: Any) -> bool:
    """A JSON cell that can be counted: a number within the float range (the
    parser turns 1e400 into inf), a string, a boolean or null."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return -_FLOAT_MAX_INT <= value <= _FLOAT_MAX_INT
    return kind is str or kind is bool or value is None


def _refuse_row(row: Any, where: str) -> None:
    """Say what is wrong with a row that is not an object of countable cells."""
    if not isinstance(row, dict):
        kind = "a JSON array" if isinstance(row, list) else f"{json.dumps(row)[:20]!r}"
        raise InputError(f"{where} is {kind}, not an object: JSON lines hold one object per line")
    for key, value in row.items():
        if isinstance(value, (dict, list)):
            kind = "object" if isinstance(value, dict) else "array"
            raise InputError(
                f"{where}: field {show_label(key)} holds a JSON {kind}; "
                "only numbers, strings, booleans and null can be counted"
            )
        if not _countable(value):
            raise InputError(f"{where}: field {show_label(key)} holds a number beyond the range of a float")


def _frame_of(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows, index=pd.RangeIndex(len(rows)))  # the index keeps rows that are {}


class _BadNumber(ValueError):
    pass


def _no_constant(token: str) -> Any:
    raise _BadNumber(f"{token} is not a number JSON allows")


def _line_ends_within(handle: Any, limit: int) -> bool:
    """Whether a newline comes within ``limit`` bytes from here (read in blocks)."""
    seen = 0
    while seen < limit:
        block = handle.read(1 << 20)
        if not block:
            return True  # the file ends: its last line ends with it
        if b"\n" in block:
            return True
        seen += len(block)
    return False


def _import_parquet() -> Any:
    import pyarrow.parquet as pq

    return pq


def _parquet_chunks(handle: Any, source: str, chunk_rows: int, columns: list[str] | None = None) -> Any:
    try:
        pq = _import_parquet()
    except ImportError:
        raise InputError(f"{source}: reading Parquet needs pyarrow", hint="pip install 'kl-cli[parquet]'") from None
    try:
        parquet = pq.ParquetFile(handle)
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()
    except Exception as exc:  # pyarrow raises its own error classes
        raise InputError(f"{source}: cannot read Parquet: {exc}") from None


# A source of data chunks that can be read more than once: called with the
# columns wanted (None for all), it returns a fresh iterator of DataFrames.
Frames = Callable[[list[str] | None], Iterable[Any]]


def frames_of(paths: list[str], progress: Callable[[str, int], None] | None = None, **kwargs: Any) -> Frames:
    """A re-readable source of the chunks of several data files, one after
    another; ``progress(source, rows so far)`` is called after each chunk.
    A stream (stdin, a FIFO) is copied once (``spool_stream``) for later passes."""
    held: dict[str, BinaryIO] = {}

    def frames(columns: list[str] | None) -> Iterator[Any]:
        for path in paths:
            source = path if path != "-" else "stdin"
            if path not in held and is_stream(path):
                held[path] = spool_stream(path, source, kwargs.get("open_stdin"))
            rows = 0
            for chunk in iter_dataset(path, source, columns=columns, spooled=held.get(path), **kwargs):
                rows += len(chunk)
                if progress is not None:
                    progress(source, rows)
                yield chunk

    return frames
