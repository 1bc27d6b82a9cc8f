"""The continuous families on the real line or part of it."""

from __future__ import annotations

import math

import numpy as np

from .distribution import LOG_2PI, Distribution, _sp, _where


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
        return 1.0 + math.log(2.0) + math.log(self.parameters["b"])

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
