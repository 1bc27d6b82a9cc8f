"""`kl-cli sampled`: KL(q||p) from the log-probabilities of tokens drawn from q.

The estimators are checked on simulated policies whose KL is known exactly
(two categorical distributions over 50 tokens, KL from the definition in
mpmath): k1 and k3 within 4 standard errors of the truth, standard errors
calibrated over independent replicates, per-sequence figures against a
direct pandas groupby, and the same answer from every input form.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pytest
from helpers import assert_one_line_error, describe, run, strict_json
from hypothesis import given, settings
from hypothesis import strategies as st

from kl_cli.core.sampled import k3_terms

K = 50


def policies(seed: int, closeness: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """q and p over K tokens (p mixed towards q by ``closeness``)."""
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.full(K, 2.0))
    p = rng.dirichlet(np.full(K, 2.0))
    p = closeness * q + (1 - closeness) * p
    return q / q.sum(), p / p.sum()


def exact_kl(q: np.ndarray, p: np.ndarray) -> float:
    """KL(q||p) = sum_x q(x) log(q(x)/p(x)), in 40-digit arithmetic."""
    with mpmath.workdps(40):
        return float(mpmath.fsum(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b)) for a, b in zip(q, p)))


def draw(q: np.ndarray, p: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """log q(x) and log p(x) of n tokens x drawn from q."""
    x = np.random.default_rng(seed).choice(K, size=n, p=q)
    return np.log(q)[x], np.log(p)[x]


def write_table(path: Path, columns: dict[str, np.ndarray]) -> str:
    pd.DataFrame(columns).to_csv(path, index=False, float_format="%.17g")
    return str(path)


def report(*args: str, input: str | bytes | None = None) -> dict:
    result = run("sampled", *args, "--format", "json", input=input)
    assert result.exit_code == 0, describe(result)
    return strict_json(result.stdout)


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


# ---------------------------------------------------------------------------
# Accuracy on simulated policies


def test_large_sample_k1_and_k3_within_four_standard_errors(tmp_path: Path) -> None:
    q, p = policies(1)
    truth = exact_kl(q, p)
    logq, logp = draw(q, p, 200_000, seed=2)
    data = report(write_table(tmp_path / "t.csv", {"logq": logq, "logp": logp}), "--logq", "logq", "--logp", "logp")
    assert data["direction"] == "KL(q||p)"
    assert data["tokens"] == 200_000 and data["sequences"] is None and data["per_sequence"] is None
    for k in ("k1", "k3"):
        e = data["estimators"][k]
        assert abs(e["mean"] - truth) <= 4 * e["sem"], (k, e, truth)
        assert 0 < e["sem"] < 0.05
    # k2 is biased: for these far-apart policies, far more than 4 standard errors off
    k2 = data["estimators"]["k2"]
    assert abs(k2["mean"] - truth) > 4 * k2["sem"]
    assert "biased" in data["properties"]["k2"] and "never negative" in data["properties"]["k3"]
    assert any("KL(p||q) cannot be estimated" in n for n in data["notes"])


def test_standard_errors_are_calibrated(tmp_path: Path) -> None:
    """Over 200 independent replicates of 400 tokens, the +-1.96 sem intervals
    cover the truth about 95% of the time: 190 expected, binomial sd 3.1."""
    q, p = policies(3, closeness=0.5)
    truth = exact_kl(q, p)
    covered = {"k1": 0, "k3": 0}
    replicates = 200
    for r in range(replicates):
        logq, logp = draw(q, p, 400, seed=1000 + r)
        np.save(tmp_path / "q.npy", logq)
        np.save(tmp_path / "p.npy", logp)
        data = report(str(tmp_path / "q.npy"), str(tmp_path / "p.npy"))
        for k in covered:
            e = data["estimators"][k]
            covered[k] += abs(e["mean"] - truth) <= 1.96 * e["sem"]
    for k, c in covered.items():
        assert 178 <= c <= 199, (k, c)  # 190 +- 4 binomial standard deviations (all 200: sem too wide)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-800, 0, allow_nan=False, allow_subnormal=True), st.floats(-800, 0, allow_subnormal=True)),
        min_size=1,
        max_size=40,
    )
)
def test_k3_is_never_negative_and_accurate(pairs: list[tuple[float, float]]) -> None:
    logq = np.array([a for a, _ in pairs])
    logp = np.array([b for _, b in pairs])
    d = logp - logq
    k3 = k3_terms(d)
    assert (k3 >= 0).all()
    for t, v in zip(d.tolist(), k3.tolist()):
        # enough digits that expm1(t) - t keeps 40 of its own (it is about t^2/2)
        digits = 40 + (0 if t == 0 else max(0, int(-math.log10(abs(t)))))
        with mpmath.workdps(digits):
            exact = mpmath.expm1(mpmath.mpf(t)) - mpmath.mpf(t)
            if exact > mpmath.mpf(1e308):
                assert v == math.inf
            elif exact == 0:
                assert v == 0
            else:
                # (a value below the normal range of floats keeps fewer digits)
                assert abs(mpmath.mpf(v) - exact) <= 4e-15 * exact + 2.3e-308, (t, v)


def test_nearly_equal_policies_are_accurate(tmp_path: Path) -> None:
    """log r = 1e-9 everywhere: k3 = expm1(t) - t = t^2/2 + t^3/6 + ..., not 0 and not rounding noise."""
    logq = np.log(np.linspace(0.1, 0.9, 1000))
    logp = logq + 1e-9
    np.save(tmp_path / "q.npy", logq)
    np.save(tmp_path / "p.npy", logp)
    data = report(str(tmp_path / "q.npy"), str(tmp_path / "p.npy"))
    d = logp - logq
    with mpmath.workdps(40):
        exact = float(mpmath.fsum(mpmath.expm1(mpmath.mpf(t)) - mpmath.mpf(t) for t in d.tolist()) / len(d))
        exact_k2 = float(mpmath.fsum(mpmath.mpf(t) ** 2 / 2 for t in d.tolist()) / len(d))
    assert close(data["estimators"]["k3"]["mean"], exact, 1e-12)
    assert close(data["estimators"]["k2"]["mean"], exact_k2, 1e-12)


# ---------------------------------------------------------------------------
# Per-sequence figures


def _sequences(n_seq: int, seed: int, interleaved: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q, p = policies(seed, closeness=0.3)
    lengths = rng.integers(1, 40, n_seq)
    seq = np.repeat([f"s{i}" for i in range(n_seq)], lengths)
    logq, logp = draw(q, p, seq.size, seed + 1)
    frame = pd.DataFrame({"seq": seq, "logq": logq, "logp": logp, "mask": (rng.random(seq.size) < 0.8).astype(int)})
    if interleaved:
        frame = frame.iloc[rng.permutation(len(frame))]
    return frame


def _groupby_reference(frame: pd.DataFrame) -> dict[str, tuple[float, float]]:
    kept = frame[frame["mask"] == 1].copy()
    d = kept["logp"] - kept["logq"]
    kept["k1"], kept["k2"], kept["k3"] = -d, d * d / 2, np.expm1(d) - d
    sums = kept.groupby("seq")[["k1", "k2", "k3"]].sum()
    return {k: (sums[k].mean(), sums[k].std(ddof=1) / math.sqrt(len(sums))) for k in ("k1", "k2", "k3")}


@pytest.mark.parametrize("interleaved", [False, True])
def test_per_sequence_matches_pandas_groupby(tmp_path: Path, interleaved: bool) -> None:
    frame = _sequences(300, 5, interleaved)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    data = report(str(path), "--logq", "logq", "--logp", "logp", "--sequence", "seq", "--mask", "mask")
    expected = _groupby_reference(frame)
    kept_sequences = frame[frame["mask"] == 1]["seq"].nunique()
    assert data["sequences"] == kept_sequences
    assert data["empty_sequences"] == 300 - kept_sequences
    assert data["tokens"] == int(frame["mask"].sum()) and data["masked"] == int((frame["mask"] == 0).sum())
    for k, (mean, sem) in expected.items():
        got = data["per_sequence"][k]
        assert close(got["mean"], mean, 1e-9), (k, got, mean)
        assert close(got["sem"], sem, 1e-9), (k, got, sem)


def test_per_sequence_of_2d_arrays_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are sequences; blocks of a few rows give the figures of one pass."""
    rng = np.random.default_rng(8)
    q, p = policies(8, closeness=0.3)
    logq, logp = draw(q, p, 60 * 25, 9)
    mask = (rng.random(60 * 25) < 0.7).astype(np.int8)
    np.save(tmp_path / "q.npy", logq.reshape(60, 25).astype(np.float32))
    np.save(tmp_path / "p.npy", logp.reshape(60, 25).astype(np.float32))
    np.save(tmp_path / "m.npy", mask.reshape(60, 25))
    args = (str(tmp_path / "q.npy"), str(tmp_path / "p.npy"), "--mask", str(tmp_path / "m.npy"))
    whole = report(*args)
    import kl_cli.inputs.logprobs as logprobs

    monkeypatch.setattr(logprobs, "BLOCK_TOKENS", 60)  # blocks of 2 rows
    blocked = report(*args)
    frame = pd.DataFrame(
        {
            "seq": np.repeat(np.arange(60), 25),
            "logq": logq.astype(np.float32).astype(np.float64),
            "logp": logp.astype(np.float32).astype(np.float64),
            "mask": mask,
        }
    )
    expected = _groupby_reference(frame)
    for data in (whole, blocked):
        for k, (mean, sem) in expected.items():
            assert close(data["per_sequence"][k]["mean"], mean, 1e-9)
            assert close(data["per_sequence"][k]["sem"], sem, 1e-9)
        for k in ("k1", "k2", "k3"):
            assert close(data["estimators"][k]["mean"], whole["estimators"][k]["mean"], 1e-12)
            assert close(data["estimators"][k]["sem"], whole["estimators"][k]["sem"], 1e-12)


