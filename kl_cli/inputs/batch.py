"""A batch of distributions, one per row: the sources of ``kl-cli batch``.

- ``.npy`` (recognized by content): 2-D rows x categories, or 3-D sequences x
  positions x categories (each position a row). Read a block of rows at a
  time straight from the file into a reused buffer, so memory stays bounded
  whatever the file's size (pages of a memory map would count towards the
  resident set as they are touched).
- ``.npz``: one member (``--key``, or its only array), read whole.
- A wide table (CSV/TSV, Parquet) or JSON lines (a list of numbers, or an
  object ``{label: value}``, a line): read by ``batch_text``, held whole
  (text sources are small by nature: a 131,072-column CSV is not a format
  anyone writes, and the cells are bounded); labels are matched by name.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.rows import row_name
from ..errors import InputError
from ..text import show_label, show_labels
from .arrays import FLOATS, MASKS, array_kind, load_array
from .datasets import TableOptions
from .streams import decode, is_stream, read_bytes

# Bytes of float64 per block of rows (per array): small enough to stay in cache.
BLOCK_BYTES = 4 * 2**20
# Rows whose figures are kept (for medians and percentiles): 9 float64 per row.
MAX_ROWS = 10_000_000


@dataclass
class Batch:
    """One side: rows of values (``shape`` is the rows' leading shape: (rows,)
    or (sequences, positions)), categories by position or by label."""

    name: str
    source: str
    shape: tuple[int, ...]
    categories: int
    dtype: str
    labels: list[str] | None = None  # None: positional
    sparse: bool = False  # JSON objects: a row may leave a label out (NaN there)
    messages: list[tuple[str, str]] = field(default_factory=list)  # ("note" | "warning", text): a table's layout
    _array: Any = None  # an in-memory or memory-mapped array (rows x categories)
    _file: tuple[str, int] | None = None  # (path, offset of the data) of a C-ordered .npy
    _order: np.ndarray | None = None  # column order that matches the other side's labels
    _buffer: np.ndarray | None = field(default=None, repr=False)

    @property
    def rows(self) -> int:
        return math.prod(self.shape)

    def block_rows(self) -> int:
        return max(1, BLOCK_BYTES // (8 * max(self.categories, 1)))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows start..stop (in the file's dtype; columns in the matched order)."""
        out = self._read_file(start, stop) if self._file is not None else np.asarray(self._array[start:stop])
        return out if self._order is None else out[:, self._order]

    def _read_file(self, start: int, stop: int) -> np.ndarray:
        path, offset = self._file  # type: ignore[misc]
        dtype = np.dtype(self.dtype)
        n = stop - start
        if self._buffer is None or self._buffer.shape[0] < n:
            self._buffer = np.empty((n, self.categories), dtype=dtype)
        out = self._buffer[:n]
        row_bytes = self.categories * dtype.itemsize
        try:
            with open(path, "rb", buffering=0) as f:
                f.seek(offset + start * row_bytes)
                got = f.readinto(memoryview(out).cast("B"))
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        if got != n * row_bytes:
            raise InputError(f"{self.name}: the file ended early (truncated while being read?)")
        return out


def open_batch(
    spec: str, name: str, key: str | None = None, table: TableOptions | None = None, minus_inf: bool = False
) -> Batch:
    """The batch in ``spec``: a NumPy array by content, else a wide table or JSON lines
    read as ``table`` says (whose cells must be finite numbers; -inf too when
    ``minus_inf``, for log inputs)."""
    if spec == "-" or is_stream(spec):
        raise InputError(f"{name}: a batch is read from a file (arrays block by block), not from a stream")
    kind = array_kind(spec) if os.path.isfile(spec) else None
    if kind is not None:
        return _array_batch(spec, name, key, kind)
    if key is not None:
        raise InputError(f"{name}: --key applies to .npz archives; this is not one")
    return _text_batch(spec, name, table or TableOptions(), minus_inf)


