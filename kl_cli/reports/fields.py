"""JSON fields that several reports share, written in one place each.

- ``resampling_fields``: a permutation test and a bootstrap (compare, the
  nearest-neighbour report);
- ``figures_fields``: the whole report of metrics that each carry a method
  (two parametric distributions, a nearest-neighbour estimate), with
  compare's keys in compare's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..core.significance import Intervals, PermutationTest
from ..text import finite_or_none
from ..vocabulary import METRICS

if TYPE_CHECKING:
    from ..core.parametric.families import Distribution
    from ..core.parametric.integrals import Figure


def resampling_fields(test: PermutationTest | None, intervals: Intervals | None) -> dict[str, Any]:
    """``test``, ``bootstrap`` and ``intervals`` of a report (None where not run);
    the metrics are those the test or the bootstrap covered."""
    return {
        "test": None
        if test is None
        else {
            "permutations": test.permutations,
            "seed": test.seed,
            "p_value": dict(test.p_value),
            "null_mean": {k: finite_or_none(v) for k, v in test.null_mean.items()},
            "monte_carlo_error": {k: test.monte_carlo_error(k) for k in test.p_value},
        },
        "bootstrap": None
        if intervals is None
        else {"resamples": intervals.resamples, "confidence": intervals.confidence, "seed": intervals.seed},
        "intervals": None
        if intervals is None
        else {k: [finite_or_none(lo), finite_or_none(hi)] for k, (lo, hi) in intervals.bounds.items()},
    }


class FiguresReport(Protocol):
    """What a report of metrics with methods holds (``ParametricComparison``, ``EstimateComparison``)."""

    @property
    def p_source(self) -> str: ...
    @property
    def q_source(self) -> str: ...
    @property
    def p_distribution(self) -> Distribution | None: ...
    @property
    def q_distribution(self) -> Distribution | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def base(self) -> str: ...
    @property
    def metrics(self) -> dict[str, float]: ...
    @property
    def methods(self) -> dict[str, Figure]: ...
    @property
    def not_estimated(self) -> dict[str, str]: ...
    @property
    def infinite(self) -> list[str]: ...
    @property
    def differential(self) -> bool: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    def explanation(self) -> list[str]: ...


def figures_fields(
    r: FiguresReport,
    *,
    infinite_causes: Mapping[str, list[str]],
    extra: Mapping[str, Any] | None = None,
    n: tuple[Any, Any] = (None, None),
    test: PermutationTest | None = None,
    intervals: Intervals | None = None,
) -> dict[str, Any]:
    """The JSON of a report whose metrics each carry a method: compare's keys
    (no categories, no smoothing), every metric id (null where there is no
    figure), ``methods`` with their errors, ``not_estimated``, then ``extra``
    (the report's own keys); ``n`` is (n_p, n_q)."""
    return {
        "p_source": r.p_source,
        "q_source": r.q_source,
        "p_distribution": None if r.p_distribution is None else r.p_distribution.to_dict(),
        "q_distribution": None if r.q_distribution is None else r.q_distribution.to_dict(),
        "unit": r.unit,
        "base": r.base,
        "smoothing": {"method": "none", "parameter": None},
        "metrics": {k: finite_or_none(r.metrics[k]) if k in r.metrics else None for k in METRICS},
        "methods": {
            k: {"method": f.method, "error": None if f.error is None else finite_or_none(f.error)}
            for k, f in r.methods.items()
        },
        "not_estimated": dict(r.not_estimated),
        **(extra or {}),
        "infinite": r.infinite,
        "infinite_causes": {k: list(v) for k, v in infinite_causes.items()},
        "differential_entropy": r.differential,
        "categories": [],
        "only_in_p": [],
        "only_in_q": [],
        "n_p": n[0],
        "n_q": n[1],
        **resampling_fields(test, intervals),
        "explanation": r.explanation(),
        "notes": list(r.notes),
        "warnings": list(r.warnings),
    }
