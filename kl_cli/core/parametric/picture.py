"""Both densities (or mass functions) on one grid: for the report's picture
and for the explanation's "where one puts mass the other barely has"."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .families import Distribution

# The grid spans both distributions from this quantile to its complement.
EDGE = 0.005


@dataclass(frozen=True)
class Curves:
    """Densities (continuous) or masses (discrete, at the integers ``x``) of P and Q."""

    x: np.ndarray
    p: np.ndarray
    q: np.ndarray
    discrete: bool

    @property
    def step(self) -> float:
        return 1.0 if self.discrete else float(self.x[1] - self.x[0])

    def mass(self, which: str, where: np.ndarray) -> float:
        """About how much of P's or Q's mass lies where ``where`` holds on the grid."""
        values = self.p if which == "p" else self.q
        return float(np.sum(values[where]) * self.step)


def curves(p: Distribution, q: Distribution, points: int = 601) -> Curves | None:
    """The grid and both curves, or None for multivariate distributions."""
    if p.dimension > 1 or q.dimension > 1:
        return None
    with np.errstate(all="ignore"):
        low = min(p.quantile(EDGE), q.quantile(EDGE))
        high = max(p.quantile(1 - EDGE), q.quantile(1 - EDGE))
    # Heavy tails (Cauchy) would stretch the axis until the bulk is one column:
    # at most 8 interquartile ranges beyond the medians.
    spread = max(p.quantile(0.75) - p.quantile(0.25), q.quantile(0.75) - q.quantile(0.25), 1e-300)
    low = max(low, min(p.quantile(0.5), q.quantile(0.5)) - 8 * spread)
    high = min(high, max(p.quantile(0.5), q.quantile(0.5)) + 8 * spread)
    support_low = min(p.support[0], q.support[0])
    support_high = max(p.support[1], q.support[1])
    low, high = max(low, support_low), min(high, support_high)
    if not (math.isfinite(low) and math.isfinite(high)) or not high > low:
        centre = low if math.isfinite(low) else 0.0
        low, high = centre - 1.0, centre + 1.0
    if p.discrete:
        lo, hi = math.floor(low), math.ceil(high)
        if hi - lo + 1 > 4 * points:
            step = math.ceil((hi - lo + 1) / (4 * points))
            x = np.arange(lo, hi + 1, step, dtype=float)
        else:
            x = np.arange(lo, hi + 1, dtype=float)
    else:
        x = np.linspace(low, high, points)
    with np.errstate(all="ignore"):
        dp, dq = np.exp(p.logpdf(x)), np.exp(q.logpdf(x))
    return Curves(x, np.nan_to_num(dp), np.nan_to_num(dq), p.discrete)
