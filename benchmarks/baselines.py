"""The other side of each benchmark: one child process per run of ``run.py``.

    python benchmarks/baselines.py MODE ARGS...

Every mode imports only what it needs, so a child's wall time and peak
memory are those of the job it names. Results go to stdout (a number or one
JSON object) so that ``run.py`` can check they agree with kl-cli's.

Modes:

- ``measures WHO SIZE CALLS``: WHO is ``kl-cli`` (``kl_cli.compare``),
  ``scipy`` (``entropy(p, q)``, ``entropy(q, p)``, ``jensenshannon(p, q)``) or
  ``floor`` (``np.log`` of p, q and (p + q) / 2). Times CALLS calls after one
  warm-up, inside this process, and prints their times as JSON.
- ``measures-check SIZE``: kl_pq, kl_qp and js_distance of kl-cli against
  scipy's, as relative differences.
- ``import-check ARGS...``: runs the kl-cli command line in-process and
  reports which heavy modules it imported.
- ``pandas-kl``, ``pandas-arrow-kl``, ``pyarrow-kl``, ``duckdb-kl``,
  ``polars-kl`` ``REF CUR COLUMN``: KL(P||Q) in nats of the value counts of
  one column of two CSV files, the minimal script in each library.
- ``duckdb-drift REF CUR``: the counts a drift check needs (categories of
  text columns, 10 reference-quantile bins of numeric ones, missing cells
  apart) and the Jensen-Shannon distance in bits per column.
- ``evidently-drift REF CUR``: Evidently's data-drift preset on the same
  files and columns.
- ``knn WHO SIZE CALLS``: the nearest-neighbour estimator on SIZE against SIZE
  one-dimensional samples (N(0,1) and N(1,1), fixed seeds): WHO is ``kl-cli``
  (``kl_cli.core.knn.knn_divergences``) or ``ckdtree`` (the same estimator
  written here with ``scipy.spatial.cKDTree``). Times CALLS calls after one
  warm-up and prints their times and the metrics as JSON.
- ``matrix WHO N K CALLS``: the Jensen-Shannon matrix of N random
  distributions over K categories (Dirichlet, fixed seed): WHO is ``kl-cli``
  (``kl_cli.core.matrix.pairwise``, js_distance) or ``floor`` (one ``np.log``
  per unordered pair and category: of (p + q) / 2, in cache-sized blocks).
  Times CALLS calls after one warm-up and prints their times as JSON.
- ``matrix-check N K``: the largest difference of kl-cli's JS distance matrix
  from ``scipy.spatial.distance.jensenshannon`` on 2,000 of its pairs.
- ``knn-accuracy DRAWS``: kl-cli's estimator on DRAWS seeded draws of each
  accuracy case of issue 12 at n = m = 10,000: mean, standard error, truth.
- ``calibration DATASETS COLUMNS ROWS PERMUTATIONS POWER_DATASETS``: drift's
  multiple-testing calibration (issue 14), in-process through ``kl_cli.drift``:
  DATASETS simulated datasets of COLUMNS categorical columns with no drift
  (ROWS rows a side), the share of runs with any column flagged under each
  correction; then POWER_DATASETS datasets where 5 columns drift, the share of
  those 5 flagged.
"""

from __future__ import annotations

import json
import math
import sys
import time

# ---------------------------------------------------------------------------
# Measures on large probability vectors


def random_pair(size: int):
    """Two strictly positive probability vectors, the same in every child."""
    import numpy as np

    rng = np.random.default_rng(20240)
    p = rng.exponential(1.0, size) + 1e-9
    q = rng.exponential(1.0, size) + 1e-9
    return p / p.sum(), q / q.sum()


def measures(who: str, size: int, calls: int) -> None:
    import numpy as np

    p, q = random_pair(size)
    if who == "kl-cli":
        import kl_cli

        def job():
            return kl_cli.compare(p, q)

    elif who == "scipy":
        from scipy.spatial.distance import jensenshannon
        from scipy.stats import entropy

        def job():
            return entropy(p, q), entropy(q, p), jensenshannon(p, q)

    elif who == "floor":

        def job():
            return np.log(p), np.log(q), np.log((p + q) / 2)

    else:
        raise SystemExit(f"unknown measures target {who!r}")
    job()  # warm-up: first-call costs (lazy imports, page faults) are not the steady state
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times}))


