"""Issue 11, the numerical part: arithmetic independent of scale, permutation
tests of pooled counts of any size, bootstrap in bounded memory, resampling
progress and interrupts, and data never read as markup in the spinner.

References are independent of the code under test: exact rationals
(``fractions.Fraction`` of every float weight) with 60-digit decimals for the
logarithms and square roots; scipy's hypergeometric pmf, chi-square and
Kolmogorov-Smirnov tests (fixed seeds) for the sampler; numpy's own
``quantile(method="inverted_cdf")`` for the bootstrap's order statistics.
"""

from __future__ import annotations

import io
import math
import signal
import subprocess
import sys
import time
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from helpers import (
    METRIC_IDS,
    assert_one_line_error,
    describe,
    exact_smoothed,
    process_cpu_seconds,
    process_rss_mb,
    run,
    run_measured,
    strict_json,
    write_csv,
)
from hypothesis import assume, example, given
from hypothesis import strategies as st

from kl_cli import compare
from kl_cli.core import quantiles, significance
from kl_cli.core.quantiles import OrderStatistic, order_index
from kl_cli.core.sampling import hypergeometric
from kl_cli.core.significance import bootstrap_intervals, permutation_test
from kl_cli.core.smoothing import Smoothing
from kl_cli.reports.compare import compare_histograms
from kl_cli.reports.drift import run_drift

# A numpy RuntimeWarning (overflow, invalid value, 0 * inf) would be a line on
# a real run's stderr: here it is an error.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

INF = math.inf
D_INF = Decimal("Infinity")
LN = {"e": Decimal(1), "2": Decimal(2).ln(), "10": Decimal(10).ln()}
PARAMETER = {"additive": "alpha", "epsilon": "epsilon", "mix": "lambda_"}


# ---------------------------------------------------------------------------
# The exact reference: every float weight as a Fraction, smoothing in
# rationals, logarithms and roots in 60-digit decimals.


def _dec(x: Fraction) -> Decimal:
    return Decimal(x.numerator) / Decimal(x.denominator)


def exact(pw, qw, method: str = "none", parameter: float | None = None, base: str = "e") -> dict:
    """Every metric exactly (Decimal, Infinity where infinite), and for each the
    size of what rounding can disturb (``scale``), from the given floats."""
    with localcontext() as ctx:
        ctx.prec = 60
        P = [_dec(x) for x in exact_smoothed([Fraction(float(x)) for x in pw], method, parameter)]
        Q = [_dec(x) for x in exact_smoothed([Fraction(float(x)) for x in qw], method, parameter)]
        b = Decimal(1) if base == "e" else Decimal(int(base)).ln()
        kl_pq = kl_qp = js = h_p = h_q = Decimal(0)
        abs_terms = Decimal(0)
        log_scale = Decimal(0)  # sum (p + q)(1 + |ln p| + |ln q|): the size of the logs' rounding
        for a, c in zip(P, Q):
            la = a.ln() if a > 0 else None
            lc = c.ln() if c > 0 else None
            log_scale += (a + c) * (1 + (abs(la) if la is not None else 0) + (abs(lc) if lc is not None else 0))
            m = (a + c) / 2
            if a > 0:
                t = a * (la - lc) if lc is not None else D_INF
                kl_pq += t
                abs_terms += abs(t)
                js += a * (a / m).ln() / 2
                h_p -= a * la
            if c > 0:
                t = c * (lc - la) if la is not None else D_INF
                kl_qp += t
                abs_terms += abs(t)
                js += c * (c / m).ln() / 2
                h_q -= c * lc
        js = max(js, Decimal(0))  # 60-digit rounding of a 0
        tv = sum((abs(a - c) for a, c in zip(P, Q)), Decimal(0)) / 2
        hel2 = sum(((a.sqrt() - c.sqrt()) ** 2 for a, c in zip(P, Q)), Decimal(0)) / 2
        values = {
            "kl_pq": kl_pq / b,
            "kl_qp": kl_qp / b,
            "js_divergence": js / b,
            "js_distance": (js / b).sqrt(),
            "jeffreys": (kl_pq + kl_qp) / b,
            "cross_entropy_pq": (h_p + kl_pq) / b,
            "cross_entropy_qp": (h_q + kl_qp) / b,
            "entropy_p": h_p / b,
            "entropy_q": h_q / b,
            "total_variation": tv,
            "hellinger": hel2.sqrt(),
        }
        return {"values": values, "abs_terms": abs_terms / b, "log_scale": log_scale / b, "hel2": hel2}


def assert_exact(metrics: dict[str, float], ref: dict, rel: float = 1e-12) -> None:
    """Each metric within rounding of the exact value: relative ``rel`` of the
    value and of its terms, plus 1e-14 of the logarithms' size (a log of -700
    carries 1e-13 of rounding); the roots through their squares."""
    with localcontext() as ctx:
        ctx.prec = 60
        v = ref["values"]
        r, slack = Decimal(rel), Decimal("1e-14") * ref["log_scale"] + Decimal("1e-300")
        for key in METRIC_IDS:
            got, want = metrics[key], v[key]
            if want.is_infinite():
                assert got == INF, (key, got)
                continue
            assert math.isfinite(got), (key, got, want)
            if key in ("js_distance", "hellinger"):
                continue
            tol = r * (abs(want) + ref["abs_terms"]) + slack
            if key == "total_variation":
                tol = r * want + Decimal("1e-15")
            assert abs(Decimal(got) - want) <= tol, (key, got, want)
        js = v["js_divergence"]
        if js.is_finite():
            d = Decimal(metrics["js_distance"])
            assert abs(d * d - js) <= r * (js + ref["abs_terms"]) + slack, ("js_distance", d, js)
        # Each sqrt(p) carries ~1e-16 of its own rounding: hel**2 is good to
        # ~1e-16 of hel, plus ~1e-32 where P and Q agree to rounding.
        h = Decimal(metrics["hellinger"])
        assert abs(h * h - ref["hel2"]) <= r * ref["hel2"] + Decimal("1e-15") * v["hellinger"] + Decimal("1e-30"), (
            "hellinger",
            h,
            v["hellinger"],
        )


