"""The k-nearest-neighbour estimators of ``kl_cli.core.knn``, at the core level.

References, independent of the module: a brute-force implementation of the
estimators as the module docstring defines them (full distance matrices, the
tie rule by sorting each row, the JS series summed term by term without
truncation), the benchmark's cKDTree implementation (``benchmarks/baselines.py``)
for the one-dimensional fast path, and the truth (closed forms, quadrature)
for accuracy. The CLI tests come with the CLI wiring.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import digamma, gammaln

from kl_cli.core import knn as K
from kl_cli.core import knn_neighbours as N
from kl_cli.core.knn import knn_against_model, knn_bootstrap, knn_divergences, knn_permutation_test
from kl_cli.errors import InputError, KlError, UsageError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import baselines  # noqa: E402 - the benchmark's cKDTree estimator, a reference here

LOG2 = math.log(2)
DIVERGENCES = ("kl_pq", "kl_qp", "js_divergence", "hellinger")
ESTIMATED = (*DIVERGENCES, "entropy_p", "entropy_q")


# ---------------------------------------------------------------------------
# The brute-force reference


def _series(b: int, kappa: int, c: float) -> float:
    """psi(b + kappa) - psi(kappa) - sum_{j=1..b} (1 - c)^j / j prod_{t<j} (b - t) / (b + kappa - 1 - t)."""
    total, ratio = 0.0, 1.0
    for j in range(1, b + 1):
        ratio *= (b - j + 1) / (b + kappa - j)
        total += (1 - c) ** j / j * ratio
    return float(digamma(b + kappa) - digamma(kappa)) - total


TIE_EPS = 2.0**-44


def _order(row: np.ndarray, k: int, size: float) -> tuple[float, float, np.ndarray]:
    """The tie rule on one sorted row of distances: r the k-th distance (the smallest
    positive one when that is 0), distances within TIE_EPS (size + r) of r on the
    boundary; the mean valid order inside + (on + 1) / 2, r, and the shell (low, high)."""
    r = float(row[k - 1]) if row[k - 1] > 0 else float(row[row > 0][0])
    tol = TIE_EPS * (size + r)
    low, high = r - tol, r + tol
    inside, on = int((row < low).sum()), int(((row >= low) & (row <= high)).sum())
    return inside + (on + 1) / 2, r, np.array([low, high])


def _half(row: np.ndarray, shell: np.ndarray, kappa: float, c: float) -> float:
    """The JS series at the count inside + on / 2 (mean of the two whole counts when half)."""
    inside, on = int((row < shell[0]).sum()), int(((row >= shell[0]) & (row <= shell[1])).sum())
    return (_series(inside + on // 2, kappa, c) + _series(inside + (on + 1) // 2, kappa, c)) / 2


def brute(x, y, k: int) -> dict[str, float]:
    a, b = (np.asarray(v, dtype=np.float64).reshape(len(v), -1) for v in (x, y))
    d = a.shape[1]
    log_vd = d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1)

    def dist(u, v):
        return np.sqrt(((u[:, None, :] - v[None, :, :]) ** 2).sum(-1)) if d > 1 else np.abs(u - v.T)

    parts = []
    for pts, other in ((a, b), (b, a)):
        n, m = len(pts), len(other)
        own, cross = dist(pts, pts), dist(pts, other)
        kl = ent = bc = log1p = 0.0
        for i in range(n):
            size = float(np.abs(pts[i]).max())
            ki, rho, shell_k = _order(np.sort(own[i])[1:], k, size)  # one zero dropped: the point itself
            li, nu, shell_l = _order(np.sort(cross[i]), k, size)
            hi, nuh, _ = _order(np.sort(cross[i]), max(k, 2), size)
            term = d * math.log(nu / rho) + digamma(ki) - digamma(li) + math.log(m / (n - 1))
            kl += term / n
            ent += (digamma(n) - digamma(ki) + log_vd + d * math.log(rho)) / n
            const = gammaln(ki) + gammaln(hi) - gammaln(ki + 0.5) - gammaln(hi - 0.5)
            bc += math.sqrt((n - 1) * rho**d / (m * nuh**d)) * math.exp(const) / n
            if n - 1 <= m:
                log1p += _half(cross[i], shell_k, ki, (n - 1) / m) / n
            else:
                others = np.delete(own[i], i)
                log1p += (_half(others, shell_l, li, m / (n - 1)) - term) / n
        parts.append((kl, ent, bc, log1p))
    (kp, hp, bp, lp), (kq, hq, bq, lq) = parts
    return {
        "kl_pq": kp,
        "kl_qp": kq,
        "js_divergence": min(max(LOG2 - (lp + lq) / 2, 0.0), LOG2),
        "hellinger": math.sqrt(1 - min(max((bp + bq) / 2, 0.0), 1.0)),
        "entropy_p": hp,
        "entropy_q": hq,
    }


def assert_close(got: dict, want: dict, rel: float, abs_: float = 1e-14) -> None:
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=rel, abs=abs_), (key, got[key], value)


# ---------------------------------------------------------------------------
# Data with ties: seeded normals, some rounded to a binary grid (exact
# arithmetic, so every implementation decides each boundary alike), some
# values copied from the other side


@st.composite
def tied_pair(draw, dims: int = 1, low: int = 2, high: int = 40):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m = draw(st.integers(low, high)), draw(st.integers(low, high))
    shape = (lambda size: (size, dims)) if dims > 1 else (lambda size: size)
    x = rng.normal(0, 1, shape(n))
    y = rng.normal(draw(st.sampled_from([0.0, 0.5, 2.0])), draw(st.sampled_from([0.5, 1.0, 3.0])), shape(m))
    step = draw(st.sampled_from([None, 1.0, 0.5, 0.125]))
    if step is not None or dims > 1:
        step = step or 0.5
        x, y = np.round(x / step) * step, np.round(y / step) * step
    copies = draw(st.integers(0, min(n, m) // 2))
    if copies:
        y[:copies] = x[rng.integers(0, n, copies)]
    for side in (x, y):
        if (side == side[0]).all():  # a side needs two distinct values
            side[0] = side[0] + 1.0
    return x, y


# ---------------------------------------------------------------------------
# The estimator equals its definition


@settings(max_examples=80)
@given(tied_pair(), st.integers(1, 3))
def test_one_dimension_equals_brute_force(pair, k):
    x, y = pair
    if min(len(x), len(y)) < k + 1 or N._same_values(*(N._points(v, "") for v in pair)):
        return
    assert_close(knn_divergences(x, y, k).metrics, brute(x, y, k), rel=1e-9, abs_=1e-12)


@settings(max_examples=40)
@given(tied_pair(dims=2), st.integers(1, 2))
def test_two_dimensions_equal_brute_force(pair, k):
    x, y = pair
    if min(len(x), len(y)) < k + 1 or N._same_values(x, y):
        return
    assert_close(knn_divergences(x, y, k).metrics, brute(x, y, k), rel=1e-9, abs_=1e-12)


def test_three_dimensions_and_unequal_sizes_equal_brute_force():
    rng = np.random.default_rng(8)
    x, y = rng.normal(0, 1, (90, 3)), rng.normal(0.4, 1.2, (31, 3))
    for k in (1, 2, 4):
        assert_close(knn_divergences(x, y, k).metrics, brute(x, y, k), rel=1e-9)
        assert_close(knn_divergences(y, x, k).metrics, brute(y, x, k), rel=1e-9)


@settings(max_examples=80)
@given(tied_pair(high=200), st.integers(1, 3))
def test_fast_path_equals_ckdtree_estimator(pair, k):
    """One dimension by sorting, against the same estimator written with cKDTree."""
    x, y = pair
    if min(len(x), len(y)) < k + 1 or N._same_values(*(N._points(v, "") for v in pair)):
        return
    assert_close(knn_divergences(x, y, k).metrics, baselines.knn_ckdtree(x, y, k), rel=1e-12)


@settings(max_examples=40)
@given(tied_pair(high=200), st.integers(1, 3))
def test_fast_path_equals_the_modules_tree_path(pair, k):
    x, y = pair
    if min(len(x), len(y)) < k + 1:
        return
    (a, b), log_s = N._unit(N._points(x, "P"), N._points(y, "Q"))
    fast = N._measure(*N._sides(a, b, k, log_s), 1, k)
    tree = N._measure(*N._sides_tree(a, b, k, log_s), 1, k)
    assert_close(fast, tree, rel=1e-12)


def test_fast_path_equals_ckdtree_on_larger_data_with_copies_and_rounding():
    rng = np.random.default_rng(2024)
    x, y = rng.normal(0, 1, 30_000), rng.normal(0.7, 1.5, 20_000)
    y[:3000] = x[rng.integers(0, x.size, 3000)]  # shared rows
    x[:5000] = np.round(x[:5000], 2)  # partly rounded
    for k in (1, 2):
        assert_close(knn_divergences(x, y, k).metrics, baselines.knn_ckdtree(x, y, k), rel=1e-12)


@pytest.mark.parametrize("walk", [1, 3, N.WALK])
def test_inside_counts_follow_float_distances_at_the_boundary(monkeypatch, walk):
    """A copy of the point that bounds a ball lies on its boundary, not inside; the
    step-by-step count and its binary-search fallback agree with brute force."""
    monkeypatch.setattr(N, "WALK", walk)
    rng = np.random.default_rng(5)
    for _ in range(200):
        x = np.round(rng.normal(0, 1, 40), int(rng.integers(0, 3)))
        s = np.sort(np.concatenate([rng.choice(x, 15), np.round(rng.normal(0, 1, 25), 1)]))
        c = np.sort(x)
        r = np.abs(c - rng.choice(x, 40))
        r[r == 0] = 0.1
        want = (np.abs(s[None, :] - c[:, None]) < r[:, None]).sum(axis=1)
        assert (N._inside_1d(s, c, r, np.searchsorted(s, c)) == want).all()
        assert (N._inside_search(s, c, r) == want).all()


@pytest.mark.parametrize("kappa", [1, 2, 5])
@pytest.mark.parametrize("c", [0.25, 0.9999, 1.0])
@pytest.mark.parametrize("theta", [0.05, 1.0, 6.0])
def test_js_series_is_unbiased_for_negative_binomial_counts(kappa, c, theta):
    """E[g(b)] = log(1 + c t) for b ~ NegBin(kappa, t / (1 + t)): the JS estimator's premise."""
    b = np.arange(0, 4000)
    pmf = stats.nbinom.pmf(b, kappa, 1 / (1 + theta))
    g = N._log1p_ratio(b, np.full(b.size, kappa), c)
    assert float(np.dot(pmf, g)) == pytest.approx(math.log1p(c * theta), rel=1e-10)
    assert g[:60] == pytest.approx([_series(int(v), kappa, c) for v in b[:60]], rel=1e-12, abs=1e-15)


