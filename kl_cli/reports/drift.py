"""Dataset drift: a reference (data or profile) against current data, column by column.

Every column runs the compare pipeline (align -> smooth -> measure) on its
counts; a column drifts when the chosen metric exceeds the threshold.
Reference is P, current is Q, so KL(P||Q) = KL(reference||current).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..core.histogram import make_histogram
from ..core.significance import NO_RESAMPLING, Resampling
from ..core.significance import Progress as ResampleProgress
from ..core.smoothing import Smoothing
from ..errors import InputError, UsageError
from ..inputs.datasets import TableOptions, frames_of
from ..inputs.streams import one_stream
from ..profiles.build import build_profile, count_against
from ..profiles.model import MISSING_KEY, Profile, ProfileOptions, check_profile_options
from ..profiles.store import read_profile_or_data
from ..text import finite_or_none, pct
from ..vocabulary import METRICS, MISSING, missing_label
from .compare import NO_SMOOTHING, Comparison, compare_histograms
from .drift_correction import adjusted, correction_from, noise_above_threshold, noise_without_permutations, too_few


@dataclass(frozen=True)
class DriftSettings:
    """What counts as drift."""

    metric: str = "js_distance"
    threshold: float = 0.1
    base: str = "2"
    smoothing: Smoothing = NO_SMOOTHING
    max_drift_share: float | None = None
    resampling: Resampling = NO_RESAMPLING
    significance: float = 0.05
    correction: str | None = None  # with permutations: how p-values are adjusted across columns


@dataclass
class ColumnDrift:
    """The verdict on one column."""

    column: str
    type: str
    typed_by: str
    n_reference: int
    n_current: int
    metric: str = "js_distance"
    comparison: Comparison | None = None
    value: float | None = None
    drifted: bool = False
    reason: str | None = None  # why the column was skipped
    notes: list[str] = field(default_factory=list)
    why: str = ""  # why the column was or was not flagged
    p_adjusted: float | None = None  # the p-value adjusted across the columns tested

    @property
    def p_value(self) -> float | None:
        r = self.comparison
        return None if r is None or r.test is None else r.test.p_value[self.metric]

    def judge(self, settings: DriftSettings) -> None:
        """Flag the column: over the threshold, and (with a permutation test)
        significant too. Records why in words."""
        value = self.value if self.value is not None else 0.0
        over = math.isinf(value) or value > settings.threshold
        relation = "above" if over else "within"
        self.why = f"{settings.metric} {value:.4g} {relation} threshold {settings.threshold:g}"
        p, adjusted = self.p_value, self.p_adjusted
        if p is None or adjusted is None:
            self.drifted = over
            return
        real = adjusted < settings.significance
        self.why += f"; p = {p:.3g}"
        if settings.correction != "none":
            self.why += f", {settings.correction}-adjusted {adjusted:.3g}"
        self.why += f" {'<' if real else '>='} {settings.significance:g}"
        self.drifted = over and real
        if over and not real:
            self.why += ": large but not significant at these sample sizes"
        elif real and not over:
            self.why += ": significant but smaller than the threshold"

    def top(self, k: int = 3) -> list[dict[str, Any]]:
        """The categories or bins that contribute most, with their two shares."""
        r = self.comparison
        if r is None:
            return []
        out = []
        for i in r.ranked()[:k]:
            contribution = float(r.terms_pq[i] + r.terms_qp[i])
            out.append(
                {
                    "label": r.label(int(i)),
                    "reference": float(r.p[i]),
                    "current": float(r.q[i]),
                    "contribution": finite_or_none(contribution),
                }
            )
        return out

    def top_text(self, with_column: bool = True) -> str:
        """'amount in (120.5, 240]: 9% -> 21%', the largest contributor in words."""
        top = self.top(1)
        if not top:
            return ""
        t = top[0]
        where = f"{self.column} in {t['label']}" if self.type == "numeric" else f"{self.column} = {t['label']}"
        if not with_column:
            where = t["label"]
        return f"{where}: {pct(t['reference'])} → {pct(t['current'])}"


@dataclass
class DriftReport:
    """Every column's verdict and the overall one."""

    reference: str
    current: str
    settings: DriftSettings
    columns: list[ColumnDrift]
    only_in_reference: list[str]
    only_in_current: list[str]
    notes: list[str] = field(default_factory=list)
    read_warnings: list[str] = field(default_factory=list)  # from reading the data (a header in doubt)
    test_warnings: list[str] = field(default_factory=list)  # what the permutation test can tell at these sizes

    @property
    def compared(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.comparison is not None]

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def drift_detected(self) -> bool:
        """Any drifted column, or with ``max_drift_share`` S, at least S of all compared."""
        drifted = len(self.drifted_columns)
        if drifted == 0:
            return False
        share = self.settings.max_drift_share
        return share is None or drifted >= share * len(self.compared)

    @property
    def warnings(self) -> list[str]:
        out = list(self.read_warnings)
        for c in self.compared:
            out += [f"column {c.column!r}: {w}" for w in c.comparison.warnings]  # type: ignore[union-attr]
        return out + self.test_warnings

    def verdict(self) -> str:
        n, total = len(self.drifted_columns), len(self.compared)
        word = "column" if total == 1 else "columns"
        text = f"{n} of {total} {word} drifted"
        if self.settings.max_drift_share is not None:
            text += f" (drift when at least {self.settings.max_drift_share:.0%} of columns drift)"
        return text + (": drift detected" if self.drift_detected else ": no drift")

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "reference": self.reference,
            "current": self.current,
            "metric": s.metric,
            "threshold": s.threshold,
            "base": s.base,
            "smoothing": {"method": s.smoothing.method, "parameter": s.smoothing.parameter},
            "max_drift_share": s.max_drift_share,
            "significance": s.significance if s.resampling.permutations else None,
            "permutations": s.resampling.permutations,
            "correction": s.correction,
            "bootstrap": s.resampling.bootstrap,
            "seed": s.resampling.seed,
            "columns": [
                {
                    "column": c.column,
                    "type": c.type,
                    "typed_by": c.typed_by,
                    "n_reference": c.n_reference,
                    "n_current": c.n_current,
                    "value": None if c.value is None else finite_or_none(c.value),
                    "drifted": c.drifted,
                    "why": c.why,
                    "p_value": c.p_value,
                    "p_adjusted": c.p_adjusted,
                    "null_mean": (
                        finite_or_none(c.comparison.test.null_mean[s.metric])
                        if c.comparison is not None and c.comparison.test is not None
                        else None
                    ),
                    "interval": (
                        [finite_or_none(x) for x in c.comparison.intervals.bounds[s.metric]]
                        if c.comparison is not None and c.comparison.intervals is not None
                        else None
                    ),
                    "skipped": c.reason,
                    "metrics": (
                        {k: finite_or_none(v) for k, v in c.comparison.metrics.items()} if c.comparison else None
                    ),
                    "infinite": c.comparison.infinite if c.comparison else [],
                    "new_in_current": list(c.comparison.only_in_q) if c.comparison else [],
                    "top": c.top(),
                    "notes": c.notes,
                }
                for c in self.columns
            ],
            "only_in_reference": self.only_in_reference,
            "only_in_current": self.only_in_current,
            "drifted_columns": self.drifted_columns,
            "total_columns": len(self.compared),
            "drift_detected": self.drift_detected,
            "verdict": self.verdict(),
            "notes": self.notes,
            "warnings": self.warnings,
        }


