"""Closed forms: KL divergences, Hellinger distances and cross-entropies of
pairs of families, in nats, written to stay accurate when the parameters are
nearly equal.

A divergence of nearly equal parameters is a difference of nearly equal
numbers when written as in the textbooks (log(s2/s1) + s1^2/(2 s2^2) - 1/2
for two normals); here every formula is a sum of terms that are each
non-negative or a product of small differences, through

- ``expm1mx(x) = e^x - 1 - x`` and ``log1pmx(x) = log(1 + x) - x``, by their
  series near 0 (TensorFlow Probability computes the normal KL through
  ``expm1`` in the same spirit);
- ``gammaln_bregman(x, y) = lnG(y) - lnG(x) - (y - x) psi(x)`` and
  ``gammaln_jensen(x, y) = (lnG(x) + lnG(y)) / 2 - lnG((x + y) / 2)``, by their
  Taylor series in polygamma functions near x = y.

Each function returns None when the pair has no closed form here; supports
that make a divergence infinite are the caller's to check first.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .families import (
    Beta,
    Binomial,
    Dirichlet,
    Distribution,
    Gamma,
    Geometric,
    Laplace,
    LogNormal,
    MvNormal,
    Normal,
    Poisson,
    StudentT,
    Uniform,
)

LOG2 = math.log(2.0)


def _sp():  # type: ignore[no-untyped-def]
    from scipy import special

    return special


def expm1mx(x: float) -> float:
    """e^x - 1 - x without cancellation near 0 (>= 0 for every x)."""
    if abs(x) < 0.7:
        term, total, n = x * x / 2.0, 0.0, 2
        while abs(term) > 1e-18 * abs(total) or total == 0.0:
            total += term
            n += 1
            term *= x / n
            if term == 0.0:
                break
        return total
    try:
        return math.expm1(x) - x
    except OverflowError:  # e^x beyond the float range
        return math.inf


def log1pmx(x: float) -> float:
    """log(1 + x) - x without cancellation near 0 (<= 0 for every x > -1)."""
    if abs(x) < 0.25:
        total, power, n = 0.0, x, 1
        while True:
            n += 1
            power *= -x
            term = power / n
            total += term
            if abs(term) <= 1e-18 * abs(total):
                return total
    return math.log1p(x) - x


def _relative_log(a: float, b: float) -> float:
    """log(a / b) for positive a, b, accurate when a is close to b (a / b may
    be beyond the float range: then through the two logs)."""
    return math.log1p((a - b) / b) if 0.5 < a / b < 2.0 else math.log(a) - math.log(b)


def scaled_gap(a: float, b: float, *divisors: float) -> float:
    """(a - b) divided by each divisor in turn, when a - b itself is beyond the
    float range (1e308 - (-1e308)) too; +-inf only when the quotient is."""
    d = a - b
    if math.isfinite(d):
        for s in divisors:
            d /= s
        return d
    d = 0.5 * a - 0.5 * b
    for s in divisors:
        d /= s
    return 2.0 * d


def log_abs_gap(a: float, b: float) -> float:
    """log |a - b| (-inf when equal), for any two finite floats."""
    d = a - b
    if d == 0.0:
        return -math.inf
    return math.log(abs(d)) if math.isfinite(d) else math.log(abs(0.5 * a - 0.5 * b)) + LOG2


def log_cosh(t: float) -> float:
    """log cosh t for every float t, accurate near 0 (as log(1 + 2 sinh^2(t/2)))."""
    a = abs(t)
    if a < 1.0:
        return math.log1p(2.0 * math.sinh(0.5 * a) ** 2)
    return a - LOG2 + math.log1p(math.exp(-2.0 * a))


def log_sum_exp(*logs: float) -> float:
    """log(sum e^x) over the given logs, without overflow."""
    top = max(logs)
    if math.isinf(top):
        return top
    return top + math.log(math.fsum(math.exp(x - top) for x in logs))


def gammaln_bregman(x: float, y: float, gap: float | None = None) -> float:
    """lnG(y) - lnG(x) - (y - x) psi(x) >= 0: the sum over n >= 2 of
    psi^(n-1)(x) (y - x)^n / n! when y is near x, else as written. ``gap``
    is y - x when the caller knows it more exactly than y and x (sums)."""
    sp, d = _sp(), (y - x) if gap is None else gap
    if d == 0.0:
        return 0.0
    if abs(d) < 0.25 * x:
        total, power, fact = 0.0, d, 1.0
        for n in range(2, 60):
            power *= d
            fact *= n
            term = float(sp.polygamma(n - 1, x)) * power / fact
            total += term
            if abs(term) <= 1e-17 * abs(total):
                break
        return max(total, 0.0)
    return max(float(sp.gammaln(y) - sp.gammaln(x) - d * sp.digamma(x)), 0.0)


def gammaln_jensen(x: float, y: float) -> float:
    """(lnG(x) + lnG(y)) / 2 - lnG((x + y) / 2) >= 0: the sum over j >= 1 of
    psi^(2j-1)(m) h^(2j) / (2j)!, m the midpoint and h half the gap, when they are close."""
    sp = _sp()
    m, h = 0.5 * (x + y), 0.5 * (x - y)
    if h == 0.0:
        return 0.0
    if abs(h) < 0.25 * m:
        total, power, fact = 0.0, 1.0, 1.0
        for j in range(1, 40):
            power *= h * h
            fact *= (2 * j - 1) * (2 * j)
            term = float(sp.polygamma(2 * j - 1, m)) * power / fact
            total += term
            if abs(term) <= 1e-17 * abs(total):
                break
        return max(total, 0.0)
    return max(float(0.5 * (sp.gammaln(x) + sp.gammaln(y)) - sp.gammaln(m)), 0.0)


def bernoulli_kl(p: float, q: float) -> float:
    """KL(Bernoulli(p) || Bernoulli(q)); q in (0, 1) or equal to p."""
    if p == q:
        return 0.0
    if q in (0.0, 1.0):
        return math.inf
    d = p - q
    x1, x2 = d / q, -d / (1.0 - q)
    if abs(x1) < 0.25 and abs(x2) < 0.25:
        return max(d * d / (q * (1.0 - q)) + p * log1pmx(x1) + (1.0 - p) * log1pmx(x2), 0.0)
    sp = _sp()
    return max(float(sp.xlogy(p, p / q) + sp.xlogy(1.0 - p, (1.0 - p) / (1.0 - q))), 0.0)


def sqrt_gap(a: float, b: float) -> float:
    """sqrt(a) - sqrt(b) as (a - b) / (sqrt(a) + sqrt(b)): no cancellation when a is near b."""
    total = math.sqrt(a) + math.sqrt(b)
    return 0.0 if total == 0.0 else (a - b) / total


def bernoulli_hellinger2(p: float, q: float) -> float:
    """1 - BC of two Bernoullis: ((sqrt p - sqrt q)^2 + (sqrt(1-p) - sqrt(1-q))^2) / 2."""
    d = p - q
    low = sqrt_gap(p, q) if d != 0.0 else 0.0
    total = math.sqrt(1.0 - p) + math.sqrt(1.0 - q)
    high = 0.0 if total == 0.0 else -d / total
    return 0.5 * (low * low + high * high)


# ---------------------------------------------------------------------------
# KL(P || Q), same family (or families that are one another's special cases)


def _kl_normal(p: Normal, q: Normal) -> float:
    t = _relative_log(p.sigma, q.sigma)
    z = scaled_gap(p.mu, q.mu, q.sigma)
    return 0.5 * z * z + 0.5 * expm1mx(2.0 * t)


def _kl_gamma(p: Gamma, q: Gamma) -> float:
    k1, k2, b1, b2 = p.shape, q.shape, p.rate, q.rate
    u = _relative_log(b2, b1)
    if u < 700.0:
        return gammaln_bregman(k1, k2) + k2 * expm1mx(u) + (k1 - k2) * math.expm1(u)
    # b2 / b1 near or beyond the float range: the same sum, regrouped as
    # k1 (e^u - 1) - k2 u, with k1 e^u taken through its log
    log_big = math.log(k1) + u
    big = math.exp(log_big) if log_big < 709.0 else math.inf
    return gammaln_bregman(k1, k2) + (big - k1 - k2 * u)


def _kl_dirichlet_like(a1: np.ndarray, a2: np.ndarray) -> float:
    total = sum(gammaln_bregman(float(x), float(y)) for x, y in zip(a1, a2))
    # The gap of the sums from the exact gaps of the parts: a2.sum() - a1.sum() has the
    # rounding of both sums, which dominates when the two sums are nearly equal.
    gap = math.fsum(float(y) - float(x) for x, y in zip(a1, a2))
    return max(total - gammaln_bregman(math.fsum(a1), math.fsum(a2), gap), 0.0)


def _kl_beta(p: Beta, q: Beta) -> float:
    a1 = np.array([p.parameters["a"], p.parameters["b"]])
    a2 = np.array([q.parameters["a"], q.parameters["b"]])
    return _kl_dirichlet_like(a1, a2)


def _kl_uniform(p: Uniform, q: Uniform) -> float | None:
    (l1, h1), (l2, h2) = p.support, q.support
    if l1 < l2 or h1 > h2:
        return None  # infinite: the caller's support check says why
    extra = (h2 - h1) + (l1 - l2)
    return math.log1p(extra / p.width)


def _kl_laplace(p: Laplace, q: Laplace) -> float:
    b1, b2 = p.parameters["b"], q.parameters["b"]
    mu1, mu2 = sorted((p.parameters["mu"], q.parameters["mu"]))
    t = _relative_log(b1, b2)
    first = expm1mx(t)
    if math.isinf(first):
        return first
    # (b1 / b2) expm1mx(-x), x = |mu1 - mu2| / b1, without 0 * inf
    r, x = math.exp(t), scaled_gap(mu2, mu1, b1)
    if x < 0.7:
        second = r * expm1mx(-x)
    elif math.isfinite(x):
        second = r * (x + math.expm1(-x))
    else:  # r x = |mu1 - mu2| / b2
        second = scaled_gap(mu2, mu1, b2) - r
    return first + second


def _kl_t(p: StudentT, q: StudentT) -> float | None:
    if p.df != 1.0 or q.df != 1.0:
        return None  # no closed form for Student's t
    # log(1 + sinh^2(t / 2) + w^2), t = log(s1 / s2), w = (loc1 - loc2) / (2 sqrt(s1 s2))
    s1, s2 = p.scale, q.scale
    t = _relative_log(s1, s2)
    w = scaled_gap(p.loc, q.loc, 2.0, math.sqrt(s1), math.sqrt(s2))
    if abs(t) < 40.0 and abs(w) < 1e150:
        return math.log1p(math.sinh(0.5 * t) ** 2 + w * w)
    log_a = abs(t) - 2.0 * LOG2 + 2.0 * math.log(-math.expm1(-abs(t))) if t != 0.0 else -math.inf
    log_b = 2.0 * (log_abs_gap(p.loc, q.loc) - LOG2 - 0.5 * (math.log(s1) + math.log(s2)))
    return log_sum_exp(0.0, log_a, log_b)


def _kl_poisson(p: Poisson, q: Poisson) -> float:
    l1, l2 = p.parameters["rate"], q.parameters["rate"]
    return l1 * expm1mx(-_relative_log(l1, l2))


def _kl_binomial(p: Binomial, q: Binomial) -> float | None:
    if p.n != q.n:
        return None  # summed over the support instead
    return p.n * bernoulli_kl(p.p, q.p)


def _kl_geometric(p: Geometric, q: Geometric) -> float:
    p1 = p.parameters["p"]
    return bernoulli_kl(p1, q.parameters["p"]) / p1


def _kl_mvnormal(p: MvNormal, q: MvNormal) -> float:
    eps, z = _whitened(p, q)
    return 0.5 * (sum(-log1pmx(float(e)) for e in eps) + float(z @ z))


def _whitened(p: MvNormal, q: MvNormal) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues of Q's whitened (cov_P - cov_Q), and Q's whitened mean difference."""
    chol = q.chol
    inv = np.linalg.solve(chol, np.eye(q.dimension))
    diff = inv @ (p.cov - q.cov) @ inv.T
    eps = np.linalg.eigvalsh(0.5 * (diff + diff.T))
    return np.maximum(eps, -1.0 + 1e-300), inv @ (p.mean - q.mean)


