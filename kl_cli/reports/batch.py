"""The batch pipeline and its result: many pairs of distributions, row by row.

Row i of P is compared with row i of Q; the figures of every row are kept
(for the percentiles) and summarized. Arrays are read a block of rows at a
time, so memory is bounded by the block, not the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..core import rows as core_rows
from ..core.row_summary import Summary, summarize
from ..core.rows import ADDITIVE, ROW_METRICS, row_name, row_terms
from ..core.smoothing import Smoothing, smooth
from ..errors import InputError, UsageError
from ..inputs.batch import Batch, load_mask, log_weights, logprob_rest, match_labels, open_batch
from ..inputs.datasets import TableOptions
from ..vocabulary import BASE_FREE, BASES
from ..vocabulary import BATCH_INPUTS as INPUT_KINDS
from .batch_result import REST, BatchResult, WorstRow

WORST_ROWS = 5
WORST_TERMS = 5


def _check_temperature(kind: str, temperature: float | None) -> float:
    if kind not in INPUT_KINDS:
        raise UsageError(f"--input must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")
    if temperature is None:
        return 1.0
    if kind != "logits":
        raise UsageError(f"--temperature applies to --input logits, not {kind}")
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise UsageError(f"--temperature must be a finite number > 0, got {temperature!r}")
    return t


class _Reader:
    """One side's rows as float64 log-weights, checked, with the notes they need."""

    def __init__(self, batch: Batch, kind: str, temperature: float, smoothing: Smoothing) -> None:
        self.batch, self.kind, self.temperature, self.smoothing = batch, kind, temperature, smoothing
        eps = float(np.finfo(np.dtype(batch.dtype)).eps)
        self.tolerance = min(1e-2, 32 * eps * (1 + math.log(batch.categories)))
        self.unnormalized = 0
        self.example: tuple[int, float] | None = None
        self.with_rest = 0

    def convert(
        self, block: np.ndarray, first: int, rows: np.ndarray | None, listed: np.ndarray | None = None
    ) -> np.ndarray:
        """Rows ``rows`` of a block read from ``first`` on, as log-weights. ``listed``: for labelled
        log-probabilities, the categories both sides list (NaN in ``block``: not listed); the
        others go to the remainder, but the checks are of the rows as given."""
        name, shape = self.batch.name, self.batch.shape
        block = block if rows is None else block[rows]
        given = block if listed is None else np.where(np.isnan(block), -np.inf, block)
        x = self._named(lambda b, f: log_weights(b, self.kind, name, f, self.temperature, shape), given, first, rows)
        if listed is not None:
            x = np.where(listed, x, -np.inf)
        if self.kind == "probs" and self.smoothing.method == "none":
            totals = np.asarray(block, dtype=np.float64).sum(axis=1)
            off = np.abs(totals - 1) > 1e-9
            if off.any():
                self.unnormalized += int(off.sum())
                if self.example is None:
                    j = int(np.flatnonzero(off)[0])
                    self.example = (first + (j if rows is None else int(rows[j])), float(totals[j]))
        if self.kind == "logprobs":
            rest = self._named(lambda b, f: logprob_rest(b, name, f, shape, self.tolerance), x, first, rows)
            self.with_rest += int(np.isfinite(rest).sum())
            x = np.concatenate([x, rest[:, None]], axis=1)
        if self.smoothing.method != "none":
            # as compare smooths: the weights themselves (pseudo-counts are counts), else the probabilities
            w = np.asarray(block, dtype=np.float64) if self.kind == "probs" else core_rows._normalized(x)[0]
            with np.errstate(divide="ignore"):
                x = np.log(smooth(w, self.smoothing).values)
        return x

    @staticmethod
    def _named(
        check: Callable[[np.ndarray, int], np.ndarray], block: np.ndarray, first: int, rows: np.ndarray | None
    ) -> np.ndarray:
        """``check(block, first_row)`` on the whole block; with rows left out by
        the mask, an error is raised again for the row it is about, by its number."""
        try:
            return check(block, first)
        except InputError:
            if rows is None:
                raise
            for j, i in enumerate(rows):
                check(block[j : j + 1], first + int(i))
            raise

    def notes(self) -> list[str]:
        name, out = self.batch.name, []
        if self.unnormalized and self.example:
            row, total = self.example
            out.append(
                f"{name}: {self.unnormalized:,} rows do not sum to 1 ({row_name(row, self.batch.shape)} sums to "
                f"{total:.6g}); each row normalized"
            )
        if self.with_rest:
            out.append(
                f"{name}: {self.with_rest:,} rows of log-probabilities sum to less than 1; the remainder is the "
                f"category {REST}"
            )
        return out


