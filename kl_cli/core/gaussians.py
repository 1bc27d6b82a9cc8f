"""Divergences of batches of diagonal Gaussians, one pair per row (pure numpy).

Each row is a Gaussian with independent dimensions, given by its means and
log-variances (a VAE encoder's ``mu`` and ``logvar``). With t = logvar_p -
logvar_q and m = mu_p - mu_q per dimension:

    KL(P||Q) = 1/2 sum (e^t - 1 - t) + m^2 e^(-logvar_q)
    H^2 = 1 - prod BC,  log BC = -sum 1/2 log cosh(t/2) + m^2 / (4 (var_p + var_q))
    H(P) = 1/2 sum log(2 pi e) + logvar_p

each through expm1/log1p, so nearly equal Gaussians keep their digits. JS
and TV have no closed form and are not computed.
"""

from __future__ import annotations

import math

import numpy as np

from .rows import expm1mx

GAUSSIAN_METRICS = ("kl_pq", "kl_qp", "hellinger", "entropy_p", "entropy_q")
_LOG_2PI_E = math.log(2 * math.pi * math.e)


def _log_cosh(x: np.ndarray) -> np.ndarray:
    """log cosh x without overflow, accurate near 0 (as log1p(sinh^2 x) / 2)."""
    ax = np.abs(x)
    small = ax < 1.0
    out = np.empty_like(ax)
    out[small] = 0.5 * np.log1p(np.sinh(ax[small]) ** 2)
    big = ~small
    out[big] = ax[big] + np.log1p(np.exp(-2 * ax[big])) - math.log(2.0)
    return out


def _over_variance(d: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """d^2 / e^log_var through logs: no 0 * inf when the variance is below the
    float range (logvar -800), no overflow of d^2 alone when the ratio is finite."""
    with np.errstate(divide="ignore", over="ignore"):
        return np.exp(2.0 * np.log(np.abs(d)) - log_var)


def gaussian_figures(
    mu_p: np.ndarray, lv_p: np.ndarray, mu_q: np.ndarray, lv_q: np.ndarray, wanted: set[str] | frozenset[str]
) -> dict[str, np.ndarray]:
    """Per-row figures (nats) of rows of diagonal Gaussians (arrays rows x
    dimensions, broadcastable); ``wanted`` from ``GAUSSIAN_METRICS``."""
    t = lv_p - lv_q
    d = mu_p - mu_q
    out: dict[str, np.ndarray] = {}
    with np.errstate(over="ignore"):
        if "kl_pq" in wanted:
            out["kl_pq"] = 0.5 * (expm1mx(t) + _over_variance(d, lv_q)).sum(axis=-1)
        if "kl_qp" in wanted:
            out["kl_qp"] = 0.5 * (expm1mx(-t) + _over_variance(d, lv_p)).sum(axis=-1)
        if "hellinger" in wanted:
            log_bc = -(0.5 * _log_cosh(t / 2) + 0.25 * _over_variance(d, np.logaddexp(lv_p, lv_q))).sum(axis=-1)
            out["hellinger"] = np.sqrt(np.clip(-np.expm1(log_bc), 0.0, 1.0))
    if "entropy_p" in wanted:
        out["entropy_p"] = 0.5 * (_LOG_2PI_E + np.broadcast_to(lv_p, np.broadcast_shapes(lv_p.shape, t.shape))).sum(
            axis=-1
        )
    if "entropy_q" in wanted:
        out["entropy_q"] = 0.5 * (_LOG_2PI_E + np.broadcast_to(lv_q, np.broadcast_shapes(lv_q.shape, t.shape))).sum(
            axis=-1
        )
    return out


def kl_terms(mu_p: np.ndarray, lv_p: np.ndarray, mu_q: np.ndarray, lv_q: np.ndarray) -> np.ndarray:
    """Each dimension's share of KL(P||Q) (nats), rows x dimensions."""
    t = lv_p - lv_q
    with np.errstate(over="ignore"):
        return 0.5 * (expm1mx(t) + _over_variance(mu_p - mu_q, lv_q))