def _api(pw, qw, method: str = "none", parameter: float | None = None, base: str = "e"):
    extra = {} if method == "none" else {PARAMETER[method]: parameter}
    return compare([float(x) for x in pw], [float(x) for x in qw], base=base, smoothing=method, **extra)


# ---------------------------------------------------------------------------
# 1. Arithmetic independent of scale


def test_issue_ratio_beyond_the_float_range_is_finite_and_exact(kl):
    """`compare a=1e200,b=1e-200 a=1,b=1`: p_b = 1e-400 is 0 as a float, yet
    KL(Q||P) = 459.82 nats, not infinite (it said "P gives 0 to 'b'")."""
    result, data = kl.report("a=1e200,b=1e-200", "a=1,b=1")
    assert data["infinite"] == [] and data["infinite_causes"] == {"kl_pq": [], "kl_qp": []}
    assert "gives 0" not in " ".join(data["explanation"])
    assert data["metrics"]["kl_qp"] == pytest.approx(459.8239, abs=1e-4)
    # 0.5 ln(0.5) + 0.5 ln(0.5 / 1e-400) = 200 ln 10 - ln 2, exactly
    with localcontext() as ctx:
        ctx.prec = 60
        truth = 200 * Decimal(10).ln() - Decimal(2).ln()
    assert abs(Decimal(data["metrics"]["kl_qp"]) - truth) <= Decimal("1e-12") * truth
    assert_exact({k: INF if v is None else v for k, v in data["metrics"].items()}, exact([1e200, 1e-200], [1, 1]))
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("base", ["e", "2", "10"])
@pytest.mark.parametrize(
    ("pw", "qw"),
    [
        ([1e200, 1e-200], [1, 1]),
        ([1e-200, 1e200], [3, 1e-300]),
        ([1.7e308, 1.7e308, 1e-20], [1, 1, 1]),  # the total overflows: scaled, and 1e-20 kept exactly
        ([1.7e308, 1e-300, 5e-324], [5e-324, 1.0, 1e308]),
        ([5e-324, 1e-310, 1.0], [1.0, 5e-324, 5e-324]),
        ([1e300, 1e-300, 1e-10, 7.0], [1e-300, 1e300, 2.0, 1e-5]),
    ],
)
def test_extreme_ratios_agree_with_exact_arithmetic(pw, qw, base):
    assert_exact(_api(pw, qw, base=base).metrics, exact(pw, qw, base=base))


@pytest.mark.parametrize(
    ("method", "parameter"), [("additive", 1e-300), ("additive", 0.5), ("epsilon", 1e-250), ("mix", 1e-290)]
)
@pytest.mark.parametrize(
    ("pw", "qw"),
    [([1e200, 0.0], [1.0, 1.0]), ([1.7e308, 1.7e308, 0.0], [1.0, 2.0, 3.0]), ([1e-200, 1e200, 0.0], [0.0, 1.0, 1.0])],
)
def test_smoothing_of_extreme_weights_agrees_with_exact_arithmetic(pw, qw, method, parameter):
    """The smoothed probabilities may fall below the float range (1e-300 / 1e200);
    their logarithms do not, so every smoothed divergence stays finite and right."""
    m = _api(pw, qw, method, parameter).metrics
    assert all(math.isfinite(v) for v in m.values()), m
    assert_exact(m, exact(pw, qw, method, parameter))


def test_a_true_zero_is_an_exact_infinity_named_by_its_label(kl):
    """P gives 'b' 1e-400 (0 as a float, but positive) and Q gives it exactly 0:
    KL(P||Q) is infinite because of 'b', and said so; KL(Q||P) is finite."""
    data = kl.json("a=1e200,b=1e-200", "a=1")
    assert set(data["infinite"]) == {"kl_pq", "jeffreys", "cross_entropy_pq"}
    assert data["infinite_causes"] == {"kl_pq": ["b"], "kl_qp": []}
    assert data["metrics"]["kl_qp"] == pytest.approx(0.0, abs=1e-300)
    assert any("Q gives 0 to 'b'" in line for line in data["explanation"]), data["explanation"]
    assert not any("P gives 0%" in line for line in data["explanation"])
    # The other way round, and with the zero from a missing label on the P side.
    back = kl.json("a=1", "a=1e200,b=1e-200")
    assert back["infinite_causes"] == {"kl_pq": [], "kl_qp": ["b"]}
    assert back["metrics"]["kl_qp"] is None and back["metrics"]["kl_pq"] is not None