def test_hellinger_constant_is_unbiased_for_gamma_masses():
    """E[sqrt(G1 / G2)] G(k)G(l)/(G(k+1/2)G(l-1/2)) = 1 for G1 ~ Gamma(k), G2 ~ Gamma(l)."""
    for k, order in ((1, 2), (2, 2), (3, 5)):
        e1 = integrate.quad(lambda g, k=k: math.sqrt(g) * stats.gamma.pdf(g, k), 0, np.inf)[0]
        e2 = integrate.quad(lambda g, o=order: stats.gamma.pdf(g, o) / math.sqrt(g), 0, np.inf)[0]
        const = math.exp(math.lgamma(k) + math.lgamma(order) - math.lgamma(k + 0.5) - math.lgamma(order - 0.5))
        assert e1 * e2 * const == pytest.approx(1.0, rel=1e-8)


# ---------------------------------------------------------------------------
# Ties never give an infinity or a NaN


def _finite_in_range(est: K.KnnEstimate) -> None:
    for key in ESTIMATED:
        assert math.isfinite(est.metrics[key]), (key, est.metrics)
    assert 0 <= est.metrics["js_divergence"] <= LOG2
    assert 0 <= est.metrics["hellinger"] <= 1
    assert 0 <= est.tied_share_p <= 1 and 0 <= est.tied_share_q <= 1
    assert "total_variation" not in est.metrics and "total_variation" in est.not_estimated


