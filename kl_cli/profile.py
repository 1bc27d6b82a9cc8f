"""Dataset -> per-column counts: column typing, binning, mergeable profiles.

A profile is the sufficient statistic of a reference dataset for drift: per
column its type, the rule that typed it, the bin edges (numeric) and the
counts per category or bin, ``(missing)`` included. Counting runs chunk by
chunk, so memory grows with categories (and with the reference's numeric
values, which quantile edges need), not with the current data's rows.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from .binning import MISSING, Bins, NumericSummary
from .errors import InputError, UsageError
from .sources import MISSING_SPELLINGS, cells_are_text

PROFILE_FORMAT = "kl-cli-profile"
PROFILE_VERSION = 1
# A numeric column with more distinct values than this is binned; fewer, and
# each value is its own category.
NUMERIC_DISTINCT = 20
# A text column with more distinct values than this share of its rows (and
# than NUMERIC_DISTINCT) looks like an identifier: counting it says nothing.
ID_SHARE = 0.5


@dataclass(frozen=True)
class ProfileOptions:
    """The choices that shape a profile; a profile records them."""

    bins: int = 10
    binning: str = "quantile"
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "bins": self.bins,
            "binning": self.binning,
            "categorical": sorted(self.categorical),
            "numeric": sorted(self.numeric),
        }


@dataclass
class ColumnProfile:
    """One column: its type, why, its bins (numeric) and counts by label."""

    name: str
    type: str  # "numeric" | "categorical" | "skipped"
    typed_by: str
    counts: dict[str, float]
    rows: int
    edges: tuple[float, ...] | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def bins(self) -> Bins | None:
        return None if self.edges is None else Bins(self.edges)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "typed_by": self.typed_by, "rows": self.rows}
        if self.edges is not None:
            out["edges"] = list(self.edges)
        if self.reason:
            out["reason"] = self.reason
        if self.notes:
            out["notes"] = list(self.notes)
        out["counts"] = {k: _int_if_whole(v) for k, v in self.counts.items()}
        return out


@dataclass
class Profile:
    """Per-column counts of one or more datasets, and the options used."""

    columns: dict[str, ColumnProfile]
    rows: int
    options: ProfileOptions
    sources: list[str]

    def to_dict(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            made_by = f"kl-cli {version('kl-cli')}"
        except PackageNotFoundError:  # running from a source tree
            made_by = "kl-cli"
        return {
            "format": PROFILE_FORMAT,
            "version": PROFILE_VERSION,
            "created_by": made_by,
            "sources": list(self.sources),
            "rows": self.rows,
            "options": self.options.to_dict(),
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }


def _int_if_whole(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def canonical(value: Any) -> str:
    """The label of one cell: numbers print the same whether read as int or
    float (3 and 3.0 are both '3'); missing cells are '(missing)'."""
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return MISSING
        if float(value).is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(float(value))
    return str(value)


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
    number_counts: dict[float, float] | None = field(default_factory=dict)
    text_counts: dict[str, float] = field(default_factory=dict)
    missing: int = 0
    rows: int = 0

    @property
    def all_numeric(self) -> bool:
        return not self.text_counts

    def add(self, series: Any, text_cells: bool = False) -> None:
        self.rows += len(series)
        numbers, others, missing = typed_cells(series, text_cells)
        self.missing += missing
        if numbers.size:
            self.summary.add(numbers)
            if self.number_counts is not None:
                uniq, n = np.unique(numbers, return_counts=True)
                for value, c in zip(uniq.tolist(), n.tolist()):
                    self.number_counts[value] = self.number_counts.get(value, 0) + c
                if len(self.number_counts) > NUMERIC_DISTINCT and not self.keep_all_numbers:
                    self.number_counts = None  # a binned column: the summary is enough
        for value, n in others.items():
            key = canonical(value)
            self.text_counts[key] = self.text_counts.get(key, 0) + n

    def add_missing(self, n: int) -> None:
        self.rows += n
        self.missing += n

    def category_counts(self, where: str) -> dict[str, float]:
        """Counts per distinct value, numbers and text together, then missing."""
        if self.number_counts is None and self.summary.n_finite + self.summary.neg_inf + self.summary.pos_inf:
            raise InputError(
                f"{where} mixes many distinct numbers with text such as {next(iter(self.text_counts))!r}",
                hint="pass --categorical to count every value as a category",
            )
        counts = dict(self.text_counts)
        for value, c in (self.number_counts or {}).items():
            key = canonical(value)
            counts[key] = counts.get(key, 0) + float(c)
        ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        ordered[MISSING] = ordered.get(MISSING, 0) + float(self.missing)
        return ordered


# The first characters of the CSV cells that can read as numbers ('inf' and
# 'Infinity' included); only cells starting so are parsed (a cheap filter).
_NUMBER_START = frozenset("0123456789+-.iI")
# CSV cells pandas reads as booleans in a column of nothing else (any case).
_BOOLEANS = {"true": True, "false": False}
_MISSING_TEXT = frozenset(MISSING_SPELLINGS)
# JSON booleans, counted apart from the numbers 1 and 0 (True == 1 in Python).
_JSON_BOOLEAN = {True: "true", False: "false"}


def _floats(values: Any) -> np.ndarray:
    """Numbers as float64; integers beyond the float range (a 310-digit CSV
    cell) become +-inf, as pandas reads 1e400."""
    try:
        return np.asarray(values, dtype=np.float64)
    except OverflowError:
        return np.array([_float(v) for v in values], dtype=np.float64)


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def typed_cells(series: Any, text_cells: bool) -> tuple[np.ndarray, dict[Any, float], int]:
    """One chunk's column split by cell: its numbers (float64, one per cell),
    its other cells (distinct value -> count) and its count of missing cells.

    A cell's type is its own, never decided by the other cells of its chunk,
    so that results do not depend on --chunk-rows: a JSON cell keeps its JSON
    type; a CSV cell (``text_cells``) that reads as a number or a boolean is
    that number or boolean, exactly as pandas reads it in a column of such
    cells, even when another cell of the chunk made pandas keep it as text."""
    missing = series.isna().to_numpy()
    present = series[~missing]
    n_missing = int(missing.sum())
    if len(present) == 0:
        return np.empty(0), {}, n_missing
    if _holds_numbers(present):
        return _floats(present), {}, n_missing
    if not text_cells and present.dtype == object:  # JSON: true and 1 must not count as one value
        present = present.map(lambda v: _JSON_BOOLEAN.get(v, v) if type(v) is bool else v)
    counts = present.value_counts(sort=False)
    cells = np.asarray(counts.index, dtype=object)
    n = counts.to_numpy(dtype=np.int64)
    parsed = _text_numbers(cells) if text_cells else _json_numbers(cells)
    is_number = ~np.isnan(parsed)
    others: dict[Any, float] = {}
    for cell, c in zip(cells[~is_number].tolist(), n[~is_number].tolist()):
        if text_cells and isinstance(cell, str):
            if cell in _MISSING_TEXT:  # pandas skips its missing spellings beside a huge integer
                n_missing += c
                continue
            cell = _BOOLEANS.get(cell.lower(), cell)
        others[cell] = others.get(cell, 0.0) + float(c)
    return np.repeat(parsed[is_number], n[is_number]), others, n_missing


def _text_numbers(cells: np.ndarray) -> np.ndarray:
    """Each distinct CSV cell as the number pandas reads it as, NaN for other text."""
    import pandas as pd

    out = np.full(len(cells), np.nan)
    # pandas' number parser skips leading white space (tab, \v, \f too)
    maybe = np.fromiter((str(c).lstrip()[:1] in _NUMBER_START for c in cells.tolist()), dtype=bool, count=len(cells))
    if maybe.any():
        parsed = pd.to_numeric(pd.Series(cells[maybe], dtype=object), errors="coerce")
        out[maybe] = _floats(parsed)
    return out


def _json_numbers(cells: np.ndarray) -> np.ndarray:
    """Each distinct JSON cell as a number when it is one (not a boolean), else NaN.
    The JSON reader refuses numbers beyond the float range, so float() is exact enough."""
    out = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells.tolist()):
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            out[i] = _float(cell)
    return out


def _holds_numbers(series: Any) -> bool:
    """True for a numeric dtype, or an object column whose cells are all int/float
    (JSON lines mixing ints and floats arrive that way); bools are not numbers."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    if pd.api.types.is_numeric_dtype(dtype):
        return True
    if isinstance(dtype, np.dtype) and dtype.kind == "O":  # numpy object, not pandas' str: look at the cells
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in series.tolist())
    return False


