"""Click commands and options only.

Options become calls into the library; the result goes to a renderer; and
``KlGroup.main`` maps every outcome to an exit status in one place:
0 ok, 1 over the allowed limit, 2 trouble, 130 interrupted.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import click

from .errors import KlError, UsageError
from .measures import METRICS
from .render import FORMATS, visible

EXIT_OK, EXIT_EXCEEDED, EXIT_TROUBLE, EXIT_INTERRUPTED = 0, 1, 2, 130


def say(kind: str, message: str) -> None:
    """One line on stderr, control characters made visible."""
    click.echo(f"kl-cli: {kind}: {visible(' '.join(message.split()))}", err=True)


class KlGroup(click.Group):
    """A group whose ``main`` turns every exception into one line and an exit status."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in (args[: args.index("--")] if "--" in args else args)
        try:
            if any("\x00" in a for a in args):  # only possible in-process: no shell passes a NUL byte
                raise UsageError("an argument holds a NUL byte")
            rv = super().main(args, prog_name or "kl-cli", complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else EXIT_OK
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            say("error", "interrupted")
            code = EXIT_INTERRUPTED
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "kl-cli"
            say("error", f"{exc.format_message()} (see '{where} --help')")
            code = EXIT_TROUBLE
        except click.ClickException as exc:
            say("error", exc.format_message())
            code = EXIT_TROUBLE
        except Exception as exc:
            code = _interrupted_or_error(exc, debug)
        if standalone_mode:
            sys.exit(code)
        return code


def _interrupted_or_error(exc: Exception, debug: bool) -> int:
    """One line for an error; 'interrupted' when Ctrl-C came first and a
    library turned it into an error of its own (pandas' C parser does)."""
    if _interrupted:
        say("error", "interrupted")
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        return _quiet_broken_pipe()
    if debug:
        _print_traceback()
    if isinstance(exc, KlError):
        say("error", exc.one_line())
    else:  # an internal error: still one line, unless --debug
        say("error", f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    return EXIT_TROUBLE


def _print_traceback() -> None:
    import traceback  # only for --debug: it costs start-up time otherwise

    traceback.print_exc()


def _quiet_broken_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as cat does."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_OK


# Set by the SIGINT handler: some readers (pandas' C parser among them) turn
# the KeyboardInterrupt raised inside them into an error of their own.
_interrupted: list[int] = []


def _on_interrupt(signum: int, frame: Any) -> None:
    _interrupted.append(signum)
    raise KeyboardInterrupt


def run() -> None:
    """Console-script entry point."""
    import signal

    signal.signal(signal.SIGINT, _on_interrupt)
    if hasattr(signal, "SIGPIPE"):
        # Default SIGPIPE handling, as csvkit does, so `kl-cli ... | head -1` is quiet.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli.main()


# ---------------------------------------------------------------------------
# Option groups, defined once and shared by every command that needs them


def smoothing_options(f: Callable[..., Any]) -> Callable[..., Any]:
    from .smoothing import METHODS

    f = click.option("--lambda", "lambda_", type=float, help="Uniform share for --smoothing mix (default 0.01).")(f)
    f = click.option(
        "--epsilon", type=float, help="Value that replaces zeros for --smoothing epsilon (default 1e-10)."
    )(f)
    f = click.option("--alpha", type=float, help="Pseudo-count for --smoothing additive (default 1).")(f)
    f = click.option(
        "--smoothing",
        type=click.Choice(METHODS),
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


@dataclass(frozen=True)
class DatasetArgs:
    """The dataset options of drift and profile, checked and gathered."""

    options: Any  # ProfileOptions
    explicit: set[str]
    columns: list[str] | None
    exclude: list[str]
    encoding: str
    chunk_rows: int

    def read_kwargs(self, progress: Any = None) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "chunk_rows": self.chunk_rows,
            "open_stdin": open_stdin,
            "progress": progress,
        }


def dataset_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the commands that read whole datasets (drift, profile),
    handed to the command as one ``dataset: DatasetArgs``."""
    from .binning import BINNINGS
    from .sources import DEFAULT_CHUNK_ROWS

    @functools.wraps(f)
    def command(
        *args: Any,
        columns: tuple[str, ...],
        exclude: tuple[str, ...],
        bins: int | None,
        binning: str | None,
        categorical: tuple[str, ...],
        numeric: tuple[str, ...],
        encoding: str,
        chunk_rows: int,
        **kwargs: Any,
    ) -> Any:
        check_encoding(encoding)
        options, explicit = profile_options_from(bins, binning, categorical, numeric)
        dataset = DatasetArgs(options, explicit, names(columns) or None, names(exclude), encoding, chunk_rows)
        return f(*args, dataset=dataset, **kwargs)

    for decorator in reversed(
        [
            click.option("--columns", multiple=True, help="Only these columns (comma-separated, repeatable)."),
            click.option("--exclude", multiple=True, help="Leave out these columns (comma-separated, repeatable)."),
            click.option("--bins", type=int, help="Bins for numeric columns (default 10); always honoured."),
            click.option("--binning", type=click.Choice(BINNINGS), help="quantile (default) or uniform bin edges."),
            click.option("--categorical", multiple=True, help="Treat these columns as categorical."),
            click.option("--numeric", multiple=True, help="Treat these columns as numeric (binned)."),
            click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the data files."),
            click.option(
                "--chunk-rows",
                type=click.IntRange(min=1),
                default=DEFAULT_CHUNK_ROWS,
                show_default=True,
                help="Rows read at a time; memory is bounded by this, not the file size.",
            ),
        ]
    ):
        command = decorator(command)
    return command


def names(values: tuple[str, ...]) -> list[str]:
    """Flatten repeatable, comma-separated column options."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def profile_options_from(
    bins: int | None, binning: str | None, categorical: tuple[str, ...], numeric: tuple[str, ...]
) -> Any:
    """ProfileOptions from the command line, and the set of those given explicitly."""
    from .profile import ProfileOptions

    cat, num = names(categorical), names(numeric)
    both = sorted(set(cat) & set(num))
    if both:
        raise UsageError(f"column(s) {', '.join(both)} named by both --categorical and --numeric")
    if bins is not None and bins < 1:
        raise UsageError(f"--bins must be at least 1, got {bins}")
    options = ProfileOptions(bins or 10, binning or "quantile", tuple(cat), tuple(num))
    explicit = {k for k, v in (("bins", bins), ("binning", binning), ("categorical", cat), ("numeric", num)) if v}
    return options, explicit


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--encoding", default="utf-8", show_default=True, help="Text encoding of files and standard input."
    )(f)
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
                type=click.IntRange(min=0),
                default=0,
                show_default=True,
                help="Permutation test of 'P and Q are samples of one distribution' (0 = off).",
            ),
            click.option(
                "--bootstrap",
                type=click.IntRange(min=0),
                default=0,
                show_default=True,
                help="Bootstrap resamples for confidence intervals of every metric (0 = off).",
            ),
            click.option(
                "--confidence",
                type=click.FloatRange(0, 1, min_open=True, max_open=True),
                default=0.95,
                show_default=True,
                help="Confidence level of the bootstrap intervals.",
            ),
            click.option("--seed", type=click.IntRange(min=0), help="Seed that makes resampling reproducible."),
        ]
    ):
        f = decorator(f)
    return f


