"""Is the difference real? Permutation p-values and bootstrap intervals from counts.

Pure numpy. Every resample is a row of a 2-D array, and each metric is
computed for all rows in one pass with ``measures.measure_many``, after the
same smoothing as the observed comparison.

- Permutation test of "P and Q are samples of one distribution": pooling the
  observations and splitting them at random into groups of n_P and n_Q is,
  for counts, a multivariate hypergeometric draw of P's counts from the pooled
  counts (Q gets the rest), so a permutation costs O(categories), not O(rows).
  p = (1 + #{null >= observed}) / (N + 1), never 0 (Phipson & Smyth 2010).
- Bootstrap: each side's counts are redrawn multinomially from its observed
  shares; percentile intervals of each metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UsageError
from ..vocabulary import METRICS
from .histogram import Aligned
from .measures import measure_many
from .smoothing import Smoothing, smooth

# Observed and null values this close count as ties (rounding differs between
# one pass and another over the same numbers).
TIE_TOLERANCE = 1e-12
# Resample cells (resamples x categories) measured at once.
BATCH_CELLS = 4_000_000


@dataclass(frozen=True)
class PermutationTest:
    """p-values and the mean under "no difference" (the bias at these sizes)."""

    permutations: int
    p_value: dict[str, float]
    null_mean: dict[str, float]
    seed: int | None

    def monte_carlo_error(self, metric: str) -> float:
        """Standard error of a p-value estimated from this many permutations."""
        p = self.p_value[metric]
        return math.sqrt(p * (1 - p) / self.permutations)


@dataclass(frozen=True)
class Intervals:
    """Percentile bootstrap intervals per metric."""

    resamples: int
    confidence: float
    bounds: dict[str, tuple[float, float]]
    seed: int | None


def sample_counts(weights: np.ndarray, stated_n: int | None, name: str, exponent: int = 0) -> np.ndarray:
    """Whole counts of one side for resampling.

    Counts are used as they are. Probabilities need a stated sample size
    (``--n-p``/``--n-q``): they are scaled to it and rounded. ``exponent``:
    the true weights are ``weights * 2**exponent``.
    """
    w = np.asarray(weights, dtype=np.float64)
    if stated_n is not None:
        if stated_n < 1:
            raise UsageError(f"the sample size of {name} must be at least 1, got {stated_n}")
        counts = np.round(w / w.sum() * stated_n)
        if counts.sum() < 1:
            raise UsageError(f"a sample size of {stated_n} leaves {name} with no whole observation")
        return counts
    if exponent:  # counts beyond the largest float
        raise InputError(f"{name}: counts too large to resample (they sum to over {np.finfo(float).max:.2g})")
    if not np.all(np.floor(w) == w):
        flag = "--n-p" if name == "P" else "--n-q"
        raise InputError(
            f"{name} holds probabilities, not counts, so there is no sample size to test with",
            hint=f"give counts or observations, or state the size with {flag} N",
        )
    if w.sum() > 2**62:
        raise InputError(f"{name}: counts too large to resample ({w.sum():g})")
    return w


def _metrics_of(pc: np.ndarray, qc: np.ndarray, smoothing: Smoothing, base: str) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return measure_many(smooth(pc, smoothing), smooth(qc, smoothing), base)


def permutation_test(
    p_counts: np.ndarray,
    q_counts: np.ndarray,
    observed: dict[str, float],
    *,
    permutations: int,
    smoothing: Smoothing,
    base: str,
    seed: int | None = None,
) -> PermutationTest:
    """Permutation p-value and null mean of every metric (see module docstring)."""
    if permutations < 1:
        raise UsageError(f"--permutations must be at least 1, got {permutations}")
    rng = np.random.default_rng(seed)
    pooled = (p_counts + q_counts).astype(np.int64)
    n_p = int(p_counts.sum())
    cuts = {
        k: observed[k] if math.isinf(observed[k]) else observed[k] - TIE_TOLERANCE * max(1.0, abs(observed[k]))
        for k in METRICS
    }
    hits = dict.fromkeys(METRICS, 0)
    totals = dict.fromkeys(METRICS, 0.0)
    # Resamples are drawn and measured in batches, so memory stays bounded
    # whatever N is; only counts and sums are kept.
    batch = max(1, BATCH_CELLS // pooled.size)
    for start in range(0, permutations, batch):
        size = min(batch, permutations - start)
        draws = rng.multivariate_hypergeometric(pooled, n_p, size=size).astype(np.float64)
        rest = pooled[None, :] - draws
        # A resample with an empty side cannot occur: both observed sides are
        # non-empty and their sizes are kept.
        null = _metrics_of(draws, rest, smoothing, base)
        for k in METRICS:
            hits[k] += int((null[k] >= cuts[k]).sum())
            totals[k] += float(null[k].sum())
    p_value = {k: float((1 + hits[k]) / (permutations + 1)) for k in METRICS}
    null_mean = {k: totals[k] / permutations for k in METRICS}
    return PermutationTest(permutations, p_value, null_mean, seed)


def bootstrap_intervals(
    p_counts: np.ndarray,
    q_counts: np.ndarray,
    *,
    resamples: int,
    confidence: float,
    smoothing: Smoothing,
    base: str,
    seed: int | None = None,
) -> Intervals:
    """Percentile intervals: each side redrawn as Multinomial(n, observed shares)."""
    if resamples < 1:
        raise UsageError(f"--bootstrap must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence must be between 0 and 1, got {confidence}")
    rng = np.random.default_rng(None if seed is None else seed + 1)
    draws = []
    for counts in (p_counts, q_counts):
        n = int(counts.sum())
        draws.append(rng.multinomial(n, counts / counts.sum(), size=resamples).astype(np.float64))
    values = _metrics_of(draws[0], draws[1], smoothing, base)
    tail = (1 - confidence) / 2
    bounds = {}
    for k in METRICS:
        # No interpolation: between an infinite and a finite resample it would give NaN.
        low, high = np.quantile(values[k], [tail, 1 - tail], method="inverted_cdf")
        bounds[k] = (float(low), float(high))
    return Intervals(resamples, confidence, bounds, seed)


@dataclass(frozen=True)
class Resampling:
    """What to resample: permutations and bootstrap resamples (0 = off)."""

    permutations: int = 0
    bootstrap: int = 0
    confidence: float = 0.95
    seed: int | None = None
    n_p: int | None = None
    n_q: int | None = None

    @property
    def active(self) -> bool:
        return self.permutations > 0 or self.bootstrap > 0


NO_RESAMPLING = Resampling()


def resample(
    aligned: Aligned, observed: dict[str, float], settings: Resampling, smoothing: Smoothing, base: str
) -> tuple[PermutationTest | None, Intervals | None]:
    """Run what ``settings`` asks for on the aligned weights of P and Q."""
    pc = sample_counts(aligned.p, settings.n_p, "P", aligned.exponents[0])
    qc = sample_counts(aligned.q, settings.n_q, "Q", aligned.exponents[1])
    test = intervals = None
    if settings.permutations:
        test = permutation_test(
            pc, qc, observed, permutations=settings.permutations, smoothing=smoothing, base=base, seed=settings.seed
        )
    if settings.bootstrap:
        intervals = bootstrap_intervals(
            pc,
            qc,
            resamples=settings.bootstrap,
            confidence=settings.confidence,
            smoothing=smoothing,
            base=base,
            seed=settings.seed,
        )
    return test, intervals
