"""batch's result: the figures of every row, their summaries, the worst rows; ``to_dict()`` is the JSON report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.row_summary import Summary, histogram
from ..core.rows import row_name
from ..core.smoothing import Smoothing
from ..errors import UsageError
from ..text import finite_or_none
from ..vocabulary import UNITS

REST = "(rest)"


@dataclass(frozen=True)
class WorstRow:
    row: int
    kl_pq: float
    terms: list[tuple[str, float, float, float]]  # (category, p, q, p log(p/q)), largest first


@dataclass(frozen=True)
class BatchResult:
    """Everything a batch found; ``to_dict()`` is the JSON report. Figures are in ``base``."""

    p_source: str
    q_source: str
    input: str
    temperature: float | None
    base: str
    smoothing: Smoothing
    shape: tuple[int, ...]
    categories: int
    rows: int
    masked: int
    index: np.ndarray  # the (flat) row number of each figure
    figures: dict[str, np.ndarray]
    summary: dict[str, Summary]
    top1: np.ndarray | None
    zero_in_q: np.ndarray  # per row: categories with P > 0 = Q
    zero_in_p: np.ndarray
    per_sequence: dict[str, Summary] | None
    sequences: int
    empty_sequences: int
    worst: list[WorstRow]
    labelled: bool = False  # categories have names (else they are positions 0..K-1)
    per_row: bool = False
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return UNITS[self.base]

    @property
    def top1_agree(self) -> float | None:
        return None if self.top1 is None else float(self.top1.mean())

    def row_label(self, i: int) -> str:
        return row_name(i, self.shape)

    def position(self, i: int) -> list[int] | None:
        return [i // self.shape[1], i % self.shape[1]] if len(self.shape) == 2 else None

    def kl_histogram(self) -> tuple[list[tuple[float, float]], list[int], bool]:
        """Bins of the finite per-row KL(P||Q): ([(low, high)], counts, log-spaced?)."""
        return histogram(self.figures["kl_pq"]) if "kl_pq" in self.figures else ([], [], False)

    def infinite(self) -> dict[str, dict[str, Any]]:
        """Metrics infinite in some row, with how many rows and why."""
        out = {}
        for metric, zeros, why in (
            ("kl_pq", self.zero_in_q, "Q gives probability 0 to categories where P does not"),
            ("kl_qp", self.zero_in_p, "P gives probability 0 to categories where Q does not"),
        ):
            if metric in self.summary and self.summary[metric].infinite:
                bad = np.flatnonzero(np.isinf(self.figures[metric]))
                if (zeros[bad] == 0).any():  # never the zeros' cause for a row that has none
                    why = (why + "; or beyond the float range") if (zeros > 0).any() else "beyond the float range"
                out[metric] = {
                    "rows": int(bad.size),
                    "cause": why,
                    "categories": int(zeros.sum()),
                    "first_rows": [int(self.index[i]) for i in bad[:10]],
                }
        return out

    def stat(self, metric: str, stat: str) -> float:
        if stat == "sequence_mean":
            if self.per_sequence is None:
                raise UsageError("--stat sequence_mean needs 3-D input (sequences x positions x categories)")
            if metric not in self.per_sequence:
                raise UsageError(f"--stat sequence_mean: a sum of {metric} over a sequence means nothing")
            return self.per_sequence[metric].mean
        if metric not in self.summary:
            raise UsageError(f"--metric {metric} is not a per-row figure of batch")
        return self.summary[metric].stat(stat)  # type: ignore[return-value]

    def _summary_dict(self, s: Summary) -> dict[str, Any]:
        d: dict[str, Any] = {
            k: finite_or_none(getattr(s, k)) for k in ("mean", "median", "p90", "p99", "p999", "min", "max")
        }
        d["sem"] = None if s.sem is None else finite_or_none(s.sem)
        d["argmax"] = s.argmax
        if self.position(s.argmax) is not None and self.per_sequence is not None:
            d["argmax_position"] = self.position(s.argmax)
        d["infinite_rows"] = s.infinite
        return d

    def row_dicts(self) -> list[dict[str, Any]]:
        out = []
        for j, i in enumerate(self.index):
            row: dict[str, Any] = {"row": int(i)}
            if len(self.shape) == 2:
                row["sequence"], row["position"] = self.position(int(i))
            row.update({m: finite_or_none(v[j]) for m, v in self.figures.items()})
            if self.top1 is not None:
                row["top1_agree"] = bool(self.top1[j])
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "p_source": self.p_source,
            "q_source": self.q_source,
            "input": self.input,
            "temperature": self.temperature,
            "base": self.base,
            "unit": self.unit,
            "smoothing": {"method": self.smoothing.method, "parameter": self.smoothing.parameter},
            "shape": list(self.shape),
            "categories": self.categories,
            "rows": self.rows,
            "masked": self.masked,
            "summary": {m: self._summary_dict(s) for m, s in self.summary.items()},
            "top1_agree": self.top1_agree,
            "infinite": self.infinite(),
        }
        if self.per_sequence is not None:
            d["per_sequence"] = {
                "sequences": self.sequences,
                "empty_sequences": self.empty_sequences,
                "what": "per sequence: the sum over its unmasked positions, summarized over sequences",
                **{m: self._summary_dict(s) for m, s in self.per_sequence.items()},
            }
        d["worst_rows"] = [
            {
                "row": w.row,
                "kl_pq": finite_or_none(w.kl_pq),
                "categories": [
                    {"label": c, "p": finite_or_none(p), "q": finite_or_none(q), "kl_pq": finite_or_none(t)}
                    for c, p, q, t in w.terms
                ],
            }
            for w in self.worst
        ]
        if self.per_row:
            d["per_row"] = self.row_dicts()
        d["notes"] = list(self.notes)
        d["warnings"] = list(self.warnings)
        return d
