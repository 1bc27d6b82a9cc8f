"""``kl-cli compare`` end to end through CliRunner: known values, smoothing,
--fail-above, exit statuses, and the Python API that the CLI is built on."""

from __future__ import annotations

import json
import math

import click
import numpy as np
import pandas as pd
import pytest
from helpers import KL_PQ, KL_QP, METRIC_IDS, SAMPLE_DATA, by_label

from kl_cli import Comparison, compare
from kl_cli.cli import cli
from kl_cli.errors import InputError, KlError


def kl_of(p: list[float], q: list[float]) -> float:
    return sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)


# ---------------------------------------------------------------------------
# Known values


def test_known_values(kl):
    data = kl.json("0.7,0.3", "0.4,0.6")
    assert data["metrics"]["kl_pq"] == pytest.approx(0.183787, abs=1e-6)
    assert data["metrics"]["kl_qp"] == pytest.approx(0.192042, abs=1e-6)
    assert data["unit"] == "nats"


def test_known_values_value_format(kl):
    assert kl.value("0.7,0.3", "0.4,0.6") == pytest.approx(0.183787, abs=1e-6)
    assert kl.value("0.7,0.3", "0.4,0.6", "--metric", "kl_qp") == pytest.approx(0.192042, abs=1e-6)


@pytest.mark.parametrize(("base", "scale"), [("e", 1.0), ("2", math.log(2)), ("10", math.log(10))])
def test_base_option(kl, base, scale):
    data = kl.json("0.7,0.3", "0.4,0.6", "--base", base)
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ / scale, rel=1e-12)
    assert data["metrics"]["total_variation"] == pytest.approx(0.3, rel=1e-12)


# ---------------------------------------------------------------------------
# Smoothing, checked against hand-computed probabilities


def test_additive(kl):
    data = kl.json("a=3,b=0,c=1", "a=1,b=1,c=2", "--smoothing", "additive", "--alpha", "0.5")
    assert data["smoothing"] == {"method": "additive", "parameter": 0.5}
    p = [3.5 / 5.5, 0.5 / 5.5, 1.5 / 5.5]
    q = [1.5 / 5.5, 1.5 / 5.5, 2.5 / 5.5]  # (w + alpha) / (sum w + K alpha), K = 3
    got = by_label(data)
    for label, a, b in zip("abc", p, q):
        assert got[label] == pytest.approx((a, b), rel=1e-12)
    assert data["metrics"]["kl_pq"] == pytest.approx(kl_of(p, q), rel=1e-12)
    assert data["metrics"]["kl_qp"] == pytest.approx(kl_of(q, p), rel=1e-12)
    assert data["infinite"] == []


def test_additive_default_alpha_is_one(kl):
    data = kl.json("a=3,b=0", "a=1,b=1", "--smoothing", "additive")
    assert data["smoothing"] == {"method": "additive", "parameter": 1.0}
    assert by_label(data)["a"] == pytest.approx((4 / 5, 2 / 4))


def test_additive_on_probabilities_warns(kl):
    result = kl.ok("0.5,0.5", "0.9,0.1", "--smoothing", "additive", "--format", "value")
    assert "kl-cli: warning:" in result.stderr and "--alpha" in result.stderr


def test_epsilon(kl):
    data = kl.json("a=0.5,b=0.5,c=0", "a=0.5,b=0,c=0.5", "--smoothing", "epsilon", "--epsilon", "1e-6")
    assert data["smoothing"] == {"method": "epsilon", "parameter": 1e-6}
    z = 1 + 1e-6
    p = [0.5 / z, 0.5 / z, 1e-6 / z]
    q = [0.5 / z, 1e-6 / z, 0.5 / z]
    got = by_label(data)
    for label, a, b in zip("abc", p, q):
        assert got[label] == pytest.approx((a, b), rel=1e-12)
    assert data["metrics"]["kl_pq"] == pytest.approx(kl_of(p, q), rel=1e-12)
    assert data["infinite"] == [] and data["warnings"] == []


def test_epsilon_default(kl):
    result, data = kl.report("a=0.5,b=0.5", "a=0.25,b=0,c=0.75", "--smoothing", "epsilon")
    assert data["smoothing"] == {"method": "epsilon", "parameter": 1e-10}
    assert by_label(data)["b"][1] == pytest.approx(1e-10 / (1 + 1e-10), rel=1e-12)
    assert by_label(data)["c"][0] == pytest.approx(1e-10 / (1 + 1e-10), rel=1e-12)
    assert result.stderr == ""  # 1e-10 is far below the smallest probability, 0.25