# ---------------------------------------------------------------------------
# Every input form gives the same answer


def test_same_answer_from_csv_parquet_jsonl_gzip_stdin_npy_and_npz(tmp_path: Path) -> None:
    q, p = policies(11, closeness=0.2)
    logq, logp = draw(q, p, 2_000, 12)
    seq = np.repeat(np.arange(100), 20)
    frame = pd.DataFrame({"seq": seq, "logq": logq, "logp": logp})
    csv_path = tmp_path / "t.csv"
    frame.to_csv(csv_path, index=False, float_format="%.17g")
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_json(tmp_path / "t.jsonl", orient="records", lines=True, double_precision=15)
    with gzip.open(tmp_path / "t.csv.gz", "wb") as handle:
        handle.write(csv_path.read_bytes())
    np.save(tmp_path / "q.npy", logq.reshape(100, 20))
    np.save(tmp_path / "p.npy", logp.reshape(100, 20))
    np.savez(tmp_path / "both.npz", lq=logq.reshape(100, 20), lp=logp.reshape(100, 20))
    columns = ("--logq", "logq", "--logp", "logp", "--sequence", "seq")
    reports = {
        "csv": report(str(csv_path), *columns),
        "parquet": report(str(tmp_path / "t.parquet"), *columns),
        "jsonl": report(str(tmp_path / "t.jsonl"), *columns),
        "gzip": report(str(tmp_path / "t.csv.gz"), *columns),
        "stdin": report("-", *columns, input=csv_path.read_bytes()),
        "npy": report(str(tmp_path / "q.npy"), str(tmp_path / "p.npy")),
        "npz": report(str(tmp_path / "both.npz"), "--logq", "lq", "--logp", "lp"),
    }
    first = reports["csv"]
    for name, data in reports.items():
        assert data["tokens"] == 2_000 and data["sequences"] == 100, name
        for part in ("estimators", "per_sequence"):
            for k in ("k1", "k2", "k3"):
                for stat in ("mean", "sem"):
                    assert close(data[part][k][stat], first[part][k][stat], 1e-12), (name, part, k, stat)