_KL: dict[tuple[type, type], Callable[..., float | None]] = {
    (Normal, Normal): _kl_normal,
    (LogNormal, LogNormal): lambda p, q: _kl_normal(p.log_normal, q.log_normal),
    (Gamma, Gamma): _kl_gamma,
    (Beta, Beta): _kl_beta,
    (Dirichlet, Dirichlet): lambda p, q: _kl_dirichlet_like(p.alpha, q.alpha),
    (Uniform, Uniform): _kl_uniform,
    (Laplace, Laplace): _kl_laplace,
    (StudentT, StudentT): _kl_t,
    (Poisson, Poisson): _kl_poisson,
    (Binomial, Binomial): _kl_binomial,
    (Geometric, Geometric): _kl_geometric,
    (MvNormal, MvNormal): _kl_mvnormal,
}


def kl(p: Distribution, q: Distribution) -> float | None:
    """KL(P || Q) in nats in closed form, or None.

    Same-family pairs first; otherwise KL = H(P, Q) - H(P) when P's entropy
    and the expectations Q's log density needs are known in closed form
    (normal against laplace, beta against uniform, lognormal against gamma...)."""
    rule = _KL.get((type(p), type(q)))
    if rule is not None:
        return rule(p, q)
    h_pq, h_p = cross_entropy(p, q), p.entropy()
    if h_pq is None or h_p is None:
        return None
    return max(h_pq - h_p, 0.0)


