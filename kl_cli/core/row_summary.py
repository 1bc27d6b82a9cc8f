"""Summaries of a figure over many rows: mean, its standard error, percentiles, extremes (pure numpy).

Infinite values stay honest: a mean over rows one of which is infinite is
infinite, and so is any percentile whose interpolation touches an infinite
value; ``infinite`` counts them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

QUANTILES = {"median": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}


@dataclass(frozen=True)
class Summary:
    """A figure over ``n`` rows; ``argmax`` is the index (in the caller's
    numbering) of the largest value, the first one when several tie."""

    n: int
    mean: float
    sem: float | None  # None: fewer than two rows
    median: float
    p90: float
    p99: float
    p999: float
    min: float
    max: float
    argmax: int
    infinite: int

    def stat(self, name: str) -> float | None:
        return getattr(self, name)


def quantile(sorted_values: np.ndarray, q: float) -> float:
    """The linear-interpolation quantile (numpy's default) of sorted values;
    infinite when an infinite value takes part in the interpolation."""
    n = sorted_values.size
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    a, b = float(sorted_values[lo]), float(sorted_values[hi])
    if frac == 0 or a == b:
        return a
    if math.isinf(b):
        return b
    return a + (b - a) * frac


def summarize(values: np.ndarray, index: np.ndarray) -> Summary:
    """The summary of ``values`` (non-empty, no NaN); ``index[i]`` names value i."""
    n = int(values.size)
    infinite = int(np.isinf(values).sum())
    s = np.sort(values)
    mean = float(np.mean(values)) if not infinite else math.inf
    if n < 2:
        sem: float | None = None
    elif infinite:
        sem = math.inf
    else:  # scaled by the largest value: squares of figures above 1e154 would overflow
        scale = float(np.max(np.abs(values))) or 1.0
        sem = float(np.std(values / scale, ddof=1) / math.sqrt(n)) * scale
    top = int(np.argmax(values))
    return Summary(
        n=n,
        mean=mean,
        sem=sem,
        median=quantile(s, 0.5),
        p90=quantile(s, 0.9),
        p99=quantile(s, 0.99),
        p999=quantile(s, 0.999),
        min=float(s[0]),
        max=float(s[-1]),
        argmax=int(index[top]),
        infinite=infinite,
    )


def histogram(values: np.ndarray, bins: int = 12) -> tuple[list[tuple[float, float]], list[int], bool]:
    """Bins of the finite values (log-spaced when they are positive and span
    more than two decades): ([(low, high)], counts, log-spaced?)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [], [], False
    low, high = float(finite.min()), float(finite.max())
    logged = low > 0 and high / low > 100
    if low == high:
        return [(low, high)], [int(finite.size)], False
    edges = np.geomspace(low, high, bins + 1) if logged else np.linspace(low, high, bins + 1)
    counts, edges = np.histogram(finite, bins=edges)
    return [(float(a), float(b)) for a, b in itertools.pairwise(edges)], [int(c) for c in counts], logged
