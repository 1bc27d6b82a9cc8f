"""Permutation p-values and bootstrap intervals: calibration, power, coverage, CLI."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from helpers import run, strict_json

from kl_cli.core.measures import measure
from kl_cli.core.significance import bootstrap_intervals, permutation_test
from kl_cli.core.smoothing import Smoothing

NONE = Smoothing()


def observed(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    return measure(a / a.sum(), b / b.sum()).metrics


def test_p_values_are_calibrated_under_no_difference():
    """1,000 pairs drawn from one distribution: about 5% of p-values fall below 0.05."""
    rng = np.random.default_rng(20261129)
    shares = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    below = {"js_distance": 0, "kl_pq": 0, "hellinger": 0}
    for i in range(1000):
        a = rng.multinomial(200, shares).astype(float)
        b = rng.multinomial(150, shares).astype(float)
        test = permutation_test(a, b, observed(a, b), permutations=199, smoothing=NONE, base="e", seed=i)
        for k in below:
            below[k] += test.p_value[k] < 0.05
    for k, n in below.items():
        assert 0.03 <= n / 1000 <= 0.07, (k, n)


def test_clear_shift_is_highly_significant():
    a = np.array([200.0, 300.0])  # 40/60 of 500
    b = np.array([300.0, 200.0])  # 60/40 of 500
    test = permutation_test(a, b, observed(a, b), permutations=9999, smoothing=NONE, base="2", seed=1)
    for k in ("js_distance", "js_divergence", "kl_pq", "kl_qp", "total_variation", "hellinger"):
        assert test.p_value[k] < 0.001
    # null mean: the bias at these sample sizes, small but positive
    assert 0 < test.null_mean["js_divergence"] < observed(a, b)["js_divergence"] / 10


def test_p_value_is_never_zero_and_at_most_one():
    a = np.array([1000.0, 0.0])
    b = np.array([0.0, 1000.0])
    test = permutation_test(a, b, observed(a, b), permutations=99, smoothing=NONE, base="e", seed=2)
    assert test.p_value["js_distance"] == pytest.approx(1 / 100)
    same = permutation_test(a, a, observed(a, a), permutations=99, smoothing=NONE, base="e", seed=2)
    assert same.p_value["js_distance"] == 1.0


def test_bootstrap_intervals_cover_the_true_divergence_near_nominal_rate():
    rng = np.random.default_rng(7)
    p = np.array([0.3, 0.5, 0.2])
    q = np.array([0.4, 0.4, 0.2])
    true = measure(p, q).metrics
    covered = {"js_distance": 0, "kl_pq": 0, "hellinger": 0}
    trials = 300
    for i in range(trials):
        a = rng.multinomial(2000, p).astype(float)
        b = rng.multinomial(2000, q).astype(float)
        iv = bootstrap_intervals(a, b, resamples=400, confidence=0.9, smoothing=NONE, base="e", seed=i)
        for k in covered:
            low, high = iv.bounds[k]
            covered[k] += low <= true[k] <= high
    for k, n in covered.items():
        assert 0.82 <= n / trials <= 0.98, (k, n / trials)


def test_resampling_is_reproducible_with_a_seed_and_vectorised_shapes():
    a = np.array([30.0, 50.0, 20.0])
    b = np.array([35.0, 40.0, 25.0])
    one = permutation_test(a, b, observed(a, b), permutations=500, smoothing=NONE, base="e", seed=5)
    two = permutation_test(a, b, observed(a, b), permutations=500, smoothing=NONE, base="e", seed=5)
    assert one == two
    iv = bootstrap_intervals(a, b, resamples=300, confidence=0.95, smoothing=NONE, base="e", seed=5)
    for low, high in iv.bounds.values():
        assert low <= high
        assert not np.isnan(low) and not np.isnan(high)


def test_small_samples_show_the_bias():
    """10 observations against 1,000 from the same distribution: the plug-in JS
    is far from 0 on average, and the null mean says so (TFDV issue 216)."""
    rng = np.random.default_rng(11)
    shares = np.full(5, 0.2)
    a = rng.multinomial(10, shares).astype(float)
    b = rng.multinomial(1000, shares).astype(float)
    test = permutation_test(a, b, observed(a, b), permutations=2000, smoothing=NONE, base="2", seed=3)
    assert test.null_mean["js_distance"] > 0.15
    assert test.p_value["js_distance"] > 0.05


# ---------------------------------------------------------------------------
# Through the CLI


def test_compare_json_carries_test_and_intervals():
    result = run(
        "compare", "a=200,b=300", "a=300,b=200", "--permutations", "999", "--bootstrap", "500", "--seed", "4",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = strict_json(result.stdout)
    assert data["test"]["permutations"] == 999
    assert data["test"]["p_value"]["js_distance"] == pytest.approx(1 / 1000)
    assert set(data["test"]["null_mean"]) == set(data["metrics"])
    low, high = data["intervals"]["js_distance"]
    assert low <= data["metrics"]["js_distance"] <= high
    assert data["n_p"] == 500 and data["n_q"] == 500
    again = strict_json(
        run(
            "compare", "a=200,b=300", "a=300,b=200", "--permutations", "999", "--bootstrap", "500", "--seed", "4",
            "--format", "json",
        ).stdout
    )  # fmt: skip
    assert again == data


def test_without_seed_the_report_says_results_vary():
    data = strict_json(run("compare", "5,5", "6,4", "--permutations", "50", "--format", "json").stdout)
    assert any("Monte-Carlo" in n for n in data["notes"])


def test_probabilities_need_sample_sizes():
    result = run("compare", "0.4,0.6", "0.6,0.4", "--permutations", "100")
    assert result.exit_code == 2
    assert "--n-p" in result.stderr and result.stderr.count("\n") == 1
    ok = run("compare", "0.4,0.6", "0.6,0.4", "--permutations", "999", "--n-p", "500", "--n-q", "500", "--seed", "1",
             "--format", "json")  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    assert strict_json(ok.stdout)["test"]["p_value"]["js_distance"] < 0.01


def test_csv_and_markdown_carry_the_figures():
    args = ["compare", "a=200,b=300", "a=300,b=200", "--permutations", "99", "--bootstrap", "50", "--seed", "1"]
    rows = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv").stdout)))
    assert {r["metric"] for r in rows} >= {"kl_pq", "js_distance"}
    assert all(r["p_value"] and r["ci_low"] and r["ci_high"] for r in rows)
    md = run(*args, "--format", "markdown").stdout
    assert "p-value" in md and "95% interval" in md and "permutation test" in md
    table = run(*args).stdout
    assert "p-value" in table and "null mean" in table


def test_drift_requires_large_and_real(tmp_path):
    # Small samples with a big-looking difference: over the threshold, not significant.
    ref = tmp_path / "r.csv"
    cur = tmp_path / "c.csv"
    ref.write_text("c\n" + "a\nb\n" * 5)
    cur.write_text("c\n" + "a\na\na\nb\n")
    plain = strict_json(run("drift", str(ref), str(cur), "--format", "json").stdout)
    assert plain["columns"][0]["drifted"] is True
    tested = run("drift", str(ref), str(cur), "--format", "json", "--permutations", "999", "--seed", "2")
    col = strict_json(tested.stdout)["columns"][0]
    assert tested.exit_code == 0
    assert col["drifted"] is False
    assert col["p_value"] >= 0.05
    assert "not significant" in col["why"]
    csv_out = run("drift", str(ref), str(cur), "--format", "csv", "--permutations", "99", "--seed", "2").stdout
    assert next(iter(csv.DictReader(io.StringIO(csv_out))))["p_value"] != ""


def test_drift_sample_data_with_significance():
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "sample_data"
    result = run(
        "drift", str(sample / "reference.csv"), str(sample / "current.csv"), "--permutations", "499", "--seed", "1",
        "--format", "json",
    )  # fmt: skip
    data = strict_json(result.stdout)
    drifted = {c["column"] for c in data["columns"] if c["drifted"]}
    assert drifted == {"plan", "basket_value", "channel"}
    for c in data["columns"]:
        if c["column"] in drifted:
            assert c["p_value"] == pytest.approx(1 / 500)
