"""Divergences from samples without binning: k-nearest-neighbour estimators (in nats).

P's points x_1..x_n and Q's points y_1..y_m, in d dimensions (Euclidean
distances; V_d the volume of the unit ball). rho_i is the distance from x_i to
its k_i-th neighbour among the n - 1 other points of P, nu_i to its l_i-th
neighbour among Q's m points; Q's points likewise. The kNN density at x_i is
p^(x_i) = e^psi(k_i) / ((n - 1) V_d rho_i^d), and q^(x_i) = e^psi(l_i) / (m V_d nu_i^d).

- KL (Wang, Kulkarni & Verdú 2009, IEEE Trans. Inf. Theory 55(5)), the mean of log p^/q^:
      D(P||Q) = (d/n) sum_i log(nu_i / rho_i) + (1/n) sum_i [psi(k_i) - psi(l_i)] + log(m / (n - 1))
- Entropy (Kozachenko & Leonenko, as in Kraskov et al. 2004), differential:
      H(P) = psi(n) - (1/n) sum_i psi(k_i) + log V_d + (d/n) sum_i log rho_i
- Jensen-Shannon: JS = log 2 - E_P[log(1 + q/p)] / 2 - E_Q[log(1 + p/q)] / 2. Around x_i
  out to rho_i the number b_i of Q's points is, for locally constant densities,
  negative binomial with order k_i and odds t = m q / ((n - 1) p); the one unbiased
  function of b_i for log(1 + q/p) = log(1 + c t), c = (n - 1)/m <= 1, is
      g(b) = psi(b + k) - psi(k) - sum_{j=1..b} ((1 - c)^j / j) prod_{i<j} (b - i) / (b + k - 1 - i).
  When P has more points than Q (c > 1), the ball out to nu_i is used and P's
  other points counted in it: that estimates log(1 + p/q), and log(1 + q/p) =
  log(1 + p/q) - log(p/q) averages to it minus D(P||Q). Plugging log p^/q^ into
  log(1 + e^-u) instead is far off (-0.31 for two samples of one distribution at k = 1).
- Hellinger: BC = int sqrt(pq) = E_P[sqrt(q/p)]; sqrt((n - 1) rho_i^d / (m nu_i^d)) times
  G(k_i) G(l_i) / (G(k_i + 1/2) G(l_i - 1/2)) is unbiased for sqrt(q/p)(x_i) for locally
  constant densities (Póczos & Schneider 2011); BC is the mean over both samples, H = sqrt(1 - BC).
  Here nu_i is taken at order max(k, 2): at l = 1 the estimate has infinite variance (E[1/Gamma(1)]).
- Total variation is not estimated: |p - q| has no unbiased local estimate, and
  the plug-in E|tanh(u/2)| gives 0.5 for two samples of one distribution at k = 1.

Ties (rounded data, repeated values): k_i is the smallest order >= k whose
neighbour is at a positive distance (l_i likewise), and the digamma and gamma
terms use the orders so raised; a zero distance never gives an infinity. Two
samples holding exactly the same values have every divergence 0 (a sample and
its copy are not independent: the rule would give KL about -1). A bootstrap
resample is searched as its distinct points, weighted by how often each was
drawn (copies of one point are not neighbours). One dimension admits sorting:
neighbour distances come from sort + searchsorted + windows of k on each side
(O(n k)); d >= 2 uses scipy.spatial.cKDTree. Data are scaled by a power of two
(exactly) so that no difference overflows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, UsageError
from .quantiles import OrderStatistic, order_index
from .significance import TIE_TOLERANCE, Intervals, PermutationTest, Progress

LOG2 = math.log(2.0)
TV_REASON = (
    "total variation has no nearest-neighbour estimate (|p - q| has no unbiased local estimate; "
    "the plug-in gives 0.5 for two samples of one distribution); use --estimator binned for it"
)
TEST_METRICS = ("kl_pq", "kl_qp", "js_divergence")
BOOTSTRAP_METRICS = ("kl_pq", "kl_qp", "js_divergence", "hellinger", "entropy_p", "entropy_q")
BATCH = 64  # resample values handed to the order-statistic trackers at once


@dataclass(frozen=True)
class KnnEstimate:
    """Nearest-neighbour estimates, in nats (``metrics``; total variation is in
    ``not_estimated`` with the reason). ``m`` is the model sample's size when Q is a model."""

    metrics: dict[str, float]
    k: int
    n: int
    m: int
    dimension: int
    tied_share_p: float
    tied_share_q: float
    outside_support: int = 0
    notes: list[str] = field(default_factory=list)
    not_estimated: dict[str, str] = field(default_factory=dict)
    model: bool = False

    def describe(self) -> str:
        what = (
            f"{self.n:,} data points against the model (a model sample of {self.m:,})"
            if self.model
            else (f"{self.n:,} against {self.m:,} points")
        )
        dims = "1 dimension" if self.dimension == 1 else f"{self.dimension} dimensions"
        text = f"k-nearest-neighbour estimate (k = {self.k}), {what} in {dims}"
        if self.tied_share_p or self.tied_share_q:
            text += f"; tied points: {self.tied_share_p:.1%} of P, {self.tied_share_q:.1%} of Q"
        return text


