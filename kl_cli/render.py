"""Renderers: the only code that formats results for output.

Each takes a finished result and a text stream. Machine formats (json, csv,
value) are written without rich, so no markup, wrapping or colour can reach
them. The table goes through rich, and user text (labels, paths) only ever
enters rich as ``Text`` after ``visible()``, so it is never parsed as markup
and control characters never reach the terminal raw.
"""

from __future__ import annotations

import csv
import json
import math
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .comparison import Comparison

FORMATS = ("table", "json", "csv", "markdown", "value")

METRIC_NAMES = {
    "kl_pq": "KL(P‖Q)",
    "kl_qp": "KL(Q‖P)",
    "js_divergence": "Jensen-Shannon divergence",
    "js_distance": "Jensen-Shannon distance",
    "jeffreys": "Jeffreys (= PSI in nats)",
    "cross_entropy_pq": "cross-entropy H(P,Q)",
    "cross_entropy_qp": "cross-entropy H(Q,P)",
    "entropy_p": "entropy H(P)",
    "entropy_q": "entropy H(Q)",
    "total_variation": "total variation",
    "hellinger": "Hellinger distance",
}

# Characters that must never reach a terminal or a table cell raw: controls
# (ESC, BEL, newline...), format characters (bidi marks) and separators.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def visible(text: str, limit: int | None = None) -> str:
    """Make every control or format character visible as an escape
    (``\\x1b``, ``\\n``, ``\\u200f``) and cut to ``limit`` characters with an ellipsis.
    Applying it twice changes nothing more, so text may pass through it at
    every layer that shows it."""
    shown = "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch
        for ch in str(text)
    )
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def number(x: float, digits: int = 6) -> str:
    """A number for humans: 6 significant digits, 'inf' for infinity."""
    if math.isinf(x):
        return "inf"
    return f"{x:.{digits}g}"


def exact(x: float) -> str:
    """A number for machines: shortest repr that round-trips, 'inf' for infinity."""
    x = float(x)
    return "inf" if math.isinf(x) else repr(x)


# ---------------------------------------------------------------------------
# Machine formats


def write_json(data: dict[str, Any], out: TextIO) -> None:
    """Strict RFC 8259 JSON (no NaN/Infinity tokens), ASCII-only, one object."""
    out.write(json.dumps(data, allow_nan=False, indent=2, ensure_ascii=True))
    out.write("\n")


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    # "\n" ends rows, so the csv module only quotes cells holding "\n": a
    # row with a bare carriage return is written fully quoted instead.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    for row in rows:
        (quoted if any("\r" in str(cell) for cell in row) else writer).writerow(row)


def write_value(value: float, out: TextIO) -> None:
    out.write(exact(value) + "\n")


def md_escape(text: str) -> str:
    """Escape a user string for a GitHub markdown table cell: exact, never markup."""
    # The label's own backslashes are doubled; those visible() adds to
    # spell control characters (\\x1b, \\n) render as they are.
    shown = visible(str(text).replace("\\", "\\\\"))
    for ch in "`*_{}[]<>|#!~":
        shown = shown.replace(ch, "\\" + ch)
    return shown


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# compare


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


def category_rows(r: Comparison) -> list[list[Any]]:
    """label, p, q, kl_pq term, kl_qp term for every category, ranked."""
    return [[r.label(int(i)), r.p[i], r.q[i], r.terms_pq[i], r.terms_qp[i]] for i in r.ranked()]


def render_compare(r: Comparison, fmt: str, out: TextIO, *, top: int = 15, metric: str = "kl_pq") -> None:
    """Write one comparison in the chosen format."""
    if fmt == "json":
        write_json(r.to_dict(), out)
    elif fmt == "value":
        write_value(r.metrics[metric], out)
    elif fmt == "csv" and (r.test is not None or r.intervals is not None):
        write_csv(METRIC_CSV_HEADER, metric_csv_rows(r), out)
    elif fmt == "csv":
        rows = [[label, exact(p), exact(q), exact(a), exact(b)] for label, p, q, a, b in category_rows(r)]
        write_csv(["label", "p", "q", "kl_pq", "kl_qp"], rows, out)
    elif fmt == "markdown":
        out.write(compare_markdown(r, top) + "\n")
    else:
        compare_table(r, out, top)


