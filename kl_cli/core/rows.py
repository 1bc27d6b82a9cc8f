"""Divergences of many pairs at once, one pair per row (pure numpy, no I/O).

Rows are log-weights: any normalization (logits / T, the logarithms of
probabilities or of counts); -inf is a probability of 0. Every figure is
accumulated in float64 and written so that nearly identical rows give small
numbers, not differences of large ones. With a and b the rows of P and Q,
p = softmax(a), d = b - a, c = sum p d and d' = d - c:

    s = sum p expm1(d')                      (= sum q/p - 1 after the shift)
    v = log q - log p = d' - log1p(s)
    KL(P||Q) = sum p expm1mx(d') + log1pmx(s)      expm1mx(x) = e^x - 1 - x
    KL(Q||P) = sum q expm1mx(-v)                    log1pmx(x) = log(1+x) - x
    TV = 1/2 sum p |expm1(v)|,   H^2 = 1/2 sum p expm1(v/2)^2
    JS = sum (p+q)/4 [(1+x) log(1+x) + (1-x) log(1-x)],  x = tanh(-v/2)

every term of which is non-negative. Categories where one side is 0 and the
other is not are taken apart exactly (an infinite KL, with the number of such
categories as its cause; their JS, TV and Hellinger terms are exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..vocabulary import BATCH_METRICS

# Below these magnitudes the Taylor series is used: expm1(x) - x and
# log1p(x) - x lose about 2 eps / |x| relative there.
_SMALL = 1e-3
_JS_SMALL = 1e-2
# Rows whose s (a chi-square divergence) is above this are far apart: KL(P||Q) is
# then taken as a sum of non-negative terms rather than two large parts.
_FAR = 0.1
LN2 = math.log(2.0)

ROW_METRICS = BATCH_METRICS
# Metrics whose sum over a sequence's positions means something (a sequence's KL).
ADDITIVE = ("kl_pq", "kl_qp", "js_divergence", "entropy_p", "entropy_q")


def expm1mx(x: np.ndarray) -> np.ndarray:
    """e^x - 1 - x element-wise, without cancellation near 0 (never negative; inf past the float range)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        out = np.expm1(x)
    out -= x
    small = np.abs(x) < _SMALL
    if small.any():
        xs = x[small]
        # x^2/2 + x^3/6 + x^4/24 + x^5/120 (the next term is below 1e-16 relative)
        out[small] = xs * xs * (0.5 + xs * (1 / 6 + xs * (1 / 24 + xs * (1 / 120))))
    return out


def log1pmx(x: np.ndarray) -> np.ndarray:
    """log(1 + x) - x element-wise for x > -1, without cancellation near 0 (never positive)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.log1p(x) - x
    small = np.abs(x) < _SMALL
    if small.any():
        xs = x[small]
        out[small] = -xs * xs * (0.5 - xs * (1 / 3 - xs * (0.25 - xs * (0.2 - xs / 6))))
    return out


def _js_kernel(x: np.ndarray) -> np.ndarray:
    """(1+x) log(1+x) + (1-x) log(1-x) for |x| < 1 (= sum x^(2k) / (k (2k-1)), never negative)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (1 + x) * np.log1p(x) + (1 - x) * np.log1p(-x)
    out[np.abs(x) >= 1] = 2 * LN2  # one side 0: the limit
    small = np.abs(x) < _JS_SMALL
    if small.any():
        x2 = x[small] ** 2
        out[small] = x2 * (1 + x2 * (1 / 6 + x2 * (1 / 15 + x2 * (1 / 28 + x2 / 45))))
    return out


@dataclass(frozen=True)
class RowFigures:
    """The figures of a block of rows, in nats; ``zero_in_q``/``zero_in_p``:
    per row, the categories where P > 0 = Q (KL(P||Q) infinite) and the reverse."""

    metrics: dict[str, np.ndarray]
    zero_in_q: np.ndarray
    zero_in_p: np.ndarray


def _normalized(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, log of the normalizer) of rows of log-weights, through the row maximum (finite: checked)."""
    p, m, log_total = _shifted(a)
    return p, m + log_total


def _shifted(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, m, log sum e^(a - m)) with m the row maximum: log p = (a - m) - log_total,
    without the rounding of a large m added and taken away again."""
    m = a.max(axis=1, keepdims=True)
    p = a - m
    np.exp(p, out=p)
    total = p.sum(axis=1, keepdims=True)
    p /= total
    return p, m, np.log(total)


