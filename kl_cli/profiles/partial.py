"""Partial counts: what a pass over some of a dataset's chunks has seen, mergeable by addition.

Both engines count through here. The local engine feeds every chunk of a
dataset into one partial; the Dask engine feeds each partition's chunks into
a partial of its own on a worker and merges the partials in a tree. Merging
is addition (counts, rows, bucket histograms) and union in order of first
appearance (columns, categories), so any grouping of the chunks into
partitions gives the same result as one pass over them all, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.binning import Bins, NumericSummary
from ..errors import InputError
from ..inputs.cells import typed_cells
from ..inputs.datasets import all_columns, cells_are_text, chunk_source
from .model import MISSING_KEY, NUMERIC_DISTINCT


def merge_counts(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


@dataclass
class ColumnAccumulator:
    """What one column has shown so far, in memory bounded by its categories:
    a numeric summary for binning, counts of distinct numbers while there are
    few of them (always, when the column is forced categorical), text counts
    and the missing count."""

    keep_all_numbers: bool = False
    summary: NumericSummary = field(default_factory=NumericSummary)
    number_counts: dict[str, float] | None = field(default_factory=dict)
    text_counts: dict[str, float] = field(default_factory=dict)
    missing: int = 0
    rows: int = 0

    @property
    def all_numeric(self) -> bool:
        return not self.text_counts

    def add(self, series: Any, text_cells: bool = False) -> None:
        self.rows += len(series)
        # labels are needed only while the column may still be categorical
        limit = None if self.keep_all_numbers else (0 if self.number_counts is None else NUMERIC_DISTINCT)
        cells = typed_cells(series, text_cells, label_limit=limit)
        self.missing += cells.missing
        if cells.numbers.size:
            self.summary.add(cells.numbers)
            if self.number_counts is not None:
                if cells.number_labels is None:
                    self.number_counts = None
                else:
                    self.number_counts = self._capped(merge_counts(self.number_counts, cells.number_labels))
        self.text_counts = merge_counts(self.text_counts, cells.others)

    def _capped(self, counts: dict[str, float]) -> dict[str, float] | None:
        if len(counts) > NUMERIC_DISTINCT and not self.keep_all_numbers:
            return None  # a binned column: the summary is enough
        return counts

    def merged(self, other: ColumnAccumulator) -> ColumnAccumulator:
        """This column's counts plus another partition's of the same column (neither changed)."""
        both = self.number_counts is not None and other.number_counts is not None
        return ColumnAccumulator(
            self.keep_all_numbers,
            self.summary.merged(other.summary),
            self._capped(merge_counts(self.number_counts, other.number_counts)) if both else None,  # type: ignore[arg-type]
            merge_counts(self.text_counts, other.text_counts),
            self.missing + other.missing,
            self.rows + other.rows,
        )

    def add_missing(self, n: int) -> None:
        self.rows += n
        self.missing += n

    def category_counts(self, where: str) -> dict[str | None, float]:
        """Counts per distinct value, numbers and text together, then missing."""
        if self.number_counts is None and self.summary.n_finite + self.summary.neg_inf + self.summary.pos_inf:
            raise InputError(
                f"{where} mixes many distinct numbers with text such as {next(iter(self.text_counts))!r}",
                hint="pass --categorical to count every value as a category",
            )
        counts = merge_counts(self.text_counts, self.number_counts or {})
        ordered: dict[str | None, float] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        ordered[MISSING_KEY] = float(self.missing)
        return ordered


@dataclass(frozen=True)
class Wanted:
    """Which columns a first pass types and counts: ``columns`` (None: all)
    less ``left_out``; ``categorical`` are counted value by value."""

    columns: frozenset[str] | None = None
    left_out: frozenset[str] = frozenset()
    categorical: frozenset[str] = frozenset()

    def __contains__(self, name: object) -> bool:
        return (self.columns is None or name in self.columns) and name not in self.left_out


@dataclass
class DatasetPartial:
    """The first pass over some chunks of a dataset: rows, the columns seen
    (in order of first appearance) and each wanted column's accumulator."""

    rows: int = 0
    seen: dict[str, None] = field(default_factory=dict)
    columns: dict[str, ColumnAccumulator] = field(default_factory=dict)
    messages: list[tuple[str, str]] = field(default_factory=list)  # layout notes of the files read

    def add(self, frame: Any, wanted: Wanted) -> None:
        self.rows += len(frame)
        text_cells = cells_are_text(frame)
        self.seen.update(dict.fromkeys(all_columns(frame)))
        for name in frame.columns:
            if name in wanted:
                acc = self.columns.get(name)
                if acc is None:
                    acc = self.columns[name] = ColumnAccumulator(keep_all_numbers=name in wanted.categorical)
                acc.add(frame[name], text_cells)

    def merged(self, other: DatasetPartial) -> DatasetPartial:
        """This partial followed by another (the chunks after these); neither is changed."""
        columns = dict(self.columns)
        for name, acc in other.columns.items():
            mine = columns.get(name)
            columns[name] = acc if mine is None else mine.merged(acc)
        return DatasetPartial(
            self.rows + other.rows, {**self.seen, **other.seen}, columns, [*self.messages, *other.messages]
        )

    def finish_rows(self) -> None:
        """Rows without a column (JSON lines that lack the key, a file without it) are missing cells."""
        for acc in self.columns.values():
            acc.add_missing(self.rows - acc.rows)


