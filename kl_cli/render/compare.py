"""compare's report in every format: table (rich), json, csv, markdown, value.

User text (labels, paths) only ever enters rich as ``Text`` after
``visible()``, so it is never parsed as markup and control characters
never reach the terminal raw. Both the user's text and kl-cli's own are
fitted to the output's encoding (``visible(..., encoding=)``, ``fit``), so
an output that cannot hold ``‖`` or ``█`` gets the whole report in ASCII.
"""

from __future__ import annotations

import math
from typing import Any, TextIO

from ..reports.compare import Comparison
from ..reports.parametric import ParametricComparison
from ..reports.verdict import Verdict, csv_with_verdict, with_verdict
from ..text import exact, fit, holds, number, visible
from ..vocabulary import BASE_FREE, METRIC_NAMES, metric_range
from .terminal import close_report, metrics_table, open_report, value_cell, verdict_line
from .writers import md_escape, md_table, output_encoding, write_csv, write_json, write_value

METRIC_CSV_HEADER = ["metric", "value", "p_value", "null_mean", "ci_low", "ci_high"]


def metric_csv_rows(r: Comparison) -> list[list[str]]:
    """One row per metric with its p-value and interval (empty when not computed)."""
    rows = []
    for k, v in r.metrics.items():
        p = "" if r.test is None else exact(r.test.p_value[k])
        m = "" if r.test is None else exact(r.test.null_mean[k])
        lo, hi = ("", "") if r.intervals is None else tuple(exact(x) for x in r.intervals.bounds[k])
        rows.append([k, exact(v), p, m, lo, hi])
    return rows


def category_rows(r: Comparison, top: int = 0, order: str | None = None) -> list[list[Any]]:
    """label, p, q, kl_pq term, kl_qp term of the categories ``r.listed`` lists."""
    return [[r.label(i), r.p[i], r.q[i], r.terms_pq[i], r.terms_qp[i]] for i in r.listed(top, order)]


def render_compare(
    r: Comparison | ParametricComparison,
    fmt: str,
    out: TextIO,
    *,
    top: int = 15,
    metric: str = "kl_pq",
    order: str | None = None,
    verdict: Verdict | None = None,
) -> None:
    """Write one comparison in the chosen format; ``verdict``: --fail-above's,
    stated by every format but ``value`` (one number: the exit status tells)."""
    if not isinstance(r, Comparison):  # two parametric distributions
        from .parametric import render_parametric

        render_parametric(r, fmt, out, metric=metric, verdict=verdict)
        return
    if fmt == "json":
        write_json(with_verdict(r.to_dict(order), verdict), out)
    elif fmt == "value":
        write_value(r.metrics[metric], out)
    elif fmt == "csv" and (r.test is not None or r.intervals is not None):
        write_csv(*csv_with_verdict(METRIC_CSV_HEADER, metric_csv_rows(r), verdict), out)
    elif fmt == "csv":
        rows = [[label, exact(p), exact(q), exact(a), exact(b)] for label, p, q, a, b in category_rows(r, 0, order)]
        write_csv(*csv_with_verdict(["label", "p", "q", "kl_pq", "kl_qp"], rows, verdict), out)
    elif fmt == "markdown":
        out.write(compare_markdown(r, top, output_encoding(out), order=order, verdict=verdict) + "\n")
    else:
        compare_table(r, out, top, order=order, verdict=verdict)


def _bounds(r: Comparison, metric: str) -> str:
    low, high = metric_range(metric, r.base, r.size)
    return f"[{number(low, 4)}, {'∞' if math.isinf(high) else number(high, 4)}]"


def _unit(r: Comparison, metric: str) -> str:
    return "" if metric in BASE_FREE else r.unit


