"""drift's report in every format: table (rich), json, csv (one row per column), markdown;
junit and github in their own modules.

Every field that comes from a profile or a data file (column names, types,
reasons, notes, sources) is escaped for the format: ``visible()`` for the
table, ``md_escape`` for markdown; both fit the output's encoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TextIO

from ..reports.drift_result import ColumnDrift, DriftReport, DriftSettings
from ..text import exact, fit, number, side_label, visible, visible_ends
from ..vocabulary import CORRECTIONS
from .compare import compare_markdown, compare_table
from .github import write_github
from .junit import write_junit
from .terminal import report_console
from .writers import md_escape, md_table, output_encoding, write_csv, write_json

DRIFT_CSV_HEADER = [
    "column",
    "type",
    "typed_by",
    "n_reference",
    "n_current",
    "metric",
    "value",
    "threshold",
    "drifted",
    "skipped",
    "top_label",
    "top_reference",
    "top_current",
    "p_value",
    "p_adjusted",
    "correction",
    "null_mean",
    "ci_low",
    "ci_high",
    "rule",
    "rule_source",
]


def render_drift(report: DriftReport, fmt: str, out: TextIO, *, detail: str | None = None) -> None:
    """Write a drift report in the chosen format."""
    if fmt == "json":
        write_json(report.to_dict(), out)
    elif fmt == "csv":
        write_csv(DRIFT_CSV_HEADER, drift_csv_rows(report), out)
    elif fmt == "markdown":
        out.write(drift_markdown(report, output_encoding(out)) + "\n")
    elif fmt == "junit":
        write_junit(report, out)
    elif fmt == "github":
        write_github(report, out)
    else:
        drift_table(report, out)
    if detail is not None and fmt in ("table", "markdown"):
        col = next(c for c in report.columns if c.column == detail)
        # The sides named as compare names them (the explanation speaks of P and
        # Q); a numeric column's categories are its bins, listed from low to high.
        shown = replace(
            col.comparison,
            p_source=side_label("P", report.reference, col.column),
            q_source=side_label("Q", report.current, col.column),
            binned=col.type == "numeric",
        )
        out.write("\n")
        if fmt == "markdown":
            out.write(compare_markdown(shown, top=0, encoding=output_encoding(out)) + "\n")
        else:
            compare_table(shown, out, top=0)


def drift_csv_rows(report: DriftReport) -> list[list[str]]:
    rows = []
    s = report.settings
    for c in report.columns:
        top = c.top(1)
        t = top[0] if top else {"label": "", "reference": "", "current": ""}
        rows.append(
            [
                c.column,
                c.type,
                c.typed_by,
                str(c.n_reference),
                str(c.n_current),
                c.metric,
                "" if c.value is None else exact(c.value),
                exact(c.threshold),
                "true" if c.drifted else "false",
                c.reason or "",
                t["label"],
                "" if t["reference"] == "" else exact(t["reference"]),
                "" if t["current"] == "" else exact(t["current"]),
                *_drift_resampling_cells(c, exact, s),
                c.own_text(),
                c.rule_source,
            ]
        )
    return rows


def _drift_resampling_cells(c: ColumnDrift, fmt: Callable[[float], str], s: DriftSettings) -> list[str]:
    """p-value, adjusted p-value, correction, null mean, interval low and high
    of a column's metric ('' when not computed)."""
    r = c.comparison
    test = None if r is None else r.test
    intervals = None if r is None else r.intervals
    if test is None or c.p_adjusted is None:
        cells = ["", "", "", ""]
    else:
        cells = [fmt(test.p_value[c.metric]), fmt(c.p_adjusted), s.correction or "", fmt(test.null_mean[c.metric])]
    cells += ["", ""] if intervals is None else [fmt(x) for x in intervals.bounds[c.metric]]
    return cells


def extra_headers(s: DriftSettings, interval: bool = True) -> list[str]:
    out = ["p-value", "p adj."] if s.resampling.permutations else []
    return out + ([_interval_header(s)] if s.resampling.bootstrap and interval else [])


