"""drift's result types: what counts as drift, each column's verdict, and the report.

``to_dict()`` of a ``DriftReport`` is exactly what ``--format json`` prints.
The pipeline that fills them is ``drift.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..core.significance import NO_RESAMPLING, Resampling
from ..core.smoothing import Smoothing
from ..text import finite_or_none, pct
from .compare import NO_SMOOTHING, Comparison, sample_size_warnings


@dataclass(frozen=True)
class DriftSettings:
    """What counts as drift."""

    metric: str = "js_distance"
    threshold: float = 0.1
    base: str = "2"
    smoothing: Smoothing = NO_SMOOTHING
    max_drift_share: float | None = None
    resampling: Resampling = NO_RESAMPLING
    significance: float = 0.05
    correction: str | None = None  # with permutations: how p-values are adjusted across columns


@dataclass
class ColumnDrift:
    """The verdict on one column."""

    column: str
    type: str
    typed_by: str
    n_reference: int
    n_current: int
    metric: str = "js_distance"
    comparison: Comparison | None = None
    value: float | None = None
    drifted: bool = False
    reason: str | None = None  # why the column was skipped
    notes: list[str] = field(default_factory=list)
    why: str = ""  # why the column was or was not flagged
    p_adjusted: float | None = None  # the p-value adjusted across the columns tested
    threshold: float = 0.1  # the column's threshold: the command's, or its own rule's
    rule_source: str = "default"  # where its threshold and metric came from
    own: dict[str, Any] = field(default_factory=dict)  # what its own rule (a config file's column table) set
    # The plug-in bias warning was given for the column (drift_correction): it
    # says what the comparison's generic small-sample warning would, so that one is left out.
    bias_warned: bool = False

    def own_text(self) -> str:
        """The column's own rule, compactly: '> 0.5, hellinger, 4 bins'; '' when it has none."""
        o = self.own
        parts = [f"> {o['threshold']:g}"] if "threshold" in o else []
        parts += [str(o[k]) for k in ("metric", "type") if k in o]
        parts += [f"{o['bins']} bins"] if "bins" in o else []
        return ", ".join(parts + (["ignored"] if o.get("ignore") else []))

    @property
    def p_value(self) -> float | None:
        r = self.comparison
        return None if r is None or r.test is None else r.test.p_value[self.metric]

    def judge(self, settings: DriftSettings) -> None:
        """Flag the column: over its threshold, and (with a permutation test)
        significant too. Records why in words."""
        value = self.value if self.value is not None else 0.0
        over = math.isinf(value) or value > self.threshold
        relation = "above" if over else "within"
        self.why = f"{self.metric} {value:.4g} {relation} threshold {self.threshold:g}"
        p, adjusted = self.p_value, self.p_adjusted
        if p is None or adjusted is None:
            self.drifted = over
            return
        real = adjusted < settings.significance
        self.why += f"; p = {p:.3g}"
        if settings.correction != "none":
            self.why += f", {settings.correction}-adjusted {adjusted:.3g}"
        self.why += f" {'<' if real else '>='} {settings.significance:g}"
        self.drifted = over and real
        if over and not real:
            self.why += ": large but not significant at these sample sizes"
        elif real and not over:
            self.why += ": significant but smaller than the threshold"

    def top(self, k: int = 3) -> list[dict[str, Any]]:
        """The categories or bins that contribute most, with their two shares;
        only those that changed (a contribution above 0): a column without any
        change has none."""
        r = self.comparison
        if r is None:
            return []
        contribution = r.contributions()
        changed = [int(i) for i in r.ranked() if contribution[i] > 0 and r.p[i] != r.q[i]]
        return [
            {
                "label": r.label(i),
                "reference": float(r.p[i]),
                "current": float(r.q[i]),
                "contribution": finite_or_none(float(contribution[i])),
            }
            for i in changed[:k]
        ]

    def top_text(self, with_column: bool = True) -> str:
        """'amount in (120.5, 240]: 9% -> 21%', the largest contributor in words."""
        top = self.top(1)
        if not top:
            return ""
        t = top[0]
        where = f"{self.column} in {t['label']}" if self.type == "numeric" else f"{self.column} = {t['label']}"
        if not with_column:
            where = t["label"]
        return f"{where}: {pct(t['reference'])} → {pct(t['current'])}"