def metric_rows(r: Comparison, encoding: str | None = None) -> tuple[list[str], list[list[str]]]:
    """The metrics table, shared by the terminal and markdown reports: one row
    per metric, with p-value, null mean and interval columns when resampled
    (kl-cli's own text, fitted to ``encoding``)."""
    header = ["metric", "id", "value", "unit", "range"]
    if r.test is not None:
        header += ["p-value", "null mean"]
    if r.intervals is not None:
        header.append(f"{r.intervals.confidence:.0%} interval")
    rows = []
    for k, v in r.metrics.items():
        row = [fit(METRIC_NAMES[k], encoding), k, number(v), _unit(r, k), fit(_bounds(r, k), encoding)]
        if r.test is not None:
            row += [number(r.test.p_value[k], 3), number(r.test.null_mean[k], 4)]
        if r.intervals is not None:
            low, high = r.intervals.bounds[k]
            row.append(f"[{number(low, 4)}, {number(high, 4)}]")
        rows.append(row)
    return header, rows


def resampling_lines(r: Comparison, encoding: str | None = None) -> list[str]:
    """How the p-values and intervals were obtained, in words (fitted to ``encoding``)."""
    lines = []
    if r.test is not None:
        worst = max(r.test.monte_carlo_error(k) for k in r.metrics)
        lines.append(
            f"p-values: permutation test of 'P and Q are samples of one distribution', {r.test.permutations} "
            f"permutations (seed {r.test.seed}); Monte-Carlo error up to ±{worst:.2g}. The null mean "
            "is what each metric averages at these sample sizes when nothing differs: its bias."
        )
    if r.intervals is not None:
        lines.append(
            f"intervals: percentile bootstrap, {r.intervals.resamples} multinomial resamples of each side "
            f"(seed {r.intervals.seed})."
        )
    return [fit(line, encoding) for line in lines]


def compare_markdown(
    r: Comparison,
    top: int,
    encoding: str | None = None,
    *,
    order: str | None = None,
    verdict: Verdict | None = None,
) -> str:
    """The report as GitHub markdown: every field from a file or the user
    escaped (``md_escape``), kl-cli's own text fitted to ``encoding``."""

    def esc(text: object) -> str:
        return md_escape(text, encoding)

    parts = [
        f"### KL divergence: {esc(r.p_source)} vs {esc(r.q_source)}",
        "",
        f"Base {esc(r.base)} ({esc(r.unit)}); smoothing: {esc(r.smoothing.describe())}.",
        "",
        md_table(*_md_metric_rows(r, encoding)),
        "",
    ]
    parts += [f"{line}\n" for line in resampling_lines(r, encoding)]
    shown = category_rows(r, top, order)
    parts.append(
        md_table(
            ["category", "P", "Q", "P log P/Q", "Q log Q/P"],
            ([esc(lab), number(p), number(q), number(a), number(b)] for lab, p, q, a, b in shown),
        )
    )
    parts.append("")
    parts.append(esc(order_line(r, top, order)))
    if r.size > len(shown):
        parts.append(fit(f"\n… {r.size - len(shown)} more categories", encoding))
    parts.append("")
    parts += [f"- {esc(line)}" for line in r.explanation()]
    if r.only_in_p or r.only_in_q:
        parts.append("")
        parts.append(f"Only in P: {_md_list(r.only_in_p, encoding)}. Only in Q: {_md_list(r.only_in_q, encoding)}.")
    if r.notes:
        parts.append("")
        parts += [f"> {esc(n)}" for n in r.notes]
    if verdict is not None:
        parts += ["", f"**{esc(verdict.sentence())}**"]
    return "\n".join(parts)


def order_line(r: Comparison, top: int, order: str | None) -> str:
    """How the categories are listed (``r.listed``), in words."""
    what = "Bins" if r.binned else "Categories"
    kept = f"the {top} largest contributions, " if 0 < top < r.size else ""
    if r.order_in_force(order) == "input":
        return f"{what}: {kept}{'from low to high' if r.binned else 'in the order read'}."
    return f"{what}: {kept}largest first." if kept else f"{what}: largest contribution first."


def _md_metric_rows(r: Comparison, encoding: str | None) -> tuple[list[str], list[list[str]]]:
    header, rows = metric_rows(r, encoding)
    return header, [[row[0], f"`{row[1]}`", *row[2:]] for row in rows]


def _md_list(labels: list[str], encoding: str | None) -> str:
    return ", ".join(md_escape(x, encoding) for x in labels) if labels else "none"