@dataclass(frozen=True)
class KnnPermutationTest(PermutationTest):
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnnIntervals(Intervals):
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Input checks


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise UsageError(f"--k must be a whole number of at least 1, got {k!r}")
    return int(k)


def _points(values: object, name: str) -> np.ndarray:
    """One side's points as an (n, d) float64 array, refused when not finite."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: the nearest-neighbour estimator needs numbers") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] == 0:
        raise InputError(f"{name} must be numbers or rows of numbers (got an array of shape {a.shape})")
    bad = ~np.isfinite(a)
    if bad.any():
        nan = int(np.isnan(a).sum())
        if nan:
            raise InputError(f"{name} has {nan} missing (NaN) value(s); they must be removed first")
        raise InputError(
            f"{name} has {int(bad.sum())} infinite value(s); the nearest-neighbour estimator needs finite ones"
        )
    return a


def _check_pair(a: np.ndarray, b: np.ndarray, names: tuple[str, str], k: int) -> None:
    if a.shape[1] != b.shape[1]:
        raise InputError(f"{names[0]} has {a.shape[1]} columns, {names[1]} has {b.shape[1]}")
    for pts, name in ((a, names[0]), (b, names[1])):
        if len(pts) < k + 1:
            raise InputError(f"{name} has {len(pts)} point(s); --k {k} needs at least {k + 1}")
        if (pts == pts[0]).all():
            what = "values" if pts.shape[1] == 1 else "points"
            raise InputError(
                f"{name}: all {len(pts):,} {what} are identical, so no neighbour is at a positive distance",
                hint="use --estimator binned for data that are really discrete",
            )


def _unit(*arrays: np.ndarray) -> tuple[list[np.ndarray], float]:
    """The arrays divided by a power of two (exact) so that every value is below
    1 in size, and the logarithm of that power."""
    top = max(float(np.abs(a).max()) for a in arrays)
    exponent = math.frexp(top)[1] if top > 0 else 0
    return [np.ldexp(a, -exponent) for a in arrays], exponent * LOG2


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether P and Q hold exactly the same points (as multisets)."""
    if a.shape != b.shape or a.min() != b.min() or a.max() != b.max():
        return False
    if a.shape[1] == 1:
        return bool(np.array_equal(np.sort(a[:, 0]), np.sort(b[:, 0])))
    return bool(np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]))


SAME_NOTE = (
    "P and Q hold exactly the same values, so every divergence is 0 (a sample against a copy of itself is not"
    " two independent samples: the neighbour estimate would give about -1)"
)
ZERO = {"kl_pq": 0.0, "kl_qp": 0.0, "js_divergence": 0.0, "hellinger": 0.0}


# ---------------------------------------------------------------------------
# Neighbour distances