@settings(max_examples=150)
@given(tied_pair(), st.integers(1, 4))
def test_ties_never_give_infinity_or_nan(pair, k):
    x, y = pair
    if min(len(x), len(y)) < k + 1:
        return
    _finite_in_range(knn_divergences(x, y, k))


@pytest.mark.parametrize("k", [1, 3])
def test_all_but_one_identical_and_heavy_rounding(k):
    x = np.array([2.0] * 30 + [3.0])
    y = np.array([2.0] * 5 + [7.0, 7.0, 9.0])
    est = knn_divergences(x, y, k)
    _finite_in_range(est)
    assert est.tied_share_p > 0.9 and est.tied_share_q > 0.5
    assert any("binned" in note for note in est.notes)
    rounded = knn_divergences(np.round(np.random.default_rng(1).normal(0, 1, 5000)), np.arange(-3.0, 4.0), k)
    _finite_in_range(rounded)


def test_rounded_samples_still_estimate_kl():
    """Rounding to 0.1 (about 40 copies of each value) leaves the estimate near the truth 0.5."""
    rng = np.random.default_rng(11)
    values = [
        knn_divergences(np.round(rng.normal(0, 1, 10_000), 1), np.round(rng.normal(1, 1, 10_000), 1)).metrics
        for _ in range(5)
    ]
    assert np.mean([v["kl_pq"] for v in values]) == pytest.approx(0.5, rel=0.05)
    assert np.mean([v["kl_qp"] for v in values]) == pytest.approx(0.5, rel=0.05)