def row_figures(a: np.ndarray, b: np.ndarray, wanted: frozenset[str] | set[str]) -> RowFigures:
    """The ``wanted`` metrics (ids of ``ROW_METRICS``) of each row pair, in nats
    (``js_distance`` is sqrt of the JS divergence in nats). ``a``, ``b``: float64
    log-weights (rows x categories), no NaN, no +inf, at least one finite value a row."""
    n = a.shape[0]
    p, m, log_total = _shifted(a)
    lse = (m, log_total)
    with np.errstate(invalid="ignore"):
        d = b - a
        c = np.einsum("ij,ij->i", p, d)
    out: dict[str, np.ndarray] = {m: np.empty(n) for m in wanted}
    zq = np.zeros(n, dtype=np.int64)
    zp = np.zeros(n, dtype=np.int64)
    plain = np.isfinite(c)  # rows where both sides are finite everywhere
    rows = np.flatnonzero(plain)
    if rows.size == n:
        plain &= _plain(p, d, c, (a, lse), wanted, out, slice(None))
    elif rows.size:
        plain[rows] = _plain(p[rows], d[rows], c[rows], (a[rows], (m[rows], log_total[rows])), wanted, out, rows)
    rest = np.flatnonzero(~plain)
    if rest.size:
        zq[rest], zp[rest] = _general(a[rest], b[rest], wanted, out, rest)
    if "js_distance" in wanted:
        js = out["js_divergence"] if "js_divergence" in wanted else out["js_distance"]
        out["js_distance"] = np.sqrt(np.maximum(js, 0.0))
    return RowFigures(out, zq, zp)


