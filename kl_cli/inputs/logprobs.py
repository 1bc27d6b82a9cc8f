"""Log-probabilities of sampled tokens, from a table or from arrays, in checked blocks.

A table (any format the dataset reader reads, compressed or from standard
input) is read through ``ChunkTable``, the one reader compare uses, a chunk
at a time; its numeric cells by the one cell rule (``numeric_cells``), the
sequence and mask columns by the cell rule on their distinct cells. Arrays
are ``.npy`` files, memory-mapped and read a block of rows at a time, or
members of one ``.npz`` archive.

Every block is checked before it is used, each problem one line naming the
source and where: a log-probability that is NaN or +inf, one above 0 beyond
rounding (a probability above 1), -inf under q (q drew the token, so it
cannot have had probability 0), a mask that is not 0/1. Only the tokens the
mask keeps are checked: padding may hold anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from ..errors import InputError, UsageError
from ..text import show_label
from .arrays import FLOATS, MASKS, array_kind, load_array
from .cells import classify_text, classify_value, number_label
from .columns import numeric_cells
from .datasets import TableOptions
from .source import Source
from .streams import is_stream

# A log-probability may be above 0 by this much (rounding of a log-softmax);
# beyond it the probability is above 1. float16 carries three decimal digits.
LOGPROB_SLACK = 1e-5
LOGPROB_SLACK_HALF = 2.0**-10
# Tokens handed on at a time from arrays (a block of whole rows, at least one row).
BLOCK_TOKENS = 1 << 21


@dataclass(frozen=True)
class Block:
    """Checked log-probabilities of a run of tokens, in float64.

    ``keep``: the mask (True: a token counted), None for all. ``groups``:
    for a table with sequences, (keys, where): the sequence keys of this
    block and each token's position among them. ``rows``: 2-D arrays whose
    rows are whole sequences."""

    logq: np.ndarray
    logp: np.ndarray
    keep: np.ndarray | None = None
    groups: tuple[list[object], np.ndarray] | None = None
    rows: bool = False


@dataclass(frozen=True)
class Tokens:
    """The blocks of one input and what it is: its sources, and whether it has sequences."""

    blocks: Iterator[Block]
    q_source: str
    p_source: str
    sequences: bool
    notes: tuple[str, ...] = ()


def read_tokens(
    source: str,
    other: str | None = None,
    *,
    logq: str | None = None,
    logp: str | None = None,
    sequence: str | None = None,
    mask: str | None = None,
    table: TableOptions | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
) -> Tokens:
    """The tokens of a table (``source`` with the columns ``logq``, ``logp``,
    ``sequence``, ``mask``), of one ``.npz`` (the same names as its members),
    or of two arrays ``source`` (log q) and ``other`` (log p) with ``mask`` a
    0/1 array file."""
    if other is not None:
        for value, flag in ((logq, "--logq"), (logp, "--logp"), (sequence, "--sequence")):
            if value is not None:
                raise UsageError(
                    f"{flag} names a column of a table (or a member of one .npz); with two arrays LOGQ LOGP "
                    "each array holds its log-probabilities and rows are sequences"
                )
        return _two_arrays(source, other, mask)
    if logq is None or logp is None:
        raise UsageError(
            "name the columns with --logq and --logp (or give two arrays: kl-cli sampled LOGQ.npy LOGP.npy)"
        )
    if logq == logp:
        raise UsageError(f"--logq and --logp both name {show_label(logq)}: KL of a policy from itself is 0")
    kind = None if is_stream(source) else array_kind(source)
    if kind == "npy":
        raise UsageError(f"{source}: an .npy file holds one array; give two: kl-cli sampled LOGQ.npy LOGP.npy")
    if kind == "npz":
        if sequence is not None:
            raise UsageError("--sequence applies to tables; in an .npz the rows of 2-D arrays are sequences")
        arrays = [load_array(source, f"{source}: {member}", key=member) for member in (logq, logp)]
        keep = None if mask is None else load_array(source, f"{source}: {mask}", key=mask, kinds=MASKS + FLOATS)
        names = (f"{source}: {logq}", f"{source}: {logp}", f"{source}: {mask}")
        return _arrays(arrays[0], arrays[1], keep, names)
    return _table(source, logq, logp, sequence, mask, table or TableOptions(), open_stdin)


# ---------------------------------------------------------------------------
# Checks shared by both kinds


def _check(values: np.ndarray, keep: np.ndarray | None, role: str, slack: float, where: Callable[[int], str]) -> None:
    """Refuse the first kept value that is not a log-probability (``where`` names a flat index)."""
    with np.errstate(invalid="ignore"):
        bad = ~(values <= slack)  # NaN, +inf and values above 0 beyond rounding
        if role == "logq":
            bad |= np.isneginf(values)
    if keep is not None:
        bad &= keep
    if not bad.any():
        return
    i = int(np.argmax(bad.ravel()))
    value = float(values.ravel()[i])
    if np.isnan(value):
        what = "is NaN, not a log-probability"
    elif value == np.inf:
        what = "is +inf, not a log-probability"
    elif value == -np.inf:
        what = "is -inf: q drew this token, so its probability under q cannot be 0"
    else:
        what = f"is {value:g}, a log-probability above 0 (a probability above 1)"
    raise InputError(f"{where(i)}: {role} {what}")


def _slack(*arrays: np.ndarray) -> float:
    return LOGPROB_SLACK_HALF if any(a.dtype == np.float16 for a in arrays) else LOGPROB_SLACK


# ---------------------------------------------------------------------------
# Arrays


def _two_arrays(q_spec: str, p_spec: str, mask: str | None) -> Tokens:
    q_name, p_name = ("stdin" if s == "-" else s for s in (q_spec, p_spec))
    logq, logp = load_array(q_spec, q_name), load_array(p_spec, p_name)
    keep = None if mask is None else load_array(mask, mask, kinds=MASKS + FLOATS)
    return _arrays(logq, logp, keep, (q_name, p_name, mask or ""))


def _arrays(logq: Any, logp: Any, keep: Any, names: tuple[str, str, str]) -> Tokens:
    q_name, p_name, m_name = names
    for array, name in ((logq, q_name), (logp, p_name)):
        if array.ndim not in (1, 2):
            raise InputError(
                f"{name}: an array of shape {tuple(array.shape)}; expected tokens (1-D) or sequences x positions (2-D)"
            )
    if logq.shape != logp.shape:
        raise InputError(f"{p_name}: shape {tuple(logp.shape)} differs from {q_name}'s {tuple(logq.shape)}")
    if keep is not None and keep.shape != logq.shape:
        raise InputError(f"{m_name}: the mask has shape {tuple(keep.shape)}; the log-probabilities {tuple(logq.shape)}")
    if logq.size == 0:
        raise InputError(f"{q_name}: the array holds no tokens")
    rows = logq.ndim == 2
    slack = _slack(logq, logp)

    def blocks() -> Iterator[Block]:
        width = logq.shape[1] if rows else 1
        step = max(1, BLOCK_TOKENS // max(width, 1))
        for start in range(0, logq.shape[0], step):
            stop = min(start + step, logq.shape[0])
            q = np.asarray(logq[start:stop], dtype=np.float64)
            p = np.asarray(logp[start:stop], dtype=np.float64)
            kept = None if keep is None else _mask_block(np.asarray(keep[start:stop]), m_name, start, rows)

            def where(i: int, name: str, start: int = start) -> str:
                if not rows:
                    return f"{name}: at [{start + i}]"
                r, c = divmod(i, width)
                return f"{name}: at [{start + r}, {c}]"

            _check(q, kept, "logq", slack, lambda i: where(i, q_name))
            _check(p, kept, "logp", slack, lambda i: where(i, p_name))
            yield Block(q, p, kept, rows=rows)

    return Tokens(blocks(), q_name, p_name, rows)


def _mask_block(values: np.ndarray, name: str, start: int, rows: bool) -> np.ndarray:
    if values.dtype.kind == "b":
        return values.astype(bool)
    with np.errstate(invalid="ignore"):
        bad = (values != 0) & (values != 1)
    if bad.any():
        at = np.unravel_index(int(np.argmax(bad)), values.shape)
        shown = ", ".join(str(int(a) + (start if n == 0 else 0)) for n, a in enumerate(at))
        raise InputError(f"{name}: at [{shown}]: the mask holds {values[at]!r}; a mask holds 0 or 1")
    return values == 1


# ---------------------------------------------------------------------------
# Tables


def _table(
    spec: str,
    logq: str,
    logp: str,
    sequence: str | None,
    mask: str | None,
    options: TableOptions,
    open_stdin: Callable[[], BinaryIO] | None,
) -> Tokens:
    from .tables import ChunkTable

    name = "stdin" if spec == "-" else spec
    if spec == "-" and open_stdin is None:
        raise UsageError("standard input ('-') is only read by the command line")
    src = Source(spec, name, stated=options.input_format, open_stdin=open_stdin, one_pass=is_stream(spec))
    table = ChunkTable(name, src, options)
    listing = ", ".join(show_label(c) for c in table.columns)
    wanted = [(logq, "--logq"), (logp, "--logp"), (sequence, "--sequence"), (mask, "--mask")]
    for column, flag in wanted:
        if column is not None and column not in table.columns:
            raise InputError(f"{name}: no column {show_label(column)} ({flag}); the columns are {listing}")
    columns = list(dict.fromkeys(c for c, _ in wanted if c is not None))
    notes = tuple(text for kind, text in table.messages if kind == "note")

    def blocks() -> Iterator[Block]:
        chunks = table.chunks(columns)
        try:
            yield from _table_blocks(chunks)
        finally:
            chunks.close()

    def _table_blocks(chunks: Iterator[Any]) -> Iterator[Block]:
        offset = 0
        for chunk in chunks:
            q = numeric_cells(chunk[logq], table, name, logq, offset, minus_inf=True)
            p = numeric_cells(chunk[logp], table, name, logp, offset, minus_inf=True)
            keep = None if mask is None else _mask_cells(chunk[mask], table, name, mask, offset)
            groups = None if sequence is None else _sequence_cells(chunk[sequence], table, name, sequence, offset)

            def where(i: int, column: str, offset: int = offset) -> str:
                return f"{name}: {table.line_of(offset + i)}: column {show_label(column)}"

            _check(q, keep, "logq", LOGPROB_SLACK, lambda i: where(i, logq))
            _check(p, keep, "logp", LOGPROB_SLACK, lambda i: where(i, logp))
            offset += len(q)
            yield Block(q, p, keep, groups)

    return Tokens(blocks(), f"{name}: {logq}", f"{name}: {logp}", sequence is not None, notes)


def _distinct(column: Any, text_cells: bool) -> tuple[list[tuple[str, Any]], np.ndarray]:
    """A chunk's column as its distinct cells, each typed by the cell rule, and each row's code among them."""
    from .arrow import TextColumn

    if isinstance(column, TextColumn):
        import pyarrow.compute as pc

        from . import arrow

        array = column.array.combine_chunks() if hasattr(column.array, "combine_chunks") else column.array
        encoded = pc.dictionary_encode(array)
        codes = arrow.numbers(encoded.indices).astype(np.int64)
        cells = encoded.dictionary.to_pylist()
        kinds = [classify_text(c) if text_cells else classify_value(c) for c in cells]
        return kinds, codes
    import pandas as pd

    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    kinds = [classify_value(v) for v in uniques.tolist()]
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        kinds.append(("missing", None))
        codes = np.where(codes < 0, len(kinds) - 1, codes)
    return kinds, codes


def _first_row(codes: np.ndarray, code: int) -> int:
    return int(np.argmax(codes == code))


def _sequence_cells(
    column: Any, table: Any, name: str, column_name: str, offset: int
) -> tuple[list[object], np.ndarray]:
    kinds, codes = _distinct(column, table.text_cells)
    keys: list[object] = []
    for code, (kind, value) in enumerate(kinds):
        if kind == "missing" and (codes == code).any():
            row = table.line_of(offset + _first_row(codes, code))
            raise InputError(f"{name}: {row}: column {show_label(column_name)} has no sequence id (a missing cell)")
        keys.append(number_label(value) if kind == "number" else value)
    return keys, codes


def _mask_cells(column: Any, table: Any, name: str, column_name: str, offset: int) -> np.ndarray:
    kinds, codes = _distinct(column, table.text_cells)
    flags = np.zeros(len(kinds), dtype=bool)
    for code, (kind, value) in enumerate(kinds):
        if kind == "number" and value in (0, 1):
            flags[code] = value == 1
        elif kind == "boolean":
            flags[code] = value == "true"
        elif (codes == code).any():
            row = table.line_of(offset + _first_row(codes, code))
            shown = "a missing cell" if kind == "missing" else show_label(str(value))
            raise InputError(
                f"{name}: {row}: column {show_label(column_name)} has {shown}; a mask holds 0 or 1 (or true/false)"
            )
    return flags[codes] if len(kinds) else np.zeros(0, dtype=bool)
