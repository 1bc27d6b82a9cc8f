"""The parametric families: parameters, supports, log densities, distribution
functions, quantiles, draws, entropies and the expectations closed forms need.

A ``Distribution`` is immutable and built only through ``make`` (which checks
every parameter and names it in the message); the families themselves are in
continuous.py, discrete.py and multivariate.py. Differential entropies
(continuous families) can be negative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InputError
from ...text import number
from ...vocabulary import MAX_DIMENSION
from .continuous import Beta, Gamma, Laplace, LogNormal, Normal, StudentT, Uniform
from .discrete import Binomial, Discrete, Geometric, Poisson
from .distribution import Distribution
from .multivariate import Dirichlet, MvNormal

# ---------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class Param:
    """One parameter: its name, what it must be, and its default (None: required)."""

    name: str
    kind: str  # real | positive | unit | unit_open_low | count | vector | positive_vector | matrix
    default: Any = None

    def describe(self) -> str:
        return {
            "real": "a finite number",
            "positive": "a positive number",
            "shape": f"a number from {SHAPE_RANGE[0]:g} to {SHAPE_RANGE[1]:g}",
            "unit": "a number from 0 to 1",
            "unit_open_low": "a number above 0, at most 1",
            "count": "a whole number from 0",
            "vector": "a list of numbers",
            "positive_vector": "a list of positive numbers",
            "matrix": "a list of rows of numbers",
        }[self.kind]


FAMILY_PARAMETERS: dict[str, tuple[Param, ...]] = {
    "normal": (Param("mu", "real"), Param("sigma", "positive")),
    "lognormal": (Param("mu", "real"), Param("sigma", "positive")),
    "exponential": (Param("rate", "positive"),),
    "gamma": (Param("shape", "shape"), Param("rate", "positive")),
    "beta": (Param("a", "shape"), Param("b", "shape")),
    "uniform": (Param("low", "real"), Param("high", "real")),
    "laplace": (Param("mu", "real"), Param("b", "positive")),
    "cauchy": (Param("loc", "real"), Param("scale", "positive")),
    "student_t": (Param("df", "shape"), Param("mu", "real", 0.0), Param("sigma", "positive", 1.0)),
    "poisson": (Param("rate", "positive"),),
    "binomial": (Param("n", "count"), Param("p", "unit")),
    "geometric": (Param("p", "unit_open_low"),),
    "bernoulli": (Param("p", "unit"),),
    "dirichlet": (Param("alpha", "positive_vector"),),
    "mvnormal": (Param("mean", "vector"), Param("cov", "matrix", ...), Param("sigma", "positive_vector", ...)),
}
FAMILIES = tuple(FAMILY_PARAMETERS)
# Shape parameters (gamma's shape, beta's a and b, dirichlet's alpha, Student's
# df): their formulas subtract log-gamma and digamma terms that grow like
# a log a, so past 1e8 a float keeps too few digits of the difference (a beta of
# a = 1e150 came out with KL 0 and entropy 0); such a distribution is a normal
# (or a point) to within 1e-8 anyway.
SHAPE_RANGE = (1e-8, 1e8)
DISCRETE = frozenset({"poisson", "binomial", "geometric", "bernoulli"})
# Largest n of a binomial: its mass function is summed term by term.
MAX_BINOMIAL_N = 10**12


def _number(family: str, param: Param, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{family}: {param.name} must be {param.describe()}, not {_shown(value)}")
    x = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
    if not math.isfinite(x):
        raise InputError(f"{family}: {param.name} must be finite, got {_shown(value)}")
    return x


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number(float(value)) if not isinstance(value, int) or abs(value) < 10**16 else str(value)[:20]
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__ if not isinstance(value, str) else f"text {value[:20]!r}"


def _check(family: str, param: Param, value: Any) -> Any:
    """The value of one parameter, checked: a float, an int (count) or a tuple."""
    kind = param.kind
    if kind in ("vector", "positive_vector"):
        if not isinstance(value, (list, tuple)) or not value:
            raise InputError(f"{family}: {param.name} must be {param.describe()}, not {_shown(value)}")
        if len(value) > MAX_DIMENSION:
            raise InputError(f"{family}: {param.name} has {len(value)} entries; at most {MAX_DIMENSION}")
        sub = Param(param.name, "shape" if kind == "positive_vector" else "real")
        return tuple(_check(family, sub, v) for v in value)
    if kind == "matrix":
        if not isinstance(value, (list, tuple)) or not value or not all(isinstance(r, (list, tuple)) for r in value):
            raise InputError(f"{family}: {param.name} must be {param.describe()}, not {_shown(value)}")
        if len(value) > MAX_DIMENSION:
            raise InputError(f"{family}: {param.name} has {len(value)} rows; at most {MAX_DIMENSION}")
        sub = Param(param.name, "real")
        return tuple(tuple(_check(family, sub, v) for v in row) for row in value)
    if kind == "count":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{family}: {param.name} must be {param.describe()}, not {_shown(value)}")
        if value > MAX_BINOMIAL_N:
            raise InputError(f"{family}: {param.name} must be at most {MAX_BINOMIAL_N:.0e}, got {value}")
        return value
    x = _number(family, param, value)
    if kind == "positive" and not x > 0:
        raise InputError(f"{family}: {param.name} must be positive, got {_shown(value)}")
    if kind == "shape" and not SHAPE_RANGE[0] <= x <= SHAPE_RANGE[1]:
        raise InputError(
            f"{family}: {param.name} must be from {SHAPE_RANGE[0]:g} to {SHAPE_RANGE[1]:g}, got {_shown(value)}",
            hint="beyond, its log-gamma terms cancel to no digits in floats",
        )
    if kind == "unit" and not 0.0 <= x <= 1.0:
        raise InputError(f"{family}: {param.name} must be from 0 to 1, got {_shown(value)}")
    if kind == "unit_open_low" and not 0.0 < x <= 1.0:
        raise InputError(f"{family}: {param.name} must be above 0 and at most 1, got {_shown(value)}")
    return x


def make(family: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Distribution:
    """The distribution ``family(*args, **kwargs)``, every parameter checked.

    >>> make("normal", [0, 2]).describe()
    'normal(mu=0, sigma=2)'
    """
    kwargs = dict(kwargs or {})
    if family not in FAMILY_PARAMETERS:
        raise InputError(f"unknown family {family!r}: the families are {', '.join(FAMILIES)}")
    params = FAMILY_PARAMETERS[family]
    names = ", ".join(p.name for p in params)
    positional = [p for p in params if p.default is not ...]
    if len(args) > len(positional):
        raise InputError(f"{family} takes at most {len(positional)} positional parameters ({names}), got {len(args)}")
    given: dict[str, Any] = {}
    for param, value in zip(positional, args):
        given[param.name] = value
    for name, value in kwargs.items():
        if name not in {p.name for p in params}:
            raise InputError(f"{family}: unknown parameter {name!r} ({family} takes {names})")
        if name in given:
            raise InputError(f"{family}: {name} is given twice")
        given[name] = value
    values: dict[str, Any] = {}
    for param in params:
        if param.name in given:
            values[param.name] = _check(family, param, given[param.name])
        elif param.default is None:
            raise InputError(f"{family}: missing parameter {param.name} ({family} takes {names})")
        elif param.default is not ...:
            values[param.name] = param.default
    return _BUILDERS[family](values)


def _mvnormal(values: dict[str, Any]) -> MvNormal:
    mean = values["mean"]
    d = len(mean)
    if ("cov" in values) == ("sigma" in values):
        raise InputError("mvnormal: give cov (a matrix) or sigma (a list of standard deviations), one of them")
    if "sigma" in values and len(values["sigma"]) != d:
        raise InputError(f"mvnormal: sigma has {len(values['sigma'])} entries but mean has {d}")
    if "cov" in values:
        cov = values["cov"]
        if len(cov) != d or any(len(row) != d for row in cov):
            shape = f"{len(cov)}x{max(len(r) for r in cov)}" if all(len(r) == len(cov[0]) for r in cov) else "ragged"
            raise InputError(f"mvnormal: cov must be {d}x{d} (mean has {d} entries), got {shape}")
        m = np.asarray(cov, dtype=float)
        if not np.allclose(m, m.T, rtol=1e-12, atol=0.0):
            raise InputError("mvnormal: cov must be symmetric (cov[i][j] = cov[j][i])")
        try:
            chol = np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            raise InputError("mvnormal: cov must be positive definite (it has an eigenvalue <= 0)") from None
        if not np.all(np.isfinite(chol)) or np.min(np.diag(chol)) <= 0:
            raise InputError("mvnormal: cov must be positive definite")
        values = {**values, "cov": tuple(tuple(float(v) for v in row) for row in (m + m.T) / 2)}
    return MvNormal("mvnormal", values)


def _dirichlet(values: dict[str, Any]) -> Dirichlet:
    if len(values["alpha"]) < 2:
        raise InputError("dirichlet: alpha needs at least 2 entries")
    return Dirichlet("dirichlet", values)


def _uniform(values: dict[str, Any]) -> Uniform:
    if not values["low"] < values["high"]:
        raise InputError(
            f"uniform: low must be below high, got low={_shown(values['low'])}, high={_shown(values['high'])}"
        )
    if not math.isfinite(values["high"] - values["low"]):
        raise InputError("uniform: high - low is beyond the float range")
    return Uniform("uniform", values)


_BUILDERS: dict[str, Callable[[dict[str, Any]], Distribution]] = {
    "normal": lambda v: Normal("normal", v),
    "lognormal": lambda v: LogNormal("lognormal", v),
    "exponential": lambda v: Gamma("exponential", v),
    "gamma": lambda v: Gamma("gamma", v),
    "beta": lambda v: Beta("beta", v),
    "uniform": _uniform,
    "laplace": lambda v: Laplace("laplace", v),
    "cauchy": lambda v: StudentT("cauchy", v),
    "student_t": lambda v: StudentT("student_t", v),
    "poisson": lambda v: Poisson("poisson", v),
    "binomial": lambda v: Binomial("binomial", v),
    "geometric": lambda v: Geometric("geometric", v),
    "bernoulli": lambda v: Binomial("bernoulli", v),
    "dirichlet": _dirichlet,
    "mvnormal": _mvnormal,
}


__all__ = [
    "DISCRETE",
    "FAMILIES",
    "FAMILY_PARAMETERS",
    "Beta",
    "Binomial",
    "Dirichlet",
    "Discrete",
    "Distribution",
    "Gamma",
    "Geometric",
    "Laplace",
    "LogNormal",
    "MvNormal",
    "Normal",
    "Param",
    "Poisson",
    "StudentT",
    "Uniform",
    "make",
]
