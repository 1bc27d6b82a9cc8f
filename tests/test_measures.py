"""The math: kl_cli.core.measures.measure against known values, scipy, exact
arithmetic and the properties every divergence must have."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from helpers import METRIC_IDS
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

from kl_cli import compare
from kl_cli.core.measures import measure
from kl_cli.vocabulary import METRICS

LN2 = math.log(2.0)
LN10 = math.log(10.0)
BASE_SCALE = {"e": 1.0, "2": LN2, "10": LN10}
SCIPY_BASE = {"e": None, "2": 2, "10": 10}
BASE_FREE = {"total_variation", "hellinger"}


def test_metric_ids_are_the_documented_eleven():
    assert tuple(METRICS) == METRIC_IDS


# ---------------------------------------------------------------------------
# Known values


def test_known_values_from_the_issue():
    m = measure(np.array([0.7, 0.3]), np.array([0.4, 0.6])).metrics
    assert m["kl_pq"] == pytest.approx(0.183787, abs=1e-6)
    assert m["kl_qp"] == pytest.approx(0.192042, abs=1e-6)


def test_known_pair_every_metric_by_hand():
    p, q = (0.7, 0.3), (0.4, 0.6)
    m = measure(np.array(p), np.array(q)).metrics
    kl_pq = 0.7 * math.log(0.7 / 0.4) + 0.3 * math.log(0.3 / 0.6)
    kl_qp = 0.4 * math.log(0.4 / 0.7) + 0.6 * math.log(0.6 / 0.3)
    mid = (0.55, 0.45)
    js = 0.5 * sum(a * math.log(a / c) for a, c in zip(p, mid)) + 0.5 * sum(b * math.log(b / c) for b, c in zip(q, mid))
    expected = {
        "kl_pq": kl_pq,
        "kl_qp": kl_qp,
        "js_divergence": js,
        "js_distance": math.sqrt(js),
        "jeffreys": kl_pq + kl_qp,
        "cross_entropy_pq": -(0.7 * math.log(0.4) + 0.3 * math.log(0.6)),
        "cross_entropy_qp": -(0.4 * math.log(0.7) + 0.6 * math.log(0.3)),
        "entropy_p": -(0.7 * math.log(0.7) + 0.3 * math.log(0.3)),
        "entropy_q": -(0.4 * math.log(0.4) + 0.6 * math.log(0.6)),
        "total_variation": 0.3,
        "hellinger": math.sqrt(0.5 * ((math.sqrt(0.7) - math.sqrt(0.4)) ** 2 + (math.sqrt(0.3) - math.sqrt(0.6)) ** 2)),
    }
    assert set(m) == set(expected)
    for key, value in expected.items():
        assert m[key] == pytest.approx(value, rel=1e-12), key


def test_known_values_in_bits_and_hartleys():
    bits = measure(np.array([0.7, 0.3]), np.array([0.4, 0.6]), "2").metrics
    hart = measure(np.array([0.7, 0.3]), np.array([0.4, 0.6]), "10").metrics
    assert bits["kl_pq"] == pytest.approx(0.18378689738681214 / LN2, rel=1e-12)
    assert hart["kl_qp"] == pytest.approx(0.1920419931617982 / LN10, rel=1e-12)
    # Disjoint supports: JS reaches its bound, log 2, which is exactly 1 bit.
    assert measure(np.array([1.0, 0.0]), np.array([0.0, 1.0]), "2").metrics["js_divergence"] == pytest.approx(1.0)


def test_per_category_terms():
    r = measure(np.array([0.7, 0.3]), np.array([0.4, 0.6]))
    assert r.terms_pq.tolist() == pytest.approx([0.7 * math.log(0.7 / 0.4), 0.3 * math.log(0.3 / 0.6)], rel=1e-14)
    assert r.terms_qp.tolist() == pytest.approx([0.4 * math.log(0.4 / 0.7), 0.6 * math.log(0.6 / 0.3)], rel=1e-14)


def test_zero_conventions():
    # 0 log 0 = 0 and 0 log(0/q) = 0; p log(p/0) = inf.
    m = measure(np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.0, 0.5]))
    assert m.metrics["kl_pq"] == math.inf
    assert m.metrics["kl_qp"] == math.inf
    assert m.metrics["entropy_p"] == pytest.approx(LN2)
    assert m.terms_pq.tolist() == [0.0, math.inf, 0.0]
    assert m.terms_qp.tolist() == [0.0, 0.0, math.inf]
    assert math.isfinite(m.metrics["js_divergence"])


def test_identical_distributions_give_positive_zero():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    r = measure(p, p.copy())
    for key in ("kl_pq", "kl_qp", "js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger"):
        assert r.metrics[key] == 0.0
        assert math.copysign(1.0, r.metrics[key]) == 1.0, f"{key} is -0.0"
    assert all(math.copysign(1.0, t) == 1.0 for t in r.terms_pq.tolist() + r.terms_qp.tolist())


def test_unknown_base_is_rejected():
    with pytest.raises(ValueError, match="base"):
        measure(np.array([0.5, 0.5]), np.array([0.5, 0.5]), "3")


# ---------------------------------------------------------------------------
# Agreement with scipy on random inputs


def _dirichlet(seed: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))


# For K >= 5 Dirichlet draws the sums are well conditioned and 1e-12 relative
# is a plain comparison. With K = 2 or 3, P and Q can be so close that the
# terms of the sum cancel: there both scipy and kl-cli drift ~1e-12 from the
# exact value, so those sizes are checked against exact arithmetic below with
# a tolerance that accounts for the cancellation.
SIZES = (5, 10, 50, 200, 1000)
SEEDS = range(6)


@pytest.mark.parametrize("base", ["e", "2", "10"])
@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_agrees_with_scipy(seed: int, k: int, base: str):
    p, q = _dirichlet(seed * 1000 + k, k)
    b = SCIPY_BASE[base]
    m = measure(p, q, base).metrics
    rel = 1e-12
    assert m["kl_pq"] == pytest.approx(entropy(p, q, base=b), rel=rel)
    assert m["kl_qp"] == pytest.approx(entropy(q, p, base=b), rel=rel)
    assert m["jeffreys"] == pytest.approx(entropy(p, q, base=b) + entropy(q, p, base=b), rel=rel)
    assert m["js_distance"] == pytest.approx(jensenshannon(p, q, base=b), rel=rel)
    assert m["js_divergence"] == pytest.approx(jensenshannon(p, q, base=b) ** 2, rel=rel)
    assert m["entropy_p"] == pytest.approx(entropy(p, base=b), rel=rel)
    assert m["entropy_q"] == pytest.approx(entropy(q, base=b), rel=rel)
    assert m["cross_entropy_pq"] == pytest.approx(entropy(p, base=b) + entropy(p, q, base=b), rel=rel)
    assert m["cross_entropy_qp"] == pytest.approx(entropy(q, base=b) + entropy(q, p, base=b), rel=rel)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scipy_with_zeros(seed: int):
    """Zeros in P only: KL(P||Q) finite, KL(Q||P) infinite, as scipy says."""
    rng = np.random.default_rng(100 + seed)
    k = 20
    p = rng.dirichlet(np.ones(k))
    p[rng.choice(k, size=5, replace=False)] = 0.0
    p = p / p.sum()
    q = rng.dirichlet(np.ones(k))
    m = measure(p, q).metrics
    assert m["kl_pq"] == pytest.approx(entropy(p, q), rel=1e-12)
    assert m["kl_qp"] == math.inf == entropy(q, p)
    assert m["js_distance"] == pytest.approx(jensenshannon(p, q), rel=1e-12)


@pytest.mark.parametrize("base", ["e", "2", "10"])
@pytest.mark.parametrize("seed", range(4))
def test_api_on_raw_counts_agrees_with_scipy(seed: int, base: str):
    """scipy normalizes counts too; compare() must give the same numbers."""
    rng = np.random.default_rng(7 + seed)
    pc = rng.integers(1, 1000, size=12)
    qc = rng.integers(1, 1000, size=12)
    r = compare(pc, qc, base=base)
    b = SCIPY_BASE[base]
    assert r.metrics["kl_pq"] == pytest.approx(entropy(pc, qc, base=b), rel=1e-12)
    assert r.metrics["kl_qp"] == pytest.approx(entropy(qc, pc, base=b), rel=1e-12)
    assert r.metrics["js_distance"] == pytest.approx(jensenshannon(pc, qc, base=b), rel=1e-12)
    assert r.warnings == []  # whole counts are normalized without a warning


# ---------------------------------------------------------------------------
# Exact arithmetic cross-check (decimal with 60 digits, fractions for TV)


def _exact_terms(p: np.ndarray, q: np.ndarray) -> dict[str, list[Decimal]]:
    """Per-category contributions of each metric, in 60-digit decimal arithmetic."""
    P = [Decimal(float(x)) for x in p]  # exact: every float is a finite decimal
    Q = [Decimal(float(x)) for x in q]
    out: dict[str, list[Decimal]] = {k: [] for k in ("kl_pq", "kl_qp", "js", "ce_pq", "ce_qp", "h_p", "h_q", "hel")}
    for a, b in zip(P, Q):
        m = (a + b) / 2
        if a > 0:
            out["kl_pq"].append(a * (a / b).ln())
            out["js"].append(a * (a / m).ln() / 2)
            out["ce_pq"].append(-a * b.ln())
            out["h_p"].append(-a * a.ln())
        if b > 0:
            out["kl_qp"].append(b * (b / a).ln())
            out["js"].append(b * (b / m).ln() / 2)
            out["ce_qp"].append(-b * a.ln())
            out["h_q"].append(-b * b.ln())
        out["hel"].append((a.sqrt() - b.sqrt()) ** 2 / 2)
    return out


def _close(value: float, terms: list[Decimal], rel: float = 1e-12) -> bool:
    """|value - sum| <= rel * sum|terms|: relative error measured against the
    size of the terms, which is plain relative error when nothing cancels."""
    exact = sum(terms, Decimal(0))
    scale = sum((abs(t) for t in terms), Decimal(0))
    return abs(Decimal(value) - exact) <= Decimal(str(rel)) * scale


@pytest.mark.parametrize("k", [2, 3, 4, 6])
@pytest.mark.parametrize("seed", range(10))
def test_agrees_with_exact_arithmetic(seed: int, k: int):
    p, q = _dirichlet(50_000 + seed * 10 + k, k)
    m = measure(p, q).metrics
    with localcontext() as ctx:
        ctx.prec = 60
        t = _exact_terms(p, q)
        assert _close(m["kl_pq"], t["kl_pq"])
        assert _close(m["kl_qp"], t["kl_qp"])
        assert _close(m["jeffreys"], t["kl_pq"] + t["kl_qp"])
        assert _close(m["js_divergence"], t["js"])
        # All terms below are >= 0, so these are plain relative errors.
        assert _close(m["cross_entropy_pq"], t["ce_pq"])
        assert _close(m["cross_entropy_qp"], t["ce_qp"])
        assert _close(m["entropy_p"], t["h_p"])
        assert _close(m["entropy_q"], t["h_q"])
        hel = sum(t["hel"], Decimal(0)).sqrt()
        assert abs(Decimal(m["hellinger"]) - hel) <= Decimal("1e-12") * hel
    tv = sum((abs(Fraction(float(a)) - Fraction(float(b))) for a, b in zip(p, q)), Fraction(0)) / 2
    assert m["total_variation"] == pytest.approx(float(tv), rel=1e-14)


def test_hellinger_keeps_a_subnormal_difference():
    p, q = np.array([0.0, 1.0]), np.array([5e-324, 1.0])
    with localcontext() as ctx:
        ctx.prec = 60
        exact = (sum(((Decimal(float(a)).sqrt() - Decimal(float(b)).sqrt()) ** 2 for a, b in zip(p, q))) / 2).sqrt()
    got = measure(p, q).metrics["hellinger"]
    assert got > 0
    assert got == pytest.approx(float(exact), rel=1e-12)


# ---------------------------------------------------------------------------
# Properties (hypothesis)

_weight = st.one_of(
    st.just(0.0),
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0.0, max_value=1e-300, allow_nan=False, allow_infinity=False),  # subnormals too
)


def _normalized(w: list[float]) -> np.ndarray | None:
    arr = np.asarray(w, dtype=np.float64)
    total = arr.sum()
    if not (total > 0 and math.isfinite(total)):
        return None
    p = arr / total
    return p if p.sum() > 0 else None


@st.composite
def pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    k = draw(st.integers(min_value=1, max_value=12))
    p = _normalized(draw(st.lists(_weight, min_size=k, max_size=k)))
    q = _normalized(draw(st.lists(_weight, min_size=k, max_size=k)))
    assume(p is not None and q is not None)
    return p, q


SUBNORMAL_CASES = [
    (np.array([0.0, 1.0]), np.array([5e-324, 1.0])),
    (np.array([5e-324, 1.0]), np.array([0.0, 1.0])),
    (np.array([5e-324, 1.0]), np.array([5e-324, 1.0])),
    (np.array([1e-310, 1.0]), np.array([1.0, 1e-310])),
    (np.array([0.5, 0.5]), np.array([5e-324, 1.0])),
]


def _all_metrics(p: np.ndarray, q: np.ndarray, base: str = "e") -> dict[str, float]:
    r = measure(p, q, base)
    assert set(r.metrics) == set(METRIC_IDS)
    assert not any(math.isnan(v) for v in r.metrics.values()), r.metrics
    assert not np.isnan(r.terms_pq).any() and not np.isnan(r.terms_qp).any()
    return r.metrics


@given(pairs())
@example((SUBNORMAL_CASES[0][0], SUBNORMAL_CASES[0][1]))
@example((SUBNORMAL_CASES[1][0], SUBNORMAL_CASES[1][1]))
@example((SUBNORMAL_CASES[3][0], SUBNORMAL_CASES[3][1]))
def test_no_nan_and_nonnegative(pq):
    p, q = pq
    for base in ("e", "2", "10"):
        m = _all_metrics(p, q, base)
        assert all(v >= 0 for v in m.values()), m


@given(pairs())
@example((SUBNORMAL_CASES[0][0], SUBNORMAL_CASES[0][1]))
@example((SUBNORMAL_CASES[1][0], SUBNORMAL_CASES[1][1]))
def test_infinite_exactly_when_q_zero_where_p_positive(pq):
    p, q = pq
    m = _all_metrics(p, q)
    q_rules_out = bool(((q == 0) & (p > 0)).any())
    p_rules_out = bool(((p == 0) & (q > 0)).any())
    assert math.isinf(m["kl_pq"]) == q_rules_out
    assert math.isinf(m["kl_qp"]) == p_rules_out
    assert math.isinf(m["cross_entropy_pq"]) == q_rules_out
    assert math.isinf(m["cross_entropy_qp"]) == p_rules_out
    assert math.isinf(m["jeffreys"]) == (q_rules_out or p_rules_out)
    for key in ("js_divergence", "js_distance", "entropy_p", "entropy_q", "total_variation", "hellinger"):
        assert math.isfinite(m[key]), key


@given(st.lists(_weight, min_size=1, max_size=12))
def test_divergence_of_a_distribution_from_itself_is_zero(w):
    p = _normalized(w)
    assume(p is not None)
    m = _all_metrics(p, p.copy())
    for key in ("kl_pq", "kl_qp", "jeffreys", "total_variation", "hellinger"):
        assert m[key] == 0.0, key
    assert m["cross_entropy_pq"] == m["entropy_p"]


@given(st.lists(_weight, min_size=1, max_size=12))
@example([1.0, 394158.0])
def test_js_of_a_distribution_with_itself_is_exactly_zero(w):
    p = _normalized(w)
    assume(p is not None)
    m = _all_metrics(p, p.copy())
    assert m["js_divergence"] == 0.0
    assert m["js_distance"] == 0.0


@given(pairs())
def test_symmetries(pq):
    p, q = pq
    a, b = _all_metrics(p, q), _all_metrics(q, p)
    for key in ("js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger"):
        assert a[key] == pytest.approx(b[key], rel=1e-15, abs=0), key
    assert a["kl_pq"] == b["kl_qp"] and a["kl_qp"] == b["kl_pq"]
    assert a["cross_entropy_pq"] == b["cross_entropy_qp"]
    assert a["entropy_p"] == b["entropy_q"]


@given(pairs())
@example((SUBNORMAL_CASES[0][0], SUBNORMAL_CASES[0][1]))
@example((SUBNORMAL_CASES[3][0], SUBNORMAL_CASES[3][1]))
def test_js_bounded_and_distance_is_its_root(pq):
    p, q = pq
    nats = _all_metrics(p, q)
    bits = _all_metrics(p, q, "2")
    assert 0.0 <= nats["js_divergence"] <= LN2
    assert 0.0 <= bits["js_divergence"] <= 1.0
    for m in (nats, bits, _all_metrics(p, q, "10")):
        assert math.isfinite(m["js_divergence"])
        assert m["js_distance"] == pytest.approx(math.sqrt(m["js_divergence"]), rel=1e-15, abs=0)


@given(pairs())
def test_base_change_rescales(pq):
    p, q = pq
    nats = _all_metrics(p, q)
    for base in ("2", "10"):
        other = _all_metrics(p, q, base)
        for key, value in nats.items():
            if key in BASE_FREE:
                assert other[key] == value, key
            elif key == "js_distance":
                assert other[key] == pytest.approx(math.sqrt(nats["js_divergence"] / BASE_SCALE[base]), rel=1e-12)
            elif math.isinf(value):
                assert other[key] == math.inf, key
            else:
                assert other[key] == pytest.approx(value / BASE_SCALE[base], rel=1e-12, abs=1e-300), key


@given(pairs())
def test_jeffreys_is_the_sum_of_both_directions(pq):
    p, q = pq
    for base in ("e", "2", "10"):
        m = _all_metrics(p, q, base)
        total = m["kl_pq"] + m["kl_qp"]
        if math.isinf(total):
            assert m["jeffreys"] == math.inf
        else:
            assert m["jeffreys"] == pytest.approx(total, rel=1e-12, abs=1e-300)


@given(pairs())
def test_bounded_distances_and_classic_inequalities(pq):
    p, q = pq
    m = _all_metrics(p, q)
    tv, hel = m["total_variation"], m["hellinger"]
    assert 0.0 <= tv <= 1.0
    assert 0.0 <= hel <= 1.0
    # H^2 <= TV <= sqrt(2) H (Hellinger with the 1/2 inside the root).
    assert hel * hel <= tv + 1e-12
    assert tv <= math.sqrt(2.0) * hel + 1e-12
    # Pinsker: TV <= sqrt(KL / 2), both directions.
    for key in ("kl_pq", "kl_qp"):
        if math.isfinite(m[key]):
            assert tv <= math.sqrt(m[key] / 2.0) + 1e-9
    # JS <= TV * log 2 is a known bound too (Lin 1991: JS <= TV in bits).
    assert m["js_divergence"] <= tv * LN2 + 1e-12


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl_and_terms_sum_to_kl(pq):
    p, q = pq
    r = measure(p, q)
    m = r.metrics
    if math.isfinite(m["kl_pq"]):
        assert m["cross_entropy_pq"] == pytest.approx(m["entropy_p"] + m["kl_pq"], rel=1e-9, abs=1e-12)
        assert float(r.terms_pq.sum()) == pytest.approx(m["kl_pq"], abs=1e-12)
    if math.isfinite(m["kl_qp"]):
        assert m["cross_entropy_qp"] == pytest.approx(m["entropy_q"] + m["kl_qp"], rel=1e-9, abs=1e-12)
        assert float(r.terms_qp.sum()) == pytest.approx(m["kl_qp"], abs=1e-12)


@pytest.mark.parametrize(("p", "q"), SUBNORMAL_CASES)
def test_subnormal_inputs(p: np.ndarray, q: np.ndarray):
    for base in ("e", "2", "10"):
        m = _all_metrics(p, q, base)
        assert math.isfinite(m["js_divergence"]) and math.isfinite(m["js_distance"])
        assert m["js_divergence"] >= 0.0
    m = _all_metrics(p, q)
    assert math.isinf(m["kl_pq"]) == bool(((q == 0) & (p > 0)).any())
    assert math.isinf(m["kl_qp"]) == bool(((p == 0) & (q > 0)).any())


def test_subnormal_mass_is_not_lost_in_the_mixture():
    # M = (P + Q) / 2 underflows to 0 for 5e-324 if computed naively
    # (scipy issue 19436); JS must stay finite and non-negative.
    m = measure(np.array([0.0, 1.0]), np.array([5e-324, 1.0])).metrics
    assert math.isfinite(m["js_divergence"])
    assert m["kl_qp"] == math.inf
    assert m["kl_pq"] == 0.0