# ---------------------------------------------------------------------------
# Samples of one distribution


@pytest.mark.parametrize("dims", [1, 2])
def test_identical_samples_give_zero(dims):
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (400, dims) if dims > 1 else 400)
    est = knn_divergences(x, x[::-1].copy())
    assert [est.metrics[key] for key in DIVERGENCES] == [0.0] * 4
    assert est.metrics["entropy_p"] == pytest.approx(est.metrics["entropy_q"], rel=1e-14)
    assert math.isfinite(est.metrics["entropy_p"])
    assert any("same values" in note for note in est.notes)


def test_two_samples_of_one_distribution_give_about_zero():
    rng = np.random.default_rng(4)
    runs = [knn_divergences(rng.normal(0, 1, 5000), rng.normal(0, 1, 5000)).metrics for _ in range(8)]
    for key in ("kl_pq", "kl_qp"):
        assert abs(np.mean([r[key] for r in runs])) < 0.02
    assert np.mean([r["js_divergence"] for r in runs]) < 0.005
    assert np.mean([r["hellinger"] for r in runs]) < 0.1


# ---------------------------------------------------------------------------
# Clear errors


def _one_line(error: KlError, *needles: str) -> None:
    line = error.one_line()
    assert "\n" not in line
    for needle in needles:
        assert needle in line, line


