"""Numeric observations into bins whose edges come from the reference only.

The outermost bins are open, (-inf, e1] and (ek, inf), so values of the
current data outside the reference's range still land in a bin, and the
yardstick never moves with the data under test. Bins are right-closed:
x falls in (e[i-1], e[i]].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, UsageError
from ..vocabulary import BINNINGS, MISSING

# Up to this many edges, bins are counted by comparison sweeps, not searchsorted.
FEW_EDGES = 32


@dataclass(frozen=True)
class Bins:
    """Interior edges e1 < ... < ek (k + 1 bins) and a note on merged edges."""

    edges: tuple[float, ...]
    note: str | None = None

    @property
    def labels(self) -> list[str]:
        return bin_labels(self.edges)

    def count(self, values: np.ndarray) -> np.ndarray:
        """Counts per bin of non-NaN values (NaN must be removed first); +-inf
        fall in the open outer bins."""
        edges = np.asarray(self.edges, dtype=np.float64)
        if len(edges) <= FEW_EDGES:
            # A few comparison sweeps beat a binary search per value.
            at_most = [np.count_nonzero(values <= e) for e in edges]
            return np.diff(np.array([0, *at_most, values.size], dtype=np.float64))
        index = np.searchsorted(edges, values, side="left")
        return np.bincount(index, minlength=len(edges) + 1).astype(np.float64)

    def counts_by_label(self, values: np.ndarray, missing: int = 0) -> dict[str, float]:
        """Counts per bin label, then ``(missing)``: NaN values plus ``missing``."""
        nan = np.isnan(values)
        out = dict(zip(self.labels, self.count(values[~nan]).tolist()))
        out[MISSING] = float(missing + int(nan.sum()))
        return out


def make_bins(values: np.ndarray, bins: int, binning: str = "quantile") -> Bins:
    """Edges for ``bins`` bins from reference values.

    ``quantile``: the interior edges are the 1/bins, 2/bins, ... quantiles
    (equal-frequency bins); ``uniform``: equally spaced between the minimum
    and the maximum. Repeated edges (heavy ties) are merged and the merge is
    described in ``note``; the requested count is never silently replaced.

    >>> make_bins(np.arange(1.0, 11.0), 4).edges
    (3.25, 5.5, 7.75)
    """
    if bins < 1:
        raise UsageError(f"--bins must be at least 1, got {bins}")
    if binning not in BINNINGS:
        raise UsageError(f"--binning must be one of {', '.join(BINNINGS)}, got {binning!r}")
    summary = NumericSummary()
    summary.add(np.asarray(values, dtype=np.float64))
    if summary.needs_second_pass:
        summary.plan(bins, binning)
        summary.add_detail(values)
    return summary.finish(bins, binning)[0]


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def bin_labels(edges: tuple[float, ...] | list[float]) -> list[str]:
    """Interval labels such as '(-inf, 1.5]', '(1.5, 3]', '(3, inf)'.

    Edges are printed with the fewest significant digits (at least 4) that
    keep every label distinct, so labels can safely be matched by text.
    """
    if len(edges) == 0:
        return ["(-inf, inf)"]
    for digits in range(4, 18):
        shown = [_fmt(e, digits) for e in edges]
        if len(set(shown)) == len(shown):
            break
    else:
        shown = [repr(float(e)) for e in edges]
    bounds = ["-inf", *shown, "inf"]
    labels = [f"({bounds[i]}, {bounds[i + 1]}]" for i in range(len(bounds) - 1)]
    labels[-1] = labels[-1][:-1] + ")"
    return labels


def binned_pair(
    p_values: np.ndarray, q_values: np.ndarray, bins: int, binning: str, p_name: str, q_name: str
) -> tuple[Any, Any, str | None]:
    """Bin two samples of numbers with edges from P alone (as drift does);
    returns the two histograms and the note on merged edges, if any."""
    from .histogram import make_histogram

    finite = p_values[np.isfinite(p_values)]
    if finite.size == 0:
        raise InputError(f"{p_name}: no finite observations to take bin edges from")
    edges = make_bins(finite, bins, binning)
    histograms = []
    for values, name in ((p_values, p_name), (q_values, q_name)):
        counts = edges.counts_by_label(values)
        histograms.append(make_histogram(list(counts.values()), list(counts), name, observations=True))
    return histograms[0], histograms[1], edges.note


# ---------------------------------------------------------------------------
# Exact quantile edges in bounded memory
#
# A column's values are kept in memory up to IN_MEMORY_VALUES. Beyond that,
# only a histogram of their order-preserving 64-bit keys over 2**BUCKET_BITS
# buckets is kept (pass 1), and a second pass over the data records the
# distinct values of the few buckets that hold the wanted order statistics or
# edges. Both ways give the same exact edges and counts, because both use
# ``quantile_edges`` on exact order statistics.

IN_MEMORY_VALUES = 6_000_000
BUCKET_BITS = 20
_SHIFT = np.uint64(64 - BUCKET_BITS)
_SIGN = np.uint64(1 << 63)
_SLICE = 1 << 18  # values bucketed at a time


def _keys(x: np.ndarray) -> np.ndarray:
    """Map float64 (no NaN, no -0.0) to uint64 so that key order is value order."""
    u = x.view(np.uint64)
    return np.where(u >= _SIGN, ~u, u | _SIGN)


def _buckets(x: np.ndarray) -> np.ndarray:
    return (_keys(x) >> _SHIFT).astype(np.int64)


def _add_buckets(counts: np.ndarray, values: np.ndarray) -> None:
    """Add the values' bucket histogram to ``counts``, in bounded temporaries."""
    for start in range(0, values.size, _SLICE):
        counts += np.bincount(_buckets(values[start : start + _SLICE]), minlength=1 << BUCKET_BITS)


