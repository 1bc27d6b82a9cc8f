"""P and Q from what the user gave: command-line words (inline, paths, ``-``) or Python objects."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

import numpy as np

from ..core.histogram import Histogram, align, count_observations, make_histogram
from ..errors import InputError, UsageError
from ..text import INLINE_NAME, show_label, side_label
from .columns import Want, read_sides
from .inline import InlineSyntaxError, split_inline
from .jsondoc import _json_number, histogram_from_json, json_pair, parse_json_text
from .registry import COMPRESSIONS, FORMATS
from .source import Source
from .streams import MAX_JSON_BYTES, decode, is_stream, one_stream
from .tables import ChunkTable, ReadOptions, plan_table
from .weights import exact_histogram, show_integer, split_big

# What a path looks like (for the message when a word is neither a file nor inline).
KNOWN_EXTENSIONS = tuple(ext for entry in (*FORMATS.values(), *COMPRESSIONS) for ext in entry.extensions)


@dataclass(frozen=True)
class _Loaded:
    """A source read as far as its format: inline values and labels, JSON value or table."""

    name: str
    inline: tuple[list[float], list[str] | None] | None = None
    json_value: Any = None
    table: Any = None
    # Where the side came from, as its label shows it (``side_label``): a path
    # as given, "stdin", an inline list; None for a name given by the caller.
    origin: str | None = None

    def label(self, role: str, column: str | None) -> str:
        """The side's name with the column (or JSON member) it is read from."""
        return self.name if self.origin is None else side_label(role, self.origin, column)


@dataclass(frozen=True)
class Opened:
    """A file compare was given, opened once by ``open_side``: its source (head
    read, format recognized by content) and, for JSON, the document read."""

    spec: str
    source: Source
    document: bytes | None = None


# A side as compare's readers take it: a command-line word, or a file already opened.
Word = str | Opened


def is_word(value: Any) -> bool:
    return isinstance(value, (str, Opened))


def open_side(spec: Any, role: str, encoding: str = "utf-8") -> Any:
    """One side of compare, recognized once: a ``Distribution`` (a call such as
    ``normal(0, 1)``, or a JSON file holding one), an ``Opened`` file for the
    readers to go on from (its head is not read again), or ``spec`` as it was
    (inline data, '-', a Python object, None)."""
    from .distribution import distribution_in, read_distribution

    if isinstance(spec, str) and spec != "-" and os.path.isfile(spec):
        name = side_label(role, spec)
        source = Source(spec, name)  # by content: a stated format applies when the file is read as data
        document = source.document(MAX_JSON_BYTES + 1) if source.format == "json" else None
        found = None if document is None else distribution_in(document, name, encoding)
        return Opened(spec, source, document) if found is None else found
    found = read_distribution(spec, role)
    return spec if found is None else found


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.lower().endswith(KNOWN_EXTENSIONS) or spec.startswith(".")


def _load(
    spec: Word, role: str, options: ReadOptions, open_stdin: Callable[[], BinaryIO] | None, named: str | None = None
) -> _Loaded:
    """A source read as far as its format, called ``role (spec)`` in messages (or ``named``)."""
    if not is_word(spec):  # observations in memory (the Python API): a list, an array, a Series
        return _Loaded(named or role, json_value=[None if _is_nan(v) else v for v in _listed(spec, role)])
    if isinstance(spec, Opened):
        loaded = _load_source(spec.spec, named or spec.source.name, role, options, open_stdin, False, spec)
        return replace(loaded, origin=None if named is not None else spec.spec)
    stream = is_stream(spec)
    if stream or os.path.exists(spec):
        origin = None if named is not None else "stdin" if spec == "-" else spec
        name = named or side_label(role, origin)
        return replace(_load_source(spec, name, role, options, open_stdin, stream), origin=origin)
    # An inline list: named by its first characters.
    origin = None if named is not None else spec if len(spec) <= INLINE_NAME else spec[: INLINE_NAME - 1] + "…"
    name = named or side_label(role, origin)
    try:
        values, labels = split_inline(spec, name)
    except InlineSyntaxError as exc:
        if _looks_like_path(spec):
            raise InputError(
                f"{role}: no such file {show_label(spec, 1000)} (and it is not an inline list like 0.7,0.3 either)"
            ) from None
        raise InputError(
            f"{role}: {show_label(spec)} is neither an existing file nor a valid inline list: {exc}",
        ) from None
    return _Loaded(name, inline=(values, labels), origin=origin)


