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

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Measures:
    """All metrics (in the chosen base) and the per-category KL terms."""

    metrics: dict[str, float]
    terms_pq: np.ndarray
    terms_qp: np.ndarray
    base: str


def measure(p: np.ndarray, q: np.ndarray, base: str = "e") -> Measures:
    """Compute every metric of P and Q (probability vectors on one support).

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
    arrays, terms_pq, terms_qp = _compute(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64), base)
    metrics = {k: float(v) for k, v in arrays.items()}
    return Measures(metrics, terms_pq, terms_qp, base)


def measure_many(p: np.ndarray, q: np.ndarray, base: str = "e") -> dict[str, np.ndarray]:
    """Every metric for many pairs at once: rows of 2-D ``p`` and ``q`` are
    probability vectors (resamples); returns one array of values per metric.
    The formulas are exactly those of ``measure``."""
    return _compute(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64), base)[0]


# Long vectors are processed in blocks of this many categories, so that the
# temporaries stay in the CPU cache and are reused instead of allocated.
BLOCK = 1 << 14

_SUMS = ("kl_pq", "kl_qp", "js_p", "js_q", "plogp", "qlogq", "abs_diff", "sq_diff")


def _block(p: np.ndarray, q: np.ndarray, terms_pq: np.ndarray, terms_qp: np.ndarray) -> dict[str, np.ndarray]:
    """One block: write the KL terms into ``terms_pq``/``terms_qp`` and return
    the block's partial sums (along the last axis)."""
    pos_p = p > 0
    pos_q = q > 0
    zero_p = None if pos_p.all() else ~pos_p
    zero_q = None if pos_q.all() else ~pos_q

    def clear(buf: np.ndarray, where: np.ndarray | None) -> np.ndarray:
        """0 log 0 = 0: zero the entries of a side with probability 0."""
        if where is not None:
            np.copyto(buf, 0.0, where=where)
        return buf

    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logp = np.log(p)  # -inf where p == 0; every use below clears those
        logq = np.log(q)
        # m = (p + q) / 2 is exact when p == q, so identical inputs give JS = 0
        # exactly; where it underflows to 0 for subnormal p + q (scipy issue
        # 19436), log m = log(p + q) - log 2 instead.
        logm = np.add(p, q)
        logm *= 0.5
        under = (logm == 0) & (pos_p | pos_q) if logm.min() == 0 else None
        np.log(logm, out=logm)
        if under is not None and under.any():
            logm[under] = np.log(p[under] + q[under]) - LN2
        # p log(p/q) and q log(q/p); (logq - logp), not -(logp - logq), so that
        # equal p and q give +0, never -0.
        np.subtract(logp, logq, out=terms_pq)
        out["kl_pq"] = clear(np.multiply(terms_pq, p, out=terms_pq), zero_p).sum(axis=-1)
        np.subtract(logq, logp, out=terms_qp)
        out["kl_qp"] = clear(np.multiply(terms_qp, q, out=terms_qp), zero_q).sum(axis=-1)
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


def _compute(p: np.ndarray, q: np.ndarray, base: str) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The metrics (summing along the last axis) and the per-category KL terms.

    Written for speed on millions of categories: three logs and a handful of
    in-place passes per cache-sized block; the rare cases (zeros, subnormals)
    are patched where they occur instead of branching everywhere.
    """
    if base not in BASES:
        raise ValueError(f"base must be one of {', '.join(BASES)}, got {base!r}")
    terms_pq = np.empty_like(p)
    terms_qp = np.empty_like(q)
    k = p.shape[-1]
    if p.ndim == 1 and k > BLOCK:
        sums = dict.fromkeys(_SUMS, 0.0)
        for start in range(0, k, BLOCK):
            part = slice(start, start + BLOCK)
            for key, value in _block(p[part], q[part], terms_pq[part], terms_qp[part]).items():
                sums[key] += value
        sums = {key: np.asarray(value) for key, value in sums.items()}
    else:
        sums = _block(p, q, terms_pq, terms_qp)
    kl_pq = _nonneg(sums["kl_pq"])
    kl_qp = _nonneg(sums["kl_qp"])
    h_p, h_q = _nonneg(-sums["plogp"]), _nonneg(-sums["qlogq"])
    js = np.minimum(_nonneg(0.5 * (sums["js_p"] + sums["js_q"])), LN2)
    tv = np.minimum(_nonneg(0.5 * sums["abs_diff"]), 1.0)
    squares = sums["sq_diff"]
    hel = np.sqrt(0.5 * squares)
    # Squares of differences this small lose precision as subnormals (or
    # vanish): rescale those rows.
    lost = np.asarray(squares < 1e-280)
    if lost.any() and (p != q).any():
        hel = np.where(lost, _scaled_norm(np.sqrt(p) - np.sqrt(q)) / math.sqrt(2.0), hel)
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


def _scaled_norm(d: np.ndarray) -> np.ndarray:
    """Euclidean norm along the last axis, scaled so that squares of tiny
    (subnormal-sized) differences do not underflow to 0."""
    scale = np.abs(d).max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(scale > 0, d / np.where(scale > 0, scale, 1.0), 0.0)
    return scale[..., 0] * np.sqrt(np.square(ratio).sum(axis=-1))


def _nonneg(x: np.ndarray) -> np.ndarray:
    """Clamp a mathematically non-negative sum that rounding pushed below 0
    (to +0.0, never -0.0)."""
    return np.where(x > 0, x, 0.0)
