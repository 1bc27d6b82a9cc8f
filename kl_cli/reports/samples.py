"""compare when a side is a parametric distribution: two distributions, or
raw numeric observations (``--samples``) against a model.

Against a model, ``--estimator binned`` bins the observations with edges from
the observations alone and gives the model each bin's exact probability
from its distribution function; the binned pair then goes through compare's
own pipeline (smoothing, resampling and all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from ..core.histogram import Histogram, make_histogram
from ..core.parametric.families import Distribution
from ..core.significance import Resampling
from ..core.smoothing import Smoothing
from ..errors import InputError, UsageError
from ..text import show_total
from .parametric import ParametricComparison, compare_distributions

# A binned pair for compare's pipeline, and the notes on how it was binned.
BinnedPair = tuple[Histogram, Histogram, list[str]]


def with_distribution(
    p: Any,
    q: Any,
    *,
    read: Any,
    open_stdin: Callable[[], BinaryIO] | None,
    base: str,
    smoothing: Smoothing,
    strict: bool,
    resampling: Resampling,
    samples: bool,
    bins: int,
    binning: str,
) -> ParametricComparison | BinnedPair:
    """compare with at least one side a ``Distribution`` (the other a
    distribution, a command-line word, or None when it was omitted): the
    comparison of two distributions, or observations and model binned alike
    for compare's own pipeline."""
    if q is None:
        raise UsageError("Q is missing", hint="give a second distribution, or observations with --samples")
    if isinstance(p, Distribution) and isinstance(q, Distribution):
        _refuse_data_options(smoothing, resampling, samples, strict)
        return compare_distributions(p, q, base=base, seed=resampling.seed)
    if not samples:
        model, data = ("P", "Q") if isinstance(p, Distribution) else ("Q", "P")
        raise UsageError(
            f"{model} is a parametric distribution and {data} is data",
            hint=f"give --samples to read {data} as raw numeric observations and compare them with the model",
        )
    from ..inputs.sides import load_sample_side

    data_role = "Q" if isinstance(p, Distribution) else "P"
    model: Distribution = p if isinstance(p, Distribution) else q
    values, name = load_sample_side(q if data_role == "Q" else p, data_role, read, open_stdin)
    return _binned_against_model(values, name, data_role, model, bins, binning)


def _refuse_data_options(smoothing: Smoothing, resampling: Resampling, samples: bool, strict: bool) -> None:
    """Options about observed data mean nothing for two distributions: an error, never ignored."""
    if samples:
        raise UsageError("--samples reads observations, but P and Q are both parametric distributions")
    if smoothing.method != "none":
        raise UsageError("--smoothing applies to counts, but P and Q are both parametric distributions")
    if strict:
        raise UsageError("--strict checks weights that may not sum to 1, but P and Q are both parametric distributions")
    if resampling.active:
        raise UsageError(
            "--permutations and --bootstrap resample observations, but P and Q are both parametric distributions"
        )
    if resampling.n_p is not None or resampling.n_q is not None:
        raise UsageError("--n-p and --n-q are sample sizes, but P and Q are both parametric distributions")


def _binned_against_model(
    values: np.ndarray,
    name: str,
    data_role: str,
    model: Distribution,
    bins: int,
    binning: str,
) -> BinnedPair:
    from ..core.binning import make_bins

    if model.dimension > 1:
        raise UsageError(
            f"{model.describe()} is {model.dimension}-dimensional; binned observations are one column",
            hint="use --estimator knn with --columns for vectors",
        )
    missing = int(np.isnan(values).sum())
    observed = values[~np.isnan(values)]
    if observed.size == 0:
        raise InputError(f"{name}: no numeric observations")
    finite = observed[np.isfinite(observed)]
    if finite.size == 0:
        raise InputError(f"{name}: no finite observations to take bin edges from")
    edges = make_bins(finite, bins, binning)
    counts = edges.count(observed)
    labels = edges.labels
    data = make_histogram(counts, labels, name, observations=True)
    masses = model.bin_masses(edges.edges)
    model_name = f"{'P' if data_role == 'Q' else 'Q'} ({model.describe()})"
    fitted = make_histogram(masses, labels, model_name)
    hp, hq = (data, fitted) if data_role == "P" else (fitted, data)
    notes = [
        f"{len(labels)} bins with edges from the observations ({binning}); the model's bin probabilities are exact, "
        "from its distribution function"
    ]
    if edges.note:
        notes.append(edges.note)
    if missing:
        notes.append(f"{name}: {show_total(missing)} missing values left out (a model has no missing values)")
    return hp, hq, notes
