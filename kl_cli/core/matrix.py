"""Pairwise divergences between many distributions, vectorized in blocks (numpy only).

``pairwise(P, metric)`` returns the N x N matrix ``M[i, j] = metric(P_i, P_j)``:
row i is P, column j is Q. Each formula evaluates the expensive part once per
distribution and leaves each pair a pass of cheap arithmetic:

- Jensen-Shannon: JS(P, Q) = H(M) - (H(P) + H(Q)) / 2 with M = (P + Q) / 2,
  the entropies H(P) computed once per distribution, so a pair costs one
  logarithm per category (of m), in blocks of pairs that fit the cache;
- KL(P||Q) = H(P, Q) - H(P), the cross-entropy H(P, Q) = -sum p log q a
  matrix product ``P @ log(Q).T`` (BLAS) with log q taken once per
  distribution; a zero of q where p > 0 makes it infinite, found by a
  second matrix product of the indicators (p > 0) and (q == 0);
- Hellinger: H^2 = 1 - BC with the Bhattacharyya coefficient
  BC = ``sqrt(P) @ sqrt(Q).T``;
- total variation: sum |p - q| / 2 per pair, in blocks.

Accuracy. Differences of entropies lose the relative accuracy of a small
result (cancellation): the fast formulas are accurate to about 1e-14 in
absolute terms (a few units of rounding of H(P), at most log K). Every
entry below ``REFINE`` (in nats; for Hellinger, of H^2) is therefore computed
again from that pair alone, by formulas whose terms do not cancel:
p log(2p / (p + q)) = p log1p((p - q) / (p + q)) for JS,
p log(p / q) = p log1p((p - q) / q) for KL, and
sum (sqrt p - sqrt q)^2 / 2 for Hellinger; their error is about 1e-16
times the total variation of the pair. So an entry is accurate to about
1e-14 / REFINE = 1e-11 relative above REFINE and better below (a
Jensen-Shannon distance, the square root, to about 1e-13 absolute
everywhere). The diagonal (a distribution against itself) is exactly 0 for
every divergence; for a cross-entropy it is the entropy.
"""

from __future__ import annotations

import math

import numpy as np

from ..vocabulary import BASES, PAIR_METRICS

# Entries below this (nats; Hellinger: its square) are computed again pair by pair.
REFINE = 1e-3
# Elements of a block of pairs x categories: 2**21 floats (16 MiB) per buffer.
BLOCK_ELEMENTS = 1 << 21


def pairwise(probs: np.ndarray, metric: str, base: str = "e") -> np.ndarray:
    """The matrix of ``metric`` between the rows of ``probs`` (N x K, each
    row non-negative and summing to 1): ``M[i, j] = metric(P = row i, Q = row j)``,
    in the logarithm ``base`` (e, 2 or 10); infinite entries are ``inf``."""
    if metric not in PAIR_METRICS:
        raise ValueError(f"metric must be one of {', '.join(PAIR_METRICS)}, got {metric!r}")
    if base not in BASES:
        raise ValueError(f"base must be one of {', '.join(BASES)}, got {base!r}")
    p = np.ascontiguousarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError("probs must be 2-D: distributions x categories")
    scale = math.log(BASES[base])
    if metric in ("js_divergence", "js_distance"):
        out = _js(p) / scale
        return np.sqrt(out) if metric == "js_distance" else out
    if metric == "total_variation":
        return _tv(p)
    if metric == "hellinger":
        return _hellinger(p)
    if metric.startswith("cross_entropy"):
        ce = _cross_entropy(p) / scale
        return ce if metric == "cross_entropy_pq" else ce.T.copy()
    kl = _kl(p) / scale
    if metric == "kl_pq":
        return kl
    if metric == "kl_qp":
        return kl.T.copy()
    return kl + kl.T  # jeffreys


