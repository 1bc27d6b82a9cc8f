"""Tables for compare: the columns of a CSV/TSV that hold one side's values and labels."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, UsageError
from ..text import show_label
from .arrow import TextChunk
from .datasets import UNCOUNTABLE, TableOptions, cells_are_text
from .source import Source

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

    Its first rows (``peek``) choose the columns; the columns used are then
    read once, in chunks, for every side they serve (``read_sides``). A
    stream read in one pass (standard input, a FIFO) is never copied: its
    first rows come from the head it keeps, and the one read after them
    starts again from its first byte; when the first rows needed more than
    that head, that same read goes on instead. ``frame``: a table already in
    memory (JSON records)."""

    def __init__(
        self,
        name: str,
        source: Source | None,
        table: TableOptions,
        *,
        frame: Any = None,
        messages: list[tuple[str, str]] | None = None,
    ) -> None:
        from .datasets import DEFAULT_CHUNK_ROWS, iter_dataset

        self.name = name
        self.source = source
        self.table = table
        self.frame = frame
        self.messages = messages if messages is not None else []
        self.header = True
        self._going_on: tuple[Any, Any] | None = None  # (first chunk, the read it came from)
        self._read = False
        if frame is None:
            assert source is not None
            one_pass = source.one_pass
            rows = iter_dataset(
                source.spec,
                name,
                chunk_rows=DEFAULT_CHUNK_ROWS if one_pass else PEEK_ROWS,
                src=source,
                table=table,
                messages=self.messages,
                peek=True,
            )
            try:
                first = next(rows)
            except BaseException:
                rows.close()
                raise
            if one_pass and not source.replayable:
                self._going_on = (first, rows)  # the rest is read from here
            else:
                rows.close()  # the rest is read later, only the columns used
            self.text_cells = cells_are_text(first)
            self.uncountable = set(first.attrs.get(UNCOUNTABLE, ()))
            first = _head(first, PEEK_ROWS)
        else:
            first = frame.head(PEEK_ROWS)
            self.text_cells = False
            self.uncountable = set()
        self.header = not any("without a header" in text for _, text in self.messages)
        self.columns = [str(c) for c in first.columns]
        self.peek = {c: [_peek_cell(v) for v in first[c].tolist()] for c in first.columns}

    def chunks(self, columns: list[str]) -> Iterator[Any]:
        """The table's rows, only ``columns``, in chunks; a one-pass stream's only once."""
        from .datasets import iter_dataset

        if self.frame is not None:
            yield self.frame[columns]
            return
        assert self.source is not None
        if self.source.one_pass:
            if self._read:
                raise RuntimeError(f"{self.name}: a stream read in one pass was read twice")
            self._read = True
        if self._going_on is not None:
            first, rows = self._going_on
            self._going_on = None
            try:
                yield _select(first, columns)
                for chunk in rows:
                    yield _select(chunk, columns)
            finally:
                rows.close()
            return
        rows = iter_dataset(self.source.spec, self.name, columns=columns, src=self.source, table=self.table)
        try:
            yield from rows
        finally:
            rows.close()

    def line_of(self, row: int) -> str:
        """Where row ``row`` (0-based, data rows) is, for a message."""
        if self.frame is not None or not self.text_cells:
            return f"row {row + 1}"
        return f"line {row + 1 + (1 if self.header else 0)}"


def _head(chunk: Any, rows: int) -> Any:
    """The first ``rows`` rows of a chunk."""
    if isinstance(chunk, TextChunk):
        head = TextChunk(chunk.table.slice(0, rows), chunk.columns)
        head.attrs = dict(chunk.attrs)
        return head
    return chunk.head(rows)


def _select(chunk: Any, columns: list[str]) -> Any:
    """Only ``columns`` of a chunk (those it has), its attributes kept."""
    wanted = [c for c in chunk.columns if c in set(columns)]
    if isinstance(chunk, TextChunk):
        picked = TextChunk(chunk.table.select([chunk.columns.index(c) for c in wanted]), wanted)
    else:
        picked = chunk[wanted]
    picked.attrs = dict(chunk.attrs)
    return picked


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
    # Columns that cannot be counted (Parquet lists, structs) are never chosen
    # for the user; one named is refused when it is read.
    columns = [c for c in columns if c not in table.uncountable or c in (wanted, label_col)] or columns
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
    ignored = [c for c in table.columns if c not in columns]
    if not kinds[wanted] or not labels:
        return _Plan(wanted, None, kinds[wanted], tuple(others + ignored))
    if label_col is None:
        label_col = _label_column(source, [c for c in others if not kinds[c]], others)
    return _Plan(wanted, label_col, True, tuple(c for c in others + ignored if c != label_col))


def _label_column(source: str, text_cols: list[str], others: list[str] | None = None) -> str | None:
    """The label column when none is named: the only text column; several are the
    user's to choose; with none, the only other column (``others``) if there is one."""
    if len(text_cols) > 1:
        raise UsageError(
            f"{source}: several possible label columns ({', '.join(show_label(c) for c in text_cols)})",
            hint="choose one with --label-column",
        )
    if text_cols:
        return text_cols[0]
    return others[0] if others is not None and len(others) == 1 else None


def plan_columns(
    table: ChunkTable, options: ReadOptions, wanted: list[str] | None = None
) -> tuple[list[_Plan], list[str]]:
    """Every numeric column of a table (or the ``wanted`` ones) as one
    distribution over one label column, for a matrix; also the columns left unused.

    Label column: the one named, else the only non-numeric column, else row
    position (several non-numeric columns: the user chooses). The rule of
    ``plan_table``, for all numeric columns at once."""
    source = table.name
    listing = ", ".join(show_label(c) for c in table.columns)
    label_col = options.label_column
    for name in [label_col, *(wanted or [])]:
        if name is not None and name not in table.columns:
            raise InputError(f"{source}: no column {show_label(name)}; the columns are {listing}")
    kinds = _Kinds(table)
    usable = [c for c in table.columns if c not in table.uncountable]
    if wanted:
        for name in wanted:
            if not kinds[name]:
                raise InputError(f"{source}: column {show_label(name)} holds no numeric values")
            if name == label_col:
                raise UsageError(f"{source}: column {show_label(name)} is the label column (--label-column)")
        values = list(dict.fromkeys(wanted))
    else:
        values = [c for c in usable if kinds[c] and c != label_col]
    if label_col is None:
        label_col = _label_column(source, [c for c in usable if not kinds[c] and c not in values])
    unused = [c for c in table.columns if c not in values and c != label_col]
    return [_Plan(c, label_col, True, ()) for c in values], unused
