"""Divergences between two probability vectors. Pure numpy: no I/O, no printing.

Conventions (as in information theory texts, e.g. Cover & Thomas):
0 log 0 = 0, 0 log(0/q) = 0, and p log(p/0) = +inf for p > 0. Every
quantity that is mathematically non-negative is clamped at 0 so that rounding
never yields -1e-17, and no function here returns NaN for valid input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..vocabulary import BASES
from .probability import LN2, TINY, Probabilities, as_probabilities


@dataclass(frozen=True)
class Measures:
    """All metrics (in the chosen base) and the per-category KL terms."""

    metrics: dict[str, float]
    terms_pq: np.ndarray
    terms_qp: np.ndarray
    base: str


def measure(p: np.ndarray | Probabilities, q: np.ndarray | Probabilities, base: str = "e") -> Measures:
    """Compute every metric of P and Q (probability vectors on one support;
    ``Probabilities`` also carry exact logarithms where a float underflows).

    With logs in the chosen base b:

    - ``kl_pq``  = KL(P||Q) = sum_i p_i log(p_i / q_i)
    - ``kl_qp``  = KL(Q||P) = sum_i q_i log(q_i / p_i)
    - ``js_divergence`` = (KL(P||M) + KL(Q||M)) / 2 with M = (P + Q) / 2;
      at most log_b 2
    - ``js_distance`` = sqrt(js_divergence), a metric (what
      ``scipy.spatial.distance.jensenshannon`` returns)
    - ``jeffreys`` = kl_pq + kl_qp = sum_i (p_i - q_i) log(p_i / q_i), the
      population stability index when b = e
    - ``cross_entropy_pq`` = H(P, Q) = -sum_i p_i log q_i, and ``_qp``
    - ``entropy_p`` = H(P) = -sum_i p_i log p_i, and ``entropy_q``
    - ``total_variation`` = sum_i |p_i - q_i| / 2, in [0, 1], base-free
    - ``hellinger`` = sqrt(sum_i (sqrt p_i - sqrt q_i)^2 / 2), in [0, 1],
      base-free

    Per category, ``terms_pq[i] = p_i log(p_i/q_i)`` and
    ``terms_qp[i] = q_i log(q_i/p_i)`` (their sums are the two KLs).

    >>> m = measure(np.array([0.7, 0.3]), np.array([0.4, 0.6]))
    >>> round(m.metrics["kl_pq"], 6), round(m.metrics["kl_qp"], 6)
    (0.183787, 0.192042)
    """
    arrays, terms_pq, terms_qp = _compute(as_probabilities(p), as_probabilities(q), base)
    metrics = {k: float(v) for k, v in arrays.items()}
    return Measures(metrics, terms_pq, terms_qp, base)


def measure_many(
    p: np.ndarray | Probabilities, q: np.ndarray | Probabilities, base: str = "e"
) -> dict[str, np.ndarray]:
    """Every metric for many pairs at once: rows of 2-D ``p`` and ``q`` are
    probability vectors (resamples); returns one array of values per metric.
    The formulas are exactly those of ``measure``."""
    return _compute(as_probabilities(p), as_probabilities(q), base)[0]


# Long vectors are processed in blocks of this many categories, so that the
# temporaries stay in the CPU cache and are reused instead of allocated.
BLOCK = 1 << 14

_SUMS = ("kl_pq", "kl_qp", "js_p", "js_q", "plogp", "qlogq", "abs_diff", "sq_diff")


def _logs(p: np.ndarray, side: Probabilities, offset: int) -> tuple[np.ndarray, bool]:
    """log p for one block starting at ``offset`` (1-D) or for all rows (2-D):
    ``np.log`` of the floats, and the exact logarithms where a float is below
    the normal range. Also says whether a positive probability underflowed to
    0 there (its terms then need care: 0 * inf)."""
    logp = np.log(p)  # -inf where p == 0; every use below clears the true zeros
    if side.log_at is None or not p.min() < TINY:
        return logp, False
    tiny = np.nonzero(p < TINY)
    logp[tiny] = side.log_at(tiny if not offset else (tiny[0] + offset,))
    return logp, bool(((p[tiny] == 0) & (logp[tiny] > -np.inf)).any())


def _block(
    p: np.ndarray,
    q: np.ndarray,
    terms_pq: np.ndarray,
    terms_qp: np.ndarray,
    sides: tuple[Probabilities, Probabilities],
    offset: int = 0,
) -> dict[str, np.ndarray]:
    """One block: write the KL terms into ``terms_pq``/``terms_qp`` and return
    the block's partial sums (along the last axis)."""
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logp, lost_p = _logs(p, sides[0], offset)
        logq, lost_q = _logs(q, sides[1], offset)
        # A true 0 is the only -inf; a probability below the float range
        # (0 as a float) still has its finite logarithm.
        pos_p = logp > -np.inf
        pos_q = logq > -np.inf
        zero_p = None if pos_p.all() else ~pos_p
        zero_q = None if pos_q.all() else ~pos_q

        def clear(buf: np.ndarray, where: np.ndarray | None) -> np.ndarray:
            """0 log 0 = 0: zero the entries of a side with probability 0."""
            if where is not None:
                np.copyto(buf, 0.0, where=where)
            return buf

        def infinite(buf: np.ndarray, lost: bool) -> np.ndarray:
            """p log(p/0) = inf also where p is positive but 0 as a float (0 * inf)."""
            if lost:
                np.copyto(buf, np.inf, where=np.isnan(buf))
            return buf

        # m = (p + q) / 2 is exact when p == q, so identical inputs give JS = 0
        # exactly; below the normal range (where it loses bits or underflows,
        # scipy issue 19436) log m = log(e^log p + e^log q) - log 2 instead.
        logm = np.add(p, q)
        logm *= 0.5
        under = (logm < TINY) & (pos_p | pos_q) if logm.min() < TINY else None
        np.log(logm, out=logm)
        if under is not None and under.any():
            lp, lq = logp[under], logq[under]
            logm[under] = np.where(lp == lq, lp, np.logaddexp(lp, lq) - LN2)
        # p log(p/q) and q log(q/p); (logq - logp), not -(logp - logq), so that
        # equal p and q give +0, never -0.
        np.subtract(logp, logq, out=terms_pq)
        out["kl_pq"] = infinite(clear(np.multiply(terms_pq, p, out=terms_pq), zero_p), lost_p).sum(axis=-1)
        np.subtract(logq, logp, out=terms_qp)
        out["kl_qp"] = infinite(clear(np.multiply(terms_qp, q, out=terms_qp), zero_q), lost_q).sum(axis=-1)
        buf = np.subtract(logp, logm)
        out["js_p"] = clear(np.multiply(buf, p, out=buf), zero_p).sum(axis=-1)
        np.subtract(logq, logm, out=buf)
        out["js_q"] = clear(np.multiply(buf, q, out=buf), zero_q).sum(axis=-1)
        out["plogp"] = clear(np.multiply(p, logp, out=buf), zero_p).sum(axis=-1)
        out["qlogq"] = clear(np.multiply(q, logq, out=buf), zero_q).sum(axis=-1)
    np.subtract(p, q, out=buf)
    out["abs_diff"] = np.abs(buf, out=buf).sum(axis=-1)
    np.sqrt(p, out=buf)
    buf -= np.sqrt(q, out=logm)
    out["sq_diff"] = np.square(buf, out=buf).sum(axis=-1)
    return out