def test_errors_name_the_side():
    with pytest.raises(InputError) as e:
        knn_divergences(np.zeros((5, 2)) + np.arange(5)[:, None], np.ones((5, 3)) * np.arange(5)[:, None])
    _one_line(e.value, "P has 2 columns, Q has 3")
    with pytest.raises(InputError) as e:
        knn_divergences([1.0, 2.0, 3.0], np.arange(10.0), k=5)
    _one_line(e.value, "P has 3 point(s); --k 5 needs at least 6")
    with pytest.raises(InputError) as e:
        knn_divergences(np.arange(10.0), [1.0, 2.0], k=2)
    _one_line(e.value, "Q has 2 point(s); --k 2 needs at least 3")
    with pytest.raises(InputError) as e:
        knn_divergences(np.arange(10.0), [4.0] * 20)
    _one_line(e.value, "Q: all 20 values are identical", "--estimator binned")
    with pytest.raises(InputError) as e:
        knn_divergences(np.ones((6, 2)), np.arange(12.0).reshape(6, 2))
    _one_line(e.value, "P: all 6 points are identical")
    with pytest.raises(InputError) as e:
        knn_divergences([1.0, math.inf, 3.0, -math.inf], [1.0, 2.0])
    _one_line(e.value, "P has 2 infinite value(s)")
    with pytest.raises(InputError) as e:
        knn_divergences([1.0, 2.0, 3.0], [1.0, math.nan, 2.0])
    _one_line(e.value, "Q has 1 missing (NaN) value(s)")
    with pytest.raises(InputError) as e:
        knn_divergences(["a", "b"], [1.0, 2.0])
    _one_line(e.value, "P: the nearest-neighbour estimator needs numbers")
    for k in (0, -1, True, 1.5):
        with pytest.raises(UsageError) as e:
            knn_divergences([1.0, 2.0, 3.0], [1.0, 2.0, 3.5], k=k)
        _one_line(e.value, "--k must be a whole number of at least 1")


# ---------------------------------------------------------------------------
# Accuracy against the truth (a few seeded draws at n = m = 10,000)


def _normal_kl(ma, sa, mb, sb) -> float:
    return math.log(sb / sa) + (sa**2 + (ma - mb) ** 2) / (2 * sb**2) - 0.5


def _draws(p, q, count, size=10_000, dims=1, k=1):
    shape = (size, dims) if dims > 1 else size
    return [
        knn_divergences(
            np.random.default_rng(s).normal(*p, shape), np.random.default_rng(10**6 + s).normal(*q, shape), k
        ).metrics
        for s in range(count)
    ]


def _mean(runs, key):
    return float(np.mean([r[key] for r in runs]))


def test_accuracy_targets_of_the_issue():
    shift = _draws((0, 1), (1, 1), 10)
    assert _mean(shift, "kl_pq") == pytest.approx(0.5, rel=0.05)
    assert _mean(shift, "kl_qp") == pytest.approx(0.5, rel=0.05)
    plane = _draws((0, 1), (1, 1), 4, dims=2)
    assert _mean(plane, "kl_pq") == pytest.approx(1.0, rel=0.10)
    assert _mean(plane, "kl_qp") == pytest.approx(1.0, rel=0.10)
    wider = _draws((0, 1), (0, 2), 10)
    assert _mean(wider, "kl_pq") == pytest.approx(_normal_kl(0, 1, 0, 2), rel=0.10)
    assert _mean(wider, "kl_qp") == pytest.approx(_normal_kl(0, 2, 0, 1), rel=0.20)
    same = _draws((0, 1), (0, 1), 40)
    for key in ("kl_pq", "kl_qp", "js_divergence"):
        assert abs(_mean(same, key)) <= 0.01


def test_js_and_hellinger_accuracy():
    truth_js = baselines.normal_truth((0.0, 1.0, 1), (1.0, 1.0, 1), "js_divergence")
    truth_h = math.sqrt(1 - math.exp(-1 / 8))
    runs = _draws((0, 1), (1, 1), 10)
    assert _mean(runs, "js_divergence") == pytest.approx(truth_js, rel=0.05)
    assert _mean(runs, "hellinger") == pytest.approx(truth_h, rel=0.03)


