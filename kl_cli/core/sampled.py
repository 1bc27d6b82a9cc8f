"""KL(q||p) from the log-probabilities of tokens drawn from q: Schulman's k1, k2, k3.

For x drawn from q and log r = log p(x) - log q(x) (Schulman, "Approximating
KL Divergence", 2020):

- ``k1 = -log r``: unbiased, E_q[k1] = KL(q||p); a single token's value can
  be negative, and so can a small sample's mean.
- ``k2 = (log r)^2 / 2``: biased (E_q[k2] = KL(q||p) only to second order in
  log r), never negative, low variance when p and q are close.
- ``k3 = (r - 1) - log r``: unbiased (E_q[r] = 1 when p covers q's support),
  never negative (e^t >= 1 + t), low variance when p and q are close and
  heavy-tailed when p puts much more mass than q on some drawn token.

Only KL(q||p) can be estimated from draws of q: KL(p||q) is an expectation
under p, and nothing here was drawn from p.

Everything accumulates in float64, in bounded memory: the moments of each
estimator are merged chunk by chunk (each chunk two-pass, chunks merged by
Chan et al.'s update), and per-sequence sums are kept per sequence, not per
token. Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ESTIMATOR_IDS = ("k1", "k2", "k3")
# Below this |log r|, k3 = expm1(t) - t loses digits to cancellation (its
# value is about t^2/2 while each operand is about t): the Taylor series
# sum_{n>=2} t^n/n! is summed instead. At 0.5, 14 terms leave a remainder
# below 1e-17 of the value; from 0.5 on, e^t - (1 + t) loses at most 4 bits
# (a relative error below 3e-15) and np.exp is several times faster than np.expm1.
K3_SERIES_BELOW = 0.5
_K3_TERMS = 14
# Tokens whose values decide whether a standard error can be trusted.
TOP_KEPT = 10


def estimator_terms(log_r: np.ndarray) -> dict[str, np.ndarray]:
    """k1, k2 and k3 per token (float64) for finite values of log r = log p - log q.

    >>> t = estimator_terms(np.array([0.0, 1e-9, -2.0]))
    >>> [float(x) for x in t["k3"]]
    [0.0, 5.000000001666667e-19, 1.1353352832366128]
    """
    d = np.asarray(log_r, dtype=np.float64)
    with np.errstate(over="ignore"):
        return {"k1": -d, "k2": 0.5 * d * d, "k3": k3_terms(d)}


def k3_terms(d: np.ndarray) -> np.ndarray:
    """(e^t - 1) - t for each t of ``d``, to a relative error below 3e-15 and never
    negative: the series t^2/2! + t^3/3! + ... where |t| < 0.5, e^t - (1 + t)
    elsewhere (infinite where e^t is beyond the float range)."""
    d = np.asarray(d, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(d)
        out -= 1.0 + d
    small = np.abs(d) < K3_SERIES_BELOW
    every = bool(small.all())
    if every or small.any():
        t = d if every else d[small]
        # Horner's scheme, in place: sum_{n=2}^{N+1} t^n / n! = t^2 * sum_{j=0}^{N-1} t^j / (j+2)!
        acc = np.full_like(t, 1.0 / math.factorial(_K3_TERMS + 1))
        for n in range(_K3_TERMS, 1, -1):
            acc *= t
            acc += 1.0 / math.factorial(n)
        acc *= t
        acc *= t
        if every:
            out = acc
        else:
            out[small] = acc
    np.maximum(out, 0.0, out=out)  # e^t >= 1 + t exactly; rounding must not say otherwise
    return out


@dataclass(frozen=True)
class Estimate:
    """One estimator's figure: the mean and the standard error of the mean.

    ``mean`` is +inf when a value was infinite (p gave a drawn token
    probability 0); ``overflow`` counts values beyond the float range
    (then neither figure is given)."""

    mean: float
    sem: float | None  # None from a single value: no spread to estimate it from
    n: int
    overflow: int = 0

    @property
    def estimated(self) -> bool:
        return self.overflow == 0 and self.n > 0


class Running:
    """The count, mean and sum of squared deviations of a stream of values,
    chunk by chunk (two passes within a chunk, chunks merged exactly as
    Chan, Golub and LeVeque's pairwise update), plus the infinite values
    apart and the largest values (for the heavy-tail check)."""

    def __init__(self, keep_top: bool = False) -> None:
        self.keep_top = keep_top
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.infinite = 0
        self.overflow = 0
        self.top = np.empty(0)

    def add(self, values: np.ndarray, infinite: np.ndarray | None = None) -> None:
        """Add a chunk of values. An infinite value is a true infinity where
        ``infinite`` marks it (p gave the token probability 0), else a value
        beyond the float range (an overflow, counted apart)."""
        values = np.asarray(values, dtype=np.float64)
        out = np.isinf(values)
        if out.any():
            true = out if infinite is None else out & infinite
            self.infinite += int(true.sum())
            self.overflow += int(out.sum()) - int(true.sum())
            values = values[~out]
        n = values.size
        if n == 0:
            return
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(np.sum(values) / n)
            if not math.isfinite(mean):  # a sum beyond the float range
                self.overflow += n
                return
            m2 = float(np.sum(np.square(values - mean)))
        total = self.n + n
        delta = mean - self.mean
        self.mean += delta * (n / total)
        self.m2 += m2 + delta * delta * (self.n * n / total)
        self.n = total
        if self.keep_top:
            keep = min(TOP_KEPT, n)
            largest = np.partition(values, n - keep)[n - keep :] if keep < n else values
            self.top = np.sort(np.concatenate([self.top, largest]))[-TOP_KEPT:]

    def estimate(self) -> Estimate:
        n = self.n + self.infinite
        if self.infinite:
            return Estimate(math.inf, math.inf, n, self.overflow)
        if n == 0:
            return Estimate(math.nan, math.nan, 0, self.overflow)
        sem = math.sqrt(self.m2 / (n - 1) / n) if n > 1 else None
        return Estimate(self.mean, sem, n, self.overflow)

    def top_share(self) -> float:
        """The share of the sum of squared deviations held by the TOP_KEPT
        largest values (1: the standard error rests on a handful of tokens)."""
        if self.m2 <= 0 or self.n <= TOP_KEPT:
            return 0.0
        return float(np.sum(np.square(self.top[self.top > self.mean] - self.mean)) / self.m2)


class TokenStats:
    """The per-token moments of k1, k2 and k3, fed log r chunk by chunk.
    A log r of +inf never arrives (log q is finite); -inf (log p = -inf:
    p gives the token probability 0) makes every estimator infinite."""

    def __init__(self) -> None:
        self.running = {k: Running(keep_top=k == "k3") for k in ESTIMATOR_IDS}
        self.zero_p = 0  # tokens p gives probability 0
        self.tokens = 0

    def add(self, log_r: np.ndarray) -> dict[str, np.ndarray]:
        """Add a chunk; return its terms (for per-sequence sums)."""
        log_r = np.asarray(log_r, dtype=np.float64)
        self.tokens += log_r.size
        zero = np.isneginf(log_r)
        zeros = int(zero.sum())
        self.zero_p += zeros
        terms = estimator_terms(log_r)
        for k, values in terms.items():
            if zeros:
                values[zero] = math.inf
            self.running[k].add(values, zero if zeros else None)
        return terms

    def estimates(self) -> dict[str, Estimate]:
        return {k: r.estimate() for k, r in self.running.items()}


class SequenceSums:
    """Per-sequence sums of k1, k2, k3 and token counts, in float64, kept per
    sequence (memory grows with the sequences, not the tokens). Sequences may
    arrive in any order, a sequence's tokens in several chunks."""

    def __init__(self) -> None:
        self.ids: dict[object, int] = {}
        self.sums = np.zeros((len(ESTIMATOR_IDS), 1024))
        self.counts = np.zeros(1024, dtype=np.int64)

    def _grow(self, needed: int) -> None:
        size = self.counts.size
        if needed <= size:
            return
        while size < needed:
            size *= 2
        sums = np.zeros((len(ESTIMATOR_IDS), size))
        sums[:, : self.counts.size] = self.sums
        counts = np.zeros(size, dtype=np.int64)
        counts[: self.counts.size] = self.counts
        self.sums, self.counts = sums, counts

    def index(self, keys: list[object]) -> np.ndarray:
        """Positions of these (distinct) sequence keys, new ones added."""
        ids = self.ids
        out = np.empty(len(keys), dtype=np.int64)
        for i, key in enumerate(keys):
            at = ids.get(key)
            if at is None:
                at = ids[key] = len(ids)
            out[i] = at
        self._grow(len(ids))
        return out

    def add(self, where: np.ndarray, terms: dict[str, np.ndarray]) -> None:
        """Add each token's terms to its sequence (``where``: positions from ``index``)."""
        if where.size == 0:
            return
        size = self.counts.size
        self.counts += np.bincount(where, minlength=size)
        with np.errstate(invalid="ignore"):  # inf + inf stays inf
            for row, k in enumerate(ESTIMATOR_IDS):
                self.sums[row] += np.bincount(where, weights=terms[k], minlength=size)

    def add_rows(self, terms: dict[str, np.ndarray], keep: np.ndarray | None) -> None:
        """Whole sequences at once: each row of the 2-D terms is one sequence (``keep``: its 0/1 mask)."""
        rows = next(iter(terms.values())).shape[0]
        start = len(self.ids)
        self.index(list(range(start, start + rows)))
        counts = np.full(rows, terms["k1"].shape[1], dtype=np.int64) if keep is None else keep.sum(axis=1)
        self.counts[start : start + rows] = counts
        with np.errstate(invalid="ignore"):
            for row, k in enumerate(ESTIMATOR_IDS):
                values = terms[k] if keep is None else np.where(keep, terms[k], 0.0)
                self.sums[row, start : start + rows] = values.sum(axis=1)

    def estimates(self, infinite_ok: bool) -> tuple[dict[str, Estimate], int, int]:
        """Each estimator's per-sequence sum averaged over the sequences that
        kept a token, with its standard error; and (sequences, sequences left
        empty). ``infinite_ok``: an infinite sum is a true infinity (p gave a
        token probability 0), else it is a sum beyond the float range."""
        n = len(self.ids)
        filled = self.counts[:n] > 0
        out = {}
        for row, k in enumerate(ESTIMATOR_IDS):
            running = Running()
            values = self.sums[row, :n][filled]
            running.add(values, np.ones(values.shape, dtype=bool) if infinite_ok else None)
            out[k] = running.estimate()
        return out, int(filled.sum()), int(n - filled.sum())