def test_epsilon_too_large_warns(kl):
    result, data = kl.report("a=0.5,b=0.5,c=0", "a=0.5,b=0,c=0.5", "--smoothing", "epsilon", "--epsilon", "0.01")
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kl-cli: warning:")
    assert "0.01" in lines[0] and "epsilon" in lines[0]
    assert len(data["warnings"]) == 1


def test_epsilon_leaves_data_without_zeros_alone(kl):
    plain = kl.json("0.7,0.3", "0.4,0.6")
    smoothed = kl.json("0.7,0.3", "0.4,0.6", "--smoothing", "epsilon", "--epsilon", "0.1")
    assert smoothed["metrics"] == plain["metrics"]
    assert smoothed["warnings"] == []


def test_mix(kl):
    data = kl.json("a=1,b=0,c=0", "a=0.2,b=0.3,c=0.5", "--smoothing", "mix", "--lambda", "0.1")
    assert data["smoothing"] == {"method": "mix", "parameter": 0.1}
    p = [0.9 * 1 + 0.1 / 3, 0.1 / 3, 0.1 / 3]
    q = [0.9 * 0.2 + 0.1 / 3, 0.9 * 0.3 + 0.1 / 3, 0.9 * 0.5 + 0.1 / 3]
    got = by_label(data)
    for label, a, b in zip("abc", p, q):
        assert got[label] == pytest.approx((a, b), rel=1e-12)
    assert data["metrics"]["kl_qp"] == pytest.approx(kl_of(q, p), rel=1e-12)


def test_mix_default_and_full_uniform(kl):
    assert kl.json("1,0", "0.5,0.5", "--smoothing", "mix")["smoothing"] == {"method": "mix", "parameter": 0.01}
    data = kl.json("1,0", "0.2,0.8", "--smoothing", "mix", "--lambda", "1")
    assert data["metrics"]["kl_pq"] == 0.0  # lambda = 1: both sides become uniform


def test_smoothing_uses_the_union_of_labels(kl):
    # 'd' exists only in Q: P gets alpha there too.
    data = kl.json("a=2,b=2", "a=1,d=3", "--smoothing", "additive")
    got = by_label(data)
    assert got["d"] == pytest.approx((1 / 7, 4 / 7))
    assert got["b"] == pytest.approx((3 / 7, 1 / 7))


def test_infinite_without_smoothing_finite_with_it(kl):
    raw = kl.json("sun=50,rain=30,snow=20", "sun=60,rain=40,snow=0")
    assert raw["infinite_causes"]["kl_pq"] == ["snow"]
    assert "kl_pq" in raw["infinite"]
    for method in ("additive", "epsilon", "mix"):
        data = kl.json("sun=50,rain=30,snow=20", "sun=60,rain=40,snow=0", "--smoothing", method)
        assert data["infinite"] == [], method
        assert all(v is not None for v in data["metrics"].values())


# ---------------------------------------------------------------------------
# --fail-above and --metric


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "value"])
def test_fail_above_exceeded_still_prints(kl, fmt):
    result = kl.run("0.7,0.3", "0.4,0.6", "--fail-above", "0.1", "--format", fmt)
    assert result.exit_code == 1
    assert result.stdout.strip() != ""
    assert result.stderr == ""


def test_fail_above_within_and_equal(kl):
    assert kl.run("0.7,0.3", "0.4,0.6", "--fail-above", "0.2").exit_code == 0
    exact = kl.ok("0.7,0.3", "0.4,0.6", "--format", "value").stdout.strip()
    assert kl.run("0.7,0.3", "0.4,0.6", "--fail-above", exact).exit_code == 0  # "at most X" is fine


