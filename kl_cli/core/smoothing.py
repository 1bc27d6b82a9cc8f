"""Smoothing and normalization: two weight vectors into two probability vectors.

Pure numpy. Both sides are always smoothed the same way. Each method returns
the probabilities and any warnings about the distortion it introduced.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from ..text import show_total
from ..vocabulary import SMOOTHING_METHODS as METHODS
from ..vocabulary import SMOOTHING_PARAMETERS as PARAMETERS
from .probability import (
    Probabilities,
    Weights,
    divide,
    mixed_with_uniform,
    normalized,
    with_pseudo_counts,
    with_zeros_replaced,
)


@dataclass(frozen=True)
class Smoothing:
    """A smoothing method and its parameter (``None`` for ``none``)."""

    method: str = "none"
    parameter: float | None = None

    def describe(self) -> str:
        if self.method == "none":
            return "none (exact)"
        name = PARAMETERS[self.method][0]
        return f"{self.method} ({name}={self.parameter:g})"


def make_smoothing(method: str, parameter: float | None = None) -> Smoothing:
    """Check a method and its parameter; fill in the default parameter.

    Ranges: alpha > 0; 0 < epsilon < 1; 0 < lambda <= 1. Raises ``UsageError``
    with the parameter's name otherwise.
    """
    if method not in METHODS:
        raise UsageError(f"unknown smoothing {method!r}; choose one of {', '.join(METHODS)}")
    if method == "none":
        if parameter is not None:
            raise UsageError("a smoothing parameter was given but --smoothing is none")
        return Smoothing()
    name, default = PARAMETERS[method]
    value = default if parameter is None else float(parameter)
    ok = {
        "additive": 0 < value < float("inf"),
        "epsilon": 0 < value < 1,
        "mix": 0 < value <= 1,
    }[method]
    if not ok:
        allowed = {"additive": "> 0", "epsilon": "between 0 and 1 (exclusive)", "mix": "in (0, 1]"}[method]
        raise UsageError(f"--{name} must be {allowed}, got {value:g}")
    return Smoothing(method, value)


def normalize(w: np.ndarray) -> np.ndarray:
    """Scale non-negative weights to sum 1 along the last axis: p_i = w_i / sum(w)
    (floats only; ``smooth`` also gives their exact logarithms)."""
    return divide(w)[0]


def smooth(w: np.ndarray, smoothing: Smoothing, exponent: int = 0, unscaled: np.ndarray | None = None) -> Probabilities:
    """Smooth and normalize one side (weights along the last axis; a 2-D array
    holds many resamples, one per row). ``exponent`` and ``unscaled``: the true
    weights are ``w * 2**exponent`` (see ``Histogram.exponent`` and
    ``Histogram.unscaled``); pseudo-counts are added at the true scale.

    - ``none``: p = w / sum(w).
    - ``additive``: p_i = (w_i + alpha) / (sum(w) + K alpha), pseudo-counts.
    - ``epsilon``: normalize, replace zeros by epsilon, normalize again.
    - ``mix``: p = (1 - lambda) p + lambda / K, a mixture with the uniform.

    ``none``, ``epsilon`` and ``mix`` act on the normalized weights, so weights
    that differ by a constant factor give the same probabilities (identical
    for a power of two). ``additive`` is not scale-free, by definition: alpha
    is a number of observations, so it weighs less against larger counts
    (1 pseudo-count beside counts 1, 3 is not 1 beside 1000, 3000).

    >>> smooth(np.array([1.0, 0.0]), Smoothing("additive", 1.0)).values.tolist()
    [0.6666666666666666, 0.3333333333333333]
    """
    method, value = smoothing.method, smoothing.parameter
    weights = Weights(w, exponent, unscaled)
    if method == "additive":
        return with_pseudo_counts(weights, value, sys.float_info.max / 2 / (w.shape[-1] + 1))
    p = normalized(weights)
    if method == "none":
        return p
    if method == "epsilon":
        return with_zeros_replaced(p, weights.zeros(), value)
    return mixed_with_uniform(p, value)


def apply(
    pw: np.ndarray,
    qw: np.ndarray,
    smoothing: Smoothing,
    exponents: tuple[int, int] = (0, 0),
    unscaled: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> tuple[Probabilities, Probabilities, list[str]]:
    """Smooth and normalize both sides the same way; returns (p, q, warnings)
    about any distortion the smoothing introduced. ``exponents``, ``unscaled``:
    see ``smooth``."""
    p = smooth(pw, smoothing, exponents[0], unscaled[0])
    q = smooth(qw, smoothing, exponents[1], unscaled[1])
    return p, q, distortion_warnings(pw, qw, smoothing, exponents)


def distortion_warnings(
    pw: np.ndarray, qw: np.ndarray, smoothing: Smoothing, exponents: tuple[int, int] = (0, 0)
) -> list[str]:
    """Say when a smoothing changes the data noticeably: pseudo-counts that are
    a large share of a side's mass, or an epsilon not far below the smallest
    real probability (the complaint against tools with a fixed 1e-4)."""
    method, value = smoothing.method, smoothing.parameter
    warnings: list[str] = []
    if method == "additive":
        for name, w, exponent in (("P", pw, exponents[0]), ("Q", qw, exponents[1])):
            added = value * w.size
            with np.errstate(over="ignore"):
                total = float(np.ldexp(w.sum(), exponent))
            # added / (total + added), in logs: either may be beyond the largest float
            log_ratio = math.log(w.sum()) + exponent * math.log(2) - math.log(value) - math.log(w.size)
            share = 1.0 / (1.0 + math.exp(min(log_ratio, 700.0)))
            if share > 0.1:
                warnings.append(
                    f"additive smoothing adds {show_total(added)} to {name}'s total of {show_total(total)} "
                    f"({share:.0%} of its mass); for probabilities rather than counts use a much smaller --alpha"
                )
    elif method == "epsilon":
        p, q = normalize(pw), normalize(qw)
        smallest = float(np.concatenate([p[p > 0], q[q > 0]]).min())
        if ((p == 0).any() or (q == 0).any()) and value > 1e-3 * smallest:
            warnings.append(
                f"--epsilon {value:g} is not far below the smallest non-zero probability "
                f"({smallest:.3g}); the smoothed zeros distort the result"
            )
    return warnings