def test_larger_k_is_more_biased_where_p_is_wider():
    """Why the default is k = 1: N(0,2) against N(0,1) is under-estimated more as k grows."""
    truth = _normal_kl(0, 2, 0, 1)
    by_k = [_mean(_draws((0, 2), (0, 1), 6, k=k), "kl_pq") for k in (1, 3, 5)]
    assert by_k[0] > by_k[1] > by_k[2]
    assert abs(by_k[0] - truth) / truth < 0.2 < abs(by_k[2] - truth) / truth


# ---------------------------------------------------------------------------
# Scale: a power of two changes nothing but the entropies


def test_scaling_leaves_divergences_and_shifts_entropies():
    rng = np.random.default_rng(6)
    x, y = rng.normal(0, 1, (300, 2)), rng.normal(0.5, 1, (200, 2))
    base = knn_divergences(x, y).metrics
    for factor in (2.0**-900, 3.7, 1e300):
        scaled = knn_divergences(x * factor, y * factor).metrics
        for key in DIVERGENCES:
            assert scaled[key] == pytest.approx(base[key], rel=1e-9, abs=1e-12)
        assert scaled["entropy_p"] == pytest.approx(base["entropy_p"] + 2 * math.log(factor), rel=1e-9)
    huge = knn_divergences(np.array([-1.7e308, 1.7e308, 0.0, 1e308]), np.array([-1e308, 5e307, 1.7e308]))
    _finite_in_range(huge)


# ---------------------------------------------------------------------------
# Data against a model


def _normal_logpdf(mu, sigma):
    return lambda v: stats.norm.logpdf(v, mu, sigma)


def _normal_entropy(sigma):
    return 0.5 * math.log(2 * math.pi * math.e * sigma**2)


def test_against_model_uses_the_exact_density():
    runs = []
    for s in range(8):
        x = np.random.default_rng(s).normal(0, 2, 10_000)
        z = np.random.default_rng(99 + s).normal(0, 1, 10_000)
        runs.append(knn_against_model(x, _normal_logpdf(0, 1), z, _normal_entropy(1)))
    est = runs[0]
    assert est.model and est.m == 10_000 and est.outside_support == 0
    assert any("10,000 points drawn from the model" in note for note in est.notes)
    assert "model sample of 10,000" in est.describe()
    # with the exact density KL(data||model) no longer suffers the samples' tail bias (-13%)
    assert np.mean([r.metrics["kl_pq"] for r in runs]) == pytest.approx(_normal_kl(0, 2, 0, 1), rel=0.02)
    assert np.mean([r.metrics["kl_qp"] for r in runs]) == pytest.approx(_normal_kl(0, 1, 0, 2), rel=0.05)
    js = baselines.normal_truth((0.0, 2.0, 1), (0.0, 1.0, 1), "js_divergence")
    assert np.mean([r.metrics["js_divergence"] for r in runs]) == pytest.approx(js, rel=0.05)
    h = baselines.normal_truth((0.0, 2.0, 1), (0.0, 1.0, 1), "hellinger")
    assert np.mean([r.metrics["hellinger"] for r in runs]) == pytest.approx(h, rel=0.03)
    assert all(r.metrics["entropy_q"] == _normal_entropy(1) for r in runs)


def test_against_model_in_two_dimensions_and_with_estimated_entropy():
    def log_q(v):
        return stats.multivariate_normal.logpdf(v, mean=[1, 1])

    runs = []
    for s in range(4):
        x = np.random.default_rng(s).normal(0, 1, (5000, 2))
        z = np.random.default_rng(50 + s).normal(1, 1, (5000, 2))
        runs.append(knn_against_model(x, log_q, z, None))
    assert np.mean([r.metrics["kl_pq"] for r in runs]) == pytest.approx(1.0, rel=0.03)
    assert np.mean([r.metrics["kl_qp"] for r in runs]) == pytest.approx(1.0, rel=0.10)
    assert any("mean of -log q over that sample" in note for note in runs[0].notes)
    exact = 1 + math.log(2 * math.pi)
    assert np.mean([r.metrics["entropy_q"] for r in runs]) == pytest.approx(exact, rel=0.01)


