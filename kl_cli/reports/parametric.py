"""compare for two parametric distributions: measure -> explain -> report.

``ParametricComparison`` is plain data with the compare report's keys (so a
script reading ``metrics`` works for both), plus ``methods`` (how each
figure was obtained, and its error), the two distributions, and the curves
the picture is drawn from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..core.parametric.families import Distribution
from ..core.parametric.integrals import Figure
from ..core.parametric.picture import Curves
from ..text import side_label
from ..vocabulary import METRICS, UNITS
from .fields import figures_fields


@dataclass(frozen=True)
class ParametricComparison:
    """Everything a comparison of two parametric distributions found; ``to_dict()`` is the JSON report."""

    p_distribution: Distribution
    q_distribution: Distribution
    base: str
    metrics: dict[str, float]
    methods: dict[str, Figure]
    reasons: dict[str, list[str]]
    curves: Curves | None
    explanation_lines: list[str]
    not_estimated: dict[str, str] = field(default_factory=dict)  # metric: why it has no figure
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return UNITS[self.base]

    @property
    def p_source(self) -> str:
        return side_label("P", self.p_distribution.describe())

    @property
    def q_source(self) -> str:
        return side_label("Q", self.q_distribution.describe())

    @property
    def infinite(self) -> list[str]:
        return [k for k in METRICS if k in self.metrics and math.isinf(self.metrics[k])]

    @property
    def differential(self) -> bool:
        """Whether the entropies are differential (continuous families): they can be negative."""
        return not self.p_distribution.discrete

    def explanation(self) -> list[str]:
        return list(self.explanation_lines)

    def to_dict(self) -> dict[str, Any]:
        return figures_fields(self, infinite_causes=self.reasons)


def compare_distributions(
    p: Distribution, q: Distribution, *, base: str = "e", seed: int | None = None
) -> ParametricComparison:
    """Every metric of compare for two parametric distributions, with methods, picture and explanation."""
    from ..core.parametric.measure import measure_distributions, univariate
    from ..core.parametric.picture import curves
    from .explain_parametric import explain_parametric

    measured = measure_distributions(p, q, base, 0 if seed is None else seed)
    grid = None if measured.not_estimated else curves(univariate(p), univariate(q))
    notes = list(measured.notes)
    if not p.discrete or not q.discrete:
        notes.append("entropies of densities are differential: they can be negative and depend on the unit of x")
    lines = explain_parametric(univariate(p), univariate(q), measured.metrics, measured.reasons, grid, UNITS[base])
    return ParametricComparison(
        p_distribution=p,
        q_distribution=q,
        base=base,
        metrics=measured.metrics,
        methods=measured.methods,
        reasons=measured.reasons,
        curves=grid,
        explanation_lines=lines,
        not_estimated=measured.not_estimated,
        notes=notes,
        warnings=measured.warnings,
    )