def _array_batch(spec: str, name: str, key: str | None, kind: str) -> Batch:
    array = load_array(spec, name, key=key, kinds=FLOATS)
    if array.ndim not in (2, 3):
        raise InputError(
            f"{name}: the array has shape {tuple(array.shape)}; expected rows x categories (2-D) "
            "or sequences x positions x categories (3-D)"
        )
    shape = tuple(int(n) for n in array.shape[:-1])
    k = int(array.shape[-1])
    if k == 0 or math.prod(shape) == 0:
        raise InputError(f"{name}: the array is empty (shape {tuple(array.shape)})")
    _check_rows(name, math.prod(shape))
    flat = array.reshape(-1, k)
    batch = Batch(name, spec, shape, k, str(array.dtype))
    if isinstance(array, np.memmap) and array.flags.c_contiguous and array.dtype.isnative:
        batch._file = (spec, int(array.offset))
    else:
        batch._array = flat
    return batch


def _check_rows(name: str, rows: int) -> None:
    if rows > MAX_ROWS:
        raise InputError(
            f"{name}: {rows:,} rows; at most {MAX_ROWS:,} (each row's figures are kept for the percentiles)"
        )


def _text_batch(spec: str, name: str, table: TableOptions, minus_inf: bool) -> Batch:
    from .batch_text import read_text_rows

    text = read_text_rows(spec, name, table, minus_inf)
    rows, categories = text.rows.shape
    _check_rows(name, rows)
    return Batch(
        name,
        spec,
        (rows,),
        categories,
        "float64",
        labels=text.labels,
        sparse=text.sparse,
        messages=text.messages,
        _array=text.rows,
    )


def _number(value: str, name: str, where: str) -> float:
    try:
        return float(value)
    except (ValueError, OverflowError):
        raise InputError(f"{name}: {where}: {show_label(value)} is not a number") from None


def match_labels(p: Batch, q: Batch, missing_value: float) -> list[str] | None:
    """Put both sides' categories in one order: by name when either has labels
    (the same set of names, else an error), by position otherwise (the same
    count). Labels a JSON row leaves out become ``missing_value`` (0, or -inf
    for log inputs). Returns the labels (None: positional)."""
    if p.rows != q.rows:
        raise InputError(f"P has {p.rows:,} rows and Q has {q.rows:,}; a batch pairs row i of P with row i of Q")
    if p.shape != q.shape:
        raise InputError(f"P's rows have shape {p.shape} and Q's {q.shape}; they must be the same")
    positional = p.labels is None or q.labels is None or (_is_positional(p.labels) and _is_positional(q.labels))
    if positional:
        if p.categories != q.categories:
            raise InputError(f"P has {p.categories:,} categories a row and Q has {q.categories:,}")
        for side in (p, q):
            _fill_missing(side, missing_value)
        return None
    only_p = [x for x in p.labels if x not in set(q.labels)]  # type: ignore[union-attr]
    only_q = [x for x in q.labels if x not in set(p.labels)]  # type: ignore[union-attr]
    if (only_p or only_q) and p.sparse and q.sparse:  # rows of objects: the union, a label left out is missing
        _widen(p, only_q)
        _widen(q, only_p)
    elif only_p or only_q:
        parts = [
            f"only P has {show_labels(only_p)}" if only_p else "",
            f"only Q has {show_labels(only_q)}" if only_q else "",
        ]
        raise InputError(
            f"P and Q name different categories ({'; '.join(x for x in parts if x)}); "
            "a batch needs the same set of names on both sides"
        )
    where = {label: i for i, label in enumerate(q.labels)}  # type: ignore[arg-type]
    q._order = np.array([where[label] for label in p.labels], dtype=np.intp)  # type: ignore[union-attr]
    for side in (p, q):
        _fill_missing(side, missing_value)
    return list(p.labels)  # type: ignore[arg-type]


def _widen(side: Batch, labels: list[str]) -> None:
    """Add columns (missing everywhere: NaN) for labels only the other side has."""
    if labels:
        side._array = np.concatenate([side._array, np.full((side.rows, len(labels)), np.nan)], axis=1)
        side.labels = [*side.labels, *labels]  # type: ignore[misc]
        side.categories = len(side.labels)


