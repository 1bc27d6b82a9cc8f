"""The text sources of ``kl-cli batch``: a wide table or JSON lines, one distribution a row.

- A wide table (CSV/TSV, any delimiter, compressed; Parquet too) is read by
  the one dataset reader (``iter_dataset``): a header of category names
  (``--no-header``: categories by position), in chunks of a bounded number
  of cells, each cell by the one cell rule (``numeric_cells``): a cell that
  is not a finite number (-inf is allowed for log inputs: probability 0) is
  an error naming its line and column.
- JSON lines hold a list of numbers (categories by position) or an object
  ``{label: value}`` (a label a row leaves out is missing there) a line,
  read a line at a time; a JSON document holding a list of such rows is
  read whole, up to the JSON limit. JSON is strict (no NaN/Infinity
  tokens), so its numbers are finite: a probability 0 is a label left out.

Either way the cells are counted as they are read, and a batch of more than
``MAX_TEXT_CELLS`` is refused before it is held.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..text import show_label
from .datasets import TableOptions, cells_are_text, iter_dataset
from .jsondoc import DuplicateKeys
from .source import Source
from .streams import MAX_JSON_BYTES, decode_error, is_utf8

# A text batch is held whole: at most this many cells (float64: 1 GiB).
MAX_TEXT_CELLS = 2**27
# Cells of a wide table read at a time.
CHUNK_CELLS = 2**22


@dataclass
class TextRows:
    """A text batch: its rows (rows x categories; NaN where a JSON object
    leaves a label out), its labels (None: by position) and what reading it noted."""

    rows: np.ndarray
    labels: list[str] | None
    sparse: bool = False
    messages: list[tuple[str, str]] = field(default_factory=list)  # ("note" | "warning", text) of the layout


def read_text_rows(spec: str, name: str, table: TableOptions, minus_inf: bool) -> TextRows:
    """The rows of a wide table or of JSON lines (``minus_inf``: -inf cells are allowed)."""
    src = Source(spec, name, stated=table.input_format)
    if src.format in ("json", "jsonl"):
        return _json_rows(src, table.encoding)
    return _wide_rows(src, table, minus_inf)


# ---------------------------------------------------------------------------
# Wide tables


class _Where:
    """How the cell rule's messages name a row (as ``ChunkTable.line_of`` does)."""

    def __init__(self, text_cells: bool, header: bool) -> None:
        self.text_cells, self.header = text_cells, header

    def line_of(self, row: int) -> str:
        return f"line {row + 1 + int(self.header)}" if self.text_cells else f"row {row + 1}"


