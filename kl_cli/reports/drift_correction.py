"""drift's permutation p-values across columns: adjusted, and what they can and cannot tell.

With a permutation test a column drifts only when its metric exceeds the
threshold and its p-value, adjusted across the columns tested
(``core.multiple``), is below ``--significance``. Two warnings say when that
rule is weaker than it looks: too few permutations for any column ever to be
significant after the correction, and a column whose expected metric under no
change (the permutation null mean) is already above the threshold. Without a
permutation test the same warning comes from the plug-in bias at these sample
sizes (``core.null_bias``, an approximation that costs nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..core.multiple import adjust, alone_factor, permutations_needed, smallest_p
from ..errors import UsageError
from ..text import number
from ..vocabulary import CORRECTIONS


def correction_from(correction: str | None, permutations: int) -> str | None:
    """The correction in force: ``holm`` by default with permutations, none
    without (where asking for one is a usage error: it would do nothing)."""
    if correction is not None and correction not in CORRECTIONS:
        raise UsageError(f"--correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}")
    if not permutations:
        if correction is not None:
            raise UsageError(
                "--correction adjusts permutation p-values across columns: it needs --permutations N",
                hint="add --permutations 999, or leave out --correction",
            )
        return None
    return correction or "holm"


def adjusted(p_values: list[float], method: str) -> list[float]:
    """The columns' p-values adjusted across them by ``method``."""
    return [float(p) for p in adjust(p_values, method)]


def too_few(tests: int, permutations: int, significance: float, method: str) -> list[str]:
    """Too few permutations for a column to be flagged: the smallest p-value
    is 1/(N + 1), and the correction multiplies it by up to ``tests``."""
    n, s = permutations, significance
    smallest = smallest_p(n)
    alone = alone_factor(method, tests)
    best = smallest if method == "bh" else min(1.0, alone * smallest)  # bh: when every column is that small
    alone_enough = permutations_needed(alone, s)
    if best >= s:
        adjusted = "" if method == "none" else f", adjusted for {tests} columns ({method}) {number(best, 3)},"
        return [
            f"--permutations {n} are too few: the smallest p-value, 1/{n + 1} = {number(smallest, 3)}{adjusted} "
            f"is never below --significance {number(s)}, so no column can be flagged; "
            f"use --permutations {alone_enough} or more"
        ]
    if alone * smallest >= s:  # bh: only several small p-values together
        together = math.floor(alone * smallest / s) + 1
        return [
            f"with bh over {tests} columns, --permutations {n} can flag a column only when at least {together} "
            f"columns have p-values near the smallest, 1/{n + 1} = {number(smallest, 3)}; "
            f"--permutations {alone_enough} or more let a single column be flagged"
        ]
    return []


def noise_above_threshold(
    column: str, numeric: bool, rows: tuple[int, int], metric: str, null_mean: float, threshold: float
) -> list[str]:
    """A column's metric under no change at all, on average at these sample
    sizes (``null_mean``, of the permutations), is already above the threshold."""
    if not (math.isinf(null_mean) or null_mean > threshold):
        return []
    fewer = _fewer(numeric)
    return [
        f"column {column!r}: with no change at all, {metric} would be {number(null_mean, 3)} on average at "
        f"these sample sizes ({rows[0]} / {rows[1]} rows; the permutation null mean), above the threshold "
        f"{number(threshold)}: the threshold cannot tell drift from noise here, only the p-value does; "
        f"more rows or {fewer} make the threshold meaningful"
    ]


def _fewer(numeric: bool) -> str:
    return "fewer bins (--bins)" if numeric else "fewer categories (group the rare ones)"


def bias_above_threshold(
    column: str,
    numeric: bool,
    rows: tuple[float, float],
    categories: int,
    metric: str,
    value: float,
    bias: float,
    threshold: float,
) -> list[str]:
    """Without permutations: a column over the threshold whose metric under no
    change, estimated by the plug-in bias at these sample sizes, is already
    above it (a column within the threshold was not flagged by noise)."""
    if not (bias > threshold and (math.isinf(value) or value > threshold)):
        return []
    return [
        f"column {column!r}: {metric} {number(value, 3)} is above the threshold {number(threshold)}, but with no "
        f"change at all it would be about {number(bias, 3)} on average at these sample sizes ({number(rows[0])} / "
        f"{number(rows[1])} rows over {categories} categories; the plug-in bias, from the chi-square approximation): "
        f"noise alone can flag this column; more rows, {_fewer(numeric)}, or --permutations N (the column is then "
        "judged by its p-value) make the verdict meaningful"
    ]


def noise_without_permutations(tested: Sequence[Any], settings: Any) -> list[str]:
    """The plug-in bias warnings of drift's compared columns (``ColumnDrift``,
    with ``DriftSettings``) when there is no permutation test to show the null
    mean; none with smoothing, which changes the bias."""
    from ..core.null_bias import expected_under_no_change

    if settings.resampling.permutations or settings.smoothing.method != "none":
        return []
    out = []
    for c in tested:
        r = c.comparison
        bias = expected_under_no_change(c.metric, r.p, r.q, r.n_p or 0, r.n_q or 0, settings.base)
        if bias is not None:
            categories = int(((r.p > 0) | (r.q > 0)).sum())
            rows = (r.n_p, r.n_q)
            numeric, value = c.type == "numeric", r.metrics[c.metric]
            warned = bias_above_threshold(c.column, numeric, rows, categories, c.metric, value, bias, c.threshold)
            # One message per problem: this one replaces the comparison's small-sample warning.
            c.bias_warned = bool(warned)
            out += warned
    return out