def test_data_outside_the_support_give_infinity_never_nan():
    x = np.random.default_rng(1).normal(0.5, 1, 2000)
    z = np.random.default_rng(2).exponential(1, 2000)

    def log_q(v):
        with np.errstate(divide="ignore"):
            return np.where(v >= 0, -v, -np.inf)

    est = knn_against_model(x, log_q, z, 1.0)
    assert est.metrics["kl_pq"] == math.inf
    assert est.outside_support == int((x < 0).sum()) > 0
    for key in ("kl_qp", "js_divergence", "hellinger", "entropy_p", "entropy_q"):
        assert math.isfinite(est.metrics[key])
    assert any("outside the model's support" in note for note in est.notes)


def test_against_model_errors():
    x, z = np.arange(10.0), np.arange(10.0) + 0.5
    with pytest.raises(InputError) as e:
        knn_against_model(x, lambda v: np.where(v == 0, np.inf, 0.0), z, 0.0)
    _one_line(e.value, "the model's density is infinite at 1 data point(s)")
    with pytest.raises(InputError) as e:
        knn_against_model(x, lambda v: np.zeros(len(v)), z[:1], 0.0)
    _one_line(e.value, "the model sample has 1 point(s)")
    with pytest.raises(InputError) as e:
        knn_against_model(np.zeros((4, 2)) + [[0, 1]] * 4, lambda v: np.zeros(len(v)), np.eye(2), 0.0)
    _one_line(e.value, "the data: all 4 points are identical")


# ---------------------------------------------------------------------------
# Permutation test and bootstrap


def test_permutation_test_p_values():
    rng = np.random.default_rng(7)
    far = knn_permutation_test(rng.normal(0, 1, 300), rng.normal(1.5, 1, 300), permutations=49, seed=1)
    assert far.p_value == {key: 1 / 50 for key in ("kl_pq", "kl_qp", "js_divergence")}
    assert far.permutations == 49 and far.seed == 1 and far.notes
    same = [
        knn_permutation_test(rng.normal(0, 1, 200), rng.normal(0, 1, 150), permutations=19, seed=s).p_value["kl_pq"]
        for s in range(20)
    ]
    assert all(p in {(1 + h) / 20 for h in range(20)} for p in same)
    assert 0.2 < float(np.mean(same)) < 0.8  # about uniform under the null
    x = rng.normal(0, 1, (80, 2))
    again = [knn_permutation_test(x, x + 0.1, permutations=9, seed=3) for _ in range(2)]
    assert again[0] == again[1]
    assert knn_permutation_test(x, x, permutations=9, seed=3).p_value["kl_pq"] == 1.0
    with pytest.raises(UsageError):
        knn_permutation_test(x, x, permutations=0)


def test_bootstrap_intervals():
    rng = np.random.default_rng(9)
    x, y = rng.normal(0, 1, 1500), rng.normal(0.5, 1, 1500)
    point = knn_divergences(x, y).metrics
    found = knn_bootstrap(x, y, resamples=99, confidence=0.9, seed=2)
    assert found.resamples == 99 and found.confidence == 0.9
    assert set(found.bounds) == {"kl_pq", "kl_qp", "js_divergence", "hellinger", "entropy_p", "entropy_q"}
    for key, (low, high) in found.bounds.items():
        assert low <= point[key] <= high, key  # copies are not neighbours: centred on the estimate
    assert any("distinct points" in note for note in found.notes)
    assert knn_bootstrap(x, y, resamples=99, confidence=0.9, seed=2) == found
    same = knn_bootstrap(x, x[::-1].copy(), resamples=20, seed=2)
    assert all(same.bounds[key] == (0.0, 0.0) for key in DIVERGENCES)
    with pytest.raises(UsageError):
        knn_bootstrap(x, y, resamples=0)
    with pytest.raises(UsageError):
        knn_bootstrap(x, y, resamples=10, confidence=1.0)
    with pytest.raises(InputError) as e:
        knn_bootstrap([0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 2.0], resamples=200, seed=1)
    _one_line(e.value, "a bootstrap resample left P with fewer than 2 distinct values")