def _listed(obj: Any, role: str) -> list[Any]:
    tolist = getattr(obj, "tolist", None)
    values = tolist() if callable(tolist) else obj
    if not isinstance(values, (list, tuple)):
        kind = type(obj).__name__
        raise InputError(f"{role}: observations must be a list, a tuple, an array or a Series, not {kind}")
    return list(values)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _load_source(
    spec: str,
    name: str,
    role: str,
    options: ReadOptions,
    open_stdin: Callable[[], BinaryIO] | None,
    stream: bool,
    opened: Opened | None = None,
) -> _Loaded:
    """A file or a stream, in any format the registry knows (compressed or not);
    ``opened``: the file as ``open_side`` opened it, not opened again.

    A stream is read in one pass, never copied (but Parquet, which needs the
    whole file): only its head is held while the sides are planned."""
    if stream and open_stdin is None and spec == "-":
        raise UsageError("standard input ('-') is only read by the command line")
    table = options.table(role)
    if opened is None:
        source = Source(spec, name, stated=table.input_format, open_stdin=open_stdin, one_pass=stream)
    else:
        source = opened.source.as_stated(table.input_format)
    if spec == "-" and source.compression is None and table.input_format is None:
        head = source.head.strip()
        if b"\n" not in head and head[:1] not in (b"[", b"{") and len(head) < (1 << 16):
            try:
                text = decode(head, options.encoding, name)
                return _Loaded(name, inline=split_inline(text.strip(), name))
            except InputError:
                pass  # not inline; let the table reader say what is wrong
    if source.format == "json":
        kept = None if opened is None else opened.document
        data = source.document(MAX_JSON_BYTES + 1) if kept is None else kept
        _check_json_size(len(data), name)
        value = parse_json_text(decode(data, options.encoding, name), name)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            import pandas as pd

            from .jsonrows import countable, refuse_row

            for number, row in enumerate(value, 1):
                if not all(map(countable, row.values())):
                    refuse_row(row, f"{name}: record {number}")
            return _Loaded(name, table=ChunkTable(name, None, table, frame=pd.DataFrame(value)))
        return _Loaded(name, json_value=value)
    return _Loaded(name, table=ChunkTable(name, source, table))


def _check_json_size(size: int, name: str) -> None:
    if size > MAX_JSON_BYTES:
        raise InputError(
            f"{name}: JSON input over {MAX_JSON_BYTES >> 20} MiB is not read (it would take many times its size in "
            "memory)",
            hint="give large data as CSV, which is read column by column",
        )


@dataclass(frozen=True)
class _Side:
    """One side as loaded, with its table plan (when it is a table)."""

    loaded: _Loaded
    role: str
    plan: Any = None

    @property
    def one_pass(self) -> bool:
        table = self.loaded.table
        return table is not None and table.source is not None and table.source.one_pass

    def labelled(self) -> bool | None:
        """Whether the side has labels, known before its data is read (None: its reader will say)."""
        loaded = self.loaded
        if loaded.inline is not None:
            return loaded.inline[1] is not None
        if loaded.table is not None:
            return not self.plan.numeric or self.plan.label is not None
        value = loaded.json_value
        if json_pair(value):
            value = value[self.role.lower()]
        if isinstance(value, dict):
            return True
        if isinstance(value, list) and value:
            return all(isinstance(v, str) for v in value)
        return None


def _planned(loaded: _Loaded, role: str, options: ReadOptions) -> _Side:
    return _Side(loaded, role, plan_table(loaded.table, role, options) if loaded.table is not None else None)


def _check_matchable(p: _Side, q: _Side) -> None:
    """Refuse labels on one side only before any data is read, so that a
    stream (even an endless one) is not read first. The message is
    ``align``'s, from one-category stand-ins of the two sides."""
    lp, lq = p.labelled(), q.labelled()
    if lp is None or lq is None or lp == lq:
        return
    one, label = np.ones(1), np.array(["x"], dtype=object)
    align(Histogram(one, label if lp else None, "P"), Histogram(one, label if lq else None, "Q"))


def _histogram(side: _Side, at_most: int | None = None) -> Histogram:
    loaded, role = side.loaded, side.role
    if loaded.inline is not None:
        return exact_histogram(*split_big(loaded.inline[0]), loaded.inline[1], loaded.name)
    if loaded.table is not None:
        other = "Q" if role == "P" else "P"
        want = Want(side.plan, loaded.label(role, side.plan.value), at_most=at_most, roles=(role, other))
        (histogram,) = read_sides(loaded.table, [want])
        return histogram
    value = loaded.json_value
    if json_pair(value):
        return histogram_from_json(value[role.lower()], _member(loaded, role))
    return histogram_from_json(value, loaded.name)


