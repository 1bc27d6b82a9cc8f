"""Every input into a ``Histogram``: inline lists, CSV, TSV, JSON, stdin, Python objects.

One entry point per use: ``load_pair`` for the CLI's P and Q arguments and
``to_histogram`` for the Python API. Readers never compute divergences.
pandas is imported only when a table has to be parsed.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import math
import numbers
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

import numpy as np

from .binning import MISSING
from .distribution import Histogram, count_observations, make_histogram, show_label, sum_by_label
from .errors import InputError, UsageError

TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
KNOWN_EXTENSIONS = (".csv", ".tsv", ".tab", ".json")


@dataclass(frozen=True)
class ReadOptions:
    """How to find the values in a table, and how to decode text."""

    column: str | None = None
    p_column: str | None = None
    q_column: str | None = None
    label_column: str | None = None
    encoding: str = "utf-8"

    def value_column(self, role: str) -> str | None:
        own = self.p_column if role == "P" else self.q_column
        return own if own is not None else self.column


# ---------------------------------------------------------------------------
# Inline syntax: 0.7,0.3 or rain=0.7,dry=0.3


class InlineSyntaxError(InputError):
    """The text is not inline-list syntax at all (as opposed to bad values)."""


def split_inline(text: str, source: str) -> tuple[list[float], list[str] | None]:
    """The numbers and labels (``None`` when unlabelled) of an inline list."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip():
        raise InlineSyntaxError(f"{source}: empty list")
    labelled = ["=" in item for item in items]
    if any(labelled) and not all(labelled):
        i = labelled.index(False) if labelled[0] else labelled.index(True)
        raise InlineSyntaxError(
            f"{source}: item {i + 1} ({items[i]!r}) mixes labelled and unlabelled items",
            hint="label every item, like rain=0.7,dry=0.3, or none, like 0.7,0.3",
        )
    labels: list[str] | None = [] if all(labelled) else None
    values: list[float] = []
    for i, item in enumerate(items):
        if labels is not None:
            label, _, number = item.partition("=")
            label = label.strip()
            if not label:
                raise InlineSyntaxError(f"{source}: item {i + 1} ({item!r}) has no label before '='")
            labels.append(label)
            item = number.strip()
        if not item:
            raise InlineSyntaxError(f"{source}: item {i + 1} is empty")
        try:
            values.append(float(item))
        except ValueError:
            raise InlineSyntaxError(f"{source}: item {i + 1}: {show_label(item)} is not a number") from None
    return values, labels


def parse_number(text: str, where: str) -> float:
    """A finite float from text, or an ``InputError`` that quotes the text."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {show_label(text)} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: {show_label(text)} is not a finite number")
    return value


# ---------------------------------------------------------------------------
# Bytes into text


def decode(data: bytes, encoding: str, source: str, partial: bool = False, final: bool = True) -> str:
    """Decode bytes; a UTF-8 byte-order mark is dropped, CRLF is left to the parsers.
    ``partial``: the bytes are the head of a file, only to be sniffed (bad
    bytes are replaced); ``final`` False: more bytes follow, so a character
    cut at the end is not an error."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise InputError(f"{source}: the file is UTF-16 text, not UTF-8", hint="pass --encoding utf-16")
        encoding = "utf-8-sig"
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace" if partial else "strict")
        return decoder.decode(data, final=final)
    except LookupError:
        raise UsageError(f"unknown --encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise InputError(
            f"{source}: not valid {exc.encoding} text (byte 0x{byte:02x} at offset {exc.start})",
            hint="pass --encoding, e.g. --encoding latin-1",
        ) from None
    except UnicodeError as exc:  # e.g. 'UTF-16 stream does not start with BOM'
        raise InputError(f"{source}: not {encoding} text: {exc}", hint=_byte_order_hint(encoding)) from None


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
    Such a source is read once (``read_stream``, ``spool_stream``), never
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


