"""The parametric families: parameters, supports, log densities, distribution
functions, quantiles, draws, entropies and the expectations closed forms need.

A ``Distribution`` is immutable and built only through ``make`` (which checks
every parameter and names it in the message). Log densities are -inf outside
the support; discrete families give log mass functions on the integers.
Differential entropies (continuous families) can be negative.
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

LOG_2PI = math.log(2.0 * math.pi)
EULER = 0.5772156649015329


def _sp() -> Any:
    from scipy import special

    return special


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
    "gamma": (Param("shape", "positive"), Param("rate", "positive")),
    "beta": (Param("a", "positive"), Param("b", "positive")),
    "uniform": (Param("low", "real"), Param("high", "real")),
    "laplace": (Param("mu", "real"), Param("b", "positive")),
    "cauchy": (Param("loc", "real"), Param("scale", "positive")),
    "student_t": (Param("df", "positive"), Param("mu", "real", 0.0), Param("sigma", "positive", 1.0)),
    "poisson": (Param("rate", "positive"),),
    "binomial": (Param("n", "count"), Param("p", "unit")),
    "geometric": (Param("p", "unit_open_low"),),
    "bernoulli": (Param("p", "unit"),),
    "dirichlet": (Param("alpha", "positive_vector"),),
    "mvnormal": (Param("mean", "vector"), Param("cov", "matrix", ...), Param("sigma", "positive_vector", ...)),
}
FAMILIES = tuple(FAMILY_PARAMETERS)
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
        sub = Param(param.name, "positive" if kind == "positive_vector" else "real")
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


# ---------------------------------------------------------------------------
# The distribution type


@dataclass(frozen=True, eq=False)
class Distribution:
    """A member of a family, with everything the measures ask of it."""

    family: str
    parameters: dict[str, Any]

    discrete = False
    dimension = 1
    # E|X|^r is finite for every r below this (inf: every moment exists).
    moment_order = math.inf

    def describe(self) -> str:
        """``family(name=value, ...)``, as the user would write it."""

        def show(v: Any) -> str:
            if isinstance(v, tuple):
                return "[" + ", ".join(show(x) for x in v) + "]"
            return str(v) if isinstance(v, int) else number(float(v))

        return f"{self.family}(" + ", ".join(f"{k}={show(v)}" for k, v in self.parameters.items()) + ")"

    def to_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return [plain(x) for x in v] if isinstance(v, tuple) else v

        return {"family": self.family, "parameters": {k: plain(v) for k, v in self.parameters.items()}}

    # Support: the closed interval [low, high] (integers for discrete families).
    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def logpdf(self, x: np.ndarray) -> np.ndarray:  # log density, or log mass for discrete families
        raise NotImplementedError

    def cdf(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sf(self, x: np.ndarray) -> np.ndarray:
        """1 - cdf, computed without cancellation in the upper tail."""
        return 1.0 - self.cdf(x)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def entropy(self) -> float | None:
        """The (differential, for continuous families) entropy in nats, or None without a closed form."""
        return None

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        """E[stat(X)] in closed form, or None: ``mean``, ``var``, ``log`` (E log X), ``logvar``
        (Var log X), ``log1m`` (E log(1 - X)), ``abs`` (E|X - c|)."""
        return None

    def interval_mass(self, a: float, b: float) -> float:
        """P(a < X <= b), from the side of the distribution where it has no cancellation."""
        a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        lower = float(self.cdf(b_arr) - self.cdf(a_arr))
        upper = float(self.sf(a_arr) - self.sf(b_arr))
        return max(0.0, upper if self.cdf(a_arr) > 0.5 else lower)

    def quantile(self, u: float) -> float:
        return float(self.ppf(np.asarray(u, dtype=float)))

    def bin_masses(self, edges: Sequence[float]) -> np.ndarray:
        """The probabilities of the bins (-inf, e1], (e1, e2], ..., (ek, inf), from
        the distribution function (the upper tail from the survival function)."""
        e = np.asarray(edges, dtype=float)
        below = np.concatenate([[0.0], self.cdf(e), [1.0]])
        above = np.concatenate([[1.0], self.sf(e), [0.0]])
        lower = np.diff(below)
        upper = -np.diff(above)
        use_upper = below[:-1] > 0.5  # the bin starts in the upper half: no cancellation from the tail side
        return np.maximum(np.where(use_upper, upper, lower), 0.0)


def _where(cond: np.ndarray, value: np.ndarray, other: float) -> np.ndarray:
    return np.where(cond, value, other)


class Normal(Distribution):
    @property
    def mu(self) -> float:
        return self.parameters["mu"]

    @property
    def sigma(self) -> float:
        return self.parameters["sigma"]

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=float) - self.mu) / self.sigma
        return -0.5 * z * z - math.log(self.sigma) - 0.5 * LOG_2PI

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return _sp().ndtr((np.asarray(x, dtype=float) - self.mu) / self.sigma)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return _sp().ndtr((self.mu - np.asarray(x, dtype=float)) / self.sigma)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mu + self.sigma * _sp().ndtri(u)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mu, self.sigma, n)

    def entropy(self) -> float:
        return 0.5 * (1.0 + LOG_2PI) + math.log(self.sigma)

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        if stat == "mean":
            return self.mu
        if stat == "var":
            return self.sigma**2
        if stat == "abs":  # the mean of a folded normal
            z = (self.mu - c) / self.sigma
            return self.sigma * math.sqrt(2.0 / math.pi) * math.exp(-0.5 * z * z) + (self.mu - c) * math.erf(
                z / math.sqrt(2.0)
            )
        return None


class LogNormal(Distribution):
    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    @property
    def log_normal(self) -> Normal:
        return Normal("normal", dict(self.parameters))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(x)
            return _where(x > 0, self.log_normal.logpdf(logx) - logx, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            return _where(x > 0, self.log_normal.cdf(np.log(np.maximum(x, 0))), 0.0)

    def sf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            return _where(x > 0, self.log_normal.sf(np.log(np.maximum(x, 0))), 1.0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.exp(self.log_normal.ppf(u))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.parameters["mu"], self.parameters["sigma"], n)

    def entropy(self) -> float:
        return self.parameters["mu"] + self.log_normal.entropy()

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        mu, s = self.parameters["mu"], self.parameters["sigma"]
        if stat == "log":
            return mu
        if stat == "logvar":
            return s * s
        if stat == "mean":
            return math.exp(mu + 0.5 * s * s)
        if stat == "var":
            return math.expm1(s * s) * math.exp(2 * mu + s * s)
        return None


class Gamma(Distribution):
    """gamma(shape, rate); exponential(rate) is gamma(1, rate) with its own name."""

    @property
    def shape(self) -> float:
        return self.parameters.get("shape", 1.0)

    @property
    def rate(self) -> float:
        return self.parameters["rate"]

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        sp = _sp()
        x = np.asarray(x, dtype=float)
        k, b = self.shape, self.rate
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = k * math.log(b) + sp.xlogy(k - 1.0, x) - b * x - sp.gammaln(k)
        return _where(x > 0, inside, -np.inf) if k != 1.0 else _where(x >= 0, inside, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return _sp().gammainc(self.shape, self.rate * np.maximum(np.asarray(x, dtype=float), 0.0))

    def sf(self, x: np.ndarray) -> np.ndarray:
        return _sp().gammaincc(self.shape, self.rate * np.maximum(np.asarray(x, dtype=float), 0.0))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return _sp().gammaincinv(self.shape, u) / self.rate

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.shape, 1.0 / self.rate, n)

    def entropy(self) -> float:
        sp, k = _sp(), self.shape
        return float(k - math.log(self.rate) + sp.gammaln(k) + (1.0 - k) * sp.digamma(k))

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        sp, k, b = _sp(), self.shape, self.rate
        if stat == "mean":
            return k / b
        if stat == "var":
            return k / (b * b)
        if stat == "log":
            return float(sp.digamma(k)) - math.log(b)
        if stat == "logvar":
            return float(sp.polygamma(1, k))
        if stat == "abs" and k == 1.0:
            return c - 1.0 / b + 2.0 * math.exp(-b * c) / b if c >= 0 else 1.0 / b - c
        return None


class Beta(Distribution):
    @property
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        sp = _sp()
        x = np.asarray(x, dtype=float)
        a, b = self.parameters["a"], self.parameters["b"]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = sp.xlogy(a - 1.0, x) + sp.xlog1py(b - 1.0, -x) - sp.betaln(a, b)
        return _where((x > 0) & (x < 1), inside, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return _sp().betainc(self.parameters["a"], self.parameters["b"], np.clip(np.asarray(x, dtype=float), 0, 1))

    def sf(self, x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=float), 0, 1)
        return _sp().betainc(self.parameters["b"], self.parameters["a"], 1.0 - x)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return _sp().betaincinv(self.parameters["a"], self.parameters["b"], u)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.beta(self.parameters["a"], self.parameters["b"], n)

    def entropy(self) -> float:
        sp = _sp()
        a, b = self.parameters["a"], self.parameters["b"]
        return float(
            sp.betaln(a, b) - (a - 1) * sp.digamma(a) - (b - 1) * sp.digamma(b) + (a + b - 2) * sp.digamma(a + b)
        )

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        sp = _sp()
        a, b = self.parameters["a"], self.parameters["b"]
        if stat == "mean":
            return a / (a + b)
        if stat == "var":
            return a * b / ((a + b) ** 2 * (a + b + 1))
        if stat == "log":
            return float(sp.digamma(a) - sp.digamma(a + b))
        if stat == "log1m":
            return float(sp.digamma(b) - sp.digamma(a + b))
        if stat == "logvar":
            return float(sp.polygamma(1, a) - sp.polygamma(1, a + b))
        return None


class Uniform(Distribution):
    @property
    def support(self) -> tuple[float, float]:
        return (self.parameters["low"], self.parameters["high"])

    @property
    def width(self) -> float:
        return self.parameters["high"] - self.parameters["low"]

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        low, high = self.support
        return _where((x >= low) & (x <= high), np.full(x.shape, -math.log(self.width)), -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        low, _ = self.support
        return np.clip((np.asarray(x, dtype=float) - low) / self.width, 0.0, 1.0)

    def sf(self, x: np.ndarray) -> np.ndarray:
        _, high = self.support
        return np.clip((high - np.asarray(x, dtype=float)) / self.width, 0.0, 1.0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.parameters["low"] + self.width * np.asarray(u, dtype=float)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.parameters["low"], self.parameters["high"], n)

    def entropy(self) -> float:
        return math.log(self.width)

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        low, high = self.support
        if stat == "mean":
            return 0.5 * (low + high)
        if stat == "var":
            return self.width**2 / 12.0
        if stat == "abs":
            if c <= low or c >= high:
                return abs(0.5 * (low + high) - c)
            return ((c - low) ** 2 + (high - c) ** 2) / (2.0 * self.width)

        # E log X and E log(1 - X): the antiderivative of log t is t log t - t.
        def mean_log(lo: float, hi: float) -> float | None:
            if lo < 0:
                return None
            f = _sp().xlogy
            return float((f(hi, hi) - hi - (f(lo, lo) - lo)) / (hi - lo))

        if stat == "log":
            return mean_log(low, high)
        if stat == "log1m":
            return mean_log(1.0 - high, 1.0 - low) if high <= 1 else None
        if stat == "logvar" and low >= 0:
            sp = _sp()

            def sq(t: float) -> float:  # the antiderivative of (log t)^2
                return float(sp.xlogy(t, t) * math.log(t) - 2 * sp.xlogy(t, t) + 2 * t) if t > 0 else 0.0

            m = mean_log(low, high)
            return None if m is None else (sq(high) - sq(low)) / self.width - m * m
        return None


class Laplace(Distribution):
    def logpdf(self, x: np.ndarray) -> np.ndarray:
        mu, b = self.parameters["mu"], self.parameters["b"]
        return -np.abs(np.asarray(x, dtype=float) - mu) / b - math.log(2.0 * b)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        mu, b = self.parameters["mu"], self.parameters["b"]
        z = (np.asarray(x, dtype=float) - mu) / b
        return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0)), 1.0 - 0.5 * np.exp(-np.maximum(z, 0)))

    def sf(self, x: np.ndarray) -> np.ndarray:
        mu, b = self.parameters["mu"], self.parameters["b"]
        return Laplace("laplace", {"mu": -mu, "b": b}).cdf(-np.asarray(x, dtype=float))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        mu, b = self.parameters["mu"], self.parameters["b"]
        u = np.asarray(u, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(u < 0.5, mu + b * np.log(2 * u), mu - b * np.log(2 * (1 - u)))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.laplace(self.parameters["mu"], self.parameters["b"], n)

    def entropy(self) -> float:
        return 1.0 + math.log(2.0 * self.parameters["b"])

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        mu, b = self.parameters["mu"], self.parameters["b"]
        if stat == "mean":
            return mu
        if stat == "var":
            return 2.0 * b * b
        if stat == "abs":
            d = abs(mu - c)
            return d + b * math.exp(-d / b)
        return None


class StudentT(Distribution):
    """student_t(df, mu, sigma); cauchy(loc, scale) is student_t(1, loc, scale) with its own name."""

    @property
    def df(self) -> float:
        return self.parameters.get("df", 1.0)

    @property
    def loc(self) -> float:
        return self.parameters.get("mu", self.parameters.get("loc", 0.0))

    @property
    def scale(self) -> float:
        return self.parameters.get("sigma", self.parameters.get("scale", 1.0))

    @property
    def moment_order(self) -> float:  # type: ignore[override]
        return self.df

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        sp, v, s = _sp(), self.df, self.scale
        z = (np.asarray(x, dtype=float) - self.loc) / s
        const = sp.gammaln(0.5 * (v + 1)) - sp.gammaln(0.5 * v) - 0.5 * math.log(v * math.pi) - math.log(s)
        return const - 0.5 * (v + 1) * np.log1p(z * z / v)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return _sp().stdtr(self.df, (np.asarray(x, dtype=float) - self.loc) / self.scale)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return _sp().stdtr(self.df, (self.loc - np.asarray(x, dtype=float)) / self.scale)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.loc + self.scale * _sp().stdtrit(self.df, u)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.loc + self.scale * rng.standard_t(self.df, n)

    def entropy(self) -> float:
        sp, v = _sp(), self.df
        return float(
            0.5 * (v + 1) * (sp.digamma(0.5 * (v + 1)) - sp.digamma(0.5 * v))
            + 0.5 * math.log(v)
            + sp.betaln(0.5 * v, 0.5)
            + math.log(self.scale)
        )

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        if stat == "mean" and self.df > 1:
            return self.loc
        if stat == "var" and self.df > 2:
            return self.scale**2 * self.df / (self.df - 2)
        return None


# ---------------------------------------------------------------------------
# Discrete families: mass functions on the integers of [low, high]


class Discrete(Distribution):
    discrete = True

    def _inside(self, k: np.ndarray) -> np.ndarray:
        low, high = self.support
        return (k >= low) & (k <= high) & (k == np.floor(k))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The smallest integer k with cdf(k) >= u (bisection on the distribution function)."""
        scalar = np.ndim(u) == 0
        u = np.atleast_1d(np.asarray(u, dtype=float))
        low, high = self.support
        out = np.empty(u.shape)
        for i, target in enumerate(u):
            lo = low - 1.0  # cdf(lo) < target
            hi = high if math.isfinite(high) else max(low, 1.0)
            while math.isinf(high) and float(self.cdf(np.asarray(hi))) < target:
                hi = 2 * hi + 1
            while hi - lo > 1:
                mid = math.floor((lo + hi) / 2)
                if float(self.cdf(np.asarray(mid, dtype=float))) >= target:
                    hi = mid
                else:
                    lo = mid
            out[i] = hi
        return out[0] if scalar else out