def _bounds(r: Comparison, metric: str) -> str:
    from .measures import bound

    low, high = bound(metric, r.base, r.size)
    return f"[{number(low, 4)}, {'∞' if math.isinf(high) else number(high, 4)}]"


def _unit(r: Comparison, metric: str) -> str:
    from .measures import BASE_FREE

    return "" if metric in BASE_FREE else r.unit


def metric_rows(r: Comparison) -> tuple[list[str], list[list[str]]]:
    """The metrics table, shared by the terminal and markdown reports: one row
    per metric, with p-value, null mean and interval columns when resampled."""
    header = ["metric", "id", "value", "unit", "range"]
    if r.test is not None:
        header += ["p-value", "null mean"]
    if r.intervals is not None:
        header.append(f"{r.intervals.confidence:.0%} interval")
    rows = []
    for k, v in r.metrics.items():
        row = [METRIC_NAMES[k], k, number(v), _unit(r, k), _bounds(r, k)]
        if r.test is not None:
            row += [number(r.test.p_value[k], 3), number(r.test.null_mean[k], 4)]
        if r.intervals is not None:
            low, high = r.intervals.bounds[k]
            row.append(f"[{number(low, 4)}, {number(high, 4)}]")
        rows.append(row)
    return header, rows


def resampling_lines(r: Comparison) -> list[str]:
    """How the p-values and intervals were obtained, in words."""
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
    return lines


def compare_markdown(r: Comparison, top: int) -> str:
    parts = [
        f"### KL divergence: {md_escape(r.p_source)} vs {md_escape(r.q_source)}",
        "",
        f"Base {r.base} ({r.unit}); smoothing: {r.smoothing.describe()}.",
        "",
        md_table(*_md_metric_rows(r)),
        "",
    ]
    parts += [f"{line}\n" for line in resampling_lines(r)]
    rows = category_rows(r)
    shown = rows if top <= 0 else rows[:top]
    parts.append(
        md_table(
            ["category", "P", "Q", "P log P/Q", "Q log Q/P"],
            ([md_escape(lab), number(p), number(q), number(a), number(b)] for lab, p, q, a, b in shown),
        )
    )
    if len(rows) > len(shown):
        parts.append(f"\n… {len(rows) - len(shown)} more categories")
    parts.append("")
    parts += [f"- {md_escape(line)}" for line in r.explanation()]
    if r.only_in_p or r.only_in_q:
        parts.append("")
        parts.append(f"Only in P: {_md_list(r.only_in_p)}. Only in Q: {_md_list(r.only_in_q)}.")
    if r.notes:
        parts.append("")
        parts += [f"> {md_escape(n)}" for n in r.notes]
    return "\n".join(parts)


def _md_metric_rows(r: Comparison) -> tuple[list[str], list[list[str]]]:
    header, rows = metric_rows(r)
    return header, [[row[0], f"`{row[1]}`", *row[2:]] for row in rows]


def _md_list(labels: list[str]) -> str:
    return ", ".join(md_escape(x) for x in labels) if labels else "none"


def _bar(fraction: float, width: int) -> str:
    """A horizontal bar of eighth-blocks, ``fraction`` of ``width`` cells long."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])


def compare_table(r: Comparison, out: TextIO, top: int, width: int | None = None) -> None:
    """The rich terminal report: metrics, categories with bars, explanation."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, width=width, highlight=False, emoji=False, markup=False)
    title = Text("KL divergence: ", style="bold")
    title.append(visible(r.p_source, 60), style="bold blue")
    title.append(" vs ", style="bold")
    title.append(visible(r.q_source, 60), style="bold magenta")
    console.print(title)
    console.print(Text(f"base {r.base} ({r.unit}) · smoothing: {r.smoothing.describe()} · {r.size} categories"))

    metrics = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    header, rows = metric_rows(r)
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
        style = "bold red" if math.isinf(value) else ("bold" if key in ("kl_pq", "kl_qp") else "")
        metrics.add_row(*row[:at], Text(row[at], style=style), *row[at + 1 :])
    console.print(metrics)
    for line in resampling_lines(r):
        console.print(Text(line, style="dim"))

    rows = category_rows(r)
    shown = rows if top <= 0 else rows[:top]
    biggest = max((max(p, q) for _, p, q, _, _ in shown), default=1.0) or 1.0
    cats = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
    cats.add_column("category", overflow="fold", max_width=32)
    cats.add_column("P", justify="right")
    cats.add_column("Q", justify="right")
    cats.add_column("P vs Q", no_wrap=True)
    cats.add_column("P log P/Q", justify="right")
    cats.add_column("Q log Q/P", justify="right")
    only_p, only_q = set(r.only_in_p), set(r.only_in_q)
    for label, p, q, a, b in shown:
        name = Text(visible(label, 30))
        if label in only_p:
            name.append(" (P only)", style="dim")
        elif label in only_q:
            name.append(" (Q only)", style="dim")
        bars = Text(_bar(p / biggest, 10).ljust(10), style="blue")
        bars.append(" ")
        bars.append(_bar(q / biggest, 10).ljust(10), style="magenta")
        cats.add_row(
            name,
            number(p, 4),
            number(q, 4),
            bars,
            Text(number(a, 4), style="bold red" if math.isinf(a) else ""),
            Text(number(b, 4), style="bold red" if math.isinf(b) else ""),
        )
    console.print(cats)
    if len(rows) > len(shown):
        console.print(Text(f"… {len(rows) - len(shown)} more categories (--top 0 shows all)", style="dim"))
    console.print()
    for line in r.explanation():
        console.print(Text(visible(line)))
    for note in r.notes:
        console.print(Text("note: " + visible(note), style="dim"))


