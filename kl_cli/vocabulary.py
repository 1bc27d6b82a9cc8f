"""The vocabulary every layer shares (leaf: standard library only).

Metric ids, their names and units, logarithm bases, smoothing methods,
binnings, the output and input formats, and the missing category. One
place, so that the CLI, the JSON keys and the Python API never disagree.
"""

from __future__ import annotations

import math

METRICS = (
    "kl_pq",
    "kl_qp",
    "js_divergence",
    "js_distance",
    "jeffreys",
    "cross_entropy_pq",
    "cross_entropy_qp",
    "entropy_p",
    "entropy_q",
    "total_variation",
    "hellinger",
)
METRIC_NAMES = {
    "kl_pq": "KL(P‖Q)",
    "kl_qp": "KL(Q‖P)",
    "js_divergence": "Jensen-Shannon divergence",
    "js_distance": "Jensen-Shannon distance",
    "jeffreys": "Jeffreys (= PSI in nats)",
    "cross_entropy_pq": "cross-entropy H(P,Q)",
    "cross_entropy_qp": "cross-entropy H(Q,P)",
    "entropy_p": "entropy H(P)",
    "entropy_q": "entropy H(Q)",
    "total_variation": "total variation",
    "hellinger": "Hellinger distance",
}
# The metrics of two distributions (the entropies are of one), as a matrix holds them.
PAIR_METRICS = tuple(m for m in METRICS if not m.startswith("entropy"))
# Those whose value does not change when P and Q swap.
SYMMETRIC_METRICS = frozenset({"js_divergence", "js_distance", "jeffreys", "total_variation", "hellinger"})
# Metrics that have no unit: the same in every base.
BASE_FREE = frozenset({"total_variation", "hellinger"})

BASES = {"e": math.e, "2": 2.0, "10": 10.0}
UNITS = {"e": "nats", "2": "bits", "10": "hartleys"}


def metric_range(metric: str, base: str, k: int) -> tuple[float, float]:
    """The range a metric can take with K categories, in the given base."""
    scale = math.log(BASES[base])
    if metric in BASE_FREE:
        return 0.0, 1.0
    if metric == "js_divergence":
        return 0.0, math.log(2.0) / scale
    if metric == "js_distance":
        return 0.0, math.sqrt(math.log(2.0) / scale)
    if metric.startswith("entropy"):
        return 0.0, math.log(k) / scale if k > 1 else 0.0
    return 0.0, math.inf


def base_name(base: object) -> str:
    """'e', '2' or '10' from any of their spellings (2, 2.0, "2", math.e, "e").

    >>> base_name(2), base_name("10"), base_name(math.e)
    ('2', '10', 'e')
    """
    if isinstance(base, str) and base in BASES:
        return base
    if isinstance(base, (int, float)) and not isinstance(base, bool):
        for name, value in BASES.items():
            if float(base) == value:
                return name
    raise ValueError(f"base must be one of e, 2, 10, got {base!r}")


SMOOTHING_METHODS = ("none", "additive", "epsilon", "mix")
# The parameter each smoothing method takes and its default.
SMOOTHING_PARAMETERS = {
    "additive": ("alpha", 1.0),
    "epsilon": ("epsilon", 1e-10),
    "mix": ("lambda", 0.01),
}

BINNINGS = ("quantile", "uniform")
# Where drift and profile count: in this process, or on a Dask cluster.
ENGINES = ("local", "dask")
# The order of compare's categories: as read (bins from low to high), or the
# largest contributions to the divergence first. The default is input order
# for bins (--samples) and contribution for categories.
CATEGORY_ORDERS = ("input", "contribution")
# How compare --samples estimates: binned (counts in bins) or knn (nearest-neighbour distances).
ESTIMATORS = ("binned", "knn")

OUTPUT_FORMATS = ("table", "json", "csv", "markdown", "value")
# compare's: those, and a self-contained HTML page (no scripts, no network).
COMPARE_FORMATS = (*OUTPUT_FORMATS, "html")

# batch: the figures of each row (metric ids above), and the statistics of one over the rows.
BATCH_METRICS = (
    "kl_pq",
    "kl_qp",
    "js_divergence",
    "js_distance",
    "total_variation",
    "hellinger",
    "entropy_p",
    "entropy_q",
)
BATCH_STATS = ("mean", "median", "p90", "p99", "p999", "max", "sequence_mean")
BATCH_INPUTS = ("probs", "logits", "logprobs")
# matrix's formats; drift's add the CI formats and a self-contained HTML page.
MATRIX_FORMATS = ("table", "json", "csv", "markdown")
DRIFT_FORMATS = (*MATRIX_FORMATS, "junit", "github", "html")
# drift --detail COLUMN: the formats that show a column's full report.
DETAIL_FORMATS = ("table", "markdown", "html")
# Adjustments of drift's permutation p-values across the columns tested, and
# their names in reports.
CORRECTIONS = {
    "holm": "Holm's step-down method (family-wise error rate)",
    "bh": "Benjamini-Hochberg's step-up method (false discovery rate)",
    "bonferroni": "Bonferroni's method (family-wise error rate)",
    "none": "no correction",
}

