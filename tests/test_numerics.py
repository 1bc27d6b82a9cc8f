"""Numerical hardening (issue 5, point 2): subnormals, huge counts, ten
million categories, equality up to rounding, bounded Jensen-Shannon, the
known failures of other tools (scipy 20083/20779/19436, philentropy 26,
Great Expectations 327) and an exact-arithmetic reference.

tests/test_measures.py already checks ``measure`` on Dirichlet draws against
scipy and 60-digit decimals; the cases here go through normalization,
smoothing, ``compare`` and the command line, where those numbers are made.
"""

from __future__ import annotations

import math
import sys
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from helpers import describe, exact_smoothed, run, strict_json
from hypothesis import given
from hypothesis import strategies as st

from kl_cli import compare
from kl_cli.core.measures import measure
from kl_cli.vocabulary import METRICS

# A numpy RuntimeWarning (overflow, invalid value) would be a line on a real
# run's stderr: here it is an error.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

LN2 = math.log(2.0)
DIVERGENCES = ("kl_pq", "kl_qp", "js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger")
SMOOTHINGS = (("none", None), ("additive", 0.5), ("epsilon", 1e-9), ("mix", 0.01))
BASES = ("e", "2", "10")


def smoothing_parameter(method: str, value: float | None) -> dict:
    """The API keyword of a smoothing method's parameter (the CLI's option name)."""
    if value is None or method == "none":
        return {}
    return {{"additive": "alpha", "epsilon": "epsilon", "mix": "lambda_"}[method]: value}


def inline(weights, labels=None) -> str:
    """An inline list exactly as floats print (repr round-trips)."""
    labels = labels or [f"c{i}" for i in range(len(weights))]
    return ",".join(f"{lab}={float(w)!r}" for lab, w in zip(labels, weights))


def assert_sane(metrics: dict[str, float | None], base: str = "e") -> None:
    """No NaN, nothing negative, nothing -0.0, JS and the distances in range."""
    for key, value in metrics.items():
        if value is None:  # JSON null: an infinite value
            continue
        assert not math.isnan(value), key
        assert value >= 0.0 and math.copysign(1.0, value) == 1.0, (key, value)
    js_cap = LN2 / {"e": 1.0, "2": LN2, "10": math.log(10.0)}[base]
    assert metrics["js_divergence"] is not None and metrics["js_divergence"] <= js_cap
    assert metrics["js_distance"] is not None and metrics["js_distance"] <= math.sqrt(js_cap)
    assert metrics["total_variation"] <= 1.0 and metrics["hellinger"] <= 1.0


def stderr_is_ours(stderr: str) -> None:
    """Everything on stderr is a kl-cli line: no numpy RuntimeWarning leaks."""
    for line in stderr.splitlines():
        assert line.startswith("kl-cli: "), f"foreign line on stderr: {line!r}"


# ---------------------------------------------------------------------------
# Subnormal probabilities (5e-324)

TINY = 5e-324
SUBNORMAL_PAIRS = [
    # (P, Q, kl_pq infinite?, kl_qp infinite?)
    ("a=0,b=1", "a=5e-324,b=1", False, True),
    ("a=5e-324,b=1", "a=0,b=1", True, False),
    ("a=5e-324,b=1", "a=5e-324,b=1", False, False),
    ("a=1e-310,b=1", "a=1,b=1e-310", False, False),
    ("a=5e-324,b=5e-324,c=0", "a=0,b=1,c=5e-324", True, True),
    ("a=0.5,b=0.5", "a=5e-324,b=1", False, False),
]


@pytest.mark.parametrize(("p", "q", "inf_pq", "inf_qp"), SUBNORMAL_PAIRS)
@pytest.mark.parametrize("base", BASES)
def test_subnormal_probabilities_through_the_cli(kl, p, q, inf_pq, inf_qp, base):
    result, data = kl.report(p, q, "--base", base)
    stderr_is_ours(result.stderr)
    m = data["metrics"]
    assert_sane(m, base)
    assert (m["kl_pq"] is None) == inf_pq and (m["kl_qp"] is None) == inf_qp
    assert ("kl_pq" in data["infinite"]) == inf_pq and ("kl_qp" in data["infinite"]) == inf_qp
    api = compare(p, q, base=base).metrics
    for key, value in m.items():
        assert (math.inf if value is None else value) == api[key], key


