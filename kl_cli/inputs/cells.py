"""The cell rule: how one table cell becomes missing, a number, a boolean or text.

One rule for every command and every format, so one column always gives one
answer, and a cell's type is its own, never decided by its neighbours (so no
result depends on the chunk size):

- Text cells (CSV, TSV): leading and trailing white space is not part of a
  cell. A cell is missing when it is one of ``MISSING_SPELLINGS`` (empty,
  ``nan``, ``NaN``, ``NULL``, ``null``, ``None``); a number when it is an
  ASCII decimal or ``inf``/``infinity`` that Python's ``float`` reads (no
  ``_`` separators, not a NaN); a boolean when it is ``true`` or ``false`` in
  any case; otherwise text.
- Typed cells (JSON, Parquet, DataFrames) keep their type: null and NaN are
  missing, numbers (not booleans) are numbers, booleans are booleans,
  strings follow the text rule above only for white space and missing
  spellings (a JSON string ``"3"`` is text).
- Typed decimals (Parquet ``decimal128``) read as their decimal text does.
- Labels: an integer keeps its exact value at any size (``str(int)``; one
  longer than Python converts, 4300 digits, keeps its digits as written,
  less a ``+`` and leading zeros, and is beyond the float range as a
  value); a float that is a whole number below 2**53 prints as that
  integer (3 and 3.0 are one category); other floats print as their
  shortest repr; booleans as ``true``/``false``.
"""

from __future__ import annotations

import decimal
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..vocabulary import MISSING_SPELLINGS
from . import arrow
from .arrow import TextColumn

_MISSING_TEXT = frozenset(MISSING_SPELLINGS)
_BOOLEANS = {"true": True, "false": False}
# An ASCII decimal number, or an infinity, as Python's float() reads it.
_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)", re.IGNORECASE)
_INTEGER = re.compile(r"[+-]?\d+")
_EXACT = 2**53


@dataclass
class TypedCells:
    """One chunk of one column, split by the cell rule.

    ``numbers``: one float64 per number cell (for binning); ``number_labels``:
    the count per label of the number cells (None when ``label_limit`` was
    passed: too many distinct numbers to be categories); ``others``: the
    count per label of boolean and text cells; ``missing``: missing cells.
    """

    numbers: np.ndarray
    number_labels: dict[str, float] | None
    others: dict[str, float] = field(default_factory=dict)
    missing: int = 0


class LongInteger(str):
    """An integer cell too long for Python to convert (more than
    ``sys.get_int_max_str_digits()`` digits): its canonical digits, with a
    float value of +-inf (beyond the float range, as 1e400 is)."""

    def __float__(self) -> float:
        return -math.inf if self.startswith("-") else math.inf


def integer(text: str) -> int | LongInteger:
    """An integer's exact value from its (stripped) decimal digits."""
    try:
        return int(text)
    except ValueError:  # beyond Python's limit on converting digits
        digits = text.lstrip("+-").lstrip("0") or "0"
        return LongInteger(("-" if text.startswith("-") and digits != "0" else "") + digits)


_NONZERO_MANTISSA = re.compile(r"^[^eE]*[1-9]")


def below_floats(text: str, value: float) -> bool:
    """Whether a decimal's text is not zero but reads as 0.0 (1e-5000): the one
    rule for numbers below the float range, which are refused, never read as 0."""
    return value == 0.0 and _NONZERO_MANTISSA.match(text.strip()) is not None


BELOW_FLOATS = "is below the smallest float (about 5e-324), so it cannot be told from 0"


def too_many_digits(digits: int | None = None) -> str:
    """What is wrong with a number longer than Python converts (of ``digits`` digits, when known)."""
    limit = sys.get_int_max_str_digits() or 4300
    if digits is None:
        return f"a number has more than {limit} digits, more than kl-cli reads"
    return f"has a number of {digits} digits, more than the {limit} kl-cli reads"


