"""The distribution type every family implements: support, log density,
distribution function, quantiles, draws, entropy, the expectations closed
forms need, and bin probabilities. Log densities are -inf outside the
support; discrete families give log mass functions on the integers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...text import number

LOG_2PI = math.log(2.0 * math.pi)


def _sp() -> Any:
    from scipy import special

    return special


# ---------------------------------------------------------------------------
# The distribution type


@dataclass(frozen=True, eq=False)
class Distribution:
    """A member of a family, with everything the measures ask of it."""

    family: str
    parameters: dict[str, Any]

    discrete = False
    dimension = 1
    # E|X|^r is finite for every r below this (inf: every moment exists).
    moment_order = math.inf

    def describe(self) -> str:
        """``family(name=value, ...)``, as the user would write it."""

        def show(v: Any) -> str:
            if isinstance(v, tuple):
                return "[" + ", ".join(show(x) for x in v) + "]"
            return str(v) if isinstance(v, int) else number(float(v))

        return f"{self.family}(" + ", ".join(f"{k}={show(v)}" for k, v in self.parameters.items()) + ")"

    def to_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return [plain(x) for x in v] if isinstance(v, tuple) else v

        return {"family": self.family, "parameters": {k: plain(v) for k, v in self.parameters.items()}}

    def same_as(self, other: Distribution) -> bool:
        """One family with equal parameters: every divergence between the two is exactly 0."""
        return self.to_dict() == other.to_dict()

    # Support: the closed interval [low, high] (integers for discrete families).
    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def logpdf(self, x: np.ndarray) -> np.ndarray:  # log density, or log mass for discrete families
        raise NotImplementedError

    def cdf(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sf(self, x: np.ndarray) -> np.ndarray:
        """1 - cdf, computed without cancellation in the upper tail."""
        return 1.0 - self.cdf(x)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def entropy(self) -> float | None:
        """The (differential, for continuous families) entropy in nats, or None without a closed form."""
        return None

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        """E[stat(X)] in closed form, or None: ``mean``, ``var``, ``log`` (E log X), ``logvar``
        (Var log X), ``log1m`` (E log(1 - X)), ``abs`` (E|X - c|)."""
        return None

    def interval_mass(self, a: float, b: float) -> float:
        """P(a < X <= b), from the side of the distribution where it has no cancellation."""
        a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        lower = float(self.cdf(b_arr) - self.cdf(a_arr))
        upper = float(self.sf(a_arr) - self.sf(b_arr))
        return max(0.0, upper if self.cdf(a_arr) > 0.5 else lower)

    def quantile(self, u: float) -> float:
        return float(self.ppf(np.asarray(u, dtype=float)))

    def bin_masses(self, edges: Sequence[float]) -> np.ndarray:
        """The probabilities of the bins (-inf, e1], (e1, e2], ..., (ek, inf), from
        the distribution function (the upper tail from the survival function)."""
        e = np.asarray(edges, dtype=float)
        below = np.concatenate([[0.0], self.cdf(e), [1.0]])
        above = np.concatenate([[1.0], self.sf(e), [0.0]])
        lower = np.diff(below)
        upper = -np.diff(above)
        use_upper = below[:-1] > 0.5  # the bin starts in the upper half: no cancellation from the tail side
        return np.maximum(np.where(use_upper, upper, lower), 0.0)


def _where(cond: np.ndarray, value: np.ndarray, other: float) -> np.ndarray:
    return np.where(cond, value, other)
