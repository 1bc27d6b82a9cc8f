"""The figures without a closed form: sums over a discrete support,
quadrature of a 1-D integral (scipy.integrate.quad, with its error
estimate), and Monte-Carlo averages for multivariate families.

Every integrand is written in a form that is non-negative at each point and
computed from the two log densities, so that nearly equal distributions
give small numbers with small errors instead of differences of large ones:

- KL(P||Q) = int p * (e^v - 1 - v), v = log q - log p, plus Q's mass outside
  P's support (the textbook p log(p/q) integrates to the same value);
- JS = int (p + q) / 4 * [(1 + x) log(1 + x) + (1 - x) log(1 - x)], x = (p - q) / (p + q);
- TV = int |p - q| / 2, H^2 = int (sqrt p - sqrt q)^2 / 2.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...text import number
from ...vocabulary import MAX_SUPPORT_TERMS
from ..mixture import mixture_measures
from ..probability import Probabilities
from .closed_forms import expm1mx
from .families import Distribution

# A discrete support is summed up to where the mass left on each side is below this.
TAIL_MASS = 1e-15
# Quantiles that split a quadrature into pieces (each family's bulk and tails).
_SPLITS = (1e-12, 1e-6, 1e-3, 0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98, 0.999, 1 - 1e-6, 1 - 1e-12)


@dataclass(frozen=True)
class Figure:
    """One metric in nats (or base-free), how it was obtained, and its error bound or estimate."""

    value: float
    method: str
    error: float | None = None


# ---------------------------------------------------------------------------
# Sums over a discrete support


def _upper_end(d: Distribution) -> float:
    """The smallest integer beyond which d has less than TAIL_MASS left."""
    high = d.support[1]
    if math.isfinite(high):
        return high
    k = max(float(d.quantile(0.5)), d.support[0], 1.0)
    while float(d.sf(np.asarray(k))) >= TAIL_MASS:
        k = 2.0 * k + 1.0
    lo = max(d.support[0], float(d.quantile(0.5))) - 1.0
    while k - lo > 1:
        mid = math.floor((lo + k) / 2)
        if float(d.sf(np.asarray(float(mid)))) < TAIL_MASS:
            k = mid
        else:
            lo = mid
    return float(k)


def _lower_end(d: Distribution) -> float:
    """The largest integer below which d has less than TAIL_MASS (the support's start when it is small)."""
    low = d.support[0]
    if float(d.cdf(np.asarray(low))) >= TAIL_MASS:
        return low
    hi = float(d.quantile(0.5))
    lo = low
    while hi - lo > 1:  # cdf(lo) < TAIL_MASS <= cdf(hi)
        mid = math.floor((lo + hi) / 2)
        if float(d.cdf(np.asarray(float(mid)))) < TAIL_MASS:
            lo = mid
        else:
            hi = mid
    return float(lo)


@dataclass(frozen=True)
class Support:
    """The integers k = low..high the sums run over, and their log masses."""

    k: np.ndarray
    log_p: np.ndarray
    log_q: np.ndarray
    truncated: bool

    def sides(self) -> tuple[Probabilities, Probabilities]:
        def side(logs: np.ndarray) -> Probabilities:
            return Probabilities(np.exp(logs), lambda index: logs[index])

        return side(self.log_p), side(self.log_q)

    def note(self) -> str:
        span = f"k = {number(self.k[0], 16)}..{number(self.k[-1], 16)}"
        if self.truncated:
            return f"sums run over {span}; the mass beyond is below {TAIL_MASS:g} on each side"
        return f"sums run over the whole support, {span}"


def discrete_support(p: Distribution, q: Distribution) -> Support:
    low = min(_lower_end(p), _lower_end(q))
    high = max(_upper_end(p), _upper_end(q))
    terms = high - low + 1
    if terms > MAX_SUPPORT_TERMS:
        raise InputError(
            f"{p.describe()} against {q.describe()}: summing over their support would take {terms:.3g} terms; "
            f"at most {MAX_SUPPORT_TERMS:.0e}"
        )
    k = np.arange(low, high + 1.0)
    truncated = any(
        (math.isinf(d.support[1]) or low > d.support[0]) and not (d.support[0] >= low and d.support[1] <= high)
        for d in (p, q)
    )
    return Support(k, p.logpdf(k), q.logpdf(k), truncated)


# ---------------------------------------------------------------------------
# Quadrature in one dimension


def _points(p: Distribution, q: Distribution, low: float, high: float) -> np.ndarray:
    """Where to split [low, high]: both distributions' quantiles and the points where their densities cross."""
    u = np.asarray(_SPLITS)
    with np.errstate(all="ignore"):
        cuts = np.concatenate([p.ppf(u), q.ppf(u)])
    cuts = cuts[np.isfinite(cuts) & (cuts > low) & (cuts < high)]
    # halves, so that a span wider than the float range (from -1e308 to 1e308) is spanned too
    span = 2.0 * np.linspace(0.5 * cuts.min(), 0.5 * cuts.max(), 257) if cuts.size else cuts
    grid = np.unique(np.concatenate([cuts, span])) if cuts.size else cuts
    if grid.size > 2:
        with np.errstate(all="ignore"):
            d = p.logpdf(grid) - q.logpdf(grid)
        sign = np.sign(np.nan_to_num(d, nan=0.0, posinf=1.0, neginf=-1.0))
        change = np.flatnonzero(sign[:-1] * sign[1:] < 0)
        a, b = grid[change], grid[change + 1]
        sa = sign[change]
        for _ in range(60):  # bisection, all crossings at once
            mid = 0.5 * (a + b)
            with np.errstate(all="ignore"):
                sm = np.sign(p.logpdf(mid) - q.logpdf(mid))
            left = sm == sa
            a, b = np.where(left, mid, a), np.where(left, b, mid)
        cuts = np.concatenate([cuts, 0.5 * (a + b)])
    return np.unique(np.concatenate([[low], cuts, [high]]))


def quadrature(
    integrand: Callable[[float], float], p: Distribution, q: Distribution, low: float, high: float
) -> tuple[float, float, bool]:
    """(integral over [low, high], its error estimate, whether quad reported trouble)."""
    from scipy import integrate

    total, error, trouble = 0.0, 0.0, False
    points = _points(p, q, low, high)
    for a, b in itertools.pairwise(points):
        if not b > a:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = integrate.quad(integrand, float(a), float(b), epsabs=1e-15, epsrel=1e-11, limit=200, full_output=1)
        total += out[0]
        error += out[1]
        trouble = trouble or len(out) > 3
    return total, error, trouble


def _kl_term(lp: float, lq: float) -> float:
    if lp == -math.inf:
        return 0.0
    if lq == -math.inf:
        return math.inf
    v = lq - lp
    if v > 30.0:  # p (e^v - 1 - v) = q - p (1 + v), with p negligible beside q
        return math.exp(lq) - math.exp(lp) * (1.0 + v)
    return math.exp(lp) * expm1mx(v)


def _js_term(lp: float, lq: float) -> float:
    if lp == lq == -math.inf:
        return 0.0
    s = math.exp(max(lp, lq)) * (1.0 + math.exp(min(lp, lq) - max(lp, lq)))
    r = abs(math.tanh(0.5 * (lp - lq))) if math.isfinite(lp - lq) else 1.0
    g = (1.0 + r) * math.log1p(r) + ((1.0 - r) * math.log1p(-r) if r < 1.0 else 0.0)
    return 0.25 * s * g


def _tv_term(lp: float, lq: float) -> float:
    hi, lo = max(lp, lq), min(lp, lq)
    return 0.0 if hi == -math.inf else 0.5 * math.exp(hi) * -math.expm1(lo - hi)


def _h2_term(lp: float, lq: float) -> float:
    hi, lo = max(lp, lq), min(lp, lq)
    return 0.0 if hi == -math.inf else 0.5 * math.exp(hi) * math.expm1(0.5 * (lo - hi)) ** 2


# Each integrand as a function of the two log densities at a point (see the module docstring).
_TERMS: dict[str, Callable[[float, float], float]] = {"kl": _kl_term, "js": _js_term, "tv": _tv_term, "h2": _h2_term}


def _integrand(metric: str, p: Distribution, q: Distribution) -> Callable[[float], float]:
    term = _TERMS[metric]

    def f(x: float) -> float:
        arr = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return term(float(p.logpdf(arr)), float(q.logpdf(arr)))

    return f


def _entropy_integrand(p: Distribution) -> Callable[[float], float]:
    def f(x: float) -> float:
        with np.errstate(all="ignore"):
            lp = float(p.logpdf(np.asarray(x, dtype=float)))
        return 0.0 if lp == -math.inf else -math.exp(lp) * lp

    return f


def _domain(*ds: Distribution) -> tuple[float, float]:
    return min(d.support[0] for d in ds), max(d.support[1] for d in ds)


def quadrature_figure(metric: str, p: Distribution, q: Distribution) -> tuple[Figure, bool]:
    """One metric of a 1-D continuous pair by quadrature (KL(P||Q) over P's
    support; it must be finite), and whether quad reported trouble."""
    if metric == "kl":
        low, high = p.support
        value, err, trouble = quadrature(_integrand("kl", p, q), p, q, low, high)
        outside = float(q.cdf(np.asarray(low))) + float(q.sf(np.asarray(high)))  # Q's mass where P has none
        return Figure(max(value + outside, 0.0), "quadrature", err), trouble
    if metric == "entropy":
        value, err, trouble = quadrature(_entropy_integrand(p), p, p, *p.support)
        return Figure(value, "quadrature", err), trouble
    value, err, trouble = quadrature(_integrand(metric, p, q), p, q, *_domain(p, q))
    if metric == "h2":
        h = math.sqrt(min(max(value, 0.0), 1.0))
        return Figure(h, "quadrature", err / (2 * h) if h > 0 else math.sqrt(err)), trouble
    bound = math.log(2.0) if metric == "js" else 1.0
    return Figure(min(max(value, 0.0), bound), "quadrature", err), trouble


# ---------------------------------------------------------------------------
# Monte Carlo (multivariate families)


def monte_carlo(p: Distribution, q: Distribution, seed: int, draws: int) -> dict[str, Figure]:
    """JS, TV and Hellinger from ``draws`` seeded draws of each side, each with its standard error."""
    rng = np.random.default_rng(seed)
    xp, xq = p.sample(rng, draws), q.sample(rng, draws)
    with np.errstate(all="ignore"):
        u_p = p.logpdf(xp) - q.logpdf(xp)
        u_q = p.logpdf(xq) - q.logpdf(xq)
    return {k: Figure(v, "monte carlo", se) for k, (v, se) in mixture_measures(u_p, u_q).items()}
