"""Tables for compare: the columns of a CSV/TSV that hold one side's values and labels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.histogram import Histogram, make_histogram
from ..errors import InputError, UsageError
from ..text import show_label
from ..vocabulary import missing_label
from .arrow import TextChunk, TextColumn
from .cells import classify_text, classify_value, number_label, typed_cells
from .datasets import TableOptions, cells_are_text

# Columns are classified from the first rows: enough to tell numbers from
# text, and the big read then parses only the columns that are used.
PEEK_ROWS = 2_000


@dataclass(frozen=True)
class ReadOptions:
    """How to find the values in a table, and how to decode text."""

    column: str | None = None
    p_column: str | None = None
    q_column: str | None = None
    label_column: str | None = None
    encoding: str = "utf-8"
    input_format: str | None = None
    p_format: str | None = None
    q_format: str | None = None
    delimiter: str | None = None
    header: bool | None = None

    def table(self, role: str) -> TableOptions:
        """How to read this side's table: its stated format wins over --input-format."""
        own = self.p_format if role == "P" else self.q_format
        return TableOptions.stated(self.encoding, own or self.input_format, self.delimiter, self.header)

    def value_column(self, role: str) -> str | None:
        own = self.p_column if role == "P" else self.q_column
        return own if own is not None else self.column


class ChunkTable:
    """A table for compare, in any format, read through the one dataset reader.

    Its first rows (``peek``) choose the columns; whole columns are read
    later, once, and only those that are used. ``frame``: a table already in
    memory (JSON records)."""

    def __init__(
        self,
        name: str,
        spec: str,
        table: TableOptions,
        *,
        spooled: Any = None,
        frame: Any = None,
        messages: list[tuple[str, str]] | None = None,
    ) -> None:
        from .datasets import iter_dataset

        self.name = name
        self.spec = spec
        self.table = table
        self.spooled = spooled
        self.frame = frame
        self.messages = messages if messages is not None else []
        self.header = True
        if frame is None:
            rows = iter_dataset(
                spec, name, chunk_rows=PEEK_ROWS, spooled=spooled, table=table, messages=self.messages, peek=True
            )
            try:
                first = next(rows)
            finally:
                rows.close()  # the rest is read later, only the columns used
            self.text_cells = cells_are_text(first)
        else:
            first = frame.head(PEEK_ROWS)
            self.text_cells = False
        self.header = not any("without a header" in text for _, text in self.messages)
        self.columns = [str(c) for c in first.columns]
        self.peek = {c: [_peek_cell(v) for v in first[c].tolist()] for c in first.columns}
        self._full: dict[str, Any] = {}

    def chunks(self, columns: list[str]) -> Any:
        from .datasets import iter_dataset

        if self.frame is not None:
            yield self.frame[columns]
            return
        yield from iter_dataset(self.spec, self.name, columns=columns, spooled=self.spooled, table=self.table)

    def column(self, name: str, needed: list[str], as_text: Any = frozenset()) -> Any:
        """The whole column ``name`` (anything with ``tolist()``); the first call reads all ``needed`` columns."""
        if name not in self._full:
            wanted = [c for c in self.columns if c in set(needed) | {name}]
            parts = list(self.chunks(wanted))
            if parts and isinstance(parts[0], TextChunk):
                import pyarrow as pa

                for c in wanted:
                    self._full[c] = TextColumn(pa.chunked_array([p[c].array for p in parts], type=pa.string()))
            else:
                import pandas as pd

                frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
                self._full.update({c: frame[c] for c in frame.columns})
        return self._full[name]

    def line_of(self, row: int) -> str:
        """Where row ``row`` (0-based, data rows) is, for a message."""
        if self.frame is not None or not self.text_cells:
            return f"row {row + 1}"
        return f"line {row + 1 + (1 if self.header else 0)}"


def _peek_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


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

    def __init__(self, table: ChunkTable) -> None:
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


def plan_table(table: ChunkTable, role: str, options: ReadOptions, *, labels: bool = True) -> _Plan:
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


def parse_numbers(raw: Any, table: ChunkTable, column: str, *, empty_ok: bool = False) -> np.ndarray:
    """A column as floats by the cell rule; a cell that is not a finite number
    (or missing, unless ``empty_ok``: then NaN) is an error naming its line."""
    source = table.name
    values = raw.tolist()
    out = np.empty(len(values))
    for i, cell in enumerate(values):
        kind, value = classify_text(cell) if isinstance(cell, str) and table.text_cells else classify_value(cell)
        if kind == "number" and math.isfinite(float(value)):
            out[i] = float(value)
            continue
        if kind == "missing" and empty_ok:
            out[i] = np.nan
            continue
        shown = str(cell).strip() if cell is not None else ""
        if kind == "missing":
            what = "is empty" if not shown else f"has {show_label(shown)}, a missing value, not a number"
        else:
            what = f"has {show_label(shown)}, which is not a finite number"
        raise InputError(f"{source}: {table.line_of(i)}: column {show_label(column)} {what}")
    return out


def histogram_from_table(table: ChunkTable, plan: _Plan, needed: list[str], name: str | None = None) -> Histogram:
    """Build one side's histogram from its planned columns, cells typed by the cell
    rule; ``name``: the side's name (one table may hold both sides)."""
    source = name or table.name
    notes = [text for kind, text in table.messages if kind == "note"]
    warnings = [text for kind, text in table.messages if kind == "warning"]
    if plan.unused:
        notes.append(f"{source}: columns not used: {', '.join(show_label(c) for c in plan.unused)}")
    if not plan.numeric:
        counts: dict[str, float] = {}
        missing = 0
        for chunk in table.chunks([plan.value]):
            cells = typed_cells(chunk[plan.value], table.text_cells)
            for part in (cells.others, cells.number_labels or {}):
                for label, n in part.items():
                    counts[label] = counts.get(label, 0.0) + n
            missing += cells.missing
        if missing:
            shown = missing_label(counts)
            counts[shown] = counts.get(shown, 0.0) + missing
            warnings.append(f"{source}: {missing:g} missing cells in {show_label(plan.value)} counted as {shown}")
        notes.insert(0, f"{source}: column {show_label(plan.value)} read as raw observations")
        if not counts:
            raise InputError(f"{source}: no observations in column {show_label(plan.value)}")
        labels = np.array(list(counts), dtype=object)
        weights = np.array(list(counts.values()), dtype=np.float64)
        return Histogram(weights, labels, source, True, tuple(warnings), tuple(notes))
    raw = table.column(plan.value, needed)
    values = parse_numbers(raw, table, plan.value)
    labels = None
    if plan.label is not None:
        cells = table.column(plan.label, needed).tolist()
        labels = np.empty(len(cells), dtype=object)
        for i, cell in enumerate(cells):
            kind, value = classify_text(cell) if isinstance(cell, str) and table.text_cells else classify_value(cell)
            if kind == "missing":
                raise InputError(f"{source}: {table.line_of(i)}: column {show_label(plan.label)} has no label")
            labels[i] = number_label(value) if kind == "number" else value
    return make_histogram(values, labels, source, notes=notes, warnings=warnings)