def test_a_side_whose_total_is_subnormal_normalizes_exactly(kl):
    # 5e-324 and 1e-323 are 1 and 2 units of the smallest subnormal: P is [1/3, 2/3].
    data = kl.json("a=5e-324,b=1e-323", "a=1,b=2")
    cats = {c["label"]: c for c in data["categories"]}
    assert cats["a"]["p"] == 1 / 3 and cats["b"]["p"] == 2 / 3
    assert 0.0 <= data["metrics"]["kl_pq"] <= 1e-15
    only = kl.json("a=5e-324,b=0", "a=1,b=1")  # a subnormal total is still a distribution
    assert only["metrics"]["kl_pq"] == pytest.approx(LN2, rel=1e-15)


def test_scipy_19436_subnormal_q_gives_finite_js(kl):
    """scipy's jensenshannon([0, 1], [5e-324, 1]) was inf; the truth is ~0."""
    for args in (("0,1", "5e-324,1"), ("5e-324,1", "0,1")):
        for base in BASES:
            m = kl.json(*args, "--base", base)["metrics"]
            assert m["js_divergence"] is not None and m["js_distance"] is not None
            assert 0.0 <= m["js_divergence"] <= 1e-300
    r = compare([0, 1], [TINY, 1], base="2")
    assert math.isfinite(r.metrics["js_distance"]) and r.metrics["js_distance"] < 1e-150


# ---------------------------------------------------------------------------
# Huge counts


def test_counts_up_to_1e300(kl):
    result, data = kl.report("a=1e300,b=2e300,c=3e300", "a=1,b=2,c=3")
    stderr_is_ours(result.stderr)
    m = data["metrics"]
    assert_sane(m)
    for key in ("kl_pq", "kl_qp", "js_divergence", "jeffreys", "total_variation", "hellinger"):
        assert m[key] <= 1e-15, key
    assert data["n_p"] == 6e300  # the total is exact, not overflowed
    assert m["entropy_p"] == pytest.approx(-sum(x * math.log(x) for x in (1 / 6, 2 / 6, 3 / 6)), rel=1e-14)


def test_counts_whose_sum_overflows_give_the_right_distribution(kl):
    # 1.5e308 + 1e308 + 5e307 overflows a float; the distribution is still [1/2, 1/3, 1/6].
    p = "a=1.5e308,b=1e308,c=5e307"
    r = compare(p, "a=3,b=2,c=1")
    assert r.p.tolist() == pytest.approx([1 / 2, 1 / 3, 1 / 6], rel=1e-15)
    assert_sane(r.metrics)
    assert r.metrics["kl_pq"] <= 1e-15 and r.metrics["js_divergence"] <= 1e-15
    data = kl.json(p, "a=3,b=2,c=1")
    assert data["metrics"]["kl_pq"] <= 1e-15
    three = kl.json("a=1e308,b=1e308,c=1e308", "a=1,b=1,c=1")
    assert three["metrics"]["kl_pq"] == 0.0 and three["metrics"]["entropy_p"] == pytest.approx(math.log(3))


def test_counts_whose_sum_overflows_leave_stderr_clean(tmp_path):
    # A real process: in-process, pytest's warning capture would swallow the RuntimeWarning.
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kl_cli",
            "compare",
            "a=1e308,b=1e308,c=1e308",
            "a=1e6,b=1e6,c=1e6",
            "--format",
            "value",
        ],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) == 0.0
    stderr_is_ours(proc.stderr)


def test_counts_whose_sum_overflows_are_not_a_small_sample(kl):
    result, data = kl.report("a=1e308,b=1e308,c=1e308", "a=1e6,b=1e6,c=1e6")
    assert data["n_p"] is None or data["n_p"] >= 1e308
    assert not any("observations" in w and w.startswith("P ") for w in data["warnings"]), data["warnings"]
    assert "only 3 observations" not in result.stderr
    assert not any("total 3 " in n for n in data["notes"]), data["notes"]


