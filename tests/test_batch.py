"""kl-cli batch (issue 13): many pairs of distributions, row by row.

Per-row figures are checked against scipy on softmaxed rows, nearly identical
rows against exact arithmetic (mpmath), through the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.special import log_softmax, rel_entr, softmax

from tests.helpers import assert_one_line_error, describe, run, strict_json

FIGURES = ("kl_pq", "kl_qp", "js_divergence", "js_distance", "total_variation", "hellinger", "entropy_p", "entropy_q")


def batch_json(*args: str) -> dict:
    result = run("batch", *args, "--format", "json", "--per-row")
    assert result.exit_code == 0, describe(result)
    return strict_json(result.stdout)


def per_row(report: dict, metric: str) -> np.ndarray:
    return np.array([math.inf if r[metric] is None else r[metric] for r in report["per_row"]])


def reference(p: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """scipy's figures of rows of probabilities (float64)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hp = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1)
        hq = -np.nansum(np.where(q > 0, q * np.log(q), 0.0), axis=1)
    js = jensenshannon(p, q, axis=1)
    return {
        "kl_pq": rel_entr(p, q).sum(axis=1),
        "kl_qp": rel_entr(q, p).sum(axis=1),
        "js_divergence": js**2,
        "js_distance": js,
        "total_variation": 0.5 * np.abs(p - q).sum(axis=1),
        "hellinger": np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(axis=1)),
        "entropy_p": hp,
        "entropy_q": hq,
    }


def assert_figures(report: dict, p: np.ndarray, q: np.ndarray, rtol: float = 1e-10) -> None:
    ref = reference(p, q)
    for metric in FIGURES:
        got = per_row(report, metric)
        np.testing.assert_allclose(got, ref[metric], rtol=rtol, atol=1e-300, err_msg=metric)


def logits_pair(rows: int = 12, k: int = 9, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 2, (rows, k))
    return a, a + rng.normal(0, 0.7, (rows, k))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", ["probs", "logits", "logprobs"])
def test_npy_2d_every_input_kind_and_dtype_matches_scipy(tmp_path: Path, dtype: type, kind: str) -> None:
    a, b = logits_pair()
    if kind == "probs":
        a, b = softmax(a, axis=1) * 3.0, softmax(b, axis=1) * 0.5  # unnormalized weights
    elif kind == "logprobs":
        a, b = log_softmax(a, axis=1), log_softmax(b, axis=1)
    a, b = a.astype(dtype), b.astype(dtype)
    np.save(tmp_path / "p.npy", a)
    np.save(tmp_path / "q.npy", b)
    report = batch_json(str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", kind)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if kind == "probs":
        p, q = a64 / a64.sum(axis=1, keepdims=True), b64 / b64.sum(axis=1, keepdims=True)
    else:  # logprobs of float16/32 sum to 1 within their rounding, and are normalized
        p, q = softmax(a64, axis=1), softmax(b64, axis=1)
    assert_figures(report, p, q)
    assert report["rows"] == 12 and report["masked"] == 0
    top1 = np.mean(p.argmax(axis=1) == q.argmax(axis=1))
    assert report["top1_agree"] == pytest.approx(top1)


def test_npy_3d_rows_are_positions_and_sequences_are_summed(tmp_path: Path) -> None:
    a, b = logits_pair(rows=4 * 5, k=7, seed=1)
    np.save(tmp_path / "p.npy", a.reshape(4, 5, 7).astype(np.float32))
    np.save(tmp_path / "q.npy", b.reshape(4, 5, 7).astype(np.float32))
    report = batch_json(str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits")
    p = softmax(a.astype(np.float32).astype(np.float64), axis=1)
    q = softmax(b.astype(np.float32).astype(np.float64), axis=1)
    assert_figures(report, p, q)
    kl = rel_entr(p, q).sum(axis=1)
    assert report["shape"] == [4, 5]
    seq = report["per_sequence"]
    assert seq["sequences"] == 4
    sums = kl.reshape(4, 5).sum(axis=1)
    assert seq["kl_pq"]["mean"] == pytest.approx(sums.mean(), rel=1e-10)
    assert seq["kl_pq"]["argmax"] == int(np.argmax(sums))
    top = int(np.argmax(kl))
    assert report["summary"]["kl_pq"]["argmax"] == top
    assert report["summary"]["kl_pq"]["argmax_position"] == [top // 5, top % 5]
    assert report["per_row"][7]["sequence"] == 1 and report["per_row"][7]["position"] == 2
    value = run(
        "batch",
        str(tmp_path / "p.npy"),
        str(tmp_path / "q.npy"),
        "--input",
        "logits",
        "--format",
        "value",
        "--stat",
        "sequence_mean",
    )
    assert float(value.stdout) == pytest.approx(sums.mean(), rel=1e-10)


def test_npz_key_and_temperature(tmp_path: Path) -> None:
    a, b = logits_pair(seed=2)
    np.savez(tmp_path / "p.npz", logits=a, other=b)
    np.savez(tmp_path / "q.npz", logits=b, other=a)
    report = batch_json(
        str(tmp_path / "p.npz"), str(tmp_path / "q.npz"), "--key", "logits", "--input", "logits", "--temperature", "2.5"
    )
    assert_figures(report, softmax(a / 2.5, axis=1), softmax(b / 2.5, axis=1))
    line = assert_one_line_error(run("batch", str(tmp_path / "p.npz"), str(tmp_path / "q.npz"), "--key", "nope"))
    assert "nope" in line


def test_csv_wide_matches_columns_by_name(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(4), 6), rng.dirichlet(np.ones(4), 6)
    names = ["rain", "sun", "fog", "snow"]
    (tmp_path / "p.csv").write_text(
        ",".join(names) + "\n" + "".join(",".join(repr(float(x)) for x in row) + "\n" for row in p)
    )
    order = [2, 0, 3, 1]  # Q's columns in another order
    (tmp_path / "q.tsv").write_text(
        "\t".join(names[i] for i in order)
        + "\n"
        + "".join("\t".join(repr(float(row[i])) for i in order) + "\n" for row in q)
    )
    report = batch_json(str(tmp_path / "p.csv"), str(tmp_path / "q.tsv"))
    assert_figures(report, p, q)
    (tmp_path / "r.csv").write_text("rain,sun,fog,hail\n" + "0.25,0.25,0.25,0.25\n" * 6)
    line = assert_one_line_error(run("batch", str(tmp_path / "p.csv"), str(tmp_path / "r.csv")))
    assert "snow" in line and "hail" in line


def test_json_lines_lists_and_objects(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    p, q = rng.dirichlet(np.ones(3), 5), rng.dirichlet(np.ones(3), 5)
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(row.tolist()) + "\n" for row in p))
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(row.tolist()) + "\n" for row in q))
    assert_figures(batch_json(str(tmp_path / "p.jsonl"), str(tmp_path / "q.jsonl")), p, q)
    labels = ["a", "b", "c"]
    (tmp_path / "po.jsonl").write_text("".join(json.dumps(dict(zip(labels, row.tolist()))) + "\n" for row in p))
    (tmp_path / "qo.jsonl").write_text(
        "".join(json.dumps(dict(zip(labels[::-1], row[::-1].tolist()))) + "\n" for row in q)
    )
    assert_figures(batch_json(str(tmp_path / "po.jsonl"), str(tmp_path / "qo.jsonl")), p, q)


