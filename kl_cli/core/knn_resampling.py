"""Resampling for the nearest-neighbour estimates of ``kl_cli.core.knn``: the
permutation test and the bootstrap, one estimate at a time so that memory stays
that of one estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .knn_neighbours import (
    SAME_NOTE,
    ZERO,
    _check_k,
    _check_pair,
    _measure,
    _points,
    _same_values,
    _sides_sorted,
    _sides_tree,
    _unit,
)
from .significance import (
    Intervals,
    NullCount,
    PermutationTest,
    Progress,
    Trackers,
    check_bootstrap,
    check_permutations,
    percentile_bounds,
)

TEST_METRICS = ("kl_pq", "kl_qp", "js_divergence")
BOOTSTRAP_METRICS = ("kl_pq", "kl_qp", "js_divergence", "hellinger", "entropy_p", "entropy_q")
BATCH = 64  # resample values handed to the order-statistic trackers at once


@dataclass(frozen=True)
class KnnPermutationTest(PermutationTest):
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnnIntervals(Intervals):
    notes: tuple[str, ...] = ()


class _Pooled:
    """Both samples checked and scaled once; ``measure(a, b)`` estimates from any
    two subsets of their points (1-D: given sorted, so nothing is sorted again)."""

    def __init__(self, x: object, y: object, k: int, what: str) -> None:
        self.k = _check_k(k)
        a, b = _points(x, "P"), _points(y, "Q")
        _check_pair(a, b, ("P", "Q"), self.k)
        (self.a, self.b), self.log_s = _unit(a, b)
        self.n, self.m, self.d, self.what = len(a), len(b), a.shape[1], what
        self.same = _same_values(a, b)
        if self.d == 1:
            self.a, self.b = np.sort(self.a[:, 0]), np.sort(self.b[:, 0])

    def measure(self, a: np.ndarray, b: np.ndarray, weights: tuple = (None, None)) -> dict[str, float]:
        for pts, name in ((a, "P"), (b, "Q")):
            if len(pts) < self.k + 1 or ((pts[0] == pts[-1]) if self.d == 1 else (pts == pts[0]).all()):
                raise InputError(
                    f"{self.what} left {name} with fewer than {self.k + 1} distinct values: too few to resample",
                    hint="use --estimator binned for data that are really discrete",
                )
        sides = _sides_sorted(a, b, self.k, self.log_s) if self.d == 1 else _sides_tree(a, b, self.k, self.log_s)
        return _measure(*sides, self.d, self.k, weights)


def knn_permutation_test(
    x: object,
    y: object,
    k: int = 1,
    permutations: int = 1000,
    seed: int | None = None,
    progress: Progress | None = None,
) -> KnnPermutationTest:
    """p-values of KL(P||Q), KL(Q||P) and JS under "P and Q are one distribution":
    the pooled points split at random into n and m, p = (1 + #{T* >= T}) / (N + 1).
    One permutation is estimated at a time; ``progress(what, done, total)`` after each."""
    check_permutations(permutations)
    pool = _Pooled(x, y, k, "a permutation")
    count = NullCount(pool.measure(pool.a, pool.b), TEST_METRICS)
    rng = np.random.default_rng(seed)
    if pool.d == 1:  # sorted once: each permutation's sides are the sorted pool under shuffled labels
        both = np.concatenate((pool.a, pool.b))
        order = np.argsort(both, kind="stable")
        values, labels = both[order], order < pool.n
    else:
        values, labels = np.concatenate((pool.a, pool.b)), np.arange(pool.n + pool.m) < pool.n
    for done in range(1, permutations + 1):
        mine = rng.permutation(labels)
        count.add(pool.measure(values[mine], values[~mine]))
        if progress is not None:
            progress("permutations", done, permutations)
    return KnnPermutationTest(
        permutations,
        count.p_values(permutations),
        count.null_means(permutations),
        seed,
        notes=(f"p-values from {permutations:,} random splits of the pooled points (k = {pool.k})",),
    )


def knn_bootstrap(
    x: object,
    y: object,
    k: int = 1,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    progress: Progress | None = None,
) -> KnnIntervals:
    """Percentile intervals (``significance.percentile_bounds``) of each
    estimated metric over resamples of each side with replacement."""
    check_bootstrap(resamples, confidence)
    pool = _Pooled(x, y, k, "a bootstrap resample")
    rng = np.random.default_rng(None if seed is None else seed + 1)

    def draw(trackers: Trackers, what: str) -> None:
        batch: list[dict[str, float]] = []
        for done in range(1, resamples + 1):
            a, wa = _resample(rng, pool.a)
            b, wb = (a, wa) if pool.same else _resample(rng, pool.b)  # one sample twice: resampled together
            batch.append(pool.measure(a, b, (wa, wb)) | (ZERO if pool.same else {}))
            if len(batch) == BATCH or done == resamples:
                for (key, _), tracker in trackers.items():
                    tracker.add(np.array([values[key] for values in batch]))
                batch = []
            if progress is not None:
                progress(what, done, resamples)

    return KnnIntervals(
        resamples,
        confidence,
        percentile_bounds(BOOTSTRAP_METRICS, resamples, confidence, rng, draw),
        seed,
        notes=(
            "bootstrap resamples repeat points; copies of one point are not neighbours at distance 0, so each"
            " resample's distinct points are searched and weighted by how often they were drawn"
            " (resampling with the tie rule alone overstates KL by far)",
            *((SAME_NOTE,) if pool.same else ()),
        ),
    )


def _resample(rng: np.random.Generator, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A resample with replacement as its distinct points (in their order: sorted
    stays sorted) and how often each was drawn."""
    counts = np.bincount(rng.integers(0, len(pts), len(pts)), minlength=len(pts))
    drawn = counts > 0
    return pts[drawn], counts[drawn].astype(np.float64)