def test_additive_smoothing_on_counts_whose_sum_overflows():
    r = compare("a=1e308,b=1e308,c=0", "a=1,b=1,c=1", smoothing="additive", alpha=1.0)
    # Exactly (1e308 + 1) / (2e308 + 3) and 1 / (2e308 + 3): one pseudo-count is nothing next to 1e308.
    assert r.p[0] == pytest.approx(0.5, rel=1e-12) and r.p[1] == pytest.approx(0.5, rel=1e-12)
    assert r.p[2] < 1e-300


@given(
    p=st.lists(st.integers(1, 1000), min_size=2, max_size=12),
    shift=st.integers(0, 1013),
    smoothing=st.sampled_from(["none", "epsilon", "mix"]),
)
def test_counts_scaled_by_a_power_of_two_give_the_same_result(p, shift, smoothing):
    """Counts times 2**shift (up to 1e308 each, summing far past the largest
    float) are the same distribution: every metric is unchanged, and the
    sample size is the true one (or beyond floats, then null in JSON)."""
    q = list(range(1, len(p) + 1))
    plain = compare(p, q, smoothing=smoothing)
    scaled = compare([math.ldexp(x, shift) for x in p], q, smoothing=smoothing)
    for m in METRICS:
        assert scaled.metrics[m] == pytest.approx(plain.metrics[m], rel=1e-14, abs=1e-300), m
    exact = sum(p) << shift  # an int: exact at any size
    if exact > int(sys.float_info.max):  # compared as ints: exact is beyond what a float comparison takes
        assert scaled.n_p == math.inf and scaled.to_dict()["n_p"] is None
    else:
        assert scaled.n_p == pytest.approx(float(exact), rel=1e-15) == scaled.to_dict()["n_p"]


def test_a_huge_alpha_is_uniform_and_said_so():
    r = compare("1,2,3", "3,2,1", smoothing="additive", alpha=1e308)
    assert r.p.tolist() == pytest.approx([1 / 3] * 3, rel=1e-12) and r.metrics["kl_pq"] == pytest.approx(0, abs=1e-12)
    assert sum("additive smoothing adds more than 1.8e+308" in w and "(100% of its mass)" in w for w in r.warnings) == 2


# ---------------------------------------------------------------------------
# Ten million categories


def test_ten_million_categories_match_a_chunked_reference():
    import tracemalloc

    n = 10_000_000
    rng = np.random.default_rng(20240605)
    p = rng.random(n)
    q = rng.random(n)
    p[rng.integers(0, n, 1000)] = 0.0  # some zeros in P: allowed, they add nothing to KL(P||Q)
    p /= p.sum()
    q /= q.sum()
    tracemalloc.start()
    try:
        m = measure(p, q).metrics
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Memory stays a small multiple of the inputs (two 80 MB vectors), not quadratic or per-item Python objects.
    assert peak < 30 * p.nbytes, f"measure() peaked at {peak / 1e6:.0f} MB for {n} categories"
    assert_sane(m)
    infinite = {"kl_qp", "jeffreys", "cross_entropy_qp"}  # Q is positive where P is 0
    assert {k for k, v in m.items() if not math.isfinite(v)} == infinite
    # Reference: the same formulas, chunk by chunk, the partial sums added exactly by math.fsum.
    kl_pq, kl_qp, js, tv = [], [], [], []
    for lo in range(0, n, 1_000_000):
        a, b = p[lo : lo + 1_000_000], q[lo : lo + 1_000_000]
        mid = 0.5 * (a + b)
        pos = a > 0
        kl_pq.append(float(np.sum(a[pos] * np.log(a[pos] / b[pos]))))
        kl_qp.append(float(np.sum(b * np.log(b / np.where(pos, a, 1.0)) * pos)))
        js.append(0.5 * float(np.sum(a[pos] * np.log(a[pos] / mid[pos])) + np.sum(b * np.log(b / mid))))
        tv.append(0.5 * float(np.abs(a - b).sum()))
    assert m["kl_pq"] == pytest.approx(math.fsum(kl_pq), rel=1e-9)
    assert m["js_divergence"] == pytest.approx(math.fsum(js), rel=1e-9)
    assert m["total_variation"] == pytest.approx(math.fsum(tv), rel=1e-9)