def check_settings(settings: DriftSettings) -> None:
    if settings.metric not in METRICS:
        raise UsageError(f"unknown metric {settings.metric!r}")
    if not math.isfinite(settings.threshold):
        raise UsageError(f"--threshold must be a finite number, got {settings.threshold}")
    share = settings.max_drift_share
    if share is not None and not 0 < share <= 1:
        raise UsageError(f"--max-drift-share must be in (0, 1], got {share}")


def reference_profile(
    reference: Any,
    options: ProfileOptions,
    explicit: set[str],
    columns: list[str] | None,
    exclude: list[str],
    read_kwargs: dict[str, Any],
) -> Profile:
    """The reference as a profile: a ``Profile``, a profile file (its options
    must agree with any given on the command line), or data (a file or a
    DataFrame), of which only the wanted columns are typed and counted."""
    if isinstance(reference, Profile):
        profile: Profile | None = reference
    elif isinstance(reference, str):
        profile, spool = read_profile_or_data(
            reference, _name(reference), read_kwargs.get("open_stdin"), _stated(read_kwargs)
        )
        if spool is not None:
            read_kwargs = {**read_kwargs, "spooled": {reference: spool}}
    else:
        profile = None
    if profile is not None:
        check_profile_options(profile.options, options, explicit, _name(reference))
        return profile
    return build_profile(frames_of([reference], **read_kwargs), options, [_name(reference)], columns, exclude)