def _member(loaded: _Loaded, role: str) -> str:
    """The name of one side of a JSON pair {"p": ..., "q": ...}: its member, as a column."""
    return loaded.label(role, role.lower()) if loaded.origin is not None else f"{loaded.name} [{role.lower()}]"


def _sides(
    p_spec: Word, q_spec: Word | None, options: ReadOptions, open_stdin: Callable[[], BinaryIO]
) -> list[tuple[_Loaded, str]]:
    """P's and Q's sources, read as far as their format (a stream: its head).

    With ``q_spec`` omitted, P's source must hold both distributions: JSON
    ``{"p": ..., "q": ...}`` or a table with ``--p-column`` and ``--q-column``.
    """
    if isinstance(p_spec, str) and isinstance(q_spec, str) and one_stream(p_spec, q_spec):  # a file is no stream
        raise UsageError(
            "P and Q cannot both be read from one stream (standard input '-', a FIFO): it can be read only once"
        )
    loaded_p = _load(p_spec, "P", options, open_stdin)
    if q_spec is not None:
        return [(loaded_p, "P"), (_load(q_spec, "Q", options, open_stdin), "Q")]
    holds_both = json_pair(loaded_p.json_value) or (
        loaded_p.table is not None and bool(options.p_column and options.q_column)
    )
    if not holds_both:
        raise UsageError(
            "Q is missing",
            hint="give a second source, or one file holding both: "
            'JSON {"p": ..., "q": ...} or a table with --p-column and --q-column',
        )
    return [(replace(loaded_p, name=side_label(role, loaded_p.origin)), role) for role in ("P", "Q")]


def load_pair(
    p_spec: Word,
    q_spec: Word | None,
    options: ReadOptions,
    open_stdin: Callable[[], BinaryIO],
) -> tuple[Histogram, Histogram]:
    """Read P and Q from command-line words (inline text, a path or ``-``).

    Each table is read once, in chunks, for every side it serves. Whether
    the sides can be matched (labels on both, or on neither) is settled
    before any data is read; two positional sides read a stream last,
    stopping as soon as it holds more values than the other side."""
    (lp, rp), (lq, rq) = _sides(p_spec, q_spec, options, open_stdin)
    p, q = _planned(lp, rp, options), _planned(lq, rq, options)
    # Sides already in memory (inline, JSON) first, so their own errors come first.
    held = {side.role: _histogram(side) for side in (p, q) if side.loaded.table is None}
    _check_matchable(p, q)
    if len(held) == 2:
        return held["P"], held["Q"]
    if held:
        known = next(iter(held.values()))
        side = q if "P" in held else p
        at_most = len(known) if side.labelled() is False and known.labels is None else None
        read = _histogram(side, at_most=at_most if side.one_pass else None)
        return (known, read) if "P" in held else (read, known)
    if lp.table is not None and lp.table is lq.table:
        # One table holds both sides: read the columns of both in one go.
        hp, hq = read_sides(
            lp.table, [Want(p.plan, lp.label("P", p.plan.value)), Want(q.plan, lq.label("Q", q.plan.value))]
        )
        return hp, hq
    if p.labelled() is False and q.labelled() is False and p.one_pass != q.one_pass:
        if p.one_pass:
            hq = _histogram(q)
            return _histogram(p, at_most=len(hq)), hq
        hp = _histogram(p)
        return hp, _histogram(q, at_most=len(hp))
    if lp.table is not None and lq.table is not None:
        # Two tables: Q is read by a second thread while P is read, so the two
        # cores parse both files at once (Arrow releases the GIL as it parses).
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix="kl-cli-q")
        try:
            q_side = pool.submit(_histogram, q)
            hp = _histogram(p)  # P's error, if any, is the one reported
            return hp, q_side.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # never wait on a stuck read
    return _histogram(p), _histogram(q)


def load_samples(
    p_spec: Word,
    q_spec: Word | None,
    options: ReadOptions,
    open_stdin: Callable[[], BinaryIO],
) -> tuple[tuple[np.ndarray, str], tuple[np.ndarray, str]]:
    """Read P and Q as raw numeric observations (``compare --samples``).

    Returns (values, source name) for each side; empty cells and JSON nulls
    are NaN, i.e. missing.
    """
    (lp, rp), (lq, rq) = _sides(p_spec, q_spec, options, open_stdin)
    wants = [_sample_want(lp, rp, options), _sample_want(lq, rq, options)]
    if lp.table is not None and lp.table is lq.table:
        hp, hq = read_sides(lp.table, wants)  # type: ignore[arg-type]
        return hp, hq
    return _samples(lp, rp, wants[0]), _samples(lq, rq, wants[1])