def _plain(
    p: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    a_lse: tuple[np.ndarray, tuple[np.ndarray, np.ndarray]],
    wanted: frozenset[str] | set[str],
    out: dict,
    at: object,
) -> np.ndarray:
    """Rows with every value finite on both sides; returns the rows done (the
    others, whose ratios overflow, are left to ``_general``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        d -= c[:, None]  # d' (beyond the float range for logits far apart: such rows are not done here)
        r = np.expm1(d)
        s = np.einsum("ij,ij->i", p, r)
    done = np.isfinite(s)
    if not done.all():  # a probability below the float range facing a large one: no shortcut
        r[~done] = 0.0
        s[~done] = 0.0
        d[~done] = 0.0
    if "kl_pq" in wanted:
        r -= d
        small = np.abs(d) < _SMALL
        if small.any():
            r[small] = expm1mx(d[small])
        kl = np.einsum("ij,ij->i", p, r) + log1pmx(s)
        far = np.flatnonzero((s > _FAR) & done)
        if far.size:  # the two parts above are large and cancel: sum p expm1mx(v), every term >= 0
            v = d[far] - np.log1p(s[far])[:, None]
            kl[far] = np.einsum("ij,ij->i", p[far], expm1mx(v))
        out["kl_pq"][at] = np.maximum(kl, 0.0)
    others = wanted - {"kl_pq"}
    if others:
        v = d
        v -= np.log1p(s)[:, None]
        a, lse = a_lse
        if done.all():
            _from_ratio(p, v, (a, lse), others, out, at)
        else:
            keep = np.flatnonzero(done)
            where = keep if isinstance(at, slice) else np.asarray(at)[keep]
            _from_ratio(p[keep], v[keep], (a[keep], (lse[0][keep], lse[1][keep])), others, out, where)
    return done


def _from_ratio(
    p: np.ndarray,
    v: np.ndarray,
    a_lse: tuple[np.ndarray, np.ndarray],
    wanted: frozenset[str] | set[str],
    out: dict,
    at: object,
) -> None:
    """KL(Q||P), JS, TV, Hellinger and the entropies from p and v = log q - log p
    (finite everywhere, e^v finite). Every figure comes from E = expm1(v):
    e^(v/2) - 1 = E / (1 + sqrt(1 + E)) and tanh(-v/2) = -E / (2 + E), exactly."""
    e = np.expm1(v)
    with np.errstate(under="ignore"):
        q = p * np.exp(v)
    if "kl_qp" in wanted:
        out["kl_qp"][at] = np.einsum("ij,ij->i", q, expm1mx(-v))
    if "total_variation" in wanted:
        out["total_variation"][at] = np.minimum(0.5 * np.einsum("ij,ij->i", p, np.abs(e)), 1.0)
    if "hellinger" in wanted:
        h = e / (1 + np.sqrt(1 + e))
        h *= h
        out["hellinger"][at] = np.sqrt(np.minimum(0.5 * np.einsum("ij,ij->i", p, h), 1.0))
    if "js_divergence" in wanted or "js_distance" in wanted:
        x = -e / (2 + e)
        out["js_divergence" if "js_divergence" in wanted else "js_distance"][at] = np.minimum(
            0.25 * np.einsum("ij,ij->i", p + q, _js_kernel(x)), LN2
        )
    if "entropy_p" in wanted or "entropy_q" in wanted:
        a, (m, log_total) = a_lse
        logp = a - m
        logp -= log_total
        if "entropy_p" in wanted:
            out["entropy_p"][at] = np.maximum(-np.einsum("ij,ij->i", p, logp), 0.0)
        if "entropy_q" in wanted:
            logp += v
            out["entropy_q"][at] = np.maximum(-np.einsum("ij,ij->i", q, logp), 0.0)


def _entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = p * np.log(p)
    return np.maximum(-np.nansum(t, axis=1), 0.0)


def _general(
    a: np.ndarray, b: np.ndarray, wanted: frozenset[str] | set[str], out: dict, at: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows where a side gives probability 0 (log-weight -inf) to some category,
    or where one side's probability is below the float range and the other's is not.
    Each term is taken where its own side is positive, else by its limit."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    only_p, only_q = fa & ~fb, ~fa & fb  # P > 0 = Q; Q > 0 = P
    p, la = _normalized(a)
    q, lb = _normalized(b)
    p_lost = np.where(only_p, p, 0.0).sum(axis=1)
    q_lost = np.where(only_q, q, 0.0).sum(axis=1)
    shared = ~(only_p.any(axis=1) | only_q.any(axis=1))  # zeros at the same places only
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.where(both, b - a, 0.0)
        pb = np.where(both, p, 0.0)
        qb = np.where(both, q, 0.0)
        c = np.einsum("ij,ij->i", pb, d)
        d -= c[:, None]
        s = np.einsum("ij,ij->i", pb, np.expm1(d))
        direct = np.where(both, (b - lb) - (a - la), 0.0)
    close = shared & np.isfinite(s)  # the accurate log-ratio, as in the plain rows
    with np.errstate(invalid="ignore"):
        v = np.where(close[:, None], np.where(both, d - np.log1p(np.where(close, s, 0.0))[:, None], 0.0), direct)
    pos_p, pos_q = pb > 0, qb > 0
    with np.errstate(over="ignore", invalid="ignore"):
        if "kl_pq" in wanted:
            kl = np.where(pos_p, pb * expm1mx(v), qb).sum(axis=1) + q_lost
            out["kl_pq"][at] = np.where(only_p.any(axis=1), np.inf, kl)
        if "kl_qp" in wanted:
            kl = np.where(pos_q, qb * expm1mx(-v), pb).sum(axis=1) + p_lost
            out["kl_qp"][at] = np.where(only_q.any(axis=1), np.inf, kl)
        lost = p_lost + q_lost
        if "total_variation" in wanted:
            tv = np.where(pos_p, pb * np.abs(np.expm1(v)), qb).sum(axis=1)
            out["total_variation"][at] = np.minimum(0.5 * (tv + lost), 1.0)
        if "hellinger" in wanted:
            h = np.where(pos_p, pb * np.expm1(v / 2) ** 2, qb).sum(axis=1)
            out["hellinger"][at] = np.sqrt(np.minimum(0.5 * (h + lost), 1.0))
        if "js_divergence" in wanted or "js_distance" in wanted:
            x = np.where(pos_p & pos_q, np.tanh(-v / 2), np.where(pos_p, 1.0, -1.0))
            js = 0.25 * np.einsum("ij,ij->i", pb + qb, _js_kernel(x)) + 0.5 * LN2 * lost
            out["js_divergence" if "js_divergence" in wanted else "js_distance"][at] = np.minimum(js, LN2)
    if "entropy_p" in wanted:
        out["entropy_p"][at] = _entropy(p)
    if "entropy_q" in wanted:
        out["entropy_q"][at] = _entropy(q)
    return only_p.sum(axis=1), only_q.sum(axis=1)


def row_terms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The terms p_i log(p_i / q_i) of KL(P||Q) of each row (inf where P > 0 = Q; 0 where P = 0)."""
    p, la = _normalized(a)
    _, lb = _normalized(b)
    with np.errstate(invalid="ignore"):
        t = p * ((a - la) - (b - lb))
    return np.where(p > 0, t, 0.0)


def row_name(i: int, shape: tuple[int, ...]) -> str:
    """'row 12', or 'sequence 0, position 12' for rows of a 3-D batch."""
    if len(shape) == 2:
        return f"sequence {i // shape[1]}, position {i % shape[1]}"
    return f"row {i}"
