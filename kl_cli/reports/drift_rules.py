"""Per-column rules of a drift check: a column's own threshold, metric, bins, type, or ignore.

They come from a configuration file (``[tool.kl-cli.drift.columns.<name>]``)
or from the Python API's ``columns_config``; the command line decides
precedence before they get here, so the pipeline applies what it is given.
Each value is checked by the same range as the option of that name
(``vocabulary.FLOAT_RANGES``, ``MAX_BINS``, ``METRICS``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..vocabulary import FLOAT_RANGES, MAX_BINS, METRICS

COLUMN_TYPES = ("numeric", "categorical")
RULE_KEYS = ("threshold", "metric", "bins", "type", "ignore")


@dataclass(frozen=True)
class ColumnRule:
    """One column's own rule; None where the column follows the command's settings.

    ``source`` names where the rule was written (``pyproject.toml
    [tool.kl-cli.drift.columns.age]``), ``file`` the file alone (for the
    reason "ignored by pyproject.toml").
    """

    threshold: float | None = None
    metric: str | None = None
    bins: int | None = None
    type: str | None = None
    ignore: bool = False
    source: str = "columns_config"
    file: str = "columns_config"


def check_threshold(value: object, what: str = "--threshold") -> float:
    """A threshold: a number >= 0 and finite (no metric is negative; NaN compares false with everything)."""
    low = FLOAT_RANGES["threshold"][0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (low is not None and number < low):
        raise UsageError(f"{what} must be a finite number >= {low:g}, got {value!r}")
    return number


def column_rules(config: Mapping[str, ColumnRule | Mapping[str, Any]] | None) -> dict[str, ColumnRule]:
    """The per-column rules, checked: ``{column: ColumnRule or {"threshold": 0.2, ...}}``."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise UsageError(f"columns_config must be a mapping of column names to rules, got {type(config).__name__}")
    out = {}
    for name, rule in config.items():
        if not isinstance(name, str):
            raise UsageError(f"columns_config: column names are strings, got {name!r}")
        if not isinstance(rule, ColumnRule):
            if not isinstance(rule, Mapping):
                raise UsageError(f"columns_config[{name!r}] must be a mapping of {', '.join(RULE_KEYS)}")
            unknown = [k for k in rule if k not in RULE_KEYS]
            if unknown:
                known = ", ".join(RULE_KEYS)
                raise UsageError(f"columns_config[{name!r}]: unknown key {unknown[0]!r} (known: {known})")
            rule = ColumnRule(**dict(rule))
        out[name] = _checked(name, rule)
    return out


def _checked(name: str, rule: ColumnRule) -> ColumnRule:
    where = f"column {name!r} ({rule.source})"
    if rule.threshold is not None:
        check_threshold(rule.threshold, f"{where}: threshold")
    if rule.metric is not None and rule.metric not in METRICS:
        raise UsageError(f"{where}: metric must be one of {', '.join(METRICS)}, got {rule.metric!r}")
    bins = rule.bins
    if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= MAX_BINS):
        raise UsageError(f"{where}: bins must be a whole number from 1 to {MAX_BINS:,}, got {bins!r}")
    if rule.type is not None and rule.type not in COLUMN_TYPES:
        raise UsageError(f"{where}: type must be numeric or categorical, got {rule.type!r}")
    if not isinstance(rule.ignore, bool):
        raise UsageError(f"{where}: ignore must be true or false, got {rule.ignore!r}")
    return rule


def rule_source(threshold_source: str, metric_source: str) -> str:
    """Where a column's threshold and metric came from, in one phrase."""
    if threshold_source == metric_source:
        return threshold_source
    return f"threshold from {threshold_source}, metric from {metric_source}"
