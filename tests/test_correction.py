"""drift across many columns (issue 14): permutation p-values adjusted for the
number of columns tested (--correction holm|bh|bonferroni|none), and the
warnings that say when the test cannot tell anything at these sizes.

References: scipy.stats.false_discovery_control for Benjamini-Hochberg, and
the textbook procedures written out here in exact rational arithmetic (an
adjusted p-value is the smallest level at which the procedure rejects).
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

import numpy as np
import pytest
from helpers import assert_one_line_error, by_column, describe, run, strict_json, write_csv
from scipy.stats import false_discovery_control

from kl_cli import drift
from kl_cli.core.multiple import adjust, benjamini_hochberg, bonferroni, holm, permutations_needed

# ---------------------------------------------------------------------------
# The textbook procedures, in fractions


def _rejected(p: list[Fraction], level: Fraction, method: str) -> set[int]:
    """The hypotheses a procedure rejects at ``level``."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    if method == "bonferroni":
        return {i for i in range(m) if p[i] <= level / m}
    if method == "holm":  # step down: stop at the first p_(k) > level / (m - k)
        out = set()
        for k, i in enumerate(order):
            if p[i] > level / (m - k):
                break
            out.add(i)
        return out
    if method == "bh":  # step up: the largest k with p_(k) <= k level / m, and all below it
        ks = [k for k in range(1, m + 1) if p[order[k - 1]] <= k * level / m]
        return set(order[: max(ks)]) if ks else set()
    raise AssertionError(method)


def reference_adjusted(p_values: list[float], method: str) -> list[float]:
    """Each adjusted p-value as the smallest level (at most 1) at which the
    textbook procedure rejects that hypothesis; the candidates are the levels
    where a decision can change, p_j * c for c = 1..m."""
    p = [Fraction(x) for x in p_values]
    m = len(p)
    if method == "none":
        return [float(x) for x in p]
    steps = {x * c for x in p for c in range(1, m + 1)} | {x * m / k for x in p for k in range(1, m + 1)}
    levels = sorted({min(Fraction(1), a) for a in steps} | {Fraction(1)})
    out = []
    for i in range(m):
        out.append(float(next((a for a in levels if i in _rejected(p, a, method)), Fraction(1))))
    return out


P_CASES = {
    "distinct": [0.01, 0.04, 0.03, 0.005, 0.2, 0.5],
    "ties": [0.01, 0.01, 0.01, 0.3, 0.3, 0.02],
    "ones": [1.0, 1.0, 1.0],
    "one and small": [1.0, 0.001, 1.0, 0.001],
    "all tied": [0.04] * 5,
    "single": [0.03],
    "permutation grid": [k / 100 for k in (1, 1, 2, 5, 5, 5, 30, 100, 100, 7)],
}


@pytest.mark.parametrize("case", list(P_CASES))
@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni", "none"])
def test_adjusted_p_values_equal_the_textbook_procedures(case, method):
    p = P_CASES[case]
    assert adjust(p, method).tolist() == pytest.approx(reference_adjusted(p, method), rel=1e-12, abs=0)


@pytest.mark.parametrize("case", list(P_CASES))
def test_benjamini_hochberg_equals_scipy(case):
    p = P_CASES[case]
    assert benjamini_hochberg(p).tolist() == pytest.approx(false_discovery_control(p, method="bh").tolist(), rel=1e-12)


def test_random_permutation_p_values_with_many_ties():
    rng = np.random.default_rng(5)
    for _ in range(200):
        m = int(rng.integers(1, 12))
        p = ((rng.integers(0, 20, m) + 1) / 20).tolist()  # p-values of 19 permutations: ties and 1s
        assert benjamini_hochberg(p).tolist() == pytest.approx(false_discovery_control(p, method="bh").tolist())
        assert holm(p).tolist() == pytest.approx(reference_adjusted(p, "holm"))
        assert bonferroni(p).tolist() == pytest.approx([min(1.0, x * m) for x in p])
        # Holm is never above Bonferroni, never below the raw p-value; ties stay tied
        assert np.all(holm(p) <= bonferroni(p)) and np.all(holm(p) >= p)
        for a in (holm(p), benjamini_hochberg(p)):
            assert all(a[i] == a[j] for i in range(m) for j in range(m) if p[i] == p[j])


