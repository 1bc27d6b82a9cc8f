"""Option groups defined once and shared by the commands, and the small helpers they need."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

import click

from ..errors import InputError
from ..inputs.datasets import DEFAULT_CHUNK_ROWS
from ..inputs.registry import INPUT_FORMATS
from ..text import visible
from ..vocabulary import (
    BINNINGS,
    ENGINES,
    FLOAT_RANGES,
    MAX_BINS,
    MAX_CHUNK_ROWS,
    MAX_EXACT_INT,
    MAX_RESAMPLES,
    MAX_WORKERS,
    SMOOTHING_METHODS,
)


def say(kind: str, message: str) -> None:
    """One line on stderr, control characters made visible. A line that
    cannot be written is dropped: a diagnostic never changes the exit status."""
    with contextlib.suppress(OSError, ValueError):
        click.echo(f"kl-cli: {kind}: {visible(' '.join(message.split()))}", err=True)


def _shown(value: object) -> str:
    """A value quoted for an error message, cut when long (a 5,000-digit number)."""
    return repr(visible(str(value), 40))


def _spelled(n: float) -> str:
    """A bound for help and messages: 10,000,000 and 2^53 rather than 9007199254740992."""
    if isinstance(n, int) and n >= 2**20 and n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    if isinstance(n, int):
        return f"{n:,}"
    return f"{n:g}"


class Count(click.IntRange):
    """A whole-number option with a lower and an upper bound (both stated in
    its help by click): every size option has an upper bound, so that a run
    fits in memory (the bounds and their reasons are in ``vocabulary``)."""

    name = "integer"

    def __init__(self, low: int, high: int) -> None:
        super().__init__(min=low, max=high)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if text.lstrip("+-").isdigit() and len(text) > 30:  # past Python's int() limit of digits too
                self.fail(f"{_shown(value)} is not in the range {self._describe_range()}", param, ctx)
            try:
                number = int(text)
            except ValueError:
                self.fail(f"{_shown(value)} is not a whole number", param, ctx)
        if not self.min <= number <= self.max:  # type: ignore[operator]
            self.fail(f"{_shown(value)} is not in the range {self._describe_range()}", param, ctx)
        return number

    def _describe_range(self) -> str:
        return f"{_spelled(self.min)}<=x<={_spelled(self.max)}"  # type: ignore[arg-type]


class Number(click.FloatRange):
    """A float option checked at the door: never NaN (click's FloatRange lets
    it through, and every comparison with it is false), infinite only where
    the option gives infinity a meaning, and within its range."""

    name = "number"

    def __init__(self, option: str) -> None:
        low, high, low_open, high_open, self.infinite = FLOAT_RANGES[option]
        super().__init__(min=low, max=high, min_open=low_open, max_open=high_open)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = float(value if isinstance(value, (int, float)) else str(value).strip())
        except (ValueError, OverflowError):
            self.fail(f"{_shown(value)} is not a number", param, ctx)
        if math.isnan(number):
            self.fail(f"{_shown(value)} is not a number{self._within()}", param, ctx)
        if math.isinf(number) and not self.infinite:
            self.fail(f"{_shown(value)} is not a finite number{self._within()}", param, ctx)
        return super().convert(number, param, ctx)

    def _within(self) -> str:
        return "" if self.min is None and self.max is None else f" (expected {self._describe_range()})"

    def _describe_range(self) -> str:
        if self.min is None and self.max is None:
            return "" if self.infinite else "a finite number"
        if self.max is None:
            return f"x{'>' if self.min_open else '>='}{_spelled(self.min)}"  # type: ignore[arg-type]
        low = "" if self.min is None else f"{_spelled(self.min)}{'<' if self.min_open else '<='}"
        return f"{low}x{'<' if self.max_open else '<='}{_spelled(self.max)}"


def smoothing_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--lambda", "lambda_", type=Number("lambda"), help="Uniform share for --smoothing mix (default 0.01)."
    )(f)
    f = click.option(
        "--epsilon", type=Number("epsilon"), help="Value that replaces zeros for --smoothing epsilon (default 1e-10)."
    )(f)
    f = click.option("--alpha", type=Number("alpha"), help="Pseudo-count for --smoothing additive (default 1).")(f)
    f = click.option(
        "--smoothing",
        type=click.Choice(SMOOTHING_METHODS),
        default="none",
        show_default=True,
        help="How to treat zero probabilities; both sides are smoothed the same way.",
    )(f)
    return f


def base_option(default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--base",
        type=click.Choice(["e", "2", "10"]),
        default=default,
        show_default=True,
        help="Logarithm base: e (nats), 2 (bits), 10 (hartleys).",
    )


def dataset_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that read whole datasets (drift, profile)."""
    for decorator in reversed(
        [
            click.option("--columns", multiple=True, help="Only these columns (comma-separated, repeatable)."),
            click.option("--exclude", multiple=True, help="Leave out these columns (comma-separated, repeatable)."),
            click.option(
                "--bins",
                type=Count(1, MAX_BINS),
                help="Bins for numeric columns (default 10); always honoured. More bins say nothing more.",
            ),
            click.option("--binning", type=click.Choice(BINNINGS), help="quantile (default) or uniform bin edges."),
            click.option("--categorical", multiple=True, help="Treat these columns as categorical."),
            click.option("--numeric", multiple=True, help="Treat these columns as numeric (binned)."),
            encoding_option("Text encoding of the data files."),
            *table_layout_options(),
            click.option(
                "--chunk-rows",
                type=Count(1, MAX_CHUNK_ROWS),
                default=DEFAULT_CHUNK_ROWS,
                show_default=True,
                help="Rows read at a time; memory is bounded by this, not the file size.",
            ),
        ]
    ):
        f = decorator(f)
    return f


def engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Where drift and profile count their data: here, or on a Dask cluster."""
    for decorator in reversed(
        [
            click.option(
                "--engine",
                type=click.Choice(ENGINES),
                default="local",
                show_default=True,
                help="local: read and count here. dask: count the data files partition by partition on a Dask "
                "cluster, with the same result (needs kl-cli[dask]; data may be globs and fsspec URLs).",
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                help="With --engine dask: the running cluster's scheduler, such as tcp://host:8786 (default: a "
                "local cluster started for this run).",
            ),
            click.option(
                "--workers",
                type=Count(1, MAX_WORKERS),
                help="With --engine dask and no --scheduler: worker processes of the local cluster (default: "
                "one per CPU).",
            ),
        ]
    ):
        f = decorator(f)
    return f


def table_layout_options() -> list[Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """--input-format, --delimiter and --header/--no-header: what the user states of a table's layout."""
    return [
        click.option(
            "--input-format",
            type=click.Choice(INPUT_FORMATS, case_sensitive=False),
            help="Read every input as this format (default: recognized by content, then extension).",
        ),
        click.option(
            "--delimiter",
            help="Field delimiter of delimited text: a character, or comma, semicolon, tab, pipe (default: sniffed).",
        ),
        click.option(
            "--header/--no-header",
            default=None,
            help="Whether the first row of delimited text is a header (default: a first row of numbers above "
            "numeric columns is data).",
        ),
    ]


def choice_option(
    name: str, choices: Sequence[str], default: str | None, help: str, dest: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option taking one of ``choices`` (``--format``, ``--metric``, ``--stat``...), its default shown."""
    decls = [name] if dest is None else [name, dest]
    shown = default is not None
    return click.option(*decls, type=click.Choice(choices), default=default, show_default=shown, help=help)


def format_option(choices: Sequence[str], help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--format (into ``fmt``), default table."""
    return choice_option("--format", choices, "table", help, dest="fmt")


def fail_above_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--fail-above X: a float option that takes inf (the one that does), checked by ``exceeded``."""
    return click.option("--fail-above", type=Number("fail_above"), help=help)


def table_layout(f: Callable[..., Any]) -> Callable[..., Any]:
    """The table-layout options (``table_layout_options``) as one decorator."""
    for decorator in reversed(table_layout_options()):
        f = decorator(f)
    return f


def encoding_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--encoding, checked as it is parsed: a known codec that turns bytes into text."""
    return click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help=help,
        callback=lambda ctx, param, value: check_encoding(value),
    )


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = table_layout(encoding_option("Text encoding of files and standard input.")(f))
    f = click.option("--p-format", type=click.Choice(INPUT_FORMATS, case_sensitive=False), help="P's format.")(f)
    f = click.option("--q-format", type=click.Choice(INPUT_FORMATS, case_sensitive=False), help="Q's format.")(f)
    f = click.option("--label-column", help="Column holding the category labels.")(f)
    f = click.option("--q-column", help="Value column for Q (overrides --column).")(f)
    f = click.option("--p-column", help="Value column for P (overrides --column).")(f)
    f = click.option("--column", help="Column of values (or raw observations) in a CSV/TSV source.")(f)
    return f


def resampling_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Permutation test and bootstrap options, shared by compare and drift."""
    for decorator in reversed(
        [
            click.option(
                "--permutations",
                type=Count(0, MAX_RESAMPLES),
                default=0,
                show_default=True,
                help="Permutation test of 'P and Q are samples of one distribution' (0 = off).",
            ),
            click.option(
                "--bootstrap",
                type=Count(0, MAX_RESAMPLES),
                default=0,
                show_default=True,
                help="Bootstrap resamples for confidence intervals of every metric (0 = off).",
            ),
            click.option(
                "--confidence",
                type=Number("confidence"),
                default=0.95,
                show_default=True,
                help="Confidence level of the bootstrap intervals.",
            ),
            click.option("--seed", type=Count(0, MAX_EXACT_INT), help="Seed that makes resampling reproducible."),
        ]
    ):
        f = decorator(f)
    return f


def debug_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--debug", is_flag=True, help="Show the traceback of an error (for bug reports).")(f)


def check_encoding(encoding: str) -> str:
    """A text encoding files can be read in (the inputs layer's rule: not hex, base64, rot13, idna...)."""
    from ..inputs.streams import text_encoding

    return text_encoding(encoding)


def open_stdin() -> BinaryIO:
    if sys.stdin is None:
        raise InputError("standard input is closed")
    stream = sys.stdin.buffer
    if stream.isatty():
        click.echo("kl-cli: reading standard input (end with Ctrl-D)", err=True)
    return stream


def emit_warnings(warnings: list[str]) -> None:
    for w in warnings:
        say("warning", w)


def exceeded(value: float | None, limit: float | None, what: str = "the figure") -> bool:
    """True when a limit was given and the value is over it (inf always is). A
    check with nothing to compare (no figure, or NaN) fails as trouble, never passes."""
    if limit is None:
        return False
    if value is None or math.isnan(value):
        raise click.UsageError(f"--fail-above: {what} has no value to compare with {limit:g}")
    return math.isinf(value) or value > limit
