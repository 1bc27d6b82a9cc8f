"""The compare pipeline and its result: align -> smooth -> measure -> report.

``compare_histograms`` is what the CLI and the Python API both run, so a
notebook gets exactly the numbers the terminal shows. ``Comparison`` is
plain data: renderers format it, nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

import numpy as np

from ..core import smoothing as smoothing_mod
from ..core.histogram import Histogram, align, normalization_notes
from ..core.measures import measure
from ..core.significance import NO_RESAMPLING, Intervals, PermutationTest, Resampling, resample
from ..core.significance import Progress as ResampleProgress
from ..core.smoothing import Smoothing
from ..errors import InputError
from ..text import finite_or_none, show_total
from ..vocabulary import METRICS, UNITS
from .explain import explain
from .fields import resampling_fields
from .knn import EstimateComparison
from .parametric import ParametricComparison

NO_SMOOTHING = Smoothing()


@dataclass(frozen=True)
class Comparison:
    """Everything one comparison found; ``to_dict()`` is the JSON report."""

    p_source: str
    q_source: str
    base: str
    smoothing: Smoothing
    metrics: dict[str, float]
    labels: np.ndarray | None  # None: positional categories 0..K-1
    p: np.ndarray
    q: np.ndarray
    terms_pq: np.ndarray
    terms_qp: np.ndarray
    only_in_p: list[str]
    only_in_q: list[str]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    n_p: float | None = None  # sample sizes, when a side is counts
    n_q: float | None = None
    test: PermutationTest | None = None
    intervals: Intervals | None = None
    binned: bool = False  # the categories are bins of numbers, in order (--samples)

    @property
    def unit(self) -> str:
        return UNITS[self.base]

    @property
    def infinite(self) -> list[str]:
        """Metric ids whose value is infinite."""
        return [k for k in METRICS if math.isinf(self.metrics[k])]

    @property
    def size(self) -> int:
        return int(self.p.size)

    def label(self, i: int) -> str:
        return str(i) if self.labels is None else str(self.labels[i])

    def zero_in_q(self) -> list[str]:
        """Labels Q gives probability 0 where P is positive: the cause of KL(P||Q) = inf.
        (Read from the infinite terms: a probability below the float range is
        0 as a float but not a zero.)"""
        return [self.label(int(i)) for i in np.flatnonzero(np.isposinf(self.terms_pq))]

    def zero_in_p(self) -> list[str]:
        """Labels P gives probability 0 where Q is positive: the cause of KL(Q||P) = inf."""
        return [self.label(int(i)) for i in np.flatnonzero(np.isposinf(self.terms_qp))]

    def ranked(self) -> np.ndarray:
        """Category indices, the ones that drive the difference most first.

        The key is the category's ``contributions()``; infinite terms first.
        """
        return np.argsort(-self.contributions(), kind="stable")

    def contributions(self) -> np.ndarray:
        """Each category's Jeffreys term (p - q) log(p/q) = terms_pq + terms_qp:
        never negative, 0 where both shares are equal (or it is undefined),
        infinite where one side is 0."""
        with np.errstate(invalid="ignore"):
            key = self.terms_pq + self.terms_qp
        return np.nan_to_num(key, nan=0.0, posinf=np.inf)

    def listed(self, top: int = 0, order: str | None = None) -> list[int]:
        """The category indices a report lists, in its order: ``top`` (0: all)
        keeps the largest contributions (``ranked``); ``order`` lists them by
        ``contribution`` (largest first) or as ``input`` (as read: bins from low
        to high); None is input order for bins (``binned``), contribution otherwise."""
        ranked = [int(i) for i in self.ranked()]
        chosen = ranked if top <= 0 else ranked[:top]
        if self.order_in_force(order) == "input":
            chosen.sort()
        return chosen

    def order_in_force(self, order: str | None = None) -> str:
        """``order``, or when None the default: input order for bins, contribution for categories."""
        return order or ("input" if self.binned else "contribution")

    def explanation(self) -> list[str]:
        """A few plain-English sentences on how the two KL directions differ and why."""
        return explain(self)

    def to_dict(self, order: str | None = None) -> dict[str, Any]:
        """The report as JSON-ready data; infinite numbers become None (null).
        The categories are in ``listed`` order (``order``: compare's --order)."""
        return {
            "p_source": self.p_source,
            "q_source": self.q_source,
            "unit": self.unit,
            "base": self.base,
            "smoothing": {"method": self.smoothing.method, "parameter": self.smoothing.parameter},
            "metrics": {k: finite_or_none(v) for k, v in self.metrics.items()},
            "infinite": self.infinite,
            "infinite_causes": {"kl_pq": self.zero_in_q(), "kl_qp": self.zero_in_p()},
            "categories": [
                {
                    "label": self.label(int(i)),
                    "p": float(self.p[i]),
                    "q": float(self.q[i]),
                    "kl_pq": finite_or_none(self.terms_pq[i]),
                    "kl_qp": finite_or_none(self.terms_qp[i]),
                }
                for i in self.listed(0, order)
            ],
            "only_in_p": list(self.only_in_p),
            "only_in_q": list(self.only_in_q),
            "n_p": None if self.n_p is None else finite_or_none(self.n_p),  # null too beyond the largest float
            "n_q": None if self.n_q is None else finite_or_none(self.n_q),
            **resampling_fields(self.test, self.intervals),
            "explanation": self.explanation(),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def compare_histograms(
    hp: Histogram,
    hq: Histogram,
    *,
    base: str = "e",
    smoothing: Smoothing = NO_SMOOTHING,
    strict: bool = False,
    resampling: Resampling = NO_RESAMPLING,
    resample_progress: ResampleProgress | None = None,
) -> Comparison:
    """The pipeline after reading: align, check sums, smooth, measure, and
    (when asked) resample for p-values and intervals (``resample_progress(what,
    done, total)`` is called after each batch of resamples)."""
    aligned = align(hp, hq)
    warnings = [*hp.warnings, *hq.warnings]
    notes = [*hp.notes, *hq.notes]
    for h, name in ((hp, "P"), (hq, "Q")):
        side_notes, side_warnings = normalization_notes(h, name)
        if strict and side_warnings:
            raise InputError(
                f"{name}: values sum to {h.total:.6g}, not 1, and are not whole counts",
                hint="--strict is on; drop it to normalize them anyway",
            )
        notes += side_notes
        warnings += side_warnings
    p, q, smooth_warnings = smoothing_mod.apply(aligned.p, aligned.q, smoothing, aligned.exponents, aligned.unscaled)
    warnings += smooth_warnings
    if smoothing.method != "none":
        notes.append(f"both sides smoothed: {smoothing.describe()}")
    measures = measure(p, q, base)
    n_p, n_q = hp.sample_size(), hq.sample_size()
    warnings += sample_size_warnings(
        n_p if resampling.n_p is None else resampling.n_p,
        n_q if resampling.n_q is None else resampling.n_q,
        aligned.p.size,
    )
    test, intervals = (None, None)
    if resampling.active:
        test, intervals = resample(aligned, measures.metrics, resampling, smoothing, base, resample_progress)
        if resampling.seed is None:
            notes.append("resampling without --seed: p-values and intervals vary within their Monte-Carlo error")
    return Comparison(
        p_source=hp.source,
        q_source=hq.source,
        base=base,
        smoothing=smoothing,
        metrics=measures.metrics,
        labels=aligned.labels,
        p=p.values,
        q=q.values,
        terms_pq=measures.terms_pq,
        terms_qp=measures.terms_qp,
        only_in_p=aligned.only_in_p,
        only_in_q=aligned.only_in_q,
        warnings=warnings,
        notes=notes,
        n_p=n_p,
        n_q=n_q,
        test=test,
        intervals=intervals,
    )


# Fewer observations than this on a side (or than 5 per category) make a
# plug-in divergence mostly a measure of sample size.
SMALL_SAMPLE = 30


def sample_size_warnings(n_p: float | None, n_q: float | None, k: int) -> list[str]:
    """Warn when a side has too few observations for a plug-in divergence to
    mean much: fewer than 30, or fewer than 5 per category on average. Such
    estimates are biased upward (TensorFlow Data Validation issue 216 shows
    JS 0.43 from 10 observations against 1,000 with no drift at all)."""
    out = []
    for name, n in (("P", n_p), ("Q", n_q)):
        if n is not None and n < max(SMALL_SAMPLE, 5 * k):
            other = n_q if name == "P" else n_p
            against = f" against {show_total(other)}" if other is not None else ""
            out.append(
                f"{name} has only {n:g} observations{against} over {k} categories: divergences estimated from so "
                "few are biased upward and dominated by sample size (--permutations shows the value expected "
                "with no difference)"
            )
    return out


def run_compare(
    p: Any,
    q: Any = None,
    *,
    column: str | None = None,
    p_column: str | None = None,
    q_column: str | None = None,
    label_column: str | None = None,
    encoding: str = "utf-8",
    input_format: str | None = None,
    p_format: str | None = None,
    q_format: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    smoothing: str | Smoothing = "none",
    alpha: float | None = None,
    epsilon: float | None = None,
    lambda_: float | None = None,
    base: str | int | float = "e",
    strict: bool = False,
    permutations: int = 0,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | None = None,
    n_p: int | None = None,
    n_q: int | None = None,
    samples: bool = False,
    bins: int = 10,
    binning: str = "quantile",
    estimator: str | None = None,
    k: int | None = None,
    columns: str | list[str] | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
    resample_progress: ResampleProgress | None = None,
) -> Comparison | ParametricComparison | EstimateComparison:
    """Read P and Q, then align, smooth, measure and (when asked) resample.

    The keyword names are ``kl-cli compare``'s options; the CLI and the
    Python API both call this. ``p`` and ``q`` are command-line words
    (inline lists, paths, ``-`` when ``open_stdin`` is given) or Python
    objects (lists, dicts, arrays, pandas Series); ``q`` may be omitted when
    ``p``'s source holds both sides.
    """
    from ..core.binning import binned_pair
    from ..core.parametric.families import Distribution
    from ..inputs.sides import is_word, load_pair, load_samples, open_side, to_histogram
    from ..inputs.tables import ReadOptions
    from .options import check_base, check_estimator, resampling_from, smoothing_from

    sm = smoothing_from(smoothing, alpha, epsilon, lambda_)
    base = check_base(base)
    resampling = resampling_from(permutations, bootstrap, confidence, seed, n_p, n_q)
    read = ReadOptions(
        column, p_column, q_column, label_column, encoding, input_format, p_format, q_format, delimiter, header
    )
    knn_columns = check_estimator(samples, estimator, k, columns)
    # Each side recognized once: a distribution, a file opened for its reader, or the word as it was.
    p, q = open_side(p, "P", encoding), open_side(q, "Q", encoding)
    if estimator == "knn":
        from .knn import run_knn

        return run_knn(
            p,
            q,
            read=read,
            open_stdin=open_stdin,
            base=base,
            k=1 if k is None else k,
            columns=knn_columns,
            resampling=resampling,
            resample_progress=resample_progress,
        )
    if isinstance(p, Distribution) or isinstance(q, Distribution):
        from .samples import with_distribution

        made = with_distribution(
            p,
            q,
            read=read,
            open_stdin=open_stdin,
            base=base,
            smoothing=sm,
            strict=strict,
            resampling=resampling,
            samples=samples,
            bins=bins,
            binning=binning,
        )
        if isinstance(made, ParametricComparison):
            return made
        hp, hq, model_notes = made
        result = compare_histograms(
            hp, hq, base=base, smoothing=sm, strict=strict, resampling=resampling, resample_progress=resample_progress
        )
        result.notes.extend(model_notes)
        return replace(result, binned=True)
    note = None
    if samples:
        (pv, p_name), (qv, q_name) = load_samples(p, q, read, open_stdin)
        hp, hq, note = binned_pair(pv, qv, bins, binning, p_name, q_name)
    elif is_word(p) and (q is None or is_word(q)):
        hp, hq = load_pair(p, q, read, open_stdin)
    else:
        if q is None:
            raise InputError("Q is missing", hint="pass two distributions")
        hp, hq = to_histogram(p, "P", read), to_histogram(q, "Q", read)
    result = compare_histograms(
        hp, hq, base=base, smoothing=sm, strict=strict, resampling=resampling, resample_progress=resample_progress
    )
    if note:
        result.notes.append(note)
    return replace(result, binned=samples)
