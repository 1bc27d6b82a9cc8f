"""Every metric of a pair of parametric distributions, each with its method.

For each metric the most exact way that exists is taken: the supports (an
infinite KL, or a pair that shares no mass), a closed form, a sum over a
discrete support, quadrature in one dimension, a Monte-Carlo average in
several. Combined metrics (cross-entropies, Jeffreys) take the least exact
method of their parts and the sum of their errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...vocabulary import BASE_FREE, BASES, METRICS
from ..measures import measure
from . import closed_forms
from .families import Distribution, MvNormal
from .integrals import Figure, discrete_support, monte_carlo, quadrature_figure
from .supports import check_pair, kl_infinite, singular

# The order of exactness, for a metric made of others.
_RANK = {"closed form": 0, "supports": 0, "sum": 1, "quadrature": 2, "monte carlo": 3}
# Draws of each side for a Monte-Carlo average: about 2 * 10**7 numbers in all.
MC_NUMBERS = 20_000_000
MC_MAX_DRAWS = 200_000


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

    unresolved = None if p.discrete or p.dimension > 1 else (unresolvable(p) or unresolvable(q))
    missing: dict[str, str] = {}

    def troubled(metric: str, what: str, a: Distribution, b: Distribution) -> Figure | None:
        """A figure by quadrature, or None (and the reason in ``missing``) where it cannot be had."""
        if unresolved is not None:
            missing[metric] = f"it needs quadrature, and {unresolved}"
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

    # The two KLs
    for key, (a, b, an, bn) in {"kl_pq": (p, q, "P", "Q"), "kl_qp": (q, p, "Q", "P")}.items():
        why = kl_infinite(a, b, an, bn)
        if why is not None:
            figures[key] = Figure(math.inf, "supports")
            reasons[key].append(why)
            continue
        value = closed_forms.kl(a, b)
        if value is not None:
            figures[key] = Figure(value, "closed form")
        elif sums is not None:
            figures[key] = Figure(sums[key], "sum")
        else:
            fig = troubled(key, "kl", a, b)
            if fig is None:
                continue
            figures[key] = fig
        if math.isinf(figures[key].value):
            reasons[key].append("the divergence is larger than the largest float")
    # Entropies
    for key, d in (("entropy_p", p), ("entropy_q", q)):
        h = d.entropy()
        if h is not None:
            figures[key] = Figure(h, "closed form")
        elif sums is not None or d.discrete:
            alone = discrete_support(d, d)
            figures[key] = Figure(measure(*alone.sides(), "e").metrics["entropy_p"], "sum")
        else:
            fig = troubled(key, "entropy", d, d)
            if fig is not None:
                figures[key] = fig
    # The bounded metrics
    if apart is not None:
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
            fig = troubled(key, name, p, q)
            if fig is not None:
                figures[key] = fig
    h = closed_forms.hellinger(p, q) if apart is None else None
    if h is not None:
        figures["hellinger"] = Figure(h, "closed form")
        missing.pop("hellinger", None)
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
            direct = closed_forms.cross_entropy(a, b)
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


def unresolvable(d: Distribution) -> str | None:
    """Why floats cannot integrate over ``d`` (a one-dimensional continuous
    distribution), or None: narrower than floats resolve where it lies (a
    lognormal of sigma 1e-150, a normal of sd 1 at 1e150), or a density
    beyond the float range."""
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
