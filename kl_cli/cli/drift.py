"""`kl-cli drift REFERENCE CURRENT`: options into one call, the result to a renderer."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import UsageError
from ..inputs.registry import INPUT_FORMATS
from ..vocabulary import CORRECTIONS, DRIFT_FORMATS, METRICS
from .app import EXIT_EXCEEDED, EXIT_OK
from .config_options import apply_config, config_options
from .needs import KlCommand
from .options import (
    Number,
    base_option,
    choice_option,
    dataset_options,
    debug_option,
    emit_warnings,
    engine_options,
    format_option,
    open_stdin,
    resampling_options,
    smoothing_options,
)
from .streams import check_stdout


@click.command(cls=KlCommand)
@click.argument("reference")
@click.argument("current")
@dataset_options
@engine_options
@click.option("--reference-format", type=click.Choice(INPUT_FORMATS, case_sensitive=False), help="REFERENCE's format.")
@click.option("--current-format", type=click.Choice(INPUT_FORMATS, case_sensitive=False), help="CURRENT's format.")
@choice_option(
    "--metric",
    METRICS,
    "js_distance",
    "The metric a column is judged by (all are reported).",
)
@click.option(
    "--threshold", type=Number("threshold"), default=0.1, show_default=True, help="A column drifts above this."
)
@smoothing_options
@base_option("2")
@click.option(
    "--max-drift-share",
    type=Number("max_drift_share"),
    help="Drift only when at least this share of columns drifted (default: any column).",
)
@format_option(
    DRIFT_FORMATS,
    "table (rich report), json (strict), csv (one row per column), markdown (for CI summaries), junit "
    "(JUnit XML: a test case per column, for GitLab, Jenkins and others), github (GitHub Actions annotations; "
    "the markdown report is also appended to the file GITHUB_STEP_SUMMARY names, when set) or html (one "
    "self-contained page, a chart per column, no scripts).",
)
@click.option("--detail", help="Also show the full per-category report of this column.")
@resampling_options
@click.option(
    "--significance",
    type=Number("significance"),
    default=0.05,
    show_default=True,
    help="With --permutations, a column drifts only if its p-value is also below this.",
)
@click.option(
    "--correction",
    type=click.Choice(tuple(CORRECTIONS)),
    help="With --permutations: adjust the p-values across the columns tested, holm (the default), bh "
    "(Benjamini-Hochberg), bonferroni or none.",
)
@config_options("drift's settings and per-column rules")
@debug_option
def drift(reference: str, current: str, fmt: str, detail: str | None, **options: Any) -> int:
    """Check CURRENT data for drift from REFERENCE, column by column.

    REFERENCE is a data file (CSV, TSV, JSON lines, Parquet) or a profile
    written by `kl-cli profile`; CURRENT is a data file or - for standard
    input. Numeric columns are binned with edges from the reference only.
    Exit status: 0 no drift, 1 drift detected, 2 trouble.
    """
    from ..render.drift import render_drift
    from ..render.progress import ReadProgress
    from ..reports.drift import run_drift

    check_stdout()
    options.pop("debug")
    apply_config(click.get_current_context(), options)
    with ReadProgress() as progress:
        report = run_drift(
            reference,
            current,
            open_stdin=open_stdin,
            progress=progress,
            partition_progress=progress.partitions,
            resample_progress=progress.resampling,
            **options,
        )
    if detail is not None:
        match = [c for c in report.columns if c.column == detail]
        if not match or match[0].comparison is None:
            raise UsageError(f"--detail {detail!r}: no such compared column")
    emit_warnings(report.warnings)
    if fmt == "html":  # above the other renderers: it reuses their rows
        from ..render.html_report import drift_html

        drift_html(report, sys.stdout, detail=detail)
    else:
        render_drift(report, fmt, sys.stdout, detail=detail)
    sys.stdout.flush()
    if fmt == "github":
        summary = os.environ.get("GITHUB_STEP_SUMMARY")  # the runner's; read here so render stays pure
        if summary:
            from ..render.drift import drift_markdown
            from ..render.github import append_summary

            emit_warnings(append_summary(summary, drift_markdown(report, "utf-8")))
    return EXIT_EXCEEDED if report.drift_detected else EXIT_OK
