"""Tables for compare: the columns of a CSV/TSV that hold one side's values and labels."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.histogram import Histogram, make_histogram, sum_by_label
from ..errors import InputError, UsageError
from ..text import show_label
from ..vocabulary import MISSING
from .parse_errors import pandas_read_errors, unique_names
from .streams import decode

# Columns are classified from the first rows: enough to tell numbers from
# text, and the big read then parses only the columns that are used.
PEEK_ROWS = 2_000


# The head of a table read to find its columns and classify them: up to
# PEEK_ROWS rows within the first PEEK_BYTES bytes. A file that fits is read
# whole from it; a larger one has its used columns read afterwards.
PEEK_BYTES = 1 << 20


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
        self.columns = unique_names([c.strip() for c in rows[0]])
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
