"""Every metric of a pair of parametric distributions, each with its method.

For each metric the most exact way that exists is taken: the supports (an
infinite KL, or a pair that shares no mass), a closed form, a sum over a
discrete support, quadrature in one dimension, a Monte-Carlo average in
several. Combined metrics (cross-entropies, Jeffreys) take the least exact
method of their parts and the sum of their errors.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ...text import pct
from ...vocabulary import BASE_FREE, BASES, METRICS
from ..measures import measure
from . import closed_forms
from .families import Distribution, LogNormal, MvNormal
from .integrals import Figure, discrete_support, monte_carlo, quadrature_figure
from .supports import check_pair, kl_infinite, singular

# The order of exactness, for a metric made of others.
_RANK = {"closed form": 0, "supports": 0, "sum": 1, "quadrature": 2, "monte carlo": 3}
# Draws of each side for a Monte-Carlo average: about 2 * 10**7 numbers in all.
MC_NUMBERS = 20_000_000
MC_MAX_DRAWS = 200_000
# Quadrature runs over the floats: a distribution with more mass than this
# beyond them (|x| > 1.8e308) cannot be integrated.
FLOAT_MAX = sys.float_info.max
BEYOND_FLOATS = 1e-12


@dataclass(frozen=True)
class ParametricMeasures:
    """All metrics (in the chosen base), how each was obtained, and why any is infinite."""

    metrics: dict[str, float]
    methods: dict[str, Figure]  # values in the chosen base too
    reasons: dict[str, list[str]]  # kl_pq / kl_qp: why infinite
    not_estimated: dict[str, str] = field(default_factory=dict)  # metric: why it has no figure
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    base: str = "e"


def univariate(d: Distribution) -> Distribution:
    """A one-dimensional mvnormal is a normal."""
    return d.univariate() if isinstance(d, MvNormal) and d.dimension == 1 else d


def measure_distributions(p: Distribution, q: Distribution, base: str = "e", seed: int = 0) -> ParametricMeasures:
    """Every metric id of compare for P and Q (see the module docstring)."""
    check_pair(p, q)
    p, q = univariate(p), univariate(q)
    notes: list[str] = []
    warnings: list[str] = []
    figures: dict[str, Figure] = {}
    reasons: dict[str, list[str]] = {"kl_pq": [], "kl_qp": []}
    apart = singular(p, q)
    sums = None
    if p.discrete and apart is None:
        support = discrete_support(p, q)
        sums = measure(*support.sides(), "e").metrics
        notes.append(support.note())

    # Divergences do not change under one invertible map of both sides: two lognormals are
    # measured as the normals of their logs (where quadrature sees smooth densities).
    dp, dq = (p.log_normal, q.log_normal) if isinstance(p, LogNormal) and isinstance(q, LogNormal) else (p, q)
    one_dimensional = not p.discrete and p.dimension == 1
    unresolved = (unresolvable(dp) or unresolvable(dq)) if one_dimensional else None
    missing: dict[str, str] = {}

    def troubled(metric: str, what: str, a: Distribution, b: Distribution, why_not: str | None) -> Figure | None:
        """A figure by quadrature, or None (and the reason in ``missing``) where it cannot be had."""
        if why_not is not None:
            missing[metric] = f"it needs quadrature, and {why_not}"
            return None
        try:
            fig, trouble = quadrature_figure(what, a, b)
        except (OverflowError, FloatingPointError, ZeroDivisionError):
            missing[metric] = "its quadrature went beyond the float range for these parameters"
            return None
        if math.isnan(fig.value):
            missing[metric] = "its quadrature gave no number for these parameters"
            return None
        if trouble:
            warnings.append(f"{metric}: quadrature reported slow convergence; its error estimate may be too small")
        return fig

    # The same distribution twice: every divergence is 0, whatever floats can integrate
    identical = p.same_as(q)
    # The two KLs
    for key, (a, b, an, bn) in {"kl_pq": (p, q, "P", "Q"), "kl_qp": (q, p, "Q", "P")}.items():
        if identical:
            figures[key] = Figure(0.0, "closed form")
            continue
        why = kl_infinite(a, b, an, bn)
        if why is not None:
            figures[key] = Figure(math.inf, "supports")
            reasons[key].append(why)
            continue
        da, db = (dp, dq) if key == "kl_pq" else (dq, dp)
        value = _formula(closed_forms.kl, da, db)
        if value is not None:
            figures[key] = Figure(value, "closed form")
        elif sums is not None:
            figures[key] = Figure(sums[key], "sum")
        else:
            fig = troubled(key, "kl", da, db, unresolved)
            if fig is None:
                continue
            figures[key] = fig
        if math.isinf(figures[key].value):
            reasons[key].append("the divergence is larger than the largest float")
    # Entropies (of the distributions themselves: they change under a map of x)
    for key, d in (("entropy_p", p), ("entropy_q", q)):
        h = _formula(d.entropy, signed=True)
        if h is not None:
            figures[key] = Figure(h, "closed form")
        elif sums is not None or d.discrete:
            alone = discrete_support(d, d)
            figures[key] = Figure(measure(*alone.sides(), "e").metrics["entropy_p"], "sum")
        else:
            fig = troubled(key, "entropy", d, d, unresolvable(d) if one_dimensional else None)
            if fig is not None:
                figures[key] = fig
    # The bounded metrics; a closed-form Hellinger distance is taken before any other way
    h = None if identical or apart is not None else _formula(closed_forms.hellinger, dp, dq)
    if identical:
        for key in ("js_divergence", "total_variation", "hellinger"):
            figures[key] = Figure(0.0, "closed form")
    elif apart is not None:
        figures["js_divergence"] = Figure(math.log(2.0), "supports")
        figures["total_variation"] = Figure(1.0, "supports")
        figures["hellinger"] = Figure(1.0, "supports")
    elif sums is not None:
        for key in ("js_divergence", "total_variation", "hellinger"):
            figures[key] = Figure(sums[key], "sum")
    elif p.dimension > 1:
        draws = max(10_000, min(MC_MAX_DRAWS, MC_NUMBERS // (2 * p.dimension)))
        figures.update(monte_carlo(p, q, seed, draws))
        notes.append(f"Monte Carlo: {draws:,} draws from each side (seed {seed}); errors are standard errors")
    else:
        for key, name in (("js_divergence", "js"), ("total_variation", "tv"), ("hellinger", "h2")):
            fig = None if key == "hellinger" and h is not None else troubled(key, name, dp, dq, unresolved)
            if fig is not None:
                figures[key] = fig
    if h is not None:
        figures["hellinger"] = Figure(h, "closed form")
    # Combinations
    for key, parts in (
        ("js_distance", ("js_divergence",)),
        ("jeffreys", ("kl_pq", "kl_qp")),
        ("cross_entropy_pq", ("entropy_p", "kl_pq")),
        ("cross_entropy_qp", ("entropy_q", "kl_qp")),
    ):
        absent = [part for part in parts if part not in figures]
        if absent:
            missing[key] = (
                f"it is made of {' and '.join(absent)}, which {'is' if len(absent) == 1 else 'are'} not estimated"
            )
        elif key == "js_distance":
            figures[key] = _sqrt(figures["js_divergence"])
        else:
            figures[key] = _combine(figures[parts[0]], figures[parts[1]])
    # A cross-entropy with a closed form of its own is taken from it: H(P) + KL(P||Q)
    # can be a difference of large numbers (a gamma of shape 1e-8: both near 1e8).
    for key, (a, b) in (("cross_entropy_pq", (p, q)), ("cross_entropy_qp", (q, p))):
        if key in figures and figures[key].method == "closed form" and math.isfinite(figures[key].value):
            direct = _formula(closed_forms.cross_entropy, a, b, signed=True)
            if direct is not None and math.isfinite(direct):
                figures[key] = Figure(direct, "closed form")
    scale = math.log(BASES[base])
    in_base = {
        k: f if k in BASE_FREE else Figure(f.value / scale, f.method, None if f.error is None else f.error / scale)
        for k, f in figures.items()
    }
    if "js_divergence" in in_base:
        in_base["js_distance"] = _sqrt(in_base["js_divergence"])
    return ParametricMeasures(
        metrics={k: in_base[k].value for k in METRICS if k in in_base},
        methods={k: in_base[k] for k in METRICS if k in in_base},
        reasons=reasons,
        not_estimated={k: missing[k] for k in METRICS if k in missing and k not in in_base},
        notes=notes,
        warnings=warnings,
        base=base,
    )


def _formula(rule: Callable[..., float | None], *args: Distribution, signed: bool = False) -> float | None:
    """A closed form's value, or None where it has none, or where floats cannot
    carry it for these parameters (an overflow, a NaN, a divergence below 0;
    ``signed`` for an entropy or cross-entropy, which can be negative): the
    next way of obtaining the figure is tried then."""
    try:
        with np.errstate(all="ignore"):
            value = rule(*args)
    except (ArithmeticError, ValueError):
        return None
    if value is None or math.isnan(value) or (not signed and value < 0):
        return None
    return float(value)


def unresolvable(d: Distribution) -> str | None:
    """Why floats cannot integrate over ``d`` (a one-dimensional continuous
    distribution), or None: mass beyond the float range (a normal of sd
    1e308), narrower than floats resolve where it lies (a lognormal of sigma
    1e-150, a normal of sd 1 at 1e150), or a density beyond the float range."""
    with np.errstate(all="ignore"):
        beyond = float(d.cdf(np.asarray(-FLOAT_MAX))) + float(d.sf(np.asarray(FLOAT_MAX)))
    if not beyond <= BEYOND_FLOATS:
        return f"{d.describe()} puts {pct(beyond)} of its mass beyond the float range (|x| > {FLOAT_MAX:.3g})"
    q25, q50, q75 = (float(d.quantile(u)) for u in (0.25, 0.5, 0.75))
    scale = max(abs(q25), abs(q50), abs(q75))
    if not q75 - q25 > 1e-9 * scale:
        return (
            f"{d.describe()} is narrower than floats can resolve where it lies (its quartiles {q25:.17g} and "
            f"{q75:.17g})"
        )
    with np.errstate(all="ignore"):
        peak = float(d.logpdf(np.asarray(q50)))
    if peak > 700:
        return f"the density of {d.describe()} (e^{peak:.0f} at its median) is beyond the float range"
    return None


def _sqrt(f: Figure) -> Figure:
    root = math.sqrt(max(f.value, 0.0))
    error = None if f.error is None else (f.error / (2 * root) if root > 0 else math.sqrt(f.error))
    return Figure(root, f.method, error)


def _combine(a: Figure, b: Figure) -> Figure:
    method = max(a.method, b.method, key=lambda m: _RANK[m])
    if math.isinf(a.value) or math.isinf(b.value):
        return Figure(math.inf, "supports" if "supports" in (a.method, b.method) else method)
    errors = [e for e in (a.error, b.error) if e is not None]
    return Figure(a.value + b.value, method, sum(errors) if errors else None)