# ---------------------------------------------------------------------------
# The cross-entropy H(P, Q) = E_P[-log q(X)] from expectations under P


def cross_entropy(p: Distribution, q: Distribution) -> float | None:
    """E_P[-log q(X)] in closed form for continuous Q whose log density is a
    combination of x, x^2, log x, log(1 - x) and |x - c|, or None."""
    sp = _sp()
    e = p.expect
    if type(q) is Normal:
        mean, var = e("mean"), e("var")
        if mean is None or var is None:
            return None
        return math.log(q.sigma) + 0.5 * math.log(2 * math.pi) + (var + (mean - q.mu) ** 2) / (2 * q.sigma**2)
    if type(q) is LogNormal:
        m, v = e("log"), e("logvar")
        if m is None or v is None:
            return None
        mu, s = q.parameters["mu"], q.parameters["sigma"]
        return math.log(s) + 0.5 * math.log(2 * math.pi) + m + (v + (m - mu) ** 2) / (2 * s * s)
    if type(q) is Gamma:
        mean, mlog = e("mean"), e("log")
        if mean is None or (mlog is None and q.shape != 1.0):
            return None
        k, b = q.shape, q.rate
        return float(-k * math.log(b) + sp.gammaln(k) - (k - 1) * (mlog or 0.0) + b * mean)
    if type(q) is Beta:
        a, b = q.parameters["a"], q.parameters["b"]
        mlog, mlog1m = e("log"), e("log1m")
        if (mlog is None and a != 1.0) or (mlog1m is None and b != 1.0):
            return None
        return float(sp.betaln(a, b) - (a - 1) * (mlog or 0.0) - (b - 1) * (mlog1m or 0.0))
    if type(q) is Uniform:
        return math.log(q.width)
    if type(q) is Laplace:
        mad = e("abs", q.parameters["mu"])
        if mad is None:
            return None
        return math.log(2 * q.parameters["b"]) + mad / q.parameters["b"]
    return None


