"""The multivariate families: dirichlet (the simplex) and mvnormal (R^d)."""

from __future__ import annotations

import math

import numpy as np

from .continuous import Normal
from .distribution import LOG_2PI, Distribution, _sp, _where

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
