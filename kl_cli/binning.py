"""Numeric observations into bins whose edges come from the reference only.

The outermost bins are open, (-inf, e1] and (ek, inf), so values of the
current data outside the reference's range still land in a bin, and the
yardstick never moves with the data under test. Bins are right-closed:
x falls in (e[i-1], e[i]].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError, UsageError

MISSING = "(missing)"

BINNINGS = ("quantile", "uniform")


@dataclass(frozen=True)
class Bins:
    """Interior edges e1 < ... < ek (k + 1 bins) and a note on merged edges."""

    edges: tuple[float, ...]
    note: str | None = None

    @property
    def labels(self) -> list[str]:
        return bin_labels(self.edges)

    def count(self, values: np.ndarray) -> np.ndarray:
        """Counts per bin of non-NaN values (NaN must be removed first); +-inf
        fall in the open outer bins."""
        index = np.searchsorted(np.asarray(self.edges, dtype=np.float64), values, side="left")
        return np.bincount(index, minlength=len(self.edges) + 1).astype(np.float64)

    def counts_by_label(self, values: np.ndarray, missing: int = 0) -> dict[str, float]:
        """Counts per bin label, then ``(missing)``: NaN values plus ``missing``."""
        nan = np.isnan(values)
        out = dict(zip(self.labels, self.count(values[~nan]).tolist()))
        out[MISSING] = float(missing + int(nan.sum()))
        return out


def make_bins(values: np.ndarray, bins: int, binning: str = "quantile") -> Bins:
    """Edges for ``bins`` bins from reference values (finite floats).

    ``quantile``: the interior edges are the 1/bins, 2/bins, ... quantiles
    (equal-frequency bins); ``uniform``: equally spaced between the minimum
    and the maximum. Repeated edges (heavy ties) are merged and the merge is
    described in ``note``; the requested count is never silently replaced.
    """
    if bins < 1:
        raise UsageError(f"--bins must be at least 1, got {bins}")
    if binning not in BINNINGS:
        raise UsageError(f"--binning must be one of {', '.join(BINNINGS)}, got {binning!r}")
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or bins == 1:
        return Bins(())
    if binning == "quantile":
        raw = np.quantile(values, np.arange(1, bins) / bins)
    else:
        lo, hi = float(values.min()), float(values.max())
        raw = lo + (hi - lo) * np.arange(1, bins) / bins
    edges = np.unique(raw)
    note = None
    if edges.size < raw.size:
        merged = raw.size - edges.size
        note = f"{bins} {binning} bins asked for; {merged} repeated edges merged (ties), {edges.size + 1} bins used"
    return Bins(tuple(float(e) for e in edges), note)


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def bin_labels(edges: tuple[float, ...] | list[float]) -> list[str]:
    """Interval labels such as '(-inf, 1.5]', '(1.5, 3]', '(3, inf)'.

    Edges are printed with the fewest significant digits (at least 4) that
    keep every label distinct, so labels can safely be matched by text.
    """
    if len(edges) == 0:
        return ["(-inf, inf)"]
    for digits in range(4, 18):
        shown = [_fmt(e, digits) for e in edges]
        if len(set(shown)) == len(shown):
            break
    else:
        shown = [repr(float(e)) for e in edges]
    bounds = ["-inf", *shown, "inf"]
    labels = [f"({bounds[i]}, {bounds[i + 1]}]" for i in range(len(bounds) - 1)]
    labels[-1] = labels[-1][:-1] + ")"
    return labels


def binned_pair(
    p_values: np.ndarray, q_values: np.ndarray, bins: int, binning: str, p_name: str, q_name: str
) -> tuple[Any, Any, str | None]:
    """Bin two samples of numbers with edges from P alone (as drift does);
    returns the two histograms and the note on merged edges, if any."""
    from .distribution import make_histogram

    finite = p_values[np.isfinite(p_values)]
    if finite.size == 0:
        raise InputError(f"{p_name}: no finite observations to take bin edges from")
    edges = make_bins(finite, bins, binning)
    histograms = []
    for values, name in ((p_values, p_name), (q_values, q_name)):
        counts = edges.counts_by_label(values)
        histograms.append(make_histogram(list(counts.values()), list(counts), name, observations=True))
    return histograms[0], histograms[1], edges.note
