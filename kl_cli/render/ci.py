"""What the CI formats (junit, github) say of a drift report's columns.

A column is judged by its own ``metric`` and ``threshold`` (the command's,
or its rule's from a configuration file). The figures and the largest
changes are worded here once, for a JUnit failure and a GitHub annotation alike.
"""

from __future__ import annotations

import math

from ..reports.drift import ColumnDrift, DriftReport
from ..text import pct


def one_sided(report: DriftReport) -> list[tuple[str, str]]:
    """The columns of only one of the two datasets (never compared), each with why."""
    out = [(n, "only in the reference (not compared)") for n in report.only_in_reference]
    return out + [(n, "only in the current data (not compared)") for n in report.only_in_current]


def changes(column: ColumnDrift) -> list[str]:
    """The report's largest changes of a column, 'label: 9% → 21%', largest first."""
    return [f"{t['label']}: {pct(t['reference'])} → {pct(t['current'])}" for t in column.top()]


def relative_size(c: ColumnDrift) -> float:
    """A column's value over its own threshold (columns may be judged by
    different metrics: only this ratio compares them); infinite for an
    infinite value, or a positive value over a threshold of 0."""
    value = c.value if c.value is not None else 0.0
    if math.isinf(value):
        return math.inf
    if c.threshold <= 0:
        return math.inf if value > 0 else 0.0
    return value / c.threshold


def by_size(report: DriftReport) -> list[ColumnDrift]:
    """The drifted columns, the largest relative to its own threshold first
    (``relative_size``; infinite ones first of all), ties by column name."""
    drifted = [c for c in report.columns if c.drifted]
    return sorted(drifted, key=lambda c: (-relative_size(c), c.column))