def _compute(
    p_side: Probabilities, q_side: Probabilities, base: str
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The metrics (summing along the last axis) and the per-category KL terms.

    Written for speed on millions of categories: three logs and a handful of
    in-place passes per cache-sized block; the rare cases (zeros, subnormals,
    probabilities below the float range) are patched where they occur instead
    of branching everywhere.
    """
    if base not in BASES:
        raise ValueError(f"base must be one of {', '.join(BASES)}, got {base!r}")
    p, q = p_side.values, q_side.values
    sides = (p_side, q_side)
    terms_pq = np.empty_like(p)
    terms_qp = np.empty_like(q)
    k = p.shape[-1]
    if p.ndim == 1 and k > BLOCK:
        sums = dict.fromkeys(_SUMS, 0.0)
        for start in range(0, k, BLOCK):
            part = slice(start, start + BLOCK)
            for key, value in _block(p[part], q[part], terms_pq[part], terms_qp[part], sides, start).items():
                sums[key] += value
        sums = {key: np.asarray(value) for key, value in sums.items()}
    else:
        sums = _block(p, q, terms_pq, terms_qp, sides)
    kl_pq = _nonneg(sums["kl_pq"])
    kl_qp = _nonneg(sums["kl_qp"])
    h_p, h_q = _nonneg(-sums["plogp"]), _nonneg(-sums["qlogq"])
    js = np.minimum(_nonneg(0.5 * (sums["js_p"] + sums["js_q"])), LN2)
    tv = np.minimum(_nonneg(0.5 * sums["abs_diff"]), 1.0)
    squares = sums["sq_diff"]
    hel = np.sqrt(0.5 * squares)
    # Squares of differences this small lose precision as subnormals (or
    # vanish): those rows are summed again from logarithms.
    lost = np.asarray(squares < 1e-280)
    if lost.any() and ((p != q).any() or _below_floats(p_side) or _below_floats(q_side)):
        hel = np.where(lost, _small_hellinger(p_side, q_side), hel)
    hel = np.minimum(hel, 1.0)
    scale = math.log(BASES[base])
    js_b = js / scale
    metrics = {
        "kl_pq": kl_pq / scale,
        "kl_qp": kl_qp / scale,
        "js_divergence": js_b,
        "js_distance": np.sqrt(js_b),
        "jeffreys": (kl_pq + kl_qp) / scale,
        # H(P, Q) = H(P) + KL(P||Q): a sum of non-negatives, infinite with the KL.
        "cross_entropy_pq": (h_p + kl_pq) / scale,
        "cross_entropy_qp": (h_q + kl_qp) / scale,
        "entropy_p": h_p / scale,
        "entropy_q": h_q / scale,
        "total_variation": tv,
        "hellinger": hel,
    }
    if scale != 1.0:
        terms_pq /= scale
        terms_qp /= scale
    return metrics, terms_pq, terms_qp


def _below_floats(side: Probabilities) -> bool:
    """Whether some probability may be positive but below the normal range."""
    return side.log_at is not None and bool(side.values.min() < TINY)


def _small_hellinger(p_side: Probabilities, q_side: Probabilities) -> np.ndarray:
    """sqrt(sum_i (sqrt p_i - sqrt q_i)^2 / 2) along the last axis, summed in
    logarithms, for differences too small to square as floats. Where p_i or
    q_i is below the normal range, log|sqrt p_i - sqrt q_i| comes from the
    exact logarithms: max(a, b) + log(1 - e^-|a - b|), a = log(p_i) / 2."""
    p, q = p_side.values, q_side.values
    with np.errstate(divide="ignore", invalid="ignore"):
        log_d = np.log(np.abs(np.sqrt(p) - np.sqrt(q)))
        tiny = np.nonzero((p < TINY) | (q < TINY))
        if tiny[0].size:
            a = 0.5 * p_side.logs(tiny)
            b = 0.5 * q_side.logs(tiny)
            high, low = np.maximum(a, b), np.minimum(a, b)
            log_d[tiny] = np.where(a == b, -np.inf, high + np.log(-np.expm1(low - high)))
        x = 2.0 * log_d
        top = x.max(axis=-1, keepdims=True)
        safe = np.where(top > -np.inf, top, 0.0)
        log_sum = safe[..., 0] + np.log(np.exp(x - safe).sum(axis=-1))
    return np.exp(0.5 * (log_sum - LN2))


def _nonneg(x: np.ndarray) -> np.ndarray:
    """Clamp a mathematically non-negative sum that rounding pushed below 0
    (to +0.0, never -0.0)."""
    return np.where(x > 0, x, 0.0)
