"""sampled's report in every format: table (rich), json, csv, markdown, value."""

from __future__ import annotations

from typing import TextIO

from ..reports.sampled import DIRECTION, PROPERTIES, SampledResult
from ..reports.verdict import Verdict, csv_with_verdict, with_verdict
from ..text import exact, number, visible
from .terminal import report_console, verdict_line
from .writers import md_escape, md_table, output_encoding, write_csv, write_json, write_value

CSV_HEADER = ["estimator", "per", "mean", "sem", "n", "properties"]
SHORT = {"k1": "unbiased", "k2": "biased, >= 0", "k3": "unbiased, >= 0"}
PERS = ("token", "sequence")


def render_sampled(
    result: SampledResult,
    fmt: str,
    out: TextIO,
    *,
    estimator: str = "k3",
    per: str = "token",
    stat: str = "mean",
    verdict: Verdict | None = None,
) -> None:
    """Write the report in the chosen format (``value``: one figure, chosen by
    estimator, per and stat); ``verdict``: --fail-above's, stated by every
    format but ``value`` (one number: the exit status tells)."""
    if fmt == "json":
        write_json(with_verdict(result.to_dict(), verdict), out)
    elif fmt == "csv":
        write_csv(*csv_with_verdict(CSV_HEADER, _csv_rows(result), verdict), out)
    elif fmt == "markdown":
        out.write(_markdown(result, output_encoding(out), verdict) + "\n")
    elif fmt == "value":
        value = result.figure(estimator, per, stat)
        assert value is not None  # the command refuses a figure that is not there
        write_value(value, out)
    else:
        _table(result, out, verdict)


def _rows(result: SampledResult) -> list[tuple[str, str, str, str, int]]:
    """(estimator, per, mean, sem, n) with the figures for machines (exact) or '' when not estimated."""
    rows = []
    for per, table in (("token", result.estimators), ("sequence", result.per_sequence)):
        if table is None:
            continue
        for k, e in table.items():
            missing = k in result.not_estimated
            sem = "" if missing or e.sem is None else exact(e.sem)
            rows.append((k, per, "" if missing else exact(e.mean), sem, e.n))
    return rows


def _csv_rows(result: SampledResult) -> list[list[str]]:
    return [[k, per, mean, sem, str(n), PROPERTIES[k]] for k, per, mean, sem, n in _rows(result)]


def _shown(result: SampledResult, k: str, per: str, stat: str) -> str:
    value = result.figure(k, per, stat)
    return "not estimated" if value is None else number(value)


def _headline(result: SampledResult) -> list[str]:
    sequences = "" if result.sequences is None else f", {result.sequences:,} sequences"
    masked = f" ({result.masked:,} masked)" if result.masked else ""
    return [
        f"{DIRECTION} in {result.unit}, q = the policy that drew the tokens ({result.q_source}), p = {result.p_source}",
        f"{result.tokens:,} tokens{masked}{sequences}. KL(p||q) cannot be estimated from samples of q.",
    ]


def _markdown(result: SampledResult, encoding: str | None, verdict: Verdict | None = None) -> str:
    header = ["estimator", "per token", "sem"]
    if result.per_sequence is not None:
        header += ["per sequence", "sem"]
    header.append("")
    rows = []
    for k in PROPERTIES:
        cells = [k, _shown(result, k, "token", "mean"), _shown(result, k, "token", "sem")]
        if result.per_sequence is not None:
            cells += [_shown(result, k, "sequence", "mean"), _shown(result, k, "sequence", "sem")]
        cells.append(PROPERTIES[k])
        rows.append([md_escape(c, encoding) for c in cells])
    lines = [md_escape(line, encoding) for line in _headline(result)]
    text = "\n\n".join(lines) + "\n\n" + md_table(header, rows)
    notes = [f"- note: {md_escape(n, encoding)}" for n in result.notes[1:]]
    if notes:
        text += "\n\n" + "\n".join(notes)
    if verdict is not None:
        text += f"\n\n**{md_escape(verdict.sentence(), encoding)}**"
    return text


def _table(result: SampledResult, out: TextIO, verdict: Verdict | None = None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    enc = output_encoding(out)
    console, _ = report_console(out)
    first, second = _headline(result)
    console.print(Text(visible(first, encoding=enc), style="bold"))
    console.print(Text(visible(second, encoding=enc)))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("estimator", no_wrap=True, min_width=9)
    table.add_column("per token", justify="right", no_wrap=True)
    table.add_column("sem", justify="right", no_wrap=True)
    if result.per_sequence is not None:
        table.add_column("per sequence", justify="right", no_wrap=True)
        table.add_column("sem", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for k, what in SHORT.items():
        cells = [k, _shown(result, k, "token", "mean"), _shown(result, k, "token", "sem")]
        if result.per_sequence is not None:
            cells += [_shown(result, k, "sequence", "mean"), _shown(result, k, "sequence", "sem")]
        table.add_row(*cells, Text(what))
    console.print(table)
    for note in result.notes[1:]:
        console.print(Text(visible(f"note: {note}", encoding=enc), style="dim"))
    verdict_line(console, verdict, enc)