# ---------------------------------------------------------------------------
# Output formats, --fail-above, infinities


def test_value_csv_markdown_table_and_fail_above(tmp_path: Path) -> None:
    frame = _sequences(50, 21, False)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    args = ("sampled", str(path), "--logq", "logq", "--logp", "logp", "--sequence", "seq")
    data = report(*args[1:])
    value = run(*args, "--format", "value", "--estimator", "k1", "--per", "sequence", "--stat", "sem")
    assert value.exit_code == 0 and float(value.stdout) == data["per_sequence"]["k1"]["sem"]
    default = run(*args, "--format", "value")
    assert float(default.stdout) == data["estimators"]["k3"]["mean"]
    k3 = data["estimators"]["k3"]["mean"]
    over = run(*args, "--format", "value", "--fail-above", str(k3 / 2))
    assert over.exit_code == 1 and float(over.stdout) == k3
    under = run(*args, "--fail-above", str(k3 * 2))
    assert under.exit_code == 0, describe(under)
    rows = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv").stdout)))
    assert [(r["estimator"], r["per"]) for r in rows] == [
        (k, per) for per in ("token", "sequence") for k in ("k1", "k2", "k3")
    ]
    assert float(rows[2]["mean"]) == k3
    markdown = run(*args, "--format", "markdown").stdout
    assert "| k3 |" in markdown and "KL(q\\|\\|p)" in markdown
    table = run(*args).stdout
    assert "KL(q||p)" in table and "per sequence" in table and "KL(p||q) cannot be estimated" in table


