"""Neighbour statistics behind ``kl_cli.core.knn`` (its module docstring defines the
estimators and the tie rule): input checks, the neighbour orders and distances (1-D by
sorting, d >= 2 by k-d trees) and the per-sample terms of every estimate."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UsageError

LOG2 = math.log(2.0)

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


def _tie_orders(
    s: np.ndarray, c: np.ndarray, r: np.ndarray, where: np.ndarray, suspect: np.ndarray, k: int, itself: int
) -> tuple[np.ndarray, np.ndarray]:
    """The mean valid order at each point's neighbour distance r (module docstring,
    "Ties"): k where the k-th neighbour is alone at r, else inside + (on + 1) / 2,
    counted in sorted s (``itself``: 1 when c_i is one of s, not counted); and
    which points were tied."""
    orders = np.full(c.size, float(k))
    i = np.flatnonzero(suspect)
    if i.size:
        inside, on = _ball_1d(s, c[i], r[i], where[i])
        orders[i] = inside - itself + (on + 1) / 2
    return orders, suspect


TIE_EPS = 2.0**-44  # distances this close (relative to the values' size) are one distance


def _shell(c: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The boundary shell of each ball, [r - tol, r + tol] with tol = TIE_EPS (|c|_max + r):
    decimal data (0.1, 0.2, ...) are not exact in binary, so grid distances differ by
    rounding errors of the values' size; points in the shell are on the boundary."""
    size = np.abs(c) if c.ndim == 1 else np.abs(c).max(axis=1)
    tol = TIE_EPS * (size + r)
    return r - tol, r + tol


