"""Where a divergence is infinite because of the supports, and why.

KL(P||Q) is finite only when P puts no mass where Q has none (P absolutely
continuous with respect to Q) and E_P[-log q(X)] converges. Three causes make
it infinite here: P and Q of different kinds (a density against a mass
function: they share no mass at all), P's support reaching past Q's, and
P's tails too heavy for Q's (a Cauchy P against a normal Q: -log q grows
like x^2 and P has no finite variance).
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...text import number, pct
from .families import Dirichlet, Distribution, Gamma, Laplace, MvNormal, Normal

# The moment of P that Q's log density needs: -log q(x) grows like |x|^r.
# (Beta and uniform are bounded; lognormal, Cauchy and Student's t grow like
# powers of log |x|, which every family here integrates.)
_TAIL_ORDER: dict[type, float] = {Normal: 2.0, Laplace: 1.0, Gamma: 1.0}


def check_pair(p: Distribution, q: Distribution) -> None:
    """Refuse pairs that live in different spaces (dimensions, the simplex)."""
    if isinstance(p, Dirichlet) or isinstance(q, Dirichlet):
        if not (isinstance(p, Dirichlet) and isinstance(q, Dirichlet)):
            raise InputError(
                f"{p.describe()} and {q.describe()}: a dirichlet lives on the simplex; it can only be compared "
                "with another dirichlet"
            )
        if p.dimension != q.dimension:
            raise InputError(
                f"dimensions disagree: P = {p.describe()} has {p.dimension} components, Q has {q.dimension}"
            )
    if p.dimension != q.dimension:
        raise InputError(f"dimensions disagree: P = {p.describe()} is {p.dimension}-dimensional, Q is {q.dimension}")


def singular(p: Distribution, q: Distribution) -> str | None:
    """Why P and Q share no mass at all, or None."""
    if p.discrete != q.discrete:
        dense, mass = (p, q) if not p.discrete else (q, p)
        return (
            f"{dense.describe()} is continuous and {mass.describe()} is discrete: the one has density and no "
            "mass at any single value, the other all its mass on single values, so they share no mass"
        )
    if p.dimension == 1 and not isinstance(p, MvNormal):
        (l1, h1), (l2, h2) = p.support, q.support
        if h1 < l2 or h2 < l1 or (not p.discrete and (h1 == l2 or h2 == l1)):
            return f"the supports of {p.describe()} and {q.describe()} do not overlap"
    return None


def kl_infinite(p: Distribution, q: Distribution, p_name: str = "P", q_name: str = "Q") -> str | None:
    """Why KL(p || q) is infinite, or None when it is finite."""
    reason = singular(p, q)
    if reason is not None:
        return reason
    if p.dimension > 1 or isinstance(p, (MvNormal, Dirichlet)):
        return None  # full supports (R^d, the open simplex)
    (l1, h1), (l2, h2) = p.support, q.support
    if l1 < l2:
        below = float(p.cdf(np.asarray(l2 - 1.0 if p.discrete else l2)))
        return (
            f"{p_name} = {p.describe()} puts {pct(below)} of its mass below {number(l2)}, where "
            f"{q_name} = {q.describe()} has none"
        )
    if h1 > h2:
        above = float(p.sf(np.asarray(h2)))
        return (
            f"{p_name} = {p.describe()} puts {pct(above)} of its mass above {number(h2)}, where "
            f"{q_name} = {q.describe()} has none"
        )
    order = _TAIL_ORDER.get(type(q))
    if order is not None and not p.discrete and p.moment_order <= order:
        what = "variance" if order == 2 else "mean"
        tail = "exp(-x^2)" if order == 2 else "exp(-|x|)"
        return (
            f"{q_name} = {q.describe()} has tails like {tail} and {p_name} = {p.describe()} has no finite "
            f"{what}, so E_{p_name}[-log q(X)] diverges"
        )
    return None
