"""Regression tests from the review of issue 13's commands (batch, sampled, matrix):
a check with nothing to compare fails, Gaussians with variances below the float
range, one rule for a standard error of a single value, bounded matrix work."""

from __future__ import annotations

import math

import click
import mpmath
import numpy as np
import pytest
from helpers import assert_one_line_error, describe, run, strict_json

import kl_cli
from kl_cli.cli.options import exceeded
from kl_cli.errors import UsageError


@pytest.mark.parametrize("value", [None, math.nan])
def test_a_check_with_no_figure_fails_instead_of_passing(value):
    """exceeded() returned False for NaN: a --fail-above gate passed on it."""
    with pytest.raises(click.UsageError, match="no value to compare"):
        exceeded(value, 0.5)
    assert exceeded(value, None) is False
    assert exceeded(math.inf, 1e300) and not exceeded(0.4, 0.5) and exceeded(0.6, 0.5)


def _mp_gaussian_kl(mu_p, lv_p, mu_q, lv_q):
    """KL of diagonal Gaussians, the textbook sum at 60 digits."""
    with mpmath.workdps(60):
        total = mpmath.mpf(0)
        for a, la, b, lb in zip(mu_p, lv_p, mu_q, lv_q):
            a, la, b, lb = (mpmath.mpf(float(v)) for v in (a, la, b, lb))
            total += (lb - la + (mpmath.exp(la) + (a - b) ** 2) / mpmath.exp(lb) - 1) / 2
        return float(total)


def test_gaussians_with_variances_below_the_float_range(tmp_path):
    """logvar -800 gave 0 * inf = NaN (JSON null, 'nan' printed, --fail-above passing)."""
    mu_p, lv_p = np.array([[0.0, 0.0, 0.0], [0.0, 1e-300, 0.0]]), np.full((2, 3), -800.0)
    mu_q, lv_q = np.array([[0.0, 0.0, 0.0], [1e-300, 0.0, 0.0]]), np.array([[-800.0] * 3, [-799.0, -800.0, -801.0]])
    np.savez(tmp_path / "p.npz", mu=mu_p, logvar=lv_p)
    np.savez(tmp_path / "q.npz", mu=mu_q, logvar=lv_q)
    result = run("batch", str(tmp_path / "p.npz"), str(tmp_path / "q.npz"), "--format", "json", "--per-row")
    assert result.exit_code == 0, describe(result)
    data = strict_json(result.stdout)
    rows = data["per_row"]
    for i in range(2):
        for key, (a, la, b, lb) in (("kl_pq", (mu_p, lv_p, mu_q, lv_q)), ("kl_qp", (mu_q, lv_q, mu_p, lv_p))):
            got, want = rows[i][key], _mp_gaussian_kl(a[i], la[i], b[i], lb[i])
            assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (key, i, got, want)
        h = rows[i]["hellinger"]
        assert h is not None and 0 <= h <= 1
    both = ("batch", str(tmp_path / "p.npz"), str(tmp_path / "p.npz"))
    gate = run(*both, "--metric", "hellinger", "--format", "value", "--stat", "max", "--fail-above", "0.5")
    assert gate.exit_code == 0 and float(gate.stdout) == 0.0, describe(gate)


def test_a_standard_error_of_one_value_is_not_estimated(tmp_path):
    """sampled said inf (and --stat sem --fail-above 1 exited 1); batch's summary says
    nothing (None) for one row: one rule now, and a gate on it is trouble."""
    one = tmp_path / "one.csv"
    one.write_text("logq,logp\n-1.0,-1.2\n")
    data = strict_json(run("sampled", str(one), "--logq", "logq", "--logp", "logp", "--format", "json").stdout)
    assert all(e["sem"] is None for e in data["estimators"].values()), data["estimators"]
    assert data["estimators"]["k1"]["mean"] == pytest.approx(0.2, rel=1e-12)
    gate = run("sampled", str(one), "--logq", "logq", "--logp", "logp", "--stat", "sem", "--fail-above", "1")
    assert_one_line_error(gate, ["standard error needs at least two"])


def test_a_matrix_whose_work_is_beyond_its_bound_is_refused(tmp_path):
    """N (N - 1) / 2 x K pair-category evaluations are bounded (5,000 x 1,700: 2.1e10)."""
    path = tmp_path / "rows.npy"
    np.save(path, np.ones((5_000, 1_700), dtype=np.float32))
    result = run("matrix", str(path), "--rows")
    assert_one_line_error(result, ["5,000 distributions of 1,700 categories", "pair-category evaluations"])


def test_sampled_base_is_checked_like_the_other_commands():
    with pytest.raises(UsageError, match="--base"):
        kl_cli.sampled("sample_data/rl_logprobs.csv", logq="logq", logp="logp", base=3)


def test_a_standard_error_of_huge_figures_does_not_overflow():
    """np.std squared figures above 1e154 to inf: sem became null; statistics.stdev is exact."""
    import statistics

    from kl_cli.core.row_summary import summarize

    values = np.array([1e200, 2.5e200, 7e199, 3e201])
    got = summarize(values, np.arange(values.size)).sem
    want = statistics.stdev(values.tolist()) / math.sqrt(values.size)
    assert got == pytest.approx(want, rel=1e-12)