def _interval_header(s: DriftSettings) -> str:
    return f"{s.resampling.confidence:.0%} interval"


def extra_cells(c: ColumnDrift, s: DriftSettings, interval: bool = True) -> list[str]:
    """The p-value, adjusted p-value and interval cells of a drift row, as the headers ask."""
    p, adjusted, _, _, _, _ = _drift_resampling_cells(c, lambda x: number(x, 3), s)
    out = [p, adjusted] if s.resampling.permutations else []
    return out + ([_interval_cell(c, s)] if s.resampling.bootstrap and interval else [])


def _interval_cell(c: ColumnDrift, s: DriftSettings) -> str:
    lo, hi = _drift_resampling_cells(c, lambda x: number(x, 3), s)[-2:]
    return f"[{lo}, {hi}]" if lo else ""


def significance_line(s: DriftSettings, tested: Sequence[ColumnDrift]) -> str:
    """How a column drifts with a permutation test: by the command's metric and
    threshold, or (some column judged by a rule of its own) its own."""
    how = f"{s.resampling.permutations} permutations, seed {s.resampling.seed}"
    n = len(tested)
    if s.correction == "none":
        adjusted = f" ({how}; not corrected for the {n} columns tested)"
    else:
        adjusted = f" ({how}), adjusted across the {n} columns tested by {CORRECTIONS[s.correction or 'none']},"
    same = all(c.metric == s.metric and c.threshold == s.threshold for c in tested)
    rule = f"{s.metric} exceeds {number(s.threshold)}" if same else "its metric exceeds its threshold"
    return f"A column drifts when {rule} and its permutation p-value{adjusted} is below {number(s.significance)}."


def drift_status(c: ColumnDrift) -> str:
    if c.reason:
        return "skipped"
    return "DRIFT" if c.drifted else "ok"


def drift_markdown(report: DriftReport, encoding: str | None = None) -> str:
    """The report as GitHub markdown (a CI job summary): no field from a
    profile or a file can make markup of its own."""
    rules = rule_header(report)

    def esc(text: object) -> str:
        return md_escape(text, encoding)

    s = report.settings
    icon = fit("❌" if report.drift_detected else "✅", encoding)
    parts = [
        f"### {icon} Drift check: {esc(report.current)} vs {esc(report.reference)}",
        "",
        f"Metric `{s.metric}` (base {esc(s.base)}), threshold {number(s.threshold)}; "
        f"smoothing: {esc(s.smoothing.describe())}. **{esc(report.verdict())}.**",
        "",
        md_table(
            [
                "column",
                "type",
                "n ref / n cur",
                _value_header(report),
                *extra_headers(s),
                *rules,
                "status",
                "largest change",
            ],
            (
                [
                    esc(c.column),
                    esc(c.type),
                    esc(f"{c.n_reference} / {c.n_current}"),
                    "" if c.value is None else number(c.value, 4),
                    *extra_cells(c, s),
                    *([esc(c.own_text())] if rules else []),
                    f"**{drift_status(c)}**" if c.drifted else drift_status(c),
                    esc(c.reason or c.top_text()),
                ]
                for c in report.columns
            ),
        ),
    ]
    if s.resampling.permutations:
        parts += ["", significance_line(s, report.compared)]
    if rules:
        parts += ["", esc(rule_line(report))]
    notes = [*report.notes, *(f"{c.column}: {n}" for c in report.columns for n in c.notes)]
    if notes:
        parts.append("")
        parts += [f"> {esc(n)}" for n in notes]
    if report.warnings:
        parts += ["", "**Warnings**", ""]
        parts += [f"- {esc(w)}" for w in report.warnings]
    return "\n".join(parts)