def test_no_positive_weight_is_lost_when_the_total_overflows(kl):
    """1.7e308 twice overflows a float total: the weights are scaled by a power of
    two, and a 1e-20 beside them used to underflow to 0 (an infinite KL)."""
    data = kl.json("a=1.7e308,b=1.7e308,c=1e-20", "a=1,b=1,c=1")
    assert data["infinite"] == []
    assert_exact({k: v for k, v in data["metrics"].items()}, exact([1.7e308, 1.7e308, 1e-20], [1, 1, 1]))
    # duplicates merged on both sides of the scaling
    merged = compare("a=1.7e308,b=1.7e308,c=1e-20,c=2e-20", "a=1,b=1,c=1")
    assert_exact(merged.metrics, exact([1.7e308, 1.7e308, 3e-20], [1, 1, 1]))


@pytest.mark.parametrize("weight", ["1e-5000", "2.5E-400", "0.0000001e-330"])
def test_an_inline_weight_below_the_float_range_is_refused_not_read_as_0(weight):
    """1e-5000 used to be read as 0, which makes KL(Q||P) infinite; 0e5 and 0.000 are 0."""
    result = run("compare", f"a={weight},b=1", "a=1,b=1", "--format", "json")
    assert_one_line_error(result, "below the smallest float")
    assert weight in result.stderr
    for zero in ("0e5", "0.000", "-0.0"):
        data = strict_json(run("compare", f"a={zero},b=1", "a=1,b=1", "--format", "json").stdout)
        assert data["infinite"] == ["kl_qp", "jeffreys", "cross_entropy_qp"], (zero, data["infinite"])


def test_positive_weights_beside_a_total_that_overflows_are_not_counts():
    """The 1e-20 weight makes P non-whole: not 'counts' (scaling rounded it to 0 before)."""
    r = compare("a=1.7e308,b=1.7e308,c=1e-20", "a=1,b=1,c=1")
    assert not any("counts with total" in n and n.startswith("P") for n in r.notes), r.notes


# Weights from 0 to the ends of the float range, in one vector.
_wide = st.one_of(
    st.just(0.0),
    st.integers(1, 1000).map(float),
    st.floats(min_value=1e-200, max_value=1e200),
    st.floats(min_value=5e-324, max_value=1.7e308),
)


@st.composite
def _pair(draw: st.DrawFn, weight: st.SearchStrategy = _wide) -> tuple[list[float], list[float]]:
    k = draw(st.integers(1, 7))
    p = draw(st.lists(weight, min_size=k, max_size=k))
    q = draw(st.lists(weight, min_size=k, max_size=k))
    assume(any(x > 0 for x in p) and any(x > 0 for x in q))
    return p, q


@given(_pair(), st.sampled_from([("none", None), ("epsilon", 1e-9), ("mix", 0.01), ("additive", 0.5)]))
@example(([1e200, 1e-200], [1.0, 1.0]), ("none", None))
@example(([1.7e308, 1.7e308, 1e-20], [1.0, 0.0, 1.0]), ("none", None))
@example(([5e-324, 1.7e308], [1.7e308, 5e-324]), ("mix", 0.01))
def test_every_metric_agrees_with_exact_arithmetic_over_the_float_range(pq, smoothing):
    pw, qw = pq
    method, parameter = smoothing
    assert_exact(_api(pw, qw, method, parameter).metrics, exact(pw, qw, method, parameter))


@given(_pair(), st.sampled_from(["none", "epsilon", "mix"]))
@example(([1e200, 1e-200], [1.0, 1.0]), "none")
def test_finite_exactly_where_the_supports_agree(pq, method):
    """Infinite KL(P||Q) exactly when some weight of P is positive where Q's is
    exactly 0, whatever the magnitudes; never NaN. Smoothing other than none
    leaves no zero, so nothing is infinite."""
    pw, qw = pq
    r = _api(pw, qw, method, {"none": None, "epsilon": 1e-9, "mix": 0.01}[method])
    assert not any(math.isnan(v) for v in r.metrics.values())
    assert not np.isnan(r.terms_pq).any() and not np.isnan(r.terms_qp).any()
    zero_q = [i for i, (a, b) in enumerate(zip(pw, qw)) if a > 0 and b == 0]
    zero_p = [i for i, (a, b) in enumerate(zip(pw, qw)) if b > 0 and a == 0]
    if method != "none":
        zero_q = zero_p = []
    assert math.isinf(r.metrics["kl_pq"]) == bool(zero_q)
    assert math.isinf(r.metrics["kl_qp"]) == bool(zero_p)
    assert r.zero_in_q() == [str(i) for i in zero_q] and r.zero_in_p() == [str(i) for i in zero_p]
    for key in ("js_divergence", "js_distance", "total_variation", "hellinger", "entropy_p", "entropy_q"):
        assert math.isfinite(r.metrics[key]), key


def _same_results(a, b) -> None:
    """Bit-identical results: every metric, probability and term, and the causes."""
    assert a.metrics == b.metrics
    assert np.array_equal(a.p, b.p) and np.array_equal(a.q, b.q)
    assert np.array_equal(a.terms_pq, b.terms_pq) and np.array_equal(a.terms_qp, b.terms_qp)
    assert a.zero_in_q() == b.zero_in_q() and a.zero_in_p() == b.zero_in_p()


