"""The options the CLI and the Python API share: checked, defaulted and turned into settings.

Both front ends pass their keyword arguments (the CLI's option names) to the
pipelines, which build their settings here, so a default or a range is
decided once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from ..core.significance import Resampling
from ..core.smoothing import Smoothing, make_smoothing
from ..errors import UsageError
from ..inputs.datasets import DEFAULT_CHUNK_ROWS, TableOptions
from ..profiles.model import ProfileOptions
from ..vocabulary import BINNINGS, ESTIMATORS, MAX_K, base_name

DEFAULT_BINS = 10
DEFAULT_BINNING = "quantile"


def smoothing_from(
    smoothing: str | Smoothing = "none",
    alpha: float | None = None,
    epsilon: float | None = None,
    lambda_: float | None = None,
) -> Smoothing:
    """The smoothing asked for; only the chosen method's parameter may be given."""
    if isinstance(smoothing, Smoothing):
        return smoothing
    given = {"additive": alpha, "epsilon": epsilon, "mix": lambda_}
    flags = {"additive": "--alpha", "epsilon": "--epsilon", "mix": "--lambda"}
    for other, value in given.items():
        if value is not None and other != smoothing:
            raise UsageError(f"{flags[other]} applies to --smoothing {other}, not --smoothing {smoothing}")
        if value is not None and math.isnan(value):
            raise UsageError(f"{flags[other]} must be a number, not nan")
    return make_smoothing(smoothing, given.get(smoothing))


def check_base(base: object) -> str:
    try:
        return base_name(base)
    except ValueError:
        raise UsageError(f"--base must be e, 2 or 10, got {base!r}") from None


def resampling_from(
    permutations: int = 0,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | None = None,
    n_p: int | None = None,
    n_q: int | None = None,
) -> Resampling:
    for name, value in (("--permutations", permutations), ("--bootstrap", bootstrap)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UsageError(f"{name} must be a whole number >= 0, got {value!r}")
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise UsageError(f"--confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise UsageError(f"--seed must be a whole number >= 0, got {seed!r}")
    for name, value in (("--n-p", n_p), ("--n-q", n_q)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise UsageError(f"{name} must be a whole number >= 1, got {value!r}")
    return Resampling(permutations, bootstrap, float(confidence), seed, n_p, n_q)


def dataset_reading(
    chunk_rows: int | None,
    open_stdin: Callable[[], BinaryIO] | None,
    progress: Callable[[str, int], None] | None,
    messages: list[tuple[str, str]],
    table: TableOptions,
) -> dict[str, Any]:
    """How drift and profile read their datasets (``frames_of``'s keywords)."""
    return {
        "chunk_rows": chunk_rows or DEFAULT_CHUNK_ROWS,
        "open_stdin": open_stdin,
        "progress": progress,
        "messages": messages,
        "table": table,
    }


def column_names(values: str | Iterable[str] | None) -> list[str]:
    """Repeatable, comma-separated column options flattened: ("a,b", "c") -> [a, b, c]."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [part.strip() for v in values for part in str(v).split(",") if part.strip()]


def profile_options_from(
    bins: int | None = None,
    binning: str | None = None,
    categorical: str | Iterable[str] | None = (),
    numeric: str | Iterable[str] | None = (),
) -> tuple[ProfileOptions, set[str]]:
    """ProfileOptions, and the names of the options given explicitly (a profile must agree with those)."""
    cat, num = column_names(categorical), column_names(numeric)
    both = sorted(set(cat) & set(num))
    if both:
        raise UsageError(f"column(s) {', '.join(both)} named by both --categorical and --numeric")
    if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int) or bins < 1):
        raise UsageError(f"--bins must be at least 1, got {bins!r}")
    if binning is not None and binning not in BINNINGS:
        raise UsageError(f"--binning must be one of {', '.join(BINNINGS)}, got {binning!r}")
    options = ProfileOptions(bins or DEFAULT_BINS, binning or DEFAULT_BINNING, tuple(cat), tuple(num))
    explicit = {k for k, v in (("bins", bins), ("binning", binning), ("categorical", cat), ("numeric", num)) if v}
    return options, explicit


def check_estimator(
    samples: bool, estimator: str | None, k: int | None, columns: str | list[str] | None
) -> list[str] | None:
    """The estimator options fit together (each is refused where it would do
    nothing); returns the ``--columns`` list (None without it)."""
    if estimator is not None and estimator not in ESTIMATORS:
        raise UsageError(f"--estimator must be one of {', '.join(ESTIMATORS)}, got {estimator!r}")
    if estimator is not None and not samples:
        raise UsageError("--estimator applies to --samples (raw numeric observations)")
    if k is not None and estimator != "knn":
        raise UsageError("--k is the number of neighbours of --estimator knn")
    if k is not None and not 1 <= k <= MAX_K:
        raise UsageError(f"--k must be from 1 to {MAX_K}, got {k}")
    if columns is None:
        return None
    if estimator != "knn":
        raise UsageError("--columns reads vectors, for --estimator knn (binned observations are one column)")
    names = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else [str(c) for c in columns]
    if not names or any(not c for c in names):
        raise UsageError("--columns takes column names separated by commas, like x,y")
    if len(set(names)) != len(names):
        raise UsageError("--columns names a column twice")
    return names
