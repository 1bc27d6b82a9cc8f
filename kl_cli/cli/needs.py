"""Options that do something only with others: one table, checked before a command runs.

An option given on the command line that would have no effect in the
combination given is a usage error naming what it needs, never silently
ignored. Each row says which commands it is checked in, what the option needs
in words, and when it takes effect (a predicate over the parsed values).
Only an option given on the command line (or through an environment
variable) is checked: one left at its default, or set by a default map (a
configuration file shared by runs with and without the option it needs), is
not. The values the predicates read include defaults, so ``--permutations``
from a configuration file makes ``--significance`` take effect.

``KlCommand`` runs the check after parsing and before the command's body, so
every command built with it is checked and nothing is read first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click
from click.core import ParameterSource

from ..errors import UsageError
from ..vocabulary import DETAIL_FORMATS

Params = Mapping[str, Any]

# Sources that count as "given": the user asked for this option in this run.
GIVEN = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)

COMPARE, DRIFT, BATCH, SAMPLED, MATRIX = ("compare",), ("drift",), ("batch",), ("sampled",), ("matrix",)
PROFILE = ("profile",)


@dataclass(frozen=True)
class Need:
    """``option`` (a parameter name) takes effect only when ``effective(params)``;
    ``needs`` says what that takes, in words ("... has no effect without
    {needs}"). With ``against`` (a parameter name), the message names the
    value of that option that stands in the way instead ("... has no effect
    with --format csv: it needs {needs}"); with ``overridden``, the options
    that override it ("... has no effect with {overridden}")."""

    option: str
    commands: tuple[str, ...]
    needs: str
    effective: Callable[[Params], bool]
    against: str | None = None
    overridden: str | None = None


def _resampled(p: Params) -> bool:
    return bool(p.get("permutations") or p.get("bootstrap"))


def _knn(p: Params) -> bool:
    return p.get("estimator") == "knn"


def _one_figure(p: Params) -> bool:
    """The figure chosen by --metric (--stat, --estimator, --per) is read by --format value and --fail-above only."""
    return p.get("fmt") == "value" or p.get("fail_above") is not None


def _maybe_distribution(word: object) -> bool:
    """A side of compare that is, or may hold, a parametric distribution (a call
    such as normal(0,1), or a JSON file): its Monte Carlo integrals are seeded."""
    from ..inputs.distribution import looks_like_call

    if not isinstance(word, str) or word == "-":
        return False
    if looks_like_call(word):
        return True
    if not os.path.isfile(word):
        return False
    from ..errors import KlError
    from ..inputs.source import Source

    try:
        return Source(word, word).format == "json"
    except (KlError, OSError):
        return True  # unreadable here: the pipeline says why, not this check


def _two_distributions(p: Params) -> bool:
    """Both sides of compare are written as parametric distributions (normal(0,1)): no categories to list."""
    from ..inputs.distribution import looks_like_call

    return all(isinstance(p.get(side), str) and looks_like_call(p[side]) for side in ("p", "q"))


def _categories(p: Params) -> bool:
    """compare lists categories: counts or binned observations, not a knn estimate or two distributions."""
    return not _knn(p) and not _two_distributions(p)


def _seeded(p: Params) -> bool:
    return _resampled(p) or _knn(p) or _maybe_distribution(p.get("p")) or _maybe_distribution(p.get("q"))


SMOOTHING_PARAMETERS = (
    Need("alpha", COMPARE + DRIFT + BATCH + MATRIX, "--smoothing additive", lambda p: p["smoothing"] == "additive"),
    Need("epsilon", COMPARE + DRIFT + BATCH + MATRIX, "--smoothing epsilon", lambda p: p["smoothing"] == "epsilon"),
    Need("lambda_", COMPARE + DRIFT + BATCH + MATRIX, "--smoothing mix", lambda p: p["smoothing"] == "mix"),
)

NEEDS: tuple[Need, ...] = (
    *SMOOTHING_PARAMETERS,
    # resampling
    Need("confidence", COMPARE + DRIFT, "--bootstrap", lambda p: bool(p["bootstrap"])),
    Need("seed", DRIFT, "--permutations or --bootstrap", _resampled),
    Need("seed", COMPARE, "--permutations, --bootstrap, --estimator knn or a parametric distribution", _seeded),
    Need("significance", DRIFT, "--permutations", lambda p: bool(p["permutations"])),
    Need("correction", DRIFT, "--permutations", lambda p: bool(p["permutations"])),
    # compare: raw observations
    Need("bins", COMPARE, "--samples", lambda p: bool(p["samples"])),
    Need("binning", COMPARE, "--samples", lambda p: bool(p["samples"])),
    Need("estimator", COMPARE, "--samples", lambda p: bool(p["samples"])),
    Need("k", COMPARE, "--estimator knn", _knn),
    Need("columns", COMPARE, "--estimator knn", _knn),
    Need("bins", COMPARE, "--estimator binned", lambda p: not _knn(p), against="estimator"),
    Need("binning", COMPARE, "--estimator binned", lambda p: not _knn(p), against="estimator"),
    Need("smoothing", COMPARE, "--estimator binned (counts)", lambda p: not _knn(p), against="estimator"),
    Need("n_p", COMPARE, "--estimator binned (counts)", lambda p: not _knn(p), against="estimator"),
    Need("n_q", COMPARE, "--estimator binned (counts)", lambda p: not _knn(p), against="estimator"),
    Need(
        "strict",
        COMPARE,
        "weights read as they are (binned observations are always counts)",
        lambda p: not p["samples"],
        against="samples",
    ),
    # what an output format shows
    Need(
        "top",
        COMPARE,
        "--format table, markdown or html",
        lambda p: p["fmt"] in ("table", "markdown", "html"),
        against="fmt",
    ),
    Need("top", COMPARE, "categories (--estimator binned)", lambda p: not _knn(p), against="estimator"),
    Need("top", COMPARE, "categories (two distributions have none)", _categories),
    Need(
        "order",
        COMPARE,
        "a format that lists categories (table, markdown, csv, json or html)",
        lambda p: p["fmt"] != "value",
        against="fmt",
    ),
    Need("order", COMPARE, "categories (--estimator binned)", lambda p: not _knn(p), against="estimator"),
    Need("order", COMPARE, "categories (two distributions have none)", _categories),
    Need("detail", DRIFT, "--format table, markdown or html", lambda p: p["fmt"] in DETAIL_FORMATS, against="fmt"),
    Need("per_row", BATCH, "--format json (--format csv is always one line per row)", lambda p: p["fmt"] == "json"),
    Need("metric", COMPARE + BATCH, "--format value or --fail-above (every format shows every metric)", _one_figure),
    Need("stat", BATCH, "--format value or --fail-above", _one_figure),
    Need("estimator", SAMPLED, "--format value or --fail-above (every format shows every estimator)", _one_figure),
    Need("per", SAMPLED, "--format value or --fail-above", _one_figure),
    Need("stat", SAMPLED, "--format value or --fail-above", _one_figure),
    # options that others override on both sides
    Need(
        "column",
        COMPARE,
        "",
        lambda p: p["p_column"] is None or p["q_column"] is None,
        overridden="both --p-column and --q-column (each side's own wins)",
    ),
    Need(
        "input_format",
        COMPARE,
        "",
        lambda p: p["p_format"] is None or p["q_format"] is None,
        overridden="both --p-format and --q-format (each side's own wins)",
    ),
    Need(
        "input_format",
        DRIFT,
        "",
        lambda p: p["reference_format"] is None or p["current_format"] is None,
        overridden="both --reference-format and --current-format (each side's own wins)",
    ),
    # batch: what the rows hold
    Need("temperature", BATCH, "--input logits", lambda p: p["input_kind"] == "logits"),
    # where drift and profile count
    Need("scheduler", DRIFT + PROFILE, "--engine dask", lambda p: p["engine"] == "dask"),
    Need("workers", DRIFT + PROFILE, "--engine dask", lambda p: p["engine"] == "dask"),
    Need(
        "workers",
        DRIFT + PROFILE,
        "",
        lambda p: p["scheduler"] is None,
        overridden="--scheduler (a running cluster has its own workers)",
    ),
)


def check_needs(ctx: click.Context) -> None:
    """Refuse the first option given on the command line that would have no effect."""
    command = ctx.command.name or ""
    for need in NEEDS:
        if command not in need.commands or ctx.get_parameter_source(need.option) not in GIVEN:
            continue
        if need.effective(ctx.params):
            continue
        flag = _flag(ctx, need.option)
        if need.overridden is not None:
            raise UsageError(f"{flag} has no effect with {need.overridden}")
        if need.against is None:
            raise UsageError(f"{flag} has no effect without {need.needs}")
        blocker = _flag(ctx, need.against)
        value = ctx.params[need.against]
        shown = "" if isinstance(value, bool) else f" {value if value is not None else ''}".rstrip()
        raise UsageError(f"{flag} has no effect with {blocker}{shown}: it needs {need.needs}")


def _flag(ctx: click.Context, name: str) -> str:
    """The option's long spelling (``lambda_`` -> ``--lambda``, ``fmt`` -> ``--format``)."""
    for param in ctx.command.params:
        if param.name == name and isinstance(param, click.Option):
            return max(param.opts, key=len)
    return f"--{name.replace('_', '-')}"


def complete_files(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Arguments are files (or inline words): the shell completes file names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


class KlCommand(click.Command):
    """A command whose options are checked against ``NEEDS`` before it runs,
    and whose arguments complete as file names in the shell."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Argument) and getattr(param, "_custom_shell_complete", False) is None:
                param._custom_shell_complete = complete_files

    def invoke(self, ctx: click.Context) -> Any:
        if not ctx.resilient_parsing:
            check_needs(ctx)
        return super().invoke(ctx)