def debug_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--debug", is_flag=True, help="Show the traceback of an error (for bug reports).")(f)


def pick_smoothing(method: str, alpha: float | None, epsilon: float | None, lambda_: float | None) -> Any:
    """Check that only the chosen method's parameter was given, and build it."""
    from .smoothing import make_smoothing

    given = {"additive": alpha, "epsilon": epsilon, "mix": lambda_}
    names = {"additive": "--alpha", "epsilon": "--epsilon", "mix": "--lambda"}
    for other, value in given.items():
        if value is not None and other != method:
            raise UsageError(f"{names[other]} applies to --smoothing {other}, not --smoothing {method}")
    return make_smoothing(method, given.get(method))


def check_encoding(encoding: str) -> None:
    """A known codec that turns bytes into text (not hex, base64, rot13, zlib...)."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown --encoding {encoding!r}") from None
    try:
        b"\x00\x00\x00\x00".decode(encoding, errors="ignore")  # not empty: b"".decode checks nothing
    except LookupError:
        raise UsageError(f"--encoding {encoding!r} is not a text encoding") from None


def open_stdin() -> BinaryIO:
    stream = sys.stdin.buffer
    if stream.isatty():
        click.echo("kl-cli: reading standard input (end with Ctrl-D)", err=True)
    return stream


def emit_warnings(warnings: list[str]) -> None:
    for w in warnings:
        say("warning", w)


def exceeded(value: float, limit: float | None) -> bool:
    """True when a limit was given and the value is over it (inf always is)."""
    return limit is not None and (math.isinf(value) or value > limit)


# ---------------------------------------------------------------------------
# Commands


@click.group(cls=KlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kl-cli", prog_name="kl-cli")
def cli() -> None:
    """Kullback-Leibler and related divergences between two distributions,
    with both directions explained."""


@cli.command()
@click.argument("p")
@click.argument("q", required=False)
@input_options
@smoothing_options
@base_option("e")
@click.option("--strict", is_flag=True, help="Error (instead of warn) when a side is neither probabilities nor counts.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (rich report), json (strict), csv (per category), markdown, or value (the --metric number).",
)
@click.option(
    "--metric",
    type=click.Choice(METRICS),
    default="kl_pq",
    show_default=True,
    help="The metric for --format value and --fail-above.",
)
@click.option("--fail-above", type=float, help="Exit 1 when --metric exceeds this value (infinite always does).")
@click.option("--top", type=click.IntRange(min=0), default=15, show_default=True, help="Categories shown; 0 for all.")
@resampling_options
@click.option("--n-p", type=click.IntRange(min=1), help="Sample size behind P's probabilities (for resampling).")
@click.option("--n-q", type=click.IntRange(min=1), help="Sample size behind Q's probabilities (for resampling).")
@click.option("--samples", is_flag=True, help="P and Q are raw numeric observations: bin them with edges from P.")
@click.option("--bins", type=click.IntRange(min=1), default=10, show_default=True, help="Bins for --samples.")
@click.option(
    "--binning",
    type=click.Choice(["quantile", "uniform"]),
    default="quantile",
    show_default=True,
    help="Bin edges for --samples: equal-frequency (quantile) or equal-width (uniform), from P.",
)
@debug_option
def compare(
    p: str,
    q: str | None,
    column: str | None,
    p_column: str | None,
    q_column: str | None,
    label_column: str | None,
    encoding: str,
    smoothing: str,
    alpha: float | None,
    epsilon: float | None,
    lambda_: float | None,
    base: str,
    strict: bool,
    fmt: str,
    metric: str,
    fail_above: float | None,
    top: int,
    permutations: int,
    bootstrap: int,
    confidence: float,
    seed: int | None,
    n_p: int | None,
    n_q: int | None,
    samples: bool,
    bins: int,
    binning: str,
    debug: bool,
) -> int:
    """Compare distribution P with Q.

    P and Q are inline lists (0.7,0.3 or rain=0.7,dry=0.3), CSV/TSV/JSON
    files, or - for standard input. Q may be omitted when P's source holds
    both (JSON {"p": ..., "q": ...}, or a table with --p-column and
    --q-column). Exit status: 0 ok, 1 --metric over --fail-above, 2 trouble.
    """
    from .comparison import compare_histograms
    from .render import render_compare
    from .significance import Resampling
    from .sources import ReadOptions, load_pair

    if fail_above is not None and math.isnan(fail_above):
        raise UsageError("--fail-above must be a number, not nan")
    sm = pick_smoothing(smoothing, alpha, epsilon, lambda_)
    check_encoding(encoding)
    options = ReadOptions(column, p_column, q_column, label_column, encoding)
    if samples:
        from .binning import binned_pair
        from .sources import load_samples

        (pv, p_name), (qv, q_name) = load_samples(p, q, options, open_stdin)
        hp, hq, note = binned_pair(pv, qv, bins, binning, p_name, q_name)
    else:
        hp, hq = load_pair(p, q, options, open_stdin)
        note = None
    resampling = Resampling(permutations, bootstrap, confidence, seed, n_p, n_q)
    result = compare_histograms(hp, hq, base=base, smoothing=sm, strict=strict, resampling=resampling)
    if note:
        result.notes.append(note)
    emit_warnings(result.warnings)
    render_compare(result, fmt, sys.stdout, top=top, metric=metric)
    sys.stdout.flush()
    return EXIT_EXCEEDED if exceeded(result.metrics[metric], fail_above) else EXIT_OK


@cli.command()
@click.argument("reference")
@click.argument("current")
@dataset_options
@click.option(
    "--metric",
    type=click.Choice(METRICS),
    default="js_distance",
    show_default=True,
    help="The metric a column is judged by (all are reported).",
)
@click.option("--threshold", type=float, default=0.1, show_default=True, help="A column drifts above this.")
@smoothing_options
@base_option("2")
@click.option(
    "--max-drift-share",
    type=float,
    help="Drift only when at least this share of columns drifted (default: any column).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "markdown"]),
    default="table",
    show_default=True,
    help="table (rich report), json (strict), csv (one row per column) or markdown (for CI summaries).",
)
@click.option("--detail", help="Also show the full per-category report of this column.")
@resampling_options
@click.option(
    "--significance",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="With --permutations, a column drifts only if its p-value is also below this.",
)
@debug_option
def drift(
    reference: str,
    current: str,
    dataset: DatasetArgs,
    metric: str,
    threshold: float,
    smoothing: str,
    alpha: float | None,
    epsilon: float | None,
    lambda_: float | None,
    base: str,
    max_drift_share: float | None,
    fmt: str,
    detail: str | None,
    permutations: int,
    bootstrap: int,
    confidence: float,
    seed: int | None,
    significance: float,
    debug: bool,
) -> int:
    """Check CURRENT data for drift from REFERENCE, column by column.

    REFERENCE is a data file (CSV, TSV, JSON lines, Parquet) or a profile
    written by `kl-cli profile`; CURRENT is a data file or - for standard
    input. Numeric columns are binned with edges from the reference only.
    Exit status: 0 no drift, 1 drift detected, 2 trouble.
    """
    from .drift import DriftSettings, run_drift
    from .render import ReadProgress, render_drift
    from .significance import Resampling

    sm = pick_smoothing(smoothing, alpha, epsilon, lambda_)
    resampling = Resampling(permutations, bootstrap, confidence, seed)
    settings = DriftSettings(metric, threshold, base, sm, max_drift_share, resampling, significance)
    with ReadProgress() as progress:
        report = run_drift(
            reference,
            current,
            settings=settings,
            options=dataset.options,
            explicit=dataset.explicit,
            columns=dataset.columns,
            exclude=dataset.exclude,
            **dataset.read_kwargs(progress),
        )
    if detail is not None:
        match = [c for c in report.columns if c.column == detail]
        if not match or match[0].comparison is None:
            raise UsageError(f"--detail {detail!r}: no such compared column")
    emit_warnings(report.warnings)
    render_drift(report, fmt, sys.stdout, detail=detail)
    sys.stdout.flush()
    return EXIT_EXCEEDED if report.drift_detected else EXIT_OK


@cli.command()
@click.argument("data", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Where to write the profile JSON (- for standard output).")
@dataset_options
@debug_option
def profile(
    data: tuple[str, ...],
    output: str,
    dataset: DatasetArgs,
    debug: bool,
) -> int:
    """Write a small reference profile of DATA for later drift checks.

    Several data files are profiled as one dataset. A profile given among
    DATA fixes the types and bin edges, and the data files are added to its
    counts; several profiles are merged by adding counts.
    """
    from .profile import (
        build_profile,
        extend_profile,
        frames_of,
        load_profile,
        looks_like_profile,
        merge_profiles,
        write_profile,
    )
    from .render import ReadProgress, write_json

    options, explicit = dataset.options, dataset.explicit
    if data.count("-") > 1:
        raise UsageError("standard input ('-') can be given only once")
    profiles = [p for p in data if looks_like_profile(p)]
    files = [p for p in data if p not in profiles]
    wanted = dataset.columns
    with ReadProgress() as progress:
        read_kwargs = dataset.read_kwargs(progress)
        if profiles:
            from .drift import check_profile_options

            loaded = [load_profile(p) for p in profiles]
            for path, prof in zip(profiles, loaded):
                check_profile_options(prof.options, options, explicit, path)
            result = merge_profiles(loaded)
            for path in files:
                result = extend_profile(result, frames_of([path], **read_kwargs)(None), path)
        else:
            result = build_profile(frames_of(files, **read_kwargs), options, list(files), wanted)
    for name in dataset.exclude:
        result.columns.pop(name, None)
    if output == "-":
        write_json(result.to_dict(), sys.stdout)
    else:
        write_profile(result, output)
        click.echo(f"kl-cli: wrote profile of {result.rows} rows, {len(result.columns)} columns to {output}", err=True)
    return EXIT_OK