def _kth_merge(left: Callable[[int], np.ndarray], right: Callable[[int], np.ndarray], k: int) -> np.ndarray:
    """The k-th smallest of two sorted candidate lists, min over j of max(L_j, R_{k-j})."""
    dist = right(k)
    for j in range(1, k + 1):
        np.minimum(dist, left(j) if j == k else np.maximum(left(j), right(k - j)), out=dist)
    return dist


def _own_1d(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Orders and distances to the k_i-th neighbour among the others, for sorted s."""
    n = s.size
    pad = np.concatenate((np.full(k, -np.inf), s, np.full(k, np.inf)))  # pad[t + k] = s[t]
    dist = _kth_merge(lambda j: s - pad[k - j : k - j + n], lambda j: pad[k + j : k + j + n] - s, k)
    orders = np.full(n, k, dtype=np.int64)
    tied = np.flatnonzero(dist == 0)
    if tied.size:  # at least k others share the value: the nearest distinct value
        v = s[tied]
        lo, hi = np.searchsorted(s, v, "left"), np.searchsorted(s, v, "right")
        dist[tied] = np.minimum(v - pad[lo - 1 + k], pad[hi + k] - v)
        orders[tied] = hi - lo
    return orders, dist


def _cross_1d(q: np.ndarray, s: np.ndarray, ks: tuple[int, ...]) -> tuple[list[tuple], np.ndarray]:
    """Orders and distances from each q_i to its l_i-th neighbour in sorted s, for
    each base order in ``ks``; and where each q_i falls in s (searchsorted, left)."""
    top = max(ks)
    pad = np.concatenate((np.full(top, -np.inf), s, np.full(top, np.inf)))
    where = np.searchsorted(s, q, "left")
    lo = where + top  # pad[lo] is the first value >= q_i
    out = []
    for k in ks:
        dist = _kth_merge(lambda j: q - pad[lo - j], lambda j: pad[lo + j - 1] - q, k)
        orders = np.full(q.size, k, dtype=np.int64)
        tied = np.flatnonzero(dist == 0)
        if tied.size:
            v = q[tied]
            hi = np.searchsorted(s, v, "right") + top
            dist[tied] = np.minimum(v - pad[lo[tied] - 1], pad[hi] - v)
            orders[tied] = hi - lo[tied] + 1
        out.append((orders, dist))
    return out, where


WALK = 8  # steps counted one by one before a point's count is left to binary search


def _inside_1d(s: np.ndarray, c: np.ndarray, r: np.ndarray, where: np.ndarray) -> np.ndarray:
    """How many of sorted s have |s_j - c_i| < r_i, as floats compute it (what a k-d
    tree decides; a copy of the ball's boundary point is outside). ``where``: any
    index with s[where - 1] <= c_i <= s[where]. Counted by walking out from there
    (few steps: the balls hold few points), the long walks by ``_inside_search``."""
    pad = np.concatenate(([-np.inf], s, [np.inf]))  # pad[t + 1] = s[t]; the ends are never inside
    count = np.zeros(c.size, dtype=np.int64)
    long = []
    for step in (1, -1):
        at = where + (1 if step == 1 else 0)  # pad index of the first value on this side
        inside = np.abs(pad[at] - c) < r  # the first step on whole arrays
        count += inside
        live = np.flatnonzero(inside)
        at[live] += step
        for _ in range(WALK - 1):
            live = live[np.abs(pad[at[live]] - c[live]) < r[live]]
            if not live.size:
                break
            count[live] += 1
            at[live] += step
        else:
            live = live[np.abs(pad[at[live]] - c[live]) < r[live]]  # still inside after WALK steps
        long.append(live)
    rest = np.union1d(*long)
    if rest.size:
        count[rest] = _inside_search(s, c[rest], r[rest])
    return count


def _inside_search(s: np.ndarray, c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``_inside_1d`` by binary search: the bounds c -+ r, rounded, are corrected at
    their edges, a run of equal values at a time."""
    pad = np.concatenate(([-np.inf], s, [np.inf]))
    lo, hi = np.searchsorted(s, c - r, "left"), np.searchsorted(s, c + r, "left")
    while True:
        moves = (
            (lo, c - pad[lo] < r, "left", 0),  # s[lo - 1] is inside: take its run
            (lo, (pad[lo + 1] < c) & (c - pad[lo + 1] >= r), "right", 1),  # s[lo] is not: drop its run
            (hi, pad[hi + 1] - c < r, "right", 1),
            (hi, (pad[hi] >= c) & (pad[hi] - c >= r), "left", 0),
        )
        moved = False
        for edge, wrong, side, shift in moves:
            i = np.flatnonzero(wrong)
            if i.size:
                edge[i] = np.searchsorted(s, pad[edge[i] + shift], side)
                moved = True
        if not moved:
            return hi - lo


def _kth_tree(tree, pts: np.ndarray, k: int, own: bool) -> tuple[np.ndarray, np.ndarray]:
    """Orders and distances to the k_i-th neighbour in ``tree`` (the point itself
    not counted when ``own``); tied points query again at their raised order."""
    extra = int(own)
    dist = tree.query(pts, k=[k + extra], workers=-1)[0][:, 0]
    orders = np.full(len(pts), k, dtype=np.int64)
    tied = np.flatnonzero(dist == 0)
    if tied.size:
        orders[tied] = tree.query_ball_point(pts[tied], r=0.0, return_length=True, workers=-1) - extra + 1
        for order in np.unique(orders[tied]):
            sel = tied[orders[tied] == order]
            dist[sel] = tree.query(pts[sel], k=[int(order) + extra], workers=-1)[0][:, 0]
        if not (np.isfinite(dist[tied]).all() and (dist[tied] > 0).all()):
            raise InputError("points too close together to tell apart: their distances underflow to 0")
    return orders, dist


@dataclass
class _Side:
    """One sample's neighbour statistics against the other sample."""

    size: int
    k_own: np.ndarray  # orders k_i
    log_rho: np.ndarray  # log distance to the k_i-th other point of the same sample (data units)
    k_other: np.ndarray  # orders l_i in the other sample
    log_nu: np.ndarray
    count: np.ndarray  # points counted in the ball used for JS (see module docstring)
    own_ball: bool
    k_hel: np.ndarray  # orders, at least 2, in the other sample for Hellinger
    log_nu_h: np.ndarray
    order: np.ndarray | None = None  # 1-D: the points' positions in the input, in sorted order

    def tied_share(self, k: int) -> float:
        """The share of points whose order was raised, in either sample."""
        return float(((self.k_own > k) | (self.k_other > k) | (self.k_hel > max(k, 2))).mean())


def _side(
    k: int,
    own_stats: tuple,
    cross: tuple,
    count: np.ndarray,
    own: bool,
    hel: tuple | None,
    log_s: float,
    order: np.ndarray | None = None,
) -> _Side:
    (ko, rho), (lo, nu) = own_stats, cross
    log_nu = np.log(nu) + log_s
    lh, log_nu_h = (hel[0], np.log(hel[1]) + log_s) if hel is not None else (lo, log_nu)
    return _Side(len(rho), ko, np.log(rho) + log_s, lo, log_nu, np.asarray(count), own, lh, log_nu_h, order)


def _sides_sorted(
    xs: np.ndarray, ys: np.ndarray, k: int, log_s: float, orders: tuple | None = None
) -> tuple[_Side, _Side]:
    """Both samples' statistics in one dimension, from sorted values (in sorted order)."""
    out = []
    for s, t, order in ((xs, ys, orders and orders[0]), (ys, xs, orders and orders[1])):
        own = s.size - 1 <= t.size  # JS: the own ball when this sample is not the larger one
        ko, rho = _own_1d(s, k)
        cross, where = _cross_1d(s, t, (k, 2) if k == 1 else (k,))
        lo, nu = cross[0]
        count = _inside_1d(t, s, rho, where) if own else _inside_1d(s, s, nu, np.arange(s.size)) - 1
        out.append(_side(k, (ko, rho), (lo, nu), count, own, cross[1] if k == 1 else None, log_s, order))
    return out[0], out[1]


def _sides_tree(a: np.ndarray, b: np.ndarray, k: int, log_s: float) -> tuple[_Side, _Side]:
    """Both samples' statistics in d >= 2 dimensions, by k-d trees."""
    from scipy.spatial import cKDTree

    trees = cKDTree(a), cKDTree(b)
    out = []
    for pts, mine, other in ((a, trees[0], trees[1]), (b, trees[1], trees[0])):
        own = len(pts) - 1 <= other.n
        ko, rho = _kth_tree(mine, pts, k, own=True)
        lo, nu = _kth_tree(other, pts, k, own=False)
        if own:
            count = other.query_ball_point(pts, r=np.nextafter(rho, 0), return_length=True, workers=-1)
        else:
            count = mine.query_ball_point(pts, r=np.nextafter(nu, 0), return_length=True, workers=-1) - 1
        hel = _kth_tree(other, pts, 2, own=False) if k == 1 else None
        out.append(_side(k, (ko, rho), (lo, nu), count, own, hel, log_s))
    return out[0], out[1]


def _sides(a: np.ndarray, b: np.ndarray, k: int, log_s: float, need_order: bool = False) -> tuple[_Side, _Side]:
    """Neighbour statistics of both samples (already scaled to the unit); in one
    dimension in sorted order, with the points' input positions when ``need_order``."""
    if a.shape[1] > 1:
        return _sides_tree(a, b, k, log_s)
    if not need_order:
        return _sides_sorted(np.sort(a[:, 0]), np.sort(b[:, 0]), k, log_s)
    orders = np.argsort(a[:, 0], kind="stable"), np.argsort(b[:, 0], kind="stable")
    return _sides_sorted(a[orders[0], 0], b[orders[1], 0], k, log_s, orders)


# ---------------------------------------------------------------------------
# The estimates


def _log_ball(d: int) -> float:
    """log V_d, the volume of the unit ball in d dimensions."""
    return d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1)


def _psi(orders: np.ndarray, k: int) -> np.ndarray | float:
    from scipy.special import digamma

    return float(digamma(k)) if (orders == k).all() else digamma(orders.astype(np.float64))


def _log1p_ratio(b: np.ndarray, kappa: np.ndarray, c: float) -> np.ndarray:
    """The unbiased estimate of log(1 + c t) from b ~ NegBin(kappa, t/(1 + t)), 0 < c <= 1
    (the series g of the module docstring, summed to 1e-17; terms vanish beyond j = b)."""
    from scipy.special import digamma

    b, kappa = np.asarray(b, dtype=np.int64), np.broadcast_to(kappa, b.shape).astype(np.int64)
    table = digamma(np.arange(1, int((b + kappa).max()) + 1, dtype=np.float64))  # psi(1), psi(2), ...
    out = table[b + kappa - 1] - table[kappa - 1]
    b, kappa = b.astype(np.float64), kappa.astype(np.float64)
    a, top = 1.0 - c, int(b.max())
    if a <= 0 or top == 0:
        return out
    terms = min(top, max(1, math.ceil(math.log(1e-17) / math.log(a))))
    live = np.flatnonzero(b >= 1)
    bl, kl = b[live], kappa[live]
    ratio, acc, power = np.ones(live.size), np.zeros(live.size), 1.0
    for j in range(1, terms + 1):
        done = bl < j
        if done.any():  # the terms of these points have ended: settle them, go on with the rest
            out[live[done]] -= acc[done]
            keep = ~done
            live, bl, kl, ratio, acc = live[keep], bl[keep], kl[keep], ratio[keep], acc[keep]
        power *= a
        ratio *= (bl - j + 1) / (bl + kl - j)
        acc += power / j * ratio
    out[live] -= acc
    return out


def _avg(values: np.ndarray | float, weights: np.ndarray | None) -> float:
    if weights is None or np.ndim(values) == 0:
        return float(np.mean(values))
    return float(np.dot(values, weights) / weights.sum())


def _terms(side: _Side, other: int, d: int, k: int, log_vd: float, w: np.ndarray | None = None) -> dict[str, float]:
    """One sample's KL, entropy, Bhattacharyya mean and E[log(1 + other/own density)],
    as means over its points (weighted by ``w``: a bootstrap resample's counts)."""
    from scipy.special import digamma, gammaln

    own = side.size - 1
    psi_k, psi_l = _psi(side.k_own, k), _psi(side.k_other, k)
    kl = d * _avg(side.log_nu - side.log_rho, w) + _avg(psi_k - psi_l, w) + math.log(other / own)
    entropy = float(digamma(side.size)) - _avg(psi_k, w) + log_vd + d * _avg(side.log_rho, w)
    kh, lh = max(k, 2), side.k_hel
    if (side.k_own == k).all() and (lh == kh).all():
        const: np.ndarray | float = math.lgamma(k) + math.lgamma(kh) - math.lgamma(k + 0.5) - math.lgamma(kh - 0.5)
    else:
        kf, lf = side.k_own.astype(np.float64), lh.astype(np.float64)
        const = gammaln(kf) + gammaln(lf) - gammaln(kf + 0.5) - gammaln(lf - 0.5)
    bc = _avg(np.exp(0.5 * (d * (side.log_rho - side.log_nu_h) + math.log(own / other)) + const), w)
    if side.own_ball:
        log1p = _avg(_log1p_ratio(side.count, side.k_own, own / other), w)
    else:  # the other sample's ball estimates log(1 + own/other); log(own/other) averages to kl
        log1p = _avg(_log1p_ratio(side.count, side.k_other, other / own), w) - kl
    return {"kl": kl, "entropy": entropy, "bc": bc, "log1p": log1p}


def _combine(tp: dict[str, float], tq: dict[str, float]) -> dict[str, float]:
    js = LOG2 - 0.5 * tp["log1p"] - 0.5 * tq["log1p"]
    bc = 0.5 * (tp["bc"] + tq["bc"])
    return {
        "kl_pq": tp["kl"],
        "kl_qp": tq["kl"],
        "js_divergence": min(max(js, 0.0), LOG2),
        "hellinger": math.sqrt(1.0 - min(max(bc, 0.0), 1.0)),
        "entropy_p": tp["entropy"],
        "entropy_q": tq["entropy"],
    }


def _measure(sp: _Side, sq: _Side, d: int, k: int, weights: tuple = (None, None)) -> dict[str, float]:
    log_vd = _log_ball(d)
    return _combine(_terms(sp, sq.size, d, k, log_vd, weights[0]), _terms(sq, sp.size, d, k, log_vd, weights[1]))


def _method_notes(k: int, tied: tuple[float, float], names: tuple[str, str]) -> list[str]:
    notes = [
        f"estimated from k-nearest-neighbour distances (k = {k}; Wang, Kulkarni & Verdú 2009), without binning;"
        " entropies are differential (Kozachenko-Leonenko)",
        "the Jensen-Shannon divergence comes from counts of the other sample inside each point's neighbour ball,"
        " the Hellinger distance from powers of the distance ratios (Póczos & Schneider 2011)",
    ]
    if tied[0] or tied[1]:
        notes.append(
            f"tied values: {tied[0]:.1%} of {names[0]}'s and {tied[1]:.1%} of {names[1]}'s points had a neighbour at"
            " distance 0, so their neighbour order was raised to the first neighbour at a positive distance"
            " (values shared by samples that are not independent pull KL down); for data that are really discrete"
            " use --estimator binned"
        )
    return notes


def knn_divergences(x: object, y: object, k: int = 1) -> KnnEstimate:
    """KL(P||Q), KL(Q||P), JS, Hellinger and both entropies, in nats, from x ~ P
    (shape (n,) or (n, d)) and y ~ Q (m points of the same dimension), by the
    estimators of the module docstring. Errors are ``InputError`` naming the side."""
    k = _check_k(k)
    a, b = _points(x, "P"), _points(y, "Q")
    _check_pair(a, b, ("P", "Q"), k)
    (ua, ub), log_s = _unit(a, b)
    sp, sq = _sides(ua, ub, k, log_s)
    tied = (sp.tied_share(k), sq.tied_share(k))
    metrics, notes = _measure(sp, sq, a.shape[1], k), _method_notes(k, tied, ("P", "Q"))
    if _same_values(a, b):
        metrics |= ZERO
        notes.append(SAME_NOTE)
    return KnnEstimate(
        metrics=metrics,
        k=k,
        n=len(a),
        m=len(b),
        dimension=a.shape[1],
        tied_share_p=tied[0],
        tied_share_q=tied[1],
        notes=notes,
        not_estimated={"total_variation": TV_REASON},
    )


def _model_log_density(log_density: Callable[[np.ndarray], np.ndarray], pts: np.ndarray, shape: tuple) -> np.ndarray:
    values = np.asarray(log_density(pts.reshape(shape)), dtype=np.float64).reshape(len(pts))
    if np.isnan(values).any():
        raise ValueError("the model's log density returned NaN")
    return values


def knn_against_model(
    x: object,
    log_density: Callable[[np.ndarray], np.ndarray],
    model_sample: object,
    model_entropy: float | None,
    k: int = 1,
) -> KnnEstimate:
    """Data x against a parametric model with log density ``log_density`` (on arrays
    shaped like x; -inf outside the support), exact differential entropy
    ``model_entropy`` (None: -mean log q over the sample) and a seeded ``model_sample``:

        KL(data||model) = -H_KL(data) - mean_i log q(x_i)   (+inf when a point is outside the support)
        KL(model||data) = -H(model) - mean_j log d^(z_j),   d^ the kNN density of the data

    JS from the data against the model sample (as for two samples); Hellinger
    from q exact at the data points: sqrt(q (n - 1) V_d rho_i^d) G(k_i) / G(k_i + 1/2)
    is unbiased for sqrt(q/p)(x_i)."""
    from scipy.special import gammaln

    k = _check_k(k)
    a, z = _points(x, "the data"), _points(model_sample, "the model sample")
    _check_pair(a, z, ("the data", "the model sample"), k)
    (ua, uz), log_s = _unit(a, z)
    sd, sm = _sides(ua, uz, k, log_s, need_order=True)
    n, size, d = len(a), len(z), a.shape[1]
    shape = np.shape(x) if np.ndim(x) == 1 else (n, d)
    log_q = _model_log_density(log_density, a, shape)
    if np.isposinf(log_q).any():
        where = float(a[np.isposinf(log_q)][0, 0])
        raise InputError(
            f"the model's density is infinite at {int(np.isposinf(log_q).sum())} data point(s) (at {where:g});"
            " the nearest-neighbour estimate needs it finite there",
            hint="use --estimator binned",
        )
    log_q_model = _model_log_density(log_density, z, (size,) if np.ndim(x) == 1 else (size, d))
    if not np.isfinite(log_q_model).all():
        raise ValueError("the model's log density is not finite at a point of its own sample")
    if sd.order is not None:
        log_q = log_q[sd.order]
    log_vd = _log_ball(d)
    td, tm = _terms(sd, size, d, k, log_vd), _terms(sm, n, d, k, log_vd)
    metrics = _combine(td, tm)
    outside = int(np.isneginf(log_q).sum())
    h_model = -float(np.mean(log_q_model)) if model_entropy is None else float(model_entropy)
    metrics["entropy_q"] = h_model
    metrics["kl_pq"] = math.inf if outside else -td["entropy"] - float(np.mean(log_q))
    log_density_data = _psi(sm.k_other, k) - math.log(n) - log_vd - d * sm.log_nu
    metrics["kl_qp"] = -h_model - float(np.mean(log_density_data))
    const = gammaln(sd.k_own.astype(np.float64)) - gammaln(sd.k_own + 0.5)
    bc = float(np.mean(np.exp(0.5 * (log_q + math.log(n - 1) + log_vd + d * sd.log_rho) + const)))
    metrics["hellinger"] = math.sqrt(1.0 - min(max(bc, 0.0), 1.0))
    tied = (sd.tied_share(k), sm.tied_share(k))
    notes = _method_notes(k, tied, ("the data", "the model sample"))
    notes[1] = (
        f"KL(data‖model) uses the model's exact log density at the data points; KL(model‖data) a seeded sample of"
        f" {size:,} points drawn from the model"
        + ("" if model_entropy is not None else ", whose entropy is the mean of -log q over that sample")
        + "; the Jensen-Shannon divergence comes from counts of the data and the model sample in each other's"
        " neighbour balls, the Hellinger distance from the exact density at the data points"
    )
    if outside:
        notes.append(
            f"{outside:,} data point(s) lie outside the model's support (its density is 0 there),"
            " so KL(data‖model) is infinite"
        )
    return KnnEstimate(
        metrics=metrics,
        k=k,
        n=n,
        m=size,
        dimension=d,
        tied_share_p=tied[0],
        tied_share_q=tied[1],
        outside_support=outside,
        notes=notes,
        not_estimated={"total_variation": TV_REASON},
        model=True,
    )


# ---------------------------------------------------------------------------
# Resampling: one estimate at a time, so memory stays that of one estimate


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
    if permutations < 1:
        raise UsageError(f"--permutations must be at least 1, got {permutations}")
    pool = _Pooled(x, y, k, "a permutation")
    observed = pool.measure(pool.a, pool.b)
    cuts = {key: observed[key] - TIE_TOLERANCE * max(1.0, abs(observed[key])) for key in TEST_METRICS}
    rng = np.random.default_rng(seed)
    if pool.d == 1:  # sorted once: each permutation's sides are the sorted pool under shuffled labels
        both = np.concatenate((pool.a, pool.b))
        order = np.argsort(both, kind="stable")
        values, labels = both[order], order < pool.n
    else:
        values, labels = np.concatenate((pool.a, pool.b)), np.arange(pool.n + pool.m) < pool.n
    hits, totals = dict.fromkeys(TEST_METRICS, 0), dict.fromkeys(TEST_METRICS, 0.0)
    for done in range(1, permutations + 1):
        mine = rng.permutation(labels)
        null = pool.measure(values[mine], values[~mine])
        for key in TEST_METRICS:
            hits[key] += int(null[key] >= cuts[key])
            totals[key] += null[key]
        if progress is not None:
            progress("permutations", done, permutations)
    return KnnPermutationTest(
        permutations,
        {key: (1 + hits[key]) / (permutations + 1) for key in TEST_METRICS},
        {key: totals[key] / permutations for key in TEST_METRICS},
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
    """Percentile intervals (numpy's ``inverted_cdf`` quantiles, exact, in bounded
    memory) of each estimated metric over resamples of each side with replacement."""
    if resamples < 1:
        raise UsageError(f"--bootstrap must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence must be between 0 and 1, got {confidence}")
    pool = _Pooled(x, y, k, "a bootstrap resample")
    rng = np.random.default_rng(None if seed is None else seed + 1)
    start_state = rng.bit_generator.state
    tail = (1 - confidence) / 2
    ranks = (order_index(resamples, tail), order_index(resamples, 1 - tail))
    trackers = {(key, j): OrderStatistic(resamples, ranks[j]) for key in BOOTSTRAP_METRICS for j in (0, 1)}
    found: dict[tuple[str, int], float] = {}
    what = "bootstrap resamples"
    while trackers:
        rng.bit_generator.state = start_state  # a second pass draws the same resamples
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
        missed = {}
        for key, tracker in trackers.items():
            value = tracker.value()
            if value is None:
                missed[key] = tracker.replay()
            else:
                found[key] = value
        trackers = missed
        what = "bootstrap resamples, drawn again for an exact percentile"
    return KnnIntervals(
        resamples,
        confidence,
        {key: (found[(key, 0)], found[(key, 1)]) for key in BOOTSTRAP_METRICS},
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