def _sample_want(loaded: _Loaded, role: str, options: ReadOptions) -> Want | None:
    """What to read of a table side for --samples (None for inline and JSON)."""
    if loaded.table is None:
        return None
    plan = plan_table(loaded.table, role, options, labels=False)
    if not plan.numeric:
        raise InputError(
            f"{loaded.name}: column {show_label(plan.value)} holds text, not numbers",
            hint="--samples bins numeric observations; without it, text observations are counted",
        )
    return Want(plan, loaded.label(role, plan.value), samples=True)


def _samples(loaded: _Loaded, role: str, want: Want | None) -> tuple[np.ndarray, str]:
    name = loaded.name
    if loaded.inline is not None:
        values, labels = loaded.inline
        if labels is not None:
            raise InputError(f"{name}: --samples takes plain numbers (observations), not label=value pairs")
        floats, big = split_big(values)
        if big:
            i = min(big)
            raise InputError(f"{name}: item {i + 1} is {show_integer(big[i])}, beyond the range of a float")
        return floats, name  # observations as given: any sign, any size
    if want is not None:
        (values_name,) = read_sides(loaded.table, [want])
        return values_name
    value = loaded.json_value
    if json_pair(value):
        value, name = value[role.lower()], _member(loaded, role)
    if not isinstance(value, list) or not value:
        raise InputError(f"{name}: --samples needs a non-empty JSON list of numbers")
    numbers = [np.nan if v is None else _json_number(v, f"{name}: item {i + 1}") for i, v in enumerate(value)]
    floats, big = split_big(numbers)
    if big:
        i = min(big)
        raise InputError(f"{name}: item {i + 1} is {show_integer(big[i])}, beyond the range of a float")
    return floats, name


def load_sample_side(
    spec: Word, role: str, options: ReadOptions, open_stdin: Callable[[], BinaryIO] | None
) -> tuple[np.ndarray, str]:
    """One side's raw numeric observations (the other side is a parametric
    distribution): (values, source name), missing values as NaN."""
    loaded = _load(spec, role, options, open_stdin)
    return _samples(loaded, role, _sample_want(loaded, role, options))


def load_sample_vectors(
    spec: Word, role: str, columns: list[str], options: ReadOptions, open_stdin: Callable[[], BinaryIO] | None
) -> tuple[np.ndarray, str, int]:
    """One side's numeric columns as vectors, shape (rows, len(columns)), read
    in one pass: (values, source name, rows left out for a missing value)."""
    loaded = _load(spec, role, options, open_stdin)
    if loaded.table is None:
        raise InputError(f"{loaded.name}: --columns reads columns of a table (CSV, TSV, JSON lines, Parquet)")
    wants = []
    for column in columns:
        one = replace(options, column=column, p_column=None, q_column=None)
        wants.append(_sample_want(loaded, role, one))
    read = read_sides(loaded.table, wants)
    values = np.column_stack([np.asarray(v, dtype=np.float64) for v, _ in read])
    missing = np.isnan(values).any(axis=1)
    return values[~missing], loaded.label(role, ",".join(columns)), int(missing.sum())


def to_histogram(obj: Any, role: str, options: ReadOptions | None = None) -> Histogram:
    """A ``Histogram`` from a list, tuple, dict, numpy array, pandas Series,
    ``Histogram`` or a command-line style string (inline, path)."""
    options = options or ReadOptions()
    if isinstance(obj, Histogram):
        return obj
    if is_word(obj):
        loaded = _load(obj, role, options, no_stdin)
        return _histogram(_planned(loaded, role, options))
    if isinstance(obj, Mapping):
        numbers = [_json_number(v, f"{role}: label {show_label(k)}") for k, v in obj.items()]
        return exact_histogram(*split_big(numbers), [str(k) for k in obj], role)
    index = getattr(obj, "index", None)
    if index is not None and hasattr(obj, "to_numpy"):  # a pandas Series
        values = obj.to_numpy()
        positional = type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1
        if values.dtype.kind in "OUST":
            return count_observations(values.astype(object), role)
        return make_histogram(values, None if positional else [str(x) for x in index], role)
    if isinstance(obj, (list, tuple)) and obj and all(type(v) in (int, float) for v in obj):
        return exact_histogram(*split_big(list(obj)), None, role)  # integers kept exact at any size
    arr = np.asarray(obj)
    if arr.dtype.kind in "OUS" and all(isinstance(v, str) for v in arr.tolist()):
        return count_observations(arr.astype(object), role)
    return make_histogram(arr, None, role)


def no_stdin() -> bytes:
    raise UsageError("standard input ('-') is only read by the command line")
