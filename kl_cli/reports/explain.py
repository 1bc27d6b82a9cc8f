"""The asymmetry of KL in words: which direction is larger, and which categories drive it."""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from ..core.smoothing import Smoothing
from ..text import pct, prose_number, show_label, show_labels


class Comparison(Protocol):
    """What the explanation reads of a comparison (``compare.Comparison`` has it)."""

    metrics: dict[str, float]
    p: np.ndarray
    q: np.ndarray
    terms_pq: np.ndarray
    terms_qp: np.ndarray
    smoothing: Smoothing

    @property
    def unit(self) -> str: ...

    def label(self, i: int) -> str: ...

    def zero_in_q(self) -> list[str]: ...

    def zero_in_p(self) -> list[str]: ...


# Directions whose ratio is below this are described as "about even".
NEAR_SYMMETRIC = 1.1


def _share(x: float) -> str:
    """A share of a finite KL term's denominator: positive, so a float 0 is one
    below the float range, never "0%"."""
    return pct(x) if x > 0 else "less than 1e-308"


def _zero_sentence(zero: str, other: str, terms: np.ndarray, o: np.ndarray, r: Comparison) -> str:
    """'Q gives 0 to 'hail', where P gives 3%.' (the largest named when several);
    ``terms`` are the KL terms weighted by the other side (infinite there)."""
    idx = np.flatnonzero(np.isposinf(terms))
    top = int(idx[np.argmax(o[idx])])
    labels = [r.label(int(i)) for i in idx]
    # A positive share below the float range is 0 as a float: not "0%".
    share = _share(o[top])
    if len(idx) == 1:
        return f"{zero} gives 0 to {show_label(labels[0], 30)}, where {other} gives {share}."
    return (
        f"{zero} gives 0 to {show_labels(labels)}, where {other} gives up to {share} ({show_label(r.label(top), 30)})."
    )


def explain(r: Comparison) -> list[str]:
    """Sentences on the asymmetry of KL for this pair, category by category."""
    kl_pq, kl_qp = r.metrics["kl_pq"], r.metrics["kl_qp"]
    unit = r.unit
    if kl_pq == 0 and kl_qp == 0:
        return ["P and Q are identical on every category, so every divergence is 0."]
    lines = []
    zq, zp = r.zero_in_q(), r.zero_in_p()
    if math.isinf(kl_pq) or math.isinf(kl_qp):
        if zq:
            lines.append(
                f"KL(P||Q) is infinite: {_zero_sentence('Q', 'P', r.terms_pq, r.p, r)} KL(P||Q) weighs every "
                "category by P, so an outcome P expects and Q rules out is infinitely surprising."
            )
        if zp:
            lines.append(
                f"KL(Q||P) is infinite: {_zero_sentence('P', 'Q', r.terms_qp, r.q, r)} KL(Q||P) weighs every "
                "category by Q, so an outcome Q expects and P rules out is infinitely surprising."
            )
        finite = [
            f"KL({a}) = {prose_number(v)} {unit}" for a, v in (("P||Q", kl_pq), ("Q||P", kl_qp)) if math.isfinite(v)
        ]
        if finite:
            lines.append(f"The other direction stays finite: {finite[0]}.")
        if r.smoothing.method == "none":
            lines.append(
                "For a finite value, smooth both sides: --smoothing additive for counts, "
                "--smoothing epsilon or --smoothing mix for probabilities."
            )
        return lines
    big, small = max(kl_pq, kl_qp), min(kl_pq, kl_qp)
    ratio = big / small if small > 0 else math.inf
    if ratio < NEAR_SYMMETRIC:
        lines.append(
            f"The two directions nearly agree: KL(P||Q) = {prose_number(kl_pq)} and "
            f"KL(Q||P) = {prose_number(kl_qp)} {unit}, so P and Q differ about evenly in both directions."
        )
    else:
        first, second = ("P||Q", "Q||P") if kl_pq >= kl_qp else ("Q||P", "P||Q")
        lines.append(
            f"KL({first}) = {prose_number(big)} {unit} is {ratio:.3g}x KL({second}) = {prose_number(small)} {unit}."
        )
    # The category that drives each direction most.
    i = int(np.argmax(r.terms_pq))
    if r.p[i] > r.q[i]:
        lines.append(
            f"Q gives {show_label(r.label(i), 30)} {_share(r.q[i])} where P gives {pct(r.p[i])}: KL(P||Q) "
            f"punishes Q for missing mass that P expects (this category adds {prose_number(r.terms_pq[i])} {unit})."
        )
    j = int(np.argmax(r.terms_qp))
    if r.q[j] > r.p[j]:
        lines.append(
            f"P gives {show_label(r.label(j), 30)} {_share(r.p[j])} where Q gives {pct(r.q[j])}: KL(Q||P) "
            f"punishes P for missing mass that Q expects (this category adds {prose_number(r.terms_qp[j])} {unit})."
        )
    lines.append(
        "KL(P||Q) is the extra surprise of predicting with Q when the data follow P: "
        "read it when P is the truth (observations, reference) and Q the model or the newcomer."
    )
    return lines
