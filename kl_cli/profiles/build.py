"""Dataset -> per-column counts: column typing, binning, counting against a profile, merging.

Counting runs chunk by chunk, so memory grows with categories (and with the
reference's numeric values, which quantile edges need), not with the
current data's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.binning import Bins, NumericSummary
from ..errors import InputError, UsageError
from ..inputs.cells import typed_cells
from ..inputs.datasets import cells_are_text
from .model import ID_SHARE, MISSING_KEY, NUMERIC_DISTINCT, ColumnProfile, Profile, ProfileOptions

# ---------------------------------------------------------------------------
# Accumulating one column over chunks


@dataclass
class _Accumulator:
    """What one column has shown so far, in memory bounded by its categories:
    a numeric summary for binning, counts of distinct numbers while there are
    few of them (always, when the column is forced categorical), text counts
    and the missing count."""

    keep_all_numbers: bool = False
    summary: NumericSummary = field(default_factory=NumericSummary)
    number_counts: dict[str, float] | None = field(default_factory=dict)
    text_counts: dict[str, float] = field(default_factory=dict)
    missing: int = 0
    rows: int = 0

    @property
    def all_numeric(self) -> bool:
        return not self.text_counts

    def add(self, series: Any, text_cells: bool = False) -> None:
        self.rows += len(series)
        # labels are needed only while the column may still be categorical
        limit = None if self.keep_all_numbers else (0 if self.number_counts is None else NUMERIC_DISTINCT)
        cells = typed_cells(series, text_cells, label_limit=limit)
        self.missing += cells.missing
        if cells.numbers.size:
            self.summary.add(cells.numbers)
            if self.number_counts is not None:
                if cells.number_labels is None:
                    self.number_counts = None
                else:
                    self.number_counts = merge_counts(self.number_counts, cells.number_labels)
                    if len(self.number_counts) > NUMERIC_DISTINCT and not self.keep_all_numbers:
                        self.number_counts = None  # a binned column: the summary is enough
        self.text_counts = merge_counts(self.text_counts, cells.others)

    def add_missing(self, n: int) -> None:
        self.rows += n
        self.missing += n

    def category_counts(self, where: str) -> dict[str | None, float]:
        """Counts per distinct value, numbers and text together, then missing."""
        if self.number_counts is None and self.summary.n_finite + self.summary.neg_inf + self.summary.pos_inf:
            raise InputError(
                f"{where} mixes many distinct numbers with text such as {next(iter(self.text_counts))!r}",
                hint="pass --categorical to count every value as a category",
            )
        counts = merge_counts(self.text_counts, self.number_counts or {})
        ordered: dict[str | None, float] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        ordered[MISSING_KEY] = float(self.missing)
        return ordered


# A source of data chunks that can be read more than once: called with the
# columns wanted (None for all), it returns a fresh iterator of DataFrames.
Frames = Callable[[list[str] | None], Iterable[Any]]


# ---------------------------------------------------------------------------
# Building a profile from reference data


def build_profile(
    frames: Frames,
    options: ProfileOptions,
    sources: list[str],
    columns: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    column_bins: Mapping[str, int] | None = None,
    seen: dict[str, None] | None = None,
    forced_by: Mapping[str, str] | None = None,
) -> Profile:
    """Type each column, choose bins from these data, and count.

    Only ``columns`` (all when None) less ``exclude`` are typed and counted,
    so a column left out can never fail. ``column_bins`` gives some numeric
    columns a number of bins of their own (drift's per-column rules);
    ``seen``, when given, receives the name of every column the data hold;
    ``forced_by`` says who forced a column's type, for messages (default
    ``--numeric``/``--categorical``; a configuration file's key). One pass over the data, and a second
    over its numeric columns only when they hold more values than are kept
    in memory (see ``binning``)."""
    left_out = set(exclude)
    wanted = None if columns is None and not left_out else {c for c in (columns or ()) if c not in left_out}
    if columns is None and left_out:
        wanted = None
    accs: dict[str, _Accumulator] = {}
    rows = 0
    for frame in frames(None):
        rows += len(frame)
        text_cells = cells_are_text(frame)
        if seen is not None:
            seen.update(dict.fromkeys(frame.columns))
        for name in frame.columns:
            if (wanted is None or name in wanted) and name not in left_out:
                acc = accs.setdefault(name, _Accumulator(keep_all_numbers=name in options.categorical))
                acc.add(frame[name], text_cells)
    for acc in accs.values():  # rows without the column (JSON lines that lack the key) are missing
        acc.add_missing(rows - acc.rows)
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
        for name in second:
            accs[name].summary.plan(bins_of.get(name, options.bins), options.binning)
        changed = InputError(
            f"{where}: changed while it was read (between the two passes over its numeric columns)",
            hint="read a copy that is not being written to",
        )
        for frame in frames(second):
            for name in (n for n in second if n in frame.columns):  # absent: all missing
                cells = typed_cells(frame[name], cells_are_text(frame), label_limit=0)
                if cells.others:
                    raise changed
                accs[name].summary.add_detail(cells.numbers)
        if not all(accs[name].summary.detail_matches() for name in second):
            raise changed
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


def _type(name: str, acc: _Accumulator, options: ProfileOptions, source: str, by: str) -> tuple[str, str]:
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
    frames: Iterable[Any], reference: Profile, source: str = "current data", wanted: set[str] | None = None
) -> tuple[dict[str, dict[str | None, float]], dict[str, int], int]:
    """Count each column of the current data with the reference's types and edges.

    Returns counts per column, rows per column and the total row count.
    Memory is bounded by the categories: every chunk is counted and dropped.
    A column the reference calls numeric must hold numbers here too.
    """
    counts: dict[str, dict[str, float]] = {}
    col_rows: dict[str, int] = {}
    rows = 0
    for frame in frames:
        rows += len(frame)
        text_cells = cells_are_text(frame)
        for name in frame.columns:
            series = frame[name]
            col_rows[name] = col_rows.get(name, 0) + len(series)
            ref = reference.columns.get(name)
            if ref is None or ref.type == "skipped" or (wanted is not None and name not in wanted):
                continue
            if ref.type == "numeric":
                chunk = _count_numeric_chunk(series, text_cells, Bins(ref.edges or ()), name, source)
            else:
                chunk = _count_categories_chunk(series, text_cells)
            counts[name] = merge_counts(counts.get(name, {}), chunk)
    for name, col in counts.items():  # rows without the column (JSON lines that lack the key) are missing
        col[MISSING_KEY] = col.get(MISSING_KEY, 0.0) + (rows - col_rows[name])
    col_rows = dict.fromkeys(col_rows, rows)
    for name, col in counts.items():
        if reference.columns[name].type == "categorical":
            missing = col.pop(MISSING_KEY, 0.0)
            ordered = dict(sorted(col.items(), key=lambda kv: (-kv[1], kv[0])))  # type: ignore[arg-type]
            counts[name] = {**ordered, MISSING_KEY: missing}
    return counts, col_rows, rows


def _count_numeric_chunk(series: Any, text_cells: bool, bins: Bins, name: str, source: str) -> dict[str | None, float]:
    cells = typed_cells(series, text_cells, label_limit=0)
    if cells.others:
        example = next(iter(cells.others))
        raise InputError(
            f"{source}: column {name!r} holds {example!r}, which is not a number, "
            "but the column is numeric in the reference"
        )
    counts: dict[str | None, float] = dict(zip(bins.labels, bins.count(cells.numbers).tolist()))
    counts[MISSING_KEY] = float(cells.missing)
    return counts


def _count_categories_chunk(series: Any, text_cells: bool) -> dict[str | None, float]:
    cells = typed_cells(series, text_cells)
    out: dict[str | None, float] = merge_counts(cells.others, cells.number_labels or {})
    out[MISSING_KEY] = out.get(MISSING_KEY, 0.0) + float(cells.missing)
    return out


def merge_counts(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


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


def extend_profile(reference: Profile, frames: Iterable[Any], source: str) -> Profile:
    """The profile of the reference's data plus more rows, counted with its edges."""
    counts, col_rows, rows = count_against(frames, reference)
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
        [source],
    )
    return merge_profiles([reference, extra])
