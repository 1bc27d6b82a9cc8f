"""Dataset drift: a reference (data or profile) against current data, column by column.

Every column runs the compare pipeline (align -> smooth -> measure) on its
counts; a column drifts when the chosen metric exceeds the threshold.
Reference is P, current is Q, so KL(P||Q) = KL(reference||current).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from ..core.histogram import make_histogram
from ..core.significance import Progress as ResampleProgress
from ..core.smoothing import Smoothing
from ..errors import InputError, UsageError
from ..inputs.datasets import TableOptions
from ..inputs.streams import one_stream
from ..profiles.build import count_against
from ..profiles.model import MISSING_KEY, Profile, ProfileOptions, check_profile_options
from ..profiles.store import read_profile_or_data
from ..vocabulary import METRICS, MISSING, missing_label
from .compare import compare_histograms
from .drift_correction import adjusted, correction_from, noise_above_threshold, noise_without_permutations, too_few
from .drift_result import ColumnDrift, DriftReport, DriftSettings
from .drift_rules import (
    RULE_KEYS,
    ColumnRule,
    check_profile_rules,
    check_threshold,
    check_types,
    column_rules,
    given,
    profile_with_rules,
    rule_source,
)
from .engine import Engine

__all__ = ["ColumnDrift", "DriftReport", "DriftSettings", "run_drift"]


def check_settings(settings: DriftSettings) -> None:
    if settings.metric not in METRICS:
        raise UsageError(f"unknown metric {settings.metric!r}")
    check_threshold(settings.threshold)
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
    rules: Mapping[str, ColumnRule] | None = None,
    seen: dict[str, None] | None = None,
    given_by: dict[str, str] | None = None,
    engine: Engine | None = None,
) -> Profile:
    """The reference as a profile: a ``Profile``, a profile file (its options
    must agree with any given on the command line, its bins and types with
    the per-column ``rules``), or data (a file, files a pattern names, or a
    DataFrame), of which only the wanted columns are typed and counted
    (``seen`` receives every column name the data hold), by ``engine``."""
    rules = rules or {}
    engine = engine or Engine()
    files = [reference] if isinstance(reference, Profile) else engine.files(reference)
    if isinstance(reference, Profile):
        profile: Profile | None = reference
    elif len(files) == 1 and isinstance(files[0], str):
        profile, spool = read_profile_or_data(
            files[0], _name(reference), read_kwargs.get("open_stdin"), _stated(read_kwargs)
        )
        if spool is not None:
            read_kwargs = {**read_kwargs, "spooled": {files[0]: spool}}
    else:
        profile = None
    if profile is not None:
        check_profile_options(profile.options, options, explicit, _name(reference), given_by)
        check_profile_rules(profile, rules, _name(reference))
        if seen is not None:
            seen.update(dict.fromkeys(profile.columns))
        return profile
    frames = engine.dataset(files, read_kwargs)
    return profile_with_rules(frames, options, [_name(reference)], columns, exclude, rules, seen, given_by)


def current_data(current: Any, read_kwargs: dict[str, Any], files: list[Any] | None = None) -> dict[str, Any]:
    """The reading of the current data, which must be data: a profile there
    is an error (drift compares data against a reference). ``files``: those
    ``current`` names (a pattern's matches), when known."""
    files = files or [current]
    if len(files) > 1 or not isinstance(files[0], str):
        return read_kwargs
    path = files[0]
    profile, spool = read_profile_or_data(path, _name(current), read_kwargs.get("open_stdin"), _stated(read_kwargs))
    if profile is not None:
        raise UsageError(
            f"{_name(current)} is a profile; drift compares current data against a reference (data or a profile)",
            hint="give the profile as the reference, first",
        )
    return {**read_kwargs, "spooled": {path: spool}} if spool is not None else read_kwargs


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
    columns_config: Mapping[str, ColumnRule | Mapping[str, Any]] | None = None,
    config: str | None = None,
    option_sources: Mapping[str, str] | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
    progress: Callable[[str, int], None] | None = None,
    resample_progress: ResampleProgress | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    partition_progress: Callable[[int, int], None] | None = None,
) -> DriftReport:
    """Compare every shared column of ``current`` with ``reference``.

    The keyword names are ``kl-cli drift``'s options. ``reference`` is a
    data file, a profile file written by ``kl-cli profile``, a ``Profile``
    or a pandas DataFrame; ``current`` a data file or a DataFrame. Options
    that shape the profile (bins, binning, categorical, numeric), when
    given, must agree with a profile's. ``correction`` (holm, bh,
    bonferroni, none; default holm with permutations) adjusts the
    permutation p-values across the columns tested. ``columns_config`` gives
    columns rules of their own, ``{name: {"threshold": 0.2, "metric": ...,
    "bins": 5, "type": "numeric", "ignore": False}}`` or ``ColumnRule``s;
    ``config`` names the file they came from, ``option_sources`` where the
    threshold and metric came from (default: "default" when they are the
    defaults, else "option"). ``engine`` ``"dask"`` counts data files on a
    Dask cluster (the one at ``scheduler``, else a local one of ``workers``
    processes), with the same report as ``"local"``; ``partition_progress(done,
    total)`` follows it. Data may be paths, glob patterns and fsspec URLs.
    Returns a ``DriftReport``.
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
    runner = Engine(engine, scheduler, workers, partition_progress)
    rules = column_rules(columns_config)
    check_types(rules, options.categorical, options.numeric, option_sources)
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
    seen: dict[str, None] = {}
    given_by = dict(option_sources or {})
    current_files = runner.files(current)
    with runner:
        ref = reference_profile(
            reference, options, set(explicit), columns, exclude, ref_kwargs, rules, seen, given_by, runner
        )
        if columns:
            unknown = [c for c in columns if c not in ref.columns]
            if unknown:
                named = ", ".join(map(repr, unknown))
                raise UsageError(f"{given(option_sources, 'columns')} names {named}, not in the reference")
        ignored = {n for n, r in rules.items() if r.ignore}
        wanted = {n for n in ref.columns if (columns is None or n in columns) and n not in exclude and n not in ignored}
        ref_name, cur_name = _name(reference), _name(current)
        cur_kwargs = current_data(current, cur_kwargs, current_files)
        current_dataset = runner.dataset(current_files, cur_kwargs)
        counts, cur_rows, _ = count_against(current_dataset, ref, cur_name, wanted)
    _check_rule_columns(rules, seen, cur_rows, ref_name, cur_name)
    only_ref = [n for n in ref.columns if n in wanted and n not in cur_rows]
    only_cur = [
        n
        for n in cur_rows
        if n not in ref.columns
        and n not in seen
        and n not in ignored
        and (columns is None or n in columns)
        and n not in exclude
    ]
    results = []
    sources = _sources(option_sources, metric, threshold)
    # a column ignored by a rule is listed as such, also when a profile built under the rule lacks it
    for name in [*seen, *(n for n in cur_rows if n in ignored and n not in seen)]:
        if name in ignored and name in cur_rows and (columns is None or name in columns) and name not in exclude:
            rows = ref.columns[name].rows if name in ref.columns else ref.rows
            results.append(_ignored(name, rules[name], rows, cur_rows[name], settings))
        col = ref.columns.get(name)
        if col is None or name not in wanted or name not in cur_rows:
            continue
        verdict = _column_verdict(name, col, cur_rows[name], settings, rules.get(name), sources)
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
        verdict.value = verdict.comparison.metrics[verdict.metric]
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
    report = DriftReport(ref_name, cur_name, settings, results, only_ref, only_cur, notes, config=config)
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
    p_values = [t.p_value[c.metric] for c, t in zip(tested, tests, strict=True)]
    for c, p in zip(tested, adjusted(p_values, method), strict=True):
        c.p_adjusted = p
    out = too_few(len(tested), settings.resampling.permutations, settings.significance, method)
    for c, t in zip(tested, tests, strict=True):
        rows = (c.n_reference, c.n_current)
        null = t.null_mean[c.metric]
        out += noise_above_threshold(c.column, c.type == "numeric", rows, c.metric, null, c.threshold)
    return out


def _for_column(progress: ResampleProgress | None, column: str) -> ResampleProgress | None:
    """The resampling progress of one column, its name in front."""
    if progress is None:
        return None
    return lambda what, done, total: progress(f"column {column!r}: {what}", done, total)


def _sources(option_sources: Mapping[str, str] | None, metric: str, threshold: float) -> dict[str, str]:
    """Where the command's threshold and metric came from."""
    if option_sources is not None:
        return {k: option_sources.get(k, "default") for k in ("threshold", "metric")}
    defaults = DriftSettings()
    return {
        "threshold": "default" if threshold == defaults.threshold else "option",
        "metric": "default" if metric == defaults.metric else "option",
    }