@pytest.mark.parametrize(("factor", "significance"), [(6, 0.05), (1, 0.05), (50, 0.05), (3, 0.01), (7, 0.3), (1, 0.5)])
def test_permutations_needed_is_the_fewest_that_can_reach_significance(factor, significance):
    """In floating point, as the tool computes p-values: p = 1 / (N + 1), adjusted p * m."""
    n = permutations_needed(factor, significance)
    assert (1 / (n + 1)) * factor < significance
    assert n == 1 or (1 / n) * factor >= significance
    assert abs(n - factor / significance) <= 1


# ---------------------------------------------------------------------------
# Through the command line

SHIFTS = [0.25, 0.12, 0.1, 0.09, 0, 0, 0, 0]  # the first columns drift, by less and less


@pytest.fixture(scope="module")
def columns8(tmp_path_factory):
    """8 categorical columns of 400 rows a side; the first four drift."""
    rng = np.random.default_rng(14)
    n = len(SHIFTS)
    ref = [rng.choice(3, 400) for _ in range(n)]
    cur = [rng.choice(3, 400, p=[1 / 3 + s, 1 / 3 - s / 2, 1 / 3 - s / 2]) for s in SHIFTS]
    folder = tmp_path_factory.mktemp("columns8")
    header = [f"c{i}" for i in range(n)]
    rows = lambda cols: [["abc"[v] for v in row] for row in zip(*cols, strict=True)]  # noqa: E731
    return write_csv(folder / "ref.csv", header, rows(ref)), write_csv(folder / "cur.csv", header, rows(cur))