def _is_positional(labels: list[str]) -> bool:
    return labels == [str(i) for i in range(len(labels))]


def _fill_missing(side: Batch, value: float) -> None:
    """Labels a JSON object left out of a row (NaN marks them: a NaN cell is refused when read)."""
    if side.sparse and side._array is not None and np.isnan(side._array).any():
        side._array = np.where(np.isnan(side._array), value, side._array)


def load_mask(spec: str, shape: tuple[int, ...]) -> np.ndarray:
    """A 0/1 array of the rows' leading shape (1 keeps a row, 0 leaves it out),
    from an .npy/.npz array (booleans or integers; floats of exactly 0 and 1
    too) or a text file of one column. Returns the flattened keep-mask."""
    if os.path.isfile(spec) and array_kind(spec) is not None:
        try:
            values = np.asarray(load_array(spec, "--mask", kinds=MASKS))
        except InputError as exc:
            if "expected booleans or integers" not in str(exc):
                raise
            values = np.asarray(load_array(spec, "--mask", kinds=FLOATS))
    else:
        text = decode(read_bytes(spec, "--mask"), "utf-8", "--mask") if os.path.exists(spec) else None
        if text is None:
            raise InputError("--mask: no such file")
        cells = [line.strip() for line in text.splitlines() if line.strip()]
        if cells and not _is_number(cells[0]):
            cells = cells[1:]  # a header
        values = np.array([_number(c, "--mask", f"value {i + 1}") for i, c in enumerate(cells)])
        if values.size == math.prod(shape):
            values = values.reshape(shape)
    if values.shape != shape and not (
        values.ndim == len(shape) + 1 and values.shape[-1] == 1 and values.shape[:-1] == shape
    ):
        raise InputError(f"--mask: shape {tuple(values.shape)}; the rows have shape {shape}")
    flat = values.reshape(-1)
    bad = ~((flat == 0) | (flat == 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"--mask: value {flat[i]!r} at position {i} is not 0 or 1")
    return flat.astype(bool)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- from what the user gave to log-weights, checked ---------------------------


def log_weights(
    block: np.ndarray, kind: str, name: str, first_row: int, temperature: float = 1.0, shape: tuple[int, ...] = ()
) -> np.ndarray:
    """Rows of ``probs`` (non-negative weights), ``logits`` or ``logprobs`` as
    float64 log-weights, checked: NaN, +inf, negative weights and rows with no
    weight are errors naming the row (``first_row``: the block's first row;
    ``shape``: the rows' leading shape, to name a row as (sequence, position))."""
    x = np.asarray(block, dtype=np.float64)
    if kind == "probs":
        top = x.max(axis=1)
        low = x.min(axis=1)
        _check(top, np.isfinite(top), name, first_row, shape, "holds NaN or an infinite value")
        _check(low, low >= 0, name, first_row, shape, "holds a negative probability")
        _check(top, top > 0, name, first_row, shape, "is all zeros (no distribution)")
        with np.errstate(divide="ignore"):
            return np.log(x)
    top = x.max(axis=1)
    _check(top, ~np.isnan(top), name, first_row, shape, f"holds NaN ({kind})")
    _check(top, top < np.inf, name, first_row, shape, f"holds +inf ({kind})")
    _check(top, top > -np.inf, name, first_row, shape, "is -inf everywhere (no distribution)")
    if kind == "logits":
        if temperature != 1.0:
            with np.errstate(over="ignore"):
                scaled = x / temperature  # a new array: the block may be the user's own (a view of it)
            beyond = (np.isinf(scaled) & np.isfinite(x)).any(axis=1)
            _check(beyond, ~beyond, name, first_row, shape, f"holds logits / {temperature:g} beyond the float range")
            x, top = scaled, scaled.max(axis=1)
        # The figures take differences of logits: two finite ones more than the float range
        # apart have none. Only a maximum above 2^960 can be so far from a finite logit.
        low = x.min(axis=1)
        zeros = low == -np.inf  # a probability 0: the spread is that of the finite logits
        low[zeros] = top[zeros]
        far = np.flatnonzero(zeros & (top > 2.0**960))
        if far.size:
            low[far] = np.where(np.isfinite(x[far]), x[far], np.inf).min(axis=1)
        with np.errstate(over="ignore"):
            spread = top - low
        _check(spread, spread < np.inf, name, first_row, shape, "holds logits further apart than the float range")
    return x


def _check(values: np.ndarray, ok: np.ndarray, name: str, first_row: int, shape: tuple[int, ...], what: str) -> None:
    if not ok.all():
        i = first_row + int(np.flatnonzero(~ok)[0])
        raise InputError(f"{name}: {row_name(i, shape)} {what}")


def logprob_rest(x: np.ndarray, name: str, first_row: int, shape: tuple[int, ...], tolerance: float) -> np.ndarray:
    """The log of the probability a row of log-probabilities leaves out (-inf
    when it sums to 1 within ``tolerance``); a sum above 1 + tolerance is an error."""
    m = x.max(axis=1)
    m = np.where(m > -np.inf, m, 0.0)  # a row listing nothing (both sides' lists disjoint) leaves out 1
    total = np.exp(m) * np.exp(x - m[:, None]).sum(axis=1)
    over = total > 1 + tolerance
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            f"{name}: {row_name(first_row + i, shape)}'s probabilities sum to {total[i]:.9g}, more than 1: "
            "not log-probabilities (use --input logits)"
        )
    rest = 1.0 - total
    with np.errstate(divide="ignore"):
        return np.where(rest > tolerance, np.log(np.maximum(rest, tolerance)), -np.inf)


