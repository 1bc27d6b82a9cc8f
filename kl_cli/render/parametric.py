"""The report of two parametric distributions: metrics with their methods,
a picture of both densities on one axis, the explanation."""

from __future__ import annotations

import math
from typing import Any, TextIO

from ..reports.knn import EstimateComparison
from ..reports.parametric import ParametricComparison
from ..reports.verdict import Verdict, csv_with_verdict, with_verdict
from ..text import exact, fit, holds, number, visible
from ..vocabulary import BASE_FREE, METRIC_NAMES, METRICS
from .terminal import close_report, metrics_table, open_report, value_cell, verdict_line
from .writers import md_escape, md_table, output_encoding, write_csv, write_json, write_value

# Reports whose metrics each carry a method: two distributions, or a nearest-neighbour estimate.
Shown = ParametricComparison | EstimateComparison
PICTURE_ROWS = 8
# Cells of the picture: both curves, P's alone, Q's alone (and in ASCII).
GLYPHS = ("█", "▓", "░")
ASCII_GLYPHS = ("#", "P", "q")


def render_parametric(
    r: Shown, fmt: str, out: TextIO, *, metric: str = "kl_pq", verdict: Verdict | None = None
) -> None:
    if fmt == "json":
        write_json(with_verdict(r.to_dict(), verdict), out)
    elif fmt == "value":
        write_value(r.metrics[metric], out)
    elif fmt == "csv":
        write_csv(*csv_with_verdict(["metric", "value", "method", "error"], _csv_rows(r), verdict), out)
    elif fmt == "markdown":
        out.write(parametric_markdown(r, output_encoding(out), verdict) + "\n")
    else:
        parametric_table(r, out, verdict=verdict)


def _csv_rows(r: Shown) -> list[list[str]]:
    rows = []
    for k in METRICS:
        if k not in r.metrics:
            rows.append([k, "", "not estimated", ""])
            continue
        f = r.methods[k]
        rows.append([k, exact(r.metrics[k]), f.method, "" if f.error is None else exact(f.error)])
    return rows


def _method(r: Shown, key: str) -> str:
    f = r.methods[key]
    if f.error is None or math.isinf(f.value):
        return f.method
    # Below 1e-12 an error estimate is rounding, and its digits vary between library versions.
    return f"{f.method} (±{f.error:.1g})" if f.error >= 1e-12 else f"{f.method} (error < 1e-12)"


def metric_rows(r: Shown, encoding: str | None) -> tuple[list[str], list[list[str]]]:
    """One row per metric id: value, unit, method (and p-value, interval when resampled)."""
    header = ["metric", "id", "value", "unit", "method"]
    test, intervals = getattr(r, "test", None), getattr(r, "intervals", None)
    if test is not None:
        header.append("p-value")
    if intervals is not None:
        header.append(f"{intervals.confidence:.0%} interval")
    rows = []
    for k in METRICS:
        name = METRIC_NAMES[k] + ("*" if k.startswith("entropy") and r.differential else "")
        unit = "" if k in BASE_FREE else r.unit
        if k not in r.metrics:
            row = [fit(name, encoding), k, "-", unit, "not estimated"]
        else:
            row = [fit(name, encoding), k, number(r.metrics[k]), unit, fit(_method(r, k), encoding)]
        if test is not None:
            row.append(number(test.p_value[k], 3) if k in test.p_value else "")
        if intervals is not None:
            bounds = intervals.bounds.get(k)
            row.append("" if bounds is None else f"[{number(bounds[0], 4)}, {number(bounds[1], 4)}]")
        rows.append(row)
    return header, rows