@dataclass
class DriftReport:
    """Every column's verdict and the overall one."""

    reference: str
    current: str
    settings: DriftSettings
    columns: list[ColumnDrift]
    only_in_reference: list[str]
    only_in_current: list[str]
    notes: list[str] = field(default_factory=list)
    read_warnings: list[str] = field(default_factory=list)  # from reading the data (a header in doubt)
    test_warnings: list[str] = field(default_factory=list)  # what the permutation test can tell at these sizes
    config: str | None = None  # the configuration file read, if any

    @property
    def compared(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.comparison is not None]

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def drift_detected(self) -> bool:
        """Any drifted column, or with ``max_drift_share`` S, at least S of all compared."""
        drifted = len(self.drifted_columns)
        if drifted == 0:
            return False
        share = self.settings.max_drift_share
        return share is None or drifted >= share * len(self.compared)

    @property
    def warnings(self) -> list[str]:
        out = list(self.read_warnings)
        for c in self.compared:
            r = c.comparison
            assert r is not None
            told = set(sample_size_warnings(r.n_p, r.n_q, r.size)) if c.bias_warned else set()
            out += [f"column {c.column!r}: {w}" for w in r.warnings if w not in told]
        return out + self.test_warnings

    def verdict(self) -> str:
        n, total = len(self.drifted_columns), len(self.compared)
        word = "column" if total == 1 else "columns"
        text = f"{n} of {total} {word} drifted"
        if self.settings.max_drift_share is not None:
            text += f" (drift when at least {self.settings.max_drift_share:.0%} of columns drift)"
        return text + (": drift detected" if self.drift_detected else ": no drift")

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "reference": self.reference,
            "current": self.current,
            "config": self.config,
            "metric": s.metric,
            "threshold": s.threshold,
            "base": s.base,
            "smoothing": {"method": s.smoothing.method, "parameter": s.smoothing.parameter},
            "max_drift_share": s.max_drift_share,
            "significance": s.significance if s.resampling.permutations else None,
            "permutations": s.resampling.permutations,
            "correction": s.correction,
            "bootstrap": s.resampling.bootstrap,
            "seed": s.resampling.seed,
            "columns": [
                {
                    "column": c.column,
                    "type": c.type,
                    "typed_by": c.typed_by,
                    "n_reference": c.n_reference,
                    "n_current": c.n_current,
                    "value": None if c.value is None else finite_or_none(c.value),
                    "drifted": c.drifted,
                    "why": c.why,
                    "rule": {"threshold": c.threshold, "metric": c.metric, "source": c.rule_source, "own": c.own},
                    "p_value": c.p_value,
                    "p_adjusted": c.p_adjusted,
                    "null_mean": (
                        finite_or_none(c.comparison.test.null_mean[c.metric])
                        if c.comparison is not None and c.comparison.test is not None
                        else None
                    ),
                    "interval": (
                        [finite_or_none(x) for x in c.comparison.intervals.bounds[c.metric]]
                        if c.comparison is not None and c.comparison.intervals is not None
                        else None
                    ),
                    "skipped": c.reason,
                    "metrics": (
                        {k: finite_or_none(v) for k, v in c.comparison.metrics.items()} if c.comparison else None
                    ),
                    "infinite": c.comparison.infinite if c.comparison else [],
                    "new_in_current": list(c.comparison.only_in_q) if c.comparison else [],
                    "top": c.top(),
                    "notes": c.notes,
                }
                for c in self.columns
            ],
            "only_in_reference": self.only_in_reference,
            "only_in_current": self.only_in_current,
            "drifted_columns": self.drifted_columns,
            "total_columns": len(self.compared),
            "drift_detected": self.drift_detected,
            "verdict": self.verdict(),
            "notes": self.notes,
            "warnings": self.warnings,
        }