def quantile_edges(order_stat: Any, n: int, bins: int) -> np.ndarray:
    """The j/bins quantiles (j = 1..bins-1) of n values, by linear
    interpolation between order statistics as numpy's default method does:
    h = (n - 1) j / bins, q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
    ``order_stat(ranks)`` returns the values at 0-based ranks."""
    h = (n - 1) * np.arange(1, bins) / bins
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    t = h - lo
    a = order_stat(lo)
    b = order_stat(hi)
    with np.errstate(over="ignore", invalid="ignore"):
        edges = a + t * (b - a)
        edges = np.where(np.isfinite(edges), edges, a * (1 - t) + b * t)
    return np.clip(edges, a, b)


def uniform_edges(low: float, high: float, bins: int) -> np.ndarray:
    """The bins - 1 interior edges of equal-width bins from low to high; for a
    range wider than the largest float (-1e308 to 1e308), as weighted means."""
    with np.errstate(over="ignore", invalid="ignore"):
        edges = low + (high - low) * np.arange(1, bins) / bins
    if np.all(np.isfinite(edges)):
        return edges
    t = np.arange(1, bins) / bins
    return low * (1 - t) + high * t


def needed_ranks(n: int, bins: int) -> np.ndarray:
    h = (n - 1) * np.arange(1, bins) / bins
    lo = np.floor(h).astype(np.int64)
    return np.unique(np.concatenate([lo, np.minimum(lo + 1, n - 1)]))


