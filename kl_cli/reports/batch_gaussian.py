"""batch of diagonal Gaussians: a VAE's KL term per example, and the rest that has a closed form."""

from __future__ import annotations

import math
import os

import numpy as np

from ..core.gaussians import GAUSSIAN_METRICS, gaussian_figures, kl_terms
from ..core.row_summary import summarize
from ..errors import InputError, UsageError
from ..inputs.arrays import array_kind
from ..inputs.batch import Gaussians, load_mask, open_gaussians
from ..vocabulary import BASE_FREE, BASES
from .batch_result import BatchResult, WorstRow

WORST = 5


def gaussian_side(spec: str, name: str) -> Gaussians | None:
    """A side that is diagonal Gaussians: an .npz of mu and logvar/sigma, or a
    normal(mu, sigma) / mvnormal(mean=..., sigma=...) spec (one distribution for every row)."""
    found = open_gaussians(spec, name)
    if found is not None:
        return found
    if os.path.isfile(spec) and array_kind(spec) is not None:
        return None  # an array: rows of a batch
    from ..inputs.distribution import read_distribution

    d = read_distribution(spec, name)
    if d is None:
        return None
    if d.family == "normal":
        mu = np.array([[float(d.parameters["mu"])]])
        sigma = np.array([[float(d.parameters["sigma"])]])
    elif d.family == "mvnormal":
        mu = np.asarray(d.parameters["mean"], dtype=np.float64)[None, :]
        if "cov" in d.parameters:
            cov = np.asarray(d.parameters["cov"], dtype=np.float64)
            if np.count_nonzero(cov - np.diag(np.diag(cov))):
                raise InputError(f"{name}: a batch of diagonal Gaussians needs a diagonal cov (or sigma)")
            sigma = np.sqrt(np.diag(cov))[None, :]
        else:
            sigma = np.asarray(d.parameters["sigma"], dtype=np.float64)[None, :]
    else:
        raise InputError(f"{name}: {d.describe()}: batch compares rows with normal(...) or mvnormal(...) only")
    return Gaussians(spec, mu, 2 * np.log(sigma))


def run_gaussians(
    gp: Gaussians | None,
    gq: Gaussians | None,
    p: str,
    q: str,
    *,
    base: str,
    metrics: set[str],
    mask: str | None,
    per_row: bool,
    worst: int,
    given: list[str],
) -> BatchResult:
    """Rows of diagonal Gaussians against rows of others, or against one distribution."""
    from ..core.smoothing import Smoothing

    if gp is None or gq is None:
        other, this = ("P", "Q") if gp is None else ("Q", "P")
        raise InputError(
            f"{this} is diagonal Gaussians; {other} must be too (an .npz of mu and logvar or sigma, or normal(...))"
        )
    if given:
        raise UsageError(
            f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply to Gaussians (their figures are "
            "closed forms)"
        )
    if gp.mu.shape[0] == 1 and gq.mu.shape[0] == 1:
        raise UsageError("two single distributions: compare them with kl-cli compare")
    rows = max(gp.mu.shape[0], gq.mu.shape[0])
    for g in (gp, gq):
        if g.mu.shape[0] not in (1, rows):
            raise InputError(f"P has {gp.mu.shape[0]:,} rows and Q has {gq.mu.shape[0]:,}")
    dims = {gp.mu.shape[1], gq.mu.shape[1]}
    if len(dims) == 2 and 1 not in {gp.mu.shape[1], gq.mu.shape[1]}:
        raise InputError(f"P has {gp.mu.shape[1]} dimensions and Q has {gq.mu.shape[1]}")
    unknown = metrics - set(GAUSSIAN_METRICS)
    if unknown:
        raise UsageError(
            f"{', '.join(sorted(unknown))}: no closed form for Gaussians; batch gives {', '.join(GAUSSIAN_METRICS)}"
        )
    keep = None if mask is None else load_mask(mask, (rows,))
    index = np.arange(rows) if keep is None else np.flatnonzero(keep)
    if index.size == 0:
        raise UsageError("--mask leaves out every row; nothing to compare")

    def pick(g: Gaussians) -> tuple[np.ndarray, np.ndarray]:
        return (g.mu, g.logvar) if g.mu.shape[0] == 1 else (g.mu[index], g.logvar[index])

    (mp, lp), (mq, lq) = pick(gp), pick(gq)
    figures = gaussian_figures(mp, lp, mq, lq, metrics)
    scale = math.log(BASES[base])
    for k in figures:
        if k not in BASE_FREE:
            figures[k] = figures[k] / scale
    figures = {k: figures[k] for k in GAUSSIAN_METRICS if k in figures}
    n = int(index.size)
    worst_rows = []
    if worst and "kl_pq" in figures:
        terms = kl_terms(mp, lp, mq, lq) / scale
        terms = np.broadcast_to(terms, (n, terms.shape[1])) if terms.shape[0] == 1 else terms
        for j in np.argsort(-figures["kl_pq"], kind="stable")[:worst]:
            top = np.argsort(-terms[j], kind="stable")[:WORST]
            named = [(f"dimension {c}", math.nan, math.nan, float(terms[j, c])) for c in top]
            worst_rows.append(WorstRow(int(index[j]), float(figures["kl_pq"][j]), named))
    zeros = np.zeros(n, dtype=np.int64)
    return BatchResult(
        p_source=p,
        q_source=q,
        input="gaussians",
        temperature=None,
        base=base,
        smoothing=Smoothing(),
        shape=(rows,),
        categories=max(dims),
        rows=n,
        masked=rows - n,
        index=index,
        figures=figures,
        summary={k: summarize(v, index) for k, v in figures.items()},
        top1=None,
        zero_in_q=zeros,
        zero_in_p=zeros,
        per_sequence=None,
        sequences=0,
        empty_sequences=0,
        worst=worst_rows,
        labelled=True,
        per_row=per_row,
        notes=[
            "diagonal Gaussians: closed forms summed over the dimensions; JS and total variation have none",
            *([f"{rows - n:,} masked rows left out (--mask)"] if keep is not None else []),
        ],
    )
