"""The planned columns of a compare table, read in one pass for every side they serve.

Each side is one reader fed the same chunks: raw observations are counted
per distinct cell (memory bounded by the distinct values), weights and
samples are parsed to floats chunk by chunk (a numeric column of text cells
in bulk by Arrow, only the odd cells by Python), by the one cell rule. A
table is read once whatever it serves (P, Q, or both), which is what lets a
stream be read in one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.histogram import Histogram
from ..errors import InputError
from ..text import show_label
from ..vocabulary import MISSING_SPELLINGS, missing_label
from . import arrow
from .arrow import TextColumn
from .cells import (
    _ARROW_DECIMAL,
    LongInteger,
    classify_text,
    classify_value,
    number_label,
    too_many_digits,
    typed_cells,
)
from .tables import ChunkTable, _Plan
from .weights import exact_histogram, show_integer


@dataclass(frozen=True)
class Want:
    """One side to read from a table: its plan, its name in messages, and how.

    ``samples``: the value column's numbers as observations (missing cells
    NaN), not weights. ``at_most``: a positional side may hold at most this
    many values (the other side's length: a stream is then not read on past
    it); ``roles``: (this side, the other) for that message."""

    plan: _Plan
    name: str
    samples: bool = False
    at_most: int | None = None
    roles: tuple[str, str] = ("P", "Q")


def read_sides(table: ChunkTable, wants: list[Want]) -> list[Any]:
    """Each wanted side of ``table``: a ``Histogram``, or (values, name) for samples."""
    readers = [_reader(table, want) for want in wants]
    columns: list[str] = []
    for want in wants:
        columns += [c for c in want.plan.needed if c not in columns]
    offset = 0
    for chunk in table.chunks(columns):
        for reader in readers:
            reader.add(chunk, offset)
        offset += len(chunk)
    return [reader.finish() for reader in readers]


def _reader(table: ChunkTable, want: Want) -> Any:
    if want.samples:
        return _Samples(table, want)
    return _Weights(table, want) if want.plan.numeric else _Observations(table, want)


def _notes(table: ChunkTable, want: Want) -> tuple[list[str], list[str]]:
    notes = [text for kind, text in table.messages if kind == "note"]
    warnings = [text for kind, text in table.messages if kind == "warning"]
    if want.plan.unused:
        notes.append(f"{want.name}: columns not used: {', '.join(show_label(c) for c in want.plan.unused)}")
    return notes, warnings


class _Observations:
    """A column of raw observations, counted per distinct cell."""

    def __init__(self, table: ChunkTable, want: Want) -> None:
        self.table, self.want = table, want
        self.counts: dict[str, float] = {}
        self.missing = 0

    def add(self, chunk: Any, offset: int) -> None:
        cells = typed_cells(chunk[self.want.plan.value], self.table.text_cells)
        for part in (cells.others, cells.number_labels or {}):
            for label, n in part.items():
                self.counts[label] = self.counts.get(label, 0.0) + n
        self.missing += cells.missing

    def finish(self) -> Histogram:
        source, column = self.want.name, self.want.plan.value
        notes, warnings = _notes(self.table, self.want)
        counts = self.counts
        if self.missing:
            shown = missing_label(counts)
            counts[shown] = counts.get(shown, 0.0) + self.missing
            warnings.append(f"{source}: {self.missing:g} missing cells in {show_label(column)} counted as {shown}")
        notes.insert(0, f"{source}: column {show_label(column)} read as raw observations")
        if not counts:
            raise InputError(f"{source}: no observations in column {show_label(column)}")
        labels = np.array(list(counts), dtype=object)
        weights = np.array(list(counts.values()), dtype=np.float64)
        return Histogram(weights, labels, source, True, tuple(warnings), tuple(notes))


class _Weights:
    """A numeric column of weights, with its label column (or positions)."""

    def __init__(self, table: ChunkTable, want: Want) -> None:
        self.table, self.want = table, want
        self.values: list[np.ndarray] = []
        self.big: dict[int, int] = {}
        self.labels: list[np.ndarray] = []
        self.rows = 0

    def add(self, chunk: Any, offset: int) -> None:
        plan, want = self.want.plan, self.want
        values, big = _numbers(chunk[plan.value], self.table, want.name, plan.value, offset, exact=True)
        self.rows += len(values)
        if plan.label is None and want.at_most is not None and self.rows > want.at_most:
            mine, other = want.roles
            raise InputError(
                f"{mine} has more than {want.at_most} values and {other} has {want.at_most}, "
                "and neither has labels to match them by",
                hint="give labels, like rain=0.7,dry=0.3, or lists of the same length",
            )
        self.values.append(values)
        self.big.update(big)
        if plan.label is not None:
            self.labels.append(_labels(chunk[plan.label], self.table, want.name, plan.label, offset))

    def finish(self) -> Histogram:
        notes, warnings = _notes(self.table, self.want)
        values = np.concatenate(self.values) if self.values else np.empty(0)
        labels = np.concatenate(self.labels) if self.plan_labelled else None
        return exact_histogram(values, self.big, labels, self.want.name, notes=notes, warnings=warnings)

    @property
    def plan_labelled(self) -> bool:
        return self.want.plan.label is not None


class _Samples:
    """A numeric column's cells as observations (``--samples``); missing cells are NaN."""

    def __init__(self, table: ChunkTable, want: Want) -> None:
        self.table, self.want = table, want
        self.values: list[np.ndarray] = []

    def add(self, chunk: Any, offset: int) -> None:
        plan = self.want.plan
        values, _ = _numbers(chunk[plan.value], self.table, self.want.name, plan.value, offset, empty_ok=True)
        self.values.append(values)

    def finish(self) -> tuple[np.ndarray, str]:
        return (np.concatenate(self.values) if self.values else np.empty(0)), self.want.name