def test_ten_million_categories_through_compare():
    n = 10_000_000
    rng = np.random.default_rng(7)
    pw = rng.integers(1, 1000, n).astype(np.float64)  # counts: normalized, not warned about
    qw = rng.integers(1, 1000, n).astype(np.float64)
    r = compare(pw, qw, base="2")
    assert_sane(r.metrics, "2")
    assert all(math.isfinite(v) for v in r.metrics.values())
    assert r.warnings == []
    assert math.fsum(r.p.tolist()) == pytest.approx(1.0, abs=1e-9)
    expected = measure(pw / pw.sum(), qw / qw.sum(), "2").metrics
    for key in METRICS:
        assert r.metrics[key] == pytest.approx(expected[key], rel=1e-12), key


# ---------------------------------------------------------------------------
# Equal up to rounding: never negative, and exactly 0 when identical


@pytest.mark.parametrize(("method", "parameter"), SMOOTHINGS)
@pytest.mark.parametrize("base", BASES)
def test_identical_inputs_give_exactly_zero_in_every_spelling(kl, write, method, parameter, base):
    """One distribution written five ways (order, counts vs weights, CSV, JSON)."""
    labels = ["sun", "rain", "fog", "snow"]
    counts = [7, 0, 2, 11]
    csv_path = write("same.csv", "weather,n\n" + "".join(f"{a},{c}\n" for a, c in zip(labels, counts)))
    json_path = write("same.json", "{" + ",".join(f'"{a}": {c}' for a, c in zip(labels, counts)) + "}")
    reordered = ",".join(f"{a}={c}" for a, c in reversed(list(zip(labels, counts))))
    spellings = [inline(counts, labels), reordered, csv_path, json_path]
    smooth = [] if method == "none" else ["--smoothing", method]
    if parameter is not None:
        smooth += [{"additive": "--alpha", "epsilon": "--epsilon", "mix": "--lambda"}[method], repr(parameter)]
    for p in spellings:
        for q in spellings:
            m = kl.json(p, q, "--base", base, *smooth)["metrics"]
            for key in DIVERGENCES:
                assert m[key] == 0.0 and math.copysign(1.0, m[key]) == 1.0, (p, q, key, m[key])
            assert m["cross_entropy_pq"] == m["entropy_p"] and m["cross_entropy_qp"] == m["entropy_q"]


_weights = st.lists(
    st.one_of(
        st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False),
        st.integers(min_value=0, max_value=10**6).map(float),
    ),
    min_size=1,
    max_size=12,
)


@given(_weights, st.integers(min_value=0, max_value=4), st.sampled_from(SMOOTHINGS), st.sampled_from(BASES))
def test_equal_up_to_rounding_is_never_negative(w, ulps, smoothing, base):
    """Q is P nudged by a few units in the last place (or scaled): every
    divergence is >= 0, never NaN, never -0.0, and tiny."""
    pw = np.asarray(w, dtype=np.float64)
    if not pw.sum() > 0:
        pw = pw + 1.0
    qw = pw.copy()
    for _ in range(ulps):
        # A zero stays zero: nudged up it would be a new positive weight (5e-324)
        # where P has none, and KL(Q||P) is then truly infinite (issue 11: a
        # positive weight below the float range is no longer lost).
        qw = np.where(qw > 0, np.nextafter(qw, np.inf), qw)
    if ulps % 2 and smoothing[0] != "additive":  # pseudo-counts depend on the scale; the others do not
        qw = qw * 3.0  # proportional: the same distribution
    method, parameter = smoothing
    r = compare(pw, qw, base=base, smoothing=method, **smoothing_parameter(method, parameter))
    assert_sane(r.metrics, base)
    for key in ("kl_pq", "kl_qp", "js_divergence", "jeffreys", "total_variation"):
        assert r.metrics[key] <= 1e-12, (key, r.metrics[key])
    assert (r.terms_pq + r.terms_qp >= 0).all()  # each category's Jeffreys term too


# ---------------------------------------------------------------------------
# Jensen-Shannon: always finite, at most ln 2 (1 bit)

