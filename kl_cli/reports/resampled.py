"""The JSON of a permutation test and a bootstrap, one shape for every report that has them."""

from __future__ import annotations

from typing import Any

from ..core.significance import Intervals, PermutationTest
from ..text import finite_or_none


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