def test_logp_minus_inf_makes_every_estimate_infinite(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("logq,logp\n-1.0,-2.0\n-0.5,-inf\n-2.0,-1.0\n")
    result = run("sampled", str(path), "--logq", "logq", "--logp", "logp", "--format", "json")
    assert result.exit_code == 0, describe(result)
    data = strict_json(result.stdout)
    assert data["infinite"] == ["k1", "k2", "k3"]
    assert all(data["estimators"][k]["mean"] is None for k in ("k1", "k2", "k3"))
    assert "probability 0" in data["infinite_cause"]
    assert "infinite" in result.stderr
    over = run("sampled", str(path), "--logq", "logq", "--logp", "logp", "--format", "value", "--fail-above", "1e300")
    assert over.exit_code == 1 and over.stdout.strip() == "inf"


def test_warnings_k1_negative_and_heavy_k3_tail(tmp_path: Path) -> None:
    # p and q nearly equal: k1's mean is negative in this sample
    logq = np.log(np.full(100, 0.5))
    logp = logq + np.random.default_rng(4).normal(0.001, 0.01, 100)
    logp = np.minimum(logp, 0.0)
    np.save(tmp_path / "q.npy", logq)
    np.save(tmp_path / "p.npy", logp)
    result = run("sampled", str(tmp_path / "q.npy"), str(tmp_path / "p.npy"), "--format", "json")
    data = strict_json(result.stdout)
    assert data["estimators"]["k1"]["mean"] < 0
    assert any("k1's mean is negative" in w for w in data["warnings"])
    assert "k1's mean is negative" in result.stderr
    # a few tokens p likes far more than q: k3's variance rests on them
    logq = np.full(10_000, math.log(0.5))
    logq[:3] = math.log(1e-6)
    logp = np.full(10_000, math.log(0.5))
    np.save(tmp_path / "q.npy", logq)
    np.save(tmp_path / "p.npy", logp)
    data = report(str(tmp_path / "q.npy"), str(tmp_path / "p.npy"))
    assert any("10 largest k3 values" in w for w in data["warnings"])


# ---------------------------------------------------------------------------
# Errors: one line each


def _csv(tmp_path: Path, text: str, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


COLUMNS = ("--logq", "logq", "--logp", "logp")


@pytest.mark.parametrize(
    "text, extra, needles",
    [
        ("logq,other\n-1,-2\n", (), ["no column 'logp' (--logp)", "the columns are"]),
        ("logq,logp\n-1,-2\n-1,abc\n", (), ["line 3", "'logp'", "not a finite number"]),
        ("logq,logp\n-1,-2\nnan,-1\n", (), ["line 3", "'logq'"]),
        ("logq,logp\n-1,-2\n-1,inf\n", (), ["line 3", "'logp'", "not a finite number"]),
        ("logq,logp\n-1,-2\n0.5,-1\n", (), ["line 3", "logq is 0.5", "probability above 1"]),
        ("logq,logp\n-1,-2\n-inf,-1\n", (), ["line 3", "logq is -inf", "cannot be 0"]),
        ("logq,logp,m\n-1,-2,0\n-1,-1,0\n", ("--mask", "m"), ["no tokens left after masking"]),
        ("logq,logp,m\n-1,-2,1\n-1,-1,2\n", ("--mask", "m"), ["line 3", "'m'", "0 or 1"]),
        ("logq,logp,s\n-1,-2,a\n-1,-1,\n", ("--sequence", "s"), ["line 3", "'s'", "no sequence id"]),
        ("logq,logp,s\n-1,-2,a\n", ("--sequence", "nope"), ["no column 'nope' (--sequence)"]),
    ],
)
def test_table_errors_are_one_line(tmp_path: Path, text: str, extra: tuple[str, ...], needles: list[str]) -> None:
    assert_one_line_error(run("sampled", _csv(tmp_path, text), *COLUMNS, *extra), needles)


def test_masked_padding_is_not_checked(tmp_path: Path) -> None:
    path = _csv(tmp_path, "logq,logp,m\n-1,-2,1\n0.7,-1,0\n-0.5,-0.25,1\n")
    data = report(path, *COLUMNS, "--mask", "m")
    assert data["tokens"] == 2 and data["masked"] == 1
    assert close(data["estimators"]["k1"]["mean"], (1 - 0.25) / 2)


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "logq,logp\n-1,-2\n")
    assert_one_line_error(run("sampled", path), ["--logq and --logp"])
    assert_one_line_error(run("sampled", path, "--logq", "logq", "--logp", "logq"), ["both name", "'logq'"])
    assert_one_line_error(
        run("sampled", path, *COLUMNS, "--per", "sequence", "--format", "value"), ["--per sequence needs sequences"]
    )
    assert_one_line_error(run("sampled", path, *COLUMNS, "--fail-above", "nan"), ["not a number"])
    np.save(tmp_path / "q.npy", np.full(3, -1.0))
    assert_one_line_error(
        run("sampled", str(tmp_path / "q.npy"), str(tmp_path / "q.npy"), "--logq", "x"), ["--logq names a column"]
    )
    assert_one_line_error(run("sampled", str(tmp_path / "q.npy"), *COLUMNS), ["holds one array; give two"])


def test_array_errors_are_one_line(tmp_path: Path) -> None:
    def save(name: str, array: np.ndarray) -> str:
        np.save(tmp_path / name, array)
        return str(tmp_path / name)

    q = save("q.npy", np.full((3, 4), -1.0))
    cases = [
        ((q, save("p.npy", np.full((3, 5), -1.0))), ["shape (3, 5) differs", "(3, 4)"]),
        ((q, save("p3.npy", np.full((3, 4, 2), -1.0))), ["shape (3, 4, 2)", "sequences x positions"]),
        ((q, save("pn.npy", np.where(np.eye(3, 4) > 0, np.nan, -1.0))), ["at [0, 0]", "logp is NaN"]),
        ((q, save("pi.npy", np.where(np.eye(3, 4) > 0, np.inf, -1.0))), ["at [0, 0]", "logp is +inf"]),
        ((q, save("pp.npy", np.where(np.eye(3, 4) > 0, 0.01, -1.0))), ["at [0, 0]", "probability above 1"]),
        ((save("qi.npy", np.full((3, 4), -np.inf)), q), ["at [0, 0]", "logq is -inf"]),
        ((q, q, "--mask", save("m1.npy", np.ones((3, 5), dtype=np.int8))), ["mask has shape (3, 5)"]),
        ((q, q, "--mask", save("m2.npy", np.full((3, 4), 2, dtype=np.int8))), ["at [0, 0]", "0 or 1"]),
        ((q, q, "--mask", save("m3.npy", np.zeros((3, 4), dtype=bool))), ["no tokens left after masking"]),
        ((q, save("obj.npy", np.array(["a", "b"]))), ["expected floating point"]),
        ((q, str(tmp_path / "missing.npy")), ["no such file"]),
    ]
    for args, needles in cases:
        assert_one_line_error(run("sampled", *args), needles)


def test_json_is_strict_and_has_the_issue_keys(tmp_path: Path) -> None:
    path = _csv(tmp_path, "logq,logp\n-1,-2\n-0.5,-0.1\n")
    result = run("sampled", path, *COLUMNS, "--format", "json")
    data = strict_json(result.stdout)
    for key in ("direction", "tokens", "sequences", "estimators", "per_sequence", "warnings"):
        assert key in data
    assert set(data["estimators"]) == {"k1", "k2", "k3"}
    assert set(data["estimators"]["k1"]) == {"mean", "sem"}
    json.dumps(data, allow_nan=False)
    # two tokens: a warning on stderr, never on stdout
    assert "only 2 tokens" in result.stderr


def test_base_2_divides_by_log_2(tmp_path: Path) -> None:
    path = _csv(tmp_path, "logq,logp\n-1,-2\n-0.5,-0.1\n-0.3,-0.9\n")
    nats = report(path, *COLUMNS)
    bits = report(path, *COLUMNS, "--base", "2")
    for k in ("k1", "k2", "k3"):
        assert close(bits["estimators"][k]["mean"], nats["estimators"][k]["mean"] / math.log(2))
    assert bits["unit"] == "bits"


def test_sample_data_example_runs() -> None:
    from helpers import SAMPLE_DATA

    data = report(
        str(SAMPLE_DATA / "rl_logprobs.csv"),
        "--logq",
        "logq",
        "--logp",
        "logp",
        "--sequence",
        "sequence",
        "--mask",
        "mask",
    )
    assert data["sequences"] > 0 and data["estimators"]["k3"]["mean"] > 0


def test_reader_chunks_change_nothing_and_lines_stay_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 97 rows (sequences interleaved across them) give the one-chunk figures, and
    an error in a later chunk names its own line."""
    from kl_cli.inputs.datasets import iter_dataset

    frame = _sequences(200, 31, interleaved=True)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    args = (str(path), *COLUMNS, "--sequence", "seq", "--mask", "mask")
    whole = report(*args)
    monkeypatch.setitem(iter_dataset.__kwdefaults__, "chunk_rows", 97)
    chunked = report(*args)
    expected = _groupby_reference(frame)
    for part in ("estimators", "per_sequence"):
        for k in ("k1", "k2", "k3"):
            for stat in ("mean", "sem"):
                assert close(chunked[part][k][stat], whole[part][k][stat], 1e-12), (part, k, stat)
    for k, (mean, sem) in expected.items():
        assert close(chunked["per_sequence"][k]["mean"], mean, 1e-9)
        assert close(chunked["per_sequence"][k]["sem"], sem, 1e-9)
    lines = path.read_text().splitlines()
    row = next(i for i in range(400, len(lines)) if lines[i].split(",")[3] == "1")  # a kept token, chunk 5
    cells = lines[row].split(",")
    cells[1] = "0.25"
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    assert_one_line_error(run("sampled", *args), [f"line {row + 1}:", "logq is 0.25"])


CELLS = [
    "1", "-2.5", "+.5", "1.", "-0", "1e5", "1E-5", "5e+3", "00.1", "1e400", "1e-400", "123456789012345678901234567890",
    "inf", "-inf", "+inf", "Infinity", "nan", "NaN", "-nan", "", " 1", "1 ", "1_0", "0x10", "1e", "e5", "1,5", "1d3",
    "-", "+", ".", "١٢", "１", "--1", "0x1p3", "true",
]  # fmt: skip


@pytest.mark.parametrize("cell", CELLS)
def test_one_arrow_cast_reads_cells_as_the_decimal_pattern_does(cell: str) -> None:
    """The fast path (every cell of a chunk parses as an Arrow float) and the pattern's
    path (taken when one cell does not: here an empty one) read every cell alike."""
    import pyarrow as pa

    from kl_cli.errors import InputError
    from kl_cli.inputs.arrow import TextColumn
    from kl_cli.inputs.columns import _numbers

    class Table:
        text_cells = True

        def line_of(self, row: int) -> str:
            return f"line {row + 2}"

    def read(cells: list[str]) -> str:
        try:
            values, _ = _numbers(TextColumn(pa.array(cells)), Table(), "t", "c", 0, empty_ok=True)
        except InputError as exc:
            return str(exc)
        return repr(float(values[0]))

    assert read([cell]) == read([cell, ""])


def test_python_api(tmp_path: Path) -> None:
    import kl_cli

    path = _csv(tmp_path, "logq,logp\n-1,-2\n-0.5,-0.1\n-0.3,-0.9\n")
    result = kl_cli.sampled(path, logq="logq", logp="logp", base=2)
    assert result.to_dict() == report(path, *COLUMNS, "--base", "2")
    assert result.figure("k3", "token", "mean") == result.estimators["k3"].mean
