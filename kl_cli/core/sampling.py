"""Multivariate hypergeometric draws of any size: a uniform n-subset of N balls
of K colours, as counts per colour.

numpy's ``multivariate_hypergeometric`` (the "marginals" method) refuses a
population of 10**9 balls or more. Beyond that, an exact reduction to smaller
problems:

1. Take each ball independently with probability t = n / N (one binomial
   draw per colour). The taken set A is, given its size S, a uniform
   S-subset.
2. If S > n, remove a uniform (S - n)-subset of A; if S < n, add a uniform
   (n - S)-subset of the balls not taken. Either is the same problem with a
   sample of about sqrt(n) balls, solved the same way.

The result is a uniform n-subset: every step treats the balls alike (it is
unchanged in law by any relabelling of the balls), and a law on n-subsets
that every relabelling leaves unchanged is the uniform one. The recursion
ends with numpy's sampler once the population is below its limit, or ball by
ball once the sample is small: distinct uniform ball numbers (repeats drawn
again), each mapped to its colour, which is a uniform subset for the same
reason. Counts up to 2**63 - 1 balls in all are exact in int64.
"""

from __future__ import annotations

import numpy as np

# numpy's limit for sum(colors) with method="marginals".
NUMPY_LIMIT = 10**9
# Samples this small (or their complements) are drawn ball by ball.
BALL_BY_BALL = 1 << 10


def hypergeometric(
    rng: np.random.Generator,
    colors: np.ndarray,
    n: int,
    size: int,
    *,
    numpy_limit: int = NUMPY_LIMIT,
    ball_by_ball: int = BALL_BY_BALL,
) -> np.ndarray:
    """``size`` draws of ``n`` balls without replacement from ``colors`` (int64
    counts per colour): an int64 array of shape (size, K). Below
    ``numpy_limit`` balls this is numpy's sampler itself (same stream);
    beyond, the exact reduction of the module docstring (the keyword limits
    exist to test it on small populations)."""
    colors = np.asarray(colors, dtype=np.int64)
    total = int(colors.sum())
    if not 0 <= n <= total:
        raise ValueError(f"cannot draw {n} balls from {total}")
    if total < numpy_limit:
        return rng.multivariate_hypergeometric(colors, n, size=size)
    out = np.empty((size, colors.size), dtype=np.int64)
    for row in range(size):
        out[row] = _draw(rng, colors, n, total, numpy_limit, ball_by_ball)
    return out


def _draw(
    rng: np.random.Generator, colors: np.ndarray, n: int, total: int, numpy_limit: int, ball_by_ball: int
) -> np.ndarray:
    """One uniform n-subset of ``total`` balls, as counts per colour."""
    if n == 0:
        return np.zeros_like(colors)
    if n == total:
        return colors.copy()
    if 2 * n > total:  # the complement of a uniform subset is one too, and smaller
        return colors - _draw(rng, colors, total - n, total, numpy_limit, ball_by_ball)
    if total < numpy_limit:
        return rng.multivariate_hypergeometric(colors, n)
    if n <= ball_by_ball:
        return _ball_by_ball(rng, colors, n, total)
    taken = rng.binomial(colors, n / total)
    size = int(taken.sum())
    if size > n:
        taken -= _draw(rng, taken, size - n, size, numpy_limit, ball_by_ball)
    elif size < n:
        taken += _draw(rng, colors - taken, n - size, total - size, numpy_limit, ball_by_ball)
    return taken


def _ball_by_ball(rng: np.random.Generator, colors: np.ndarray, n: int, total: int) -> np.ndarray:
    """n distinct uniform ball numbers in [0, total), by colour: balls are
    numbered colour by colour, so a ball's colour is where its number falls
    among the cumulative counts."""
    chosen = np.unique(rng.integers(0, total, size=n, dtype=np.int64))
    while chosen.size < n:
        more = rng.integers(0, total, size=n - chosen.size, dtype=np.int64)
        chosen = np.unique(np.concatenate([chosen, more]))
    colour = np.searchsorted(np.cumsum(colors), chosen, side="right")
    return np.bincount(colour, minlength=colors.size).astype(np.int64)