def test_fail_above_infinite_always_exceeds(kl):
    result = kl.run("a=0.5,b=0.5", "a=1,b=0", "--fail-above", "1e308", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["metrics"]["kl_pq"] is None


@pytest.mark.parametrize(
    ("metric", "limit", "code"),
    [
        ("js_distance", "0.2", 1),
        ("js_distance", "0.25", 0),
        ("kl_qp", "0.19", 1),
        ("kl_qp", "0.2", 0),
        ("total_variation", "0.29", 1),
        ("hellinger", "0.3", 0),
    ],
)
def test_metric_picks_what_fail_above_checks(kl, metric, limit, code):
    assert kl.run("0.7,0.3", "0.4,0.6", "--metric", metric, "--fail-above", limit).exit_code == code


def test_metric_finite_while_kl_is_infinite(kl):
    result = kl.run("a=0.5,b=0.5", "a=1,b=0", "--metric", "js_divergence", "--fail-above", "0.5", "--format", "value")
    assert result.exit_code == 0
    assert 0 < float(result.stdout) < 0.5


def test_no_fail_above_means_exit_zero_even_when_infinite(kl):
    assert kl.run("a=0.5,b=0.5", "a=1,b=0").exit_code == 0


def test_fail_above_nan_is_a_usage_error(kl):
    kl.error("0.7,0.3", "0.4,0.6", "--fail-above", "nan", needles=["--fail-above"])


# ---------------------------------------------------------------------------
# Exit statuses and the error line


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ([], ["Missing argument", "--help"]),
        (["0.5,0.5", "0.5,0.5", "--no-such-option"], ["--no-such-option", "--help"]),
        (["0.5,0.5", "0.5,0.5", "--format", "yaml"], ["--format", "yaml"]),
        (["0.5,0.5", "0.5,0.5", "--metric", "kl"], ["--metric"]),
        (["0.5,0.5", "0.5,0.5", "--base", "3"], ["--base"]),
        (["0.5,0.5", "0.5,0.5", "--top", "-1"], ["--top"]),
        (["0.5,0.5", "0.5,0.5", "--alpha", "x"], ["--alpha"]),
        (["0.5,0.5", "0.5,0.5", "extra"], ["extra"]),
    ],
)
def test_usage_errors(kl, args, needles):
    kl.error(*args, needles=needles)


def test_internal_error_is_one_line(kl, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kl_cli.reports.compare.measure", boom)
    kl.error("0.7,0.3", "0.4,0.6", needles=["internal error", "RuntimeError", "boom", "--debug"])


def test_debug_shows_the_traceback(kl):
    result = kl.run("a=-1,b=2", "a=1,b=1", "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("kl-cli: error:")


def test_interrupt_exits_130(kl, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("kl_cli.reports.compare.measure", interrupted)
    result = kl.run("0.7,0.3", "0.4,0.6")
    assert result.exit_code == 130
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["kl-cli: error: interrupted"]


def test_help_and_version(kl):
    result = kl.run_raw(["--help"])
    assert result.exit_code == 0 and "compare" in result.stdout
    result = kl.run_raw(["compare", "--help"])
    assert result.exit_code == 0
    for option in ("--smoothing", "--alpha", "--epsilon", "--lambda", "--base", "--format", "--metric"):
        assert option in result.stdout
    for option in ("--fail-above", "--strict", "--column", "--p-column", "--q-column", "--label-column"):
        assert option in result.stdout
    result = kl.run_raw(["--version"])
    assert result.exit_code == 0 and "0." in result.stdout


def test_every_compare_option_has_help():
    command = cli.commands["compare"]
    missing = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not (p.help and p.help.strip())]
    assert missing == []


def test_readme_tour_commands(kl, monkeypatch):
    """The README's file examples run (exit status and strict JSON only: the
    sample data may be refined)."""
    monkeypatch.chdir(SAMPLE_DATA.parent)
    for args in (
        ["sample_data/forecast.csv", "sample_data/observed.csv"],
        ["sample_data/word_counts.tsv", "--p-column", "speeches_2019", "--q-column", "speeches_2023"],
        ["sample_data/weather.json"],
        ["sample_data/sky_observations.csv", "sample_data/forecast.csv", "--p-column", "sky"],
        ["sample_data/forecast.csv", "sample_data/observed.csv", "--smoothing", "additive", "--alpha", "0.5"],
        ["sample_data/forecast_no_fog.json", "sample_data/forecast.csv", "--smoothing", "epsilon", "--epsilon", "1e-6"],
        ["sample_data/forecast_no_fog.json", "sample_data/forecast.csv", "--smoothing", "mix", "--lambda", "0.01"],
    ):
        data = kl.json(*args)
        assert set(data["metrics"]) == set(METRIC_IDS), args
        kl.ok(*args, "--format", "markdown")
    limit = 0.1
    expected = 1 if compare("sample_data/weather.json", base="2").metrics["js_distance"] > limit else 0
    result = kl.run(
        "sample_data/weather.json",
        "--metric",
        "js_distance",
        "--base",
        "2",
        "--fail-above",
        str(limit),
        "--format",
        "markdown",
    )
    assert result.exit_code == expected


# ---------------------------------------------------------------------------
# The Python API


def test_api_lists():
    r = compare([0.7, 0.3], [0.4, 0.6])
    assert isinstance(r, Comparison)
    assert r.metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert r.metrics["kl_qp"] == pytest.approx(KL_QP, rel=1e-12)


def test_api_dicts_match_by_label():
    r = compare({"rain": 0.7, "dry": 0.3}, {"dry": 0.6, "rain": 0.4})
    assert r.metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert {c["label"] for c in r.to_dict()["categories"]} == {"rain", "dry"}


def test_api_numpy_arrays():
    r = compare(np.array([70, 30]), np.array([0.4, 0.6]))
    assert r.metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert r.warnings == []


def test_api_pandas_series():
    labelled = compare(pd.Series({"rain": 0.7, "dry": 0.3}), pd.Series({"dry": 0.6, "rain": 0.4}))
    assert labelled.metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    positional = compare(pd.Series([0.7, 0.3]), [0.4, 0.6])
    assert positional.metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    observations = compare(pd.Series(["a"] * 7 + ["b"] * 3), {"a": 0.4, "b": 0.6})
    assert observations.metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)


def test_api_observations_and_strings(write):
    assert compare(["x", "x", "y"], {"x": 2, "y": 1}).metrics["kl_pq"] == 0.0
    assert compare("0.7,0.3", "0.4,0.6").metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    path = write("pair.json", '{"p": {"a": 0.7, "b": 0.3}, "q": {"a": 0.4, "b": 0.6}}')
    assert compare(path).metrics["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)


def test_api_options():
    r = compare([0.7, 0.3], [0.4, 0.6], base="2")
    assert r.metrics["kl_pq"] == pytest.approx(KL_PQ / math.log(2), rel=1e-12)
    assert r.unit == "bits"
    s = compare([3, 0], [1, 1], smoothing="additive", alpha=0.5)
    assert s.to_dict()["smoothing"] == {"method": "additive", "parameter": 0.5}
    assert s.p.tolist() == pytest.approx([3.5 / 4, 0.5 / 4])


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ("0.7,0.3", "0.4,0.6"),
        ("sun=0.5,rain=0.3,snow=0.2", "sun=0.6,rain=0.4,snow=0"),
        ("a=1,b=1,a=2", "a=0.5,c=0.5"),
    ],
)
def test_api_to_dict_equals_cli_json(kl, p, q):
    cli_data = kl.json(p, q)
    api = compare(p, q).to_dict()
    assert json.loads(json.dumps(api, allow_nan=False)) == cli_data
    assert api["metrics"] == cli_data["metrics"]


