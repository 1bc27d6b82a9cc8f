"""Weights read as numbers, exactly: integers of any size, scaled by an exact
power of two when they pass the float range.

A count of 400 digits is a number like any other: its ratio to the other
weights is what matters. When an integer is beyond the largest float
(about 1.8e308), every weight is divided by one power of two, 2**k, chosen
so that the largest fits; Python divides integers with correct rounding, so
each scaled weight is the float nearest its true value, and the histogram
records ``2**k`` (``Histogram.exponent``) so that totals keep their true size.
A spread too wide for probabilities to hold (a non-zero weight below
2**-996, about 1e-300, of the largest: its probability would no longer be a
normal float) is refused, never rounded to 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.histogram import Histogram, make_histogram
from ..errors import InputError
from ..text import show_label

# The scaled largest weight stays below 2**_TOP, leaving room for sums.
_TOP = 1020
# The smallest ratio of a weight to the largest that is kept: its probability
# is then a normal float whatever the number of weights (below 2**24 of them).
_SMALLEST_SHARE = 2.0**-996


def split_big(values: Sequence[Any]) -> tuple[np.ndarray, dict[int, int]]:
    """Python numbers as floats, with the integers beyond the float range
    apart (their float is a placeholder 0 in the array)."""
    try:
        return np.asarray(values, dtype=np.float64), {}
    except OverflowError:
        pass
    floats = np.empty(len(values))
    big: dict[int, int] = {}
    for i, v in enumerate(values):
        try:
            floats[i] = float(v)
        except OverflowError:  # an int beyond the float range
            floats[i] = 0.0
            big[i] = int(v)
    return floats, big


def show_integer(value: int) -> str:
    """A long integer for a message: its first digits and its length."""
    text = str(value)
    digits = len(text.lstrip("-"))
    return f"{text[:13]}... ({digits} digits)" if digits > 15 else text


def exact_histogram(
    floats: np.ndarray,
    big: dict[int, int],
    labels: Sequence[str] | np.ndarray | None,
    source: str,
    **kwargs: Any,
) -> Histogram:
    """``make_histogram`` of these weights, where ``big`` holds the integers
    beyond the float range by position (their entries in ``floats`` are
    placeholders): all are scaled by one power of two, exactly rounded."""
    if not big:
        return make_histogram(floats, labels, source, **kwargs)
    where = _namer(labels)
    rest = np.array(floats, dtype=np.float64)
    rest[list(big)] = 0.0
    if not np.isfinite(rest).all() or (rest < 0).any():
        make_histogram(rest, labels, source, **kwargs)  # says what is wrong with that value
    for i, v in sorted(big.items()):
        if v < 0:
            raise InputError(
                f"{source}: value for {where(i)} is negative ({show_integer(v)}); "
                "probabilities, counts and weights must be >= 0"
            )
    top = max(big, key=lambda i: big[i])
    k = big[top].bit_length() - _TOP
    with np.errstate(under="ignore"):
        scaled = np.ldexp(rest, -k)
    for i, v in big.items():
        scaled[i] = v / (1 << k)  # correctly rounded
    # Every weight's share of the total must stay a normal float: a smaller one
    # would be rounded towards 0 and turn a finite divergence infinite.
    given = rest != 0
    given[list(big)] = [v != 0 for v in big.values()]
    tiny = given & (np.abs(scaled) < float(np.max(np.abs(scaled))) * _SMALLEST_SHARE)
    if tiny.any():
        i = int(np.argmax(tiny))
        value = float(rest[i])
        small = show_integer(big[i]) if i in big else str(int(value)) if value.is_integer() else repr(value)
        raise InputError(
            f"{source}: the values span too wide a range to be compared exactly: {where(top)} is "
            f"{show_integer(big[top])} and {where(i)} is {small}",
            hint="kl-cli compares weights whose ratios are within about 1e300",
        )
    histogram = make_histogram(scaled, labels, source, **kwargs)
    return replace(histogram, exponent=histogram.exponent + k)


def _namer(labels: Sequence[str] | np.ndarray | None) -> Any:
    def where(i: int) -> str:
        return f"item {i + 1}" if labels is None else f"label {show_label(str(labels[i]))}"

    return where