# ---------------------------------------------------------------------------
# Hellinger distances, through 1 - BC (the Bhattacharyya coefficient)


def _h2_normal(p: Normal, q: Normal) -> float:
    # BC = exp(-log cosh(t) / 2 - w^2 / 4), t = log(s1 / s2), w = (mu1 - mu2) / hypot(s1, s2)
    small, big = sorted((p.sigma, q.sigma))
    w = scaled_gap(p.mu, q.mu, big, math.hypot(1.0, small / big))
    log_bc = -0.5 * log_cosh(_relative_log(p.sigma, q.sigma)) - 0.25 * w * w
    return -math.expm1(log_bc)


def _h2_gamma(p: Gamma, q: Gamma) -> float:
    k1, k2 = p.shape, q.shape
    h = 0.5 * _relative_log(p.rate, q.rate)
    log_bc = -gammaln_jensen(k1, k2) + 0.5 * (k1 - k2) * h - 0.5 * (k1 + k2) * log_cosh(h)
    return -math.expm1(min(log_bc, 0.0))


def _h2_dirichlet_like(a1: np.ndarray, a2: np.ndarray) -> float:
    log_bc = -sum(gammaln_jensen(float(x), float(y)) for x, y in zip(a1, a2))
    log_bc += gammaln_jensen(float(a1.sum()), float(a2.sum()))
    return -math.expm1(min(log_bc, 0.0))


