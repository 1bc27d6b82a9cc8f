"""Many columns, one decision: p-values adjusted for the number of tests.

Testing m columns at a significance level s each raises about m * s false
alarms when nothing changed (60 columns at 0.05: three a run). An adjusted
p-value p~ is compared with s as the raw one was, but it controls an error
rate over the whole family of columns:

- Bonferroni: p~_i = min(1, m p_i); family-wise error rate (FWER) <= s.
- Holm (1979), step-down: with p_(1) <= ... <= p_(m) sorted,
  p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)); FWER <= s under any
  dependence, and never less powerful than Bonferroni.
- Benjamini-Hochberg (1995), step-up: p~_(i) = min_{j >= i} min(1, m p_(j) / j);
  false discovery rate <= s for independent or positively dependent tests.

Ties get equal adjusted values in all three. Pure numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import UsageError
from ..vocabulary import CORRECTIONS


def _checked(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p-values must be a one-dimensional sequence")
    if not np.all((p >= 0) & (p <= 1)):  # NaN fails this too
        raise ValueError("p-values must lie in [0, 1]")
    return p


def bonferroni(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bonferroni-adjusted p-values: min(1, m p)."""
    p = _checked(p_values)
    return np.minimum(1.0, p * p.size)


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the order given."""
    p = _checked(p_values)
    m = p.size
    order = np.argsort(p, kind="stable")
    steps = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(steps)
    return adjusted


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg's step-up adjusted p-values, in the order given."""
    p = _checked(p_values)
    m = p.size
    order = np.argsort(p, kind="stable")
    steps = p[order] * m / np.arange(1, m + 1)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, np.minimum.accumulate(steps[::-1])[::-1])
    return adjusted


def adjust(p_values: Sequence[float] | np.ndarray, method: str) -> np.ndarray:
    """The p-values adjusted by ``method``: one of ``vocabulary.CORRECTIONS``."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    if method == "bonferroni":
        return bonferroni(p_values)
    if method == "none":
        return _checked(p_values).copy()
    raise UsageError(f"unknown correction {method!r}: one of {', '.join(CORRECTIONS)}")


def alone_factor(method: str, tests: int) -> int:
    """What a single test's smallest p-value is multiplied by at best, when
    the others are not as small: m for holm, bonferroni and bh, 1 for none."""
    return 1 if method == "none" else tests


def permutations_needed(factor: float, significance: float) -> int:
    """The fewest permutations N with factor / (N + 1) < significance: the
    smallest permutation p-value, 1/(N + 1), times ``factor``, computed in
    floating point as the p-values are."""

    def reaches(n: int) -> bool:
        return smallest_p(n) * factor < significance

    n = max(1, math.floor(factor / significance))
    while not reaches(n):
        n += 1
    while n > 1 and reaches(n - 1):
        n -= 1
    return n


def smallest_p(permutations: int) -> float:
    """The smallest permutation p-value, 1/(N + 1) (Phipson & Smyth 2010)."""
    return 1 / (permutations + 1)