# The category of missing cells in every report and profile.
MISSING = "(missing)"
# Cells read as missing: empty, and the spellings of "nothing" that data
# tools write. Deliberately not "NA"/"N/A", which can be real categories.
MISSING_SPELLINGS = ("", "nan", "NaN", "NULL", "null", "None")


def missing_label(labels: object) -> str:
    """The label missing cells are shown under: ``(missing)``, unless a real
    category is called that, then ``(missing cells)`` (and so on), so real
    data is never merged into the missing category.

    >>> missing_label({"a"}), missing_label({"(missing)"})
    ('(missing)', '(missing cells)')
    """
    taken = set(labels)  # type: ignore[call-overload]
    for candidate in (MISSING, "(missing cells)", "(missing values)"):
        if candidate not in taken:
            return candidate
    n = 2
    while f"(missing cells {n})" in taken:
        n += 1
    return f"(missing cells {n})"


# ---------------------------------------------------------------------------
# The bounds of the options, checked at the door (issue 11). Each size option
# has an upper bound chosen so that a run fits in memory; the reasons:

# More bins than this say nothing more of a distribution (each bin would need
# rows of its own), and the counts are stored per bin: a 3,000-row profile
# with 1,000,000 bins was 113 MB.
MAX_BINS = 10_000
# Worker processes of a local Dask cluster (--workers).
MAX_WORKERS = 1_024
# Resamples of a permutation test or a bootstrap: the Monte-Carlo error of a
# p-value at 10**7 permutations is below 1.6e-4, finer than any significance
# level; the resamples are drawn in bounded batches, so memory does not grow.
MAX_RESAMPLES = 10_000_000
# Rows read at a time: memory grows with the chunk, not the file (a column of
# short text cells takes about 1 GB at 10**8 rows), and reading is no faster
# past about 10**5 rows (the default is 10**6).
MAX_CHUNK_ROWS = 100_000_000
# Sample sizes (--n-p, --n-q) become counts in floats, exact up to 2**53;
# seeds are echoed in JSON, whose readers (JavaScript, jq) hold numbers as
# doubles: a larger seed could not be copied back from a report.
MAX_EXACT_INT = 2**53
# Categories shown in a report: more rows than this are no longer a report to
# read (--top 0 shows all).
MAX_TOP = 1_000_000
# Dimensions of a multivariate distribution (mvnormal, dirichlet): a Monte-Carlo
# average draws about 2 * 10**7 numbers whatever the dimension, so past this
# it would rest on too few draws to mean anything.
MAX_DIMENSION = 1_000
# A parametric comparison sums a discrete family's mass function term by term:
# at most this many terms (a Poisson of rate 10**11 spans about 10**7 values).
MAX_SUPPORT_TERMS = 20_000_000
# The k of the nearest-neighbour estimator.
MAX_K = 1_000
# Distributions in a pairwise matrix: its N x N floats (200 MB at 5,000) and
# its report (25,000,000 numbers in JSON) grow with the square.
MAX_MATRIX = 5_000
# Cells (distributions x categories) a matrix holds in memory, as float64 with
# their logarithms: 2**27 cells are 1 GiB each.
MAX_MATRIX_CELLS = 2**27
# Pair-category evaluations of a matrix, N (N - 1) / 2 x K: about 1e8 a second
# here, so at most a few minutes (1,000 distributions of 1,000 categories are 5e8).
MAX_MATRIX_WORK = 20_000_000_000


# The ranges of the float options: (low, high, low_open, high_open, infinite).
# None is unbounded; ``infinite`` lets inf (and -inf) through where it means
# something; NaN never passes. The pipelines check the same ranges (smoothing
# parameters in core.smoothing, drift's in reports.drift) for the Python API.
FLOAT_RANGES: dict[str, tuple[float | None, float | None, bool, bool, bool]] = {
    "alpha": (0.0, None, True, False, False),  # a pseudo-count: > 0, finite
    "epsilon": (0.0, 1.0, True, True, False),  # replaces zeros: a probability in (0, 1)
    "lambda": (0.0, 1.0, True, False, False),  # the uniform share: (0, 1]
    "confidence": (0.0, 1.0, True, True, False),  # a confidence level: (0, 1)
    "significance": (0.0, 1.0, True, True, False),  # a significance level: (0, 1)
    "threshold": (0.0, None, False, False, False),  # a divergence is never negative: >= 0, finite
    "max_drift_share": (0.0, 1.0, True, False, False),  # a share of the columns: (0, 1]
    "temperature": (0.0, None, True, False, False),  # a softmax temperature: > 0, finite
    # inf: exit 1 only when the metric is infinite; -inf: always.
    "fail_above": (None, None, False, False, True),
}