def _h2_beta(p: Beta, q: Beta) -> float:
    return _h2_dirichlet_like(
        np.array([p.parameters["a"], p.parameters["b"]]), np.array([q.parameters["a"], q.parameters["b"]])
    )


def _h2_uniform(p: Uniform, q: Uniform) -> float:
    (l1, h1), (l2, h2) = p.support, q.support
    overlap = min(h1, h2) - max(l1, l2)
    if overlap <= 0:
        return 1.0
    return -math.expm1(math.log(overlap) - 0.5 * (math.log(p.width) + math.log(q.width)))


def _h2_poisson(p: Poisson, q: Poisson) -> float:
    return -math.expm1(-0.5 * sqrt_gap(p.parameters["rate"], q.parameters["rate"]) ** 2)


def _h2_binomial(p: Binomial, q: Binomial) -> float | None:
    if p.n != q.n:
        return None
    h2 = bernoulli_hellinger2(p.p, q.p)
    return 1.0 if h2 >= 1.0 else -math.expm1(p.n * math.log1p(-h2))


def _h2_geometric(p: Geometric, q: Geometric) -> float:
    p1, p2 = p.parameters["p"], q.parameters["p"]
    return min(bernoulli_hellinger2(p1, p2) / (1.0 - math.sqrt((1.0 - p1) * (1.0 - p2))), 1.0)


def _h2_mvnormal(p: MvNormal, q: MvNormal) -> float:
    eps, _ = _whitened(p, q)
    lam = 1.0 + eps
    root = np.sqrt(lam)
    log_det_term = float(np.sum(np.log1p((eps / (root + 1.0)) ** 2 / (2.0 * root))))
    mid = 0.5 * (p.cov + q.cov)
    d = p.mean - q.mean
    quad = float(d @ np.linalg.solve(mid, d))
    return -math.expm1(-0.125 * quad - 0.5 * log_det_term)


_H2: dict[tuple[type, type], Callable[..., float | None]] = {
    (Normal, Normal): _h2_normal,
    (LogNormal, LogNormal): lambda p, q: _h2_normal(p.log_normal, q.log_normal),
    (Gamma, Gamma): _h2_gamma,
    (Beta, Beta): _h2_beta,
    (Dirichlet, Dirichlet): lambda p, q: _h2_dirichlet_like(p.alpha, q.alpha),
    (Uniform, Uniform): _h2_uniform,
    (Poisson, Poisson): _h2_poisson,
    (Binomial, Binomial): _h2_binomial,
    (Geometric, Geometric): _h2_geometric,
    (MvNormal, MvNormal): _h2_mvnormal,
}


def hellinger(p: Distribution, q: Distribution) -> float | None:
    """The Hellinger distance sqrt(1 - BC) in closed form, or None."""
    rule = _H2.get((type(p), type(q)))
    if rule is None:
        return None
    h2 = rule(p, q)
    return None if h2 is None else math.sqrt(min(max(h2, 0.0), 1.0))