def _bar(fraction: float, width: int, blocks: bool = True) -> str:
    """A horizontal bar of eighth-blocks, ``fraction`` of ``width`` cells long
    (of ``#``, to the nearest cell, where the output cannot hold blocks)."""
    fraction = max(0.0, min(1.0, fraction))
    if not blocks:
        return "#" * round(fraction * width)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])


def compare_table(
    r: Comparison,
    out: TextIO,
    top: int,
    width: int | None = None,
    *,
    order: str | None = None,
    verdict: Verdict | None = None,
) -> None:
    """The rich terminal report: metrics, categories with bars and their
    legend, explanation, and --fail-above's verdict last."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console, enc, _ = open_report(out, r.p_source, r.q_source, width=width)
    described = visible(r.smoothing.describe(), encoding=enc)
    console.print(Text(fit(f"base {r.base} ({r.unit}) · smoothing: {described} · {r.size} categories", enc)))

    metrics = metrics_table()
    header, rows = metric_rows(r, enc)
    if r.test is not None or r.intervals is not None:
        # Room for the resampling columns: the id names the metric, and the
        # ranges are in the plain report.
        keep = [i for i, name in enumerate(header) if name not in ("metric", "range")]
        header = [header[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
    for name in header:
        metrics.add_column(
            name, justify="left" if name in ("metric", "id", "unit", "range") else "right", no_wrap=name != "metric"
        )
    at = header.index("value")
    for (key, value), row in zip(r.metrics.items(), rows):
        metrics.add_row(*row[:at], value_cell(key, value, row[at]), *row[at + 1 :])
    console.print(metrics)
    for line in resampling_lines(r, enc):
        console.print(Text(line, style="dim"))

    shown = category_rows(r, top, order)
    biggest = max((max(p, q) for _, p, q, _, _ in shown), default=1.0) or 1.0
    blocks = holds("█▏▎▍▌▋▊▉", enc)
    cats = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
    cats.add_column("category", overflow="fold", max_width=32)
    cats.add_column("P", justify="right")
    cats.add_column("Q", justify="right")
    cats.add_column("P vs Q", no_wrap=True)
    cats.add_column("P log P/Q", justify="right")
    cats.add_column("Q log Q/P", justify="right")
    only_p, only_q = set(r.only_in_p), set(r.only_in_q)
    for label, p, q, a, b in shown:
        name = Text(visible(label, 30, enc))
        if label in only_p:
            name.append(" (P only)", style="dim")
        elif label in only_q:
            name.append(" (Q only)", style="dim")
        bars = Text(_bar(p / biggest, BAR_CELLS, blocks).ljust(BAR_CELLS), style="blue")
        bars.append(" ")
        bars.append(_bar(q / biggest, BAR_CELLS, blocks).ljust(BAR_CELLS), style="magenta")
        cats.add_row(
            name,
            number(p, 4),
            number(q, 4),
            bars,
            Text(number(a, 4), style="bold red" if math.isinf(a) else ""),
            Text(number(b, 4), style="bold red" if math.isinf(b) else ""),
        )
    console.print(cats)
    console.print(Text(bar_legend(biggest, BAR_CELLS, blocks, enc), style="dim"))
    console.print(Text(order_line(r, top, order), style="dim"))
    if r.size > len(shown):
        more = fit(f"… {r.size - len(shown)} more categories (--top 0 shows all)", enc)
        console.print(Text(more, style="dim"))
    close_report(console, r.explanation(), r.notes, enc)
    verdict_line(console, verdict, enc)


# The cells of the longest bar: the largest share shown.
BAR_CELLS = 10


def bar_legend(biggest: float, cells: int, blocks: bool, encoding: str | None) -> str:
    """The legend of the "P vs Q" bars: which is which, and what a cell is worth."""
    glyph = "█" if blocks else "#"
    return fit(
        f"P vs Q: left bar P, right bar Q; one {glyph} = {number(biggest / cells, 3)} "
        f"(1/{cells} of the largest share shown)",
        encoding,
    )
