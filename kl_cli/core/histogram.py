"""The distribution value type: labelled weights, summing duplicates, alignment.

A ``Histogram`` is what every reader produces and what every later stage
consumes: non-negative finite weights, with labels (or ``None`` when the
source gave none and categories are known only by position).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..text import show_label, show_total

# Sums within this of 1 are taken as probabilities, not as weights that need
# rescaling (the tolerance the issue asks for; float sums of 0.1-style
# decimals are off by ~1e-16, far inside it).
SUM_TOLERANCE = 1e-6
# The smallest normal float (2**-1022): below it floats have fewer bits.
TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class Histogram:
    """Labelled non-negative weights of one distribution.

    ``labels`` is ``None`` for positional data (an unlabelled list): its
    categories are called ``"0"``, ``"1"``, ... and can only be matched
    against another positional histogram of the same length.
    ``observations`` says the weights are counts of raw observations.
    """

    weights: np.ndarray
    labels: np.ndarray | None
    source: str
    observations: bool = False
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    # The true weights are ``weights * 2**exponent``: weights whose sum would
    # overflow a float are kept scaled by an exact power of two.
    exponent: int = 0
    # The weights before that scaling, kept only when it lost some of them
    # (a weight below about 2**-1022 of the largest one); see ``true_weights``.
    unscaled: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    @cached_property
    def total(self) -> float:
        """The sum of the true weights: inf when it is beyond the largest float."""
        return float(true_weights(self.weights.sum(dtype=np.float64), self.exponent))

    def true_weights(self) -> np.ndarray:
        """The weights as given (inf where one is beyond the largest float)."""
        return true_weights(self.weights, self.exponent, self.unscaled)

    def sample_size(self) -> float | None:
        """The number of observations behind a side of whole counts; None for
        probabilities (a side summing to 1 is read as probabilities)."""
        if not self.looks_like_counts() or abs(self.total - 1.0) <= SUM_TOLERANCE:
            return None
        return self.total

    @cached_property
    def _whole(self) -> bool:
        w = self.true_weights()  # past 2**53 every float is whole
        head = w[:1000]
        if not np.array_equal(np.floor(head), head):  # most probabilities fail here, cheaply
            return False
        return bool(np.array_equal(np.floor(w), w))

    def looks_like_counts(self) -> bool:
        """True when every weight is a whole number (so the side is counts)."""
        return self._whole


def true_weights(w: np.ndarray | float, exponent: int, unscaled: np.ndarray | None = None) -> np.ndarray:
    """``w * 2**exponent``, exactly; inf where that is beyond the largest float.
    Where ``unscaled`` is given and ``w`` is below the normal range (the
    scaling lost bits there), the unscaled weight is the true one."""
    if not exponent:
        return np.asarray(w)
    with np.errstate(over="ignore"):
        out = np.ldexp(w, exponent)
    if unscaled is not None:
        out = np.where(np.asarray(w) < TINY, unscaled, out)
    return out


def make_histogram(
    weights: Sequence[float] | np.ndarray,
    labels: Sequence[str] | np.ndarray | None,
    source: str,
    *,
    observations: bool = False,
    warnings: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Histogram:
    """Validate weights and build a ``Histogram``, summing duplicate labels.

    Raises ``InputError`` naming the source (and the label, where one is at
    fault) for an empty input, a negative, NaN or infinite weight, or a zero
    total.
    """
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{source}: values must be numbers ({exc})") from None
    if w.ndim != 1:
        raise InputError(f"{source}: expected a flat list of values, got {w.ndim} dimensions")
    if w.size == 0:
        raise InputError(f"{source}: no values (the input is empty)")
    lab = None if labels is None else np.asarray([str(x) for x in labels], dtype=object)
    if lab is not None and lab.shape != w.shape:
        raise InputError(f"{source}: {lab.size} labels for {w.size} values")
    # Two reductions find NaN, infinities and negatives in one sweep each;
    # the culprit is only located when there is one.
    low, high = float(w.min()), float(w.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        i = int(np.argmax(~np.isfinite(w)))
        raise InputError(f"{source}: value for {_where(lab, i)} is {float(w[i])!r}, not a finite number")
    if low < 0:
        i = int(np.argmax(w < 0))
        raise InputError(
            f"{source}: value for {_where(lab, i)} is negative ({float(w[i])!r}); "
            "probabilities, counts and weights must be >= 0"
        )
    exponent = 0
    unscaled = None
    with np.errstate(over="ignore"):
        total = float(w.sum())
    if not math.isfinite(total):
        # Weights near the float maximum: scale them by an exact power of two
        # (recorded, so totals and pseudo-counts keep their true size) so that
        # every sum, of duplicates or of all, stays finite. The scaling is
        # exact except for weights that fall below the normal range: then
        # the unscaled weights are kept too, for those.
        exponent = int(np.frexp(high)[1])
        scaled = np.ldexp(w, -exponent)
        if ((scaled < TINY) & (w > 0)).any():
            unscaled = w
        w = scaled
    warns = list(warnings)
    if lab is not None:
        given = lab
        lab, w, merged = sum_by_label(given, w)
        if unscaled is not None and merged:
            with np.errstate(over="ignore"):  # sums of huge duplicates: inf, never used (their scaled sum is normal)
                unscaled = sum_by_label(given, unscaled)[1]
        if merged:
            shown = ", ".join(show_label(x) for x in merged[:5])
            more = f" and {len(merged) - 5} more" if len(merged) > 5 else ""
            warns.append(f"{source}: duplicate labels summed: {shown}{more}")
    if not w.any():
        raise InputError(f"{source}: all values are 0, so there is no distribution to normalize")
    return Histogram(w, lab, source, observations, tuple(warns), tuple(notes), exponent, unscaled)


def _where(labels: np.ndarray | None, i: int) -> str:
    if labels is None:
        return f"item {i + 1}"
    return f"label {show_label(labels[i])}"


def sum_by_label(labels: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Sum the weights of repeated labels, keeping first-appearance order.

    Returns the distinct labels, their summed weights and the labels that
    occurred more than once (empty when nothing was merged).
    """
    uniq, first, inverse, counts = np.unique(labels, return_index=True, return_inverse=True, return_counts=True)
    if uniq.size == labels.size:
        return labels, weights, []
    sums = np.bincount(inverse.ravel(), weights=weights, minlength=uniq.size)
    order = np.argsort(first, kind="stable")
    merged = [str(x) for x in uniq[order][counts[order] > 1]]
    return uniq[order], sums[order], merged


