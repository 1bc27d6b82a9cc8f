"""`kl-cli matrix SOURCES...`: options into one call, the result to a renderer."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..vocabulary import MATRIX_FORMATS, MAX_MATRIX, MAX_MATRIX_WORK, PAIR_METRICS
from .app import EXIT_OK
from .needs import KlCommand
from .options import (
    base_option,
    choice_option,
    debug_option,
    emit_warnings,
    encoding_option,
    format_option,
    open_stdin,
    smoothing_options,
    table_layout,
)
from .streams import check_stdout


@click.command(cls=KlCommand)
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--rows",
    is_flag=True,
    help="SOURCE is one NumPy .npy/.npz array whose rows are the distributions (recognized by content anyway).",
)
@click.option("--key", help="The array of an .npz archive to read with --rows (needed when it holds several).")
@click.option("--names", help="Names of the --rows rows, comma-separated (default row0, row1, ...).")
@click.option("--columns", multiple=True, help="Only these numeric columns of a one-table source (comma-separated).")
@click.option("--column", help="The value column of each table among several sources (when it has several).")
@click.option("--label-column", help="Column holding the category labels (default: the only text column).")
@choice_option(
    "--metric",
    PAIR_METRICS,
    "js_distance",
    "The metric of every pair; an asymmetric one has P in rows and Q in columns.",
)
@base_option("e")
@smoothing_options
@click.option(
    "--order",
    type=click.Choice(["input", "cluster"]),
    default="input",
    show_default=True,
    help="Rows and columns as given, or clustered (average linkage, optimal leaf order) so similar ones are adjacent.",
)
@format_option(
    MATRIX_FORMATS,
    "table (a shaded grid), json (strict), csv (a header of names, one row per name) or markdown.",
)
@table_layout
@encoding_option("Text encoding of files and standard input.")
@debug_option
def matrix(sources: tuple[str, ...], fmt: str, columns: tuple[str, ...], **options: Any) -> int:
    """Pairwise divergences between many distributions.

    SOURCES: one table (its numeric columns are the distributions, over its
    label column), two or more distributions (inline lists or files, each
    read as compare reads one side, labels matched by name), or one array
    file with --rows (.npy/.npz, rows x categories). At most
    {max} distributions, and at most {work} pair-category evaluations
    (N (N - 1) / 2 x categories). Exit status: 0 ok, 2 trouble.
    """
    from ..render.matrix import render_matrix
    from ..reports.matrix import run_matrix

    check_stdout()
    options.pop("debug")
    result = run_matrix(list(sources), columns=list(columns), open_stdin=open_stdin, **options)
    emit_warnings(result.warnings)
    render_matrix(result, fmt, sys.stdout)
    sys.stdout.flush()
    return EXIT_OK


matrix.help = (matrix.help or "").replace("{max}", f"{MAX_MATRIX:,}").replace("{work}", f"{MAX_MATRIX_WORK:.0e}")
