"""Is the difference real? Permutation p-values and bootstrap intervals from counts.

Pure numpy. Every resample is a row of a 2-D array, and each metric is
computed for all rows in one pass with ``measures.measure_many``, after the
same smoothing as the observed comparison.

- Permutation test of "P and Q are samples of one distribution": pooling the
  observations and splitting them at random into groups of n_P and n_Q is,
  for counts, a multivariate hypergeometric draw of P's counts from the pooled
  counts (Q gets the rest), so a permutation costs O(categories), not O(rows).
  p = (1 + #{null >= observed}) / (N + 1), never 0 (Phipson & Smyth 2010).
  Pooled counts of 10**9 or more (numpy's limit) are drawn by the exact
  reduction of ``sampling.hypergeometric``, so the test is the same at any size.
- Bootstrap: each side's counts are redrawn multinomially from its observed
  shares; percentile intervals of each metric, exact order statistics kept in
  bounded memory (``quantiles.OrderStatistic``).

Resamples are drawn and measured in batches of about ``BATCH_CELLS`` cells:
memory is bounded whatever their number, progress can be shown after each
batch, and Ctrl-C lands within one batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UsageError
from ..vocabulary import METRICS
from .histogram import Aligned
from .measures import measure_many
from .quantiles import OrderStatistic, order_index
from .sampling import hypergeometric
from .smoothing import Smoothing, smooth

# Observed and null values this close count as ties (rounding differs between
# one pass and another over the same numbers).
TIE_TOLERANCE = 1e-12
# Resample cells (resamples x categories) drawn and measured at once: a few
# MB of temporaries and a few milliseconds, so memory is bounded and Ctrl-C
# lands at once whatever the number of resamples.
BATCH_CELLS = 1 << 15
# Observations a side can have for resampling: pooled counts stay within int64.
COUNT_LIMIT = 2**62

# progress(what, done, total), called after each batch of resamples.
Progress = Callable[[str, int, int], None]


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
    """Whole counts of one side for resampling, as int64.

    Counts are used as they are. Probabilities need a stated sample size
    (``--n-p``/``--n-q``): they are scaled to it and rounded. ``exponent``:
    the true weights are ``weights * 2**exponent``. A side of 2**62
    observations or more is refused (pooled counts must stay exact in int64).
    """
    w = np.asarray(weights, dtype=np.float64)
    if stated_n is not None:
        if stated_n < 1:
            raise UsageError(f"the sample size of {name} must be at least 1, got {stated_n}")
        counts = np.round(w / w.sum() * float(stated_n))
        if counts.sum() < 1:
            raise UsageError(f"a sample size of {stated_n} leaves {name} with no whole observation")
        return _exact_counts(counts, f"--n-{name.lower()} {stated_n}")
    if exponent:  # counts beyond the largest float
        raise InputError(f"{name}: counts too large to resample (they sum to over {np.finfo(float).max:.2g})")
    if not np.all(np.floor(w) == w):
        flag = "--n-p" if name == "P" else "--n-q"
        raise InputError(
            f"{name} holds probabilities, not counts, so there is no sample size to test with",
            hint=f"give counts or observations, or state the size with {flag} N",
        )
    return _exact_counts(w, name)


def _exact_counts(counts: np.ndarray, name: str) -> np.ndarray:
    """Whole float counts as int64, refused from 2**62 on (checked exactly near it);
    ``name`` says whose counts they are in the message."""
    total = float(counts.sum())
    if total >= COUNT_LIMIT / 4 and (total >= 2 * COUNT_LIMIT or sum(int(x) for x in counts.tolist()) >= COUNT_LIMIT):
        raise InputError(
            f"{name}: counts too large to resample ({total:.3g} observations; at most 2**62 = 4.6e18 a side)"
        )
    return counts.astype(np.int64)


def check_permutations(permutations: int) -> None:
    if permutations < 1:
        raise UsageError(f"--permutations must be at least 1, got {permutations}")


class NullCount:
    """What a permutation test keeps of its null values, whatever their number:
    per metric, how many reach the observed value and their sum.

    A null value reaches the observed one when it is at least the observed
    value less ``TIE_TOLERANCE`` of its size (an infinite observed value: when
    it is infinite too); p = (1 + #{null >= observed}) / (N + 1), never 0
    (Phipson & Smyth 2010)."""

    def __init__(self, observed: Mapping[str, float], metrics: Iterable[str]) -> None:
        self.cuts = {
            k: observed[k] if math.isinf(observed[k]) else observed[k] - TIE_TOLERANCE * max(1.0, abs(observed[k]))
            for k in metrics
        }
        self.hits = dict.fromkeys(self.cuts, 0)
        self.totals = dict.fromkeys(self.cuts, 0.0)

    def add(self, null: Mapping[str, float | np.ndarray]) -> None:
        """Count one null value per metric, or an array of them."""
        for k, cut in self.cuts.items():
            values = np.asarray(null[k])
            self.hits[k] += int((values >= cut).sum())
            self.totals[k] += float(values.sum())

    def p_values(self, permutations: int) -> dict[str, float]:
        return {k: float((1 + hits) / (permutations + 1)) for k, hits in self.hits.items()}

    def null_means(self, permutations: int) -> dict[str, float]:
        return {k: total / permutations for k, total in self.totals.items()}


def check_bootstrap(resamples: int, confidence: float) -> None:
    if resamples < 1:
        raise UsageError(f"--bootstrap must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence must be between 0 and 1, got {confidence}")


# trackers[(metric, 0 or 1)]: the order statistics of a lower and an upper bound.
Trackers = dict[tuple[str, int], OrderStatistic]


def percentile_bounds(
    metrics: Iterable[str],
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
    draw: Callable[[Trackers, str], None],
) -> dict[str, tuple[float, float]]:
    """Each metric's percentile interval over ``resamples`` resamples: exactly
    numpy's ``quantile(..., method="inverted_cdf")`` of the resampled values (no
    interpolation: between an infinite and a finite resample it would give
    NaN), found in bounded memory by ``quantiles.OrderStatistic``.

    ``draw(trackers, what)`` draws every resample from ``rng`` and adds each
    metric's values to its trackers (``what`` names the pass for progress). In
    the rare case that needs it, the same resamples are drawn again (from the
    saved generator state) for a second pass."""
    keys = list(metrics)
    start_state = rng.bit_generator.state
    tail = (1 - confidence) / 2
    ranks = (order_index(resamples, tail), order_index(resamples, 1 - tail))
    trackers = {(k, j): OrderStatistic(resamples, ranks[j]) for k in keys for j in (0, 1)}
    found: dict[tuple[str, int], float] = {}
    what = "bootstrap resamples"
    while trackers:
        rng.bit_generator.state = start_state  # a second pass draws the same resamples
        draw(trackers, what)
        missed = {}
        for key, tracker in trackers.items():
            value = tracker.value()
            if value is None:
                missed[key] = tracker.replay()
            else:
                found[key] = value
        trackers = missed
        what = "bootstrap resamples, drawn again for an exact percentile"
    return {k: (found[(k, 0)], found[(k, 1)]) for k in keys}


def _metrics_of(pc: np.ndarray, qc: np.ndarray, smoothing: Smoothing, base: str) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        pw, qw = pc.astype(np.float64), qc.astype(np.float64)
        return measure_many(smooth(pw, smoothing), smooth(qw, smoothing), base)


def _batches(total: int, categories: int) -> range:
    """Starts of batches of resamples: about ``BATCH_CELLS`` cells each, so
    memory stays bounded and an interrupt lands promptly whatever N is."""
    return range(0, total, max(1, BATCH_CELLS // categories))


def permutation_test(
    p_counts: np.ndarray,
    q_counts: np.ndarray,
    observed: dict[str, float],
    *,
    permutations: int,
    smoothing: Smoothing,
    base: str,
    seed: int | None = None,
    progress: Progress | None = None,
) -> PermutationTest:
    """Permutation p-value and null mean of every metric (see module docstring).
    ``progress(what, done, total)`` is called after each batch."""
    check_permutations(permutations)
    rng = np.random.default_rng(seed)
    pooled = np.asarray(p_counts, dtype=np.int64) + np.asarray(q_counts, dtype=np.int64)
    n_p = int(np.asarray(p_counts, dtype=np.int64).sum())
    count = NullCount(observed, METRICS)
    starts = _batches(permutations, pooled.size)
    for start in starts:
        size = min(starts.step, permutations - start)
        draws = hypergeometric(rng, pooled, n_p, size)
        # A resample with an empty side cannot occur: both observed sides are
        # non-empty and their sizes are kept.
        count.add(_metrics_of(draws, pooled[None, :] - draws, smoothing, base))
        if progress is not None:
            progress("permutations", start + size, permutations)
    return PermutationTest(permutations, count.p_values(permutations), count.null_means(permutations), seed)


def bootstrap_intervals(
    p_counts: np.ndarray,
    q_counts: np.ndarray,
    *,
    resamples: int,
    confidence: float,
    smoothing: Smoothing,
    base: str,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Intervals:
    """Percentile intervals (``percentile_bounds``): each side redrawn as
    Multinomial(n, observed shares). ``progress(what, done, total)`` is called
    after each batch."""
    check_bootstrap(resamples, confidence)
    sides = [np.asarray(c, dtype=np.int64) for c in (p_counts, q_counts)]
    rng = np.random.default_rng(None if seed is None else seed + 1)

    def draw(trackers: Trackers, what: str) -> None:
        starts = _batches(resamples, sides[0].size)
        for start in starts:
            size = min(starts.step, resamples - start)
            draws = [rng.multinomial(int(c.sum()), c / c.sum(), size=size) for c in sides]
            values = _metrics_of(draws[0], draws[1], smoothing, base)
            for (k, _), tracker in trackers.items():
                tracker.add(values[k])
            if progress is not None:
                progress(what, start + size, resamples)

    return Intervals(resamples, confidence, percentile_bounds(METRICS, resamples, confidence, rng, draw), seed)


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
    aligned: Aligned,
    observed: dict[str, float],
    settings: Resampling,
    smoothing: Smoothing,
    base: str,
    progress: Progress | None = None,
) -> tuple[PermutationTest | None, Intervals | None]:
    """Run what ``settings`` asks for on the aligned weights of P and Q
    (``progress``: see ``permutation_test``)."""
    pc = sample_counts(aligned.p, settings.n_p, "P", aligned.exponents[0])
    qc = sample_counts(aligned.q, settings.n_q, "Q", aligned.exponents[1])
    test = intervals = None
    if settings.permutations:
        test = permutation_test(
            pc,
            qc,
            observed,
            permutations=settings.permutations,
            smoothing=smoothing,
            base=base,
            seed=settings.seed,
            progress=progress,
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
            progress=progress,
        )
    return test, intervals