_extreme = st.one_of(
    st.just(0.0),
    st.just(TINY),
    st.floats(min_value=0.0, max_value=1e-300),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=1e300, max_value=1.7e308),
)


@given(
    st.lists(st.tuples(_extreme, _extreme), min_size=1, max_size=10),
    st.sampled_from(SMOOTHINGS),
    st.sampled_from(BASES),
)
def test_js_is_finite_and_bounded_through_compare(pairs, smoothing, base):
    pw = np.array([a for a, _ in pairs])
    qw = np.array([b for _, b in pairs])
    if not ((pw > 0).any() and (qw > 0).any()):  # (not .sum(): it would overflow here, in the test)
        pw, qw = pw + 1.0, qw + 1.0
    method, parameter = smoothing
    m = compare(pw, qw, base=base, smoothing=method, **smoothing_parameter(method, parameter)).metrics
    assert_sane(m, base)
    assert math.isfinite(m["js_divergence"]) and math.isfinite(m["js_distance"])
    if base == "2":
        assert m["js_divergence"] <= 1.0 and m["js_distance"] <= 1.0


@pytest.mark.parametrize(
    ("p", "q"),
    [
        # scipy issue 20083: float32 vectors that are nearly proportional.
        (
            [float(np.float32(0.027501475)), float(np.float32(0.055202297))],
            [float(np.float32(0.027537677)), float(np.float32(0.055334348))],
        ),
        # scipy issue 20779: x = nextafter(0.5, 0), p = [x, 1 - x], q = [1 - x, x].
        ([np.nextafter(0.5, 0), 1 - np.nextafter(0.5, 0)], [1 - np.nextafter(0.5, 0), np.nextafter(0.5, 0)]),
        # Proportional vectors (scipy PR 24664): the same distribution.
        ([0.1, 0.2, 0.7], [0.3, 0.6, 2.1]),
        ([1 / 3, 1 / 3, 1 / 3], [0.3333333333333333, 0.3333333333333333, 0.33333333333333337]),
    ],
)
def test_scipy_20083_20779_nearly_identical_vectors_give_a_real_js(kl, p, q):
    """scipy took the square root of a tiny negative divergence and returned NaN."""
    for base in BASES:
        data = kl.json(inline(p), inline(q), "--base", base)
        m = data["metrics"]
        assert_sane(m, base)
        assert m["js_distance"] is not None and m["js_distance"] < 1e-3
        assert m["js_distance"] == pytest.approx(math.sqrt(m["js_divergence"]), rel=1e-15, abs=0)


# ---------------------------------------------------------------------------
# philentropy issue 26: a fixed epsilon gave a negative KL on large sparse vectors


def _epsilon_reference(pw: np.ndarray, qw: np.ndarray, eps: float) -> tuple[float, float]:
    """KL both ways after 'replace zeros by eps, renormalize', summed exactly."""
    p, q = pw / pw.sum(), qw / qw.sum()
    p = np.where(p == 0, eps, p)
    q = np.where(q == 0, eps, q)
    p, q = p / math.fsum(p.tolist()), q / math.fsum(q.tolist())
    return math.fsum((p * np.log(p / q)).tolist()), math.fsum((q * np.log(q / p)).tolist())


@pytest.mark.parametrize("eps", [1e-12, 1e-10, 1e-6, 1e-4, 0.01])
def test_philentropy_26_epsilon_on_large_sparse_vectors_is_never_negative(eps):
    rng = np.random.default_rng(26)
    n = 200_000
    for _ in range(3):
        pw = np.zeros(n)
        qw = np.zeros(n)
        pw[rng.choice(n, 500, replace=False)] = rng.random(500)
        qw[rng.choice(n, 500, replace=False)] = rng.random(500)
        r = compare(pw, qw, smoothing="epsilon", epsilon=eps)
        assert math.fsum(r.p.tolist()) == pytest.approx(1.0, abs=1e-12)  # renormalized after the epsilon
        assert math.fsum(r.q.tolist()) == pytest.approx(1.0, abs=1e-12)
        kl_pq, kl_qp = _epsilon_reference(pw, qw, eps)
        assert r.metrics["kl_pq"] >= 0 and r.metrics["kl_qp"] >= 0
        assert r.metrics["kl_pq"] == pytest.approx(kl_pq, rel=1e-9)
        assert r.metrics["kl_qp"] == pytest.approx(kl_qp, rel=1e-9)
        same = compare(pw, pw.copy(), smoothing="epsilon", epsilon=eps).metrics
        assert same["kl_pq"] == 0.0 and same["kl_qp"] == 0.0