def test_logprobs_of_a_top_k_get_the_rest(tmp_path: Path) -> None:
    p = np.array([[0.5, 0.3], [0.6, 0.4]])  # the first row leaves out 0.2
    q = np.array([[0.4, 0.4], [0.5, 0.5]])
    np.save(tmp_path / "p.npy", np.log(p))
    np.save(tmp_path / "q.npy", np.log(q))
    result = run(
        "batch",
        str(tmp_path / "p.npy"),
        str(tmp_path / "q.npy"),
        "--input",
        "logprobs",
        "--format",
        "json",
        "--per-row",
    )
    report = strict_json(result.stdout)
    full_p = np.array([[0.5, 0.3, 0.2], [0.6, 0.4, 0.0]])
    full_q = np.array([[0.4, 0.4, 0.2], [0.5, 0.5, 0.0]])
    assert_figures(report, full_p, full_q)
    assert any("(rest)" in n for n in report["notes"])
    np.save(tmp_path / "over.npy", np.log(np.array([[0.7, 0.6], [0.5, 0.5]])))
    line = assert_one_line_error(
        run("batch", str(tmp_path / "over.npy"), str(tmp_path / "q.npy"), "--input", "logprobs")
    )
    assert "more than 1" in line and "row 0" in line


def exact_kl(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """KL(P||Q), KL(Q||P) and JS of softmax(a), softmax(b) at 60 digits."""
    with mpmath.workdps(60):
        ea = [mpmath.exp(mpmath.mpf(float(x))) for x in a]
        eb = [mpmath.exp(mpmath.mpf(float(x))) for x in b]
        sa, sb = mpmath.fsum(ea), mpmath.fsum(eb)
        p = [x / sa for x in ea]
        q = [x / sb for x in eb]
        kl_pq = mpmath.fsum(x * mpmath.log(x / y) for x, y in zip(p, q))
        kl_qp = mpmath.fsum(y * mpmath.log(y / x) for x, y in zip(p, q))
        js = mpmath.fsum((x * mpmath.log(2 * x / (x + y)) + y * mpmath.log(2 * y / (x + y))) / 2 for x, y in zip(p, q))
        return float(kl_pq), float(kl_qp), float(js)


def test_nearly_identical_float32_rows_are_exact_to_1e_6(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(0, 4, (6, 50)).astype(np.float32)
    b = a.copy()
    for i in range(6):  # one, a few or all values one float32 step apart
        cols = rng.choice(50, size=[1, 3, 50, 10, 2, 25][i], replace=False)
        b[i, cols] = np.nextafter(a[i, cols], np.float32(np.inf))
    np.save(tmp_path / "p.npy", a)
    np.save(tmp_path / "q.npy", b)
    report = batch_json(str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits")
    for i in range(6):
        kl_pq, kl_qp, js = exact_kl(a[i], b[i])
        row = report["per_row"][i]
        assert kl_pq > 0
        assert row["kl_pq"] == pytest.approx(kl_pq, rel=1e-6)
        assert row["kl_qp"] == pytest.approx(kl_qp, rel=1e-6)
        assert row["js_divergence"] == pytest.approx(js, rel=1e-6)
    # and the same as probabilities
    np.save(tmp_path / "pp.npy", softmax(a.astype(np.float64), axis=1).astype(np.float32))
    pp = np.load(tmp_path / "pp.npy")
    qq = pp.copy()
    qq[:, 0] = np.nextafter(pp[:, 0], np.float32(1))
    np.save(tmp_path / "qq.npy", qq)
    report = batch_json(str(tmp_path / "pp.npy"), str(tmp_path / "qq.npy"))
    for i in range(6):
        kl_pq, _, _ = exact_kl(np.log(pp[i].astype(np.float64)), np.log(qq[i].astype(np.float64)))
        assert report["per_row"][i]["kl_pq"] == pytest.approx(kl_pq, rel=1e-6)


def test_logits_of_plus_minus_1000(tmp_path: Path) -> None:
    a = np.array([[1000.0, -1000.0, 0.0, 999.0], [-1000.0, -1000.0, -999.0, -1000.0]])
    b = np.array([[999.0, 1000.0, -1000.0, 1000.0], [-1000.0, -999.5, -1000.0, -1000.0]])
    np.save(tmp_path / "p.npy", a)
    np.save(tmp_path / "q.npy", b)
    report = batch_json(str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits")
    for i in range(2):
        kl_pq, kl_qp, js = exact_kl(a[i], b[i])
        row = report["per_row"][i]
        assert row["kl_pq"] == pytest.approx(kl_pq, rel=1e-12)
        assert row["kl_qp"] == pytest.approx(kl_qp, rel=1e-12)
        assert row["js_divergence"] == pytest.approx(js, rel=1e-12)


def test_zero_probabilities_give_an_honest_infinite_summary(tmp_path: Path) -> None:
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0], [0.3, 0.3, 0.4]])
    q = np.array([[0.5, 0.0, 0.5], [0.1, 0.9, 0.0], [0.3, 0.3, 0.4]])
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    report = batch_json(str(tmp_path / "p.npy"), str(tmp_path / "q.npy"))
    assert_figures(report, p, q)
    kl = report["summary"]["kl_pq"]
    assert kl["mean"] is None and kl["max"] is None and kl["infinite_rows"] == 1 and kl["argmax"] == 0
    assert kl["min"] == 0.0
    assert report["infinite"]["kl_pq"]["rows"] == 1 and report["infinite"]["kl_pq"]["first_rows"] == [0]
    assert report["summary"]["js_divergence"]["mean"] is not None
    table = run("batch", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"))
    assert table.exit_code == 0 and "infinite in 1 rows" in table.stdout


def test_mask_leaves_rows_out_and_counts_them(tmp_path: Path) -> None:
    a, b = logits_pair(rows=3 * 4, k=5, seed=6)
    np.save(tmp_path / "p.npy", a.reshape(3, 4, 5))
    bad = b.copy()
    bad[3] = np.nan  # a padding row holds garbage: never read for errors
    np.save(tmp_path / "q.npy", bad.reshape(3, 4, 5))
    mask = np.ones((3, 4), dtype=np.int8)
    mask[0, 3] = 0
    mask[2, 1:] = 0
    np.save(tmp_path / "mask.npy", mask)
    report = batch_json(
        str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits", "--mask", str(tmp_path / "mask.npy")
    )
    keep = mask.reshape(-1).astype(bool)
    assert report["rows"] == 8 and report["masked"] == 4
    assert [r["row"] for r in report["per_row"]] == list(np.flatnonzero(keep))
    assert_figures(report, softmax(a[keep], axis=1), softmax(b[keep], axis=1))
    kl = rel_entr(softmax(a, axis=1), softmax(b, axis=1)).sum(axis=1) * keep
    sums = kl.reshape(3, 4).sum(axis=1)
    assert report["per_sequence"]["kl_pq"]["mean"] == pytest.approx(sums.mean(), rel=1e-10)
    (tmp_path / "mask.txt").write_text("keep\n" + "\n".join(str(int(x)) for x in keep) + "\n")
    again = batch_json(
        str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits", "--mask", str(tmp_path / "mask.txt")
    )
    assert again["per_row"] == report["per_row"]


def test_json_shape_and_value_formats(tmp_path: Path) -> None:
    a, b = logits_pair(seed=7)
    np.save(tmp_path / "p.npy", a)
    np.save(tmp_path / "q.npy", b)
    result = run("batch", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits", "--format", "json")
    report = strict_json(result.stdout)
    for key in ("rows", "masked", "summary", "top1_agree"):
        assert key in report
    assert "per_row" not in report and "per_sequence" not in report
    assert set(report["summary"]) == set(FIGURES)
    for s in report["summary"].values():
        assert set(s) >= {"mean", "sem", "median", "p90", "p99", "p999", "min", "max", "argmax"}
    kl = rel_entr(softmax(a, axis=1), softmax(b, axis=1)).sum(axis=1)
    s = report["summary"]["kl_pq"]
    assert s["mean"] == pytest.approx(kl.mean(), rel=1e-10)
    assert s["sem"] == pytest.approx(kl.std(ddof=1) / math.sqrt(kl.size), rel=1e-9)
    for name, q in (("median", 50), ("p90", 90), ("p99", 99), ("p999", 99.9)):
        assert s[name] == pytest.approx(np.percentile(kl, q), rel=1e-10)
    assert s["argmax"] == int(np.argmax(kl))
    for stat, expected in (("mean", kl.mean()), ("p99", np.percentile(kl, 99)), ("max", kl.max())):
        value = run(
            "batch",
            str(tmp_path / "p.npy"),
            str(tmp_path / "q.npy"),
            "--input",
            "logits",
            "--format",
            "value",
            "--stat",
            stat,
        )
        assert value.exit_code == 0, describe(value)
        assert float(value.stdout) == pytest.approx(expected, rel=1e-10)
    csv = run("batch", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits", "--format", "csv")
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("row,kl_pq,") and len(lines) == 13
    assert float(lines[1].split(",")[1]) == pytest.approx(kl[0], rel=1e-12)
    md = run("batch", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits", "--format", "markdown")
    assert md.exit_code == 0 and "| kl\\_pq |" in md.stdout


def test_fail_above(tmp_path: Path) -> None:
    a, b = logits_pair(seed=8)
    np.save(tmp_path / "p.npy", a)
    np.save(tmp_path / "q.npy", b)
    mean = rel_entr(softmax(a, axis=1), softmax(b, axis=1)).sum(axis=1).mean()
    args = ("batch", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--input", "logits")
    assert run(*args, "--fail-above", str(mean * 0.99)).exit_code == 1
    assert run(*args, "--fail-above", str(mean * 1.01)).exit_code == 0
    assert run(*args, "--fail-above", "0.5", "--metric", "js_distance", "--stat", "max").exit_code == 0
    assert run(*args, "--fail-above", "0", "--metric", "js_distance", "--stat", "max").exit_code == 1


def _save(tmp_path: Path, name: str, array: np.ndarray) -> str:
    np.save(tmp_path / name, array)
    return str(tmp_path / name)


@pytest.mark.parametrize(
    ("p", "q", "extra", "needles"),
    [
        (np.ones((3, 4)), np.ones((4, 4)), (), ["3 rows", "4"]),
        (np.ones((3, 4)), np.ones((3, 5)), (), ["4 categories", "5"]),
        (np.ones((2, 3, 4)), np.ones((3, 2, 4)), (), ["shape"]),
        (np.ones(4), np.ones(4), (), ["shape"]),
        (np.array([[1.0, np.nan], [1, 1]]), np.ones((2, 2)), ("--input", "logits"), ["P", "row 0", "NaN"]),
        (np.ones((2, 2)), np.array([[1.0, 1], [np.inf, 1]]), ("--input", "logits"), ["Q", "row 1", "+inf"]),
        (np.array([[1.0, -0.1], [1, 1]]), np.ones((2, 2)), (), ["P", "row 0", "negative"]),
        (np.ones((2, 2)), np.array([[1.0, 1], [0, 0]]), (), ["Q", "row 1", "all zeros"]),
        (np.full((2, 2), -np.inf), np.ones((2, 2)), ("--input", "logits"), ["P", "row 0", "-inf everywhere"]),
        (np.ones((2, 2)), np.ones((2, 2)), ("--temperature", "2"), ["--temperature", "logits"]),
        (np.ones((2, 2)), np.ones((2, 2)), ("--input", "logits", "--temperature", "0"), ["--temperature"]),
        (np.ones((2, 2)), np.ones((2, 2)), ("--input", "logits", "--temperature", "nan"), ["--temperature"]),
        (np.ones((2, 2)), np.ones((2, 2)), ("--format", "value", "--stat", "sequence_mean"), ["3-D"]),
    ],
)
def test_errors_are_one_line(tmp_path: Path, p: np.ndarray, q: np.ndarray, extra: tuple, needles: list[str]) -> None:
    result = run("batch", _save(tmp_path, "p.npy", p), _save(tmp_path, "q.npy", q), *extra)
    assert_one_line_error(result, needles)


def test_mask_errors_are_one_line(tmp_path: Path) -> None:
    p, q = _save(tmp_path, "p.npy", np.ones((2, 3, 4))), _save(tmp_path, "q.npy", np.ones((2, 3, 4)))
    wrong = _save(tmp_path, "m1.npy", np.ones((3, 2), dtype=np.int8))
    assert_one_line_error(run("batch", p, q, "--mask", wrong), ["--mask", "shape"])
    twos = _save(tmp_path, "m2.npy", np.full((2, 3), 2, dtype=np.int8))
    assert_one_line_error(run("batch", p, q, "--mask", twos), ["--mask", "not 0 or 1"])
    none = _save(tmp_path, "m3.npy", np.zeros((2, 3), dtype=bool))
    assert_one_line_error(run("batch", p, q, "--mask", none), ["--mask", "every row"])
    assert_one_line_error(run("batch", p, q, "--mask", str(tmp_path / "missing.npy")), ["--mask", "no such file"])


def test_unreadable_sources_are_one_line(tmp_path: Path) -> None:
    p = _save(tmp_path, "p.npy", np.ones((2, 3)))
    assert_one_line_error(run("batch", p, str(tmp_path / "nope.npy")), ["Q", "no such file"])
    np.save(tmp_path / "ints.npy", np.ones((2, 3), dtype=np.int64))
    assert_one_line_error(run("batch", p, str(tmp_path / "ints.npy")), ["Q", "int64"])
    (tmp_path / "bad.csv").write_text("a,b,c\n1,2\n")
    assert_one_line_error(run("batch", p, str(tmp_path / "bad.csv")), ["Q", "line 2"])
    (tmp_path / "text.csv").write_text("a,b,c\n1,x,2\n1,1,1\n")
    assert_one_line_error(run("batch", p, str(tmp_path / "text.csv")), ["Q", "'x'", "not a finite number"])
    (tmp_path / "p2.npz").write_bytes((tmp_path / "p.npy").read_bytes())
    np.savez(tmp_path / "two.npz", x=np.ones((2, 3)), y=np.ones((2, 3)))
    assert_one_line_error(run("batch", p, str(tmp_path / "two.npz")), ["Q", "--key"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-30, 30), min_size=2, max_size=8).flatmap(
        lambda a: st.tuples(
            st.just(a), st.lists(st.floats(-30, 30), min_size=len(a), max_size=len(a)), st.floats(-500, 500)
        )
    )
)
def test_properties(tmp_path_factory: pytest.TempPathFactory, case: tuple) -> None:
    a, b, shift = case
    tmp = tmp_path_factory.mktemp("prop")
    pa, pb = np.array([a]), np.array([b])
    np.save(tmp / "p.npy", pa)
    np.save(tmp / "q.npy", pb)
    np.save(tmp / "ps.npy", pa + shift)
    report = batch_json(str(tmp / "p.npy"), str(tmp / "q.npy"), "--input", "logits")
    row = report["per_row"][0]
    assert row["kl_pq"] >= 0 and row["kl_qp"] >= 0
    assert 0 <= row["js_divergence"] <= math.log(2)
    assert 0 <= row["total_variation"] <= 1 and 0 <= row["hellinger"] <= 1
    shifted = batch_json(str(tmp / "ps.npy"), str(tmp / "q.npy"), "--input", "logits")["per_row"][0]
    for metric in FIGURES:
        assert shifted[metric] == pytest.approx(row[metric], rel=1e-9, abs=1e-15), metric


def test_python_api_and_the_sample_files(tmp_path: Path) -> None:
    from kl_cli import batch

    sample = Path(__file__).parent.parent / "sample_data"
    p, q, mask = (str(sample / n) for n in ("reference_logits.npy", "quantized_logits.npy", "padding_mask.npy"))
    r = batch(p, q, input="logits", mask=mask, base=2)
    keep = np.load(mask).reshape(-1).astype(bool)
    a = np.load(p).reshape(-1, 1000)[keep].astype(np.float64)
    b = np.load(q).reshape(-1, 1000)[keep].astype(np.float64)
    kl = rel_entr(softmax(a, axis=1), softmax(b, axis=1)).sum(axis=1) / math.log(2)
    np.testing.assert_allclose(r.figures["kl_pq"], kl, rtol=1e-10)
    cli = batch_json(p, q, "--input", "logits", "--mask", mask, "--base", "2")
    assert r.to_dict()["summary"] == cli["summary"]
    assert r.masked == int((~keep).sum()) == cli["masked"]
    table = run("batch", p, q, "--input", "logits", "--mask", mask)
    assert table.exit_code == 0 and "per sequence" in table.stdout and "█" in table.stdout


def test_per_row_needs_json(tmp_path: Path) -> None:
    p = _save(tmp_path, "p.npy", np.ones((2, 3)))
    assert_one_line_error(run("batch", p, p, "--per-row"), ["--per-row", "json"])


def exact_gaussian(mu_p, lv_p, mu_q, lv_q) -> tuple[float, float, float]:
    """KL both ways and Hellinger of two diagonal Gaussians, at 50 digits."""
    with mpmath.workdps(50):
        kl_pq = kl_qp = mpmath.mpf(0)
        log_bc = mpmath.mpf(0)
        for a, la, b, lb in zip(mu_p, lv_p, mu_q, lv_q):
            a, la, b, lb = (mpmath.mpf(float(x)) for x in (a, la, b, lb))
            vp, vq = mpmath.exp(la), mpmath.exp(lb)
            kl_pq += (lb - la) / 2 + (vp + (a - b) ** 2) / (2 * vq) - mpmath.mpf(1) / 2
            kl_qp += (la - lb) / 2 + (vq + (a - b) ** 2) / (2 * vp) - mpmath.mpf(1) / 2
            log_bc += mpmath.log(2 * mpmath.sqrt(vp * vq) / (vp + vq)) / 2 - (a - b) ** 2 / (4 * (vp + vq))
        return float(kl_pq), float(kl_qp), float(mpmath.sqrt(-mpmath.expm1(log_bc)))


def test_diagonal_gaussians_against_exact_arithmetic(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    mu, logvar = rng.normal(size=(5, 4)), rng.normal(0, 0.5, (5, 4))
    mu2, sigma2 = rng.normal(size=(5, 4)), np.exp(rng.normal(0, 0.3, (5, 4)))
    mu[4], logvar[4] = mu2[4] + 1e-9, 2 * np.log(sigma2[4]) + 1e-9  # nearly the same Gaussian
    np.savez(tmp_path / "p.npz", mu=mu, logvar=logvar)
    np.savez(tmp_path / "q.npz", mu=mu2, sigma=sigma2)
    report = batch_json(str(tmp_path / "p.npz"), str(tmp_path / "q.npz"))
    assert set(report["summary"]) == {"kl_pq", "kl_qp", "hellinger", "entropy_p", "entropy_q"}
    for i, row in enumerate(report["per_row"]):
        kl_pq, kl_qp, hel = exact_gaussian(mu[i], logvar[i], mu2[i], 2 * np.log(sigma2[i]))
        assert row["kl_pq"] == pytest.approx(kl_pq, rel=1e-6 if i == 4 else 1e-12)
        assert row["kl_qp"] == pytest.approx(kl_qp, rel=1e-6 if i == 4 else 1e-12)
        assert row["hellinger"] == pytest.approx(hel, rel=1e-6 if i == 4 else 1e-12)
        assert row["entropy_p"] == pytest.approx(0.5 * np.sum(np.log(2 * np.pi * np.e) + logvar[i]), rel=1e-12)
    # the VAE term: against the standard normal prior, summed over dimensions
    vae = batch_json(str(tmp_path / "p.npz"), "normal(0,1)")
    expected = 0.5 * (np.exp(logvar) + mu**2 - 1 - logvar).sum(axis=1)
    np.testing.assert_allclose(per_row(vae, "kl_pq"), expected, rtol=1e-12)
    other = batch_json(str(tmp_path / "p.npz"), "mvnormal(mean=[0, 0, 0, 0], sigma=[1, 1, 1, 1])")
    np.testing.assert_allclose(per_row(other, "kl_pq"), expected, rtol=1e-12)
    value = run("batch", "normal(0,1)", str(tmp_path / "p.npz"), "--format", "value", "--metric", "kl_qp")
    assert float(value.stdout) == pytest.approx(expected.mean(), rel=1e-12)


def test_diagonal_gaussian_errors_are_one_line(tmp_path: Path) -> None:
    np.savez(tmp_path / "p.npz", mu=np.zeros((3, 2)), logvar=np.zeros((3, 2)))
    np.savez(tmp_path / "bad.npz", mu=np.zeros((3, 2)), sigma=-np.ones((3, 2)))
    np.savez(tmp_path / "short.npz", mu=np.zeros((3, 2)), logvar=np.zeros((3, 1)))
    p = str(tmp_path / "p.npz")
    logits = _save(tmp_path, "l.npy", np.zeros((3, 2)))
    cases = [
        ((p, "normal(0,1)", "--metric", "js_divergence", "--format", "value"), ["js_divergence", "closed form"]),
        ((p, "normal(0,1)", "--input", "logits"), ["--input", "Gaussians"]),
        ((p, logits), ["Q", "Gaussians"]),
        ((p, str(tmp_path / "bad.npz")), ["sigma", "> 0"]),
        ((p, str(tmp_path / "short.npz")), ["shape"]),
        ((p, "mvnormal(mean=[0, 0, 0], sigma=[1, 1, 1])"), ["dimensions"]),
        ((p, "beta(2, 3)"), ["normal"]),
    ]
    for args, needles in cases:
        assert_one_line_error(run("batch", *args), needles)


def test_top_k_logprobs_as_json_objects_merge_what_one_side_leaves_out(tmp_path: Path) -> None:
    # row 0: both list a and b; row 1: P lists c, Q lists d instead
    p_rows = [{"a": math.log(0.5), "b": math.log(0.3)}, {"a": math.log(0.6), "c": math.log(0.3)}]
    q_rows = [{"b": math.log(0.4), "a": math.log(0.4)}, {"a": math.log(0.5), "d": math.log(0.4)}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in p_rows))
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(r) + "\n" for r in q_rows))
    report = batch_json(str(tmp_path / "p.jsonl"), str(tmp_path / "q.jsonl"), "--input", "logprobs")
    # the coarse distributions: {a, b, rest} and {a, rest}
    full_p = np.array([[0.5, 0.3, 0.2], [0.6, 0.0, 0.4]])
    full_q = np.array([[0.4, 0.4, 0.2], [0.5, 0.0, 0.5]])
    assert_figures(report, full_p, full_q)
    assert any("lower bound" in n for n in report["notes"])
    table = run("batch", str(tmp_path / "p.jsonl"), str(tmp_path / "q.jsonl"), "--input", "logprobs")
    assert table.exit_code == 0 and "(rest)" in table.stdout


@pytest.mark.parametrize(
    "smoothing", [("--smoothing", "additive", "--alpha", "0.5"), ("--smoothing", "epsilon"), ("--smoothing", "mix")]
)
def test_smoothing_is_compare_s_row_by_row(tmp_path: Path, smoothing: tuple[str, ...]) -> None:
    p = np.array([[3.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    q = np.array([[1.0, 2.0, 0.0], [0.0, 2.0, 5.0]])
    report = batch_json(_save(tmp_path, "p.npy", p), _save(tmp_path, "q.npy", q), *smoothing)
    for i in range(2):
        result = run(
            "compare",
            ",".join(repr(float(x)) for x in p[i]),
            ",".join(repr(float(x)) for x in q[i]),
            *smoothing,
            "--format",
            "json",
        )
        metrics = strict_json(result.stdout)["metrics"]
        for metric in FIGURES:
            assert report["per_row"][i][metric] == pytest.approx(metrics[metric], rel=1e-10), metric


def test_an_error_behind_a_mask_names_the_row_by_its_own_number(tmp_path: Path) -> None:
    p = np.ones((2, 3, 4))
    p[1, 2, 0] = -1.0  # sequence 1, position 2
    mask = np.array([[1, 0, 0], [0, 1, 1]], dtype=np.int8)
    args = (_save(tmp_path, "p.npy", p), _save(tmp_path, "q.npy", np.ones((2, 3, 4))))
    line = assert_one_line_error(run("batch", *args, "--mask", _save(tmp_path, "m.npy", mask)))
    assert "sequence 1, position 2" in line and "negative" in line


# --- review findings (issue 13): each test failed before its fix ------------


@pytest.mark.parametrize("kind", ["probs", "logits", "logprobs"])
@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", ""])
def test_a_csv_cell_that_is_not_a_finite_number_is_refused(tmp_path: Path, kind: str, cell: str) -> None:
    # the cell was taken as a missing label: 0 with probs, -inf with logits, (rest) with logprobs
    good = "0.5,0.2,0.3" if kind == "probs" else ",".join(repr(math.log(x)) for x in (0.5, 0.2, 0.3))
    (tmp_path / "p.csv").write_text(f"a,b,c\n{good}\n{good.split(',')[0]},{cell},{good.split(',')[2]}\n")
    (tmp_path / "q.csv").write_text(f"a,b,c\n{good}\n{good}\n")
    result = run("batch", str(tmp_path / "p.csv"), str(tmp_path / "q.csv"), "--input", kind)
    assert_one_line_error(result, ["P", "line 3", "'b'"])


def test_minus_inf_in_a_csv_of_logits_is_probability_0(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("a,b,c\n0,-inf,0\n1,2,3\n")
    (tmp_path / "q.csv").write_text("a,b,c\n0,0,1\n3,2,1\n")
    report = batch_json(str(tmp_path / "p.csv"), str(tmp_path / "q.csv"), "--input", "logits")
    a = np.array([[0, -np.inf, 0], [1, 2, 3]])
    b = np.array([[0, 0, 1], [3, 2, 1]])
    assert_figures(report, softmax(a, axis=1), softmax(b, axis=1))
    result = run("batch", str(tmp_path / "p.csv"), str(tmp_path / "q.csv"))  # probabilities: -inf is no weight
    assert_one_line_error(result, ["P", "line 2", "'b'"])


@pytest.mark.parametrize(
    ("line", "needles"),
    [
        ("[0.5, NaN, 0.5]", ["P", "line 2", "NaN"]),
        ("[0.5, Infinity, 0.5]", ["P", "line 2", "Infinity"]),
        ("[0.5, null, 0.5]", ["P", "line 2", "position 1", "null"]),
        ('[0.5, "0.2", 0.3]', ["P", "line 2", "position 1", "not a number"]),
        ("[0.5, true, 0.5]", ["P", "line 2", "position 1", "not a number"]),
        ("[0.5, 1e999, 0.5]", ["P", "line 2", "position 1", "float"]),
        ('{"a": 0.5, "b": NaN}', ["P", "line 2", "NaN"]),
        ('{"a": 0.5, "b": null}', ["P", "line 2", "'b'", "null"]),
        ('{"a": 0.5, "a": 0.5}', ["P", "line 2", "'a'", "twice"]),
    ],
)
def test_a_json_cell_that_is_not_a_finite_number_is_refused(tmp_path: Path, line: str, needles: list[str]) -> None:
    first = '{"a": 0.5, "b": 0.5}' if line.startswith("{") else "[0.2, 0.3, 0.5]"
    (tmp_path / "p.jsonl").write_text(f"{first}\n{line}\n")
    (tmp_path / "q.jsonl").write_text(f"{first}\n{first}\n")
    assert_one_line_error(run("batch", str(tmp_path / "p.jsonl"), str(tmp_path / "q.jsonl")), needles)


def check_worst_rows(report: dict, p: np.ndarray, q: np.ndarray) -> None:
    """Each worst row's KL against scipy, and its listed terms (all of them: 4 categories) summing to it."""
    assert report["worst_rows"]
    kl = rel_entr(p, q).sum(axis=1)
    for w in report["worst_rows"]:
        i = w["row"]
        assert w["kl_pq"] == pytest.approx(kl[i], rel=1e-10)
        assert sum(c["kl_pq"] for c in w["categories"]) == pytest.approx(w["kl_pq"], rel=1e-10)
        for c in w["categories"]:
            assert c["p"] == pytest.approx(p[i, int(c["label"])], rel=1e-10)
            assert c["q"] == pytest.approx(q[i, int(c["label"])], rel=1e-10)


def test_temperature_never_writes_into_the_input_arrays(tmp_path: Path) -> None:
    # x /= T divided an .npz member in place: the worst rows, read again, were divided twice
    a, b = logits_pair(rows=6, k=4, seed=11)
    np.savez(tmp_path / "p.npz", x=a)
    np.savez(tmp_path / "q.npz", x=b)
    report = batch_json(str(tmp_path / "p.npz"), str(tmp_path / "q.npz"), "--input", "logits", "--temperature", "2")
    p, q = softmax(a / 2, axis=1), softmax(b / 2, axis=1)
    assert_figures(report, p, q)
    check_worst_rows(report, p, q)
    # a Fortran-ordered .npy is memory-mapped read-only: "output array is read-only"
    np.save(tmp_path / "pf.npy", np.asfortranarray(a))
    np.save(tmp_path / "qf.npy", np.asfortranarray(b))
    report = batch_json(str(tmp_path / "pf.npy"), str(tmp_path / "qf.npy"), "--input", "logits", "--temperature", "2")
    assert_figures(report, p, q)
    check_worst_rows(report, p, q)


def test_a_row_of_logprobs_that_is_minus_inf_everywhere_is_refused(tmp_path: Path) -> None:
    p = np.log(np.array([[0.5, 0.5], [0.5, 0.5]]))
    p[1] = -np.inf
    result = run(
        "batch",
        _save(tmp_path, "p.npy", p),
        _save(tmp_path, "q.npy", np.log(np.full((2, 2), 0.5))),
        "--input",
        "logprobs",
    )
    assert_one_line_error(result, ["P", "row 1", "-inf everywhere"])
    # top-k lists that share no category: both coarse distributions are all (rest), so every figure is 0
    (tmp_path / "p.jsonl").write_text(json.dumps({"x": math.log(0.5)}) + "\n" + json.dumps({"x": math.log(0.5)}) + "\n")
    (tmp_path / "q.jsonl").write_text(
        json.dumps({"y": math.log(0.5)}) + "\n" + json.dumps({"x": math.log(0.25)}) + "\n"
    )
    report = batch_json(str(tmp_path / "p.jsonl"), str(tmp_path / "q.jsonl"), "--input", "logprobs")
    assert_figures(report, np.array([[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]), np.array([[0.0, 0.0, 1.0], [0.25, 0.0, 0.75]]))


def test_logits_near_the_float_range(tmp_path: Path) -> None:
    # b - a overflowed: "kl_pq infinite, cause: Q gives probability 0" while no row had a 0
    a = np.array([[1e308, 0.0], [1e300, -1e300], [0.0, 1.0]])
    b = np.array([[0.0, 1e308], [-1e300, 1e300], [1.0, 0.0]])
    result = run(
        "batch",
        _save(tmp_path, "p.npy", a),
        _save(tmp_path, "q.npy", b),
        "--input",
        "logits",
        "--format",
        "json",
        "--per-row",
    )
    assert result.exit_code == 0 and result.stderr == "", describe(result)
    report = strict_json(result.stdout)
    assert report["infinite"] == {}
    rows = report["per_row"]
    # P puts all its mass on one category, Q e^-x of it: KL(P||Q) = x = KL(Q||P)
    for row, x in zip(rows, (1e308, 2e300)):
        assert row["kl_pq"] == pytest.approx(x, rel=1e-12) and row["kl_qp"] == pytest.approx(x, rel=1e-12)
        assert row["total_variation"] == 1.0 and row["hellinger"] == 1.0
        assert row["js_divergence"] == pytest.approx(math.log(2), rel=1e-12)
        assert row["entropy_p"] == 0.0 and row["entropy_q"] == 0.0
    p, q = softmax(a[2:], axis=1), softmax(b[2:], axis=1)
    assert rows[2]["kl_pq"] == pytest.approx(rel_entr(p, q).sum(), rel=1e-12)
    # finite logits further apart than the float range have no softmax to compute
    far = np.array([[1e308, -1e308], [0.0, 0.0]])
    result = run(
        "batch", _save(tmp_path, "f.npy", far), _save(tmp_path, "q2.npy", np.zeros((2, 2))), "--input", "logits"
    )
    assert_one_line_error(result, ["P", "row 0", "float range"])
    result = run(
        "batch", _save(tmp_path, "t.npy", a), _save(tmp_path, "q3.npy", b), "--input", "logits", "--temperature", "0.5"
    )
    assert_one_line_error(result, ["P", "row 0", "float range"])


def write_wide(path: Path, labels: list[str], rows: np.ndarray, delimiter: str = ",", header: bool = True) -> None:
    lines = ([delimiter.join(labels)] if header else []) + [delimiter.join(repr(float(x)) for x in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")


def test_wide_tables_are_read_by_the_one_table_reader(tmp_path: Path) -> None:
    # batch had its own CSV reader: no .csv.gz ("pass --encoding", which batch lacked), no delimiter sniffing
    import gzip

    import pandas as pd

    rng = np.random.default_rng(12)
    p, q = rng.dirichlet(np.ones(3), 7), rng.dirichlet(np.ones(3), 7)
    write_wide(tmp_path / "p.csv", ["a", "b", "c"], p, delimiter=";")
    write_wide(tmp_path / "q.txt", ["c", "a", "b"], q[:, [2, 0, 1]], delimiter="|")
    assert_figures(batch_json(str(tmp_path / "p.csv"), str(tmp_path / "q.txt")), p, q)
    write_wide(tmp_path / "q2.csv", ["c", "a", "b"], q[:, [2, 0, 1]], delimiter=";")
    assert_figures(batch_json(str(tmp_path / "p.csv"), str(tmp_path / "q2.csv"), "--delimiter", "semicolon"), p, q)
    # compressed, in another encoding: a header named in Latin-1
    text = "é,b,c\n" + "".join(",".join(repr(float(x)) for x in r) + "\n" for r in p)
    (tmp_path / "p.csv.gz").write_bytes(gzip.compress(text.encode("latin-1")))
    (tmp_path / "q.csv").write_bytes(
        ("é,b,c\n" + "".join(",".join(repr(float(x)) for x in r) + "\n" for r in q)).encode("latin-1")
    )
    assert_figures(batch_json(str(tmp_path / "p.csv.gz"), str(tmp_path / "q.csv"), "--encoding", "latin-1"), p, q)
    # a header of numbers (pandas' default column names) names the categories with --header; the reader's
    # rule takes a first row of numbers for data (said so); without a header the categories go by position
    write_wide(tmp_path / "pn.csv", ["0", "1", "2"], p)
    write_wide(tmp_path / "qn.csv", ["2", "1", "0"], q[:, ::-1])
    assert_figures(batch_json(str(tmp_path / "pn.csv"), str(tmp_path / "qn.csv"), "--header"), p, q)
    write_wide(tmp_path / "ph.csv", [], p, header=False)
    write_wide(tmp_path / "qh.csv", [], q, header=False)
    for flag in ((), ("--no-header",)):
        report = batch_json(str(tmp_path / "ph.csv"), str(tmp_path / "qh.csv"), *flag)
        assert_figures(report, p, q)
        assert report["rows"] == 7 and bool(flag) != any("without a header" in n for n in report["notes"])
    # Parquet, and JSON lines compressed
    pd.DataFrame(p, columns=["a", "b", "c"]).to_parquet(tmp_path / "p.parquet")
    assert_figures(batch_json(str(tmp_path / "p.parquet"), str(tmp_path / "p.csv")), p, p)
    lines = "".join(json.dumps(dict(zip("abc", r.tolist()))) + "\n" for r in q)
    (tmp_path / "q.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    assert_figures(batch_json(str(tmp_path / "p.csv"), str(tmp_path / "q.jsonl.gz")), p, q)
    # a JSON document of rows, over several lines
    (tmp_path / "q.json").write_text(json.dumps(q.tolist(), indent=2))
    assert_figures(batch_json(str(tmp_path / "ph.csv"), str(tmp_path / "q.json"), "--no-header"), p, q)


def test_a_text_batch_is_read_in_chunks_of_bounded_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kl_cli.inputs import batch_text

    monkeypatch.setattr(batch_text, "CHUNK_CELLS", 8)  # two rows of four a chunk
    rng = np.random.default_rng(13)
    p, q = rng.dirichlet(np.ones(4), 9), rng.dirichlet(np.ones(4), 9)
    write_wide(tmp_path / "p.csv", list("abcd"), p)
    write_wide(tmp_path / "q.csv", list("abcd"), q)
    assert_figures(batch_json(str(tmp_path / "p.csv"), str(tmp_path / "q.csv")), p, q)
    bad = (tmp_path / "p.csv").read_text().splitlines()
    bad[8] = "0.25,0.25,x,0.5"  # in the fourth chunk
    (tmp_path / "bad.csv").write_text("\n".join(bad) + "\n")
    assert_one_line_error(run("batch", str(tmp_path / "bad.csv"), str(tmp_path / "q.csv")), ["P", "line 9", "'c'"])
    monkeypatch.setattr(batch_text, "MAX_TEXT_CELLS", 20)  # the sixth row is one too many
    for path in ("p.csv", "p.jsonl"):
        if path.endswith("jsonl"):
            (tmp_path / path).write_text("".join(json.dumps(r.tolist()) + "\n" for r in p))
        line = assert_one_line_error(run("batch", str(tmp_path / path), str(tmp_path / "q.csv")), ["P", "cells"])
        assert "20" in line


def test_an_infinite_figure_is_never_given_a_wrong_cause(tmp_path: Path) -> None:
    # KL(P||Q) = mu^2 / 2 = 5e399 is beyond the float range: no category has probability 0
    # (through the API, numpy's overflow quieted: core/gaussians.py still warns of it)
    from kl_cli import batch

    np.savez(tmp_path / "p.npz", mu=np.array([[1e200], [1.0]]), logvar=np.zeros((2, 1)))
    with np.errstate(over="ignore", invalid="ignore"):
        report = batch(str(tmp_path / "p.npz"), "normal(0,1)", per_row=True).to_dict()
    for metric in ("kl_pq", "kl_qp"):
        assert report["infinite"][metric] == {
            "rows": 1,
            "cause": "beyond the float range",
            "categories": 0,
            "first_rows": [0],
        }
    assert report["per_row"][1]["kl_pq"] == pytest.approx(0.5)
