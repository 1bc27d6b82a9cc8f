"""The asymmetry of KL for two parametric distributions, in words.

KL(P||Q) averages log(p/q) over P: it is large where P has mass and Q
barely any. So the wider distribution is the costly one to approximate by
the narrower: KL(wide || narrow) > KL(narrow || wide). In variational
inference that is the difference between the two fits: minimizing KL(P||Q)
over Q covers all of P's mass (mass-covering), minimizing KL(Q||P) lets Q
lock onto one mode of P (mode-seeking).
"""

from __future__ import annotations

import math

import numpy as np

from ..core.parametric.families import Distribution, MvNormal
from ..core.parametric.picture import Curves
from ..text import number, pct, prose_number

# "Barely any": a density below this share of the other's.
BARELY = 0.1


def _spread(d: Distribution) -> tuple[float, str]:
    """A width to compare (and its name): the interquartile range in 1-D, the
    generalized variance (determinant of the covariance) of an mvnormal."""
    if isinstance(d, MvNormal) and d.dimension > 1:
        return math.exp(d.log_det()), "generalized variance (determinant of the covariance)"
    if d.dimension > 1:
        return math.nan, ""
    return float(d.quantile(0.75) - d.quantile(0.25)), "interquartile range"


def _where(curves: Curves, mask: np.ndarray) -> str:
    """The grid region ``mask`` as intervals of x, shortly."""
    x = curves.x
    runs, start = [], None
    for i, inside in enumerate(mask):
        if inside and start is None:
            start = i
        if (not inside or i == len(mask) - 1) and start is not None:
            end = i if inside else i - 1
            runs.append((x[start], x[end], start == 0, end == len(mask) - 1))
            start = None
    parts = []
    for a, b, first, last in runs[:3]:
        if first and not last:
            parts.append(f"x < {number(b, 3)}")
        elif last and not first:
            parts.append(f"x > {number(a, 3)}")
        elif a == b:
            parts.append(f"x = {number(a, 3)}")
        else:
            parts.append(f"{number(a, 3)} < x < {number(b, 3)}")
    return " or ".join(parts) + (" and elsewhere" if len(runs) > 3 else "")


def explain_parametric(
    p: Distribution,
    q: Distribution,
    metrics: dict[str, float],
    reasons: dict[str, list[str]],
    curves: Curves | None,
    unit: str,
) -> list[str]:
    kl_pq, kl_qp = metrics.get("kl_pq", math.nan), metrics.get("kl_qp", math.nan)
    lines: list[str] = []
    if kl_pq == 0 and kl_qp == 0:
        return ["P and Q are the same distribution, so every divergence is 0."]
    for key, direction, weigher in (("kl_pq", "KL(P||Q)", "P"), ("kl_qp", "KL(Q||P)", "Q")):
        if math.isinf(metrics.get(key, 0.0)) and reasons.get(key):
            why = f"{direction} is infinite: {reasons[key][0]}."
            if "has none" in reasons[key][0] or "share no mass" in reasons[key][0]:
                why += (
                    f" {direction} averages log-ratios over {weigher}, so mass where the other has none is "
                    "infinitely surprising."
                )
            lines.append(why)
    wp, what = _spread(p)
    wq, _ = _spread(q)
    if math.isfinite(wp) and math.isfinite(wq) and wp != wq and what:
        wide, _narrow = ("P", "Q") if wp > wq else ("Q", "P")
        lines.append(f"{wide} is the wider: its {what} is {number(max(wp, wq), 4)} against {number(min(wp, wq), 4)}.")
    if math.isfinite(kl_pq) and math.isfinite(kl_qp) and kl_pq != kl_qp:
        big, small = ("P||Q", "Q||P") if kl_pq > kl_qp else ("Q||P", "P||Q")
        heavy = big[0]
        other = "Q" if heavy == "P" else "P"
        sentence = (
            f"KL({big}) = {prose_number(max(kl_pq, kl_qp))} {unit} is larger than KL({small}) = "
            f"{prose_number(min(kl_pq, kl_qp))} {unit}"
        )
        if curves is not None:
            mine, theirs = (curves.p, curves.q) if heavy == "P" else (curves.q, curves.p)
            mask = (mine > 0) & (theirs < BARELY * mine)
            share = curves.mass(heavy.lower(), mask)
            if share >= 0.005:
                sentence += (
                    f": {heavy} puts about {pct(share)} of its mass where {other}'s "
                    f"{'mass' if curves.discrete else 'density'} is below a tenth of {heavy}'s "
                    f"({_where(curves, mask)}), and KL({big}) weighs exactly those places by log({heavy.lower()}/"
                    f"{other.lower()})"
                )
        lines.append(sentence + ".")
    lines.append(
        "In variational inference: fitting Q to P by minimizing KL(P||Q) makes Q cover all of P's mass "
        "(mass-covering, wide); minimizing KL(Q||P) lets Q lock onto one mode of P and ignore the rest "
        "(mode-seeking, narrow)."
    )
    return lines
