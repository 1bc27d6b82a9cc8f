"""Probabilities with exact logarithms, whatever the scale of the weights.

A probability p_i = w_i / W is a float, and floats end near 1e-308 (with
fewer bits below 2**-1022, none below 2**-1074): weights 1e200 and 1e-200
give p = 1e-400, which is 0 as a float, yet its logarithm (-921) is an
ordinary number, and KL(Q||P) needs exactly that logarithm. So each side's
probabilities come with ``log_at``, the exact logarithm of any entry
computed from the weights; the measures call it only where a probability is
below the normal range (rare) and take ``np.log`` of the float elsewhere.
A weight of exactly 0 has logarithm -inf: the only source of an infinite
divergence.

Scale: probabilities are w_i / W, and logarithms are formed from mantissas
and binary exponents (frexp, exact),
``log(w_i / W) = (log m_i - log M) + (e_i - E) log 2`` with ``w = m 2**e``,
so weights multiplied by a power of two give bit-identical probabilities and
logarithms (sums and quotients commute with exact scaling), and weights
multiplied by any other factor agree to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# The smallest normal float, 2**-1022: below it a float has fewer bits.
TINY = float(np.finfo(np.float64).tiny)
LN2 = math.log(2.0)
# A sum this close to a power of two is that power up to the rounding of
# summing millions of float64 values (about 1e-16 each): such weights are
# scaled by the power of two (exactly) instead of divided by their sum.
ROUNDING = 1e-14

Index = tuple[np.ndarray, ...]
LogAt = Callable[[Index], np.ndarray]


@dataclass(frozen=True)
class Probabilities:
    """Probability vectors along the last axis (a 2-D array holds resamples, one
    per row): ``values`` as floats (0 where a positive probability is below
    the float range) and ``log_at(index)``, their exact natural logarithms at
    an index tuple (as ``np.nonzero`` returns), -inf exactly for a true 0.
    ``log_at`` None: the floats are the truth, ``np.log`` of them is exact."""

    values: np.ndarray
    log_at: LogAt | None = None

    def logs(self, index: Index) -> np.ndarray:
        """Natural logarithms of the probabilities at ``index``."""
        if self.log_at is None:
            with np.errstate(divide="ignore"):
                return np.log(self.values[index])
        return self.log_at(index)


def as_probabilities(p: np.ndarray | Probabilities) -> Probabilities:
    """A probability array as it is (its floats are the truth), or ``p`` itself."""
    if isinstance(p, Probabilities):
        return p
    return Probabilities(np.asarray(p, dtype=np.float64))


@dataclass(frozen=True)
class Weights:
    """One side's non-negative weights along the last axis: the true weights are
    ``w * 2**exponent``, except where ``unscaled`` (1-D only) is given and
    ``w`` is below the normal range: there ``unscaled`` holds the true weight
    (see ``Histogram.unscaled``)."""

    w: np.ndarray
    exponent: int = 0
    unscaled: np.ndarray | None = None

    def split(self, index: Index) -> tuple[np.ndarray, np.ndarray]:
        """(log m, e) at ``index``: the weight there is ``m * 2**e`` in the units of
        ``w`` (exactly, also where ``w`` lost bits in scaling); log 0 = -inf."""
        w = self.w[index]
        m, e = np.frexp(w)
        e = e.astype(np.int64)
        if self.unscaled is not None:
            lost = w < TINY
            if lost.any():
                mu, eu = np.frexp(self.unscaled[index][lost])
                m[lost] = mu
                e[lost] = eu.astype(np.int64) - self.exponent
        with np.errstate(divide="ignore"):
            return np.log(m), e

    def zeros(self) -> np.ndarray:
        """Where the true weight is exactly 0."""
        zero = self.w == 0
        if self.unscaled is not None:
            zero &= self.unscaled == 0
        return zero


def _rows(arr: np.ndarray, index: Index) -> np.ndarray:
    """Per selected entry, the value of a (..., 1) array for its row."""
    return arr[(*index[:-1], np.zeros_like(index[-1]))]


@dataclass(frozen=True)
class _Divisor:
    """What values were divided by: ``m * 2**e`` per row (keepdims shape)."""

    mantissa: np.ndarray
    exponent: np.ndarray

    def log(self, index: Index) -> np.ndarray:
        return np.log(_rows(self.mantissa, index)) + _rows(self.exponent, index) * LN2


def divide(values: np.ndarray) -> tuple[np.ndarray, _Divisor]:
    """values / their sum along the last axis, and that divisor. A 1-D sum
    within ``ROUNDING`` of a power of two 2**j is taken as 2**j: the values are
    then scaled exactly (not at all when j = 0, already probabilities up to
    rounding), so weights that differ by a power of two stay bit-identical."""
    total = values.sum(axis=-1, keepdims=True)
    mantissa, exponent = np.frexp(total)
    if values.ndim == 1:
        m, e = float(mantissa[0]), int(exponent[0])
        j = e if 1.0 - m <= ROUNDING else e - 1 if 2.0 * m - 1.0 <= ROUNDING else None
        if j is not None:
            divisor = _Divisor(np.array([0.5]), np.array([j + 1]))
            return (values if j == 0 else np.ldexp(values, -j)), divisor
    with np.errstate(invalid="ignore", divide="ignore"):
        return values / total, _Divisor(mantissa, exponent.astype(np.int64))


def normalized(weights: Weights) -> Probabilities:
    """p_i = w_i / sum(w), with exact logarithms from the weights."""
    values, divisor = divide(weights.w)

    def log_at(index: Index) -> np.ndarray:
        log_m, e = weights.split(index)
        return (log_m - np.log(_rows(divisor.mantissa, index))) + (e - _rows(divisor.exponent, index)) * LN2

    return Probabilities(values, log_at)


def with_zeros_replaced(p: Probabilities, zero: np.ndarray, epsilon: float) -> Probabilities:
    """Replace the probabilities of true zeros by ``epsilon`` and normalize again."""
    if not zero.any():
        return p
    values, divisor = divide(np.where(zero, epsilon, p.values))
    log_epsilon = math.log(epsilon)

    def log_at(index: Index) -> np.ndarray:
        return np.where(zero[index], log_epsilon, p.logs(index)) - divisor.log(index)

    return Probabilities(values, log_at)


def mixed_with_uniform(p: Probabilities, lam: float) -> Probabilities:
    """(1 - lambda) p + lambda / K, K the length of the last axis."""
    k = p.values.shape[-1]
    values = (1 - lam) * p.values + lam / k
    keep = math.log1p(-lam) if lam < 1 else -math.inf
    uniform = math.log(lam) - math.log(k)

    def log_at(index: Index) -> np.ndarray:
        return np.logaddexp(keep + p.logs(index), uniform)

    return Probabilities(values, log_at)


def with_pseudo_counts(weights: Weights, alpha: float, huge: float) -> Probabilities:
    """(w_i + alpha) / sum(w + alpha), alpha at the true scale of the weights;
    both are first scaled by a power of two when their sum could pass ``huge``."""
    w = weights.w
    a = float(np.ldexp(alpha, -weights.exponent))  # may lose bits or vanish: the logs below do not
    shift = 0
    top = max(float(w.max()), a)
    if top > huge:
        shift = int(np.frexp(top)[1])
        w, a = np.ldexp(w, -shift), float(np.ldexp(a, -shift))
    values, divisor = divide(w + a)
    log_alpha = math.log(alpha) - (weights.exponent + shift) * LN2

    def log_at(index: Index) -> np.ndarray:
        log_m, e = weights.split(index)
        with np.errstate(invalid="ignore"):
            log_w = log_m + (e - shift) * LN2
        return np.logaddexp(log_w, log_alpha) - divisor.log(index)

    return Probabilities(values, log_at)
