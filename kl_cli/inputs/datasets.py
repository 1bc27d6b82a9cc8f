"""Datasets for drift and profile: whole tables read in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..errors import InputError
from .delimited import iter_text_chunks, sniff_layout
from .jsonrows import json_chunks
from .kept import Kept, spool_stream
from .parquet import UNCOUNTABLE, check_column_type, countable_type, plain_batch
from .source import Source
from .streams import (
    MAX_FIRST_LINE,
    decode_error,
    is_stream,
    is_utf8,
    text_encoding,
)

DEFAULT_CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class TableOptions:
    """How to read a table: its text encoding, and what the user stated of its layout."""

    encoding: str = "utf-8"
    input_format: str | None = None
    delimiter: str | None = None
    header: bool | None = None

    @classmethod
    def stated(
        cls, encoding: str, input_format: str | None, delimiter: str | None, header: bool | None
    ) -> TableOptions:
        """From what the user stated, checked (a format kl-cli reads, a delimiter)."""
        from .delimited import check_delimiter
        from .registry import check_format

        return cls(text_encoding(encoding), check_format(input_format), check_delimiter(delimiter), header)


# Set in the ``attrs`` of the chunks of delimited text: their cells are text
# as written, typed by the cell rule; JSON and Parquet cells carry their own types.
TEXT_CELLS = "kl_cli.text_cells"


def cells_are_text(frame: Any) -> bool:
    return bool(frame.attrs.get(TEXT_CELLS, False))


# Set in the ``attrs`` of every chunk read from a file: the file's name, for
# messages about its cells (one file of a dataset of several).
SOURCE_NAME = "kl_cli.source"


def chunk_source(frame: Any, default: str) -> str:
    """The name of the file a chunk came from (``default`` for a DataFrame)."""
    return str(frame.attrs.get(SOURCE_NAME, default))


# Set in the ``attrs`` of chunks read with only some columns: the names of
# all the file's columns (a column not read is still known to exist).
ALL_COLUMNS = "kl_cli.all_columns"


def all_columns(frame: Any) -> list[str]:
    """Every column of the file a chunk came from, read or not."""
    every = frame.attrs.get(ALL_COLUMNS)
    return list(frame.columns) if every is None else list(every)


def iter_dataset(
    path: str,
    source: str,
    *,
    encoding: str = "utf-8",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    open_stdin: Callable[[], BinaryIO] | None = None,
    columns: list[str] | None = None,
    spooled: Kept | None = None,
    table: TableOptions | None = None,
    messages: list[tuple[str, str]] | None = None,
    peek: bool = False,
    src: Source | None = None,
    row_groups: list[int] | None = None,
    allow_empty: bool = False,
) -> Any:
    """Yield the rows of a table in any format as DataFrames of at most
    ``chunk_rows`` rows (only ``columns``, when given, are read), so memory is
    bounded by the chunk, not the file. ``spooled``: a stream's kept copy (see
    ``kept``). ``peek``: only the first rows are wanted (delimited text then
    parses only the head it sniffed). Layout notes and warnings (a headerless file) are appended
    to ``messages`` as ("note" | "warning", text). ``src``: the source already
    opened (compare keeps one per side, a stream read in one pass among them).
    ``row_groups``: of a Parquet file, only these (a partition's).
    ``allow_empty``: a file without data rows yields nothing (one file of
    several), instead of being an error.

    Errors (missing file, bad encoding, malformed rows) are ``InputError``s
    naming the source.
    """
    table = table or TableOptions(encoding=encoding)
    if src is None:
        src = Source(path, source, stated=table.input_format, open_stdin=open_stdin, spooled=spooled)
    fmt = src.format
    any_rows = False
    every: list[str] = []
    if fmt == "parquet":
        chunks: Iterator[Any] = _parquet_chunks(src, chunk_rows, columns, peek, row_groups)
    elif fmt in ("csv", "tsv"):
        if not src.first_line_ends():
            raise InputError(f"{source}: the first line is longer than {MAX_FIRST_LINE >> 20} MiB")
        delimiter = table.delimiter or ("\t" if fmt == "tsv" and table.input_format == "tsv" else None)
        layout = sniff_layout(src, table.encoding, delimiter=delimiter, header=table.header)
        if messages is not None:
            messages += [("note", n) for n in layout.notes] + [("warning", w) for w in layout.warnings]
        chunks = iter_text_chunks(src, layout, table.encoding, chunk_rows, columns, head_only=peek)
        every = layout.names
    else:
        if src.head[:2] in (b"\xff\xfe", b"\xfe\xff") and is_utf8(table.encoding):
            raise InputError(f"{source}: the file is UTF-16 text, not UTF-8", hint="pass --encoding utf-16")
        chunks = json_chunks(src, chunk_rows, table.encoding, fmt)
    # Closed explicitly, never left to the garbage collector: an interrupt
    # while a reader thread stops is then raised, not swallowed.
    decoded = _decoding_errors(chunks, source, table.encoding)
    try:
        for chunk in decoded:
            any_rows = any_rows or len(chunk) > 0
            if columns is not None and fmt in ("json", "jsonl"):
                every = list(chunk.columns)
                chunk = chunk[[c for c in chunk.columns if c in columns]]
            if columns is not None and fmt != "parquet":  # Parquet's come from its schema
                chunk.attrs[ALL_COLUMNS] = every
            chunk.attrs[TEXT_CELLS] = fmt in ("csv", "tsv")
            chunk.attrs[SOURCE_NAME] = source
            yield chunk
    finally:
        decoded.close()
    if not any_rows and not allow_empty:
        raise no_rows(source)


def no_rows(source: str) -> InputError:
    """The error of a dataset without a single data row."""
    return InputError(f"{source}: has no data rows")


def empty_file_note(source: str) -> tuple[str, str]:
    """The note on one file of several that holds no data rows."""
    return ("note", f"{source}: has no data rows (the other files are counted)")


def _decoding_errors(chunks: Iterator[Any], source: str, encoding: str) -> Iterator[Any]:
    """Text that does not decode, whichever reader found it, as one line naming the source."""
    try:
        yield from chunks
    except UnicodeError as exc:
        raise decode_error(exc, source, encoding) from None


def _import_parquet() -> Any:
    import pyarrow.parquet as pq

    return pq


# Rows Arrow is asked for at a time, whatever --chunk-rows says (Arrow takes
# an int64; chunks are "at most chunk_rows" rows, so a smaller batch is one).
MAX_BATCH_ROWS = 1 << 30


def _parquet_chunks(
    src: Source,
    chunk_rows: int,
    columns: list[str] | None = None,
    peek: bool = False,
    row_groups: list[int] | None = None,
) -> Any:
    """A Parquet file's batches as DataFrames. ``peek`` (compare choosing its
    columns): a column that cannot be counted is only refused when it is read
    for good, and shows as empty until then."""
    source = src.name
    try:
        pq = _import_parquet()
    except ImportError:
        raise InputError(f"{source}: reading Parquet needs pyarrow", hint="pip install 'kl-cli[parquet]'") from None
    handle = src.seekable_copy()
    try:
        parquet = pq.ParquetFile(handle)
        schema = parquet.schema_arrow
        present = [c for c in schema.names if c in columns] if columns is not None else None
        for name in present if present is not None else schema.names:
            check_column_type(schema.field(name).type, name, source, peek)
        uncountable = [n for n in (present or schema.names) if not countable_type(schema.field(n).type)]
        batches = parquet.iter_batches(
            batch_size=min(chunk_rows, MAX_BATCH_ROWS), columns=present, row_groups=row_groups
        )
        for batch in batches:
            frame = plain_batch(batch, source, peek).to_pandas()
            frame.attrs[UNCOUNTABLE] = uncountable
            if present is not None:
                frame.attrs[ALL_COLUMNS] = list(schema.names)
            yield frame
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises its own error classes
        raise InputError(f"{source}: cannot read Parquet: {' '.join(str(exc).split())[:200]}") from None
    finally:
        handle.close()


# A source of data chunks that can be read more than once: called with the
# columns wanted (None for all), it returns a fresh iterator of DataFrames.
Frames = Callable[[list[str] | None], Iterable[Any]]


def frames_of(
    paths: list[Any],
    progress: Callable[[str, int], None] | None = None,
    messages: list[tuple[str, str]] | None = None,
    spooled: dict[str, Kept] | None = None,
    **kwargs: Any,
) -> Frames:
    """A re-readable source of the chunks of several data files, one after
    another; ``progress(source, rows so far)`` is called after each chunk.
    A stream (stdin, a FIFO) is kept as it is read (``spool_stream``) for
    later passes; ``spooled`` holds the streams a caller already began to read."""
    held: dict[str, Kept] = dict(spooled or {})
    passes = 0

    def frames(columns: list[str] | None) -> Iterator[Any]:
        nonlocal passes
        passes += 1
        first_pass = passes == 1  # layout notes are gathered once, not per pass
        total = 0
        for path in paths:
            if not isinstance(path, str):
                # A pandas DataFrame: string cells follow the text rule (read_csv(dtype=str)
                # holds text as written), typed cells keep their types.
                frame = path.copy(deep=False)
                frame.columns = [str(c) for c in frame.columns]
                if columns is not None:
                    every = list(frame.columns)
                    frame = frame[[c for c in frame.columns if c in columns]]
                    frame.attrs[ALL_COLUMNS] = every
                frame.attrs[TEXT_CELLS] = True
                total += len(frame)
                yield frame
                continue
            source = path if path != "-" else "stdin"
            if path not in held and is_stream(path):
                held[path] = spool_stream(path, source, kwargs.get("open_stdin"))
            rows = 0
            notes = messages if first_pass else None
            chunks = iter_dataset(
                path, source, columns=columns, spooled=held.get(path), messages=notes, allow_empty=several, **kwargs
            )
            try:
                for chunk in chunks:
                    rows += len(chunk)
                    if progress is not None:
                        progress(source, rows)
                    yield chunk
            finally:
                chunks.close()
            if rows == 0 and first_pass and messages is not None:
                messages.append(empty_file_note(source))
            total += rows
        if several and total == 0:
            raise no_rows(", ".join("stdin" if p == "-" else str(p) for p in paths))

    several = len(paths) > 1
    return frames