def drift_table(report: DriftReport, out: TextIO, width: int | None = None) -> None:
    rules = rule_header(report)
    from rich import box
    from rich.table import Table
    from rich.text import Text

    s = report.settings
    enc = output_encoding(out)
    console, _ = report_console(out, width)
    title = Text("Drift check: ", style="bold")
    title.append(visible_ends(report.current, 60, enc), style="bold magenta")
    title.append(" against ", style="bold")
    title.append(visible_ends(report.reference, 60, enc), style="bold blue")
    console.print(title)
    described = visible(s.smoothing.describe(), encoding=enc)
    console.print(Text(f"metric {s.metric} (base {s.base}), threshold {number(s.threshold)}; smoothing: {described}"))
    # p-values and an interval do not fit 80 columns side by side: the
    # interval then follows the table, with the largest change.
    interval_inline = not s.resampling.permutations
    extra = extra_headers(s, interval_inline)
    # With p-value and interval columns there is no room for the largest
    # change on the row: it follows the table instead.
    inline_change = not extra and not rules
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("column", overflow="fold", max_width=24)
    table.add_column("type")
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column(_value_header(report), justify="right", no_wrap=True)
    for name in extra:
        table.add_column(name, justify="right", no_wrap=True)
    for name in rules:
        table.add_column(name, overflow="fold", max_width=20)
    table.add_column("status")
    if inline_change:
        table.add_column("largest change", overflow="fold")
    for c in report.columns:
        status = drift_status(c)
        style = {"DRIFT": "bold red", "ok": "green", "skipped": "yellow"}[status]
        cells = [
            Text(visible(c.column, 24, enc)),
            {"categorical": "cat", "numeric": "num"}.get(c.type, "-"),
            visible(f"{c.n_reference}/{c.n_current}", encoding=enc),
            "" if c.value is None else number(c.value, 4),
            *extra_cells(c, s, interval_inline),
            *([Text(visible(c.own_text(), encoding=enc))] if rules else []),
            Text(status, style=style),
        ]
        if inline_change:
            cells.append(Text(visible(c.reason or c.top_text(with_column=False), 80, enc)))
        table.add_row(*cells)
    console.print(table)
    if not inline_change:
        for c in report.columns:
            change = c.reason or c.top_text(with_column=False)
            if s.resampling.bootstrap and not interval_inline and not c.reason:
                change += f"{'; ' if change else ''}{_interval_header(s)} {_interval_cell(c, s)}"
            if not change:  # a column without any change has no largest change
                continue
            console.print(Text(f"{visible(c.column, 40, enc)}: {visible(change, 120, enc)}"))
    console.print(Text("type: cat = categorical, num = numeric (binned); rows: reference/current", style="dim"))
    if s.resampling.permutations:
        console.print(Text(significance_line(s, report.compared), style="dim"))
    if rules:
        console.print(Text(visible(rule_line(report), encoding=enc), style="dim"))
    for c in report.columns:
        if c.drifted != (c.value is not None and (math.isinf(c.value) or c.value > c.threshold)):
            console.print(Text(f"{visible(c.column, 40, enc)}: {visible(c.why, encoding=enc)}", style="dim"))
    verdict_style = "bold red" if report.drift_detected else "bold green"
    console.print(Text(visible(report.verdict(), encoding=enc), style=verdict_style))
    for note in report.notes:
        console.print(Text("note: " + visible(note, encoding=enc), style="dim"))
    for c in report.columns:
        for note in c.notes:
            console.print(Text(f"note: {visible(c.column, encoding=enc)}: {visible(note, encoding=enc)}", style="dim"))


def rule_header(report: DriftReport) -> list[str]:
    """["rule"] when some column has a rule of its own (a config file's column table), else []."""
    return ["rule"] if any(c.own for c in report.columns) else []


def rule_line(report: DriftReport) -> str:
    return f"rule: a column's own rule, from its table [...columns.<name>] in {report.config or 'columns_config'}"


def _value_header(report: DriftReport) -> str:
    """The metric's name above the values, or 'value' when columns are judged by different metrics."""
    metrics = {c.metric for c in report.compared} or {report.settings.metric}
    return report.settings.metric if metrics == {report.settings.metric} else "value"