@given(
    _pair(st.one_of(st.just(0.0), st.integers(1, 10**6).map(float), st.floats(min_value=1e-200, max_value=1e200))),
    st.integers(-300, 300),
    st.integers(-300, 300),
    st.sampled_from([("none", None), ("epsilon", 1e-9), ("mix", 0.01)]),
)
@example(([1e200, 1e-200], [1.0, 1.0]), 1, -300, ("none", None))
@example(([0.1, 0.2, 0.7], [1.0, 2.0, 3.0]), 1, 0, ("none", None))  # a sum within rounding of 1
def test_power_of_two_factors_give_bit_identical_results(pq, k_p, k_q, smoothing):
    """P times 2**k_p and Q times 2**k_q (exact in floats here) are the same
    distributions: every number is bit-for-bit the same."""
    pw, qw = pq
    method, parameter = smoothing
    plain = _api(pw, qw, method, parameter)
    scaled = _api([math.ldexp(x, k_p) for x in pw], [math.ldexp(x, k_q) for x in qw], method, parameter)
    _same_results(plain, scaled)


def _close(key: str, a: float, b: float, terms: float) -> bool:
    """Equal up to rounding: relative 1e-12 of the value or of the size of its
    terms (divergences of nearly equal distributions are sums that cancel, and
    float probabilities carry 1e-16 each); the roots through their squares."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    if key in ("js_distance", "hellinger"):
        a, b = a * a, b * b
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), terms) + 1e-13


@given(
    _pair(st.one_of(st.just(0.0), st.integers(1, 10**6).map(float), st.floats(min_value=1e-5, max_value=1e5))),
    st.integers(-300, 300),
    st.integers(-300, 300),
    st.sampled_from([("none", None), ("epsilon", 1e-9), ("mix", 0.01)]),
)
@example(([1.0, 3.0], [2.0, 2.0]), 300, -300, ("none", None))
def test_powers_of_ten_give_the_same_results_to_rounding(pq, k_p, k_q, smoothing):
    pw, qw = pq
    method, parameter = smoothing
    plain = _api(pw, qw, method, parameter)
    scaled = _api([x * 10.0**k_p for x in pw], [x * 10.0**k_q for x in qw], method, parameter)
    terms = float(
        np.abs(plain.terms_pq[np.isfinite(plain.terms_pq)]).sum()
        + np.abs(plain.terms_qp[np.isfinite(plain.terms_qp)]).sum()
    )
    for key in METRIC_IDS:
        a, b = plain.metrics[key], scaled.metrics[key]
        assert _close(key, a, b, terms), (key, a, b)
    assert plain.zero_in_q() == scaled.zero_in_q() and plain.zero_in_p() == scaled.zero_in_p()


@given(
    st.lists(st.floats(min_value=1e-150, max_value=1e150), min_size=2, max_size=6),
    st.integers(-150, 150),
)
def test_powers_of_ten_on_extreme_weights_agree_with_exact_arithmetic(w, k):
    """Ratios up to 1e300 in a vector times 10**k: the scaled input is exactly
    another input, so the exact reference of the scaled floats is the truth."""
    q = list(reversed(w))
    scaled = [x * 10.0**k for x in w]
    assert_exact(_api(scaled, q).metrics, exact(scaled, q))


def test_the_cli_gives_identical_output_for_proportional_inputs(kl):
    """Inputs 4x, 1/1024x and 1e200x apart: the same numbers in the JSON report."""
    base = kl.json("a=3,b=5,c=0,d=1e-200", "a=1,b=1,c=1,d=1")
    for factor in (4.0, 1 / 1024, 2.0**600):
        p = ",".join(f"{k}={v * factor!r}" for k, v in zip("abcd", (3.0, 5.0, 0.0, 1e-200)))
        other = kl.json(p, "a=1,b=1,c=1,d=1")
        assert other["metrics"] == base["metrics"] and other["categories"] == base["categories"], factor
        assert other["infinite_causes"] == base["infinite_causes"] == {"kl_pq": [], "kl_qp": ["c"]}
    tens = kl.json("a=3e200,b=5e200,c=0,d=1", "a=1,b=1,c=1,d=1")
    for key, value in base["metrics"].items():
        assert (value is None) == (tens["metrics"][key] is None), key
        if value is not None:
            assert tens["metrics"][key] == pytest.approx(value, rel=1e-12, abs=1e-13), key


def test_additive_smoothing_is_not_scale_free_by_definition():
    """alpha is a number of observations: one pseudo-count weighs less against
    counts 1000 and 3000 than against 1 and 3. Documented, not hidden; the
    other smoothings are scale-free (tests above)."""
    small = compare("a=1,b=3,c=0", "a=1,b=1,c=1", smoothing="additive", alpha=1.0)
    large = compare("a=1000,b=3000,c=0", "a=1,b=1,c=1", smoothing="additive", alpha=1.0)
    assert small.p.tolist() == pytest.approx([2 / 7, 4 / 7, 1 / 7], rel=1e-15)
    assert large.p.tolist() == pytest.approx([1001 / 4003, 3001 / 4003, 1 / 4003], rel=1e-15)
    assert small.metrics["kl_pq"] != pytest.approx(large.metrics["kl_pq"], rel=1e-3)
    for name in ("epsilon", "mix"):
        a = compare("a=1,b=3,c=0", "a=1,b=1,c=1", smoothing=name)
        b = compare("a=1000,b=3000,c=0", "a=1,b=1,c=1", smoothing=name)
        assert a.metrics == pytest.approx(b.metrics, rel=1e-14), name
    from kl_cli.core import smoothing

    assert "not scale-free" in smoothing.smooth.__doc__


def test_identical_extreme_inputs_give_exactly_zero():
    for w in ([1e200, 1e-200], [1.7e308, 1.7e308, 1e-20], [5e-324, 1.0, 0.0]):
        m = _api(w, w).metrics
        for key in ("kl_pq", "kl_qp", "js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger"):
            assert m[key] == 0.0 and math.copysign(1.0, m[key]) == 1.0, (w, key, m[key])


def test_the_hellinger_distance_of_probabilities_below_the_float_range():
    """P = (1, 1e-400) against Q = (1, 0): sqrt(1e-400 / 2) = 7.07e-201 is a float."""
    r = compare("a=1e200,b=1e-200", "a=1")
    assert r.metrics["hellinger"] == pytest.approx(math.sqrt(0.5) * 1e-200, rel=1e-12)


# ---------------------------------------------------------------------------
# 2. Permutation tests of pooled counts of any size


def _chisquare_pvalue(observed: np.ndarray, expected: np.ndarray) -> float:
    """Goodness of fit, cells with expected counts under 5 pooled into one."""
    from scipy.stats import chisquare

    small = expected < 5
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return float(chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


@pytest.mark.parametrize(
    ("ball_by_ball", "label"),
    [(1, "thinning down to single balls"), (4, "thinning, then ball by ball"), (10**9, "ball by ball only")],
)
def test_the_big_sampler_has_the_exact_hypergeometric_law(ball_by_ball, label):
    """Forced onto the path for populations beyond numpy's limit (here a small
    one, where the exact law is known): the marginal of a colour follows
    scipy's hypergeometric pmf and the joint law of two colours the exact
    multivariate one, by chi-square at a fixed seed."""
    from scipy.stats import hypergeom

    colors = np.array([30, 50, 20])
    n, size = 40, 20000
    draws = hypergeometric(np.random.default_rng(11), colors, n, size, numpy_limit=0, ball_by_ball=ball_by_ball)
    assert draws.shape == (size, 3) and (draws.sum(axis=1) == n).all()
    assert (draws >= 0).all() and (draws <= colors).all()
    support = np.arange(0, 31)
    observed = np.bincount(draws[:, 0], minlength=31)[:31]
    expected = hypergeom(100, 30, n).pmf(support) * size
    assert _chisquare_pvalue(observed, expected) > 1e-3, label
    pairs = {}
    for a, b in draws[:, :2].tolist():
        pairs[(a, b)] = pairs.get((a, b), 0) + 1
    cells = [(a, b) for a in range(31) for b in range(51) if 0 <= n - a - b <= 20]
    exp_joint = np.array([math.comb(30, a) * math.comb(50, b) * math.comb(20, n - a - b) for a, b in cells], float)
    exp_joint *= size / math.comb(100, n)
    obs_joint = np.array([pairs.get(c, 0) for c in cells], float)
    assert obs_joint.sum() == size
    assert _chisquare_pvalue(obs_joint, exp_joint) > 1e-3, label


def test_the_big_sampler_agrees_with_numpys_sampler():
    """Where both work: the KL between the two halves of each split has one law
    whichever sampler made the split (Kolmogorov-Smirnov, fixed seeds)."""
    from scipy.stats import ks_2samp

    colors = np.array([400, 300, 200, 100, 5])
    n = 450
    mine = hypergeometric(np.random.default_rng(1), colors, n, 4000, numpy_limit=0, ball_by_ball=16)
    theirs = np.random.default_rng(2).multivariate_hypergeometric(colors, n, size=4000)
    from kl_cli.core.measures import measure_many

    def kl(d):
        return measure_many(d / n, (colors - d) / (colors.sum() - n))["kl_pq"]

    assert ks_2samp(kl(mine), kl(theirs)).pvalue > 1e-3
    assert np.allclose(mine.mean(axis=0), colors * n / colors.sum(), rtol=0.02)


def test_the_big_sampler_is_used_beyond_numpys_limit_and_keeps_totals_exact():
    colors = np.array([1_500_000_000, 700_000_000, 1_400_000_000, 800_000_000])
    n = 2_200_000_000
    with pytest.raises(ValueError, match="1000000000"):  # what numpy says, and why the other sampler exists
        np.random.default_rng(0).multivariate_hypergeometric(colors, n)
    draws = hypergeometric(np.random.default_rng(0), colors, n, 300)
    assert draws.dtype == np.int64 and (draws.sum(axis=1) == n).all() and (draws <= colors).all()
    total = colors.sum()
    sd = np.sqrt(n * colors / total * (1 - colors / total) * (total - n) / (total - 1))
    z = (draws.mean(axis=0) - n * colors / total) / (sd / np.sqrt(300))
    assert (np.abs(z) < 5).all(), z
    # near the int64 limit: 2**62 - 1 balls a colour
    huge = np.array([2**62 - 1, 2**61, 3], dtype=np.int64)
    d = hypergeometric(np.random.default_rng(1), huge, 2**62, 20)
    assert (d.sum(axis=1) == 2**62).all() and (d <= huge).all() and (d >= 0).all()


def test_permutation_test_through_the_cli_beyond_two_billion(kl):
    """Pooled counts of 2.2e9 and 1.5e9 per category (numpy refuses 1e9)."""
    p, q = "a=1500000000,b=700000000", "a=1400000000,b=800000000"
    result, data = kl.report(p, q, "--permutations", "199", "--seed", "1")
    test = data["test"]
    assert test["permutations"] == 199
    # a shift of 2.3 percentage points on 2.2 billion a side: nothing in 199 permutations comes close
    divergences = ("kl_pq", "kl_qp", "js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger")
    assert all(test["p_value"][k] == pytest.approx(1 / 200) for k in divergences), test["p_value"]
    # Under "no difference", KL between the two halves of the pool averages
    # (K - 1) / 2 * (1/n_p + 1/n_q) (a chi-square / 2 n): 4.5e-10 here.
    expected = 0.5 * (1 / 2.2e9 + 1 / 2.2e9)
    assert test["null_mean"]["kl_pq"] == pytest.approx(expected, rel=0.5)
    assert "Traceback" not in result.stderr
    same = kl.json("a=1500000000,b=700000000", "a=1500000000,b=700003000", "--permutations", "199", "--seed", "1")
    assert same["test"]["p_value"]["kl_pq"] > 0.05  # 3,000 in 700 million is noise at these sizes


def test_permutation_p_values_beyond_numpys_limit_are_calibrated():
    """Twenty pairs of samples of one distribution with 2.4e9 pooled: the
    p-values are uniform (their mean within 3 standard errors of 1/2)."""
    rng = np.random.default_rng(7)
    shares = np.array([0.5, 0.3, 0.15, 0.05])
    p_values = []
    for _ in range(20):
        pc = rng.multinomial(1_200_000_000, shares).astype(float)
        qc = rng.multinomial(1_200_000_000, shares).astype(float)
        from kl_cli.core.measures import measure

        observed = measure(pc / pc.sum(), qc / qc.sum()).metrics
        test = permutation_test(
            pc, qc, observed, permutations=49, smoothing=Smoothing(), base="e", seed=int(rng.integers(1 << 30))
        )
        p_values.append(test.p_value["js_divergence"])
    assert abs(np.mean(p_values) - 0.5) < 3 * 0.289 / math.sqrt(20), p_values


def test_counts_beyond_the_int64_range_are_one_clear_line(kl):
    line = kl.error("a=5e18,b=1", "a=1,b=1", "--permutations", "9")
    assert "P" in line and "too large to resample" in line
    line = kl.error("a=1,b=1", "a=3e18,b=3e18", "--bootstrap", "9")
    assert "Q" in line and "too large to resample" in line
    line = kl.error("a=1e308,b=1e308", "a=1,b=1", "--permutations", "9")
    assert "too large to resample" in line
    # just below: 2**62 - 1 observations a side is fine
    data = kl.json("a=3e18,b=1e18", "a=2e18,b=2e18", "--permutations", "19", "--seed", "2")
    assert data["test"]["p_value"]["kl_pq"] == pytest.approx(1 / 20)


def test_a_stated_sample_size_beyond_the_int64_range_is_one_clear_line():
    result = run("compare", "0.5,0.5", "0.4,0.6", "--n-p", str(10**19), "--n-q", "100", "--permutations", "9")
    assert_one_line_error(result)
    assert "internal error" not in result.stderr


# ---------------------------------------------------------------------------
# 3. Bootstrap in bounded memory, exact percentiles


@pytest.mark.parametrize(
    ("values", "label"),
    [
        (np.random.default_rng(1).normal(size=30000), "continuous"),
        (np.random.default_rng(2).integers(0, 5, size=30000).astype(float), "ties"),
        (np.where(np.random.default_rng(3).random(30000) < 0.1, np.inf, 1.0), "infinite values"),
    ],
)
@pytest.mark.parametrize("q", [0.0, 1e-4, 0.025, 0.5, 0.975, 1 - 1e-4, 1.0])
def test_order_statistics_are_numpys_inverted_cdf(values, label, q):
    """Streamed in batches past a tiny cap (so the bracket narrows many times)."""
    index = order_index(values.size, q)
    tracker = OrderStatistic(values.size, index, cap=32)
    for start in range(0, values.size, 700):
        tracker.add(values[start : start + 700])
    assert tracker.value() == np.quantile(values, q, method="inverted_cdf"), label


def test_order_statistics_stay_exact_when_the_bracket_misses():
    """A margin far too small makes the bracket miss the rank: the replay over
    the same values (restricted to the side where the rank lies) is exact."""
    rng = np.random.default_rng(4)
    misses = 0
    for trial in range(30):
        values = rng.exponential(size=20000)
        q = (0.025, 0.975, 0.4)[trial % 3]
        tracker = OrderStatistic(values.size, order_index(values.size, q), z=0.05, cap=16)
        while True:
            for start in range(0, values.size, 250):
                tracker.add(values[start : start + 250])
            value = tracker.value()
            if value is not None:
                break
            misses += 1
            tracker = tracker.replay()
        assert value == np.quantile(values, q, method="inverted_cdf")
    assert misses > 0  # the replay was exercised


def test_order_statistics_keep_few_values():
    """About 2 z sqrt(N f (1 - f)) values are kept, not N."""
    rng = np.random.default_rng(5)
    n = 2_000_000
    tracker = OrderStatistic(n, order_index(n, 0.025))
    most = 0
    for _ in range(n // 20000):
        tracker.add(rng.normal(size=20000))
        most = max(most, tracker._values.size + tracker._n_pending)
    assert tracker.value() is not None
    assert most <= 3 * quantiles.CAP


def _reference_bootstrap(pc, qc, resamples, confidence, seed, batch_rows):
    """The same resamples (same generator, same batches), kept whole, and numpy's quantile."""
    from kl_cli.core.measures import measure_many
    from kl_cli.core.smoothing import smooth

    rng = np.random.default_rng(seed + 1)
    values = {k: [] for k in METRIC_IDS}
    for start in range(0, resamples, batch_rows):
        size = min(batch_rows, resamples - start)
        dp = rng.multinomial(int(pc.sum()), pc / pc.sum(), size=size).astype(float)
        dq = rng.multinomial(int(qc.sum()), qc / qc.sum(), size=size).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = measure_many(smooth(dp, Smoothing()), smooth(dq, Smoothing()))
        for k in METRIC_IDS:
            values[k].append(m[k])
    tail = (1 - confidence) / 2
    return {
        k: tuple(float(x) for x in np.quantile(np.concatenate(v), [tail, 1 - tail], method="inverted_cdf"))
        for k, v in values.items()
    }