# A source of data chunks that can be read more than once: called with the
# columns wanted (None for all), it returns a fresh iterator of DataFrames.
Frames = Callable[[list[str] | None], Iterable[Any]]


# ---------------------------------------------------------------------------
# Building a profile from reference data


def build_profile(
    frames: Frames, options: ProfileOptions, sources: list[str], columns: Iterable[str] | None = None
) -> Profile:
    """Type each column, choose bins from these data, and count.

    One pass over the data, and a second over its numeric columns only when
    they hold more values than are kept in memory (see ``binning``)."""
    wanted = None if columns is None else set(columns)
    accs: dict[str, _Accumulator] = {}
    rows = 0
    for frame in frames(None):
        rows += len(frame)
        text_cells = cells_are_text(frame)
        for name in frame.columns:
            if wanted is None or name in wanted:
                acc = accs.setdefault(name, _Accumulator(keep_all_numbers=name in options.categorical))
                acc.add(frame[name], text_cells)
    for acc in accs.values():  # rows without the column (JSON lines that lack the key) are missing
        acc.add_missing(rows - acc.rows)
    for forced in (*options.categorical, *options.numeric):
        if forced not in accs:
            raise UsageError(f"--categorical/--numeric name column {forced!r}, which the reference does not have")
    where = ", ".join(sources) or "reference"
    typed = {name: _type(name, acc, options, where) for name, acc in accs.items()}
    second = [n for n, (kind, _) in typed.items() if kind == "numeric" and accs[n].summary.needs_second_pass]
    if second:
        for name in second:
            accs[name].summary.plan(options.bins, options.binning)
        changed = InputError(
            f"{where}: changed while it was read (between the two passes over its numeric columns)",
            hint="read a copy that is not being written to",
        )
        for frame in frames(second):
            for name in (n for n in second if n in frame.columns):  # absent: all missing
                numbers, others, _ = typed_cells(frame[name], cells_are_text(frame))
                if others:
                    raise changed
                accs[name].summary.add_detail(numbers)
        if not all(accs[name].summary.detail_matches() for name in second):
            raise changed
    profile_columns = {}
    for name, (kind, typed_by) in typed.items():
        acc = accs[name]
        if kind == "numeric":
            bins, counts = acc.summary.finish(options.bins, options.binning)
            col = ColumnProfile(name, "numeric", typed_by, {}, acc.rows, edges=bins.edges)
            col.counts = {**dict(zip(bins.labels, counts.tolist())), MISSING: float(acc.missing)}
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