def test_bootstrap_width_follows_the_sampling_spread():
    """Over fresh draws the estimate's spread and the interval's width agree (within 25%)."""
    spread = np.std([r["kl_pq"] for r in _draws((0, 1), (1, 1), 30, size=2000)])
    rng = np.random.default_rng(12)
    found = knn_bootstrap(rng.normal(0, 1, 2000), rng.normal(1, 1, 2000), resamples=200, confidence=0.6827, seed=4)
    half_width = (found.bounds["kl_pq"][1] - found.bounds["kl_pq"][0]) / 2
    assert half_width == pytest.approx(spread, rel=0.25)


def test_describe_is_one_line():
    est = knn_divergences(np.round(np.arange(50) / 7), np.arange(30.0), k=2)
    text = est.describe()
    assert "\n" not in text and "k = 2" in text and "50 against 30 points in 1 dimension" in text
    assert "tied points" in text


# ---------------------------------------------------------------------------
# The benchmark group


def test_benchmark_knn_group_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--only", "knn"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "| knn: `knn_divergences(x, y)`" in out and "cKDTree" in out and "≤ 0.1 (10x faster)" in out
    assert "knn: relative difference from the cKDTree estimator" in out and ": OK (≤ 1e-12)" in out
    assert "Nearest-neighbour accuracy" in out
    assert "| N(0,1) vs N(0,2) | kl_qp | 0.8069 |" in out


# ---------------------------------------------------------------------------
# Rounded data: the tie rule's mean order (issue #12)


@pytest.mark.parametrize("step", [0.1, 0.5])
def test_rounded_samples_give_the_entropies_of_the_unrounded(step):
    """Rounded to 0.1 (not exact in binary) or 0.5 (exact): the entropies within 2% of
    the unrounded truth (raising the order to the first positive distance gave log 2 more)."""
    truth = 0.5 * math.log(2 * math.pi * math.e)
    rng = np.random.default_rng(11)
    runs = [
        knn_divergences(
            np.round(rng.normal(0, 1, 10_000) / step) * step, np.round(rng.normal(1, 1, 10_000) / step) * step
        ).metrics
        for _ in range(3)
    ]
    for key in ("entropy_p", "entropy_q"):
        assert _mean(runs, key) == pytest.approx(truth, rel=0.02), key
    if step == 0.1:
        for key in ("kl_pq", "kl_qp"):
            assert _mean(runs, key) == pytest.approx(0.5, rel=0.05), key


def _rounded_plane_runs():
    rng = np.random.default_rng(13)
    runs = [
        knn_divergences(np.round(rng.normal(0, 1, (5000, 2)), 1), np.round(rng.normal(1, 1, (5000, 2)), 1)).metrics
        for _ in range(2)
    ]
    return runs


def test_rounded_plane_gives_the_kl_of_the_unrounded():
    runs = _rounded_plane_runs()
    for key in ("kl_pq", "kl_qp"):
        assert _mean(runs, key) == pytest.approx(1.0, rel=0.10), key  # the unrounded plane's target


@pytest.mark.xfail(
    strict=True, reason="known: on a 2-D lattice with about one point a cell the mean order overstates H by ~0.1"
)
def test_rounded_plane_gives_the_entropies_of_the_unrounded():
    runs = _rounded_plane_runs()
    for key in ("entropy_p", "entropy_q"):
        assert _mean(runs, key) == pytest.approx(math.log(2 * math.pi * math.e), rel=0.03), key