def measures_check(size: int) -> None:
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import entropy

    import kl_cli

    p, q = random_pair(size)
    metrics = kl_cli.compare(p, q).metrics
    pairs = {
        "kl_pq": (metrics["kl_pq"], float(entropy(p, q))),
        "kl_qp": (metrics["kl_qp"], float(entropy(q, p))),
        "js_distance": (metrics["js_distance"], float(jensenshannon(p, q))),
    }
    print(json.dumps({k: {"kl_cli": a, "scipy": b, "rel": abs(a - b) / abs(b)} for k, (a, b) in pairs.items()}))


# ---------------------------------------------------------------------------
# What the inline path imports


HEAVY = ("pandas", "pyarrow", "scipy", "duckdb", "polars")


def import_check(args: list[str]) -> None:
    import contextlib
    import io

    from kl_cli.cli import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(args, standalone_mode=False)
    print(json.dumps({"exit": code, "imported": [m for m in HEAVY if m in sys.modules]}))


# ---------------------------------------------------------------------------
# One column of two CSV files: value counts and KL(P||Q)


def kl_from_counts(labels_p, counts_p, labels_q, counts_q) -> float:
    """KL(P||Q) in nats after aligning by label; inf when Q lacks a label of P."""
    p = dict(zip(labels_p, counts_p))
    q = dict(zip(labels_q, counts_q))
    sp, sq = float(sum(p.values())), float(sum(q.values()))
    total = 0.0
    for label, c in p.items():
        if c > 0:
            pp, qq = c / sp, q.get(label, 0) / sq
            if qq == 0:
                return math.inf
            total += pp * math.log(pp / qq)
    return total


def pandas_kl(ref: str, cur: str, column: str, engine: str = "c") -> None:
    import numpy as np
    import pandas as pd

    p = pd.read_csv(ref, usecols=[column], engine=engine)[column].value_counts()
    q = pd.read_csv(cur, usecols=[column], engine=engine)[column].value_counts()
    p, q = p.align(q, fill_value=0)
    p, q = p / p.sum(), q / q.sum()
    keep = p > 0
    with np.errstate(divide="ignore"):
        print(repr(float((p[keep] * np.log(p[keep] / q[keep])).sum())))


def pyarrow_kl(ref: str, cur: str, column: str) -> None:
    import pyarrow.csv as pacsv

    def counts(path: str):
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(include_columns=[column]))
        vc = table.column(column).value_counts()
        return vc.field("values").to_pylist(), vc.field("counts").to_pylist()

    print(repr(kl_from_counts(*counts(ref), *counts(cur))))


