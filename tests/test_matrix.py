"""`kl-cli matrix`: every entry against scipy for each kind of source, the
orientation of asymmetric metrics, clustering against scipy's own leaf
order, the heat map pinned by a golden file, strict JSON, one-line errors.

Tolerances. The matrix is formed from entropies and matrix products
(``core/matrix.py``): about 1e-14 absolute off the true value, and entries
below 1e-3 are recomputed from terms that do not cancel. scipy's
``jensenshannon`` and ``rel_entr`` sums are themselves off by a few units
of rounding of sums of ~10 terms of size <= 1 (~1e-15). So 1e-12 absolute
(1e-10 for the square root, the JS distance, of a divergence near 0
is not needed: the random pairs here are far apart) leaves a wide margin
over both errors while a wrong formula (a missing 1/2, the wrong base, a
transposed KL) is off by 1e-2 or more.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers import METRIC_IDS, REPO, assert_one_line_error, describe, run, strict_json
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import jensenshannon, squareform
from scipy.special import rel_entr

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("KL_UPDATE_GOLDEN") == "1"
ENV = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "FORCE_COLOR": None}
TOL = 1e-12
LOGS = {"e": 1.0, "2": math.log(2), "10": math.log(10)}
METRICS = tuple(m for m in METRIC_IDS if not m.startswith("entropy"))  # the pair metrics
SYMMETRIC = {"js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger"}


def kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(rel_entr(p, q).sum())


def cross_entropy(p: np.ndarray, q: np.ndarray) -> float:
    if ((p > 0) & (q == 0)).any():
        return math.inf
    keep = p > 0
    return float(-(p[keep] * np.log(q[keep])).sum())


def reference(metric: str, p: np.ndarray, q: np.ndarray, base: str = "e") -> float:
    """The metric of P and Q from scipy (and numpy for TV and Hellinger), in ``base``."""
    b = {"e": math.e, "2": 2.0, "10": 10.0}[base]
    if metric == "js_distance":
        return float(jensenshannon(p, q, base=b))
    if metric == "js_divergence":
        return float(jensenshannon(p, q, base=b)) ** 2
    if metric == "total_variation":
        return 0.5 * float(np.abs(p - q).sum())
    if metric == "hellinger":
        return math.sqrt(0.5 * float(((np.sqrt(p) - np.sqrt(q)) ** 2).sum()))
    value = {
        "kl_pq": lambda: kl(p, q),
        "kl_qp": lambda: kl(q, p),
        "jeffreys": lambda: kl(p, q) + kl(q, p),
        "cross_entropy_pq": lambda: cross_entropy(p, q),
        "cross_entropy_qp": lambda: cross_entropy(q, p),
    }[metric]()
    return value / LOGS[base]


def check_entries(report: dict, probs: np.ndarray, metric: str, base: str = "e", tol: float = TOL) -> None:
    """Every entry of a JSON report against the reference; null exactly where it is infinite."""
    m = report["matrix"]
    n = len(probs)
    assert len(m) == n and all(len(row) == n for row in m)
    for i in range(n):
        for j in range(n):
            want = reference(metric, probs[i], probs[j], base)
            got = m[i][j]
            if math.isinf(want):
                assert got is None, (metric, i, j, got)
            else:
                assert got is not None and abs(got - want) <= tol, (metric, i, j, got, want)


def random_probs(rng: np.random.Generator, n: int, k: int, zeros: bool = False) -> np.ndarray:
    p = rng.dirichlet(np.full(k, 0.7), n)
    if zeros:
        p[rng.random((n, k)) < 0.15] = 0.0
        p[:, 0] = np.maximum(p[:, 0], 0.01)  # no row all zeros
        p /= p.sum(axis=1, keepdims=True)
    return p


def matrix_json(*args: str, input: str | None = None) -> dict:
    result = run("matrix", *args, "--format", "json", input=input)
    assert result.exit_code == 0, describe(result)
    return strict_json(result.stdout)


# ---------------------------------------------------------------------------
# Every entry against scipy, for each kind of source


@pytest.mark.parametrize("metric", METRICS)
def test_inline_sources_aligned_by_label_match_scipy(metric):
    """Several inline sources with labels in different orders and some labels
    missing from some sources: aligned over the union, as compare aligns."""
    rng = np.random.default_rng(1)
    labels = [f"c{i}" for i in range(8)]
    probs = random_probs(rng, 5, 8, zeros=True)
    words = []
    for row in probs:
        order = rng.permutation(8)
        words.append(",".join(f"{labels[k]}={float(row[k])!r}" for k in order if row[k] > 0))
    report = matrix_json(*words, "--metric", metric)
    assert report["names"] == words
    check_entries(report, probs, metric)


@pytest.mark.parametrize("base", ["e", "2", "10"])
def test_files_each_one_distribution_match_scipy(tmp_path, base):
    rng = np.random.default_rng(2)
    probs = random_probs(rng, 4, 6)
    labels = ["sun", "cloud", "rain", "snow", "fog", "hail"]
    paths = []
    for n, row in enumerate(probs):
        path = tmp_path / f"d{n}.csv"
        counts = np.round(row * 1000) + 1  # whole counts: normalized as compare normalizes counts
        probs[n] = counts / counts.sum()
        path.write_text("weather,count\n" + "".join(f"{a},{int(c)}\n" for a, c in zip(labels, counts)))
        paths.append(str(path))
    for metric in ("js_distance", "kl_pq", "hellinger"):
        report = matrix_json(*paths, "--metric", metric, "--base", base)
        assert report["base"] == base and report["names"] == paths
        check_entries(report, probs, metric, base)


def test_table_columns_are_distributions_over_the_label_column(tmp_path):
    rng = np.random.default_rng(3)
    probs = random_probs(rng, 4, 7, zeros=True)
    weights = probs * 50  # weights, not probabilities: normalized with a warning, as compare does
    path = tmp_path / "t.csv"
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["w2019", "word", "w2020", "w2021", "w2022"])
        for k in range(7):
            w.writerow([repr(float(weights[0, k])), f"word{k}", *(repr(float(weights[n, k])) for n in range(1, 4))])
    result = run("matrix", str(path), "--metric", "jeffreys", "--format", "json")
    assert result.exit_code == 0, describe(result)
    report = strict_json(result.stdout)
    assert report["names"] == ["w2019", "w2020", "w2021", "w2022"]
    assert report["categories"] == 7
    check_entries(report, probs, "jeffreys")
    assert "normalized to sum 1" in result.stderr
    # --columns chooses some, in the order given
    some = matrix_json(str(path), "--columns", "w2021,w2019", "--metric", "total_variation")
    assert some["names"] == ["w2021", "w2019"]
    check_entries(some, probs[[2, 0]], "total_variation")


@pytest.mark.parametrize("metric", METRICS)
def test_npy_rows_match_scipy(tmp_path, metric):
    rng = np.random.default_rng(4)
    probs = random_probs(rng, 6, 9, zeros=True)
    path = tmp_path / "rows.npy"
    np.save(path, probs * 3.0)  # rows normalized per row
    report = matrix_json(str(path), "--rows", "--metric", metric)
    assert report["names"] == [f"row{i}" for i in range(6)]
    check_entries(report, probs, metric)


def test_npz_rows_with_key_names_and_float32(tmp_path):
    rng = np.random.default_rng(5)
    probs = random_probs(rng, 3, 5).astype(np.float32)
    path = tmp_path / "rows.npz"
    np.savez(path, probs=probs, other=np.ones(3))
    report = matrix_json(str(path), "--rows", "--key", "probs", "--names", "base,quant,distil")
    assert report["names"] == ["base", "quant", "distil"]
    as_read = probs.astype(np.float64)
    check_entries(report, as_read / as_read.sum(axis=1, keepdims=True), "js_distance")


def test_smoothing_applies_to_every_distribution():
    report = matrix_json("a=1,b=0,c=3", "a=0,b=2,c=2", "--metric", "kl_pq", "--smoothing", "additive", "--alpha", "1")
    p = np.array([[2, 1, 4], [1, 3, 3]], dtype=float)
    p /= p.sum(axis=1, keepdims=True)
    check_entries(report, p, "kl_pq")
    assert report["smoothing"] == {"method": "additive", "parameter": 1.0}


# ---------------------------------------------------------------------------
# Shape, orientation and accuracy


@pytest.mark.parametrize("metric", sorted(SYMMETRIC))
def test_symmetric_metrics_give_symmetric_matrices_with_a_zero_diagonal(tmp_path, metric):
    rng = np.random.default_rng(6)
    path = tmp_path / "r.npy"
    np.save(path, random_probs(rng, 12, 20, zeros=True))
    m = matrix_json(str(path), "--metric", metric)["matrix"]
    for i in range(12):
        assert m[i][i] == 0.0
        for j in range(12):
            assert m[i][j] == m[j][i]


def test_asymmetric_metric_has_p_in_rows():
    p, q = [0.7, 0.3], [0.4, 0.6]
    report = matrix_json("0.7,0.3", "0.4,0.6", "--metric", "kl_pq")
    assert report["orientation"].startswith("rows are P, columns are Q")
    assert abs(report["matrix"][0][1] - kl(np.array(p), np.array(q))) <= TOL  # KL(row 0 || column 1)
    assert abs(report["matrix"][1][0] - kl(np.array(q), np.array(p))) <= TOL
    assert report["matrix"][0][1] != report["matrix"][1][0]
    qp = matrix_json("0.7,0.3", "0.4,0.6", "--metric", "kl_qp")["matrix"]
    assert qp[0][1] == report["matrix"][1][0]
    # a cross-entropy's diagonal is the entropy, not 0
    ce = matrix_json("0.7,0.3", "0.4,0.6", "--metric", "cross_entropy_pq")["matrix"]
    assert abs(ce[0][0] - (-(0.7 * math.log(0.7) + 0.3 * math.log(0.3)))) <= TOL


def test_nearly_identical_pairs_are_accurate_against_exact_arithmetic():
    """Differences of entropies cancel for nearly identical pairs; those
    entries are recomputed without cancellation. Against 50-digit arithmetic."""
    import mpmath

    from kl_cli.core.matrix import pairwise

    mpmath.mp.dps = 50
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(50))
    rows = [p]
    for eps in (1e-3, 1e-5, 1e-7):
        q = p * (1 + eps * rng.standard_normal(50))
        rows.append(q / q.sum())
    probs = np.vstack(rows)
    js, kl_m, hel = (pairwise(probs, m) for m in ("js_divergence", "kl_pq", "hellinger"))
    a = [mpmath.mpf(float(x)) for x in probs[0]]
    for n in range(1, len(rows)):
        b = [mpmath.mpf(float(x)) for x in probs[n]]
        js_true = sum(x * mpmath.log(2 * x / (x + y)) + y * mpmath.log(2 * y / (x + y)) for x, y in zip(a, b)) / 2
        kl_true = sum(x * mpmath.log(x / y) for x, y in zip(a, b))
        hel_true = mpmath.sqrt(sum((mpmath.sqrt(x) - mpmath.sqrt(y)) ** 2 for x, y in zip(a, b)) / 2)
        # relative error about 1e-16 / (relative difference of the pair): 1e-8 at 1e-7 apart
        for got, true in ((js[0, n], js_true), (kl_m[0, n], kl_true), (hel[0, n], hel_true)):
            assert abs(got - float(true)) <= 1e-8 * float(true), (n, got, float(true))


def test_identical_distributions_at_different_positions_give_exact_zeros():
    m = matrix_json("0.2,0.3,0.5", "0.1,0.1,0.8", "0.2,0.3,0.5", "--metric", "js_distance")["matrix"]
    assert m[0][2] == 0.0 and m[2][0] == 0.0
    assert m[0][1] > 0.1


def test_exact_value_against_fractions():
    """TV of two inline distributions in exact rationals."""
    p = [Fraction(1, 7), Fraction(2, 7), Fraction(4, 7)]
    q = [Fraction(3, 10), Fraction(3, 10), Fraction(4, 10)]
    tv = sum(abs(a - b) for a, b in zip(p, q)) / 2
    m = matrix_json("1,2,4", "3,3,4", "--metric", "total_variation")["matrix"]
    assert abs(m[0][1] - float(tv)) <= 1e-15


# ---------------------------------------------------------------------------
# Clustering


@pytest.mark.parametrize("metric", ["js_distance", "kl_pq"])
def test_cluster_order_is_scipys_leaf_order(tmp_path, metric):
    rng = np.random.default_rng(8)
    # three groups of similar distributions, interleaved in the input
    centres = rng.dirichlet(np.ones(10), 3)
    probs = np.vstack([rng.dirichlet(200 * centres[i % 3]) for i in range(9)])
    path = tmp_path / "r.npy"
    np.save(path, probs)
    report = matrix_json(str(path), "--metric", metric, "--order", "cluster")
    n = len(probs)
    ref = np.array([[reference(metric, probs[i], probs[j]) for j in range(n)] for i in range(n)])
    if metric not in SYMMETRIC:
        ref = (ref + ref.T) / 2
    np.fill_diagonal(ref, 0.0)
    expected = leaves_list(linkage(squareform(ref, checks=False), method="average", optimal_ordering=True)).tolist()
    assert report["order"] == "cluster"
    assert report["input_positions"] == expected
    assert report["names"] == [f"row{i}" for i in expected]
    # the rows and columns were permuted together
    for a, i in enumerate(expected):
        for b, j in enumerate(expected):
            assert abs(report["matrix"][a][b] - reference(metric, probs[i], probs[j])) <= TOL
    # similar ones adjacent: each group's three members are consecutive
    groups = [expected[k : k + 3] for k in (0, 3, 6)]
    assert all(len({i % 3 for i in g}) == 1 for g in groups), expected
    if metric not in SYMMETRIC:
        assert any("symmetrized" in note for note in report["notes"])


def test_cluster_order_of_many_keeps_the_linkage_order(tmp_path):
    """Past 1,000 distributions optimal leaf ordering (cubic) is not done, and that is said."""
    rng = np.random.default_rng(10)
    probs = rng.dirichlet(np.ones(3), 1001)
    path = tmp_path / "many.npy"
    np.save(path, probs)
    report = matrix_json(str(path), "--metric", "total_variation", "--order", "cluster")
    ref = 0.5 * np.abs(probs[:, None, :] - probs[None, :, :]).sum(axis=-1)
    expected = leaves_list(linkage(squareform(ref, checks=False), method="average")).tolist()
    assert report["input_positions"] == expected
    assert report["linkage"] == "average (without optimal leaf ordering)"
    assert any("without optimal leaf ordering" in note for note in report["notes"])


# ---------------------------------------------------------------------------
# Output formats


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8", newline="")
        pytest.skip(f"KL_UPDATE_GOLDEN=1: wrote {path.relative_to(REPO)}")
    assert path.exists(), f"golden file {path.relative_to(REPO)} is missing: KL_UPDATE_GOLDEN=1 creates it"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "output")
        pytest.fail("the report differs from its golden file:\n" + "".join(diff), pytrace=False)


GOLDEN_ARGS = {
    "matrix_forecasts": [
        "sample_data/forecast.csv",
        "sample_data/observed.csv",
        "sample_data/forecast_no_fog.json",
        "sun=30,cloud=30,rain=30,snow=10",
        "--metric",
        "kl_pq",
        "--base",
        "2",
    ],
    "matrix_inline_cluster": [
        "sun=5,cloud=3,rain=2",
        "sun=1,cloud=3,rain=6",
        "sun=6,cloud=3,rain=1",
        "sun=2,cloud=3,rain=5",
        "sun=3,cloud=4,rain=3",
        "--order",
        "cluster",
        "--base",
        "2",
    ],
    "matrix_words": ["sample_data/word_counts.tsv", "--metric", "js_distance", "--order", "cluster"],
}


@pytest.mark.usefixtures("at_repo_root")
@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("case", list(GOLDEN_ARGS))
def test_report_matches_the_golden_file(case, fmt):
    result = run("matrix", *GOLDEN_ARGS[case], "--format", fmt, env=ENV)
    assert result.exit_code == 0, describe(result)
    golden(f"{case}.{fmt}.txt", result.stdout)


@pytest.mark.usefixtures("at_repo_root")
def test_infinite_entries_are_null_in_json_and_named():
    report = matrix_json("sample_data/forecast.csv", "sample_data/forecast_no_fog.json", "--metric", "kl_pq")
    assert report["matrix"][0][1] is None and report["matrix"][1][0] is not None
    assert report["infinite_count"] == 1
    (entry,) = report["infinite"]
    assert entry["row"] == "sample_data/forecast.csv" and entry["column"] == "sample_data/forecast_no_fog.json"
    assert entry["zero_in"] == "column" and entry["categories"] == ["snow", "fog"]
    assert "probability 0" in report["infinite_cause"]
    table = run("matrix", "sample_data/forecast.csv", "sample_data/forecast_no_fog.json", "--metric", "kl_pq", env=ENV)
    assert " inf" in table.stdout and "has 0 at snow, fog" in " ".join(table.stdout.split())
    csv_out = run(
        "matrix", "sample_data/forecast.csv", "sample_data/forecast_no_fog.json", "--metric", "kl_pq", "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(csv_out.stdout)))
    assert rows[1][2] == "inf"


def test_csv_has_a_header_of_names_and_one_row_per_name():
    result = run("matrix", "a=1,b=2", "a=2,b=1", "a=1,b=1", "--format", "csv")
    assert result.exit_code == 0, describe(result)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["name", "a=1,b=2", "a=2,b=1", "a=1,b=1"]
    assert [r[0] for r in rows[1:]] == rows[0][1:]
    values = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    p = np.array([[1, 2], [2, 1], [1, 1]], dtype=float)
    p /= p.sum(axis=1, keepdims=True)
    for i in range(3):
        for j in range(3):
            assert abs(values[i, j] - float(jensenshannon(p[i], p[j]))) <= TOL


def test_names_are_unique_and_escaped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('label,"esc\x1b[2Jcol","pipe|col",x\na,1,2,3\nb,3,2,1\n', encoding="utf-8")
    report = matrix_json(str(path))
    assert report["names"] == ["esc\x1b[2Jcol", "pipe|col", "x"]
    table = run("matrix", str(path), env=ENV).stdout
    assert "\x1b" not in table and "esc\\x1b[2Jcol" in table
    md = run("matrix", str(path), "--format", "markdown").stdout
    assert "\x1b" not in md and "pipe\\|col" in md
    twice = matrix_json("1,2", "1,2", "2,1")["names"]
    assert twice == ["1,2", "1,2 (2)", "2,1"]


def test_wide_matrix_fits_the_width_and_says_what_is_left_out(tmp_path):
    rng = np.random.default_rng(9)
    path = tmp_path / "wide.npy"
    np.save(path, random_probs(rng, 30, 5))
    names = ",".join(f"a_rather_long_distribution_name_{i}" for i in range(30))
    result = run("matrix", str(path), "--names", names, env={**ENV, "COLUMNS": "80"})
    assert result.exit_code == 0, describe(result)
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    left_out = [line for line in lines if "left out" in line]
    assert len(left_out) == 1 and "of 30 left out to fit 80 characters" in left_out[0]
    assert sum(1 for line in lines if "a_rath" in line) == 30  # every row is there, its name cut


def test_ascii_output_gets_ascii_shades(tmp_path):
    """A real process whose output encoding cannot hold the shading glyphs."""
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, "-m", "kl_cli", "matrix", "0.9,0.1", "0.1,0.9", "0.5,0.5"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("ascii")
    assert "#" in out and "shading:" in out


def test_api_matrix():
    import kl_cli

    r = kl_cli.matrix([0.7, 0.3], [0.4, 0.6], metric="kl_pq")
    assert abs(r.matrix[0, 1] - kl(np.array([0.7, 0.3]), np.array([0.4, 0.6]))) <= TOL
    rows = kl_cli.matrix(np.array([[1.0, 1.0], [1.0, 3.0]]), metric="total_variation")
    assert rows.names == ["row0", "row1"] and abs(rows.matrix[0, 1] - 0.25) <= TOL
    assert json.loads(json.dumps(r.to_dict(), allow_nan=False))["metric"] == "kl_pq"


# ---------------------------------------------------------------------------
# Errors: one line each


@pytest.fixture
def arrays(tmp_path):
    def save(name, array, **kw):
        path = tmp_path / name
        if name.endswith(".npz"):
            np.savez(path, **kw)
        else:
            np.save(path, array)
        return str(path)

    return save


ERRORS = {
    "one source only inline": (["0.7,0.3"], ["one source", "not a table"]),
    "one numeric column": (["sample_data/forecast.csv"], ["at least two distributions", "'probability'"]),
    "text column chosen": (["sample_data/word_counts.tsv", "--columns", "word"], ["'word'", "no numeric values"]),
    "negative weight": (["a=1,b=-2", "a=1,b=1"], ["negative", "'b'"]),
    "all zero": (["0,0", "1,1"], ["all values are 0"]),
    "unknown metric": (["1,2", "2,1", "--metric", "nope"], ["--metric"]),
    "entropy is not a pair metric": (["1,2", "2,1", "--metric", "entropy_p"], ["--metric"]),
    "labels on one side": (["a=1,b=2", "1,2"], ["has labels but"]),
    "lengths differ": (["1,2,3", "1,2"], ["3 values", "2"]),
    "missing file": (["1,2", "nope.csv"], ["no such file", "nope.csv"]),
    "json pair": (["sample_data/weather.json", "1,2"], ["two distributions"]),
    "names without rows": (["1,2", "2,1", "--names", "a,b"], ["--names"]),
    "key without rows": (["1,2", "2,1", "--key", "a"], ["--key"]),
    "bad order": (["1,2", "2,1", "--order", "random"], ["--order"]),
    "alpha without additive": (["1,2", "2,1", "--alpha", "1"], ["--alpha"]),
    "nan alpha": (["1,2", "2,1", "--smoothing", "additive", "--alpha", "nan"], ["--alpha"]),
    "several label columns": (["sample_data/reference.csv"], ["label columns", "--label-column"]),
    "csv rows": (["sample_data/forecast.csv", "--rows"], ["NumPy", "not read by matrix yet"]),
}


@pytest.mark.usefixtures("at_repo_root")
@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_are_one_line(case):
    args, needles = ERRORS[case]
    assert_one_line_error(run("matrix", *args), needles)


@pytest.mark.parametrize(
    "case",
    ["one row", "3-D", "negative", "nan", "zero row", "names count", "no key", "int array"],
)
def test_array_errors_are_one_line(arrays, case):
    ok = np.array([[0.5, 0.5], [0.2, 0.8]])
    spec = {
        "one row": (arrays("a1.npy", ok[:1]), [], ["at least two distributions"]),
        "3-D": (arrays("a2.npy", np.ones((2, 2, 2))), [], ["shape (2, 2, 2)", "2 dimensions"]),
        "negative": (arrays("a3.npy", np.array([[0.5, 0.5], [0.2, -0.8]])), [], ["row 1, column 1", "negative"]),
        "nan": (arrays("a4.npy", np.array([[0.5, np.nan], [0.2, 0.8]])), [], ["row 0, column 1", "not a finite"]),
        "zero row": (arrays("a5.npy", np.array([[0.0, 0.0], [0.2, 0.8]])), [], ["row 0", "all values are 0"]),
        "names count": (arrays("a6.npy", ok), ["--names", "a,b,c"], ["3 names for 2 rows"]),
        "no key": (arrays("a7.npz", None, x=ok, y=ok), [], ["--key"]),
        "int array": (arrays("a8.npy", np.ones((2, 2), dtype=np.int64)), [], ["int64", "floating point"]),
    }[case]
    path, extra, needles = spec
    assert_one_line_error(run("matrix", path, "--rows", *extra), needles)


def test_too_many_distributions_is_refused_with_the_bound(tmp_path):
    from kl_cli.vocabulary import MAX_MATRIX

    path = tmp_path / "many.npy"
    np.save(path, np.ones((MAX_MATRIX + 1, 1), dtype=np.float32))
    assert_one_line_error(run("matrix", str(path), "--rows"), [f"{MAX_MATRIX:,}"])
    help_text = run("matrix", "--help").stdout
    assert f"At most {MAX_MATRIX:,}" in " ".join(help_text.split())


def test_several_tables_with_column_and_stdin(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("k,x,y\nu,1,9\nv,3,1\n")
    b.write_text("k,x,y\nv,2,1\nu,2,1\nw,4,1\n")
    report = matrix_json(str(a), str(b), "-", "--column", "y", "--metric", "total_variation", input="u=1,v=1,w=2")
    assert report["names"] == [str(a), str(b), "stdin"]
    probs = np.array([[0.9, 0.1, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.25, 0.25, 0.5]])  # over u, v, w
    check_entries(report, probs, "total_variation")
    line = assert_one_line_error(run("matrix", str(a), str(b)), ["several numeric columns", "--column"])
    assert str(a) in line


def test_a_fifo_source_is_read_once(tmp_path):
    """A FIFO is read as compare reads a stream, never opened first to look for an array."""
    import threading

    from helpers import time_limit

    fifo = tmp_path / "p.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as handle:
            handle.write("weather,p\nsun,0.7\nrain,0.3\n")

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with time_limit(60, "matrix reading a FIFO"):
        report = matrix_json(str(fifo), "rain=0.6,sun=0.4", "--metric", "kl_pq")
    writer.join(10)
    assert abs(report["matrix"][0][1] - kl(np.array([0.7, 0.3]), np.array([0.4, 0.6]))) <= TOL


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WEIGHTS = st.lists(st.sampled_from([0, 0, 1, 2, 3, 7, 10, 1000]), min_size=4, max_size=4).filter(any)


@settings(max_examples=60)
@given(
    st.lists(WEIGHTS, min_size=2, max_size=5),
    st.sampled_from(METRICS),
    st.sampled_from(["none", "additive", "mix", "epsilon"]),
    st.sampled_from(["e", "2"]),
)
def test_every_entry_equals_compare_of_that_pair(rows, metric, smoothing, base):
    """The same pair gives the same number in matrix and in compare (zeros,
    counts, smoothing and base included), to 1e-12 absolute; infinite alike.
    Every label is given (zeros too): smoothing acts on the categories of all
    distributions, which compare of one pair sees only when they are given."""
    import kl_cli

    words = [",".join(f"c{k}={w}" for k, w in enumerate(row)) for row in rows]
    report = kl_cli.matrix(*words, metric=metric, smoothing=smoothing, base=base)
    for i, p in enumerate(words):
        for j, q in enumerate(words):
            want = kl_cli.compare(p, q, smoothing=smoothing, base=base).metrics[metric]
            got = float(report.matrix[i, j])
            if math.isinf(want):
                assert math.isinf(got), (i, j, got)
            else:
                assert abs(got - want) <= TOL, (i, j, got, want)