def _numbers(
    column: Any,
    table: ChunkTable,
    source: str,
    name: str,
    offset: int,
    *,
    empty_ok: bool = False,
    exact: bool = False,
    minus_inf: bool = False,
) -> tuple[np.ndarray, dict[int, int]]:
    """One chunk of a numeric column as floats, by the cell rule.

    A cell that is not a finite number is an error naming its line (a
    missing one is NaN when ``empty_ok``; -inf is kept when ``minus_inf``). ``exact``: integers beyond the
    float range are returned apart, by row (see ``weights``); otherwise
    they are an error."""
    n = len(column)
    values = np.full(n, np.nan)
    if isinstance(column, TextColumn) and table.text_cells:
        odd = _bulk_decimals(column.array, values, empty_ok)
        cells = column.array.take(arrow.indices(odd)).to_pylist() if odd.size else []
        pairs = zip(odd.tolist(), cells)
    else:
        dtype = getattr(column, "dtype", None)
        if dtype is not None and dtype.kind in "iuf":  # a typed numeric column (Parquet, JSON records)
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            odd = np.flatnonzero(~np.isfinite(values))
            pairs = zip(odd.tolist(), column.iloc[odd].tolist() if odd.size else [])
        else:
            pairs = enumerate(column.tolist())
    big: dict[int, int] = {}
    for i, cell in pairs:
        text = isinstance(cell, str) and table.text_cells
        kind, value = classify_text(cell) if text else classify_value(cell)
        if kind == "number":
            if isinstance(value, LongInteger):
                raise _bad(table, source, name, offset + i, too_many_digits(len(value.lstrip("-"))))
            try:
                number = float(value)
            except OverflowError:  # an integer beyond the float range: exact as a weight
                if exact:
                    big[offset + i] = value
                    values[i] = 0.0
                    continue
                raise _bad(
                    table, source, name, offset + i, f"has {show_integer(value)}, beyond the range of a float"
                ) from None
            if math.isfinite(number) or (minus_inf and number == -math.inf):
                values[i] = number
                continue
        elif kind == "missing" and empty_ok:
            values[i] = np.nan
            continue
        shown = str(cell).strip() if cell is not None else ""
        if kind == "missing":
            what = "is empty" if not shown else f"has {show_label(shown)}, a missing value, not a number"
        else:
            what = f"has {show_label(shown)}, which is not a finite number"
        raise _bad(table, source, name, offset + i, what)
    return values, big


def _bad(table: ChunkTable, source: str, name: str, row: int, what: str) -> InputError:
    return InputError(f"{source}: {table.line_of(row)}: column {show_label(name)} {what}")


def _bulk_decimals(array: Any, values: np.ndarray, empty_ok: bool) -> np.ndarray:
    """Fill ``values`` with the cells that are plain finite decimals, parsed by
    Arrow (missing cells too, as NaN, when ``empty_ok``); return the rows
    of the other cells, in order, for Python to type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if hasattr(array, "combine_chunks"):
        array = array.combine_chunks()
    if len(array) == 0:
        return np.empty(0, dtype=np.int64)
    # The common case first: every cell parses as Arrow reads a float. Arrow
    # parses to a finite float exactly the cells the decimal pattern matches
    # (it refuses white space, hex, 1_000, 1d3...; it reads inf and nan,
    # which are not finite and go to Python), so this saves the pattern's pass.
    try:
        parsed = arrow.numbers(pc.cast(array, pa.float64()))
    except pa.ArrowInvalid:
        parsed = None
    if parsed is not None:
        finite = np.isfinite(parsed)
        if finite.all():  # the common case: one copy, no masked indexing
            values[:] = parsed
            return np.empty(0, dtype=np.int64)
        values[finite] = parsed[finite]
        return np.flatnonzero(~finite)
    trimmed = pc.utf8_trim_whitespace(array)
    plain = arrow.flags(pc.match_substring_regex(trimmed, _ARROW_DECIMAL))
    if plain.any():
        parsed = arrow.numbers(pc.cast(pc.filter(trimmed, arrow.mask(plain)), pa.float64()))
        values[plain] = parsed
        plain[np.flatnonzero(plain)[~np.isfinite(parsed)]] = False  # beyond the float range: Python decides
    done = plain
    if empty_ok and not plain.all():
        missing = arrow.flags(pc.is_in(trimmed, value_set=arrow.strings(MISSING_SPELLINGS)))
        done = plain | missing
    return np.flatnonzero(~done)


def _labels(column: Any, table: ChunkTable, source: str, name: str, offset: int) -> np.ndarray:
    """One chunk of a label column: each cell's label by the cell rule; a missing one is an error."""
    cells = column.tolist()
    labels = np.empty(len(cells), dtype=object)
    for i, cell in enumerate(cells):
        kind, value = classify_text(cell) if isinstance(cell, str) and table.text_cells else classify_value(cell)
        if kind == "missing":
            raise InputError(f"{source}: {table.line_of(offset + i)}: column {show_label(name)} has no label")
        labels[i] = number_label(value) if kind == "number" else value
    return labels


def numeric_cells(
    column: Any, table: ChunkTable, source: str, name: str, offset: int, *, minus_inf: bool
) -> np.ndarray:
    """One chunk of a numeric column as float64 by the cell rule (``offset``: its
    first row's number, for messages): a cell that is not a finite number (or
    -inf, when ``minus_inf``) is an error naming its line and column."""
    return _numbers(column, table, source, name, offset, minus_inf=minus_inf)[0]