# ---------------------------------------------------------------------------
# drift

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
    "null_mean",
    "ci_low",
    "ci_high",
]


def render_drift(report: Any, fmt: str, out: TextIO, *, detail: str | None = None) -> None:
    """Write a drift report in the chosen format."""
    if fmt == "json":
        write_json(report.to_dict(), out)
    elif fmt == "csv":
        write_csv(DRIFT_CSV_HEADER, drift_csv_rows(report), out)
    elif fmt == "markdown":
        out.write(drift_markdown(report) + "\n")
    else:
        drift_table(report, out)
    if detail is not None and fmt in ("table", "markdown"):
        col = next(c for c in report.columns if c.column == detail)
        out.write("\n")
        if fmt == "markdown":
            out.write(compare_markdown(col.comparison, top=0) + "\n")
        else:
            compare_table(col.comparison, out, top=0)


def drift_csv_rows(report: Any) -> list[list[str]]:
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
                s.metric,
                "" if c.value is None else exact(c.value),
                exact(s.threshold),
                "true" if c.drifted else "false",
                c.reason or "",
                t["label"],
                "" if t["reference"] == "" else exact(t["reference"]),
                "" if t["current"] == "" else exact(t["current"]),
                *_drift_resampling_cells(c, exact),
            ]
        )
    return rows


def _drift_resampling_cells(c: Any, fmt: Any) -> list[str]:
    """p-value, null mean, interval low and high of a column's metric ('' when not computed)."""
    r = c.comparison
    test = None if r is None else r.test
    intervals = None if r is None else r.intervals
    cells = ["", ""] if test is None else [fmt(test.p_value[c.metric]), fmt(test.null_mean[c.metric])]
    cells += ["", ""] if intervals is None else [fmt(x) for x in intervals.bounds[c.metric]]
    return cells


def _extra_headers(s: Any) -> list[str]:
    out = ["p-value"] if s.resampling.permutations else []
    return out + ([f"{s.resampling.confidence:.0%} interval"] if s.resampling.bootstrap else [])


def _extra_cells(c: Any, s: Any) -> list[str]:
    """The p-value and interval cells of a drift row, as the headers ask."""
    p, _, lo, hi = _drift_resampling_cells(c, lambda x: number(x, 3))
    out = [p] if s.resampling.permutations else []
    return out + ([f"[{lo}, {hi}]" if lo else ""] if s.resampling.bootstrap else [])


def _significance_line(s: Any) -> str:
    return (
        f"A column drifts when {s.metric} exceeds {number(s.threshold)} and its permutation p-value "
        f"({s.resampling.permutations} permutations, seed {s.resampling.seed}) is below {number(s.significance)}."
    )


def _drift_status(c: Any) -> str:
    if c.reason:
        return "skipped"
    return "DRIFT" if c.drifted else "ok"


