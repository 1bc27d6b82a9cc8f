"""The divergence two samples show on average when nothing changed: the plug-in bias.

Two samples of sizes n and m from one distribution pi over K categories
differ by noise alone, and a plug-in divergence of the two is positive. To
second order in p - q every divergence here is a quadratic form in
(p_k - q_k) / sqrt(pi_k), and ``sum_k (p_k - q_k)^2 / pi_k`` is, for large
samples, (1/n + 1/m) times a chi-square variable with K - 1 degrees of
freedom (Pearson's two-sample statistic). So, in nats, with s = 1/n + 1/m
and X ~ chi2(K - 1):

- KL(P||Q) and KL(Q||P) ~ s X / 2, mean (K - 1) s / 2;
- Jeffreys ~ s X, mean (K - 1) s;
- JS divergence ~ s X / 8, mean (K - 1) s / 8;
- JS distance = sqrt(JS) and Hellinger ~ sqrt(s X / 8), mean
  sqrt(s / 8) E sqrt(X) = sqrt(s / 4) Gamma(K / 2) / Gamma((K - 1) / 2);
- total variation: sum_k |p_k - q_k| / 2 with p_k - q_k ~ normal(0,
  pi_k (1 - pi_k) s), mean sum_k sqrt(pi_k (1 - pi_k) s / (2 pi)).

pi is estimated by the pooled shares, K is the number of categories seen in
either sample. With several observations per category it is within a few
per cent of a simulation; with fewer (high-cardinality or small samples) it
underestimates (categories neither sample saw are not counted, and a
category absent from one sample makes the plug-in KL infinite), so a figure
above a threshold is above it all the more. Entropies and cross-entropies
are not divergences (they are not 0 under no change): no figure. numpy
only, no I/O.
"""

from __future__ import annotations

import math

import numpy as np

# nats -> the base's unit: divide by log(base)
_LOG = {"e": 1.0, "2": math.log(2.0), "10": math.log(10.0)}


def _mean_sqrt_chi2(dof: int) -> float:
    """E sqrt(X) for X ~ chi2(dof): sqrt(2) Gamma((dof + 1) / 2) / Gamma(dof / 2)."""
    return math.sqrt(2.0) * math.exp(math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2))


def expected_under_no_change(metric: str, p: np.ndarray, q: np.ndarray, n: float, m: float, base: str) -> float | None:
    """The mean of ``metric`` (in ``base``'s unit) between two samples of sizes
    ``n`` and ``m`` drawn from one distribution, estimated from the pooled
    shares of the observed ``p`` and ``q`` (probabilities over the same
    categories). None for a metric with no such figure (entropies,
    cross-entropies) or without observations on both sides."""
    if not (n > 0 and m > 0 and math.isfinite(n) and math.isfinite(m)):
        return None
    pooled = (np.asarray(p, dtype=np.float64) * n + np.asarray(q, dtype=np.float64) * m) / (n + m)
    pooled = pooled[pooled > 0]
    k = int(pooled.size)
    if k < 2:
        return 0.0 if metric not in _NO_FIGURE else None
    s = 1.0 / n + 1.0 / m
    log = _LOG[base]
    dof = k - 1
    if metric in ("kl_pq", "kl_qp"):
        return dof * s / 2 / log
    if metric == "jeffreys":
        return dof * s / log
    if metric == "js_divergence":
        return min(dof * s / 8, math.log(2.0)) / log
    if metric == "js_distance":
        return min(math.sqrt(s / 8 / log) * _mean_sqrt_chi2(dof), math.sqrt(math.log(2.0) / log))
    if metric == "hellinger":
        return min(math.sqrt(s / 8) * _mean_sqrt_chi2(dof), 1.0)
    if metric == "total_variation":
        return min(float(np.sqrt(pooled * (1 - pooled) * s / (2 * math.pi)).sum()), 1.0)
    return None


_NO_FIGURE = frozenset({"entropy_p", "entropy_q", "cross_entropy_pq", "cross_entropy_qp"})
