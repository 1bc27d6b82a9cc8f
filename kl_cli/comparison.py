"""The compare pipeline and its result: align -> smooth -> measure -> report.

``compare`` is the Python API the CLI calls, so a notebook gets exactly the
numbers the terminal shows. ``Comparison`` is plain data: renderers format
it, nothing here prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import smoothing as smoothing_mod
from .distribution import Histogram, align, normalization_notes, show_label, show_total
from .errors import InputError
from .measures import METRICS, UNITS, measure
from .significance import NO_RESAMPLING, Intervals, PermutationTest, Resampling, resample
from .smoothing import Smoothing, make_smoothing
from .sources import ReadOptions, to_histogram

NO_SMOOTHING = Smoothing()

# Directions whose ratio is below this are described as "about even".
NEAR_SYMMETRIC = 1.1


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
        """Labels Q gives probability 0 where P is positive: the cause of KL(P||Q) = inf."""
        return [self.label(int(i)) for i in np.flatnonzero((self.q == 0) & (self.p > 0))]

    def zero_in_p(self) -> list[str]:
        """Labels P gives probability 0 where Q is positive: the cause of KL(Q||P) = inf."""
        return [self.label(int(i)) for i in np.flatnonzero((self.p == 0) & (self.q > 0))]

    def ranked(self) -> np.ndarray:
        """Category indices, the ones that drive the difference most first.

        The key is the category's Jeffreys term (p - q) log(p/q) =
        terms_pq + terms_qp, which is never negative; infinite terms first.
        """
        with np.errstate(invalid="ignore"):
            key = self.terms_pq + self.terms_qp
        key = np.nan_to_num(key, nan=0.0, posinf=np.inf)
        return np.argsort(-key, kind="stable")

    def explanation(self) -> list[str]:
        """A few plain-English sentences on how the two KL directions differ and why."""
        return explain(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; infinite numbers become None (null)."""
        order = self.ranked()
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
                for i in order
            ],
            "only_in_p": list(self.only_in_p),
            "only_in_q": list(self.only_in_q),
            "n_p": None if self.n_p is None else finite_or_none(self.n_p),  # null too beyond the largest float
            "n_q": None if self.n_q is None else finite_or_none(self.n_q),
            "test": None
            if self.test is None
            else {
                "permutations": self.test.permutations,
                "seed": self.test.seed,
                "p_value": dict(self.test.p_value),
                "null_mean": {k: finite_or_none(v) for k, v in self.test.null_mean.items()},
                "monte_carlo_error": {k: self.test.monte_carlo_error(k) for k in METRICS},
            },
            "bootstrap": None
            if self.intervals is None
            else {
                "resamples": self.intervals.resamples,
                "confidence": self.intervals.confidence,
                "seed": self.intervals.seed,
            },
            "intervals": None
            if self.intervals is None
            else {k: [finite_or_none(lo), finite_or_none(hi)] for k, (lo, hi) in self.intervals.bounds.items()},
            "explanation": self.explanation(),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def finite_or_none(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def compare(
    p: Any,
    q: Any = None,
    *,
    base: str = "e",
    smoothing: str | Smoothing = "none",
    parameter: float | None = None,
    strict: bool = False,
    options: ReadOptions | None = None,
) -> Comparison:
    """Compare two distributions: KL both ways, Jensen-Shannon and the rest.

    ``p`` and ``q`` may be lists, dicts ``{label: weight}``, numpy arrays,
    pandas Series, lists of strings (raw observations) or command-line style
    strings (``"0.7,0.3"``, ``"rain=0.7,dry=0.3"``, a file path). Categories
    are matched by label; each side is normalized to sum 1. ``base`` is
    ``"e"``, ``"2"`` or ``"10"``; ``smoothing`` is ``none``, ``additive``,
    ``epsilon`` or ``mix`` with its ``parameter`` (alpha, epsilon, lambda).
    With ``strict``, a side that is neither probabilities nor whole counts
    is an error instead of a warning.

    >>> r = compare([0.7, 0.3], [0.4, 0.6])
    >>> round(r.metrics["kl_pq"], 6), round(r.metrics["kl_qp"], 6)
    (0.183787, 0.192042)
    """
    options = options or ReadOptions()
    if q is None:
        if not isinstance(p, str):
            raise InputError("Q is missing", hint="pass two distributions")
        from .sources import load_pair, no_stdin

        hp, hq = load_pair(p, None, options, no_stdin)
    else:
        hp, hq = to_histogram(p, "P", options), to_histogram(q, "Q", options)
    sm = smoothing if isinstance(smoothing, Smoothing) else make_smoothing(smoothing, parameter)
    return compare_histograms(hp, hq, base=base, smoothing=sm, strict=strict)


def compare_histograms(
    hp: Histogram,
    hq: Histogram,
    *,
    base: str = "e",
    smoothing: Smoothing = NO_SMOOTHING,
    strict: bool = False,
    resampling: Resampling = NO_RESAMPLING,
) -> Comparison:
    """The pipeline after reading: align, check sums, smooth, measure, and
    (when asked) resample for p-values and intervals."""
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
    p, q, smooth_warnings = smoothing_mod.apply(aligned.p, aligned.q, smoothing, aligned.exponents)
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
        test, intervals = resample(aligned, measures.metrics, resampling, smoothing, base)
        if resampling.seed is None:
            notes.append("resampling without --seed: p-values and intervals vary within their Monte-Carlo error")
    return Comparison(
        p_source=hp.source,
        q_source=hq.source,
        base=base,
        smoothing=smoothing,
        metrics=measures.metrics,
        labels=aligned.labels,
        p=p,
        q=q,
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


# ---------------------------------------------------------------------------
# The explanation


def pct(x: float) -> str:
    """A probability as a short percentage: 0.2 -> '20%', 0.01234 -> '1.23%'."""
    if x == 0:
        return "0%"
    if x < 1e-4:
        return f"{100 * x:.2g}%"
    return f"{100 * x:.3g}%"


def num(x: float) -> str:
    """A metric value for prose."""
    return "infinite" if math.isinf(x) else f"{x:.4g}"


def _list_labels(labels: list[str], limit: int = 3) -> str:
    shown = ", ".join(show_label(x, 30) for x in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _zero_sentence(zero: str, other: str, z: np.ndarray, o: np.ndarray, r: Comparison) -> str:
    """'Q gives 0 to 'hail', where P gives 3%.' (the largest named when several)."""
    idx = np.flatnonzero((z == 0) & (o > 0))
    top = int(idx[np.argmax(o[idx])])
    labels = [r.label(int(i)) for i in idx]
    if len(idx) == 1:
        return f"{zero} gives 0 to {show_label(labels[0], 30)}, where {other} gives {pct(o[top])}."
    return (
        f"{zero} gives 0 to {_list_labels(labels)}, where {other} gives up to {pct(o[top])} "
        f"({show_label(r.label(top), 30)})."
    )


def explain(r: Comparison) -> list[str]:
    """Sentences on the asymmetry of KL for this pair, category by category."""
    kl_pq, kl_qp = r.metrics["kl_pq"], r.metrics["kl_qp"]
    unit = r.unit
    if kl_pq == 0 and kl_qp == 0:
        return ["P and Q are identical on every category, so every divergence is 0."]
    lines = []
    zq, zp = r.zero_in_q(), r.zero_in_p()
    if math.isinf(kl_pq) or math.isinf(kl_qp):
        if zq:
            lines.append(
                f"KL(P||Q) is infinite: {_zero_sentence('Q', 'P', r.q, r.p, r)} KL(P||Q) weighs every "
                "category by P, so an outcome P expects and Q rules out is infinitely surprising."
            )
        if zp:
            lines.append(
                f"KL(Q||P) is infinite: {_zero_sentence('P', 'Q', r.p, r.q, r)} KL(Q||P) weighs every "
                "category by Q, so an outcome Q expects and P rules out is infinitely surprising."
            )
        finite = [f"KL({a}) = {num(v)} {unit}" for a, v in (("P||Q", kl_pq), ("Q||P", kl_qp)) if math.isfinite(v)]
        if finite:
            lines.append(f"The other direction stays finite: {finite[0]}.")
        if r.smoothing.method == "none":
            lines.append(
                "For a finite value, smooth both sides: --smoothing additive for counts, "
                "--smoothing epsilon or --smoothing mix for probabilities."
            )
        return lines
    big, small = max(kl_pq, kl_qp), min(kl_pq, kl_qp)
    ratio = big / small if small > 0 else math.inf
    if ratio < NEAR_SYMMETRIC:
        lines.append(
            f"The two directions nearly agree: KL(P||Q) = {num(kl_pq)} and KL(Q||P) = {num(kl_qp)} {unit}, "
            "so P and Q differ about evenly in both directions."
        )
    else:
        first, second = ("P||Q", "Q||P") if kl_pq >= kl_qp else ("Q||P", "P||Q")
        lines.append(f"KL({first}) = {num(big)} {unit} is {ratio:.3g}x KL({second}) = {num(small)} {unit}.")
    # The category that drives each direction most.
    i = int(np.argmax(r.terms_pq))
    if r.p[i] > r.q[i]:
        lines.append(
            f"Q gives {show_label(r.label(i), 30)} {pct(r.q[i])} where P gives {pct(r.p[i])}: KL(P||Q) "
            f"punishes Q for missing mass that P expects (this category adds {num(r.terms_pq[i])} {unit})."
        )
    j = int(np.argmax(r.terms_qp))
    if r.q[j] > r.p[j]:
        lines.append(
            f"P gives {show_label(r.label(j), 30)} {pct(r.p[j])} where Q gives {pct(r.q[j])}: KL(Q||P) "
            f"punishes P for missing mass that Q expects (this category adds {num(r.terms_qp[j])} {unit})."
        )
    lines.append(
        "KL(P||Q) is the extra surprise of predicting with Q when the data follow P: "
        "read it when P is the truth (observations, reference) and Q the model or the newcomer."
    )
    return lines