class NumericSummary:
    """What binning needs from one column's non-NaN values, fed chunk by chunk.

    ``add`` in a first pass; if ``needs_second_pass`` after it, ``add_detail``
    with the same values again; then ``finish`` gives the bins and counts.
    """

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] | None = []
        self.n_in_memory = 0
        self.bucket_counts: np.ndarray | None = None
        self.neg_inf = 0
        self.pos_inf = 0
        self.n_finite = 0
        self.low = np.inf
        self.high = -np.inf
        self.targets: np.ndarray | None = None
        self.detail: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.detail_seen = 0

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 becomes 0.0
        finite = np.isfinite(values)
        self.neg_inf += int((values == -np.inf).sum())
        self.pos_inf += int((values == np.inf).sum())
        values = values[finite]
        if values.size == 0:
            return
        self.n_finite += values.size
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        if self.chunks is not None:
            self.chunks.append(values)
            self.n_in_memory += values.size
            if self.n_in_memory <= IN_MEMORY_VALUES:
                return
            # Too many to keep: histogram what was kept, one chunk at a time,
            # letting each go as it is counted, and keep only the histogram.
            kept, self.chunks = self.chunks, None
            while kept:
                self._count_buckets(kept.pop())
            return
        self._count_buckets(values)

    def merged(self, other: NumericSummary) -> NumericSummary:
        """A first-pass summary of this one's values and another's (a
        partition's), as if they had all been ``add``-ed to one: the values are
        kept while both sides kept theirs and together they fit in memory, else
        both become bucket histograms, which add. The result depends only on
        the values, so merging partitions in any grouping gives ``finish`` the
        same exact edges and counts as one pass over them all. Neither side is
        changed (a cluster may hand the same partial to a retried merge)."""
        out = NumericSummary()
        out.neg_inf = self.neg_inf + other.neg_inf
        out.pos_inf = self.pos_inf + other.pos_inf
        out.n_finite = self.n_finite + other.n_finite
        out.low = min(self.low, other.low)
        out.high = max(self.high, other.high)
        both_kept = self.chunks is not None and other.chunks is not None
        if both_kept and self.n_in_memory + other.n_in_memory <= IN_MEMORY_VALUES:
            out.chunks = [*self.chunks, *other.chunks]  # type: ignore[misc]
            out.n_in_memory = self.n_in_memory + other.n_in_memory
        else:
            out.chunks = None
            out.bucket_counts = self._histogram() + other._histogram()
        return out

    def _histogram(self) -> np.ndarray:
        """The bucket histogram of the values seen (a new array when they were kept)."""
        if self.chunks is None:
            assert self.bucket_counts is not None
            return self.bucket_counts
        counts = np.zeros(1 << BUCKET_BITS, dtype=np.int64)
        for values in self.chunks:
            _add_buckets(counts, values)
        return counts

    def planned(self) -> NumericSummary:
        """An empty summary with this one's second-pass plan: what a partition
        records its detail into, to be combined with ``merged_detail``."""
        out = NumericSummary()
        out.chunks = None
        out.targets = self.targets
        return out

    def merged_detail(self, other: NumericSummary) -> NumericSummary:
        """A planned summary holding this one's second-pass detail and another's
        (a partition's, under the same plan); neither side is changed."""
        out = self.planned()
        out.detail = dict(self.detail)
        out.detail_seen = self.detail_seen + other.detail_seen
        for bucket, (uniq, n) in other.detail.items():
            out._add_bucket_detail(bucket, uniq, n)
        return out

    def take_detail(self, other: NumericSummary) -> None:
        """Take the second-pass detail recorded elsewhere (by partitions) as this summary's own."""
        self.detail, self.detail_seen = dict(other.detail), other.detail_seen

    def __getstate__(self) -> dict[str, object]:
        # The bucket histogram travels sparse (its nonzero buckets): a partition's
        # values fill few of its 2**BUCKET_BITS buckets.
        state = dict(self.__dict__)
        counts = state.pop("bucket_counts")
        if counts is not None:
            nonzero = np.flatnonzero(counts)
            state["sparse_buckets"] = (nonzero.astype(np.int32), counts[nonzero])
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        sparse = state.pop("sparse_buckets", None)
        self.__dict__.update(state)
        self.bucket_counts = None
        if sparse is not None:
            index, counts = sparse  # type: ignore[misc]
            self.bucket_counts = np.zeros(1 << BUCKET_BITS, dtype=np.int64)
            self.bucket_counts[index] = counts

    def _count_buckets(self, values: np.ndarray) -> None:
        counts = np.zeros(1 << BUCKET_BITS, dtype=np.int64) if self.bucket_counts is None else self.bucket_counts
        _add_buckets(counts, values)
        self.bucket_counts = counts

    @property
    def needs_second_pass(self) -> bool:
        return self.chunks is None

    def plan(self, bins: int, binning: str) -> None:
        """Choose the buckets whose values the second pass must record."""
        assert self.bucket_counts is not None
        if binning == "quantile":
            cum = np.cumsum(self.bucket_counts)
            ranks = needed_ranks(self.n_finite, bins)
            self.targets = np.unique(np.searchsorted(cum, ranks, side="right"))
        else:
            self.targets = np.unique(_buckets(self._uniform_raw(bins)))

    def add_detail(self, values: np.ndarray) -> None:
        assert self.targets is not None
        values = np.asarray(values, dtype=np.float64) + 0.0
        values = values[np.isfinite(values)]
        self.detail_seen += values.size
        b = _buckets(values)
        keep = np.isin(b, self.targets)
        for bucket in np.unique(b[keep]).tolist():
            uniq, n = np.unique(values[b == bucket], return_counts=True)
            self._add_bucket_detail(bucket, uniq, n)

    def _add_bucket_detail(self, bucket: int, uniq: np.ndarray, n: np.ndarray) -> None:
        """Add the distinct values (and their counts) seen in one recorded bucket."""
        if bucket in self.detail:
            old_u, old_n = self.detail[bucket]
            both = np.concatenate([old_u, uniq])
            merged, inverse = np.unique(both, return_inverse=True)
            uniq, n = merged, np.bincount(inverse, weights=np.concatenate([old_n, n]))
        self.detail[bucket] = (uniq, np.asarray(n, dtype=np.float64))

    def detail_matches(self) -> bool:
        """Whether the second pass saw the values the first one counted (it
        does unless the file changed in between): as many finite values, and
        as many in each bucket whose values were recorded."""
        assert self.targets is not None and self.bucket_counts is not None
        if self.detail_seen != self.n_finite:
            return False
        seen = {b: float(n.sum()) for b, (_, n) in self.detail.items()}
        return all(seen.get(b, 0.0) == float(self.bucket_counts[b]) for b in self.targets.tolist())

    def _uniform_raw(self, bins: int) -> np.ndarray:
        return uniform_edges(self.low, self.high, bins)

    def finish(self, bins: int, binning: str) -> tuple[Bins, np.ndarray]:
        """The bins (edges from these values) and the count in each bin."""
        if bins < 1:
            raise UsageError(f"--bins must be at least 1, got {bins}")
        if self.n_finite == 0 or bins == 1:
            edges = Bins(())
        elif self.chunks is not None:
            values = np.concatenate(self.chunks) if self.chunks else np.empty(0)
            edges = _merge_ties(self._raw_edges(values, bins, binning), bins, binning)
            counts = edges.count(values)
            counts[0] += self.neg_inf
            counts[-1] += self.pos_inf
            return edges, counts
        else:
            edges = _merge_ties(self._raw_edges(None, bins, binning), bins, binning)
        counts = np.diff(np.concatenate([[0.0], [self._at_most(e) for e in edges.edges], [self._total()]]))
        return edges, counts

    def _total(self) -> float:
        return float(self.n_finite + self.neg_inf + self.pos_inf)

    def _raw_edges(self, values: np.ndarray | None, bins: int, binning: str) -> np.ndarray:
        if binning == "uniform":
            return self._uniform_raw(bins)
        if values is not None:
            ranks = needed_ranks(values.size, bins)
            part = np.partition(values, ranks)
            return quantile_edges(lambda r: part[r], values.size, bins)
        return quantile_edges(self._order_stat, self.n_finite, bins)

    def _order_stat(self, ranks: np.ndarray) -> np.ndarray:
        assert self.bucket_counts is not None
        cum = np.cumsum(self.bucket_counts)
        out = np.empty(len(ranks))
        for i, r in enumerate(np.asarray(ranks).tolist()):
            b = int(np.searchsorted(cum, r, side="right"))
            before = int(cum[b - 1]) if b > 0 else 0
            uniq, n = self.detail[b]
            out[i] = uniq[int(np.searchsorted(np.cumsum(n), r - before, side="right"))]
        return out

    def _at_most(self, edge: float) -> float:
        """How many values are <= edge (the -inf ones included)."""
        assert self.bucket_counts is not None
        b = int(_buckets(np.array([edge + 0.0]))[0])
        before = float(self.bucket_counts[:b].sum())
        within = 0.0
        if b in self.detail:
            uniq, n = self.detail[b]
            within = float(n[: int(np.searchsorted(uniq, edge, side="right"))].sum())
        return self.neg_inf + before + within


def _merge_ties(raw: np.ndarray, bins: int, binning: str) -> Bins:
    edges = np.unique(raw)
    note = None
    if edges.size < raw.size:
        merged = raw.size - edges.size
        note = f"{bins} {binning} bins asked for; {merged} repeated edges merged (ties), {edges.size + 1} bins used"
    return Bins(tuple(float(e) for e in edges), note)
