"""The Python API: the commands as functions, with the command line's option names.

>>> from kl_cli import compare
>>> r = compare({"rain": 0.7, "dry": 0.3}, {"dry": 0.6, "rain": 0.4}, base=2)
>>> round(r.metrics["kl_pq"], 6)
0.265148

Each function returns the command's result object; its ``to_dict()`` is
exactly what ``--format json`` prints. Options that only shape the printed
report (``format``, ``top``, ``detail``, ``debug``) are the renderers'
business, and ``fail_above`` is the caller's: compare the returned metric.
"""

from __future__ import annotations

from typing import Any

from .profiles.model import Profile
from .reports.batch import run_batch
from .reports.batch_result import BatchResult
from .reports.compare import Comparison, run_compare
from .reports.drift import DriftReport, run_drift
from .reports.matrix import MatrixReport, run_matrix
from .reports.profile import run_profile
from .reports.sampled import SampledResult, run_sampled

__all__ = [
    "BatchResult",
    "Comparison",
    "DriftReport",
    "MatrixReport",
    "Profile",
    "SampledResult",
    "batch",
    "compare",
    "drift",
    "matrix",
    "profile",
    "sampled",
]


def compare(p: Any, q: Any = None, **options: Any) -> Comparison:
    """Compare distribution P with Q: KL both ways, Jensen-Shannon and the rest.

    ``p`` and ``q`` may be lists, dicts ``{label: weight}``, numpy arrays,
    pandas Series, lists of strings (raw observations) or command-line
    words (``"0.7,0.3"``, ``"rain=0.7,dry=0.3"``, a file path). Options, by
    ``kl-cli compare``'s names: ``column``, ``p_column``, ``q_column``,
    ``label_column``, ``encoding``, ``smoothing`` (``none``, ``additive``,
    ``epsilon``, ``mix``) with ``alpha``, ``epsilon`` or ``lambda_``,
    ``base`` (``"e"``, ``2``, ``10`` or their strings), ``strict``,
    ``permutations``, ``bootstrap``, ``confidence``, ``seed``, ``n_p``,
    ``n_q``, ``samples``, ``bins``, ``binning``.

    >>> r = compare([0.7, 0.3], [0.4, 0.6])
    >>> round(r.metrics["kl_pq"], 6), round(r.metrics["kl_qp"], 6)
    (0.183787, 0.192042)
    """
    return run_compare(p, q, **_api_names(options))


def batch(p: str, q: str, **options: Any) -> BatchResult:
    """Compare row i of batch P with row i of batch Q, for every row (paths to
    .npy/.npz arrays, wide tables (CSV/TSV, compressed or not, Parquet) or JSON
    lines). Options by ``kl-cli batch``'s names: ``input`` (``probs``,
    ``logits``, ``logprobs``), ``temperature``, ``encoding``, ``input_format``,
    ``delimiter``, ``header``,
    ``key``, ``mask``, ``smoothing`` with ``alpha``/``epsilon``/``lambda_``,
    ``base``, ``per_row``; ``metrics`` limits the per-row figures computed.
    ``figures`` of the result holds each metric's per-row values.
    """
    return run_batch(p, q, **_api_names(options))


def drift(reference: Any, current: Any, **options: Any) -> DriftReport:
    """Check ``current`` for drift from ``reference``, column by column.

    ``reference`` is a data file, a profile file, a ``Profile`` or a pandas
    DataFrame; ``current`` a data file or a DataFrame. Options by ``kl-cli
    drift``'s names: ``columns``, ``exclude``, ``bins``, ``binning``,
    ``categorical``, ``numeric``, ``encoding``, ``chunk_rows``, ``metric``,
    ``threshold``, ``smoothing`` with ``alpha``/``epsilon``/``lambda_``,
    ``base``, ``max_drift_share``, ``permutations``, ``bootstrap``,
    ``confidence``, ``seed``, ``significance``, ``correction``;
    ``columns_config`` gives columns rules of their own, ``{"age":
    {"threshold": 0.2, "metric": "hellinger", "bins": 5, "type": "numeric",
    "ignore": False}}`` (the API reads no configuration file).
    ``engine="dask"`` counts data files on a Dask cluster (``scheduler="tcp://host:8786"``,
    else a local one of ``workers`` processes), with the same report;
    files may be glob patterns and fsspec URLs.
    """
    return run_drift(reference, current, **_api_names(options))


def profile(*data: Any, **options: Any) -> Profile:
    """Profile ``data`` (paths, DataFrames, profiles) as one dataset.

    Options by ``kl-cli profile``'s names: ``columns``, ``exclude``,
    ``bins``, ``binning``, ``categorical``, ``numeric``, ``encoding``,
    ``chunk_rows``; ``columns_config`` gives columns a type, bins or ignore
    of their own, as drift's does; ``engine="dask"`` (with ``scheduler`` or
    ``workers``) counts the data files on a Dask cluster, with the same
    profile. ``to_dict()`` of the result is the profile JSON.
    """
    return run_profile(list(data), **_api_names(options))


def sampled(source: str, other: str | None = None, **options: Any) -> SampledResult:
    """KL(q||p) from the log-probabilities of tokens drawn from q (Schulman's k1, k2, k3).

    ``source`` is a table with the columns ``logq`` and ``logp`` (options
    of those names; ``sequence`` and ``mask`` columns optional), an ``.npz``
    with those members, or, with ``other``, two arrays (log q, log p) of
    tokens or sequences x positions (``mask``: a 0/1 array file). Other
    options by ``kl-cli sampled``'s names: ``base``, ``encoding``,
    ``input_format``, ``delimiter``, ``header``.
    """
    return run_sampled(source, other, **options)


def _api_names(options: dict[str, Any]) -> dict[str, Any]:
    """``lambda`` is a Python keyword: accept it as ``lambda_`` or in a ``**{"lambda": x}``."""
    if "lambda" in options:
        options = dict(options)
        options["lambda_"] = options.pop("lambda")
    return options


def matrix(*sources: Any, **options: Any) -> MatrixReport:
    """Pairwise divergences between many distributions (``kl-cli matrix``).

    ``sources``: one table file (its numeric columns are the distributions),
    two or more distributions (command-line words, lists, dicts, arrays,
    Series; each read as ``compare`` reads one side), or one 2-D numpy array
    or array file with ``rows=True`` (its rows are the distributions).
    Options by ``kl-cli matrix``'s names: ``rows``, ``key``, ``names``,
    ``columns``, ``label_column``, ``metric`` (default ``js_distance``),
    ``base``, ``smoothing`` with ``alpha``/``epsilon``/``lambda_``, ``order``
    (``input`` or ``cluster``), ``encoding``, ``input_format``,
    ``delimiter``, ``header``. ``result.matrix[i, j]`` is the metric with P
    the i-th distribution and Q the j-th.

    >>> r = matrix([0.7, 0.3], [0.4, 0.6], [0.5, 0.5], metric="total_variation")
    >>> r.matrix.round(3).tolist()
    [[0.0, 0.3, 0.2], [0.3, 0.0, 0.1], [0.2, 0.1, 0.0]]
    """
    return run_matrix(list(sources), **_api_names(options))