def count_observations(
    values: Sequence[str] | np.ndarray,
    source: str,
    *,
    warnings: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Histogram:
    """Count raw observations per distinct value (first-appearance order)."""
    arr = np.asarray(values, dtype=object)
    if arr.size == 0:
        raise InputError(f"{source}: no observations (the input is empty)")
    labels, counts, _ = sum_by_label(arr, np.ones(arr.size))
    return Histogram(counts, labels, source, True, tuple(warnings), tuple(notes))


@dataclass(frozen=True)
class Aligned:
    """Two weight vectors over one support (the union of labels)."""

    labels: np.ndarray | None
    p: np.ndarray
    q: np.ndarray
    only_in_p: list[str]
    only_in_q: list[str]
    exponents: tuple[int, int] = (0, 0)  # of P's and Q's weights (see ``Histogram.exponent``)
    unscaled: tuple[np.ndarray | None, np.ndarray | None] = (None, None)  # see ``Histogram.unscaled``


def align(p: Histogram, q: Histogram) -> Aligned:
    """Put P and Q on one support, matching categories by label.

    Labels found on one side only get weight 0 on the other. Positional
    (unlabelled) data is matched by position only when both sides are
    positional and of one length; anything else would be a guess.
    """
    if p.labels is None and q.labels is None:
        if len(p) != len(q):
            raise InputError(
                f"P has {len(p)} values and Q has {len(q)}, and neither has labels to match them by",
                hint="give labels, like rain=0.7,dry=0.3, or lists of the same length",
            )
        return Aligned(None, p.weights, q.weights, [], [], (p.exponent, q.exponent), (p.unscaled, q.unscaled))
    if p.labels is None or q.labels is None:
        bare, named = ("P", "Q") if p.labels is None else ("Q", "P")
        raise InputError(
            f"{named} has labels but {bare} does not, so categories cannot be matched by label",
            hint=f"give {bare} labels too, like rain=0.7,dry=0.3",
        )
    union = np.concatenate([p.labels, q.labels])
    labels, first = np.unique(union, return_index=True)
    order = np.argsort(first, kind="stable")
    labels = labels[order]
    index = {lab: i for i, lab in enumerate(labels.tolist())}
    p_at = [index[x] for x in p.labels.tolist()]
    q_at = [index[x] for x in q.labels.tolist()]
    pw = np.zeros(labels.size)
    qw = np.zeros(labels.size)
    pw[p_at] = p.weights
    qw[q_at] = q.weights
    unscaled: list[np.ndarray | None] = []
    for h, at in ((p, p_at), (q, q_at)):
        full = None
        if h.unscaled is not None:
            full = np.zeros(labels.size)
            full[at] = h.unscaled
        unscaled.append(full)
    p_set = set(p.labels.tolist())
    q_set = set(q.labels.tolist())
    only_p = [x for x in p.labels.tolist() if x not in q_set]
    only_q = [x for x in q.labels.tolist() if x not in p_set]
    return Aligned(labels, pw, qw, only_p, only_q, (p.exponent, q.exponent), (unscaled[0], unscaled[1]))


def normalization_notes(h: Histogram, name: str) -> tuple[list[str], list[str]]:
    """Describe how a side's weights become probabilities.

    Returns (notes, warnings). A side summing to 1 needs no note; integer
    counts are normalized as a matter of course; anything else is normalized
    with a warning, because silently rescaling weights that were meant to be
    probabilities hides mistakes (scipy issue 12553).
    """
    total = h.total
    if abs(total - 1.0) <= SUM_TOLERANCE:
        return [], []
    if h.looks_like_counts():
        what = "observations" if h.observations else "counts"
        return [f"{name}: {what} with total {show_total(total)} normalized to probabilities"], []
    shown = f"{total:.6g}" if math.isfinite(total) else show_total(total)
    return [], [f"{name}: values sum to {shown}, not 1, and are not whole counts; normalized to sum 1"]


@dataclass(frozen=True)
class AlignedMany:
    """Many weight vectors over one support (the union of labels), one per row."""

    labels: np.ndarray | None
    weights: np.ndarray  # shape (distributions, categories)
    exponents: tuple[int, ...]
    unscaled: tuple[np.ndarray | None, ...]


def align_many(histograms: Sequence[Histogram]) -> AlignedMany:
    """``align`` for any number of histograms: categories matched by label over
    the union of labels (first appearance order), a label missing from one
    histogram weighing 0 there; positional histograms only when all are
    positional and of one length (the same rules, and messages, as ``align``)."""
    labelled = [h.labels is not None for h in histograms]
    if not any(labelled):
        sizes = {len(h) for h in histograms}
        if len(sizes) > 1:
            short, long = min(histograms, key=len), max(histograms, key=len)
            raise InputError(
                f"{long.source} has {len(long)} values and {short.source} has {len(short)}, and neither has labels "
                "to match them by",
                hint="give labels, like rain=0.7,dry=0.3, or lists of the same length",
            )
        weights = np.vstack([h.weights for h in histograms])
        return AlignedMany(None, weights, tuple(h.exponent for h in histograms), tuple(h.unscaled for h in histograms))
    if not all(labelled):
        bare = histograms[labelled.index(False)].source
        named = histograms[labelled.index(True)].source
        raise InputError(
            f"{named} has labels but {bare} does not, so categories cannot be matched by label",
            hint=f"give {bare} labels too, like rain=0.7,dry=0.3",
        )
    index: dict[object, int] = {}
    for h in histograms:
        for label in h.labels.tolist():  # type: ignore[union-attr]
            index.setdefault(label, len(index))
    labels = np.array(list(index), dtype=object)
    weights = np.zeros((len(histograms), labels.size))
    unscaled: list[np.ndarray | None] = []
    for row, h in enumerate(histograms):
        at = [index[x] for x in h.labels.tolist()]  # type: ignore[union-attr]
        weights[row, at] = h.weights
        full = None
        if h.unscaled is not None:
            full = np.zeros(labels.size)
            full[at] = h.unscaled
        unscaled.append(full)
    return AlignedMany(labels, weights, tuple(h.exponent for h in histograms), tuple(unscaled))
