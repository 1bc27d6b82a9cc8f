"""The cell rule: how one table cell becomes a missing value, a number, a boolean or text.

One rule for every command and every format, so one column always gives
one answer. A cell's type is its own, never decided by its neighbours.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..vocabulary import MISSING, MISSING_SPELLINGS


def canonical(value: Any) -> str:
    """The label of one cell: numbers print the same whether read as int or
    float (3 and 3.0 are both '3'); missing cells are '(missing)'."""
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return MISSING
        if float(value).is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(float(value))
    return str(value)


# The first characters of the CSV cells that can read as numbers ('inf' and
# 'Infinity' included); only cells starting so are parsed (a cheap filter).
_NUMBER_START = frozenset("0123456789+-.iI")
# CSV cells pandas reads as booleans in a column of nothing else (any case).
_BOOLEANS = {"true": True, "false": False}
_MISSING_TEXT = frozenset(MISSING_SPELLINGS)
# JSON booleans, counted apart from the numbers 1 and 0 (True == 1 in Python).
_JSON_BOOLEAN = {True: "true", False: "false"}


def _floats(values: Any) -> np.ndarray:
    """Numbers as float64; integers beyond the float range (a 310-digit CSV
    cell) become +-inf, as pandas reads 1e400."""
    try:
        return np.asarray(values, dtype=np.float64)
    except OverflowError:
        return np.array([_float(v) for v in values], dtype=np.float64)


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def typed_cells(series: Any, text_cells: bool) -> tuple[np.ndarray, dict[Any, float], int]:
    """One chunk's column split by cell: its numbers (float64, one per cell),
    its other cells (distinct value -> count) and its count of missing cells.

    A cell's type is its own, never decided by the other cells of its chunk,
    so that results do not depend on --chunk-rows: a JSON cell keeps its JSON
    type; a CSV cell (``text_cells``) that reads as a number or a boolean is
    that number or boolean, exactly as pandas reads it in a column of such
    cells, even when another cell of the chunk made pandas keep it as text."""
    missing = series.isna().to_numpy()
    present = series[~missing]
    n_missing = int(missing.sum())
    if len(present) == 0:
        return np.empty(0), {}, n_missing
    if _holds_numbers(present):
        return _floats(present), {}, n_missing
    if not text_cells and present.dtype == object:  # JSON: true and 1 must not count as one value
        present = present.map(lambda v: _JSON_BOOLEAN.get(v, v) if type(v) is bool else v)
    counts = present.value_counts(sort=False)
    cells = np.asarray(counts.index, dtype=object)
    n = counts.to_numpy(dtype=np.int64)
    parsed = _text_numbers(cells) if text_cells else _json_numbers(cells)
    is_number = ~np.isnan(parsed)
    others: dict[Any, float] = {}
    for cell, c in zip(cells[~is_number].tolist(), n[~is_number].tolist()):
        if text_cells and isinstance(cell, str):
            if cell in _MISSING_TEXT:  # pandas skips its missing spellings beside a huge integer
                n_missing += c
                continue
            cell = _BOOLEANS.get(cell.lower(), cell)
        others[cell] = others.get(cell, 0.0) + float(c)
    return np.repeat(parsed[is_number], n[is_number]), others, n_missing


def _text_numbers(cells: np.ndarray) -> np.ndarray:
    """Each distinct CSV cell as the number pandas reads it as, NaN for other text."""
    import pandas as pd

    out = np.full(len(cells), np.nan)
    # pandas' number parser skips leading white space (tab, \v, \f too)
    maybe = np.fromiter((str(c).lstrip()[:1] in _NUMBER_START for c in cells.tolist()), dtype=bool, count=len(cells))
    if maybe.any():
        parsed = pd.to_numeric(pd.Series(cells[maybe], dtype=object), errors="coerce")
        out[maybe] = _floats(parsed)
    return out


def _json_numbers(cells: np.ndarray) -> np.ndarray:
    """Each distinct JSON cell as a number when it is one (not a boolean), else NaN.
    The JSON reader refuses numbers beyond the float range, so float() is exact enough."""
    out = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells.tolist()):
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            out[i] = _float(cell)
    return out


def _holds_numbers(series: Any) -> bool:
    """True for a numeric dtype, or an object column whose cells are all int/float
    (JSON lines mixing ints and floats arrive that way); bools are not numbers."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    if pd.api.types.is_numeric_dtype(dtype):
        return True
    if isinstance(dtype, np.dtype) and dtype.kind == "O":  # numpy object, not pandas' str: look at the cells
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in series.tolist())
    return False