@dataclass(frozen=True)
class Gaussians:
    """Rows of diagonal Gaussians: means and log-variances, rows x dimensions
    (one row, broadcast, for a single distribution)."""

    source: str
    mu: np.ndarray
    logvar: np.ndarray


def open_gaussians(spec: str, name: str) -> Gaussians | None:
    """The diagonal Gaussians of an .npz holding ``mu`` and ``logvar`` (or
    ``sigma``), checked; None when ``spec`` is not such an archive."""
    if not (os.path.isfile(spec) and array_kind(spec) == "npz"):
        return None
    with np.load(spec, allow_pickle=False) as archive:
        members = set(archive.files)
    if "mu" not in members or not members & {"logvar", "sigma"}:
        return None
    if {"logvar", "sigma"} <= members:
        raise InputError(f"{name}: the archive holds both logvar and sigma; keep one")
    mu = np.asarray(load_array(spec, f"{name} (mu)", key="mu"), dtype=np.float64)
    scale_key = "logvar" if "logvar" in members else "sigma"
    scale = np.asarray(load_array(spec, f"{name} ({scale_key})", key=scale_key), dtype=np.float64)
    if mu.ndim != 2 or mu.shape != scale.shape or mu.size == 0:
        raise InputError(
            f"{name}: mu has shape {mu.shape} and {scale_key} {scale.shape}; both must be rows x dimensions"
        )
    _check_rows(name, mu.shape[0])
    if not np.isfinite(mu).all():
        raise InputError(
            f"{name}: mu holds NaN or an infinite value (row {int(np.flatnonzero(~np.isfinite(mu).all(axis=1))[0])})"
        )
    if scale_key == "sigma":
        bad = ~(np.isfinite(scale) & (scale > 0))
        if bad.any():
            raise InputError(f"{name}: sigma must be finite and > 0 (row {_first(bad)})")
        logvar = 2 * np.log(scale)
    else:
        if not np.isfinite(scale).all():
            raise InputError(f"{name}: logvar holds NaN or an infinite value (row {_first(~np.isfinite(scale))})")
        logvar = scale
    return Gaussians(spec, mu, logvar)


def _first(bad: np.ndarray) -> int:
    """The first row of a 2-D flag array with a flag set."""
    return int(np.flatnonzero(bad.any(axis=1))[0])
