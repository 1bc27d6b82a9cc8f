"""Dataset -> per-column counts: column typing, binning, counting against a profile, merging.

Counting runs chunk by chunk, so memory grows with categories (and with the
reference's numeric values, which quantile edges need), not with the
current data's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from ..core.binning import NumericSummary
from ..errors import InputError, UsageError
from .model import ID_SHARE, MISSING_KEY, NUMERIC_DISTINCT, ColumnProfile, Profile, ProfileOptions
from .partial import (
    ColumnAccumulator,
    CurrentCounts,
    DataChanged,
    DatasetPartial,
    Wanted,
    count_frames,
    first_pass,
    merge_counts,
    second_pass,
)

# A source of data chunks that can be read more than once: called with the
# columns wanted (None for all), it returns a fresh iterator of DataFrames.
Frames = Callable[[list[str] | None], Iterable[Any]]


class Counting(Protocol):
    """How a dataset's chunks are counted: all in this process (``LocalCounting``)
    or partition by partition on a cluster (``profiles.cluster``). ``read``:
    the columns to read (None: all)."""

    def first_pass(self, wanted: Wanted, read: list[str] | None) -> DatasetPartial: ...

    def second_pass(self, planned: dict[str, NumericSummary]) -> dict[str, NumericSummary]: ...

    def count(self, kinds: dict[str, tuple[str, tuple[float, ...]]], source: str) -> CurrentCounts:
        """Count the ``kinds`` columns (only they are read; the others are known by name)."""
        ...


class LocalCounting:
    """Every chunk counted here, one after another."""

    def __init__(self, frames: Frames | Iterable[Any]) -> None:
        self.frames = frames

    def _chunks(self, read: list[str] | None) -> Iterable[Any]:
        return self.frames(read) if callable(self.frames) else self.frames

    def first_pass(self, wanted: Wanted, read: list[str] | None = None) -> DatasetPartial:
        return first_pass(self._chunks(read), wanted)

    def second_pass(self, planned: dict[str, NumericSummary]) -> dict[str, NumericSummary]:
        return second_pass(self._chunks(list(planned)), planned)

    def count(self, kinds: dict[str, tuple[str, tuple[float, ...]]], source: str) -> CurrentCounts:
        return count_frames(self._chunks(list(kinds)), kinds, source)


def counting(data: Counting | Frames | Iterable[Any]) -> Counting:
    """A counting of ``data``: one already, or frames counted locally."""
    return data if hasattr(data, "first_pass") else LocalCounting(data)  # type: ignore[return-value, arg-type]


# ---------------------------------------------------------------------------
# Building a profile from reference data


def build_profile(
    frames: Frames | Counting,
    options: ProfileOptions,
    sources: list[str],
    columns: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    column_bins: Mapping[str, int] | None = None,
    seen: dict[str, None] | None = None,
    forced_by: Mapping[str, str] | None = None,
    also_read: Iterable[str] = (),
) -> Profile:
    """Type each column, choose bins from these data, and count.

    Only ``columns`` (all when None) less ``exclude`` are typed and counted,
    so a column left out can never fail; when ``columns`` are named, only
    they (and ``also_read``) are read. ``column_bins`` gives some numeric
    columns a number of bins of their own (drift's per-column rules);
    ``seen``, when given, receives the name of every column read;
    ``forced_by`` says who forced a column's type, for messages (default
    ``--numeric``/``--categorical``; a configuration file's key). One pass over the data, and a second
    over its numeric columns only when they hold more values than are kept
    in memory (see ``binning``). ``frames``: chunks counted here, or a
    ``Counting`` (a cluster's)."""
    named = None if columns is None else frozenset(columns)
    wanted = Wanted(named, frozenset(exclude), frozenset(options.categorical))
    read = None if named is None else sorted(named | set(also_read))
    count = counting(frames)
    partial = count.first_pass(wanted, read)
    partial.finish_rows()
    accs, rows = partial.columns, partial.rows
    if seen is not None:
        seen.update(partial.seen)
    by = {
        **{n: "--categorical" for n in options.categorical},
        **{n: "--numeric" for n in options.numeric},
        **(forced_by or {}),
    }
    for forced in (*options.categorical, *options.numeric):
        if forced not in accs:
            who = "--categorical/--numeric" if by[forced].startswith("--") else by[forced]
            raise UsageError(f"{who} name column {forced!r}, which the reference does not have")
    where = ", ".join(sources) or "reference"
    typed = {name: _type(name, acc, options, where, by.get(name, "")) for name, acc in accs.items()}
    bins_of = dict(column_bins or {})
    second = [n for n, (kind, _) in typed.items() if kind == "numeric" and accs[n].summary.needs_second_pass]
    if second:
        _second_pass(count, {name: accs[name].summary for name in second}, bins_of, options, where)
    profile_columns = {}
    for name, (kind, typed_by) in typed.items():
        acc = accs[name]
        if kind == "numeric":
            bins, counts = acc.summary.finish(bins_of.get(name, options.bins), options.binning)
            col = ColumnProfile(name, "numeric", typed_by, {}, acc.rows, edges=bins.edges, bins=bins_of.get(name))
            col.counts = {**dict(zip(bins.labels, counts.tolist())), MISSING_KEY: float(acc.missing)}
            if bins.note:
                col.notes.append(bins.note)
        elif kind == "skipped":
            distinct = len(acc.text_counts)
            present = acc.rows - acc.missing
            reason = f"identifier-like: {distinct} distinct values in {present} rows (--categorical forces it)"
            col = ColumnProfile(name, "skipped", typed_by, {}, acc.rows, reason=reason)
        else:
            col = ColumnProfile(
                name, "categorical", typed_by, acc.category_counts(f"{where}: column {name!r}"), acc.rows
            )
        profile_columns[name] = col
    return Profile(profile_columns, rows, options, sources)


def _second_pass(
    count: Counting,
    summaries: dict[str, NumericSummary],
    bins_of: dict[str, int],
    options: ProfileOptions,
    where: str,
) -> None:
    """The exact edges of columns with more values than are kept in memory:
    plan from the merged bucket histograms, record the planned buckets'
    values in a second pass (partition by partition, merged by addition)."""
    for name, summary in summaries.items():
        summary.plan(bins_of.get(name, options.bins), options.binning)
    changed = InputError(
        f"{where}: changed while it was read (between the two passes over its numeric columns)",
        hint="read a copy that is not being written to",
    )
    try:
        detail = count.second_pass({name: summary.planned() for name, summary in summaries.items()})
    except DataChanged:
        raise changed from None
    for name, summary in summaries.items():
        summary.take_detail(detail[name])
    if not all(summary.detail_matches() for summary in summaries.values()):
        raise changed


def _type(name: str, acc: ColumnAccumulator, options: ProfileOptions, source: str, by: str) -> tuple[str, str]:
    """(type, the rule that decided it) of one column of the reference; ``by`` who forced it."""
    if name in options.numeric:
        if not acc.all_numeric:
            bad = next(iter(acc.text_counts))
            forced = "--numeric" if by in ("", "--numeric") else f"numeric by {by}"
            raise InputError(f"{source}: column {name!r} is forced {forced} but holds text such as {bad!r}")
        return "numeric", "--numeric"
    if name in options.categorical:
        return "categorical", "--categorical"
    if acc.all_numeric:
        if acc.number_counts is None:
            return "numeric", f"numbers with more than {NUMERIC_DISTINCT} distinct values"
        return "categorical", f"numbers with {len(acc.number_counts)} distinct values (<= {NUMERIC_DISTINCT})"
    distinct = len(acc.text_counts) + len(acc.number_counts or {})
    present = acc.rows - acc.missing
    if distinct > NUMERIC_DISTINCT and distinct > ID_SHARE * present:
        return "skipped", "text"
    return "categorical", f"text with {distinct} distinct values"


# ---------------------------------------------------------------------------
# Counting current data against a profile


def count_against(
    data: Counting | Iterable[Any],
    reference: Profile,
    source: str = "current data",
    wanted: set[str] | None = None,
) -> tuple[dict[str, dict[str | None, float]], dict[str, int], int]:
    """Count each column of the current data with the reference's types and edges.

    Returns counts per column, rows per column and the total row count.
    Memory is bounded by the categories: every chunk is counted and dropped.
    A column the reference calls numeric must hold numbers here too.
    ``data``: chunks counted here, or a ``Counting`` (a cluster's).
    """
    kinds = {
        name: (col.type, tuple(col.edges or ()))
        for name, col in reference.columns.items()
        if col.type != "skipped" and (wanted is None or name in wanted)
    }
    result: CurrentCounts = counting(data).count(kinds, source)
    counts, rows = result.counts, result.rows
    for name, col in counts.items():  # rows without the column (JSON lines that lack the key) are missing
        col[MISSING_KEY] = col.get(MISSING_KEY, 0.0) + (rows - result.column_rows[name])
    col_rows = dict.fromkeys(result.column_rows, rows)
    for name, col in counts.items():
        if reference.columns[name].type == "categorical":
            missing = col.pop(MISSING_KEY, 0.0)
            ordered = dict(sorted(col.items(), key=lambda kv: (-kv[1], kv[0])))  # type: ignore[arg-type]
            counts[name] = {**ordered, MISSING_KEY: missing}
    return counts, col_rows, rows


def merge_profiles(profiles: list[Profile]) -> Profile:
    """Add the counts of profiles that agree on options, types and edges."""
    first = profiles[0]
    for other in profiles[1:]:
        if other.options != first.options:
            raise InputError(
                f"cannot merge profiles built with different options: {first.options.to_dict()} "
                f"vs {other.options.to_dict()}"
            )
        for name in set(first.columns) | set(other.columns):
            a, b = first.columns.get(name), other.columns.get(name)
            if a is None or b is None:
                raise InputError(f"cannot merge profiles: column {name!r} is in one profile only")
            if (a.type, a.edges) != (b.type, b.edges):
                raise InputError(
                    f"cannot merge profiles: column {name!r} differs ({a.type} vs {b.type}, or its bin edges)"
                )
    merged = {}
    for name, col in first.columns.items():
        counts = col.counts
        rows = col.rows
        for other in profiles[1:]:
            counts = merge_counts(counts, other.columns[name].counts)
            rows += other.columns[name].rows
        merged[name] = ColumnProfile(
            name, col.type, col.typed_by, counts, rows, col.edges, col.reason, list(col.notes), col.bins
        )
    return Profile(merged, sum(p.rows for p in profiles), first.options, [s for p in profiles for s in p.sources])


def extend_profile(reference: Profile, frames: Counting | Iterable[Any], sources: list[str]) -> Profile:
    """The profile of the reference's data plus more rows (of the data files
    ``sources``, counted as one dataset), counted with its edges."""
    source = ", ".join(sources)
    counts, col_rows, rows = count_against(frames, reference, source)
    missing = [n for n, c in reference.columns.items() if c.type != "skipped" and n not in counts]
    if missing:
        raise InputError(f"{source}: lacks column(s) {', '.join(map(repr, missing))} that the profile has")
    extra = Profile(
        {
            name: ColumnProfile(
                name,
                col.type,
                col.typed_by,
                counts.get(name, {}),
                col_rows.get(name, 0),
                col.edges,
                col.reason,
                bins=col.bins,
            )
            for name, col in reference.columns.items()
        },
        rows,
        reference.options,
        list(sources),
    )
    return merge_profiles([reference, extra])
