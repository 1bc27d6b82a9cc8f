"""drift's permutation p-values across columns: adjusted, and what they can and cannot tell.

With a permutation test a column drifts only when its metric exceeds the
threshold and its p-value, adjusted across the columns tested
(``core.multiple``), is below ``--significance``. Two warnings say when that
rule is weaker than it looks: too few permutations for any column ever to be
significant after the correction, and a column whose expected metric under no
change (the permutation null mean) is already above the threshold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..core.multiple import adjust, alone_factor, permutations_needed, smallest_p
from ..errors import UsageError
from ..text import number
from ..vocabulary import CORRECTIONS

if TYPE_CHECKING:
    from .drift import ColumnDrift, DriftSettings


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


def correct(tested: list[ColumnDrift], settings: DriftSettings) -> list[str]:
    """Set every tested column's adjusted p-value; return the warnings about
    what the test can tell at these sizes."""
    method = settings.correction
    if method is None:
        return []
    raw = [c.p_value for c in tested]
    if any(p is None for p in raw):  # not reached: every compared column is tested
        return []
    for c, p in zip(tested, adjust(raw, method), strict=True):  # type: ignore[arg-type]
        c.p_adjusted = float(p)
    return [*_too_few(len(tested), settings), *(w for c in tested for w in _noise_above_threshold(c, settings))]


def _too_few(tests: int, settings: DriftSettings) -> list[str]:
    """Too few permutations for a column to be flagged: the smallest p-value
    is 1/(N + 1), and the correction multiplies it by up to ``tests``."""
    n, s, method = settings.resampling.permutations, settings.significance, settings.correction
    assert method is not None
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


def _noise_above_threshold(c: ColumnDrift, settings: DriftSettings) -> list[str]:
    """The column's metric under no change at all, on average at these
    sample sizes, is already above the threshold."""
    test = None if c.comparison is None else c.comparison.test
    if test is None:
        return []
    null = test.null_mean[settings.metric]
    if not (math.isinf(null) or null > settings.threshold):
        return []
    fewer = "fewer bins (--bins)" if c.type == "numeric" else "fewer categories (group the rare ones)"
    return [
        f"column {c.column!r}: with no change at all, {settings.metric} would be {number(null, 3)} on average at "
        f"these sample sizes ({c.n_reference} / {c.n_current} rows; the permutation null mean), above the threshold "
        f"{number(settings.threshold)}: the threshold cannot tell drift from noise here, only the p-value does; "
        f"more rows or {fewer} make the threshold meaningful"
    ]