def read_stream(path: str, source: str, open_stdin: Callable[[], BinaryIO] | None) -> bytes:
    """All the bytes of a stream (see ``is_stream``), read once; its first
    line must end within MAX_JSON_BYTES (a one-line JSON document can be that long)."""
    return b"".join(_stream_blocks(path, source, open_stdin, MAX_JSON_BYTES))


def spool_stream(path: str, source: str, open_stdin: Callable[[], BinaryIO] | None) -> BinaryIO:
    """A stream copied once into a seekable file (memory, then disk), to be
    read as often as needed; its first line must end within MAX_FIRST_LINE."""
    import tempfile  # only here: 6 ms of imports that compare's start-up need not pay

    spool: BinaryIO = io.BytesIO()
    try:
        for block in _stream_blocks(path, source, open_stdin, MAX_FIRST_LINE):
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


def sniff_format(path: str | None, text: str) -> str:
    """'json', 'tsv' or 'csv': by extension, else by content.

    Content rule (as sqlite-utils does): a leading ``[`` or ``{`` means JSON;
    a tab and no comma in the first line means TSV; otherwise CSV.
    """
    if path is not None:
        ext = os.path.splitext(path)[1].lower()
        if ext == ".json":
            return "json"
        if ext in TABLE_SEPARATORS:
            return "tsv" if TABLE_SEPARATORS[ext] == "\t" else "csv"
    head = text.lstrip()
    if head[:1] in ("[", "{"):
        return "json"
    first = head.split("\n", 1)[0]
    return "tsv" if "\t" in first and "," not in first else "csv"


# ---------------------------------------------------------------------------
# JSON