class Poisson(Discrete):
    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        sp = _sp()
        k = np.asarray(x, dtype=float)
        lam = self.parameters["rate"]
        with np.errstate(invalid="ignore"):
            inside = sp.xlogy(k, lam) - lam - sp.gammaln(np.maximum(k, 0) + 1.0)
        return _where(self._inside(k), inside, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(x, dtype=float))
        return _where(k >= 0, _sp().pdtr(np.maximum(k, 0), self.parameters["rate"]), 0.0)

    def sf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(x, dtype=float))
        return _where(k >= 0, _sp().pdtrc(np.maximum(k, 0), self.parameters["rate"]), 1.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.poisson(self.parameters["rate"], n).astype(float)

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        return self.parameters["rate"] if stat in ("mean", "var") else None


class Binomial(Discrete):
    """binomial(n, p); bernoulli(p) is binomial(1, p) with its own name."""

    @property
    def n(self) -> int:
        return int(self.parameters.get("n", 1))

    @property
    def p(self) -> float:
        return self.parameters["p"]

    @property
    def support(self) -> tuple[float, float]:
        if self.p == 0.0:
            return (0.0, 0.0)
        if self.p == 1.0:
            return (float(self.n), float(self.n))
        return (0.0, float(self.n))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        sp = _sp()
        k = np.asarray(x, dtype=float)
        n, p = float(self.n), self.p
        kk = np.clip(k, 0, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = (
                sp.gammaln(n + 1)
                - sp.gammaln(kk + 1)
                - sp.gammaln(n - kk + 1)
                + sp.xlogy(kk, p)
                + sp.xlog1py(n - kk, -p)
            )
        return _where(self._inside(k), inside, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(x, dtype=float))
        if self.p in (0.0, 1.0):
            return _where(k >= self.support[0], 1.0, 0.0)
        return np.where(k < 0, 0.0, np.where(k >= self.n, 1.0, _sp().bdtr(np.clip(k, 0, self.n), self.n, self.p)))

    def sf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(x, dtype=float))
        if self.p in (0.0, 1.0):
            return _where(k >= self.support[0], 0.0, 1.0)
        return np.where(k < 0, 1.0, np.where(k >= self.n, 0.0, _sp().bdtrc(np.clip(k, 0, self.n), self.n, self.p)))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.binomial(self.n, self.p, n).astype(float)

    def entropy(self) -> float | None:
        if self.n == 1 or self.p in (0.0, 1.0):
            return _bernoulli_entropy(self.p) * (self.n == 1)
        return None

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        if stat == "mean":
            return self.n * self.p
        if stat == "var":
            return self.n * self.p * (1.0 - self.p)
        return None


def _bernoulli_entropy(p: float) -> float:
    sp = _sp()
    return float(-sp.xlogy(p, p) - sp.xlog1py(1.0 - p, -p))


class Geometric(Discrete):
    """The number of trials up to and including the first success: 1, 2, ..."""

    @property
    def support(self) -> tuple[float, float]:
        return (1.0, 1.0) if self.parameters["p"] == 1.0 else (1.0, math.inf)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        k = np.asarray(x, dtype=float)
        p = self.parameters["p"]
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = _sp().xlog1py(np.maximum(k - 1.0, 0.0), -p) + math.log(p)
        return _where(self._inside(k), inside, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(x, dtype=float))
        p = self.parameters["p"]
        if p == 1.0:
            return _where(k >= 1, 1.0, 0.0)
        return _where(k >= 1, -np.expm1(np.maximum(k, 0) * math.log1p(-p)), 0.0)

    def sf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(x, dtype=float))
        p = self.parameters["p"]
        if p == 1.0:
            return _where(k >= 1, 0.0, 1.0)
        return _where(k >= 1, np.exp(np.maximum(k, 0) * math.log1p(-p)), 1.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.geometric(self.parameters["p"], n).astype(float)

    def entropy(self) -> float:
        p = self.parameters["p"]
        return _bernoulli_entropy(p) / p

    def expect(self, stat: str, c: float = 0.0) -> float | None:
        p = self.parameters["p"]
        if stat == "mean":
            return 1.0 / p
        if stat == "var":
            return (1.0 - p) / (p * p)
        return None


# ---------------------------------------------------------------------------
# Multivariate families


class Dirichlet(Distribution):
    @property
    def alpha(self) -> np.ndarray:
        return np.asarray(self.parameters["alpha"], dtype=float)

    @property
    def dimension(self) -> int:  # type: ignore[override]
        return len(self.parameters["alpha"])

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        sp = _sp()
        x = np.asarray(x, dtype=float)
        a = self.alpha
        log_b = float(np.sum(sp.gammaln(a)) - sp.gammaln(a.sum()))
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.sum(sp.xlogy(a - 1.0, x), axis=-1) - log_b
        on = np.all(x > 0, axis=-1) & (np.abs(x.sum(axis=-1) - 1.0) < 1e-9)
        return _where(on, inside, -np.inf)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.dirichlet(self.alpha, n)

    def entropy(self) -> float:
        sp = _sp()
        a = self.alpha
        a0, k = float(a.sum()), a.size
        log_b = float(np.sum(sp.gammaln(a)) - sp.gammaln(a0))
        return float(log_b + (a0 - k) * sp.digamma(a0) - np.sum((a - 1.0) * sp.digamma(a)))


class MvNormal(Distribution):
    """mvnormal(mean, cov) or mvnormal(mean, sigma): sigma is the diagonal of the covariance as standard deviations."""

    @property
    def mean(self) -> np.ndarray:
        return np.asarray(self.parameters["mean"], dtype=float)

    @property
    def cov(self) -> np.ndarray:
        if "cov" in self.parameters:
            return np.asarray(self.parameters["cov"], dtype=float)
        return np.diag(np.asarray(self.parameters["sigma"], dtype=float) ** 2)

    @property
    def dimension(self) -> int:  # type: ignore[override]
        return len(self.parameters["mean"])

    @property
    def chol(self) -> np.ndarray:
        return np.linalg.cholesky(self.cov)

    def log_det(self) -> float:
        if "sigma" in self.parameters:
            return float(2.0 * np.sum(np.log(np.asarray(self.parameters["sigma"], dtype=float))))
        return float(2.0 * np.sum(np.log(np.diag(self.chol))))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        z = np.linalg.solve(self.chol, (x - self.mean).T).T if x.ndim > 1 else np.linalg.solve(self.chol, x - self.mean)
        return -0.5 * (np.sum(z * z, axis=-1) + self.dimension * LOG_2PI + self.log_det())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.mean + rng.standard_normal((n, self.dimension)) @ self.chol.T

    def entropy(self) -> float:
        return 0.5 * (self.dimension * (1.0 + LOG_2PI) + self.log_det())

    def univariate(self) -> Normal:
        return Normal("normal", {"mu": float(self.mean[0]), "sigma": math.sqrt(float(self.cov[0, 0]))})


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