def current_data(current: Any, read_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The reading of the current data, which must be data: a profile there
    is an error (drift compares data against a reference)."""
    if not isinstance(current, str):
        return read_kwargs
    profile, spool = read_profile_or_data(current, _name(current), read_kwargs.get("open_stdin"), _stated(read_kwargs))
    if profile is not None:
        raise UsageError(
            f"{_name(current)} is a profile; drift compares current data against a reference (data or a profile)",
            hint="give the profile as the reference, first",
        )
    return {**read_kwargs, "spooled": {current: spool}} if spool is not None else read_kwargs


def _stated(read_kwargs: dict[str, Any]) -> str | None:
    table = read_kwargs.get("table")
    return table.input_format if table is not None else None


def _name(data: Any) -> str:
    if isinstance(data, str):
        return "stdin" if data == "-" else data
    if isinstance(data, Profile):
        return ", ".join(data.sources) or "profile"
    return "DataFrame"


def _labelled(counts: dict[str | None, float], missing: str) -> tuple[list[float], list[str]]:
    """Weights and labels of a column's counts, the missing count under ``missing``."""
    return list(counts.values()), [missing if k is MISSING_KEY else k for k in counts]


def run_drift(
    reference: Any,
    current: Any,
    *,
    columns: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    bins: int | None = None,
    binning: str | None = None,
    categorical: str | Iterable[str] | None = (),
    numeric: str | Iterable[str] | None = (),
    encoding: str = "utf-8",
    input_format: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    reference_format: str | None = None,
    current_format: str | None = None,
    chunk_rows: int | None = None,
    metric: str = "js_distance",
    threshold: float = 0.1,
    smoothing: str | Smoothing = "none",
    alpha: float | None = None,
    epsilon: float | None = None,
    lambda_: float | None = None,
    base: str | int | float = "2",
    max_drift_share: float | None = None,
    permutations: int = 0,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | None = None,
    significance: float = 0.05,
    correction: str | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
    progress: Callable[[str, int], None] | None = None,
    resample_progress: ResampleProgress | None = None,
) -> DriftReport:
    """Compare every shared column of ``current`` with ``reference``.

    The keyword names are ``kl-cli drift``'s options. ``reference`` is a
    data file, a profile file written by ``kl-cli profile``, a ``Profile``
    or a pandas DataFrame; ``current`` a data file or a DataFrame. Options
    that shape the profile (bins, binning, categorical, numeric), when
    given, must agree with a profile's. ``correction`` (holm, bh,
    bonferroni, none; default holm with permutations) adjusts the
    permutation p-values across the columns tested. Returns a ``DriftReport``.
    """
    from .options import (
        check_base,
        column_names,
        dataset_reading,
        profile_options_from,
        resampling_from,
        smoothing_from,
    )

    options, explicit = profile_options_from(bins, binning, categorical, numeric)
    columns = column_names(columns) or None
    exclude = column_names(exclude)
    resampling = resampling_from(permutations, bootstrap, confidence, seed)
    if not (isinstance(significance, (int, float)) and 0 < significance < 1):
        raise UsageError(f"--significance must be between 0 and 1 (exclusive), got {significance!r}")
    settings = DriftSettings(
        metric,
        threshold,
        check_base(base),
        smoothing_from(smoothing, alpha, epsilon, lambda_),
        max_drift_share,
        resampling,
        float(significance),
        correction_from(correction, resampling.permutations),
    )
    check_settings(settings)
    if isinstance(reference, str) and isinstance(current, str) and one_stream(reference, current):
        raise UsageError(
            "the reference and the current data cannot both be read from one stream (standard input '-', a FIFO): "
            "it can be read only once"
        )
    messages: list[tuple[str, str]] = []
    ref_table = TableOptions.stated(encoding, reference_format or input_format, delimiter, header)
    cur_table = TableOptions.stated(encoding, current_format or input_format, delimiter, header)
    ref_kwargs = dataset_reading(chunk_rows, open_stdin, progress, messages, ref_table)
    cur_kwargs = dataset_reading(chunk_rows, open_stdin, progress, messages, cur_table)
    ref = reference_profile(reference, options, set(explicit), columns, exclude, ref_kwargs)
    if columns:
        unknown = [c for c in columns if c not in ref.columns]
        if unknown:
            raise UsageError(f"--columns names {', '.join(map(repr, unknown))}, not in the reference")
    wanted = {n for n in ref.columns if (columns is None or n in columns) and n not in exclude}
    ref_name, cur_name = _name(reference), _name(current)
    cur_kwargs = current_data(current, cur_kwargs)
    counts, cur_rows, _ = count_against(frames_of([current], **cur_kwargs)(None), ref, cur_name, wanted)
    only_ref = [n for n in ref.columns if n in wanted and n not in cur_rows]
    only_cur = [n for n in cur_rows if n not in ref.columns and (columns is None or n in columns) and n not in exclude]
    results = []
    for name, col in ref.columns.items():
        if name not in wanted or name not in cur_rows:
            continue
        verdict = ColumnDrift(
            name, col.type, col.typed_by, col.rows, cur_rows[name], settings.metric, notes=list(col.notes)
        )
        if col.type == "skipped":
            verdict.reason = col.reason
            verdict.why = f"skipped: {col.reason}"
            results.append(verdict)
            continue
        cur_counts = counts[name]
        shown = missing_label({k for k in (*col.counts, *cur_counts) if k is not MISSING_KEY})
        hp = make_histogram(*_labelled(col.counts, shown), f"reference {name!r}")
        hq = make_histogram(*_labelled(cur_counts, shown), f"current {name!r}")
        if shown != MISSING:
            verdict.notes.append(f"missing cells are shown as {shown}: the data hold a real category {MISSING}")
        verdict.comparison = compare_histograms(
            hp,
            hq,
            base=settings.base,
            smoothing=settings.smoothing,
            resampling=settings.resampling,
            resample_progress=_for_column(resample_progress, name),
        )
        verdict.value = verdict.comparison.metrics[settings.metric]
        results.append(verdict)
    if not any(r.comparison is not None for r in results):
        # A check that compared nothing is trouble, never a pass.
        if results:
            skipped = ", ".join(f"{r.column!r} ({r.reason})" for r in results[:3])
            raise InputError(
                f"{cur_name} vs {ref_name}: no column could be compared, every shared column was skipped: {skipped}",
                hint="--categorical forces a column to be counted",
            )
        raise InputError(
            f"{cur_name} shares no column with {ref_name}: nothing to compare",
            hint=f"its columns are {', '.join(map(repr, list(cur_rows)[:10])) or 'none'}",
        )
    tested = [r for r in results if r.comparison is not None]
    test_warnings = _correct(tested, settings) + noise_without_permutations(tested, settings)
    for r in tested:
        r.judge(settings)
    notes = [text for kind, text in messages if kind == "note"]
    if only_ref:
        notes.append(f"columns only in the reference (not compared): {', '.join(only_ref)}")
    if only_cur:
        notes.append(f"columns only in the current data (not compared): {', '.join(only_cur)}")
    report = DriftReport(ref_name, cur_name, settings, results, only_ref, only_cur, notes)
    report.read_warnings = [text for kind, text in messages if kind == "warning"]
    report.test_warnings = test_warnings
    return report


def _correct(tested: list[ColumnDrift], settings: DriftSettings) -> list[str]:
    """Set every tested column's adjusted p-value; return the warnings about
    what the permutation test can tell at these sizes."""
    method = settings.correction
    tests = [c.comparison.test for c in tested if c.comparison is not None and c.comparison.test is not None]
    if method is None or len(tests) != len(tested):  # with permutations every compared column is tested
        return []
    p_values = [t.p_value[settings.metric] for t in tests]
    for c, p in zip(tested, adjusted(p_values, method), strict=True):
        c.p_adjusted = p
    out = too_few(len(tested), settings.resampling.permutations, settings.significance, method)
    for c, t in zip(tested, tests, strict=True):
        rows = (c.n_reference, c.n_current)
        null = t.null_mean[settings.metric]
        out += noise_above_threshold(c.column, c.type == "numeric", rows, settings.metric, null, settings.threshold)
    return out


def _for_column(progress: ResampleProgress | None, column: str) -> ResampleProgress | None:
    """The resampling progress of one column, its name in front."""
    if progress is None:
        return None
    return lambda what, done, total: progress(f"column {column!r}: {what}", done, total)