def test_philentropy_26_through_the_cli(kl, write):
    rng = np.random.default_rng(2026)
    n = 20_000
    pw = np.zeros(n)
    qw = np.zeros(n)
    pw[rng.choice(n, 50, replace=False)] = rng.integers(1, 100, 50)
    qw[rng.choice(n, 50, replace=False)] = rng.integers(1, 100, 50)
    p = write("sparse_p.json", "[" + ",".join(str(int(x)) for x in pw) + "]")
    q = write("sparse_q.json", "[" + ",".join(str(int(x)) for x in qw) + "]")
    for eps in ("1e-10", "1e-6"):
        m = kl.json(p, q, "--smoothing", "epsilon", "--epsilon", eps)["metrics"]
        kl_pq, kl_qp = _epsilon_reference(pw, qw, float(eps))
        assert m["kl_pq"] >= 0 and m["kl_pq"] == pytest.approx(kl_pq, rel=1e-9)
        assert m["kl_qp"] >= 0 and m["kl_qp"] == pytest.approx(kl_qp, rel=1e-9)


# ---------------------------------------------------------------------------
# Great Expectations issue 327: an infinite KL must not break JSON


def test_ge_327_infinite_kl_with_resampling_is_strict_json(kl):
    result, data = kl.report("a=5,b=5,c=5", "a=10,b=5,c=0", "--permutations", "40", "--bootstrap", "40", "--seed", "3")
    assert data["metrics"]["kl_pq"] is None and "kl_pq" in data["infinite"]
    assert data["infinite_causes"]["kl_pq"] == ["c"]
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    for key, pair in data["intervals"].items():
        assert len(pair) == 2 and all(x is None or math.isfinite(x) for x in pair), key
    assert all(v is None or math.isfinite(v) for v in data["test"]["null_mean"].values())
    assert all(0 < v <= 1 for v in data["test"]["p_value"].values())


def test_ge_327_infinite_kl_in_drift_json_is_null_and_listed(tmp_path):
    ref = tmp_path / "ref.csv"
    cur = tmp_path / "cur.csv"
    ref.write_text("weather\n" + "sun\nrain\nsnow\n" * 20)
    cur.write_text("weather\n" + "sun\nrain\n" * 30)
    result = run("drift", str(ref), str(cur), "--metric", "kl_pq", "--format", "json")
    assert result.exit_code == 1, describe(result)  # infinite always exceeds the threshold
    data = strict_json(result.stdout)
    col = data["columns"][0]
    assert col["value"] is None and col["drifted"] is True
    assert col["metrics"]["kl_pq"] is None and "kl_pq" in col["infinite"]
    assert col["metrics"]["js_distance"] is not None
    rows = run("drift", str(ref), str(cur), "--metric", "kl_pq", "--format", "csv").stdout
    assert ",inf," in rows and "nan" not in rows.lower()


# ---------------------------------------------------------------------------
# Exact reference: fractions for the normalization and smoothing, 50-digit
# decimals for the logarithms


