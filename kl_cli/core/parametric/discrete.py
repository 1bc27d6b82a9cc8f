"""The discrete families: mass functions on the integers of [low, high]."""

from __future__ import annotations

import math

import numpy as np

from .distribution import Distribution, _sp, _where

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