def _ball_1d(s: np.ndarray, c: np.ndarray, r: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many of sorted s are strictly inside each ball and how many on its
    boundary (below the shell of ``_shell``, in it; as floats compute distances)."""
    low, high = _shell(c, r)
    inside = _inside_1d(s, c, low, where)
    return inside, _inside_1d(s, c, np.nextafter(high, np.inf), where) - inside


def _near(a: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Whether distances a fall in the boundary shell of the balls (c, r)."""
    low, high = _shell(c, r)
    return (a >= low) & (a <= high)


def _own_1d(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orders, distances to the k-th neighbour among the others (the nearest positive
    distance when that is 0) and tied points, for sorted s."""
    n, top = s.size, k + 1
    pad = np.concatenate((np.full(top, -np.inf), s, np.full(top, np.inf)))  # pad[t + top] = s[t]

    def left(j: int) -> np.ndarray:
        return s - pad[top - j : top - j + n]

    def right(j: int) -> np.ndarray:
        return pad[top + j : top + j + n] - s

    dist = _kth_merge(left, right, k)
    suspect = dist == 0
    for j in (k - 1, k + 1):  # another neighbour at the same distance
        if j >= 1:
            suspect |= _near(_kth_merge(left, right, j), dist, s)
    zero = np.flatnonzero(dist == 0)
    if zero.size:  # at least k others share the value: the nearest distinct value
        v = s[zero]
        lo, hi = np.searchsorted(s, v, "left"), np.searchsorted(s, v, "right")
        dist[zero] = np.minimum(v - pad[lo - 1 + top], pad[hi + top] - v)
    orders, tied = _tie_orders(s, s, dist, np.arange(n), suspect, k, 1)
    return orders, dist, tied


def _cross_1d(q: np.ndarray, s: np.ndarray, ks: tuple[int, ...]) -> tuple[list[tuple], np.ndarray]:
    """Orders, distances from each q_i to its l_i-th neighbour in sorted s and tied
    points, for each base order in ``ks``; and where each q_i falls in s (searchsorted, left)."""
    top = max(ks) + 1
    pad = np.concatenate((np.full(top, -np.inf), s, np.full(top, np.inf)))
    where = np.searchsorted(s, q, "left")
    lo = where + top  # pad[lo] is the first value >= q_i

    def left(j: int) -> np.ndarray:
        return q - pad[lo - j]

    def right(j: int) -> np.ndarray:
        return pad[lo + j - 1] - q

    out = []
    for k in ks:
        dist = _kth_merge(left, right, k)
        suspect = dist == 0
        for j in (k - 1, k + 1):
            if j >= 1:
                suspect |= _near(_kth_merge(left, right, j), dist, q)
        zero = np.flatnonzero(dist == 0)
        if zero.size:
            v = q[zero]
            hi = np.searchsorted(s, v, "right") + top
            dist[zero] = np.minimum(v - pad[lo[zero] - 1], pad[hi] - v)
        orders, tied = _tie_orders(s, q, dist, where, suspect, k, 0)
        out.append((orders, dist, tied))
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


def _kth_tree(tree, pts: np.ndarray, k: int, own: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orders, distances to the k-th neighbour in ``tree`` (the point itself not
    counted when ``own``; the nearest positive distance when that is 0) and tied
    points; the orders by the tie rule, from ball counts (module docstring)."""
    extra = int(own)
    ks = [j for j in (k, k - 1, k + 1) if j >= 1]
    found = tree.query(pts, k=[j + extra for j in ks], workers=-1)[0]
    dist = found[:, 0].copy()
    suspect = dist == 0
    for column in range(1, found.shape[1]):
        suspect |= _near(found[:, column], dist, pts)
    orders = np.full(len(pts), float(k))
    zero = np.flatnonzero(dist == 0)
    if zero.size:  # the nearest positive distance: one past the copies
        first = tree.query_ball_point(pts[zero], r=0.0, return_length=True, workers=-1) + 1
        for order in np.unique(first):
            sel = zero[first == order]
            dist[sel] = tree.query(pts[sel], k=[int(order)], workers=-1)[0][:, 0]
        if not (np.isfinite(dist[zero]).all() and (dist[zero] > 0).all()):
            raise InputError("points too close together to tell apart: their distances underflow to 0")
    i = np.flatnonzero(suspect)
    if i.size:
        inside, on = _ball_tree(tree, pts[i], dist[i])
        orders[i] = inside - extra + (np.maximum(on, 1) + 1) / 2  # on >= 1 unless rounding disagrees
    return orders, dist, suspect


def _ball_tree(tree, pts: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_ball_1d`` in a k-d tree: points strictly inside radius r, and on it."""
    low, high = _shell(pts, r)
    inside = tree.query_ball_point(pts, r=np.nextafter(low, 0), return_length=True, workers=-1)
    on = tree.query_ball_point(pts, r=high, return_length=True, workers=-1) - inside
    return inside, on


@dataclass
class _Side:
    """One sample's neighbour statistics against the other sample."""

    size: int
    k_own: np.ndarray  # orders k_i (the mean valid order: whole or half numbers)
    log_rho: np.ndarray  # log distance to the k_i-th other point of the same sample (data units)
    k_other: np.ndarray  # orders l_i in the other sample
    log_nu: np.ndarray
    count: np.ndarray  # points counted strictly inside the ball used for JS (see module docstring)
    count_on: np.ndarray  # and on its boundary
    own_ball: bool
    k_hel: np.ndarray  # orders, at least 2, in the other sample for Hellinger
    log_nu_h: np.ndarray
    tied: np.ndarray  # points with another neighbour at one of their distances
    order: np.ndarray | None = None  # 1-D: the points' positions in the input, in sorted order

    def tied_share(self, k: int) -> float:
        """The share of points with a tie at one of their neighbour distances."""
        return float(self.tied.mean())


def _side(
    own_stats: tuple,
    cross: tuple,
    counts: tuple,
    own: bool,
    hel: tuple | None,
    log_s: float,
    order: np.ndarray | None = None,
) -> _Side:
    (ko, rho, t1), (lo, nu, t2) = own_stats, cross
    log_nu = np.log(nu) + log_s
    lh, log_nu_h, t3 = (hel[0], np.log(hel[1]) + log_s, hel[2]) if hel is not None else (lo, log_nu, t2)
    count, on = (np.asarray(v) for v in counts)
    return _Side(len(rho), ko, np.log(rho) + log_s, lo, log_nu, count, on, own, lh, log_nu_h, t1 | t2 | t3, order)


def _sides_sorted(
    xs: np.ndarray, ys: np.ndarray, k: int, log_s: float, orders: tuple | None = None
) -> tuple[_Side, _Side]:
    """Both samples' statistics in one dimension, from sorted values (in sorted order)."""
    out = []
    for s, t, order in ((xs, ys, orders and orders[0]), (ys, xs, orders and orders[1])):
        own = s.size - 1 <= t.size  # JS: the own ball when this sample is not the larger one
        mine = _own_1d(s, k)
        cross, where = _cross_1d(s, t, (k, 2) if k == 1 else (k,))
        if own:
            counts = _ball_1d(t, s, mine[1], where)
        else:
            inside, on = _ball_1d(s, s, cross[0][1], np.arange(s.size))
            counts = inside - 1, on
        out.append(_side(mine, cross[0], counts, own, cross[1] if k == 1 else None, log_s, order))
    return out[0], out[1]


def _sides_tree(a: np.ndarray, b: np.ndarray, k: int, log_s: float) -> tuple[_Side, _Side]:
    """Both samples' statistics in d >= 2 dimensions, by k-d trees."""
    from scipy.spatial import cKDTree

    trees = cKDTree(a), cKDTree(b)
    out = []
    for pts, mine, other in ((a, trees[0], trees[1]), (b, trees[1], trees[0])):
        own = len(pts) - 1 <= other.n
        stats = _kth_tree(mine, pts, k, own=True)
        cross = _kth_tree(other, pts, k, own=False)
        if own:
            counts = _ball_tree(other, pts, stats[1])
        else:
            inside, on = _ball_tree(mine, pts, cross[1])
            counts = inside - 1, on
        hel = _kth_tree(other, pts, 2, own=False) if k == 1 else None
        out.append(_side(stats, cross, counts, own, hel, log_s))
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
    (the series g of the module docstring, summed to 1e-17; terms vanish beyond j = b).
    b whole, kappa a whole or half number (the tie rule's mean order)."""
    from scipy.special import digamma

    b = np.asarray(b, dtype=np.int64)
    twice = np.rint(2 * np.broadcast_to(kappa, b.shape)).astype(np.int64)  # 2 kappa, exact
    table = digamma(np.arange(1, int((2 * b + twice).max()) + 1, dtype=np.float64) / 2)  # psi(1/2), psi(1), ...
    out = table[2 * b + twice - 1] - table[twice - 1]
    b, kappa = b.astype(np.float64), twice / 2.0
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


def _log1p_tied(inside: np.ndarray, on: np.ndarray, kappa: np.ndarray, c: float) -> np.ndarray:
    """g at the mean count inside + on / 2 (the tie rule: half of the boundary's
    points come before the ball's own point); g is defined at whole counts only, so
    a half count takes the mean of g at the two whole counts around it."""
    inside, on = np.asarray(inside, dtype=np.int64), np.asarray(on, dtype=np.int64)
    kappa = np.broadcast_to(kappa, inside.shape)
    out = _log1p_ratio(inside + on // 2, kappa, c)
    odd = np.flatnonzero(on % 2)
    if odd.size:
        out[odd] = 0.5 * (out[odd] + _log1p_ratio(inside[odd] + on[odd] // 2 + 1, kappa[odd], c))
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
        log1p = _avg(_log1p_tied(side.count, side.count_on, side.k_own, own / other), w)
    else:  # the other sample's ball estimates log(1 + own/other); log(own/other) averages to kl
        log1p = _avg(_log1p_tied(side.count, side.count_on, side.k_other, other / own), w) - kl
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