def test_api_metrics_equal_cli_metrics_for_python_objects(kl):
    api = compare({"sun": 0.5, "rain": 0.3, "snow": 0.2}, {"sun": 0.6, "rain": 0.39, "snow": 0.01})
    cli_data = kl.json("sun=0.5,rain=0.3,snow=0.2", "sun=0.6,rain=0.39,snow=0.01")
    assert api.to_dict()["metrics"] == cli_data["metrics"]
    assert {k: v for k, v in api.metrics.items()} == cli_data["metrics"]


def test_api_infinite_is_json_safe():
    d = compare({"a": 0.5, "b": 0.5}, {"a": 1.0, "b": 0.0}).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["metrics"]["kl_pq"] is None and "kl_pq" in d["infinite"]


@pytest.mark.parametrize(
    ("p", "q", "needle"),
    [
        ([0.5, -0.5], [0.5, 0.5], "negative"),
        ([0.5, float("nan")], [0.5, 0.5], "nan"),
        ([0.0, 0.0], [0.5, 0.5], "0"),
        ([], [0.5, 0.5], "empty"),
        ([0.5, 0.5], [0.2, 0.3, 0.5], "labels"),
        ({"a": 0.5, "b": None}, {"a": 1}, "null"),
    ],
)
def test_api_bad_input_raises(p, q, needle):
    with pytest.raises(KlError, match=needle):
        compare(p, q)


def test_api_needs_q_for_python_objects():
    with pytest.raises(InputError, match="Q is missing"):
        compare([0.5, 0.5])


def test_api_strict():
    with pytest.raises(KlError, match=r"1\.3"):
        compare([0.9, 0.4], [0.4, 0.6], strict=True)
    assert compare([0.9, 0.4], [0.4, 0.6]).warnings