def _exact(pw: list[Fraction], qw: list[Fraction], method: str, parameter: float | None, base: str):
    def dec(x: Fraction) -> Decimal:
        return Decimal(x.numerator) / Decimal(x.denominator)

    P, Q = (
        [dec(x) for x in exact_smoothed(pw, method, parameter)],
        [dec(x) for x in exact_smoothed(qw, method, parameter)],
    )
    scale = Decimal(1) if base == "e" else Decimal(int(base)).ln()
    terms: dict[str, list[Decimal]] = {k: [] for k in ("kl_pq", "kl_qp", "js", "ce_pq", "ce_qp", "h_p", "h_q")}
    for a, b in zip(P, Q):
        m = (a + b) / 2
        if a > 0:
            terms["kl_pq"].append(a * (a / b).ln() / scale if b > 0 else Decimal("Infinity"))
            terms["js"].append(a * (a / m).ln() / 2 / scale)
            terms["ce_pq"].append(-a * b.ln() / scale if b > 0 else Decimal("Infinity"))
            terms["h_p"].append(-a * a.ln() / scale)
        if b > 0:
            terms["kl_qp"].append(b * (b / a).ln() / scale if a > 0 else Decimal("Infinity"))
            terms["js"].append(b * (b / m).ln() / 2 / scale)
            terms["ce_qp"].append(-b * a.ln() / scale if a > 0 else Decimal("Infinity"))
            terms["h_q"].append(-b * b.ln() / scale)
    tv = sum((abs(a - b) for a, b in zip(P, Q)), Decimal(0)) / 2
    hel = (sum(((a.sqrt() - b.sqrt()) ** 2 for a, b in zip(P, Q)), Decimal(0)) / 2).sqrt()
    return terms, tv, hel


def _agrees(value: float, terms: list[Decimal], rel: float = 1e-12) -> bool:
    """Relative error against the size of the terms (plain relative error when nothing cancels)."""
    if any(t.is_infinite() for t in terms):
        return value == math.inf
    exact = sum(terms, Decimal(0))
    scale = sum((abs(t) for t in terms), Decimal(0))
    return abs(Decimal(value) - exact) <= Decimal(rel) * scale


@pytest.mark.parametrize(("method", "parameter"), SMOOTHINGS)
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("seed", range(6))
def test_compare_agrees_with_exact_arithmetic(seed, base, method, parameter):
    rng = np.random.default_rng(5000 + seed)
    k = int(rng.integers(2, 8))
    pc = rng.integers(0, 50, k)
    qc = rng.integers(0, 50, k)
    pc[0] += 1
    qc[-1] += 1
    r = compare(pc.tolist(), qc.tolist(), base=base, smoothing=method, **smoothing_parameter(method, parameter))
    with localcontext() as ctx:
        ctx.prec = 50
        t, tv, hel = _exact([Fraction(int(x)) for x in pc], [Fraction(int(x)) for x in qc], method, parameter, base)
        m = r.metrics
        assert _agrees(m["kl_pq"], t["kl_pq"]), ("kl_pq", m["kl_pq"], sum(t["kl_pq"]))
        assert _agrees(m["kl_qp"], t["kl_qp"]), ("kl_qp", m["kl_qp"], sum(t["kl_qp"]))
        assert _agrees(m["jeffreys"], t["kl_pq"] + t["kl_qp"])
        assert _agrees(m["js_divergence"], t["js"])
        assert _agrees(m["cross_entropy_pq"], t["ce_pq"]) and _agrees(m["cross_entropy_qp"], t["ce_qp"])
        assert _agrees(m["entropy_p"], t["h_p"]) and _agrees(m["entropy_q"], t["h_q"])
        assert abs(Decimal(m["total_variation"]) - tv) <= Decimal("1e-12") * tv
        assert abs(Decimal(m["hellinger"]) - hel) <= Decimal("1e-12") * hel


@pytest.mark.parametrize("seed", range(4))
def test_cli_agrees_with_exact_arithmetic(kl, seed):
    rng = np.random.default_rng(900 + seed)
    k = int(rng.integers(2, 6))
    pc = rng.integers(1, 10**6, k)
    qc = rng.integers(1, 10**6, k)
    labels = [f"k{i}" for i in range(k)]
    for base in BASES:
        m = kl.json(inline(pc, labels), inline(qc, labels), "--base", base)["metrics"]
        with localcontext() as ctx:
            ctx.prec = 50
            t, tv, hel = _exact([Fraction(int(x)) for x in pc], [Fraction(int(x)) for x in qc], "none", None, base)
            assert _agrees(m["kl_pq"], t["kl_pq"]) and _agrees(m["kl_qp"], t["kl_qp"])
            assert _agrees(m["js_divergence"], t["js"])
            assert _agrees(m["js_distance"] ** 2, t["js"], rel=1e-11)
            assert abs(Decimal(m["total_variation"]) - tv) <= Decimal("1e-12") * tv
            assert abs(Decimal(m["hellinger"]) - hel) <= Decimal("1e-12") * hel
