"""Delimited text (CSV, TSV, semicolon, pipe): the layout of a file, then its cells as text.

The layout is decided once from the head of the file, for every command:

- the delimiter: stated (``--delimiter``), else the one of comma,
  semicolon, tab and pipe that splits the first lines into the same number
  of fields (a ``.tsv`` name prefers tab);
- the header: stated (``--header``/``--no-header``), else a first row whose
  cells read as numbers above numeric columns is data, and the columns are
  named by position "1", "2", ...; a header name that reappears as a value
  in its own column gets a warning naming ``--no-header``.

Cells are then read by pyarrow's CSV reader as text, exactly as written
(the cell rule in ``cells`` types them), in batches, so memory is bounded by
the batch. Every row must have as many fields as the header: a row with
more or fewer is an error naming its line. A one-column file's blank lines
are missing cells; elsewhere blank lines hold no row and are skipped.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, UsageError
from ..text import show_label
from .arrow import TextChunk
from .cells import classify_text
from .source import Source
from .streams import decode, is_utf8

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
# Rows of the head used to decide the delimiter and the header.
SNIFF_ROWS = 50


@dataclass(frozen=True)
class Layout:
    """How a delimited file is laid out."""

    delimiter: str
    header: bool
    names: list[str]  # column names: the header's (trimmed, made distinct) or positions "1", "2", ...
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.names)


def unique_names(names: list[str]) -> list[str]:
    """Repeated column names made distinct the way pandas does: a, a.1, a.2."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[name] = 0
            out.append(name)
    return out


def check_delimiter(value: str | None) -> str | None:
    """The delimiter a user stated: a name (comma, semicolon, tab, pipe) or one character (``\\t`` too)."""
    if value is None:
        return None
    if value.lower() in DELIMITERS:
        return DELIMITERS[value.lower()]
    if value in ("\\t", "\t"):
        return "\t"
    if len(value) != 1 or value in '\r\n"' or value.isalnum():
        raise UsageError(
            f"--delimiter {value!r} is not a delimiter; give one character, or comma, semicolon, tab or pipe"
        )
    return value


def decode_head(source: Source, encoding: str) -> str:
    """The head of the file as text (a character cut at its end is dropped)."""
    return decode(source.head, encoding, source.name, final=len(source.head) < (1 << 16))


def sniff_layout(source: Source, encoding: str, *, delimiter: str | None = None, header: bool | None = None) -> Layout:
    """Decide the delimiter and the header of a delimited file from its head."""
    text = decode_head(source, encoding)
    complete = len(source.head) < (1 << 16)
    if "\x00" in text:
        raise InputError(f"{source.name}: cannot parse as CSV: the text holds a NUL byte")
    if delimiter is None:
        delimiter = _sniff_delimiter(text, complete, prefer_tab=source.format == "tsv")
    rows = _rows(text, delimiter, complete, SNIFF_ROWS + 1)
    if rows is None:
        raise InputError(f"{source.name}: cannot parse as CSV: a quote is not closed within the first 64 KiB")
    rows = [r for r in rows if r]
    if not rows:
        raise InputError(f"{source.name}: the first row is longer than 64 KiB or the file is empty")
    first, rest = rows[0], rows[1 : SNIFF_ROWS + 1]
    notes: list[str] = []
    warnings: list[str] = []
    if header is None:
        header = not _first_row_is_data(first, rest)
        if not header:
            notes.append(
                f"{source.name}: the first row holds numbers above numeric columns, so it is data: "
                "read without a header, columns named by position 1, 2, ... (--header reads it as one)"
            )
    if header:
        names = unique_names([c.strip() for c in first])
        for j, name in enumerate(names):
            if name and any(j < len(r) and r[j].strip() == name for r in rest):
                warnings.append(
                    f"{source.name}: the header {show_label(name)} also appears as a value in its own column; "
                    "if the file has no header row, pass --no-header"
                )
                break
    else:
        names = [str(i + 1) for i in range(len(first))]
    return Layout(delimiter, header, names, notes, warnings)