def _type(name: str, acc: _Accumulator, options: ProfileOptions, source: str) -> tuple[str, str]:
    """(type, the rule that decided it) of one column of the reference."""
    if name in options.numeric:
        if not acc.all_numeric:
            bad = next(iter(acc.text_counts))
            raise InputError(f"{source}: column {name!r} is forced --numeric but holds text such as {bad!r}")
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
    frames: Iterable[Any], reference: Profile, source: str = "current data"
) -> tuple[dict[str, dict[str, float]], dict[str, int], int]:
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
            if ref is None or ref.type == "skipped":
                continue
            if ref.type == "numeric":
                chunk = _count_numeric_chunk(series, text_cells, Bins(ref.edges or ()), name, source)
            else:
                chunk = _count_categories_chunk(series, text_cells)
            counts[name] = merge_counts(counts.get(name, {}), chunk)
    for name, col in counts.items():  # rows without the column (JSON lines that lack the key) are missing
        col[MISSING] = col.get(MISSING, 0.0) + (rows - col_rows[name])
    col_rows = dict.fromkeys(col_rows, rows)
    for name, col in counts.items():
        if reference.columns[name].type == "categorical":
            missing = col.pop(MISSING, 0.0)
            counts[name] = {**dict(sorted(col.items(), key=lambda kv: (-kv[1], kv[0]))), MISSING: missing}
    return counts, col_rows, rows


def _count_numeric_chunk(series: Any, text_cells: bool, bins: Bins, name: str, source: str) -> dict[str, float]:
    numbers, others, missing = typed_cells(series, text_cells)
    if others:
        example = next(iter(others))  # e.g. true/false, which pandas reads as booleans
        raise InputError(
            f"{source}: column {name!r} holds {str(example)!r}, which is not a number, "
            "but the column is numeric in the reference"
        )
    return bins.counts_by_label(numbers, missing)


