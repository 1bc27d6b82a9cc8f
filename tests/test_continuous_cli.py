"""compare with a parametric distribution on one side, through the CLI:
observations against a model (binned exactly), and the report of two models.

The model's bin probabilities are checked against scipy.stats' distribution
functions on edges computed here with numpy from the observations alone.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import assert_one_line_error, describe, run, strict_json, write_csv
from scipy import integrate, stats

from kl_cli import api


def _data(tmp_path, values, name="x.csv"):
    return write_csv(tmp_path / name, ["x"], [[v] for v in values])


def _edges(values, bins):
    return np.quantile(np.asarray(values, dtype=float), np.arange(1, bins) / bins)


def _bin_masses(dist, edges):
    cdf = np.concatenate([[0.0], dist.cdf(edges), [1.0]])
    return np.diff(cdf)


@pytest.mark.parametrize(
    ("spec", "reference", "draw"),
    [
        ("normal(0.5, 1.5)", stats.norm(0.5, 1.5), lambda rng, n: rng.normal(0, 1, n)),
        ("gamma(shape=2, rate=0.5)", stats.gamma(2, scale=2), lambda rng, n: rng.gamma(2.5, 2, n)),
        ("student_t(4)", stats.t(4), lambda rng, n: rng.standard_t(3, n)),
        ("poisson(4)", stats.poisson(4), lambda rng, n: rng.poisson(4.5, n).astype(float)),
    ],
)
@pytest.mark.parametrize("model_side", ["Q", "P"])
def test_observations_against_a_model_get_its_exact_bin_probabilities(tmp_path, spec, reference, draw, model_side):
    values = draw(np.random.default_rng(3), 2_000).round(6)
    path = _data(tmp_path, values)
    args = [path, spec] if model_side == "Q" else [spec, path]
    result = run("compare", *args, "--samples", "--bins", "6", "--format", "json")
    assert result.exit_code == 0, result.output
    report = strict_json(result.stdout)
    edges = np.unique(_edges(values, 6))  # edges from the observations, whichever side they are
    masses = _bin_masses(reference, edges)
    side = "q" if model_side == "Q" else "p"
    data_side = "p" if side == "q" else "q"
    by_order = sorted(report["categories"], key=lambda c: _lower(c["label"]))
    got = np.array([c[side] for c in by_order])
    np.testing.assert_allclose(got, masses, rtol=1e-9, atol=1e-15)
    # bins are right-closed, (e[i-1], e[i]]: a value equal to an edge is in the bin below it
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
    assert [c[data_side] for c in by_order] == pytest.approx(counts / counts.sum(), rel=1e-9)
    assert any("exact, from its distribution function" in note for note in report["notes"])


def _lower(label: str) -> float:
    """The lower edge of a bin label like '(-inf, 0.5]' or '(0.5, 1.2]'."""
    return float(label.strip("([").split(",")[0].replace("-inf", "-1e308"))


def test_observations_outside_the_model_support_make_kl_infinite_with_the_bin_named(tmp_path):
    path = _data(tmp_path, [-3.0, -2.0, -1.5, -1.0, 0.5, 1.0, 2.0, 3.0] * 10)  # half of them below 0
    result = run("compare", path, "exponential(1)", "--samples", "--bins", "4", "--format", "json")
    assert result.exit_code == 0
    report = strict_json(result.stdout)
    assert "kl_pq" in report["infinite"] and report["infinite_causes"]["kl_pq"]
    assert math.isfinite(report["metrics"]["kl_qp"])


def test_missing_observations_are_left_out_and_said(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["x"], [[v] for v in [0.1, "", 0.5, "nan", 1.5, -0.3, 0.9, 2.2] * 5])
    result = run("compare", path, "normal(0,1)", "--samples", "--bins", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    report = strict_json(result.stdout)
    assert any("10 missing values left out" in note for note in report["notes"])
    assert sum(c["p"] for c in report["categories"]) == pytest.approx(1.0)


def test_a_model_against_data_without_samples_is_an_error(tmp_path):
    path = _data(tmp_path, [0.1, 0.2, 0.3])
    assert_one_line_error(run("compare", path, "normal(0,1)"), ["--samples"])
    assert_one_line_error(run("compare", "normal(0,1)"), ["Q is missing"])
    for estimator in ("binned", "knn"):  # knn was an internal error (a TypeError on Q = None)
        assert_one_line_error(run("compare", "normal(0,1)", "--samples", "--estimator", estimator), ["Q is missing"])


@pytest.mark.parametrize(
    "option",
    [["--smoothing", "additive"], ["--permutations", "99"], ["--bootstrap", "10"], ["--samples"], ["--n-p", "10"]],
)
def test_options_about_observations_are_refused_for_two_distributions(option):
    result = run("compare", "normal(0,1)", "normal(1,1)", *option)
    assert_one_line_error(result, ["parametric distributions"])


def test_two_distributions_report_methods_and_both_distributions():
    report = strict_json(run("compare", "normal(0, 1)", "normal(mu=1, sigma=2)", "--format", "json").stdout)
    assert report["p_distribution"] == {"family": "normal", "parameters": {"mu": 0.0, "sigma": 1.0}}
    assert report["q_distribution"] == {"family": "normal", "parameters": {"mu": 1.0, "sigma": 2.0}}
    truth = math.log(2) + (1 + 1) / 8 - 0.5
    assert report["metrics"]["kl_pq"] == pytest.approx(truth, rel=1e-14)
    assert report["methods"]["kl_pq"] == {"method": "closed form", "error": None}
    assert report["methods"]["js_divergence"]["method"] == "quadrature"
    assert report["differential_entropy"] is True


def test_the_python_api_takes_distributions_and_the_value_format_prints_one_number():
    from kl_cli.core.parametric.families import make

    result = api.compare(make("exponential", [2.0]), make("gamma", [2.0, 3.0]))
    p, q = stats.expon(scale=0.5), stats.gamma(2, scale=1 / 3)
    expected = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), 0, np.inf, epsrel=1e-12)[0]
    assert result.metrics["kl_pq"] == pytest.approx(expected, rel=1e-8)
    out = run("compare", "exponential(2)", "gamma(2, 3)", "--format", "value", "--metric", "kl_pq")
    assert float(out.stdout) == pytest.approx(expected, rel=1e-8)


def test_the_picture_falls_back_to_ascii_where_the_output_cannot_hold_blocks():
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "80"}
    proc = subprocess.run(
        [sys.executable, "-m", "kl_cli", "compare", "normal(0,1)", "laplace(0.5, 1)"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode("ascii")
    assert "# both  P P only  q Q only" in text
    assert any(set(line) <= set(" #Pq") and "#" in line for line in text.splitlines())


def test_a_distribution_in_a_json_file_is_the_same_as_on_the_command_line(tmp_path):
    path = tmp_path / "prior.json"
    path.write_text('{"family": "normal", "mu": 0, "sigma": 1}')
    a = strict_json(run("compare", "normal(0.3, 0.8)", str(path), "--format", "json").stdout)
    b = strict_json(run("compare", "normal(0.3, 0.8)", "normal(0, 1)", "--format", "json").stdout)
    assert a["metrics"] == b["metrics"]


# ---------------------------------------------------------------------------
# --estimator knn through the command line


@pytest.fixture(scope="module")
def normal_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("knn")
    rng = np.random.default_rng(12)
    a = write_csv(folder / "a.csv", ["x"], [[v] for v in rng.normal(0, 1, 4000)])
    b = write_csv(folder / "b.csv", ["x"], [[v] for v in rng.normal(1, 1, 4000)])
    xy = rng.normal(0, 1, (3000, 2))
    uv = rng.normal(1, 1, (3000, 2))
    v1 = write_csv(folder / "v1.csv", ["x", "y", "label"], [[x, y, "a"] for x, y in xy])
    v2 = write_csv(folder / "v2.csv", ["x", "y", "label"], [[x, y, "b"] for x, y in uv])
    return a, b, v1, v2


def test_knn_two_samples_estimate_both_directions_and_say_how(normal_pair):
    a, b, _, _ = normal_pair
    report = strict_json(run("compare", a, b, "--samples", "--estimator", "knn", "--format", "json").stdout)
    assert report["metrics"]["kl_pq"] == pytest.approx(0.5, rel=0.15)
    assert report["metrics"]["kl_qp"] == pytest.approx(0.5, rel=0.15)
    assert report["metrics"]["total_variation"] is None and "total_variation" in report["not_estimated"]
    assert "total_variation" not in report["infinite"]
    assert report["methods"]["kl_pq"]["method"] == "nearest neighbours"
    assert report["estimator"]["k"] == 1 and report["estimator"]["n_p"] == 4000
    assert report["metrics"]["jeffreys"] == pytest.approx(report["metrics"]["kl_pq"] + report["metrics"]["kl_qp"])


def test_knn_columns_read_vectors(normal_pair):
    _, _, v1, v2 = normal_pair
    out = run("compare", v1, v2, "--samples", "--estimator", "knn", "--columns", "x,y", "--format", "json")
    report = strict_json(out.stdout)
    assert report["estimator"]["dimension"] == 2
    assert report["metrics"]["kl_pq"] == pytest.approx(1.0, rel=0.15)
    model = run(
        "compare",
        v1,
        "mvnormal(mean=[1, 1], sigma=[1, 1])",
        "--samples",
        "--estimator",
        "knn",
        "--columns",
        "x,y",
        "--format",
        "value",
    )
    assert model.exit_code == 0, model.output
    assert float(model.stdout) == pytest.approx(1.0, rel=0.15)


def test_knn_against_a_model_in_either_side(normal_pair):
    a, _, _, _ = normal_pair
    as_q = strict_json(run("compare", a, "normal(1, 1)", "--samples", "--estimator", "knn", "--format", "json").stdout)
    as_p = strict_json(run("compare", "normal(1, 1)", a, "--samples", "--estimator", "knn", "--format", "json").stdout)
    assert as_q["metrics"]["kl_pq"] == pytest.approx(0.5, rel=0.1)
    assert as_q["metrics"]["kl_pq"] == pytest.approx(as_p["metrics"]["kl_qp"])
    assert as_q["methods"]["entropy_q"]["method"] == "closed form"
    assert as_p["methods"]["entropy_p"]["method"] == "closed form"
    assert as_q["estimator"]["model_sample"] >= 4000


def test_knn_ties_never_give_infinity_and_are_warned(tmp_path):
    rng = np.random.default_rng(5)
    a = _data(tmp_path, rng.integers(0, 6, 500).astype(float), "a.csv")
    b = _data(tmp_path, rng.integers(0, 7, 500).astype(float), "b.csv")
    result = run("compare", a, b, "--samples", "--estimator", "knn", "--format", "json")
    assert result.exit_code == 0, result.output
    report = strict_json(result.stdout)
    assert report["infinite"] == []
    assert all(v is None or math.isfinite(v) for v in report["metrics"].values())
    assert report["estimator"]["spread"]["repeated_share_p"] > 0.9  # integers: spread over [k - 1/2, k + 1/2]
    assert "--estimator binned" in result.stderr


def test_knn_permutation_test_reports_p_values(normal_pair):
    a, b, _, _ = normal_pair
    out = run(
        "compare", a, b, "--samples", "--estimator", "knn", "--permutations", "19", "--seed", "3", "--format", "json"
    )
    report = strict_json(out.stdout)
    assert report["test"]["permutations"] == 19
    assert report["test"]["p_value"]["kl_pq"] == pytest.approx(1 / 20)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--estimator", "knn"], ["--samples"]),
        (["--samples", "--k", "3"], ["--k", "knn"]),
        (["--samples", "--columns", "x"], ["--columns", "knn"]),
        (["--samples", "--estimator", "knn", "--bins", "5"], ["--bins", "binned"]),
        (["--samples", "--estimator", "knn", "--metric", "total_variation", "--format", "value"], ["total_variation"]),
        (["--samples", "--estimator", "knn", "--columns", "x,x"], ["twice"]),
        (["--samples", "--estimator", "knn", "--k", "0"], ["--k"]),
    ],
)
def test_knn_options_that_do_not_fit_are_one_line_errors(normal_pair, args, needles):
    a, b, _, _ = normal_pair
    assert_one_line_error(run("compare", a, b, *args), needles)


def test_knn_errors_name_the_problem(tmp_path, normal_pair):
    a, _, v1, _ = normal_pair
    few = _data(tmp_path, [1.0, 2.0], "few.csv")
    assert_one_line_error(run("compare", a, few, "--samples", "--estimator", "knn", "--k", "3"), ["Q", "--k 3"])
    assert_one_line_error(
        run("compare", v1, "normal(0,1)", "--samples", "--estimator", "knn", "--columns", "x,y"), ["dimensions"]
    )
    assert_one_line_error(run("compare", a, "poisson(3)", "--samples", "--estimator", "knn"), ["discrete"])
    assert_one_line_error(run("compare", v1, v1, "--samples", "--estimator", "knn", "--columns", "x,label"), ["text"])


@pytest.mark.parametrize("step", [0.1, 0.5, 1.0])
def test_knn_on_rounded_observations_estimates_the_unrounded_divergence(tmp_path, step):
    """Rounded values repeat; each is spread over its rounding interval (said in a
    note and a warning), so KL and the entropies stay near the truth of the
    unrounded distributions, two samples or a sample against the model (the
    mean of three draws: one draw of 8,000 points varies by about 0.03)."""
    found: dict[str, list[float]] = {"kl_pq": [], "kl_qp": [], "entropy_p": []}
    for seed in (8, 9, 10):
        rng = np.random.default_rng(seed)
        a = _data(tmp_path, np.round(rng.normal(0, 1, 8000) / step) * step, "a.csv")
        b = _data(tmp_path, np.round(rng.normal(1, 1, 8000) / step) * step, "b.csv")
        for q in (b, "normal(1, 1)"):
            result = run("compare", a, q, "--samples", "--estimator", "knn", "--format", "json")
            assert result.exit_code == 0, result.output
            report = strict_json(result.stdout)
            for key, values in found.items():
                values.append(report["metrics"][key])
            assert any("rounding interval" in note for note in report["notes"])
            assert report["estimator"]["spread"]["steps"] == [pytest.approx(step)]
            assert report["estimator"]["spread"]["repeated_share_p"] > 0.1
            assert "repeat a value" in result.stderr
    assert np.mean(found["kl_pq"]) == pytest.approx(0.5, rel=0.1)
    assert np.mean(found["kl_qp"]) == pytest.approx(0.5, rel=0.1)
    # The entropy of what rounding left: each cell's mass spread flat over the cell (the unrounded
    # normal's 1.4189 nats, plus what coarse rounding adds: 1.4590 at a step of 1)
    k = np.arange(-60 / step, 60 / step + 1)
    cells = stats.norm.cdf((k + 0.5) * step) - stats.norm.cdf((k - 0.5) * step)
    cells = cells[cells > 0]
    assert np.mean(found["entropy_p"]) == pytest.approx(-np.sum(cells * np.log(cells / step)), rel=0.03)


def test_dequantize_moves_values_within_their_rounding_interval_and_leaves_distinct_ones():
    from kl_cli.core.dequantize import dequantize

    rng = np.random.default_rng(1)
    distinct = rng.normal(size=500)
    same = dequantize([distinct, distinct + 10], seed=0)
    assert same.steps is None and np.array_equal(same.samples[0], distinct)
    rounded = np.round(rng.normal(size=(400, 2)) * 4) / 4  # a grid of step 0.25 in both columns
    done = dequantize([rounded, rounded[:100] + 0.5], seed=0)
    assert done.steps == [0.25, 0.25]
    moved = done.samples[0] - rounded
    assert np.all(np.abs(moved) <= 0.125) and np.unique(done.samples[0], axis=0).shape[0] == 400


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_the_report_says_why_a_metric_is_not_estimated(fmt):
    """A normal of sd 1.7e308 puts 29% of its mass beyond the floats: no quadrature;
    the table and markdown said only 'not estimated', the reason was in JSON alone."""
    result = run("compare", "normal(0,1.7e308)", "normal(3,50)", "--format", fmt)
    assert result.exit_code == 0, describe(result)
    text = " ".join(result.stdout.split()).replace("\\", "")
    assert "not estimated: js_divergence, total_variation: it needs quadrature" in text, text
    assert "beyond the float range" in text
    data = strict_json(run("compare", "normal(0,1.7e308)", "normal(3,50)", "--format", "json").stdout)
    assert set(data["not_estimated"]) == {"js_divergence", "js_distance", "total_variation"}
    want = math.log(1.7e308 / 50) + 0.5 * (50 / 1.7e308) ** 2 - 0.5  # KL(normal(3,50) || normal(0,1.7e308))
    assert data["metrics"]["kl_qp"] == pytest.approx(want, rel=1e-12)