def run_batch(
    p: str,
    q: str,
    *,
    input: str | None = None,
    temperature: float | None = None,
    key: str | None = None,
    mask: str | None = None,
    smoothing: str | Smoothing = "none",
    alpha: float | None = None,
    epsilon: float | None = None,
    lambda_: float | None = None,
    base: str | int | float = "e",
    metrics: list[str] | tuple[str, ...] | None = None,
    per_row: bool = False,
    worst: int = WORST_ROWS,
    encoding: str = "utf-8",
    input_format: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
) -> BatchResult:
    """Read two batches and measure each pair of rows (``kl-cli batch``'s options).
    ``metrics``: only these figures (default all that the input has). P and Q
    may be diagonal Gaussians instead (an .npz of ``mu`` and ``logvar`` or
    ``sigma``, or one side ``normal(...)``/``mvnormal(...)``)."""
    from .batch_gaussian import GAUSSIAN_METRICS, gaussian_side, run_gaussians
    from .options import check_base, smoothing_from

    sm = smoothing_from(smoothing, alpha, epsilon, lambda_)
    base = check_base(base)
    gp, gq = (None, None) if key is not None else (gaussian_side(p, "P"), gaussian_side(q, "Q"))
    if gp is not None or gq is not None:
        given = [
            flag
            for flag, value in (("--input", input), ("--temperature", temperature), ("--smoothing", sm.parameter))
            if value is not None
        ]
        chosen = set(GAUSSIAN_METRICS if metrics is None else metrics)
        return run_gaussians(
            gp, gq, p, q, base=base, metrics=chosen, mask=mask, per_row=per_row, worst=worst, given=given
        )
    input = input or "probs"
    t = _check_temperature(input, temperature)
    wanted = set(ROW_METRICS if metrics is None else metrics)
    unknown = wanted - set(ROW_METRICS)
    if unknown:
        raise UsageError(f"not a per-row figure of batch: {', '.join(sorted(unknown))}")
    if worst and "kl_pq" not in wanted:
        worst = 0
    log_input = input != "probs"  # -inf is probability 0
    table = TableOptions.stated(encoding, input_format, delimiter, header)
    bp, bq = open_batch(p, "P", key, table, log_input), open_batch(q, "Q", key, table, log_input)
    # labelled log-probabilities (a top-k list a row): what a side leaves out is
    # unknown, not 0, so it is merged with the rest (see _listed_on_both)
    unlisted = math.nan if input == "logprobs" else (0.0 if input == "probs" else -math.inf)
    labels = match_labels(bp, bq, unlisted)
    merged = 0
    rp, rq = _Reader(bp, input, t, sm), _Reader(bq, input, t, sm)

    def read(start: int, stop: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, int]:
        """Rows start..stop of both sides (``rows`` of them), as checked log-weights."""
        raw_p, raw_q = bp.read(start, stop), bq.read(start, stop)
        listed, n_merged = None, 0
        if input == "logprobs" and labels is not None:
            listed, n_merged = _listed_on_both(raw_p, raw_q, rows)
        return rp.convert(raw_p, start, rows, listed), rq.convert(raw_q, start, rows, listed), n_merged

    keep = None if mask is None else load_mask(mask, bp.shape)
    if keep is not None and not keep.any():
        raise UsageError("--mask leaves out every row; nothing to compare")
    n_all = bp.rows
    index = np.arange(n_all) if keep is None else np.flatnonzero(keep)
    n = index.size
    figures = {m: np.empty(n) for m in wanted}
    zq, zp = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    top1 = np.empty(n, dtype=bool)
    size = min(bp.block_rows(), bq.block_rows())
    done = 0
    for start in range(0, n_all, size):
        stop = min(start + size, n_all)
        rows = None if keep is None else np.flatnonzero(keep[start:stop])
        if rows is not None and rows.size == 0:
            continue
        a, b, n_merged = read(start, stop, rows)
        merged += n_merged
        f = core_rows.row_figures(a, b, wanted)
        m = a.shape[0]
        for k in wanted:
            figures[k][done : done + m] = f.metrics[k]
        zq[done : done + m], zp[done : done + m] = f.zero_in_q, f.zero_in_p
        k0 = bp.categories
        top1[done : done + m] = a[:, :k0].argmax(axis=1) == b[:, :k0].argmax(axis=1)
        done += m
    scale = math.log(BASES[base])
    for k in wanted:
        if k not in BASE_FREE and scale != 1.0:
            figures[k] = figures[k] / (math.sqrt(scale) if k == "js_distance" else scale)
    summary = {k: _summarize(figures[k], index) for k in ROW_METRICS if k in wanted}
    per_sequence, sequences, empty = None, 0, 0
    if len(bp.shape) == 2:
        s_count, s_len = bp.shape
        seq = index // s_len
        present = np.bincount(seq, minlength=s_count) > 0
        sequences, empty = int(present.sum()), int((~present).sum())
        ids = np.flatnonzero(present)
        per_sequence = {}
        for k in ADDITIVE:
            if k in wanted:
                sums = np.bincount(seq, weights=figures[k], minlength=s_count)[present]
                per_sequence[k] = _summarize(sums, ids)
    layout = bp.messages + bq.messages
    notes = [text for kind, text in layout if kind == "note"] + rp.notes() + rq.notes()
    if merged:
        notes.append(
            f"{merged:,} rows list categories on one side only: they are merged with {REST} on both sides (a "
            "side's probability of a category it does not list is unknown), so those rows' figures are of the "
            "coarser distributions and KL is a lower bound"
        )
    if keep is not None:
        notes.append(f"{n_all - n:,} masked rows left out (--mask)")
    if sm.method != "none":
        notes.append(f"both sides smoothed: {sm.describe()}")
    if input == "logits":
        notes.append("logits turned into probabilities by a log-softmax" + (f" at temperature {t:g}" if t != 1 else ""))
    worst_rows = _worst(read, bp.categories, labels, index, figures.get("kl_pq"), worst, scale)
    return BatchResult(
        p_source=p,
        q_source=q,
        input=input,
        temperature=None if input != "logits" else t,
        base=base,
        smoothing=sm,
        shape=bp.shape,
        categories=bp.categories,
        rows=int(n),
        masked=int(n_all - n),
        index=index,
        figures={k: figures[k] for k in ROW_METRICS if k in wanted},
        summary=summary,
        top1=top1,
        zero_in_q=zq,
        zero_in_p=zp,
        per_sequence=per_sequence,
        sequences=sequences,
        empty_sequences=empty,
        worst=worst_rows,
        labelled=labels is not None,
        per_row=per_row,
        notes=notes,
        warnings=[text for kind, text in layout if kind == "warning"],
    )