def first_pass(frames: Iterable[Any], wanted: Wanted) -> DatasetPartial:
    partial = DatasetPartial()
    for frame in frames:
        partial.add(frame, wanted)
    return partial


def second_pass(frames: Iterable[Any], planned: dict[str, NumericSummary]) -> dict[str, NumericSummary]:
    """Record the detail each planned numeric column's second pass needs;
    text in such a column means the data changed since the first pass."""
    for frame in frames:
        for name in (n for n in planned if n in frame.columns):  # absent: all missing
            cells = typed_cells(frame[name], cells_are_text(frame), label_limit=0)
            if cells.others:
                raise DataChanged
            planned[name].add_detail(cells.numbers)
    return planned


class DataChanged(Exception):
    """The second pass met text where the first pass had numbers."""


@dataclass
class CurrentCounts:
    """Current data counted against a reference profile's types and edges, so far."""

    rows: int = 0
    counts: dict[str, dict[str | None, float]] = field(default_factory=dict)
    column_rows: dict[str, int] = field(default_factory=dict)  # in order of first appearance
    messages: list[tuple[str, str]] = field(default_factory=list)

    def add(self, frame: Any, kinds: dict[str, tuple[str, tuple[float, ...]]], source: str) -> None:
        """Count a chunk; ``kinds``: each counted column's type and edges."""
        self.rows += len(frame)
        text_cells = cells_are_text(frame)
        for name in all_columns(frame):  # the columns not read are known by name: none is counted
            self.column_rows[name] = self.column_rows.get(name, 0) + len(frame)
        for name in frame.columns:
            series = frame[name]
            kind = kinds.get(name)
            if kind is None:
                continue
            if kind[0] == "numeric":
                chunk = _count_numeric_chunk(series, text_cells, Bins(kind[1]), name, chunk_source(frame, source))
            else:
                chunk = _count_categories_chunk(series, text_cells)
            self.counts[name] = merge_counts(self.counts.get(name, {}), chunk)

    def merged(self, other: CurrentCounts) -> CurrentCounts:
        """These counts followed by another partition's; neither is changed."""
        column_rows = dict(self.column_rows)
        for name, n in other.column_rows.items():
            column_rows[name] = column_rows.get(name, 0) + n
        counts = dict(self.counts)
        for name, more in other.counts.items():
            counts[name] = merge_counts(counts.get(name, {}), more)
        return CurrentCounts(self.rows + other.rows, counts, column_rows, [*self.messages, *other.messages])


def count_frames(frames: Iterable[Any], kinds: dict[str, tuple[str, tuple[float, ...]]], source: str) -> CurrentCounts:
    out = CurrentCounts()
    for frame in frames:
        out.add(frame, kinds, source)
    return out


def _count_numeric_chunk(series: Any, text_cells: bool, bins: Bins, name: str, source: str) -> dict[str | None, float]:
    cells = typed_cells(series, text_cells, label_limit=0)
    if cells.others:
        example = next(iter(cells.others))
        raise InputError(
            f"{source}: column {name!r} holds {example!r}, which is not a number, "
            "but the column is numeric in the reference"
        )
    counts: dict[str | None, float] = dict(zip(bins.labels, bins.count(cells.numbers).tolist()))
    counts[MISSING_KEY] = float(cells.missing)
    return counts


def _count_categories_chunk(series: Any, text_cells: bool) -> dict[str | None, float]:
    cells = typed_cells(series, text_cells)
    out: dict[str | None, float] = merge_counts(cells.others, cells.number_labels or {})
    out[MISSING_KEY] = out.get(MISSING_KEY, 0.0) + float(cells.missing)
    return out