def _rows(text: str, delimiter: str, complete: bool, limit: int) -> list[list[str]] | None:
    """The first ``limit`` rows of the head (a row cut by the head's end dropped); None when unparsable."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > limit:
                break
    except csv.Error:
        return rows if rows else None
    if not complete and len(rows) <= limit and rows:
        rows = rows[:-1]
    return rows


def _sniff_delimiter(text: str, complete: bool, prefer_tab: bool) -> str:
    """The candidate that splits the first rows into the same number (> 1) of fields."""
    candidates = ["\t", ",", ";", "|"] if prefer_tab else [",", ";", "\t", "|"]
    best, best_score = ("\t" if prefer_tab else ","), 0
    for cand in candidates:
        rows = _rows(text, cand, complete, SNIFF_ROWS)
        widths = [len(r) for r in rows or [] if r]
        if not widths or widths[0] < 2:
            continue
        agree = sum(w == widths[0] for w in widths)
        if agree * 10 >= len(widths) * 9 and agree > best_score:  # nine rows in ten agree
            best, best_score = cand, agree
    return best


def _first_row_is_data(first: list[str], rest: list[list[str]]) -> bool:
    """A first row is data when, in every column whose other cells are numbers,
    it holds a number too (and there is at least one such column)."""
    if not rest:
        return all(classify_text(c)[0] == "number" for c in first if c.strip())
    numeric_columns = []
    for j in range(len(first)):
        kinds = [classify_text(r[j])[0] for r in rest if j < len(r)]
        present = [k for k in kinds if k != "missing"]
        if present and all(k == "number" for k in present):
            numeric_columns.append(j)
    if not numeric_columns:
        return False
    return all(classify_text(first[j])[0] in ("number", "missing") for j in numeric_columns)


def iter_text_chunks(
    source: Source,
    layout: Layout,
    encoding: str,
    chunk_rows: int,
    columns: list[str] | None = None,
    *,
    head_only: bool = False,
) -> Iterator[Any]:
    """The rows as ``TextChunk``s of text cells (at most ``chunk_rows`` rows
    each; only ``columns`` when given), with the layout's column names.
    ``head_only``: the first rows, from the head already read (its complete
    lines), when they parse; else the file as usual."""
    if head_only:
        rows = _head_rows(source, layout, encoding, chunk_rows, columns)
        if rows is not None:
            yield rows
            return
    import pyarrow as pa
    import pyarrow.csv as pv

    wanted = layout.names if columns is None else [c for c in layout.names if c in columns]
    bad: list[Any] = []

    def on_bad_row(row: Any) -> str:
        bad.append(row)
        return "error"

    # Arrow names the columns by position (f0, f1, ...) and the header row, when
    # there is one, is dropped from the first batch: Arrow then parses it with
    # the rows' own quoting rules (a quoted header name may hold a newline).
    positions = [f"f{i}" for i in range(layout.width)]
    by_name = dict(zip(layout.names, positions))
    read_options = pv.ReadOptions(
        autogenerate_column_names=True,
        encoding=_arrow_encoding(encoding),
        block_size=_block_size(chunk_rows, source),
        use_threads=True,
    )
    parse_options = pv.ParseOptions(
        delimiter=layout.delimiter,
        # Quoted newlines force Arrow to split the file on one core; a file
        # without a single quote character cannot have any.
        newlines_in_values=_may_quote(source),
        ignore_empty_lines=layout.width > 1,
        invalid_row_handler=on_bad_row,
    )
    convert_options = pv.ConvertOptions(
        column_types=dict.fromkeys(positions, pa.string()),
        # None of the columns asked for: the first is read for the row count, and dropped.
        include_columns=[by_name[c] for c in wanted or layout.names[:1]],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with source.reading() as handle, contextlib.ExitStack() as stack:
        try:

            def open_reader() -> Any:
                if _parse_whole(source):
                    # A file up to WHOLE_BYTES is parsed at once, on every core
                    # (Arrow's streaming reader parses on one); memory is bounded
                    # by that budget, and larger files stream in batches.
                    table = pv.read_csv(
                        handle,
                        read_options=read_options,
                        parse_options=parse_options,
                        convert_options=convert_options,
                    )
                    return iter(table.to_batches())
                return pv.open_csv(
                    handle, read_options=read_options, parse_options=parse_options, convert_options=convert_options
                )

            pending: list[Any] = []
            held = 0
            skip_header = layout.header
            # Closed explicitly (not left to the garbage collector), so that an
            # interrupt while it stops its thread is raised, never swallowed.
            batches = _prefetched(open_reader, source)
            stack.callback(batches.close)
            for batch in batches:
                if skip_header and batch.num_rows:
                    batch, skip_header = batch.slice(1), False
                pending.append(pa.Table.from_batches([batch]))
                held += batch.num_rows
                while held >= chunk_rows:
                    table = pa.concat_tables(pending)
                    yield _frame(table.slice(0, chunk_rows), wanted, source)
                    rest = table.slice(chunk_rows)
                    pending, held = ([rest] if rest.num_rows else []), rest.num_rows
            if held:
                yield _frame(pa.concat_tables(pending), wanted, source)
        except pa.ArrowKeyError:  # the columns of the head are gone: the file was rewritten
            raise InputError(
                f"{source.name}: changed while it was read", hint="read a copy that is not being written to"
            ) from None
        except pa.ArrowException as exc:
            if bad:
                raise _ragged(source, layout, encoding, bad[0]) from None
            raise _arrow_error(source, exc) from None


_DONE = object()


def _prefetched(open_reader: Callable[[], Any], source: Source, depth: int = 2) -> Iterator[Any]:
    """The batches of ``open_reader()``, opened and parsed by a thread one or two ahead of the consumer.

    The main thread only ever waits on a queue, with a timeout, never inside
    Arrow: Ctrl-C is then seen at once, even while a read is stuck (a slow
    disk, a stalled network file), and parsing overlaps counting."""
    import queue
    import threading

    batches: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in open_reader():
                while not stop.is_set():
                    try:
                        batches.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            batches.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            batches.put(exc)

    worker = threading.Thread(target=produce, name="kl-cli-csv", daemon=True)
    worker.start()
    source.reader_busy = True
    try:
        while True:
            try:
                item = batches.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # The producer sees the flag within 0.1 s unless a read is stuck; it is
        # a daemon thread, so a stuck one never keeps the process alive.
        stop.set()
        worker.join(0.5)
        source.reader_busy = worker.is_alive()


def _head_rows(
    source: Source, layout: Layout, encoding: str, chunk_rows: int, columns: list[str] | None
) -> TextChunk | None:
    """The first rows of the head (at most ``chunk_rows``), or None when the
    head is cut inside a quoted field or holds no whole data row."""
    import pyarrow as pa
    import pyarrow.csv as pv

    head = source.head
    if len(head) >= (1 << 16):
        head = head[: head.rfind(b"\n") + 1]
    wanted = layout.names if columns is None else [c for c in layout.names if c in columns]
    positions = [f"f{i}" for i in range(layout.width)]
    by_name = dict(zip(layout.names, positions))
    try:
        table = pv.read_csv(
            io.BytesIO(head),
            # One thread for 64 KiB: no thread pool is started for a peek (an
            # error found before the full read then exits with no Arrow thread alive).
            read_options=pv.ReadOptions(
                autogenerate_column_names=True, encoding=_arrow_encoding(encoding), use_threads=False
            ),
            parse_options=pv.ParseOptions(
                delimiter=layout.delimiter, newlines_in_values=True, ignore_empty_lines=layout.width > 1
            ),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(positions, pa.string()),
                include_columns=[by_name[c] for c in wanted],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, KeyError):
        return None  # the full read says what is wrong
    if layout.header:
        table = table.slice(1)
    if table.num_rows == 0:
        return None
    return TextChunk(table.slice(0, chunk_rows), wanted)


def _frame(table: Any, names: list[str], source: Source) -> TextChunk:
    if not names and table.num_columns == 1:  # a count of rows only (see iter_text_chunks)
        table = table.select([])
    if table.num_columns != len(names):  # the file was rewritten after its header was read
        raise InputError(f"{source.name}: changed while it was read", hint="read a copy that is not being written to")
    return TextChunk(table, names)


# Plain files up to this size are parsed whole with all cores; larger ones,
# compressed ones and streams are read in batches.
WHOLE_BYTES = 256 << 20


def _may_quote(source: Source) -> bool:
    """Whether the content may hold a quoted field (so a quoted newline): False
    only for a plain file with no quote character anywhere. Read in blocks,
    not mapped: a mapped file's pages would count towards the peak memory."""
    if source.path is None:
        return True
    import os

    try:
        fd = os.open(source.path, os.O_RDONLY)
    except OSError:
        return True
    try:
        while block := os.read(fd, 1 << 20):
            if b'"' in block:
                return True
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _parse_whole(source: Source) -> bool:
    import os

    path = source.path
    return path is not None and os.path.getsize(path) <= WHOLE_BYTES


