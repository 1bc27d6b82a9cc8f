"""Exact order statistics of a stream of values, in bounded memory.

A percentile bootstrap of N resamples needs two order statistics of N values
per metric: keeping all of them costs 88 bytes a resample for 11 metrics
(88 GB for --bootstrap 1000000000). ``OrderStatistic`` keeps instead a
bracket [lo, hi] around the wanted rank: values below it are only counted,
values above it dropped, values inside kept (as distinct values with their
counts, so ties cost nothing). Whenever the kept values outgrow a cap, the
bracket is narrowed around where the rank will fall, with a margin of
``z`` standard deviations of the binomial count below a threshold
(plus z**2 for small counts): about 2 z sqrt(N f (1 - f)) values stay kept,
a few tens of thousands at N = 10**9.

The result is exact, not an estimate: when the stream ends, the wanted rank
either lies in the bracket (the value is read off the kept values) or, if
the margin was too small (about once in 10**14 narrowings at z = 8), the
caller replays the same values (resamples are drawn again from the same
generator state) into a new tracker restricted to the side where the rank
is known to lie (``replay``).
"""

from __future__ import annotations

import math

import numpy as np

# Kept values beyond which the bracket is narrowed (the memory bound is a
# few times this, per tracker, up to the bracket's own width).
CAP = 4096


def order_index(n: int, q: float) -> int:
    """The 0-based rank numpy's ``quantile(..., method="inverted_cdf")`` takes
    for quantile ``q`` of ``n`` values (the same float arithmetic)."""
    virtual = float(n) * q - 1.0
    previous = math.floor(virtual)
    index = previous if virtual - previous == 0 else previous + 1
    return min(max(index, 0), n - 1)


class OrderStatistic:
    """The value of 0-based rank ``index`` among ``total`` values that arrive in
    batches (``add``); ``value()`` once all have arrived, or None when the
    bracket missed (then ``replay()`` gives the tracker for a second pass).
    ``lo``/``hi``: values outside them are known to be below/above the rank."""

    def __init__(
        self, total: int, index: int, *, z: float = 8.0, cap: int = CAP, lo: float = -math.inf, hi: float = math.inf
    ) -> None:
        self.total, self.index, self.z, self.cap = total, index, z, cap
        self.lo, self.hi = lo, hi
        self.below = 0  # values < lo
        self.seen = 0
        self._values = np.empty(0)  # distinct kept values, sorted
        self._counts = np.empty(0, dtype=np.int64)
        self._pending: list[np.ndarray] = []
        self._n_pending = 0

    def add(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        self.seen += x.size
        keep = np.ones(x.size, dtype=bool)
        if self.lo > -math.inf:
            under = x < self.lo
            self.below += int(np.count_nonzero(under))
            keep &= ~under
        if self.hi < math.inf:
            keep &= x <= self.hi
        inside = x[keep]
        if inside.size:
            self._pending.append(inside)
            self._n_pending += inside.size
        if self._n_pending > max(self.cap, self._values.size):
            self._merge()
            self._narrow()

    def _merge(self) -> None:
        if not self._pending:
            return
        values = np.concatenate([self._values, *self._pending])
        counts = np.concatenate([self._counts, np.ones(self._n_pending, dtype=np.int64)])
        self._pending, self._n_pending = [], 0
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        self._values, self._counts = values[starts], np.add.reduceat(counts, starts)

    def _narrow(self) -> None:
        """Move lo up and hi down to where the rank will (almost surely) fall:
        the count below a threshold, projected from ``seen`` to ``total``
        values, stays on its side by ``z`` standard deviations."""
        if not math.isfinite(self.z) or self._values.size == 0:
            return
        n, s, t, z = self.total, self.seen, self.index, self.z
        # The count below x, projected to n values, is off by sd = sqrt(F (1 - F)
        # (n - s) n / s), F the share of values below x: F is near f at the
        # thresholds that matter, within delta (taken at its worst towards 1/2).
        f = (t + 0.5) / n
        delta = 2 * z * math.sqrt(f * (1 - f) / s) + 2 * z * z / s
        spread = (n - s) * n / s
        margin_low = z * math.sqrt(_peak(max(0.0, f - delta), f) * spread) + z * z
        margin_high = z * math.sqrt(_peak(f, min(1.0, f + delta)) * spread) + z * z
        cum = np.cumsum(self._counts)
        less = self.below + cum - self._counts  # values below each kept value
        upto = self.below + cum  # values up to and including it
        scale = n / s
        low_ok = np.flatnonzero(less * scale + margin_low <= t)
        high_ok = np.flatnonzero(upto * scale - margin_high >= t + 1)
        a = int(low_ok[-1]) if low_ok.size else 0
        b = int(high_ok[0]) if high_ok.size else self._values.size - 1
        if b < a:  # cannot happen for a consistent margin; keep everything rather than guess
            return
        if a > 0:
            self.below += int(cum[a - 1])
            self.lo = float(self._values[a])
        if b < self._values.size - 1:
            self.hi = float(self._values[b])
        self._values, self._counts = self._values[a : b + 1], self._counts[a : b + 1]

    def value(self) -> float | None:
        """The value at the rank, or None when the bracket missed it."""
        self._merge()
        cum = np.cumsum(self._counts)
        if not self.below <= self.index < self.below + (int(cum[-1]) if cum.size else 0):
            return None
        i = int(np.searchsorted(cum, self.index - self.below, side="right"))
        return float(self._values[i])

    def replay(self) -> OrderStatistic:
        """A tracker for a second pass over the same values, restricted to the
        side of the bracket where the rank lies, with twice the margin (no
        narrowing at all after four misses)."""
        z = self.z * 2 if self.z < 64 else math.inf
        if self.index < self.below:
            hi = float(np.nextafter(self.lo, -math.inf))
            return OrderStatistic(self.total, self.index, z=z, cap=self.cap, hi=hi)
        lo = float(np.nextafter(self.hi, math.inf))
        return OrderStatistic(self.total, self.index, z=z, cap=self.cap, lo=lo)


def _peak(a: float, b: float) -> float:
    """The largest F (1 - F) for F in [a, b]."""
    return 0.25 if a <= 0.5 <= b else max(a * (1 - a), b * (1 - b))