def drift_json(*args: str) -> tuple[dict, str]:
    result = run("drift", *args, "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    data = strict_json(result.stdout)
    assert result.exit_code == (1 if data["drift_detected"] else 0)
    return data, result.stderr


TESTED = ("--permutations", "999", "--seed", "3")


@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni", "none"])
def test_the_adjusted_p_values_of_a_drift_run_equal_the_reference(columns8, method):
    data, _ = drift_json(*columns8, *TESTED, "--correction", method)
    assert data["correction"] == method
    raw = [c["p_value"] for c in data["columns"]]
    assert len(raw) == 8 and all(isinstance(p, float) for p in raw)
    adjusted = [c["p_adjusted"] for c in data["columns"]]
    assert adjusted == pytest.approx(reference_adjusted(raw, method), rel=1e-12)
    if method == "bh":
        assert adjusted == pytest.approx(false_discovery_control(raw, method="bh").tolist(), rel=1e-12)
    # the raw p-values do not depend on the correction
    assert raw == [c["p_value"] for c in drift_json(*columns8, *TESTED, "--correction", "none")[0]["columns"]]


def test_holm_is_the_default_with_permutations(columns8):
    default, _ = drift_json(*columns8, *TESTED)
    holm_run, _ = drift_json(*columns8, *TESTED, "--correction", "holm")
    assert default == holm_run
    assert default["correction"] == "holm"
    plain, _ = drift_json(*columns8)
    assert plain["correction"] is None
    assert all(c["p_value"] is None and c["p_adjusted"] is None for c in plain["columns"])


@pytest.mark.parametrize("threshold", ["0.01", "0.06", "0.1", "0.2"])
@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni", "none"])
def test_a_column_is_flagged_exactly_when_over_the_threshold_and_significant_after_correction(
    columns8, method, threshold
):
    data, _ = drift_json(*columns8, *TESTED, "--correction", method, "--threshold", threshold)
    for c in data["columns"]:
        over = c["value"] > float(threshold)
        assert c["drifted"] == (over and c["p_adjusted"] < 0.05), c
    assert data["drifted_columns"] == [c["column"] for c in data["columns"] if c["drifted"]]


def test_the_correction_changes_the_verdict_where_it_should(columns8):
    """c5, drawn with no change at all, is over the threshold and significant
    alone (p < 0.05): a false alarm of testing 8 columns, which holm removes."""
    args = (*columns8, *TESTED, "--threshold", "0.06")
    none, _ = drift_json(*args, "--correction", "none")
    holm_run, _ = drift_json(*args, "--correction", "holm")
    assert SHIFTS[5] == 0
    c5_none, c5_holm = by_column(none)["c5"], by_column(holm_run)["c5"]
    assert c5_none["value"] > 0.06 and c5_none["p_value"] < 0.05 and c5_none["drifted"] is True
    assert c5_holm["p_adjusted"] >= 0.05 and c5_holm["drifted"] is False
    assert "holm-adjusted" in c5_holm["why"] and "not significant" in c5_holm["why"]
    assert set(holm_run["drifted_columns"]) < set(none["drifted_columns"])
    assert {"c0", "c1"} <= set(holm_run["drifted_columns"])


def test_csv_markdown_and_table_carry_both_p_values_and_name_the_correction(columns8):
    data, _ = drift_json(*columns8, *TESTED, "--correction", "bonferroni")
    rows = list(csv.DictReader(io.StringIO(run("drift", *columns8, *TESTED, "--correction", "bonferroni",
                                               "--format", "csv").stdout)))  # fmt: skip
    assert [r["column"] for r in rows] == [c["column"] for c in data["columns"]]
    for r, c in zip(rows, data["columns"], strict=True):
        assert float(r["p_value"]) == c["p_value"] and float(r["p_adjusted"]) == c["p_adjusted"]
        assert r["correction"] == "bonferroni"
    md = run("drift", *columns8, *TESTED, "--correction", "bonferroni", "--format", "markdown").stdout
    header = next(line for line in md.splitlines() if line.startswith("| column"))
    assert "| p-value | p adj. |" in header
    assert "adjusted across the 8 columns tested by Bonferroni's method" in md
    c0 = next(line for line in md.splitlines() if line.startswith("| c0 "))
    assert f"| {c0_p(data, 'p_value')} | {c0_p(data, 'p_adjusted')} |" in c0
    table = run("drift", *columns8, *TESTED, "--correction", "bh", env={"COLUMNS": "120"}).stdout
    assert "p adj." in table and "Benjamini-Hochberg" in table
    none = run("drift", *columns8, *TESTED, "--correction", "none", "--format", "markdown").stdout
    assert "not corrected for the 8 columns tested" in none
    plain = list(csv.DictReader(io.StringIO(run("drift", *columns8, "--format", "csv").stdout)))
    assert all(r["p_value"] == r["p_adjusted"] == r["correction"] == "" for r in plain)


def c0_p(data: dict, key: str) -> str:
    return f"{by_column(data)['c0'][key]:.3g}"


def test_the_api_takes_the_correction(columns8):
    api = drift(*columns8, permutations=99, seed=1, correction="bh").to_dict()
    assert api == drift_json(*columns8, "--permutations", "99", "--seed", "1", "--correction", "bh")[0]


# ---------------------------------------------------------------------------
# Options without effect, and what the test can tell


@pytest.mark.parametrize("extra", [[], ["--permutations", "0"], ["--bootstrap", "20"]])
@pytest.mark.parametrize("method", ["holm", "none"])
def test_correction_without_permutations_is_a_usage_error(columns8, method, extra):
    result = run("drift", *columns8, "--correction", method, *extra)
    assert_one_line_error(result, ["--correction has no effect without --permutations"])


def test_an_unknown_correction_is_refused(columns8):
    assert_one_line_error(run("drift", *columns8, *TESTED, "--correction", "sidak"), ["--correction"])


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kl-cli: warning:")]


@pytest.mark.parametrize(
    ("method", "permutations", "enough"),
    # 8 columns at 0.05: holm and bonferroni need 8 / (N + 1) < 0.05, N >= 160; none needs N >= 20
    [("holm", "99", 160), ("bonferroni", "159", 160), ("none", "19", 20), ("bh", "19", 160)],
)
def test_too_few_permutations_to_ever_be_significant_are_said(columns8, method, permutations, enough):
    data, stderr = drift_json(*columns8, "--permutations", permutations, "--seed", "1", "--correction", method)
    warned = [w for w in _warnings(stderr) if "too few" in w]
    assert len(warned) == 1, stderr
    assert f"--permutations {permutations} are too few" in warned[0]
    assert f"use --permutations {enough} or more" in warned[0]
    assert warned[0].removeprefix("kl-cli: warning: ") in data["warnings"]
    assert data["drifted_columns"] == []  # as said: no column can be flagged
    # and that many are enough: the strongest column is flagged
    again, stderr = drift_json(*columns8, "--permutations", str(enough), "--seed", "1", "--correction", method)
    assert not [w for w in _warnings(stderr) if "too few" in w or "let a single column" in w], stderr
    assert "c0" in again["drifted_columns"]
    smallest_adjusted = (8 if method != "none" else 1) / (enough + 1)
    if method == "bh":  # c1 is as small as c0: bh adjusts both to 8 / (2 (N + 1))
        assert by_column(again)["c0"]["p_adjusted"] <= smallest_adjusted
    else:
        assert by_column(again)["c0"]["p_adjusted"] == pytest.approx(smallest_adjusted)


def test_bh_says_when_only_several_small_p_values_together_can_be_flagged(columns8):
    # 8 columns, 99 permutations: 8 / (k * 100) < 0.05 needs k >= 2 columns at p = 0.01
    _, stderr = drift_json(*columns8, "--permutations", "99", "--seed", "1", "--correction", "bh")
    warned = [w for w in _warnings(stderr) if "bh" in w]
    assert len(warned) == 1 and "at least 2 columns" in warned[0], stderr
    assert "--permutations 160 or more let a single column be flagged" in warned[0]
    assert not [w for w in _warnings(stderr) if "too few" in w]


def test_enough_permutations_raise_no_such_warning(columns8):
    _, stderr = drift_json(*columns8, *TESTED)
    assert not [w for w in _warnings(stderr) if "permutations" in w], stderr


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """No change at all: 'wide' has 40 categories in 80 rows a side (its noise
    alone gives a large divergence), 'narrow' 2 categories, 'amount' numeric."""
    rng = np.random.default_rng(8)
    folder = tmp_path_factory.mktemp("noisy")
    header = ["wide", "narrow", "amount"]

    def rows():
        return [[f"k{rng.integers(40)}", "xy"[rng.integers(2)], f"{rng.normal():.4f}"] for _ in range(80)]

    return write_csv(folder / "ref.csv", header, rows()), write_csv(folder / "cur.csv", header, rows())


def test_a_null_mean_above_the_threshold_is_warned_per_column(noisy):
    data, stderr = drift_json(*noisy, "--permutations", "199", "--seed", "2", "--bins", "30")
    cols = by_column(data)
    warned = [w for w in _warnings(stderr) if "on average" in w]
    above = {name for name, c in cols.items() if c["null_mean"] > data["threshold"]}
    assert "wide" in above and "narrow" not in above  # the data do what the test needs
    assert sorted(w.split("'")[1] for w in warned) == sorted(above)
    wide = next(w for w in warned if "'wide'" in w)
    assert f"would be {cols['wide']['null_mean']:.3g} on average" in wide
    assert "80 / 80 rows" in wide and "more rows" in wide and "p-value" in wide
    assert "the threshold 0.1" in wide
    if "amount" in above:
        assert "fewer bins (--bins)" in next(w for w in warned if "'amount'" in w)
    # noise, not drift: the p-values keep every column unflagged
    assert data["drifted_columns"] == []
    assert cols["wide"]["value"] > data["threshold"]
    # a threshold above the null means: no warning
    _, quiet = drift_json(*noisy, "--permutations", "199", "--seed", "2", "--bins", "30", "--threshold", "0.9")
    assert not [w for w in _warnings(quiet) if "on average" in w], quiet


def test_a_numeric_column_with_too_many_bins_is_told_to_use_fewer(noisy):
    data, stderr = drift_json(*noisy, "--permutations", "99", "--seed", "2", "--bins", "60", "--columns", "amount")
    assert by_column(data)["amount"]["null_mean"] > 0.1
    warned = [w for w in _warnings(stderr) if "on average" in w]
    assert len(warned) == 1 and "'amount'" in warned[0] and "fewer bins (--bins)" in warned[0], stderr


def test_the_calibration_benchmark_runs_and_reports_every_correction(tmp_path):
    """benchmarks/run.py's calibration group at its quick size (nothing about
    speed; the full-size rates are in the README)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    raw = tmp_path / "raw.json"
    proc = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "run.py"), "--quick", "--only", "calibration", "--json", str(raw)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    found = json.loads(raw.read_text())["calibration"]
    assert set(found["corrections"]) == {"holm", "bonferroni", "bh", "none"}
    rates = {m: v["fwer"] for m, v in found["corrections"].items()}
    # holm and bh flag no more than none; bonferroni no more than holm
    assert rates["bonferroni"] <= rates["holm"] <= rates["none"] and rates["bh"] <= rates["none"]
    for method in found["corrections"]:
        assert any(line.startswith(f"| {method} | ") for line in proc.stdout.splitlines()), proc.stdout
    assert "calibration: family-wise error rate" in proc.stdout
