"""The matrix pipeline and its result: read many distributions -> align ->
smooth/normalize -> every pair -> (cluster) -> report.

``run_matrix`` is what the CLI and the Python API both run; ``MatrixReport``
is plain data (``to_dict()`` is ``--format json``), rendered elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from ..core.histogram import Histogram, align_many, normalization_notes
from ..core.matrix import pairwise, zero_in_q
from ..core.smoothing import Smoothing, smooth
from ..errors import InputError, UsageError
from ..text import finite_or_none, show_label, show_labels, show_total
from ..vocabulary import MAX_MATRIX, MAX_MATRIX_CELLS, MAX_MATRIX_WORK, METRIC_NAMES, PAIR_METRICS, UNITS
from ..vocabulary import SYMMETRIC_METRICS as SYMMETRIC

ORDERS = ("input", "cluster")
# Optimal leaf ordering costs time that grows with the cube of the number of
# distributions (7 s at 1,000, 90 s at 2,000); beyond this the leaves keep
# the linkage's own order, and the report says so.
MAX_OPTIMAL_ORDERING = 1_000
# Infinite entries listed with their causes in a report (the count is always given).
MAX_INFINITE_SHOWN = 20
# Labels named per infinite entry.
MAX_CAUSE_LABELS = 5
INFINITE_WHY = {
    "kl_pq": "the column's distribution gives probability 0 to a category where the row's is positive",
    "jeffreys": "one of the two gives probability 0 to a category where the other is positive",
}
INFINITE_WHY["cross_entropy_pq"] = INFINITE_WHY["kl_pq"]
INFINITE_WHY["kl_qp"] = INFINITE_WHY["cross_entropy_qp"] = (
    "the row's distribution gives probability 0 to a category where the column's is positive"
)


@dataclass(frozen=True)
class Infinite:
    """One infinite entry and its cause: categories one side gives 0 and the other not."""

    row: int
    column: int
    zero_side: str  # "row" or "column": the distribution with the zeros
    labels: list[str]
    count: int


@dataclass(frozen=True)
class MatrixReport:
    """Pairwise values of one metric; rows and columns in ``order`` (the same order)."""

    names: list[str]
    metric: str
    base: str
    smoothing: Smoothing
    matrix: np.ndarray  # matrix[i, j] = metric(P = names[i], Q = names[j])
    order: str
    positions: list[int]  # each shown distribution's position in the input
    categories: int
    infinite: list[Infinite]
    infinite_count: int
    linkage: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def symmetric(self) -> bool:
        return self.metric in SYMMETRIC

    @property
    def unit(self) -> str | None:
        return None if self.metric in ("total_variation", "hellinger") else UNITS[self.base]

    @property
    def orientation(self) -> str:
        if self.symmetric:
            return "symmetric: entry (row, column) equals (column, row)"
        name = METRIC_NAMES[self.metric].replace("P", "row").replace("Q", "column").replace("‖", "||")
        return f"rows are P, columns are Q: entry (row, column) = {name}"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: infinite entries are null, and named in ``infinite``."""
        return {
            "names": list(self.names),
            "metric": self.metric,
            "base": self.base,
            "unit": self.unit,
            "smoothing": {"method": self.smoothing.method, "parameter": self.smoothing.parameter},
            "orientation": self.orientation,
            "symmetric": self.symmetric,
            "order": self.order,
            "input_positions": list(self.positions),
            "linkage": self.linkage,
            "categories": self.categories,
            "matrix": [[finite_or_none(v) for v in row] for row in self.matrix.tolist()],
            "infinite_count": self.infinite_count,
            "infinite_cause": INFINITE_WHY.get(self.metric),
            "infinite": [
                {
                    "row": self.names[e.row],
                    "column": self.names[e.column],
                    "zero_in": e.zero_side,
                    "categories": e.labels,
                    "category_count": e.count,
                }
                for e in self.infinite
            ],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def unique_names(names: list[str]) -> list[str]:
    """Names made unique: a repeated one gets " (2)", " (3)", ... (never a name already taken)."""
    taken = set(names)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name not in seen:
            seen[name] = 1
            out.append(name)
            continue
        n = seen[name]
        while True:
            n += 1
            candidate = f"{name} ({n})"
            if candidate not in taken:
                break
        seen[name] = n
        taken.add(candidate)
        out.append(candidate)
    return out


def _probabilities(
    histograms: list[Histogram], names: list[str], smoothing: Smoothing
) -> tuple[np.ndarray, np.ndarray | None, list[str], list[str]]:
    """Align and normalize (smoothing each distribution alike): (probabilities,
    labels, notes, warnings); what compare says of each side, said once for all."""
    aligned = align_many(histograms)
    notes: list[str] = []
    warnings: list[str] = []
    counts, odd = [], []
    for h, name in zip(histograms, names):
        warnings += h.warnings
        notes += h.notes
        side_notes, side_warnings = normalization_notes(h, name)
        if side_warnings:
            odd.append(name)
        elif side_notes:
            counts.append(f"{show_label(name)} (total {show_total(h.total)})")
    if counts:
        more = f" and {len(counts) - 3} more" if len(counts) > 3 else ""
        notes.append(f"counts normalized to probabilities: {', '.join(counts[:3])}{more}")
    if odd:
        warnings.append(
            f"{len(odd)} distribution{'s' if len(odd) > 1 else ''} ({show_labels(odd)}) "
            "do not sum to 1 and are not whole counts; normalized to sum 1"
        )
    notes, warnings = list(dict.fromkeys(notes)), list(dict.fromkeys(warnings))
    _check_size(*aligned.weights.shape)
    rows = [smooth(w, smoothing, e, u).values for w, e, u in zip(aligned.weights, aligned.exponents, aligned.unscaled)]
    return np.vstack(rows), aligned.labels, notes, warnings


def _check_size(rows: int, cells: int) -> None:
    if rows > MAX_MATRIX:
        raise InputError(f"{rows:,} distributions; a matrix holds at most {MAX_MATRIX:,}")
    if rows * cells > MAX_MATRIX_CELLS:
        raise InputError(
            f"{rows:,} distributions over {cells:,} categories; a matrix holds at most "
            f"{MAX_MATRIX_CELLS:,} (2^27) values in memory"
        )


def _row_probabilities(weights: np.ndarray, smoothing: Smoothing, name: str) -> np.ndarray:
    probs = smooth(weights, smoothing).values
    lost = (weights > 0) & (probs == 0)
    if lost.any() or not np.isfinite(probs).all():
        i = int(np.argmax(lost.any(axis=1) | ~np.isfinite(probs).all(axis=1)))
        raise InputError(
            f"{name}: row {i}: its values span too wide a range to be normalized in floats",
            hint="kl-cli compares weights whose ratios are within about 1e300",
        )
    return probs


def cluster_order(matrix: np.ndarray, symmetric: bool) -> tuple[list[int], list[str]]:
    """Leaves of average-linkage clustering (scipy, optimal leaf ordering up to
    ``MAX_OPTIMAL_ORDERING`` distributions) on
    the condensed matrix: similar distributions next to each other. An
    asymmetric matrix is clustered on its symmetrized form (M + M^T) / 2;
    infinite entries count as twice the largest finite one."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    notes = []
    d = matrix if symmetric else (matrix + matrix.T) / 2
    if not symmetric:
        notes.append("clustered on the symmetrized matrix (M + M^T) / 2")
    d = np.array(d, dtype=np.float64)
    if np.isinf(d).any():
        finite = d[np.isfinite(d)]
        top = float(finite.max()) if finite.size else 0.0
        stand_in = 2 * top if top > 0 else 1.0
        d[np.isinf(d)] = stand_in
        why = "twice the largest finite one" if top > 0 else "no entry between two distributions is finite"
        notes.append(f"infinite entries clustered as {stand_in:.6g} ({why})")
    np.fill_diagonal(d, 0.0)
    if len(d) < 3:
        return list(range(len(d))), [*notes, "two distributions: every order is the same, so the input order is kept"]
    optimal = len(d) <= MAX_OPTIMAL_ORDERING
    if not optimal:
        notes.append(
            f"more than {MAX_OPTIMAL_ORDERING:,} distributions: leaves in the linkage's order, without optimal "
            "leaf ordering (its cost grows with the cube of their number)"
        )
    tree = linkage(squareform(d, checks=False), method="average", optimal_ordering=optimal)
    return [int(i) for i in leaves_list(tree)], notes


def _infinite(
    matrix: np.ndarray, probs: np.ndarray, labels: np.ndarray | None, metric: str
) -> tuple[list[Infinite], int]:
    where = np.argwhere(np.isinf(matrix))
    out = []
    for i, j in where[:MAX_INFINITE_SHOWN].tolist():
        if metric in ("kl_qp", "cross_entropy_qp"):
            zero_side, at = "row", zero_in_q(probs[j], probs[i])
        else:
            zero_side, at = "column", zero_in_q(probs[i], probs[j])
            if not at.size:  # jeffreys: the other way round
                zero_side, at = "row", zero_in_q(probs[j], probs[i])
        shown = [str(k) if labels is None else str(labels[k]) for k in at[:MAX_CAUSE_LABELS].tolist()]
        out.append(Infinite(i, j, zero_side, shown, int(at.size)))
    return out, int(where.shape[0])


def run_matrix(
    sources: list[Any],
    *,
    rows: bool = False,
    key: str | None = None,
    names: str | list[str] | None = None,
    columns: str | list[str] | None = None,
    column: str | None = None,
    label_column: str | None = None,
    metric: str = "js_distance",
    base: str | int | float = "e",
    smoothing: str | Smoothing = "none",
    alpha: float | None = None,
    epsilon: float | None = None,
    lambda_: float | None = None,
    order: str = "input",
    encoding: str = "utf-8",
    input_format: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
) -> MatrixReport:
    """Every pair of distributions under ``metric``.

    ``sources``: one table (its numeric columns are the distributions, over
    its label column), two or more sources (each one distribution, read as
    compare reads a side: inline lists, files, Python objects), or with
    ``rows`` one array file whose rows are the distributions (also a single
    2-D numpy array). Keyword names are ``kl-cli matrix``'s options.
    """
    from ..inputs.many import is_array_file
    from ..inputs.tables import ReadOptions
    from .options import check_base, column_names, smoothing_from

    if metric not in PAIR_METRICS:
        raise UsageError(f"--metric must be one of {', '.join(PAIR_METRICS)} (a matrix compares two), got {metric!r}")
    if order not in ORDERS:
        raise UsageError(f"--order must be input or cluster, got {order!r}")
    sm = smoothing_from(smoothing, alpha, epsilon, lambda_)
    base = check_base(base)
    wanted = column_names(columns) or None
    given_names = column_names(names) or None
    read = ReadOptions(
        column=column,
        label_column=label_column,
        encoding=encoding,
        input_format=input_format,
        delimiter=delimiter,
        header=header,
    )
    if not sources:
        raise UsageError("no sources: give a table, two or more distributions, or an array with --rows")
    one = sources[0] if len(sources) == 1 else None
    if rows or (isinstance(one, np.ndarray) and one.ndim == 2) or is_array_file(one):
        for flag, value in (("--columns", wanted), ("--column", column), ("--label-column", label_column)):
            if value:
                raise UsageError(f"{flag} applies to a table's columns, not to --rows")
        probs, labels, shown, notes, warnings = _from_rows(sources, key, given_names, sm)
    else:
        for flag, value in (("--key", key), ("--names", given_names)):
            if value is not None:
                raise UsageError(f"{flag} applies to --rows (an array whose rows are the distributions)")
        probs, labels, shown, notes, warnings = _from_sources(sources, read, open_stdin, wanted, sm)
    if len(probs) < 2:
        raise InputError("a matrix needs at least two distributions, and only one was given")
    if sm.method != "none":
        notes.append(
            f"every distribution smoothed over the {probs.shape[1]:,} categories of all of them: {sm.describe()} "
            "(compare of one pair smooths over that pair's categories)"
        )
    n, k = probs.shape
    if n * (n - 1) // 2 * k > MAX_MATRIX_WORK:
        raise InputError(
            f"{n:,} distributions of {k:,} categories: {n * (n - 1) // 2 * k:.2g} pair-category evaluations, "
            f"more than the {MAX_MATRIX_WORK:.0e} a matrix runs (minutes)",
            hint="fewer distributions (--columns), or fewer categories",
        )
    matrix = pairwise(probs, metric, base)
    infinite, count = _infinite(matrix, probs, labels, metric)
    positions = list(range(len(probs)))
    linkage = None
    if order == "cluster":
        positions, cluster_notes = cluster_order(matrix, metric in SYMMETRIC)
        notes += cluster_notes
        linkage = "average"
        if len(positions) > MAX_OPTIMAL_ORDERING:
            linkage = "average (without optimal leaf ordering)"
        matrix = matrix[np.ix_(positions, positions)]
        where = {old: new for new, old in enumerate(positions)}
        infinite = [Infinite(where[e.row], where[e.column], e.zero_side, e.labels, e.count) for e in infinite]
    unique = unique_names(shown)
    names_in_order = [unique[i] for i in positions]
    if count > len(infinite):
        notes.append(f"{count:,} infinite entries; the first {len(infinite)} are listed with their causes")
    return MatrixReport(
        names=names_in_order,
        metric=metric,
        base=base,
        smoothing=sm,
        matrix=matrix,
        order=order,
        positions=positions,
        categories=int(probs.shape[1]),
        infinite=infinite,
        infinite_count=count,
        linkage=linkage,
        notes=notes,
        warnings=warnings,
    )


# What reading gives: (probabilities, labels, names, notes, warnings).
Read = tuple[np.ndarray, np.ndarray | None, list[str], list[str], list[str]]


def _from_rows(sources: list[Any], key: str | None, names: list[str] | None, sm: Smoothing) -> Read:
    """The rows of one array (a file, or a numpy array from the API):
    (probabilities, labels, names, notes, warnings)."""
    from ..inputs.many import checked_rows, load_rows

    if len(sources) != 1:
        raise UsageError("--rows takes one array file, whose rows are the distributions")
    spec = sources[0]
    if isinstance(spec, str):
        weights, where = load_rows(spec, key), spec
    else:
        weights, where = checked_rows(np.asarray(spec), "the array"), "the array"
    _check_size(*weights.shape)
    shown = [f"row{i}" for i in range(len(weights))]
    if names is not None:
        if len(names) != len(weights):
            raise UsageError(f"--names gives {len(names)} names for {len(weights)} rows")
        shown = names
    return _row_probabilities(weights, sm, where), None, shown, [f"{where}: each row normalized to sum 1"], []


def _from_sources(
    sources: list[Any],
    read: Any,
    open_stdin: Callable[[], BinaryIO] | None,
    wanted: list[str] | None,
    sm: Smoothing,
) -> Read:
    """One table's numeric columns, or one distribution per source."""
    from ..inputs.many import load_columns, load_sources

    if len(sources) == 1:
        if not isinstance(sources[0], str):
            raise UsageError("one source must be a table file whose numeric columns are the distributions")
        if read.column is not None:
            raise UsageError(
                "--column picks the value column of each of several sources; one table's columns are chosen "
                "with --columns"
            )
        histograms, shown, unused = load_columns(sources[0], read, open_stdin, wanted)
        extra = [f"{sources[0]}: columns not used: {', '.join(show_label(c) for c in unused)}"] if unused else []
    else:
        if wanted:
            raise UsageError("--columns chooses the columns of one table; with several sources give one source")
        histograms = load_sources(list(sources), read, open_stdin)
        shown = ["stdin" if s == "-" else s if isinstance(s, str) else h.source for s, h in zip(sources, histograms)]
        extra = []
    _check_size(len(histograms), 0)
    probs, labels, notes, warnings = _probabilities(histograms, shown, sm)
    return probs, labels, shown, extra + notes, warnings