def _column_verdict(
    name: str, col: Any, current_rows: int, settings: DriftSettings, rule: ColumnRule | None, sources: dict[str, str]
) -> ColumnDrift:
    """A column's verdict, not yet judged: its metric and threshold, its own rule's where it has one."""
    own_threshold = rule is not None and rule.threshold is not None
    own_metric = rule is not None and rule.metric is not None
    verdict = ColumnDrift(
        name,
        col.type,
        col.typed_by,
        col.rows,
        current_rows,
        rule.metric if own_metric else settings.metric,  # type: ignore[union-attr]
        notes=list(col.notes),
        threshold=rule.threshold if own_threshold else settings.threshold,  # type: ignore[union-attr, arg-type]
    )
    if rule is not None:
        verdict.own = {k: v for k in RULE_KEYS if (v := getattr(rule, k)) is not None and v is not False}
    verdict.rule_source = rule_source(
        rule.source if own_threshold else sources["threshold"],  # type: ignore[union-attr]
        rule.source if own_metric else sources["metric"],  # type: ignore[union-attr]
    )
    return verdict


def _ignored(
    name: str, rule: ColumnRule, reference_rows: int, current_rows: int, settings: DriftSettings
) -> ColumnDrift:
    """A column a rule ignores: listed as skipped, never read."""
    reason = f"ignored by {rule.file}"
    typed_by = f"ignore = true in {rule.source}"
    verdict = ColumnDrift(name, "skipped", typed_by, reference_rows, current_rows, settings.metric)
    verdict.threshold = settings.threshold
    verdict.reason, verdict.why = reason, f"skipped: {reason}"
    verdict.rule_source, verdict.own = rule.source, {"ignore": True}
    return verdict


def _check_rule_columns(
    rules: Mapping[str, ColumnRule], reference: Iterable[str], current: Iterable[str], ref_name: str, cur_name: str
) -> None:
    """Every column a rule names is in the reference or the current data (a typo is an error, not a no-op)."""
    known = {*reference, *current}
    for name, rule in rules.items():
        if name not in known:
            raise UsageError(f"{rule.source}: no column {name!r} in {ref_name} or {cur_name}")