def zero_in_q(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Categories where ``q`` is 0 and ``p`` is positive: why KL(P||Q) is infinite."""
    return np.flatnonzero((p > 0) & (q == 0))


def _entropies(p: np.ndarray) -> np.ndarray:
    """H(P) per row, -sum p log p with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(p)
    logs[p == 0] = 0.0
    return -np.einsum("ij,ij->i", p, logs)


def _side(n: int, k: int) -> int:
    """Distributions per side of a block of pairs: side^2 * k about ``BLOCK_ELEMENTS``."""
    return max(1, min(n, int(math.sqrt(BLOCK_ELEMENTS / max(k, 1)))))


def _blocks(n: int, side: int) -> list[tuple[slice, slice]]:
    """The blocks of rows x columns that cover the upper triangle, diagonal included."""
    starts = range(0, n, side)
    return [(slice(i, i + side), slice(j, j + side)) for i in starts for j in starts if j >= i]


def _mirror(upper: np.ndarray) -> np.ndarray:
    """A symmetric matrix from its upper triangle (the diagonal set to 0)."""
    out = np.triu(upper, 1)
    return out + out.T


def _js(p: np.ndarray) -> np.ndarray:
    """JS divergence in nats between every pair of rows."""
    n, k = p.shape
    h = _entropies(p)
    half = p * 0.5
    # A category where both are 0 has m = 0 and m log m = 0 log 0 = 0: give
    # every zero the smallest float instead (2**-1074), so that its m log m
    # is a harmless -7e-321 and no 0 * -inf is formed; a positive m of a
    # normal float is unchanged by it.
    half[half == 0] = 5e-324
    side = _side(n, k)
    buf = np.empty((side, side, k))
    logs = np.empty((side, side, k))
    out = np.zeros((n, n))
    with np.errstate(under="ignore"):
        for rows, cols in _blocks(n, side):
            a, b = half[rows], half[cols]
            m = np.add(a[:, None, :], b[None, :, :], out=buf[: len(a), : len(b)])
            log_m = np.log(m, out=logs[: len(a), : len(b)])
            out[rows, cols] = -np.einsum("ijk,ijk->ij", m, log_m) - 0.5 * (h[rows, None] + h[None, cols])
    js = np.clip(_mirror(out), 0.0, math.log(2.0))
    _refine(js, p, _js_pairs)
    return js


def _js_pairs(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """JS in nats of paired rows, from terms that do not cancel."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = p + q
        d = np.where(s > 0, (p - q) / s, 0.0)
        a = p * np.log1p(d)
        b = q * np.log1p(-d)
    a[p == 0] = 0.0
    b[q == 0] = 0.0
    return np.clip(0.5 * (a + b).sum(axis=-1), 0.0, math.log(2.0))


def _cross_entropy(p: np.ndarray) -> np.ndarray:
    """H(P_i, P_j) = -sum p_i log p_j in nats; inf where P_j is 0 and P_i is not."""
    with np.errstate(divide="ignore"):
        logs = np.log(p)
    zero = p == 0
    logs[zero] = 0.0
    ce = -(p @ logs.T)
    if zero.any():
        # Counts of categories with p > 0 and q == 0, as float32 (a sum of
        # non-negative ones is 0 only when there is none).
        blocked = (p > 0).astype(np.float32) @ zero.astype(np.float32).T
        ce[blocked > 0] = np.inf
    return np.maximum(ce, 0.0)


def _kl(p: np.ndarray) -> np.ndarray:
    """KL(P_i||P_j) in nats, row i the P; inf where P_j is 0 and P_i is not."""
    ce = _cross_entropy(p)
    with np.errstate(invalid="ignore"):
        kl = np.maximum(ce - _entropies(p)[:, None], 0.0)
    np.fill_diagonal(kl, 0.0)
    _refine(kl, p, _kl_pairs)
    return kl


def _kl_pairs(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(P||Q) in nats of paired rows (finite ones), from log1p of the relative difference."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = p * np.log1p((p - q) / q)
    terms[p == 0] = 0.0
    terms[(p > 0) & (q == 0)] = np.inf
    return np.maximum(terms.sum(axis=-1), 0.0)


def _hellinger(p: np.ndarray) -> np.ndarray:
    """sqrt(1 - BC) between every pair of rows, BC = sum sqrt(p q)."""
    roots = np.sqrt(p)
    squares = np.clip(1.0 - roots @ roots.T, 0.0, 1.0)
    squares = _mirror(np.triu(squares))
    _refine(squares, p, _hellinger_squares)
    return np.minimum(np.sqrt(squares), 1.0)


def _hellinger_squares(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.minimum(0.5 * np.square(np.sqrt(p) - np.sqrt(q)).sum(axis=-1), 1.0)


def _tv(p: np.ndarray) -> np.ndarray:
    """sum |p - q| / 2 between every pair of rows, in blocks."""
    n, k = p.shape
    side = _side(n, k)
    buf = np.empty((side, side, k))
    out = np.zeros((n, n))
    for rows, cols in _blocks(n, side):
        a, b = p[rows], p[cols]
        d = np.subtract(a[:, None, :], b[None, :, :], out=buf[: len(a), : len(b)])
        out[rows, cols] = 0.5 * np.abs(d, out=d).sum(axis=-1)
    return np.minimum(_mirror(out), 1.0)


def _refine(matrix: np.ndarray, p: np.ndarray, exact: object) -> None:
    """Compute again, pair by pair with ``exact(p_rows, q_rows)``, the entries
    off the diagonal below ``REFINE``, in chunks of bounded size."""
    i, j = np.nonzero(matrix < REFINE)
    off = i != j
    i, j = i[off], j[off]
    if not i.size:
        return
    chunk = max(1, BLOCK_ELEMENTS // max(p.shape[1], 1))
    for start in range(0, i.size, chunk):
        a, b = i[start : start + chunk], j[start : start + chunk]
        matrix[a, b] = exact(p[a], p[b])  # type: ignore[operator]
