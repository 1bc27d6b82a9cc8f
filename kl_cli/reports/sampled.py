"""`sampled`: KL(q||p) from the log-probabilities of tokens drawn from q.

The tokens are read in checked blocks (``inputs.logprobs``); each block's
log r = log p - log q feeds the per-token moments of k1, k2, k3 and, when
the input has sequences, their per-sequence sums (``core.sampled``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from ..core.sampled import ESTIMATOR_IDS, Estimate, SequenceSums, TokenStats
from ..errors import InputError
from ..inputs.datasets import TableOptions
from ..inputs.logprobs import read_tokens
from ..text import finite_or_none, number
from ..vocabulary import BASES, UNITS
from .options import check_base

DIRECTION = "KL(q||p)"
# What each estimator is, in the report (Schulman 2020).
PROPERTIES = {
    "k1": "-log r: unbiased; a token's value can be negative",
    "k2": "(log r)^2 / 2: biased (right to second order in log r); never negative",
    "k3": "(r - 1) - log r: unbiased and never negative",
}
# Below this many tokens (or sequences) a standard error is itself rough.
FEW = 30
# When the 10 largest k3 values hold this share of its spread, the standard error rests on them.
HEAVY_SHARE = 0.5


@dataclass(frozen=True)
class SampledResult:
    """KL(q||p) by k1, k2 and k3, per token and (when there are sequences) per sequence.

    Figures are in ``base``; ``per_sequence`` is None without sequences.
    ``zero_p``: tokens p gives probability 0 (logp = -inf): every estimate
    is then infinite, as KL(q||p) is. ``not_estimated``: estimators whose
    values went beyond the float range, with the reason."""

    q_source: str
    p_source: str
    base: str
    tokens: int
    masked: int
    sequences: int | None
    empty_sequences: int
    estimators: dict[str, Estimate]
    per_sequence: dict[str, Estimate] | None
    zero_p: int
    not_estimated: dict[str, str]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def unit(self) -> str:
        return UNITS[self.base]

    @property
    def infinite(self) -> list[str]:
        """Estimator ids whose estimate is infinite (p gave a drawn token probability 0)."""
        return [k for k in ESTIMATOR_IDS if self.zero_p and k not in self.not_estimated]

    def figure(self, estimator: str, per: str, stat: str) -> float | None:
        """One number: ``stat`` (mean or sem) of ``estimator`` per ``per``
        (token or sequence); None when it is not estimated."""
        table = self.estimators if per == "token" else self.per_sequence
        if table is None or estimator in self.not_estimated:
            return None
        e = table[estimator]
        return e.mean if stat == "mean" else e.sem

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; infinite figures become None (null), named in ``infinite``."""

        def figures(table: dict[str, Estimate] | None) -> dict[str, Any] | None:
            if table is None:
                return None
            return {
                k: {
                    "mean": None if k in self.not_estimated else finite_or_none(e.mean),
                    "sem": None if k in self.not_estimated or e.sem is None else finite_or_none(e.sem),
                }
                for k, e in table.items()
            }

        return {
            "direction": DIRECTION,
            "sampling_policy": "q",
            "q_source": self.q_source,
            "p_source": self.p_source,
            "unit": self.unit,
            "base": self.base,
            "tokens": self.tokens,
            "masked": self.masked,
            "sequences": self.sequences,
            "empty_sequences": self.empty_sequences,
            "estimators": figures(self.estimators),
            "per_sequence": figures(self.per_sequence),
            "properties": dict(PROPERTIES),
            "infinite": self.infinite,
            "infinite_cause": (
                f"{self.zero_p} tokens have logp = -inf: p gives them probability 0, so KL(q||p) is infinite"
                if self.zero_p
                else None
            ),
            "not_estimated": dict(self.not_estimated),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def run_sampled(
    source: str,
    other: str | None = None,
    *,
    logq: str | None = None,
    logp: str | None = None,
    sequence: str | None = None,
    mask: str | None = None,
    base: Any = "e",
    encoding: str = "utf-8",
    input_format: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
) -> SampledResult:
    """Estimate KL(q||p) from the log-probabilities of tokens drawn from q.

    ``source``: a table with the columns ``logq`` and ``logp`` (and
    ``sequence``, ``mask``), an ``.npz`` with those members, or with
    ``other`` two arrays (log q, log p) of tokens or sequences x positions,
    ``mask`` then a 0/1 array file.
    """
    base = check_base(base)
    table = TableOptions.stated(encoding, input_format, delimiter, header)
    read = read_tokens(
        source, other, logq=logq, logp=logp, sequence=sequence, mask=mask, table=table, open_stdin=open_stdin
    )
    stats = TokenStats()
    sums = SequenceSums() if read.sequences else None
    seen = 0
    blocks = read.blocks
    try:
        for block in blocks:
            seen += block.logq.size
            with np.errstate(invalid="ignore"):
                log_r = block.logp - block.logq
            kept = log_r if block.keep is None else log_r[block.keep]
            terms = stats.add(kept.ravel())
            if sums is None:
                continue
            if block.rows:
                sums.add_rows(_row_terms(log_r), block.keep)
            else:
                keys, codes = block.groups  # type: ignore[misc]
                where = sums.index(keys)[codes]
                sums.add(where if block.keep is None else where[block.keep], terms)
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
    if stats.tokens == 0:
        raise InputError(
            f"{read.q_source}: no tokens left after masking ({seen} masked): nothing was compared"
            if seen
            else f"{read.q_source}: no tokens"
        )
    return _result(read, stats, sums, seen, base)


def _row_terms(log_r: np.ndarray) -> dict[str, np.ndarray]:
    """The 2-D terms of a block of whole sequences (padding's values are masked out afterwards)."""
    from ..core.sampled import estimator_terms

    with np.errstate(invalid="ignore"):
        terms = estimator_terms(np.nan_to_num(log_r, nan=0.0))
    zero = np.isneginf(log_r)
    for values in terms.values():
        values[zero] = math.inf
    return terms


def _result(read: Any, stats: TokenStats, sums: SequenceSums | None, seen: int, base: str) -> SampledResult:
    scale = math.log(BASES[base])
    token = stats.estimates()
    not_estimated = {
        k: f"{e.overflow} tokens' values of {k} are beyond the float range (|log r| too large)"
        for k, e in token.items()
        if e.overflow
    }
    per_sequence = None
    n_seq, empty = None, 0
    if sums is not None:
        per_sequence, n_seq, empty = sums.estimates(infinite_ok=stats.zero_p > 0)
        for k, e in per_sequence.items():
            if e.overflow and k not in not_estimated:
                not_estimated[k] = f"per-sequence sums of {k} are beyond the float range"
    token = {k: _scaled(e, scale) for k, e in token.items()}
    if per_sequence is not None:
        per_sequence = {k: _scaled(e, scale) for k, e in per_sequence.items()}
    notes = [
        f"estimates KL(q||p), q being the policy that drew the tokens ({read.q_source}); "
        "KL(p||q) cannot be estimated from these samples (it is an expectation under p)",
        *read.notes,
    ]
    if seen - stats.tokens:
        notes.append(f"{seen - stats.tokens} masked tokens left out")
    if empty:
        notes.append(f"{empty} sequences have no token left after masking and are left out")
    warnings = _warnings(stats, token, per_sequence, n_seq, not_estimated)
    return SampledResult(
        read.q_source,
        read.p_source,
        base,
        stats.tokens,
        seen - stats.tokens,
        n_seq,
        empty,
        token,
        per_sequence,
        stats.zero_p,
        not_estimated,
        tuple(notes),
        tuple(warnings),
    )


def _scaled(e: Estimate, scale: float) -> Estimate:
    return Estimate(e.mean / scale, None if e.sem is None else e.sem / scale, e.n, e.overflow)


def _warnings(
    stats: TokenStats,
    token: dict[str, Estimate],
    per_sequence: dict[str, Estimate] | None,
    n_seq: int | None,
    not_estimated: dict[str, str],
) -> list[str]:
    warnings = [f"{k} not estimated: {why}" for k, why in not_estimated.items()]
    if stats.zero_p:
        warnings.append(f"{stats.zero_p} tokens have logp = -inf (probability 0 under p): KL(q||p) is infinite")
        return warnings
    if stats.tokens < FEW:
        warnings.append(f"only {stats.tokens} tokens: the standard errors are themselves rough")
    if n_seq is not None and n_seq < FEW:
        warnings.append(f"only {n_seq} sequences: the per-sequence standard errors are themselves rough")
    k1 = token["k1"]
    if "k1" not in not_estimated and k1.mean < 0:
        warnings.append(
            f"k1's mean is negative ({number(k1.mean, 4)}) though KL is never: p and q are close for this "
            "sample size; prefer k3"
        )
    share = stats.running["k3"].top_share()
    if "k3" not in not_estimated and share > HEAVY_SHARE:
        warnings.append(
            f"the 10 largest k3 values make up {share:.0%} of its variance: tokens where p gives much more "
            "probability than q dominate, and k3's standard error is unreliable"
        )
    if per_sequence is not None and "k1" not in not_estimated and per_sequence["k1"].mean < 0:
        warnings.append(f"k1's per-sequence mean is negative ({number(per_sequence['k1'].mean, 4)})")
    return warnings
