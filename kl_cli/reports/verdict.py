"""``--fail-above``'s verdict, built in one place and stated by every format
that can hold it: the figure checked, the limit, its value, exceeded or not.

The check itself (infinite is always over; nothing to compare is trouble) is
the command line's (``cli.options.exceeded``); the verdict records its outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..text import exact, finite_or_none, number


@dataclass(frozen=True)
class Verdict:
    """The outcome of ``--fail-above LIMIT`` on one figure.

    ``metric`` is the metric (or estimator) id; ``of`` says how the figure is
    taken from it, as (option, value) pairs: ``(("stat", "mean"),)`` for
    batch, ``(("stat", "mean"), ("per", "token"))`` for sampled."""

    metric: str
    limit: float
    value: float
    exceeded: bool
    of: tuple[tuple[str, str], ...] = ()

    @property
    def figure(self) -> str:
        """The figure in words: ``kl_pq``, ``kl_pq (mean)``, ``k3 (mean, per token)``."""
        how = ", ".join(v if k == "stat" else f"{k} {v}" for k, v in self.of)
        return f"{self.metric} ({how})" if how else self.metric

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``fail_above``: infinite numbers are null and named in ``infinite``."""
        return {
            "metric": self.metric,
            **dict(self.of),
            "limit": finite_or_none(self.limit),
            "value": finite_or_none(self.value),
            "exceeded": self.exceeded,
            "infinite": [k for k in ("limit", "value") if math.isinf(getattr(self, k))],
        }

    def sentence(self) -> str:
        """One line: the limit, the value, and whether it was exceeded, with the exit status."""
        limit, value = number(self.limit), number(self.value)
        if limit == value and self.limit != self.value:  # rounding would hide the difference
            limit, value = exact(self.limit), exact(self.value)
        status = "exit status 1" if self.exceeded else "exit status 0"
        if math.isinf(self.value):
            shown = f"{self.figure} is infinite, above any limit"
        else:
            shown = f"{self.figure} = {value} is {'above' if self.exceeded else 'within'} the limit"
        return f"--fail-above {limit}: {shown} ({status})."

    def csv_columns(self) -> tuple[list[str], list[str]]:
        """Columns added to every row of a CSV report (so it stays one rectangular
        table): their header and their cells, numbers exact, ``inf`` spelled."""
        header = ["fail_above_metric", *(f"fail_above_{k}" for k, _ in self.of)]
        header += ["fail_above_limit", "fail_above_value", "fail_above_exceeded"]
        cells = [self.metric, *(v for _, v in self.of), exact(self.limit), exact(self.value)]
        return header, [*cells, "true" if self.exceeded else "false"]


def fail_above_verdict(
    limit: float | None, value: float | None, exceeded: bool, metric: str, **of: str
) -> Verdict | None:
    """The verdict of ``--fail-above`` (None when it was not given): the
    one function every command builds its verdict with."""
    if limit is None or value is None:
        return None
    return Verdict(metric, float(limit), float(value), exceeded, tuple(of.items()))


def with_verdict(data: dict[str, Any], verdict: Verdict | None) -> dict[str, Any]:
    """A JSON report with the ``fail_above`` object added when there is a verdict."""
    return data if verdict is None else {**data, "fail_above": verdict.to_dict()}


def csv_with_verdict(
    header: list[str], rows: list[list[str]], verdict: Verdict | None
) -> tuple[list[str], list[list[str]]]:
    """A CSV table with the verdict's columns on every row (unchanged without a verdict)."""
    if verdict is None:
        return header, rows
    extra, cells = verdict.csv_columns()
    return [*header, *extra], [[*row, *cells] for row in rows]
