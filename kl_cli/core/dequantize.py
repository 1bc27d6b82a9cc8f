"""Rounded observations made continuous again, for estimators that need
distinct points (nearest neighbours).

Observations rounded to a grid of step h (a latency in tenths of a
millisecond, a price in cents) repeat, and repeated points sit at distance 0
from each other: a neighbour estimator then sees a density that is infinite
at the grid points. The true values lie within h/2 of the recorded ones, so
each recorded value is spread uniformly over its rounding interval,
x + U(-h/2, h/2) with a seeded generator ("dequantization"), column by
column, h being the smallest gap between distinct values of that column
(over every sample compared, so that both sides share one grid). For data
that really are integers this turns each mass function into a density that
is flat over [k - 1/2, k + 1/2], whose divergences are the discrete ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Spread the points when at least this share of a sample repeats a value.
TIED_SHARE = 0.01


@dataclass(frozen=True)
class Dequantized:
    samples: list[np.ndarray]
    steps: list[float] | None  # per column; None when nothing was spread
    tied_shares: list[float]


def tied_share(x: np.ndarray) -> float:
    """The share of points (rows) whose value another point of the sample repeats."""
    if x.shape[0] == 0:
        return 0.0
    _, inverse, counts = np.unique(x.reshape(x.shape[0], -1), axis=0, return_inverse=True, return_counts=True)
    return float((counts[inverse.ravel()] > 1).mean())


def dequantize(samples: list[np.ndarray], seed: int) -> Dequantized:
    """The samples, spread over their rounding intervals when any repeats
    TIED_SHARE of its points or more (each unchanged otherwise)."""
    shares = [tied_share(s) for s in samples]
    if max(shares, default=0.0) < TIED_SHARE:
        return Dequantized(list(samples), None, shares)
    columns = samples[0].shape[1] if samples[0].ndim > 1 else 1
    steps = []
    for j in range(columns):
        values = np.unique(np.concatenate([(s[:, j] if s.ndim > 1 else s) for s in samples]))
        gaps = np.diff(values)
        steps.append(float(gaps.min()) if gaps.size else 0.0)
    rng = np.random.default_rng(seed)
    step = np.asarray(steps) if columns > 1 else steps[0]
    out = [s + rng.uniform(-0.5, 0.5, s.shape) * step for s in samples]
    return Dequantized(out, steps, shares)