def _block_size(chunk_rows: int, source: Source) -> int:
    """Bytes Arrow parses at a time. Small and fixed: Arrow's streaming reader
    reads several blocks ahead, so its memory grows with the block (the memory
    benchmark shows it); the batches are then gathered into chunks of
    ``chunk_rows`` rows."""
    return 4 << 20


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if is_utf8(encoding) else encoding


def _ragged(source: Source, layout: Layout, encoding: str, row: Any) -> InputError:
    """The error for a row with too many or too few fields, naming its line."""
    # Found again by reading from the start; a stream read in one pass past its
    # kept head cannot be, and the row is then shown by its text alone.
    line = _line_of(source, layout, encoding) if source.replayable else None
    where = f"line {line}" if line else "a row"
    have = getattr(row, "actual_columns", None)
    text = str(getattr(row, "text", ""))[:60]
    what = "the header has" if layout.header else "the first row has"
    return InputError(
        f"{source.name}: {where} has {have} fields, but {what} {layout.width} ({show_label(text)})",
        hint="every row needs as many fields as the header",
    )


def _line_of(source: Source, layout: Layout, encoding: str) -> int | None:
    """The line number of the first row whose field count differs (found again with the csv module)."""
    enc = "utf-8-sig" if is_utf8(encoding) else encoding
    with source.reading() as handle:
        text = io.TextIOWrapper(handle, encoding=enc, errors="replace", newline="")
        reader = csv.reader(text, delimiter=layout.delimiter)
        start = reader.line_num
        for row in reader:
            if not row and layout.width > 1:
                continue
            if len(row) != layout.width and not (layout.width == 1 and not row):
                return reader.line_num if reader.line_num > start else None
    return None


def _arrow_error(source: Source, exc: Exception) -> InputError:
    message = " ".join(str(exc).split())
    if "UTF8" in message or "utf8" in message.lower():
        return InputError(f"{source.name}: not valid UTF-8 text", hint="pass --encoding, e.g. --encoding latin-1")
    return InputError(f"{source.name}: cannot parse as CSV: {message[:200]}")