def drift_markdown(report: Any) -> str:
    s = report.settings
    icon = "❌" if report.drift_detected else "✅"
    parts = [
        f"### {icon} Drift check: {md_escape(report.current)} vs {md_escape(report.reference)}",
        "",
        f"Metric `{s.metric}` (base {s.base}), threshold {number(s.threshold)}; "
        f"smoothing: {s.smoothing.describe()}. **{md_escape(report.verdict())}.**",
        "",
        md_table(
            ["column", "type", "n ref / n cur", s.metric, *_extra_headers(s), "status", "largest change"],
            (
                [
                    md_escape(c.column),
                    c.type,
                    f"{c.n_reference} / {c.n_current}",
                    "" if c.value is None else number(c.value, 4),
                    *_extra_cells(c, s),
                    f"**{_drift_status(c)}**" if c.drifted else _drift_status(c),
                    md_escape(c.reason or c.top_text()),
                ]
                for c in report.columns
            ),
        ),
    ]
    if s.resampling.permutations:
        parts += ["", _significance_line(s)]
    notes = [*report.notes, *(f"{c.column}: {n}" for c in report.columns for n in c.notes)]
    if notes:
        parts.append("")
        parts += [f"> {md_escape(n)}" for n in notes]
    return "\n".join(parts)


def drift_table(report: Any, out: TextIO, width: int | None = None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    s = report.settings
    console = Console(file=out, width=width, highlight=False, emoji=False, markup=False)
    title = Text("Drift check: ", style="bold")
    title.append(visible(report.current, 60), style="bold magenta")
    title.append(" against ", style="bold")
    title.append(visible(report.reference, 60), style="bold blue")
    console.print(title)
    console.print(
        Text(f"metric {s.metric} (base {s.base}), threshold {number(s.threshold)}; smoothing: {s.smoothing.describe()}")
    )
    extra = _extra_headers(s)
    # With p-value and interval columns there is no room for the largest
    # change on the row: it follows the table instead.
    inline_change = not extra
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("column", overflow="fold", max_width=24)
    table.add_column("type")
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column(s.metric, justify="right", no_wrap=True)
    for name in extra:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("status")
    if inline_change:
        table.add_column("largest change", overflow="fold")
    for c in report.columns:
        status = _drift_status(c)
        style = {"DRIFT": "bold red", "ok": "green", "skipped": "yellow"}[status]
        cells = [
            Text(visible(c.column, 24)),
            {"categorical": "cat", "numeric": "num"}.get(c.type, "-"),
            f"{c.n_reference}/{c.n_current}",
            "" if c.value is None else number(c.value, 4),
            *_extra_cells(c, s),
            Text(status, style=style),
        ]
        if inline_change:
            cells.append(Text(visible(c.reason or c.top_text(with_column=False), 80)))
        table.add_row(*cells)
    console.print(table)
    if not inline_change:
        for c in report.columns:
            change = c.reason or c.top_text(with_column=False)
            console.print(Text(f"{visible(c.column, 40)}: {visible(change, 120)}"))
    console.print(Text("type: cat = categorical, num = numeric (binned); rows: reference/current", style="dim"))
    if s.resampling.permutations:
        console.print(Text(_significance_line(s), style="dim"))
    for c in report.columns:
        if c.drifted != (c.value is not None and (math.isinf(c.value) or c.value > s.threshold)):
            console.print(Text(f"{visible(c.column)}: {c.why}", style="dim"))
    verdict_style = "bold red" if report.drift_detected else "bold green"
    console.print(Text(report.verdict(), style=verdict_style))
    for note in report.notes:
        console.print(Text("note: " + visible(note), style="dim"))
    for c in report.columns:
        for note in c.notes:
            console.print(Text(f"note: {visible(c.column)}: {visible(note)}", style="dim"))


# ---------------------------------------------------------------------------
# Progress of long reads (stderr only, and only on a terminal)


class ReadProgress:
    """A spinner on stderr for reads that take more than about a second:
    called with (source, rows read so far) after each chunk. It shows only
    when stderr is a terminal (rich decides) and never touches stdout."""

    DELAY = 1.0

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        self._status: Any = None
        self._console: Any = None

    def __call__(self, source: str, rows: int) -> None:
        if self._status is None:
            if self._clock() - self._start < self.DELAY:
                return
            from rich.console import Console

            self._console = Console(stderr=True)
            if not self._console.is_terminal:
                self._clock = lambda: float("-inf")  # never check again
                return
            self._status = self._console.status("")
            self._status.start()
        self._status.update(f"reading {visible(source, 60)}: {rows:,} rows")

    def __enter__(self) -> ReadProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
