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

Ties (rounded data, repeated values): at the k-th neighbour distance r (the
smallest positive distance when that is 0) every order from inside + 1 to
inside + on is valid (inside: points strictly inside radius r; on: points at r).
Their mean k_eff = inside + (on + 1) / 2 is the order used, in the digamma and
gamma terms of k_i, l_i and the Hellinger orders: continuous data have on = 1 and
k_eff = k; a value shared by c points of a grid of step h has r = h and
k_eff ~ 2c - 1/2, so the density c / (n h) comes out right (raising the order to
the first positive distance instead halves it: entropies log 2 too high, KL
against a model far too low). "At r" means within 2^-44 (|x_i| + r) of r:
decimal grids are not exact in binary. The JS count treats the ball's boundary
alike: half of the other sample's points on it count (g is defined at whole
counts, so a half count takes the mean of g at the two around it). Two
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

from ..errors import InputError
from .knn_neighbours import (
    SAME_NOTE,
    ZERO,
    _check_k,
    _check_pair,
    _combine,
    _log_ball,
    _measure,
    _points,
    _psi,
    _same_values,
    _sides,
    _terms,
    _unit,
)
from .knn_resampling import KnnIntervals, KnnPermutationTest, knn_bootstrap, knn_permutation_test

__all__ = [
    "TV_REASON",
    "KnnEstimate",
    "KnnIntervals",
    "KnnPermutationTest",
    "knn_against_model",
    "knn_bootstrap",
    "knn_divergences",
    "knn_permutation_test",
]

TV_REASON = (
    "total variation has no nearest-neighbour estimate (|p - q| has no unbiased local estimate; "
    "the plug-in gives 0.5 for two samples of one distribution); use --estimator binned for it"
)


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


def _method_notes(k: int, tied: tuple[float, float], names: tuple[str, str]) -> list[str]:
    notes = [
        f"estimated from k-nearest-neighbour distances (k = {k}; Wang, Kulkarni & Verdú 2009), without binning;"
        " entropies are differential (Kozachenko-Leonenko)",
        "the Jensen-Shannon divergence comes from counts of the other sample inside each point's neighbour ball,"
        " the Hellinger distance from powers of the distance ratios (Póczos & Schneider 2011)",
    ]
    if tied[0] or tied[1]:
        notes.append(
            f"tied values: {tied[0]:.1%} of {names[0]}'s and {tied[1]:.1%} of {names[1]}'s points had another point at"
            " their neighbour distance, so the mean of the valid neighbour orders was used (at the smallest"
            " positive distance where it was 0)"
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