def _wide_rows(src: Source, table: TableOptions, minus_inf: bool) -> TextRows:
    name = src.name
    messages: list[tuple[str, str]] = []
    head = iter_dataset(src.spec, name, chunk_rows=1, src=src, table=table, messages=messages, peek=True)
    try:
        first = next(head)
    finally:
        head.close()
    columns = [str(c) for c in first.columns]
    header = table.header if table.header is not None else not any("without a header" in t for _, t in messages)
    where = _Where(cells_are_text(first), header)
    width = len(columns)
    parts: list[np.ndarray] = []
    rows = 0
    chunks = iter_dataset(src.spec, name, chunk_rows=max(1, CHUNK_CELLS // width), src=src, table=table)
    try:
        for chunk in chunks:
            n = len(chunk)
            _check_cells(name, (rows + n) * width)
            parts.append(_chunk_values(chunk, columns, where, name, rows, minus_inf))
            rows += n
    finally:
        chunks.close()
    values = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return TextRows(values, columns if header else None, messages=messages)


def _chunk_values(chunk: Any, columns: list[str], where: _Where, name: str, offset: int, minus_inf: bool) -> np.ndarray:
    """A chunk's cells as float64 (rows x columns) by the cell rule. Text cells
    are typed in one pass over all columns; an error is then found again
    column by column, to name its column."""
    from .arrow import TextChunk, TextColumn
    from .columns import numeric_cells

    n, width = len(chunk), len(columns)
    if isinstance(chunk, TextChunk):
        import pyarrow as pa

        pieces = [piece for column in chunk.table.columns for piece in column.chunks]
        fused = TextColumn(pa.chunked_array(pieces, type=pa.string()))
        try:
            flat = numeric_cells(fused, where, name, "", 0, minus_inf=minus_inf)  # type: ignore[arg-type]
        except InputError:
            flat = None
        if flat is not None:
            return np.ascontiguousarray(flat.reshape(width, n).T)

        def column(j: int) -> Any:
            return TextColumn(chunk.table.column(j))

    else:

        def column(j: int) -> Any:
            return chunk.iloc[:, j]

    out = np.empty((n, width))
    for j, label in enumerate(columns):
        out[:, j] = numeric_cells(column(j), where, name, label, offset, minus_inf=minus_inf)  # type: ignore[arg-type]
    return out


def _check_cells(name: str, cells: int) -> None:
    if cells > MAX_TEXT_CELLS:
        raise InputError(
            f"{name}: more than {MAX_TEXT_CELLS:,} cells (a text batch is held whole); write the batch as an .npy array"
        )


# ---------------------------------------------------------------------------
# JSON lines, or one JSON document of rows


class _Rows:
    """Rows of a JSON batch as they are read: lists (by position) or objects (by label)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kind: type | None = None
        self.lists: list[np.ndarray] = []
        self.labels: dict[str, int] = {}
        self.objects: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def count(self) -> int:
        return len(self.lists) + len(self.objects)

    def add(self, row: Any, where: str) -> None:
        if not isinstance(row, (list, dict)):
            raise InputError(f"{self.name}: {where}: a row is a list of numbers or an object {{label: value}}")
        kind = list if isinstance(row, list) else dict
        if isinstance(row, DuplicateKeys):
            seen: set[str] = set()
            twice = next(k for k, _ in row.pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise InputError(f"{self.name}: {where}: label {show_label(twice)} appears twice")
        if self.kind is None:
            self.kind = kind
        elif kind is not self.kind:
            raise InputError(
                f"{self.name}: {where}: each row must be a list of numbers or an object {{label: value}}, not a mix"
            )
        if isinstance(row, list):
            k = len(self.lists[0]) if self.lists else len(row)
            if len(row) != k or k == 0:
                raise InputError(f"{self.name}: {where} has {len(row)} values; the first row has {k}")
            self.lists.append(self._values(row, [f"position {j}" for j in range(len(row))], where))
            _check_cells(self.name, k * self.count)
            return
        index = np.array([self.labels.setdefault(label, len(self.labels)) for label in row], dtype=np.intp)
        values = self._values(list(row.values()), [show_label(label) for label in row], where)
        self.objects.append((index, values))
        _check_cells(self.name, len(self.labels) * self.count)

    def _values(self, cells: list[Any], names: list[str], where: str) -> np.ndarray:
        """JSON numbers as float64 (finite: JSON has no NaN or infinity); anything else an error naming the cell."""
        if all(type(v) is float or type(v) is int for v in cells):
            try:
                values = np.array(cells, dtype=np.float64)
            except OverflowError:
                values = None
            if values is not None and np.isfinite(values).all():
                return values
        for v, cell in zip(cells, names):
            self._number(v, f"{where}, {cell}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _number(self, value: Any, where: str) -> float:
        if value is None:
            raise InputError(f"{self.name}: {where} is null, not a number (a row of objects may leave a label out)")
        if type(value) not in (int, float):
            raise InputError(f"{self.name}: {where}: {show_label(json.dumps(value)[:40])} is not a number")
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):  # 1e999: JSON's parser makes it infinite
            raise InputError(f"{self.name}: {where} holds a number beyond the range of a float")
        return x

    def result(self) -> TextRows:
        if not self.count:
            raise InputError(f"{self.name}: no rows")
        if self.kind is list:
            return TextRows(np.stack(self.lists), None)
        rows = np.full((self.count, len(self.labels)), np.nan)  # NaN: a label the row leaves out
        for i, (index, values) in enumerate(self.objects):
            rows[i, index] = values
        return TextRows(rows, list(self.labels), sparse=True)


def _json_rows(src: Source, encoding: str) -> TextRows:
    from .jsondoc import _object

    name = src.name
    rows = _Rows(name)

    def reject_constant(token: str) -> Any:
        raise InputError(f"{name}: line {number}: {token} is not a number JSON allows")

    decoder = json.JSONDecoder(parse_constant=reject_constant, object_pairs_hook=_object)
    enc = "utf-8-sig" if is_utf8(encoding) else encoding
    try:
        with src.reading() as handle:
            text = io.TextIOWrapper(handle, encoding=enc, newline="")
            number = 0
            while True:
                line = text.readline(MAX_JSON_BYTES + 1)
                number += 1
                if not line:
                    break
                if len(line) > MAX_JSON_BYTES:
                    raise InputError(f"{name}: line {number} is longer than {MAX_JSON_BYTES >> 20} MiB")
                if not line.strip():
                    continue
                try:
                    row = decoder.decode(line)
                except ValueError as exc:
                    if rows.count:
                        raise InputError(f"{name}: line {number} is not JSON: {exc}") from None
                    row = None  # the first line of a JSON document spread over lines
                except RecursionError:
                    raise InputError(f"{name}: line {number}: JSON is nested too deeply") from None
                if not rows.count and (row is None or _is_document(row)):
                    text.detach()
                    break
                rows.add(row, f"line {number}")
    except UnicodeError as exc:
        raise decode_error(exc, name, encoding) from None
    if rows.count:
        return rows.result()
    return _json_document(src, encoding, rows)


def _is_document(value: Any) -> bool:
    """A whole batch: a list of rows (lists or objects)."""
    return isinstance(value, list) and bool(value) and all(isinstance(x, (list, dict)) for x in value)


def _json_document(src: Source, encoding: str, rows: _Rows) -> TextRows:
    from .jsondoc import parse_json_text
    from .streams import decode

    data = src.document(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise InputError(
            f"{src.name}: a JSON document over {MAX_JSON_BYTES >> 20} MiB is not read", hint="give it as JSON lines"
        )
    value = parse_json_text(decode(data, encoding, src.name), src.name)
    if not _is_document(value):
        raise InputError(
            f"{src.name}: a batch in JSON is a list of rows, or JSON lines: a list of numbers or an object "
            "{label: value} a line"
        )
    for i, row in enumerate(value):
        rows.add(row, f"row {i}")
    return rows.result()