def number_label(value: float | int) -> str:
    """The category label of a number: exact for integers, one spelling for 3 and 3.0."""
    if isinstance(value, LongInteger):
        return str.__str__(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < _EXACT:
        return str(int(value))
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def classify_text(cell: str) -> tuple[str, Any]:
    """('missing', None), ('number', int or float), ('boolean', label) or ('text', label) for one text cell.

    >>> classify_text(" 3 "), classify_text("NULL"), classify_text("True"), classify_text("1_000")
    (('number', 3), ('missing', None), ('boolean', 'true'), ('text', '1_000'))
    """
    text = cell.strip()
    if text in _MISSING_TEXT:
        return "missing", None
    if _NUMBER.fullmatch(text):
        if _INTEGER.fullmatch(text):
            return "number", integer(text)
        return "number", float(text)
    boolean = text.lower()
    if boolean in _BOOLEANS:
        return "boolean", boolean
    return "text", text


def classify_value(value: Any) -> tuple[str, Any]:
    """The same for a typed cell (JSON, Parquet, a DataFrame)."""
    if value is None:
        return "missing", None
    if isinstance(value, (bool, np.bool_)):
        return "boolean", "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return "number", int(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "missing", None
        return "number", float(value)
    if isinstance(value, str):
        text = value.strip()
        return ("missing", None) if text in _MISSING_TEXT else ("text", text)
    if isinstance(value, decimal.Decimal):
        return ("missing", None) if value.is_nan() else classify_text(str(value))
    if _is_na(value):  # pandas' NA, NaT and friends
        return "missing", None
    return "text", str(value).strip()


def _is_na(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def typed_cells(series: Any, text_cells: bool, label_limit: int | None = None) -> TypedCells:
    """One chunk's column by the cell rule (see the module docstring).

    Distinct cells are classified once each. A column of many distinct
    text cells that are all numbers (a measurement) is parsed in one
    vectorized pass. ``label_limit``: beyond this many distinct numbers,
    their labels are not computed (``number_labels`` is None).
    """
    if isinstance(series, TextColumn):
        return _arrow_text_cells(series.array, label_limit)
    values = series
    isna = values.isna().to_numpy()
    n_missing = int(isna.sum())
    present = values[~isna] if n_missing else values
    if len(present) == 0:
        return TypedCells(np.empty(0), {}, {}, n_missing)
    if not text_cells and _holds_numbers(present):
        numbers = _floats(present.to_numpy())
        bad = np.isnan(numbers)
        n_missing += int(bad.sum())
        numbers = numbers[~bad]
        return TypedCells(numbers, _labels_of_numbers(present[~bad], label_limit), {}, n_missing)
    if not text_cells and present.dtype == object:
        # JSON booleans must not merge with the numbers 1 and 0 (True == 1 in Python).
        present = present.map(lambda v: ("\x00bool", v) if type(v) is bool else v)
    counts = present.value_counts(sort=False, dropna=False)
    numbers_parts: list[np.ndarray] = []
    number_labels: dict[str, float] = {}
    others: dict[str, float] = {}
    for cell, n in zip(counts.index.tolist(), counts.to_numpy(dtype=np.int64).tolist()):
        if isinstance(cell, tuple) and cell[:1] == ("\x00bool",):
            kind, value = "boolean", "true" if cell[1] else "false"
        elif text_cells and isinstance(cell, str):
            kind, value = classify_text(cell)
        else:
            kind, value = classify_value(cell)
        if kind == "missing":
            n_missing += n
        elif kind == "number":
            numbers_parts.append(np.full(n, _float(value)))
            label = number_label(value)
            number_labels[label] = number_labels.get(label, 0.0) + n
        else:
            others[value] = others.get(value, 0.0) + n
    numbers = np.concatenate(numbers_parts) if numbers_parts else np.empty(0)
    if label_limit is not None and len(number_labels) > label_limit:
        labels: dict[str, float] | None = None
    else:
        labels = number_labels
    return TypedCells(numbers, labels, others, n_missing)


# Distinct cells up to this many are classified in Python; more (a measured
# quantity) are classified by Arrow in bulk, Python seeing only the odd ones.
_FEW_DISTINCT = 2_000
# An ASCII decimal that Arrow's string-to-double cast and Python's float() read
# alike, to the same double (both round correctly).
_ARROW_DECIMAL = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _arrow_text_cells(array: Any, label_limit: int | None) -> TypedCells:
    """Text cells held by Arrow: counted per distinct cell in C, then each
    distinct cell typed by the rule (in bulk by Arrow when there are many)."""
    import pyarrow as pa

    tally = array.value_counts()  # the method: the bulk path alone needs pyarrow.compute
    values, counts = tally.field("values"), arrow.numbers(tally.field("counts")).astype(np.int64)
    n = len(values)
    missing = 0
    number_values: list[np.ndarray] = []
    number_counts: list[np.ndarray] = []
    labelled: list[tuple[Any, int]] = []  # (int or float value, count) of numbers whose labels may be needed
    others: dict[str, float] = {}
    odd = np.ones(n, dtype=bool)  # the distinct cells Python must type
    if n > _FEW_DISTINCT:
        import pyarrow.compute as pc

        trimmed = pc.utf8_trim_whitespace(values)
        is_missing = arrow.flags(pc.is_in(trimmed, value_set=arrow.strings(MISSING_SPELLINGS)))
        is_decimal = arrow.flags(pc.match_substring_regex(trimmed, _ARROW_DECIMAL)) & ~is_missing
        missing += int(counts[is_missing].sum())
        decimals = pc.filter(trimmed, arrow.mask(is_decimal))
        floats = arrow.numbers(pc.cast(decimals, pa.float64()))
        exact = np.abs(floats) < _EXACT  # beyond 2**53 an integer cell's label needs Python
        number_values.append(floats)
        number_counts.append(counts[is_decimal])
        odd = ~is_missing & ~is_decimal
        decimal_index = np.flatnonzero(is_decimal)
        # Labels are skipped only when the distinct numbers (not spellings: 3 and
        # 3.0 are one) are past the limit, so typing never depends on chunk bounds.
        if label_limit is None or np.unique(floats).size <= label_limit:
            texts = decimals.to_pylist()
            labelled += [
                (integer(t) if _INTEGER.fullmatch(t) else v, int(c)) if not e else (v, int(c))
                for t, v, c, e in zip(texts, floats.tolist(), counts[decimal_index].tolist(), exact.tolist())
            ]
        else:
            labelled = None  # type: ignore[assignment]
    odd_index = np.flatnonzero(odd)
    if odd_index.size:
        for cell, c in zip(values.take(arrow.indices(odd_index)).to_pylist(), counts[odd_index].tolist()):
            kind, value = classify_text(cell)
            if kind == "missing":
                missing += c
            elif kind == "number":
                number_values.append(np.array([_float(value)]))
                number_counts.append(np.array([c]))
                if labelled is not None:
                    labelled.append((value, c))
            else:
                others[value] = others.get(value, 0.0) + c
    numbers = np.repeat(np.concatenate(number_values), np.concatenate(number_counts)) if number_values else np.empty(0)
    labels: dict[str, float] | None = None
    if labelled is not None and (label_limit is None or len({value for value, _ in labelled}) <= label_limit):
        labels = {}
        for value, c in labelled:
            label = number_label(value)
            labels[label] = labels.get(label, 0.0) + c
        if label_limit is not None and len(labels) > label_limit:
            labels = None
    return TypedCells(numbers, labels, others, missing)


def _labels_of_numbers(present: Any, label_limit: int | None) -> dict[str, float] | None:
    if label_limit == 0:
        return None  # present holds numbers: one is past the limit
    if label_limit is not None and len(present) > _PREFIX and present.iloc[:_PREFIX].nunique() > label_limit:
        return None  # more distinct numbers in the first rows alone than the limit: no need to count them all
    counts = present.value_counts(sort=False)
    if label_limit is not None and len(counts) > label_limit:
        return None
    out: dict[str, float] = {}
    for value, n in zip(counts.index.tolist(), counts.to_numpy(dtype=np.int64).tolist()):
        label = number_label(value)
        out[label] = out.get(label, 0.0) + n
    return out


# Rows looked at first for more distinct numbers than a label limit.
_PREFIX = 4096


def _floats(values: Any) -> np.ndarray:
    """Numbers as float64; integers beyond the float range become +-inf."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (OverflowError, TypeError, ValueError):
        return np.array([_float(v) for v in values], dtype=np.float64)


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _holds_numbers(series: Any) -> bool:
    """True for a numeric dtype, or an object column whose cells are all int/float
    (JSON lines mixing ints and floats arrive that way); bools are not numbers."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    if pd.api.types.is_numeric_dtype(dtype):
        return True
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in series.tolist())
    return False