def _count_categories_chunk(series: Any, text_cells: bool) -> dict[str, float]:
    import pandas as pd

    numbers, others, missing = typed_cells(series, text_cells)
    out: dict[str, float] = {}
    distinct = pd.Series(numbers).value_counts(sort=False)  # hashing: faster than sorting
    for value, c in [*distinct.items(), *others.items()]:
        key = canonical(value)
        out[key] = out.get(key, 0) + float(c)
    out[MISSING] = out.get(MISSING, 0.0) + float(missing)
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
        merged[name] = ColumnProfile(name, col.type, col.typed_by, counts, rows, col.edges, col.reason, list(col.notes))
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
                name, col.type, col.typed_by, counts.get(name, {}), col_rows.get(name, 0), col.edges, col.reason
            )
            for name, col in reference.columns.items()
        },
        rows,
        reference.options,
        [source],
    )
    return merge_profiles([reference, extra])


# ---------------------------------------------------------------------------
# Files


def looks_like_profile(path: str) -> bool:
    """True when the file starts like a kl-cli profile (a JSON object with our format tag)."""
    if path == "-" or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and PROFILE_FORMAT.encode() in head


def load_profile(path: str) -> Profile:
    """Read a profile file, checking its format and version."""
    from .sources import parse_json_text, read_bytes

    name = f"profile {path}"
    data = parse_json_text(read_bytes(path, name).decode("utf-8-sig", errors="replace"), name)
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise InputError(f'{name}: not a kl-cli profile (no "format": "{PROFILE_FORMAT}")')
    if data.get("version") != PROFILE_VERSION:
        raise InputError(
            f"{name}: profile format version {data.get('version')!r}, but this kl-cli reads version {PROFILE_VERSION}",
            hint="rebuild it with kl-cli profile",
        )
    try:
        opts = data["options"]
        options = ProfileOptions(
            int(opts["bins"]), str(opts["binning"]), tuple(opts["categorical"]), tuple(opts["numeric"])
        )
        columns = {}
        for cname, col in data["columns"].items():
            edges = tuple(float(e) for e in col["edges"]) if "edges" in col else None
            counts = {str(k): float(v) for k, v in col["counts"].items()}
            if any(not math.isfinite(v) or v < 0 for v in counts.values()):
                raise ValueError(f"column {cname!r} has a negative or non-finite count")
            columns[cname] = ColumnProfile(
                cname,
                col["type"],
                col["typed_by"],
                counts,
                int(col["rows"]),
                edges,
                col.get("reason"),
                list(col.get("notes", [])),
            )
        return Profile(columns, int(data["rows"]), options, list(data.get("sources", [path])))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{name}: malformed profile ({exc})") from None


def write_profile(profile: Profile, path: str) -> None:
    """Write atomically: a temporary file in the same folder, then rename, so
    an interrupted run never leaves a truncated profile or loses the old one."""
    text = json.dumps(profile.to_dict(), indent=2, allow_nan=False, ensure_ascii=True) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a directory")
    # The temporary's name is chosen before it is created, so that an
    # interrupt at any moment after creation still knows what to remove.
    tmp = os.path.join(folder, f".kl-cli-{os.getpid()}-{secrets.token_hex(6)}.tmp")
    try:
        if os.path.exists(path):  # keep the mode of the profile being replaced
            mode = os.stat(path).st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def frames_of(paths: list[str], progress: Callable[[str, int], None] | None = None, **kwargs: Any) -> Frames:
    """A re-readable source of the chunks of several data files, one after
    another; ``progress(source, rows so far)`` is called after each chunk.
    A stream (stdin, a FIFO) is copied once (``spool_stream``) for later passes."""
    from .sources import is_stream, iter_dataset, spool_stream

    held: dict[str, BinaryIO] = {}

    def frames(columns: list[str] | None) -> Iterator[Any]:
        for path in paths:
            source = path if path != "-" else "stdin"
            if path not in held and is_stream(path):
                held[path] = spool_stream(path, source, kwargs.get("open_stdin"))
            rows = 0
            for chunk in iter_dataset(path, source, columns=columns, spooled=held.get(path), **kwargs):
                rows += len(chunk)
                if progress is not None:
                    progress(source, rows)
                yield chunk

    return frames
