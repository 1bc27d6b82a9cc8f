"""`kl-cli compare P Q`: options into one call, the result to a renderer."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..vocabulary import (
    BINNINGS,
    CATEGORY_ORDERS,
    COMPARE_FORMATS,
    ESTIMATORS,
    MAX_BINS,
    MAX_EXACT_INT,
    MAX_K,
    MAX_TOP,
    METRICS,
)
from .app import EXIT_EXCEEDED, EXIT_OK
from .needs import KlCommand
from .options import (
    Count,
    base_option,
    choice_option,
    debug_option,
    emit_warnings,
    exceeded,
    fail_above_option,
    format_option,
    input_options,
    open_stdin,
    resampling_options,
    smoothing_options,
)
from .streams import check_stdout


@click.command(cls=KlCommand)
@click.argument("p")
@click.argument("q", required=False)
@input_options
@smoothing_options
@base_option("e")
@click.option("--strict", is_flag=True, help="Error (instead of warn) when a side is neither probabilities nor counts.")
@format_option(
    COMPARE_FORMATS,
    "table (rich report), json (strict), csv (per category), markdown, value (the --metric number), or html "
    "(one self-contained page with a chart, no scripts).",
)
@choice_option(
    "--metric",
    METRICS,
    "kl_pq",
    "The metric for --format value and --fail-above.",
)
@fail_above_option("Exit 1 when --metric exceeds this value (infinite always does; inf: only infinite).")
@click.option(
    "--top",
    type=Count(0, MAX_TOP),
    default=15,
    show_default=True,
    help="Categories shown (the largest contributions to the divergence); 0 for all.",
)
@click.option(
    "--order",
    type=click.Choice(CATEGORY_ORDERS),
    help="How categories are listed: as read (input: bins from low to high) or largest contribution first "
    "(default: input for --samples bins, contribution otherwise).",
)
@resampling_options
@click.option("--n-p", type=Count(1, MAX_EXACT_INT), help="Sample size behind P's probabilities (for resampling).")
@click.option("--n-q", type=Count(1, MAX_EXACT_INT), help="Sample size behind Q's probabilities (for resampling).")
@click.option("--samples", is_flag=True, help="P and Q are raw numeric observations: bin them with edges from P.")
@click.option("--bins", type=Count(1, MAX_BINS), default=10, show_default=True, help="Bins for --samples.")
@click.option(
    "--binning",
    type=click.Choice(BINNINGS),
    default="quantile",
    show_default=True,
    help="Bin edges for --samples: equal-frequency (quantile) or equal-width (uniform), from P.",
)
@click.option(
    "--estimator",
    type=click.Choice(ESTIMATORS),
    help="For --samples: binned (the default) or knn (nearest-neighbour distances, no binning).",
)
@click.option("--k", "k", type=Count(1, MAX_K), help="Neighbours for --estimator knn (default 1).")
@click.option("--columns", help="Numeric columns read as vectors (x,y,...; the same on both sides), for knn.")
@debug_option
@click.pass_context
def compare(
    ctx: click.Context,
    p: str,
    q: str | None,
    fmt: str,
    metric: str,
    fail_above: float | None,
    top: int,
    order: str | None,
    **options: Any,
) -> int:
    """Compare distribution P with Q.

    P and Q are inline lists (0.7,0.3 or rain=0.7,dry=0.3), CSV/TSV/JSON
    files, or - for standard input. Q may be omitted when P's source holds
    both (JSON {"p": ..., "q": ...}, or a table with --p-column and
    --q-column). Exit status: 0 ok, 1 --metric over --fail-above, 2 trouble.
    """
    from ..render.compare import render_compare
    from ..render.progress import ReadProgress
    from ..reports.compare import run_compare
    from ..reports.verdict import fail_above_verdict

    check_stdout()
    options.pop("debug")
    with ReadProgress() as progress:
        result = run_compare(p, q, open_stdin=open_stdin, resample_progress=progress.resampling, **options)
    missing = getattr(result, "not_estimated", {})
    if metric in missing and (fmt == "value" or fail_above is not None):
        raise click.UsageError(f"--metric {metric}: {missing[metric]}")
    value = result.metrics.get(metric)
    over = exceeded(value, fail_above, f"--metric {metric}")
    verdict = fail_above_verdict(fail_above, value, over, metric)
    emit_warnings(result.warnings)
    if fmt == "html":  # above the other renderers: it reuses their rows
        from ..render.html_report import compare_html

        compare_html(result, sys.stdout, top=top, order=order, verdict=verdict)
    else:
        render_compare(result, fmt, sys.stdout, top=top, metric=metric, order=order, verdict=verdict)
    sys.stdout.flush()
    return EXIT_EXCEEDED if over else EXIT_OK