def test_bootstrap_intervals_are_exact_percentiles_of_the_resamples(monkeypatch):
    """Many batches and a small cap: the intervals are numpy's inverted-cdf
    percentiles of exactly the resamples drawn, infinite ones included."""
    monkeypatch.setattr(significance, "BATCH_CELLS", 3 * 257)
    monkeypatch.setattr(quantiles, "CAP", 64)
    pc, qc = np.array([12, 8, 6, 2]), np.array([9, 9, 9, 5])
    got = bootstrap_intervals(pc, qc, resamples=20000, confidence=0.9, smoothing=Smoothing(), base="e", seed=3)
    want = _reference_bootstrap(pc.astype(float), qc.astype(float), 20000, 0.9, 3, (3 * 257) // 4)
    assert got.bounds == want
    # 2 of P's 28 on the last category: 0 there in ~13% of resamples, KL(Q||P) infinite
    assert math.isfinite(got.bounds["kl_qp"][0]) and got.bounds["kl_qp"][1] == INF


def test_bootstrap_intervals_stay_exact_when_a_second_pass_is_needed(monkeypatch):
    """With a margin far too small the brackets miss: the resamples are drawn
    again from the saved generator state, and the result is still exact."""
    import functools

    monkeypatch.setattr(significance, "BATCH_CELLS", 4 * 100)
    monkeypatch.setattr(significance, "OrderStatistic", functools.partial(OrderStatistic, z=0.05, cap=16))
    passes = []
    pc, qc = np.array([30, 20, 10, 5]), np.array([20, 20, 20, 10])
    got = bootstrap_intervals(
        pc,
        qc,
        resamples=5000,
        confidence=0.95,
        smoothing=Smoothing(),
        base="e",
        seed=8,
        progress=lambda what, done, total: passes.append(what),
    )
    assert got.bounds == _reference_bootstrap(pc.astype(float), qc.astype(float), 5000, 0.95, 8, 100)
    assert any("drawn again" in what for what in passes)


def test_bootstrap_memory_does_not_grow_with_the_number_of_resamples(tmp_path):
    """Peak RSS of --bootstrap 200000 is about that of --bootstrap 2000 (it grew
    by ~140 MB/s before; no timings are asserted)."""
    args = ["compare", "a=120,b=80,c=60,d=20", "a=90,b=90,c=90,d=50", "--seed", "1", "--format", "json"]
    small = run_measured([*args, "--bootstrap", "2000"], max_rss_mb=1500, timeout=120, cwd=tmp_path)
    large = run_measured([*args, "--bootstrap", "200000"], max_rss_mb=1500, timeout=300, cwd=tmp_path)
    for r in (small, large):
        assert r.killed_for is None and r.returncode == 0, (r.killed_for, r.stderr)
        strict_json(r.stdout.decode())
    assert large.peak_rss_mb <= 1.1 * small.peak_rss_mb, (small.peak_rss_mb, large.peak_rss_mb)


def test_a_huge_bootstrap_is_interrupted_promptly_by_ctrl_c(tmp_path):
    """--bootstrap at the command line's bound (larger is refused at the door):
    memory stays bounded while it runs, and one SIGINT ends it with exit 130
    and one line (a generous limit guards against a hang)."""
    from kl_cli.vocabulary import MAX_RESAMPLES

    proc = subprocess.Popen(
        [sys.executable, "-m", "kl_cli", "compare", "a=12,b=8,c=6", "a=9,b=9,c=9", "--bootstrap", str(MAX_RESAMPLES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while process_cpu_seconds(proc.pid) < 2.0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read()
        rss = process_rss_mb(proc.pid)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    assert rc == 130, err
    assert b"Traceback" not in err
    assert [x for x in err.decode().splitlines() if x.strip()] == ["kl-cli: error: interrupted"]
    assert proc.stdout.read() == b""
    assert rss < 400, rss  # 2 s of the old code was ~300 MB and growing


def test_resampling_reports_progress_after_every_bounded_batch():
    """progress(what, done, total) after each batch; a batch is at most
    BATCH_CELLS resample cells, which is what keeps an interrupt prompt."""
    calls = []
    from kl_cli.core.histogram import make_histogram
    from kl_cli.core.significance import Resampling

    p = make_histogram([120, 80, 60, 20], ["a", "b", "c", "d"], "P")
    q = make_histogram([90, 90, 90, 50], ["a", "b", "c", "d"], "Q")
    r = compare_histograms(
        p,
        q,
        resampling=Resampling(permutations=50_000, bootstrap=40_000, seed=1),
        resample_progress=lambda what, done, total: calls.append((what, done, total)),
    )
    assert r.test is not None and r.intervals is not None
    rows = significance.BATCH_CELLS // 4
    for what, total in (("permutations", 50_000), ("bootstrap resamples", 40_000)):
        mine = [(d, t) for w, d, t in calls if w == what]
        assert [d for d, _ in mine] == [min(total, rows * (i + 1)) for i in range(len(mine))], what
        assert mine[-1] == (total, total) and all(t == total for _, t in mine)


def test_drift_reports_resampling_progress_per_column(tmp_path):
    ref = write_csv(tmp_path / "ref.csv", ["weather"], [["sun"]] * 30 + [["rain"]] * 20)
    cur = write_csv(tmp_path / "cur.csv", ["weather"], [["sun"]] * 20 + [["rain"]] * 30)
    calls = []
    report = run_drift(ref, cur, permutations=99, seed=1, resample_progress=lambda *a: calls.append(a))
    assert report.columns[0].p_value is not None
    assert calls and calls[-1] == ("column 'weather': permutations", 99, 99)


@pytest.mark.parametrize("terminal", [True, False])
def test_resampling_progress_goes_to_the_spinner_only_on_a_terminal(terminal, capsys):
    """The spinner the CLI passes as ``resample_progress``: a status line on its
    (stderr) console when that is a terminal, nothing at all otherwise, and
    never anything on stdout."""
    from rich.console import Console

    from kl_cli.render.progress import ReadProgress
    from kl_cli.reports.compare import run_compare

    buf = io.StringIO()
    progress = ReadProgress(console=Console(file=buf, force_terminal=terminal, width=120))
    progress.DELAY = 0.0
    with progress:
        run_compare("a=120,b=80", "a=90,b=90", permutations=20000, seed=1, resample_progress=progress.resampling)
    assert capsys.readouterr().out == ""
    if terminal:
        assert "permutations: 20,000 of 20,000 (100%)" in buf.getvalue()
    else:
        assert buf.getvalue() == ""


def test_no_progress_when_stderr_is_not_a_terminal():
    result = run("compare", "a=120,b=80", "a=90,b=90", "--bootstrap", "3000", "--permutations", "3000", "--seed", "1")
    assert result.exit_code == 0, describe(result)
    assert "resamples" not in result.stderr and "permutations:" not in result.stderr


# ---------------------------------------------------------------------------
# 4. The spinner: data, never markup

NASTY_PATHS = ["x[/bold].csv", "[blink red]alert.csv", "end\\", "a\\[b]c", "[link=http://x]y[/link].csv"]


@pytest.mark.parametrize("path", NASTY_PATHS)
def test_status_lines_show_paths_as_they_are(path):
    from rich.console import Console

    from kl_cli.render.progress import ReadProgress, read_status, resample_status

    assert read_status(path, 1000) == f"reading {path}: 1,000 rows"
    assert resample_status(f"column {path!r}: permutations", 5, 10) == f"column {path!r}: permutations: 5 of 10 (50%)"
    assert read_status("a\x1b[31mb\nc", 1) == "reading a\\x1b[31mb\\nc: 1 rows"  # controls visible, not raw

    def shown(update) -> str:
        """What a forced-terminal spinner printed for one update."""
        buf = io.StringIO()
        progress = ReadProgress(console=Console(file=buf, force_terminal=True, width=200, color_system="truecolor"))
        progress.DELAY = 0.0
        with progress:
            update(progress)
        return buf.getvalue()

    read = shown(lambda progress: progress(path, 1000))  # x[/bold] raised rich's MarkupError: the run crashed
    assert f"reading {path}: 1,000 rows" in read
    resampled = shown(lambda progress: progress.resampling(f"column {path!r}: bootstrap resamples", 1, 2))
    assert f"column {path!r}: bootstrap resamples: 1 of 2 (50%)" in resampled
    assert "\x1b[5m" not in read + resampled  # no blink


def test_a_file_named_like_markup_reads_on_a_terminal(tmp_path, monkeypatch, capsys):
    """A real run with stderr taken for a terminal and the spinner due at once."""
    from rich.console import Console

    from kl_cli.render.progress import ReadProgress

    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr(ReadProgress, "DELAY", 0.0)
    (tmp_path / "x[").mkdir()  # the path x[/bold].csv: a file bold].csv in a folder x[
    ref = write_csv(tmp_path / "x[/bold].csv", ["weather"], [["sun"]] * 30 + [["rain"]] * 20)
    cur = write_csv(tmp_path / "[blink red]alert.csv", ["weather"], [["sun"]] * 25 + [["rain"]] * 25)
    result = run("drift", ref, cur, "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    strict_json(result.stdout)


@pytest.mark.parametrize("weight", ["1e-5000", "2.5E-400"])
def test_a_json_weight_below_the_float_range_is_refused_not_read_as_0(tmp_path, weight):
    """Python's json reads 1e-5000 as 0.0: the same rule as inline lists now; 0.0e-5000 is 0."""
    path = tmp_path / "p.json"
    path.write_text(f'{{"a": {weight}, "b": 1}}')
    assert_one_line_error(run("compare", str(path), "a=1,b=1"), ["below the smallest float", weight])
    path.write_text('{"a": 0.0e-5000, "b": 1}')
    data = strict_json(run("compare", str(path), "a=1,b=1", "--format", "json").stdout)
    assert data["infinite"] == ["kl_qp", "jeffreys", "cross_entropy_qp"]