def _summarize(values: np.ndarray, index: np.ndarray) -> Summary:
    """``summarize``, quietly: figures near the float range (logits 1e300 apart) have a
    spread whose square is beyond it (their standard error is then infinite: null in JSON)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return summarize(values, index)


def _listed_on_both(p: np.ndarray, q: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Labelled log-probabilities with NaN where a row does not list a category:
    the categories both sides list in rows ``rows`` (the others are to become
    -inf on both sides, so that their mass goes to each side's remainder), and
    the count of rows where a side lists a category the other does not."""
    if rows is not None:
        p, q = p[rows], q[rows]
    in_p, in_q = ~np.isnan(p), ~np.isnan(q)
    return in_p & in_q, int((in_p != in_q).any(axis=1).sum())


def _worst(
    read: Callable[[int, int, np.ndarray | None], tuple[np.ndarray, np.ndarray, int]],
    categories: int,
    labels: list[str] | None,
    index: np.ndarray,
    kl: np.ndarray | None,
    count: int,
    scale: float,
) -> list[WorstRow]:
    """The rows of largest KL(P||Q), each with the categories that drive it most."""
    if kl is None or count <= 0:
        return []
    order = np.argsort(-kl, kind="stable")[:count]
    out = []
    for j in order:
        i = int(index[j])
        a, b, _ = read(i, i + 1, None)
        terms = row_terms(a, b)[0]
        pa, _ = core_rows._normalized(a)
        qb, _ = core_rows._normalized(b)
        top = np.argsort(-np.nan_to_num(terms, posinf=np.inf), kind="stable")[:WORST_TERMS]
        named = []
        for c in top:
            c = int(c)
            label = REST if c >= categories else (labels[c] if labels is not None else str(c))
            t = float(terms[c]) / scale
            named.append((label, float(pa[0, c]), float(qb[0, c]), t))
        out.append(WorstRow(i, float(kl[j]), named))
    return out