def parse_json_text(text: str, source: str) -> Any:
    """Strict JSON: NaN/Infinity tokens and deep nesting are input errors."""

    def reject_constant(token: str) -> Any:
        raise InputError(f"{source}: {token} is not a number JSON allows")

    try:
        return json.loads(text, parse_constant=reject_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{source}: JSON is nested too deeply") from None


class DuplicateKeys(dict):
    """A JSON object that repeated a key: ``pairs`` keeps every (key, value),
    so a distribution can sum the repeats (and say so) rather than keep the last."""

    pairs: list[tuple[str, Any]]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    dup = DuplicateKeys(obj)
    dup.pairs = pairs
    return dup


def json_pair(value: Any) -> bool:
    """True for the ``{"p": ..., "q": ...}`` form holding both distributions."""
    return (
        isinstance(value, dict)
        and set(value) == {"p", "q"}
        and all(isinstance(v, (list, dict)) for v in value.values())
    )


def histogram_from_json(value: Any, source: str) -> Histogram:
    """A list of numbers, a list of strings (observations) or {label: number}."""
    if isinstance(value, dict):
        if not value:
            raise InputError(f"{source}: empty JSON object")
        pairs = value.pairs if isinstance(value, DuplicateKeys) else list(value.items())
        numbers = [_json_number(v, f"{source}: label {show_label(k)}") for k, v in pairs]
        return make_histogram(numbers, [k for k, _ in pairs], source)
    if isinstance(value, list):
        if not value:
            raise InputError(f"{source}: empty JSON list")
        if all(isinstance(v, str) for v in value):
            return count_observations(value, source)
        numbers = [_json_number(v, f"{source}: item {i + 1}") for i, v in enumerate(value)]
        return make_histogram(numbers, None, source)
    raise InputError(
        f"{source}: JSON must be a list of numbers, a list of strings or an object of label: number, "
        f"not {type(value).__name__}"
    )


def _json_number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        shown = "null (empty)" if v is None else json.dumps(v)[:40]
        raise InputError(f"{where}: {shown} is not a number")
    try:
        return float(v)
    except OverflowError:
        raise InputError(f"{where}: {str(v)[:40]} is too large") from None


# ---------------------------------------------------------------------------
# Tables (CSV/TSV)


# Columns are classified from the first rows: enough to tell numbers from
# text, and the big read then parses only the columns that are used.
PEEK_ROWS = 2_000


# The head of a table read to find its columns and classify them: up to
# PEEK_ROWS rows within the first PEEK_BYTES bytes. A file that fits is read
# whole from it; a larger one has its used columns read afterwards.
PEEK_BYTES = 1 << 20
# A JSON document is parsed whole into Python objects (tens of bytes per
# number), so its size is capped; big data belongs in CSV.
MAX_JSON_BYTES = 64 << 20
# A dataset's first line (the CSV header, or the first JSON-lines record)
# must end within this many bytes; a longer one is not data we can count.
MAX_FIRST_LINE = 16 << 20


class TableSource:
    """A CSV/TSV source: its header and first rows, read at once with the
    standard csv module (no pandas import for that); whole columns read
    later, once, and only those that are used.

    Cells are kept as text; numbers are parsed by ``histogram_from_table``
    so that a bad cell can be reported with its line.
    """

    def __init__(self, name: str, sep: str, encoding: str, path: str | None = None, text: str | None = None) -> None:
        self.name = name
        self.sep = sep
        self.encoding = encoding
        self.path = path
        self.text = text
        self._full: dict[str, Any] = {}
        head, self._complete = self._head()
        try:
            rows = [row for row in csv.reader(io.StringIO(head), delimiter=sep) if row]
        except csv.Error as exc:  # a NUL byte, a stray carriage return, a giant field
            kind = "TSV" if sep == "\t" else "CSV"
            raise InputError(f"{name}: cannot parse as {kind}: {exc}") from None
        # Lines up to the header's: the whole-column reads skip them.
        lines = head.splitlines()
        self._header_lines = next((i + 1 for i, line in enumerate(lines) if line.strip()), 1)
        if not self._complete:
            rows = rows[:-1]  # the last row may be cut off
        if not rows:
            raise InputError(f"{name}: the file is empty" if self._complete else f"{name}: the header row is too long")
        self.raw_columns = rows[0]
        self.columns = _unique_names([c.strip() for c in rows[0]])
        data = rows[1 : PEEK_ROWS + 1]
        if self._complete and len(rows) - 1 > PEEK_ROWS:
            data = rows[1:]  # a small file: every row is here already
        if not data:
            if self._complete:
                raise InputError(f"{name}: has a header row but no data rows")
            raise InputError(f"{name}: the first data row is longer than {PEEK_BYTES} bytes")
        width = len(self.columns)
        for i, row in enumerate(data):
            if len(row) > width:
                raise InputError(f"{name}: line {i + 2} has {len(row)} fields, but the header has {width}")
        self.peek = {c: [row[j] if j < len(row) else "" for row in data] for j, c in enumerate(self.columns)}
        self._complete = self._complete and len(data) == len(rows) - 1

    def _head(self) -> tuple[str, bool]:
        """The first PEEK_BYTES of text, and whether that is all of it."""
        if self.text is not None:
            return self.text, True
        assert self.path is not None
        with open(self.path, "rb") as handle:
            data = handle.read(PEEK_BYTES + 1)
        complete = len(data) <= PEEK_BYTES
        return decode(data[:PEEK_BYTES], self.encoding, self.name, final=complete), complete

    def _read(self, usecols: list[str], as_text: set[str]) -> Any:
        """Read whole columns with pandas: those in ``as_text`` as text, the
        others with pandas' own (fast) parsing; ``usecols`` are returned."""
        import pandas as pd

        src: Any = self.path if self.path is not None else io.StringIO(self.text or "")
        # Every column is parsed, not only those used: with usecols pandas
        # would silently cut rows that have more fields than the header.
        with pandas_read_errors(self.name, "TSV" if self.sep == "\t" else "CSV", self.encoding):
            frame = pd.read_csv(
                src,
                sep=self.sep,
                header=None,
                skiprows=self._header_lines,
                names=self.columns,
                dtype={c: str for c in as_text},
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                encoding=self.encoding,
            )
        return frame[[c for c in self.columns if c in set(usecols)]]

    def column(self, name: str, needed: list[str], as_text: set[str] | frozenset[str] = frozenset()) -> Any:
        """The whole column ``name`` as a pandas Series; the first call reads
        all ``needed`` columns.

        Columns in ``as_text`` (labels) are kept as text; the others are
        parsed by pandas, which is twice as fast as text for large files, and
        come back as numbers or as text when they are not all numbers.
        """
        import pandas as pd

        if self._complete:
            return pd.Series(self.peek[name], dtype=object, name=name)
        if name not in self._full:
            frame = self._read(sorted(set(needed) | {name}), set(as_text) & (set(needed) | {name}))
            self._full.update({c: frame[c] for c in frame.columns})
        return self._full[name]

    def count_text(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct cell of a column, exactly as written, and how often
        it occurs. A large file is counted by pyarrow when it is installed
        (1.6x faster than pandas here, see benchmarks/), else by pandas."""
        if self._complete:
            counts = Counter(self.peek[name])
            return np.array(list(counts), dtype=object), np.array(list(counts.values()), dtype=np.float64)
        counted = self._count_with_pyarrow(name)
        if counted is not None:
            return counted
        raw = self.column(name, [name])
        if not _is_text(raw):  # pandas read numbers: re-read as text, exactly as written
            raw = self._read([name], {name})[name]
        series = raw.value_counts(sort=False)
        self.release(name)
        return series.index.to_numpy(dtype=object), series.to_numpy(dtype=np.float64)

    def _count_with_pyarrow(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Count with pyarrow's CSV reader; None when it is not installed or
        does not read the file the way pandas would (then pandas decides)."""
        raw_name = self.raw_columns[self.columns.index(name)]
        if self.path is None or self.raw_columns.count(raw_name) > 1:
            return None
        try:
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.csv as pv
        except ImportError:
            return None
        try:
            table = pv.read_csv(
                self.path,
                read_options=pv.ReadOptions(encoding=_arrow_encoding(self.encoding)),
                # Any row pyarrow finds invalid (too few or too many fields)
                # sends the file to pandas, whose rules are the reference.
                parse_options=pv.ParseOptions(delimiter=self.sep, invalid_row_handler=lambda row: "error"),
                convert_options=pv.ConvertOptions(
                    include_columns=[raw_name], column_types={raw_name: pa.string()}, strings_can_be_null=False
                ),
            )
            counts = pc.value_counts(table.column(raw_name))
        except (pa.ArrowException, ValueError, KeyError, LookupError):
            return None
        # to_pylist, not to_numpy: for strings that would import pandas (0.2 s).
        values = np.array(counts.field("values").to_pylist(), dtype=object)
        return values, np.array(counts.field("counts").to_pylist(), dtype=np.float64)

    def release(self, name: str) -> None:
        """Forget a whole column once it is counted (a big file's column is large)."""
        self._full.pop(name, None)


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig") else encoding


def _unique_names(names: list[str]) -> list[str]:
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


def _is_text(column: Any) -> bool:
    """True for a column pandas kept as text (its new string dtype or object)."""
    import pandas as pd

    return pd.api.types.is_string_dtype(column.dtype) or column.dtype == object


def _number_like(cell: str) -> bool:
    """Would this (stripped) cell read as a number, finite or not?"""
    if "_" in cell:  # Python's float() takes 1_000; the table readers do not
        return False
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_numeric(cells: list[str]) -> bool:
    """A column is numeric when more than half its non-empty cells (among the
    first rows) read as numbers, so one typo is reported, not taken as text.
    nan and inf count as numbers here: such a column is numeric with bad
    cells (reported by line), not text."""
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and sum(map(_number_like, filled)) * 2 > len(filled)


class _Kinds(dict):
    """Column name -> numeric?, classified on first use (most plans need one or two)."""

    def __init__(self, table: TableSource) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, name: str) -> bool:
        self[name] = _is_numeric(self.table.peek[name])
        return self[name]


@dataclass(frozen=True)
class _Plan:
    """Which columns one side uses."""

    value: str
    label: str | None
    numeric: bool
    unused: tuple[str, ...]

    @property
    def needed(self) -> list[str]:
        return [self.value] if self.label is None else [self.value, self.label]


def plan_table(table: TableSource, role: str, options: ReadOptions, *, labels: bool = True) -> _Plan:
    """Pick the value and label columns of a table for one side.

    Value column: the one named, else the only numeric column, else the only
    column. A non-numeric value column holds raw observations, counted per
    distinct value. Label column: the one named, else the only non-numeric
    column left, else the only column left, else row position (with
    ``labels`` False, as for samples, none is chosen).
    """
    source = table.name
    columns = table.columns
    listing = ", ".join(show_label(c) for c in columns)
    wanted = options.value_column(role)
    label_col = options.label_column
    for name, flag in ((wanted, "--column"), (label_col, "--label-column")):
        if name is not None and name not in columns:
            raise InputError(f"{source}: no column {show_label(name)} ({flag}); the columns are {listing}")
    kinds = _Kinds(table)
    if wanted is None:
        numeric = [c for c in columns if kinds[c] and c != label_col]
        if len(numeric) == 1:
            wanted = numeric[0]
        elif len(numeric) > 1:
            raise UsageError(
                f"{source}: several numeric columns ({', '.join(show_label(c) for c in numeric)})",
                hint="choose one with --column (or --p-column/--q-column)",
            )
        elif len(columns) == 1:
            wanted = columns[0]
        else:
            raise UsageError(
                f"{source}: no numeric column among {listing}",
                hint="name the column of values or observations with --column",
            )
    others = [c for c in columns if c != wanted]
    if not kinds[wanted] or not labels:
        return _Plan(wanted, None, kinds[wanted], tuple(others))
    if label_col is None:
        text_cols = [c for c in others if not kinds[c]]
        if len(text_cols) == 1:
            label_col = text_cols[0]
        elif len(text_cols) > 1:
            raise UsageError(
                f"{source}: several possible label columns ({', '.join(show_label(c) for c in text_cols)})",
                hint="choose one with --label-column",
            )
        elif len(others) == 1:
            label_col = others[0]
    return _Plan(wanted, label_col, True, tuple(c for c in others if c != label_col))


def parse_numbers(raw: Any, source: str, column: str, *, empty_ok: bool = False) -> np.ndarray:
    """A text column as floats; a cell that is not a finite number (or empty,
    unless ``empty_ok``, when it becomes NaN) is an error naming its line."""
    import pandas as pd

    if not _is_text(raw):  # already parsed by pandas: check, do not re-parse
        parsed = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(parsed)
        if bad.any() and not (empty_ok and np.isnan(parsed[bad]).all()):
            i = int(np.argmax(bad & ~np.isnan(parsed))) if empty_ok else int(np.argmax(bad))
            raise InputError(
                f"{source}: line {i + 2}: column {show_label(column)} has {parsed[i]!r}, not a finite number"
            )
        return parsed
    cells = raw.str.strip()
    parsed = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(parsed)
    if empty_ok:
        bad &= (cells != "").to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        cell = cells.iloc[i]
        what = "is empty" if cell == "" else f"has {show_label(cell)}, which is not a finite number"
        raise InputError(f"{source}: line {i + 2}: column {show_label(column)} {what}")
    return parsed


def histogram_from_table(table: TableSource, plan: _Plan, needed: list[str]) -> Histogram:
    """Build one side's histogram from its planned columns."""
    source = table.name
    notes = []
    if plan.unused:
        notes.append(f"{source}: columns not used: {', '.join(show_label(c) for c in plan.unused)}")
    if not plan.numeric:
        # Count the raw cells first, then clean the (few) distinct labels.
        raw_labels, raw_counts = table.count_text(plan.value)
        labels = np.array([str(x).strip() or MISSING for x in raw_labels], dtype=object)
        merged, weights, _ = sum_by_label(labels, raw_counts)
        warnings = []
        n_missing = float(weights[merged == MISSING].sum())
        if n_missing:
            warnings.append(f"{source}: {n_missing:g} empty cells in {show_label(plan.value)} counted as {MISSING}")
        notes.insert(0, f"{source}: column {show_label(plan.value)} read as raw observations")
        return Histogram(weights, merged, source, True, tuple(warnings), tuple(notes))
    labels_as_text = {plan.label} if plan.label else set()
    raw = table.column(plan.value, needed, labels_as_text)
    values = parse_numbers(raw, source, plan.value)
    labels = None
    if plan.label is not None:
        labels = table.column(plan.label, needed, labels_as_text).str.strip().to_numpy(dtype=object)
    return make_histogram(values, labels, source, notes=notes)


# ---------------------------------------------------------------------------
# Putting it together: P and Q from command-line words


@dataclass(frozen=True)
class _Loaded:
    """A source read as far as its format: inline values and labels, JSON value or table."""

    name: str
    inline: tuple[list[float], list[str] | None] | None = None
    json_value: Any = None
    table: Any = None


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.lower().endswith(KNOWN_EXTENSIONS) or spec.startswith(".")


def _load(spec: str, role: str, options: ReadOptions, open_stdin: Callable[[], BinaryIO]) -> _Loaded:
    if is_stream(spec):
        return _load_stream(spec, role, options, open_stdin)
    if os.path.exists(spec):
        name = f"{role} ({spec})"
        head = read_bytes(spec, name, limit=4096)
        if not head.strip():
            raise InputError(f"{name}: the file is empty")
        fmt = sniff_format(spec, decode(head, options.encoding, name, partial=True))
        if fmt == "json":
            _check_json_size(os.path.getsize(spec), name)
            return _finish(name, fmt, decode(read_bytes(spec, name), options.encoding, name), options)
        return _Loaded(name, table=TableSource(name, _SEPARATOR[fmt], _pandas_encoding(options.encoding), path=spec))
    name = f"{role} ({spec})" if len(spec) <= 40 else role
    try:
        values, labels = split_inline(spec, name)
    except InlineSyntaxError as exc:
        if _looks_like_path(spec):
            raise InputError(
                f"{role}: no such file {show_label(spec, 1000)} (and it is not an inline list like 0.7,0.3 either)"
            ) from None
        raise InputError(
            f"{role}: {show_label(spec)} is neither an existing file nor a valid inline list: {exc}",
        ) from None
    return _Loaded(name, inline=(values, labels))


def _load_stream(spec: str, role: str, options: ReadOptions, open_stdin: Callable[[], BinaryIO]) -> _Loaded:
    """Standard input, a FIFO or ``/dev/stdin``: read whole, once, then parsed
    from memory. A single line on '-' may be an inline list."""
    stdin = spec == "-"
    name = f"{role} (stdin)" if stdin else f"{role} ({spec})"
    data = read_stream(spec, name, open_stdin)
    text = decode(data, options.encoding, name)
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{name}: standard input is empty" if stdin else f"{name}: the file is empty")
    if stdin and "\n" not in stripped and stripped[:1] not in "[{":
        try:
            return _Loaded(name, inline=split_inline(stripped, name))
        except InputError:
            pass  # not inline; let the table reader say what is wrong
    fmt = sniff_format(None if stdin else spec, text)
    if fmt == "json":
        _check_json_size(len(data), name)
    return _finish(name, fmt, text, options)


def _check_json_size(size: int, name: str) -> None:
    if size > MAX_JSON_BYTES:
        raise InputError(
            f"{name}: JSON input over {MAX_JSON_BYTES >> 20} MiB is not read (it would take many times its size in "
            "memory)",
            hint="give large data as CSV, which is read column by column",
        )


_SEPARATOR = {"csv": ",", "tsv": "\t"}


def _pandas_encoding(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def _finish(name: str, fmt: str, text: str, options: ReadOptions) -> _Loaded:
    if fmt == "json":
        return _Loaded(name, json_value=parse_json_text(text, name))
    return _Loaded(name, table=TableSource(name, _SEPARATOR[fmt], "utf-8", text=text))


def _histogram(loaded: _Loaded, role: str, options: ReadOptions, needed: list[str] | None = None) -> Histogram:
    if loaded.inline is not None:
        return make_histogram(*loaded.inline, loaded.name)
    if loaded.table is not None:
        plan = plan_table(loaded.table, role, options)
        return histogram_from_table(loaded.table, plan, needed or plan.needed)
    value = loaded.json_value
    if json_pair(value):
        return histogram_from_json(value[role.lower()], f"{loaded.name} [{role.lower()}]")
    return histogram_from_json(value, loaded.name)


def _sides(
    p_spec: str, q_spec: str | None, options: ReadOptions, open_stdin: Callable[[], BinaryIO]
) -> list[tuple[_Loaded, str]]:
    """P's and Q's sources, read as far as their format.

    With ``q_spec`` omitted, P's source must hold both distributions: JSON
    ``{"p": ..., "q": ...}`` or a table with ``--p-column`` and ``--q-column``.
    """
    if q_spec is not None and one_stream(p_spec, q_spec):
        raise UsageError(
            "P and Q cannot both be read from one stream (standard input '-', a FIFO): it can be read only once"
        )
    loaded_p = _load(p_spec, "P", options, open_stdin)
    if q_spec is not None:
        return [(loaded_p, "P"), (_load(q_spec, "Q", options, open_stdin), "Q")]
    holds_both = json_pair(loaded_p.json_value) or (
        loaded_p.table is not None and bool(options.p_column and options.q_column)
    )
    if not holds_both:
        raise UsageError(
            "Q is missing",
            hint="give a second source, or one file holding both: "
            'JSON {"p": ..., "q": ...} or a table with --p-column and --q-column',
        )
    name = loaded_p.name[len("P ") :]
    return [(replace(loaded_p, name=f"P {name}"), "P"), (replace(loaded_p, name=f"Q {name}"), "Q")]


def load_pair(
    p_spec: str,
    q_spec: str | None,
    options: ReadOptions,
    open_stdin: Callable[[], BinaryIO],
) -> tuple[Histogram, Histogram]:
    """Read P and Q from command-line words (inline text, a path or ``-``)."""
    (lp, rp), (lq, rq) = _sides(p_spec, q_spec, options, open_stdin)
    needed = None
    if lp.table is not None and lp.table is lq.table:
        # One table holds both sides: read the columns of both in one go.
        needed = plan_table(lp.table, "P", options).needed + plan_table(lq.table, "Q", options).needed
    return _histogram(lp, rp, options, needed), _histogram(lq, rq, options, needed)


def load_samples(
    p_spec: str,
    q_spec: str | None,
    options: ReadOptions,
    open_stdin: Callable[[], BinaryIO],
) -> tuple[tuple[np.ndarray, str], tuple[np.ndarray, str]]:
    """Read P and Q as raw numeric observations (``compare --samples``).

    Returns (values, source name) for each side; empty cells and JSON nulls
    are NaN, i.e. missing.
    """
    pairs = _sides(p_spec, q_spec, options, open_stdin)
    p, q = (_samples(loaded, role, options) for loaded, role in pairs)
    return p, q


def _samples(loaded: _Loaded, role: str, options: ReadOptions) -> tuple[np.ndarray, str]:
    name = loaded.name
    if loaded.inline is not None:
        values, labels = loaded.inline
        if labels is not None:
            raise InputError(f"{name}: --samples takes plain numbers (observations), not label=value pairs")
        return np.asarray(values, dtype=np.float64), name  # observations as given: any sign, any size
    if loaded.table is not None:
        plan = plan_table(loaded.table, role, options, labels=False)
        if not plan.numeric:
            raise InputError(
                f"{name}: column {show_label(plan.value)} holds text, not numbers",
                hint="--samples bins numeric observations; without it, text observations are counted",
            )
        needed = [c for c in (options.p_column, options.q_column, options.column) if c in loaded.table.columns]
        column = loaded.table.column(plan.value, [*needed, plan.value])
        return parse_numbers(column, name, plan.value, empty_ok=True), name
    value = loaded.json_value
    if json_pair(value):
        value = value[role.lower()]
    if not isinstance(value, list) or not value:
        raise InputError(f"{name}: --samples needs a non-empty JSON list of numbers")
    numbers = [np.nan if v is None else _json_number(v, f"{name}: item {i + 1}") for i, v in enumerate(value)]
    return np.asarray(numbers, dtype=np.float64), name


# ---------------------------------------------------------------------------
# Python objects (the API)


def to_histogram(obj: Any, role: str, options: ReadOptions | None = None) -> Histogram:
    """A ``Histogram`` from a list, tuple, dict, numpy array, pandas Series,
    ``Histogram`` or a command-line style string (inline, path)."""
    options = options or ReadOptions()
    if isinstance(obj, Histogram):
        return obj
    if isinstance(obj, str):
        return _histogram(_load(obj, role, options, no_stdin), role, options)
    if isinstance(obj, Mapping):
        numbers = [_json_number(v, f"{role}: label {show_label(k)}") for k, v in obj.items()]
        return make_histogram(numbers, list(obj), role)
    index = getattr(obj, "index", None)
    if index is not None and hasattr(obj, "to_numpy"):  # a pandas Series
        values = obj.to_numpy()
        positional = type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1
        if values.dtype.kind in "OUST":
            return count_observations(values.astype(object), role)
        return make_histogram(values, None if positional else [str(x) for x in index], role)
    arr = np.asarray(obj)
    if arr.dtype.kind in "OUS" and all(isinstance(v, str) for v in arr.tolist()):
        return count_observations(arr.astype(object), role)
    return make_histogram(arr, None, role)


def no_stdin() -> bytes:
    raise UsageError("standard input ('-') is only read by the command line")


# ---------------------------------------------------------------------------
# Datasets (drift and profile): whole tables, read in chunks

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
# Cells read as missing: empty, and the spellings of "nothing" that data
# tools write. Deliberately not "NA"/"N/A", which can be real categories.
MISSING_SPELLINGS = ["", "nan", "NaN", "NULL", "null", "None"]
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
                na_values=MISSING_SPELLINGS,
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
    return _unique_names([str(c).strip() for c in header])


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


@contextlib.contextmanager
def pandas_read_errors(source: str, kind: str, encoding: str = "utf-8") -> Iterator[None]:
    """Turn what pandas raises on a bad file into one-line ``InputError``s."""
    import pandas as pd

    try:
        yield
    except pd.errors.EmptyDataError:
        raise InputError(f"{source}: the file is empty") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not valid {exc.encoding} text (byte 0x{exc.object[exc.start]:02x})",
            hint="pass --encoding, e.g. --encoding latin-1",
        ) from None
    except UnicodeError as exc:  # e.g. 'UTF-16 stream does not start with BOM'
        raise InputError(f"{source}: cannot decode the {kind} text: {exc}", hint=_byte_order_hint(encoding)) from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"{source}: cannot parse as {kind}: {detail}") from None


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
