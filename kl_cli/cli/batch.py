"""`kl-cli batch P Q`: options into one call, the result to a renderer."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..vocabulary import BATCH_INPUTS, BATCH_METRICS, BATCH_STATS, OUTPUT_FORMATS
from . import options as shared
from .app import EXIT_EXCEEDED, EXIT_OK
from .needs import KlCommand
from .options import (
    Number,
    base_option,
    choice_option,
    debug_option,
    emit_warnings,
    exceeded,
    fail_above_option,
    format_option,
    say,
    smoothing_options,
)
from .streams import check_stdout


def _text_options(f: Any) -> Any:
    """How to read a text batch: its encoding and layout, the options every table reader shares."""
    text = [shared.encoding_option("Text encoding of CSV/TSV and JSON sources."), *shared.table_layout_options()]
    for decorator in reversed(text):
        f = decorator(f)
    return f


@click.command(cls=KlCommand)
@click.argument("p")
@click.argument("q")
@click.option(
    "--input",
    "input_kind",
    type=click.Choice(BATCH_INPUTS),
    help="What the rows hold (default probs): probabilities or weights (each row normalized), logits (a "
    "log-softmax; -inf is probability 0) or log-probabilities (a row summing to less than 1 gets the rest "
    "as a '(rest)' category).",
)
@click.option("--temperature", type=Number("temperature"), help="Softmax temperature for --input logits (default 1).")
@click.option("--key", help="The array of an .npz archive to read (default: its only array), on both sides.")
@click.option(
    "--mask",
    help="A 0/1 array (.npy/.npz) or one-column file of the rows' leading shape: 1 keeps a row, 0 leaves it out "
    "(padding); masked rows are not read for errors and are counted.",
)
@smoothing_options
@base_option("e")
@format_option(
    OUTPUT_FORMATS,
    "table (summary, histogram, worst rows), json (strict), csv (one line per row), markdown, or value.",
)
@choice_option(
    "--metric",
    BATCH_METRICS,
    "kl_pq",
    "The metric for --format value and --fail-above.",
)
@choice_option(
    "--stat",
    BATCH_STATS,
    "mean",
    "The statistic of --metric over rows for --format value and --fail-above (sequence_mean: the mean over "
    "sequences of the sum over their positions, 3-D input only).",
)
@fail_above_option("Exit 1 when --stat of --metric exceeds this value (infinite always does).")
@click.option("--per-row", is_flag=True, help="Add every row's figures to --format json (key per_row).")
@_text_options
@debug_option
def batch(
    p: str,
    q: str,
    input_kind: str,
    fmt: str,
    metric: str,
    stat: str,
    fail_above: float | None,
    per_row: bool,
    **options: Any,
) -> int:
    """Compare row i of batch P with row i of batch Q, for every row.

    P and Q are .npy arrays (rows x categories, or sequences x positions x
    categories), .npz archives (--key), wide tables (CSV/TSV, compressed, or
    Parquet: a header of category names, matched by name; --no-header: by
    position) or JSON lines (a list of numbers or an object {label: value} a
    line; a label an object leaves out is missing there); or diagonal Gaussians (an .npz of mu and
    logvar or sigma, rows x dimensions) against others or normal(0,1). Exit status: 0 ok, 1 --stat of --metric
    over --fail-above, 2 trouble.
    """
    from ..render.batch import render_batch
    from ..reports.batch import run_batch
    from ..reports.verdict import fail_above_verdict

    check_stdout()
    options.pop("debug")
    only_value = fmt == "value" and not per_row
    metrics = [metric] if only_value else None
    result = run_batch(
        p, q, input=input_kind, metrics=metrics, per_row=per_row, worst=0 if only_value else 5, **options
    )
    value = result.stat(metric, stat) if fmt == "value" or fail_above is not None else None
    over = exceeded(value, fail_above, f"the {stat} of {metric}")
    verdict = fail_above_verdict(fail_above, value, over, metric, stat=stat)
    emit_warnings(result.warnings)
    if fmt in ("csv", "value"):  # the other formats carry the notes themselves
        for note in result.notes:
            say("note", note)
    render_batch(result, fmt, sys.stdout, metric=metric, stat=stat, verdict=verdict)
    sys.stdout.flush()
    return EXIT_EXCEEDED if over else EXIT_OK
