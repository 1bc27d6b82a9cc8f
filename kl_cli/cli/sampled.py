"""`kl-cli sampled TABLE --logq C --logp C` or `kl-cli sampled LOGQ.npy LOGP.npy`: options into one call."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..vocabulary import OUTPUT_FORMATS
from .app import EXIT_EXCEEDED, EXIT_OK
from .needs import KlCommand
from .options import (
    base_option,
    choice_option,
    debug_option,
    emit_warnings,
    encoding_option,
    exceeded,
    fail_above_option,
    format_option,
    open_stdin,
    table_layout,
)
from .streams import check_stdout


@click.command(cls=KlCommand)
@click.argument("source")
@click.argument("logp_array", required=False, metavar="[LOGP]")
@click.option("--logq", help="Column (or .npz member) of log q(x): the policy that drew the tokens.")
@click.option("--logp", help="Column (or .npz member) of log p(x): the policy compared with it.")
@click.option("--sequence", help="Column of sequence ids: also give the per-sequence KL (sum over a sequence).")
@click.option(
    "--mask", help="0/1 column (TABLE), .npz member, or array file (LOGQ LOGP) of the tokens to count (1: counted)."
)
@base_option("e")
@format_option(
    OUTPUT_FORMATS,
    "table (rich report), json (strict), csv (one row per estimator and aggregation), markdown, "
    "or value (the figure --estimator, --per and --stat choose).",
)
@click.option(
    "--estimator",
    type=click.Choice(["k1", "k2", "k3"]),
    default="k3",
    show_default=True,
    help="The estimator for --format value and --fail-above: k1 (unbiased), k2 (biased), k3 (unbiased, >= 0).",
)
@choice_option(
    "--per",
    ["token", "sequence"],
    "token",
    "For --format value and --fail-above: the mean per token, or per sequence (needs sequences).",
)
@choice_option(
    "--stat",
    ["mean", "sem"],
    "mean",
    "For --format value and --fail-above: the estimate (mean) or its standard error (sem).",
)
@fail_above_option("Exit 1 when the chosen figure exceeds this value (infinite always does).")
@encoding_option("Text encoding of a table.")
@table_layout
@debug_option
def sampled(
    source: str,
    logp_array: str | None,
    fmt: str,
    estimator: str,
    per: str,
    stat: str,
    fail_above: float | None,
    **options: Any,
) -> int:
    """Estimate KL(q||p) from the log-probabilities of tokens drawn from q.

    SOURCE is a table (CSV, TSV, JSON, JSON lines, Parquet; compressed; -
    for standard input) with the columns --logq and --logp, or an .npz with
    those members; or give two arrays LOGQ LOGP (.npy, memory-mapped) of
    tokens or sequences x positions. Schulman's k1, k2 and k3 with their
    standard errors, per token and per sequence. Exit status: 0 ok, 1 the
    figure over --fail-above, 2 trouble.
    """
    from ..render.sampled import render_sampled
    from ..reports.sampled import run_sampled
    from ..reports.verdict import fail_above_verdict

    check_stdout()
    options.pop("debug")
    result = run_sampled(source, logp_array, open_stdin=open_stdin, **options)
    if per == "sequence" and result.per_sequence is None:
        raise click.UsageError("--per sequence needs sequences: a --sequence column, or 2-D arrays")
    value = result.figure(estimator, per, stat)
    if value is None and (fmt == "value" or fail_above is not None):
        why = result.not_estimated.get(estimator, "a standard error needs at least two values (tokens or sequences)")
        raise click.UsageError(f"--estimator {estimator}: {why}")
    over = exceeded(value, fail_above, f"{estimator} ({stat}, per {per})")
    verdict = fail_above_verdict(fail_above, value, over, estimator, stat=stat, per=per)
    emit_warnings(list(result.warnings))
    render_sampled(result, fmt, sys.stdout, estimator=estimator, per=per, stat=stat, verdict=verdict)
    sys.stdout.flush()
    return EXIT_EXCEEDED if over else EXIT_OK
