"""batch's report in every format: table (text), json, csv, markdown, value.

The terminal report is plain aligned text: the summary per metric, a
histogram of per-row KL as bars, and the worst rows with the categories that
drive them. User text (paths, labels) passes through ``visible``; kl-cli's
own text is fitted to the output's encoding.
"""

from __future__ import annotations

import math
from typing import Any, TextIO

from ..reports.batch_result import REST, BatchResult
from ..reports.verdict import Verdict, csv_with_verdict, with_verdict
from ..text import exact, fit, number, pct, visible
from .writers import md_escape, md_table, output_encoding, trim_line_ends, write_csv, write_json, write_value

STAT_COLUMNS = ("mean", "sem", "median", "p90", "p99", "p999", "min", "max")
BAR_WIDTH = 40


def render_batch(
    r: BatchResult,
    fmt: str,
    out: TextIO,
    *,
    metric: str = "kl_pq",
    stat: str = "mean",
    verdict: Verdict | None = None,
) -> None:
    """Write the report in the chosen format; ``verdict``: --fail-above's,
    stated by every format but ``value`` (one number: the exit status tells)."""
    if fmt == "json":
        write_json(with_verdict(r.to_dict(), verdict), out)
    elif fmt == "value":
        write_value(r.stat(metric, stat), out)
    elif fmt == "csv":
        write_csv(*csv_with_verdict(*_csv_rows(r), verdict), out)
    elif fmt == "markdown":
        out.write(batch_markdown(r, output_encoding(out), verdict) + "\n")
    else:
        out.write(batch_table(r, output_encoding(out), verdict) + "\n")


def _csv_rows(r: BatchResult) -> tuple[list[str], list[list[str]]]:
    header = ["row"] + (["sequence", "position"] if len(r.shape) == 2 else []) + list(r.figures)
    header.append("top1_agree")
    rows = []
    for j, i in enumerate(r.index):
        i = int(i)
        row = [str(i)] + [str(x) for x in (r.position(i) or [])]
        row += [exact(v[j]) for v in r.figures.values()]
        row.append("1" if r.top1 is not None and r.top1[j] else "0")
        rows.append(row)
    return header, rows


def _stat(s: Any, name: str) -> str:
    value = s.sem if name == "sem" else getattr(s, name)
    return "-" if value is None else number(value, 4)


def summary_rows(r: BatchResult, per_sequence: bool = False) -> tuple[list[str], list[list[str]]]:
    header = ["metric", *STAT_COLUMNS, "argmax"]
    table = r.per_sequence if per_sequence else r.summary
    rows = []
    for m, s in (table or {}).items():
        where = f"sequence {s.argmax}" if per_sequence else r.row_label(s.argmax)
        rows.append([m, *(_stat(s, c) for c in STAT_COLUMNS), where])
    return header, rows


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(row, widths))) for row in rows]
    return lines


def _heading(r: BatchResult, encoding: str | None) -> list[str]:
    what = "sequences x positions" if len(r.shape) == 2 else "rows"
    return [
        f"batch: {visible(r.p_source, encoding=encoding)} vs {visible(r.q_source, encoding=encoding)}",
        f"{r.rows:,} rows compared ({what} {' x '.join(f'{n:,}' for n in r.shape)}, {r.categories:,} {_units(r)}; "
        f"{r.masked:,} masked); input {r.input}; base {r.base} ({r.unit}) except total_variation and hellinger",
    ]


def _units(r: BatchResult) -> str:
    return "dimensions" if r.input == "gaussians" else "categories"


def _infinite_lines(r: BatchResult) -> list[str]:
    return [
        f"{m}: infinite in {d['rows']:,} rows ({d['cause']}: {d['categories']:,} such categories in all); "
        "its mean and upper percentiles are infinite"
        for m, d in r.infinite().items()
    ]


def batch_table(r: BatchResult, encoding: str | None = None, verdict: Verdict | None = None) -> str:
    lines = [*_heading(r, encoding), ""]
    lines += _aligned(*summary_rows(r))
    if r.top1_agree is not None:
        lines.append(f"top-1 agreement (both put most probability on the same category): {pct(r.top1_agree)}")
    lines += _infinite_lines(r)
    if r.per_sequence:
        lines += ["", f"per sequence (sum over a sequence's unmasked positions; {r.sequences:,} sequences):"]
        lines += _aligned(*summary_rows(r, per_sequence=True))
    if "kl_pq" in r.figures:
        bins, counts, logged = r.kl_histogram()
        if bins:
            lines += ["", f"per-row KL(P‖Q) ({r.unit}{', log-spaced bins' if logged else ''}):"]
            most = max(counts) or 1
            for (low, high), c in zip(bins, counts):
                bar = "█" * round(BAR_WIDTH * c / most)
                lines.append(f"{number(low, 3):>10} - {number(high, 3):<10} {c:>9,} {bar}")
    if r.worst:
        drive = "dimensions that drive them" if r.input == "gaussians" else "categories that drive them (p log(p/q))"
        lines += ["", f"rows of largest KL(P‖Q), with the {drive}:"]
        for w in r.worst:
            terms = ", ".join(_term(r, c, p, q, t, encoding) for c, p, q, t in w.terms)
            lines.append(f"  {r.row_label(w.row)}: {number(w.kl_pq, 4)}  {terms}")
    lines += [f"note: {visible(n, encoding=encoding)}" for n in r.notes]
    lines += [] if verdict is None else [verdict.sentence()]
    return trim_line_ends("\n".join(fit(line, encoding) for line in lines))


def _term(r: BatchResult, label: str, p: float, q: float, t: float, encoding: str | None) -> str:
    shown = visible(label, 30, encoding) if r.labelled or label == REST else "#" + label
    if math.isnan(p):  # a dimension of Gaussians: its share of the KL only
        return f"{shown}: {number(t, 3)}"
    return f"{shown} (p={number(p, 3)}, q={number(q, 3)}: {number(t, 3)})"


def batch_markdown(r: BatchResult, encoding: str | None = None, verdict: Verdict | None = None) -> str:
    def esc(text: object) -> str:
        return md_escape(text, encoding)

    parts = [f"### {esc(_heading(r, None)[0])}", "", esc(_heading(r, None)[1]), ""]
    header, rows = summary_rows(r)
    parts += [md_table(header, [[esc(c) for c in row] for row in rows]), ""]
    if r.top1_agree is not None:
        parts += [f"Top-1 agreement: {esc(pct(r.top1_agree))}", ""]
    if r.per_sequence:
        header, rows = summary_rows(r, per_sequence=True)
        parts += [f"Per sequence (sum over its unmasked positions; {r.sequences:,} sequences):", ""]
        parts += [md_table(header, [[esc(c) for c in row] for row in rows]), ""]
    parts += [f"{esc(line)}\n" for line in _infinite_lines(r)]
    parts += [f"Note: {esc(n)}\n" for n in r.notes]
    parts += [] if verdict is None else [f"**{esc(verdict.sentence())}**"]
    return fit("\n".join(parts).rstrip(), encoding)