def picture_lines(r: Shown, width: int, encoding: str | None) -> list[str]:
    """Both curves on one axis, ``PICTURE_ROWS`` high, as text; [] without curves."""
    c = r.curves
    if c is None or width < 20:
        return []
    both, p_only, q_only = GLYPHS if holds("".join(GLYPHS), encoding) else ASCII_GLYPHS
    cols = min(width - 2, 100)
    n = c.x.size
    # Each column shows the mean density (continuous) or the total mass (discrete) of its grid points.
    idx = [range(i * n // cols, max((i + 1) * n // cols, i * n // cols + 1)) for i in range(cols)]
    agg = (lambda v, ix: sum(v[j] for j in ix)) if c.discrete else (lambda v, ix: sum(v[j] for j in ix) / len(ix))
    hp = [agg(c.p, ix) for ix in idx]
    hq = [agg(c.q, ix) for ix in idx]
    top = max(max(hp), max(hq)) or 1.0
    lines = []
    for row in range(PICTURE_ROWS, 0, -1):
        level = (row - 0.5) / PICTURE_ROWS * top
        cells = []
        for a, b in zip(hp, hq):
            cells.append(both if a >= level and b >= level else p_only if a >= level else q_only if b >= level else " ")
        lines.append("".join(cells).rstrip())
    lo, hi = number(float(c.x[0]), 4), number(float(c.x[-1]), 4)
    lines.append(lo + " " * max(1, cols - len(lo) - len(hi)) + hi)
    what = "mass" if c.discrete else "density"
    lines.append(fit(f"{both} both  {p_only} P only  {q_only} Q only  ({what}, x from {lo} to {hi})", encoding))
    return lines


def not_estimated_lines(r: Shown) -> list[str]:
    """Why each metric without a figure has none: one line per reason, naming its metrics."""
    by_reason: dict[str, list[str]] = {}
    for key in METRICS:
        why = r.not_estimated.get(key)
        if why and key not in r.metrics:
            by_reason.setdefault(why, []).append(key)
    return [f"not estimated: {', '.join(keys)}: {why}" for why, keys in by_reason.items()]


def parametric_table(r: Shown, out: TextIO, width: int | None = None, *, verdict: Verdict | None = None) -> None:
    from rich.text import Text

    console, enc, width = open_report(out, r.p_source, r.q_source, width=width, source_width=80)
    kind = "parametric distributions" if isinstance(r, ParametricComparison) else "samples, nearest neighbours"
    console.print(Text(fit(f"base {r.base} ({r.unit}) · {kind}", enc)))
    table = metrics_table()
    header, rows = metric_rows(r, enc)
    for name in header:
        table.add_column(name, justify="right" if name == "value" else "left", no_wrap=name != "metric")
    for row, key in zip(rows, METRICS):
        table.add_row(row[0], row[1], value_cell(key, r.metrics.get(key, 0.0), row[2]), *row[3:])
    console.print(table)
    if r.differential:
        console.print(Text(fit("* differential entropy: of a density, it can be negative", enc), style="dim"))
    for line in not_estimated_lines(r):
        console.print(Text(visible(line, encoding=enc)))
    for line in picture_lines(r, width, enc):
        console.print(Text(line), overflow="crop", no_wrap=True)
    close_report(console, r.explanation(), r.notes, enc)
    verdict_line(console, verdict, enc)


def parametric_markdown(r: Shown, encoding: str | None = None, verdict: Verdict | None = None) -> str:
    def esc(text: object) -> str:
        return md_escape(text, encoding)

    header, rows = metric_rows(r, encoding)
    parts: list[Any] = [
        f"### KL divergence: {esc(r.p_source)} vs {esc(r.q_source)}",
        "",
        f"Base {esc(r.base)} ({esc(r.unit)}); "
        + ("parametric distributions." if isinstance(r, ParametricComparison) else "nearest-neighbour estimates."),
        "",
        md_table(header, ([row[0], f"`{row[1]}`", *row[2:]] for row in rows)),
        "",
    ]
    missing = not_estimated_lines(r)
    if missing:
        parts += [*(f"- {esc(line)}" for line in missing), ""]
    picture = picture_lines(r, 80, encoding)
    if picture:
        parts += ["```", *picture, "```", ""]
    parts += [f"- {esc(line)}" for line in r.explanation()]
    if r.notes:
        parts.append("")
        parts += [f"> {esc(n)}" for n in r.notes]
    if verdict is not None:
        parts += ["", f"**{esc(verdict.sentence())}**"]
    return "\n".join(parts)