def sql_path(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def duckdb_kl(ref: str, cur: str, column: str) -> None:
    import duckdb

    col = '"' + column.replace('"', '""') + '"'
    query = f"""
        WITH p AS (SELECT {col} AS k, count(*)::DOUBLE AS c FROM read_csv({sql_path(ref)}) GROUP BY ALL),
             q AS (SELECT {col} AS k, count(*)::DOUBLE AS c FROM read_csv({sql_path(cur)}) GROUP BY ALL),
             a AS (SELECT coalesce(p.c, 0) / (SELECT sum(c) FROM p) AS pp,
                          coalesce(q.c, 0) / (SELECT sum(c) FROM q) AS qq
                   FROM p FULL OUTER JOIN q ON p.k IS NOT DISTINCT FROM q.k)
        SELECT sum(CASE WHEN pp > 0 THEN pp * ln(pp / qq) ELSE 0 END) FROM a
    """
    print(repr(float(duckdb.connect().execute(query).fetchone()[0])))


def polars_kl(ref: str, cur: str, column: str) -> None:
    import polars as pl

    def counts(path: str):
        return pl.scan_csv(path).group_by(column).agg(pl.len().alias("c"))

    both = counts(ref).join(counts(cur), on=column, how="full", coalesce=True, suffix="_q").fill_null(0).collect()
    labels = both[column].to_list()
    print(repr(kl_from_counts(labels, both["c"].to_list(), labels, both["c_q"].to_list())))


# ---------------------------------------------------------------------------
# Drift: every column's counts with the reference's bins, then JS distance


def js_distance_bits(p: dict, q: dict) -> float:
    labels = set(p) | set(q)
    sp, sq = float(sum(p.values())), float(sum(q.values()))
    js = 0.0
    for label in labels:
        pp, qq = p.get(label, 0) / sp, q.get(label, 0) / sq
        m = (pp + qq) / 2
        if pp > 0:
            js += 0.5 * pp * math.log2(pp / m)
        if qq > 0:
            js += 0.5 * qq * math.log2(qq / m)
    return math.sqrt(max(js, 0.0))


def duckdb_drift(ref: str, cur: str, bins: int = 10) -> None:
    """Reads the reference once into a table (its quantiles fix the bin
    edges, then it is counted), the current file once, and counts every
    column in one grouped query. A numeric column has more than 20 distinct
    values in the reference, as in kl-cli; bins are right-closed,
    (e[i-1], e[i]], the outer ones open, and NULL is its own category."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE r AS SELECT * FROM read_csv({sql_path(ref)})")
    schema = con.execute("DESCRIBE r").fetchall()
    numeric_types = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
    numeric_like = [name for name, typ, *_ in schema if typ.startswith(numeric_types)]
    names = [name for name, *_ in schema]

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    numeric = []
    if numeric_like:
        distinct = con.execute(
            "SELECT " + ", ".join(f"count(DISTINCT {q(n)})" for n in numeric_like) + " FROM r"
        ).fetchone()
        numeric = [n for n, d in zip(numeric_like, distinct) if d > 20]
    probs = [i / bins for i in range(1, bins)]
    edges = {}
    if numeric:
        row = con.execute("SELECT " + ", ".join(f"quantile_cont({q(n)}, {probs})" for n in numeric) + " FROM r")
        edges = dict(zip(numeric, row.fetchone()))

    def key(name: str) -> str:
        if name not in edges:
            return q(name)
        cases = " ".join(f"WHEN {q(name)} <= {e!r} THEN {i}" for i, e in enumerate(sorted(set(edges[name]))))
        return f"CASE WHEN {q(name)} IS NULL THEN NULL {cases} ELSE {len(set(edges[name]))} END"

    select = ", ".join(f"{key(n)} AS {q(n)}" for n in names)
    sets = ", ".join(f"(side, {q(n)})" for n in names)
    which = ", ".join(f"GROUPING({q(n)})" for n in names)
    rows = con.execute(
        f"""SELECT side, {", ".join(q(n) for n in names)}, {which}, count(*) FROM (
                SELECT 'ref' AS side, {select} FROM r
                UNION ALL
                SELECT 'cur' AS side, {select} FROM read_csv({sql_path(cur)})
            ) GROUP BY GROUPING SETS ({sets})"""
    ).fetchall()
    counts: dict[str, dict[str, dict]] = {n: {"ref": {}, "cur": {}} for n in names}
    k = len(names)
    for row in rows:
        side, keys, grouping, c = row[0], row[1 : 1 + k], row[1 + k : 1 + 2 * k], row[-1]
        i = list(grouping).index(0)
        counts[names[i]][side][keys[i]] = c
    print(json.dumps({n: js_distance_bits(counts[n]["ref"], counts[n]["cur"]) for n in names}))


def evidently_drift(ref: str, cur: str) -> None:
    """Evidently's DataDriftPreset (its default tests per column type and
    size) on the two CSV files read with pandas. Evidently 0.7 imports a
    pandas helper that pandas 3 removed; it is only used by Evidently's
    legacy data-integrity tests, so a stand-in lets the import succeed."""
    import pandas as pd
    import pandas.core.dtypes.common as pd_common

    if not hasattr(pd_common, "infer_dtype_from_object"):
        import numpy as np

        pd_common.infer_dtype_from_object = lambda dtype: np.dtype(dtype).type
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    reference, current = pd.read_csv(ref), pd.read_csv(cur)
    numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    categorical = [c for c in reference.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    out = {}
    for metric in snapshot.dict()["metrics"]:
        value = metric["value"]
        out[metric["metric_name"]] = value if isinstance(value, (int, float)) else str(value)
    print(json.dumps(out))


# ---------------------------------------------------------------------------
# The nearest-neighbour estimator: kl-cli's against the same one on cKDTree


def knn_samples(size: int):
    import numpy as np

    return np.random.default_rng(31).normal(0, 1, size), np.random.default_rng(32).normal(1, 1, size)


def knn_ckdtree(x, y, k: int = 1) -> dict[str, float]:
    """KL both ways, JS, Hellinger and the entropies as ``kl_cli.core.knn`` defines
    them (its module docstring), the tie rule included, with k-d trees in place of
    sorting; total variation is not estimated there either."""
    import numpy as np
    from scipy.spatial import cKDTree
    from scipy.special import digamma, gammaln

    pts = [np.asarray(v, dtype=np.float64).reshape(len(v), -1) for v in (x, y)]
    exponent = math.frexp(max(float(np.abs(v).max()) for v in pts))[1]
    pts = [v / 2.0**exponent for v in pts]
    log_s, d = exponent * math.log(2), pts[0].shape[1]
    log_vd = d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1)
    trees = [cKDTree(v) for v in pts]

    def shell(where, r):
        tol = 2.0**-44 * (np.abs(where).max(axis=1) + r)  # the boundary: within tol of r
        return r - tol, r + tol

    def ball(tree, where, r):
        """(points strictly inside, points on the boundary shell) of each ball."""
        low, high = shell(where, r)
        inside = tree.query_ball_point(where, r=np.nextafter(low, 0), return_length=True, workers=-1)
        return inside, tree.query_ball_point(where, r=high, return_length=True, workers=-1) - inside

    def kth(tree, where, wanted: list[int], own: int):
        """(orders, distances) for each wanted order: the k-th distance (the nearest
        positive one when 0) and the mean valid order inside + (on + 1) / 2 there."""
        out = []
        for order in wanted:
            dist = tree.query(where, k=[order + own], workers=-1)[0][:, 0].copy()
            zero = np.flatnonzero(dist == 0)
            if zero.size:
                first = tree.query_ball_point(where[zero], r=0.0, return_length=True, workers=-1) + 1
                for o in np.unique(first):
                    sel = zero[first == o]
                    dist[sel] = tree.query(where[sel], k=[int(o)], workers=-1)[0][:, 0]
            inside, on = ball(tree, where, dist)
            out.append((inside - own + (on + 1) / 2, dist))
        return out

    def log1p_ratio(b, kappa, c):
        a, total, ratio = 1.0 - c, digamma(b + kappa) - digamma(kappa), np.ones(b.size)
        for j in range(1, int(b.max()) + 1):
            if a**j / j < 1e-17:
                break
            ratio = np.where(b >= j, ratio * (b - j + 1) / np.maximum(b + kappa - j, 1), 0.0)
            total -= a**j / j * ratio
        return total

    def half(inside, on, kappa, c):  # g at inside + on / 2: the mean of g at the whole counts around it
        low, high = (inside + on // 2).astype(np.float64), (inside + (on + 1) // 2).astype(np.float64)
        return (log1p_ratio(low, kappa, c) + log1p_ratio(high, kappa, c)) / 2

    sides = []
    for i in (0, 1):
        mine, other, where = trees[i], trees[1 - i], pts[i]
        own, oth = len(where) - 1, len(pts[1 - i])
        ((ko, rho),) = kth(mine, where, [k], 1)
        (lo, nu), (lh, nuh) = kth(other, where, [k, max(k, 2)], 0)
        log_rho, log_nu, log_nuh = (np.log(v) + log_s for v in (rho, nu, nuh))
        kl = float(np.mean(d * (log_nu - log_rho) + digamma(ko) - digamma(lo))) + math.log(oth / own)
        h = float(digamma(len(where)) + np.mean(d * log_rho - digamma(ko))) + log_vd
        const = gammaln(ko) + gammaln(lh) - gammaln(ko + 0.5) - gammaln(lh - 0.5)
        bc = float(np.mean(np.exp(0.5 * (d * (log_rho - log_nuh) + math.log(own / oth)) + const)))
        if own <= oth:
            inside, on = ball(other, where, rho)
            term = float(np.mean(half(inside, on, ko, own / oth)))
        else:
            inside, on = ball(mine, where, nu)
            term = float(np.mean(half(inside - 1, on, lo, oth / own))) - kl
        sides.append((kl, h, bc, term))
    (kl_pq, h_p, bc_p, t_p), (kl_qp, h_q, bc_q, t_q) = sides
    js = min(max(math.log(2) - 0.5 * (t_p + t_q), 0.0), math.log(2))
    bc = min(max(0.5 * (bc_p + bc_q), 0.0), 1.0)
    return {
        "kl_pq": kl_pq,
        "kl_qp": kl_qp,
        "js_divergence": js,
        "hellinger": math.sqrt(1 - bc),
        "entropy_p": h_p,
        "entropy_q": h_q,
    }


def knn(who: str, size: int, calls: int) -> None:
    x, y = knn_samples(size)
    if who == "kl-cli":
        from kl_cli.core.knn import knn_divergences

        def job():
            return knn_divergences(x, y).metrics

    elif who == "ckdtree":

        def job():
            return knn_ckdtree(x, y)

    else:
        raise SystemExit(f"unknown knn target {who!r}")
    metrics = job()  # warm-up: the imports (scipy.special, scipy.spatial) and first-call costs
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "metrics": metrics}))


# (P, Q, metric, target): P and Q are (mu, sigma, dimensions) of normal
# distributions (mu and sigma the same in each coordinate); the target is
# ("rel", share) of the truth, ("abs", bound) on the mean, or None.
KNN_CASES = [
    ((0.0, 1.0, 1), (1.0, 1.0, 1), "kl_pq", ("rel", 0.05)),
    ((0.0, 1.0, 1), (1.0, 1.0, 1), "kl_qp", ("rel", 0.05)),
    ((0.0, 1.0, 1), (1.0, 1.0, 1), "js_divergence", None),
    ((0.0, 1.0, 1), (1.0, 1.0, 1), "hellinger", None),
    ((0.0, 1.0, 2), (1.0, 1.0, 2), "kl_pq", ("rel", 0.10)),
    ((0.0, 1.0, 2), (1.0, 1.0, 2), "kl_qp", ("rel", 0.10)),
    ((0.0, 1.0, 1), (0.0, 2.0, 1), "kl_pq", ("rel", 0.10)),
    ((0.0, 1.0, 1), (0.0, 2.0, 1), "kl_qp", ("rel", 0.20)),
    ((0.0, 1.0, 1), (0.0, 2.0, 1), "js_divergence", None),
    ((0.0, 1.0, 1), (0.0, 2.0, 1), "hellinger", None),
    ((0.0, 1.0, 1), (0.0, 1.0, 1), "kl_pq", ("abs", 0.01)),
    ((0.0, 1.0, 1), (0.0, 1.0, 1), "kl_qp", ("abs", 0.01)),
    ((0.0, 1.0, 1), (0.0, 1.0, 1), "js_divergence", ("abs", 0.01)),
]


def normal_truth(p, q, metric: str) -> float:
    """The exact value for normals with independent coordinates: closed forms for
    KL and Hellinger, the defining integral (quadrature) for JS in one dimension."""
    (mp, sp, d), (mq, sq, _) = p, q
    if metric in ("kl_pq", "kl_qp"):
        (ma, sa), (mb, sb) = ((mp, sp), (mq, sq)) if metric == "kl_pq" else ((mq, sq), (mp, sp))
        return d * (math.log(sb / sa) + (sa**2 + (ma - mb) ** 2) / (2 * sb**2) - 0.5)
    if metric == "hellinger":
        s2 = sp**2 + sq**2
        bc = (math.sqrt(2 * sp * sq / s2) * math.exp(-((mp - mq) ** 2) / (4 * s2))) ** d
        return math.sqrt(1 - bc)
    from scipy import integrate, stats

    def half(a, b):  # (1/2) int a log(2a / (a + b))
        def f(t):
            fa, fb = a.pdf(t), b.pdf(t)
            return 0.5 * fa * math.log(2 * fa / (fa + fb)) if fa > 0 else 0.0

        return integrate.quad(f, -40, 40, points=[mp, mq], limit=400)[0]

    a, b = stats.norm(mp, sp), stats.norm(mq, sq)
    return half(a, b) + half(b, a)


def knn_accuracy(draws: int, size: int = 10_000) -> None:
    """Each case's mean over ``draws`` draws (seeds 0..draws-1 for P, 10**6 + seed
    for Q), its standard error, the truth and whether the target is met."""
    import numpy as np

    from kl_cli.core.knn import knn_divergences

    def sample(spec, seed: int):
        mu, sigma, dims = spec
        return np.random.default_rng(seed).normal(mu, sigma, (size, dims) if dims > 1 else size)

    def name(spec) -> str:
        mu, sigma, dims = spec
        return f"N({mu:g},{sigma:g})" if dims == 1 else f"N(({','.join([f'{mu:g}'] * dims)}),{sigma:g}²I)"

    estimates: dict[tuple, list[dict[str, float]]] = {}
    rows = []
    for p, q, metric, target in KNN_CASES:
        if (p, q) not in estimates:
            estimates[(p, q)] = [knn_divergences(sample(p, s), sample(q, 10**6 + s)).metrics for s in range(draws)]
        truth = normal_truth(p, q, metric)
        values = np.array([run[metric] for run in estimates[(p, q)]])
        mean = float(values.mean())
        row = {"case": f"{name(p)} vs {name(q)}", "metric": metric, "truth": truth, "mean": mean}
        row["se"] = float(values.std(ddof=1) / math.sqrt(draws)) if draws > 1 else None
        row["rel_error"] = (mean - truth) / truth if truth else None
        if target is None:
            row["target"], row["met"] = None, None
        elif target[0] == "rel":
            row["target"], row["met"] = f"within {target[1]:.0%}", abs(mean - truth) <= target[1] * truth
        else:
            row["target"], row["met"] = f"at most {target[1]:g}", abs(mean) <= target[1]
        rows.append(row)
    print(json.dumps({"draws": draws, "size": size, "k": 1, "rows": rows}))


# ---------------------------------------------------------------------------
# A pairwise matrix


def random_distributions(n: int, k: int):
    import numpy as np

    return np.random.default_rng(20241).dirichlet(np.ones(k), n)


def matrix(who: str, n: int, k: int, calls: int) -> None:
    import numpy as np

    p = random_distributions(n, k)
    if who == "kl-cli":
        from kl_cli.core.matrix import pairwise

        def job():
            return pairwise(p, "js_distance")

    elif who == "floor":
        step = max(1, (1 << 21) // k)  # rows per block: 2**21 floats

        def job():
            for i in range(n - 1):
                for start in range(i + 1, n, step):
                    m = np.add(p[i], p[start : start + step])
                    m *= 0.5
                    np.log(m, out=m)

    else:
        raise SystemExit(f"unknown matrix target {who!r}")
    job()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times}))


def matrix_check(n: int, k: int) -> None:
    import numpy as np
    from scipy.spatial.distance import jensenshannon

    from kl_cli.core.matrix import pairwise

    p = random_distributions(n, k)
    m = pairwise(p, "js_distance")
    rng = np.random.default_rng(5)
    pairs = rng.integers(0, n, (2000, 2))
    worst = max(abs(float(m[i, j]) - float(jensenshannon(p[i], p[j]))) for i, j in pairs.tolist())
    print(json.dumps({"pairs": len(pairs), "max_abs_diff": worst}))


def batch_naive(p: str, q: str) -> None:
    """The naive script of issue 13: both arrays loaded whole, per-row KL in float64 through logsumexp."""
    import numpy as np
    from scipy.special import logsumexp

    a = np.load(p).astype(np.float64)
    b = np.load(q).astype(np.float64)
    la = a - logsumexp(a, axis=1, keepdims=True)
    lb = b - logsumexp(b, axis=1, keepdims=True)
    kl = (np.exp(la) * (la - lb)).sum(axis=1)
    print(repr(float(kl.mean())))


# ---------------------------------------------------------------------------
# drift's calibration across many columns

CALIBRATION_CORRECTIONS = ("holm", "bonferroni", "bh", "none")
CALIBRATION_DRIFTING = 5  # columns that drift in the power datasets
CALIBRATION_SHIFT = 0.2  # the share moved to the first category in a drifting column


def calibration(datasets: int, columns: int, rows: int, permutations: int, power_datasets: int) -> None:
    """Each dataset: per column, category shares from a Dirichlet(5, 5, 5, 5);
    reference and current ROWS rows each from those shares (the first
    CALIBRATION_DRIFTING columns of a power dataset move CALIBRATION_SHIFT of
    the current shares to category a). ``--threshold 0`` so that the p-values
    alone decide, which is what a correction is about. One drift run per
    dataset with ``correction="none"`` gives the raw p-values; the other
    corrections are applied with the function the report uses, and checked
    against full runs with that correction on the first datasets."""
    import numpy as np
    import pandas as pd

    from kl_cli import drift
    from kl_cli.core.multiple import adjust

    significance = 0.05
    labels = np.array(list("abcd"))

    def dataset(seed: int, drifting: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng = np.random.default_rng(seed)
        shares = rng.dirichlet(np.full(4, 5.0), columns)
        moved = shares.copy()
        moved[:drifting] *= 1 - CALIBRATION_SHIFT
        moved[:drifting, 0] += CALIBRATION_SHIFT
        ref = {f"c{j:02d}": labels[rng.choice(4, rows, p=shares[j])] for j in range(columns)}
        cur = {f"c{j:02d}": labels[rng.choice(4, rows, p=moved[j])] for j in range(columns)}
        return pd.DataFrame(ref), pd.DataFrame(cur)

    def flagged(seed: int, drifting: int, check: bool) -> dict[str, set[int]]:
        ref, cur = dataset(seed, drifting)
        options = {"permutations": permutations, "seed": seed, "threshold": 0.0, "significance": significance}
        report = drift(ref, cur, correction="none", **options)
        raw = [c.p_value for c in report.columns]
        over = np.array([c.value > 0 for c in report.columns])
        out = {}
        for method in CALIBRATION_CORRECTIONS:
            hits = over & (adjust(raw, method) < significance)
            out[method] = {int(j) for j in np.flatnonzero(hits)}
            if check and method != "none":
                full = drift(ref, cur, correction=method, **options)
                if {j for j, c in enumerate(full.columns) if c.drifted} != out[method]:
                    raise SystemExit(f"calibration: {method} run of dataset {seed} disagrees with its p-values")
        return out

    start = time.perf_counter()
    null = [flagged(seed, 0, seed < 2) for seed in range(datasets)]
    power = [flagged(10**6 + seed, CALIBRATION_DRIFTING, False) for seed in range(power_datasets)]
    drifting = set(range(CALIBRATION_DRIFTING))
    result: dict[str, object] = {
        "datasets": datasets,
        "columns": columns,
        "rows": rows,
        "permutations": permutations,
        "significance": significance,
        "power_datasets": power_datasets,
        "drifting": CALIBRATION_DRIFTING,
        "shift": CALIBRATION_SHIFT,
        "seconds": time.perf_counter() - start,
        "corrections": {},
    }
    for method in CALIBRATION_CORRECTIONS:
        any_flag = sum(1 for run in null if run[method])
        entry = {
            "runs_with_a_false_alarm": any_flag,
            "fwer": any_flag / datasets,
            "false_alarms_per_run": sum(len(run[method]) for run in null) / datasets,
            "power": (
                sum(len(run[method] & drifting) for run in power) / (CALIBRATION_DRIFTING * power_datasets)
                if power_datasets
                else None
            ),
            "power_false_alarm_runs": sum(1 for run in power if run[method] - drifting),
        }
        try:
            from scipy.stats import binomtest

            ci = binomtest(any_flag, datasets).proportion_ci(0.95, method="exact")
            entry["fwer_interval"] = [float(ci.low), float(ci.high)]
        except ImportError:
            entry["fwer_interval"] = None
        result["corrections"][method] = entry  # type: ignore[index]
    print(json.dumps(result))


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    mode, args = argv[0], argv[1:]
    if mode == "measures":
        measures(args[0], int(args[1]), int(args[2]))
    elif mode == "measures-check":
        measures_check(int(args[0]))
    elif mode == "import-check":
        import_check(args)
    elif mode == "pandas-kl":
        pandas_kl(*args)
    elif mode == "pandas-arrow-kl":
        pandas_kl(*args, engine="pyarrow")
    elif mode == "pyarrow-kl":
        pyarrow_kl(*args)
    elif mode == "duckdb-kl":
        duckdb_kl(*args)
    elif mode == "polars-kl":
        polars_kl(*args)
    elif mode == "duckdb-drift":
        duckdb_drift(*args)
    elif mode == "evidently-drift":
        evidently_drift(*args)
    elif mode == "knn":
        knn(args[0], int(args[1]), int(args[2]))
    elif mode == "matrix":
        matrix(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "matrix-check":
        matrix_check(int(args[0]), int(args[1]))
    elif mode == "batch-naive":
        batch_naive(*args)
    elif mode == "calibration":
        calibration(*(int(a) for a in args))
    elif mode == "knn-accuracy":
        knn_accuracy(int(args[0]), *(int(a) for a in args[1:]))
    else:
        raise SystemExit(f"unknown mode {mode!r}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
