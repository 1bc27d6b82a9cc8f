"""Many distributions for a pairwise matrix: several sources, the numeric
columns of one table, or the rows of an array.

Each source is read exactly as compare reads one side (``sides``); the
columns of one table are read in one pass, as compare reads P and Q of one
table (``columns.read_sides``); array rows come from ``arrays.load_array``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from ..core.histogram import Histogram
from ..errors import InputError, UsageError
from ..text import show_label
from ..vocabulary import MAX_MATRIX, MAX_MATRIX_CELLS
from .arrays import array_kind, load_array
from .columns import Want, read_sides
from .jsondoc import json_pair
from .sides import _histogram, _load, _planned, to_histogram
from .streams import is_stream, one_stream
from .tables import ReadOptions, plan_columns


def is_array_file(spec: Any) -> bool:
    """Whether a command-line word names a NumPy .npy/.npz file (a stream is never opened to find out)."""
    return isinstance(spec, str) and not is_stream(spec) and array_kind(spec) is not None


def load_sources(specs: list[Any], options: ReadOptions, open_stdin: Callable[[], BinaryIO] | None) -> list[Histogram]:
    """One distribution per source (a command-line word or a Python object),
    each read as compare reads one side."""
    words = [s for s in specs if isinstance(s, str)]
    for a in range(len(words)):
        for b in range(a + 1, len(words)):
            if one_stream(words[a], words[b]):
                raise UsageError(f"{show_label(words[a])} is one stream named twice: it can be read only once")
    out = []
    for spec in specs:
        if not isinstance(spec, str):
            out.append(to_histogram(spec, f"distribution {len(out) + 1}", options))
            continue
        name = "stdin" if spec == "-" else spec
        if is_array_file(spec):
            raise UsageError(
                f"{name}: is a NumPy array; its rows are read as distributions when it is the only source (--rows)"
            )
        role = f"source {len(out) + 1}"
        loaded = _load(spec, role, options, open_stdin, named=name)
        if json_pair(loaded.json_value):
            raise InputError(
                f"{name}: holds two distributions (p and q); a matrix takes one distribution per source",
            )
        out.append(_histogram(_planned(loaded, role, options)))
    return out


def load_columns(
    spec: str, options: ReadOptions, open_stdin: Callable[[], BinaryIO] | None, wanted: list[str] | None = None
) -> tuple[list[Histogram], list[str], list[str]]:
    """The numeric columns of one table, each a distribution over its label
    column, read in one pass: (histograms, their column names, columns not used)."""
    name = "stdin" if spec == "-" else spec
    loaded = _load(spec, "source", options, open_stdin, named=name)
    if loaded.table is None:
        raise UsageError(
            f"{name}: one source gives the distributions as the numeric columns of a table, and this is not a table",
            hint="give two or more sources (one distribution each), or a table with several numeric columns",
        )
    plans, unused = plan_columns(loaded.table, options, wanted)
    if len(plans) < 2:
        found = ", ".join(show_label(p.value) for p in plans) or "none"
        raise InputError(
            f"{name}: a matrix needs at least two distributions, and the table has {len(plans)} numeric "
            f"column{'s' if len(plans) != 1 else ''} ({found})",
            hint="give two or more sources, one distribution each",
        )
    if len(plans) > MAX_MATRIX:
        raise InputError(f"{name}: {len(plans):,} numeric columns; a matrix holds at most {MAX_MATRIX:,}")
    histograms = read_sides(loaded.table, [Want(plan, name) for plan in plans])
    return histograms, [plan.value for plan in plans], unused


def load_rows(spec: str, key: str | None = None) -> np.ndarray:
    """The rows of a 2-D array file (.npy, memory-mapped, or an .npz member) as
    float64 weights, checked: finite, non-negative, no row all zeros."""
    if not is_array_file(spec):
        import os

        if not is_stream(spec) and not os.path.exists(spec):
            raise InputError(f"{show_label(spec)}: no such file")
        raise InputError(
            f"{show_label(spec)}: --rows reads NumPy arrays (.npy, or an .npz member with --key), rows x "
            "categories; CSV and JSON lines batch files are not read by matrix yet",
        )
    name = spec
    array = load_array(spec, name, key=key)
    if array.ndim != 2:
        raise InputError(
            f"{name}: the array has shape {tuple(array.shape)}; --rows needs 2 dimensions (rows x categories)"
        )
    rows, cells = array.shape
    if rows > MAX_MATRIX:
        raise InputError(f"{name}: {rows:,} rows; a matrix holds at most {MAX_MATRIX:,} distributions")
    if cells == 0:
        raise InputError(f"{name}: the rows have no categories (shape {tuple(array.shape)})")
    if rows * cells > MAX_MATRIX_CELLS:
        raise InputError(
            f"{name}: {rows:,} x {cells:,} values; a matrix holds at most {MAX_MATRIX_CELLS:,} (2^27) in memory"
        )
    return checked_rows(array, name)


def checked_rows(array: Any, name: str) -> np.ndarray:
    """A 2-D array of weights as float64, checked: finite, non-negative, no row all zeros."""
    if array.ndim != 2 or array.shape[1] == 0:
        raise InputError(f"{name}: the array has shape {tuple(array.shape)}; rows x categories is needed")
    if array.dtype.kind not in "biuf":
        raise InputError(f"{name}: the array holds {array.dtype}; expected numbers")
    values = np.asarray(array, dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{name}: row {i}, column {j} is {float(values[i, j])!r}, not a finite number")
    if (values < 0).any():
        i, j = np.argwhere(values < 0)[0]
        raise InputError(
            f"{name}: row {i}, column {j} is negative ({float(values[i, j])!r}); "
            "probabilities, counts and weights must be >= 0"
        )
    empty = ~values.any(axis=1)
    if empty.any():
        i = int(np.argmax(empty))
        raise InputError(f"{name}: row {i}: all values are 0, so there is no distribution to normalize")
    with np.errstate(over="ignore"):
        sums = values.sum(axis=1)
    if not np.isfinite(sums).all():
        i = int(np.argmax(~np.isfinite(sums)))
        raise InputError(f"{name}: row {i}: its values sum to more than the largest float")
    return values
