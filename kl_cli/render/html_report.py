"""drift's and compare's reports as one self-contained HTML page (``--format html``).

The page holds what the markdown report holds (the settings, the verdict,
the summary table, the metrics, the explanation, the notes) and one SVG
chart per compared column (drift) or per comparison of categories (compare):
both sides' shares per category or bin, the largest contributors marked.

Order of the bars: a drift column's numeric bins in bin order (as the
profile holds them, the missing cells last), its categories by reference
share (then current share), largest first; compare's categories in the order
of its sources (a binned sample's bins in bin order). Two parametric
distributions are drawn on one grid (densities as lines, the masses of a
discrete pair as bars, or lines past ``MAX_BARS`` values); reports with
nothing to draw (a nearest-neighbour estimate) get the metrics and the prose,
and a sentence saying why there is no chart.

This module sits above ``render.compare`` and ``render.drift`` (it reuses
their rows: metrics, categories, status, p-value cells), so the commands
call it for ``--format html`` themselves; those modules never import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from ..reports.compare import Comparison
from ..reports.drift import ColumnDrift, DriftReport
from ..reports.parametric import ParametricComparison
from ..reports.verdict import Verdict
from ..text import number, pct
from ..vocabulary import CORRECTIONS, METRIC_NAMES
from .compare import category_rows, metric_rows, resampling_lines
from .drift import drift_status, extra_cells, extra_headers, rule_header, rule_line, significance_line
from .html import bullets, esc, page, paragraphs, table, text_table
from .parametric import Shown, not_estimated_lines
from .parametric import metric_rows as estimate_metric_rows
from .svg import MARKED, MAX_BARS, Bar, bar_chart, curve_chart, select_bars


def chart_bars(r: Comparison, order: Sequence[int], unit: str) -> list[Bar]:
    """The bars of a comparison's chart, in ``order``."""
    labels = [r.label(i) for i in range(r.size)]
    return select_bars(labels, r.p, r.q, order, r.ranked(), r.contributions(), unit=unit)


def drift_order(c: ColumnDrift) -> list[int]:
    """A drift column's categories in chart order: bins as they are, categories by reference share."""
    r = c.comparison
    assert r is not None
    if c.type == "numeric":
        return list(range(r.size))
    return sorted(range(r.size), key=lambda i: (-float(r.p[i]), -float(r.q[i])))


def _folded_note(bars: Sequence[Bar], unit: str) -> list[str]:
    folded = sum(b.folded for b in bars)
    if not folded:
        return []
    return [
        f'<p class="note">{len(bars) - 1} of {len(bars) - 1 + folded} {unit} drawn (the largest shares and '
        f"the largest contributions); the other {folded} are added up in the last group, "
        f"&quot;other&quot;.</p>"
    ]


def _changes(r: Comparison, names: tuple[str, str]) -> list[str]:
    """The largest contributors, ranked as marked in the chart, as an ordered list."""
    contribution = r.contributions()
    items = []
    for n, i in enumerate([int(i) for i in r.ranked() if contribution[int(i)] > 0][:MARKED]):
        items.append(
            f"<li><b>#{n + 1}</b> {esc(r.label(i), 120)}: {esc(names[0])} {esc(pct(float(r.p[i])))} &rarr; "
            f"{esc(names[1])} {esc(pct(float(r.q[i])))} (contribution {esc(number(float(contribution[i]), 4))})</li>"
        )
    if not items:
        return ['<p class="note">No category differs: nothing is marked.</p>']
    return [
        '<p class="dim">Largest contributions to the difference ((p - q) log(p/q) per category):</p>',
        "<ol>",
        *items,
        "</ol>",
    ]


# ---------------------------------------------------------------------------
# drift


def drift_html(report: DriftReport, out: TextIO, detail: str | None = None) -> None:
    """The drift report as one page; ``detail`` adds that column's full category table."""
    s = report.settings
    compared = report.compared
    skipped = [c for c in report.columns if c.comparison is None]
    title = f"Drift check: {esc(report.current)} against {esc(report.reference)}"
    body = [f"<h1>{title}</h1>"]
    body.append(f'<p class="verdict {"bad" if report.drift_detected else "good"}">{esc(report.verdict())}.</p>')
    settings = [
        ("metric", f"<code>{esc(s.metric)}</code> ({esc(METRIC_NAMES[s.metric])}), base {esc(s.base)}"),
        ("threshold", esc(number(s.threshold))),
        ("smoothing", esc(s.smoothing.describe())),
    ]
    if s.resampling.permutations:
        settings += [
            ("significance", esc(number(s.significance))),
            ("correction", esc(CORRECTIONS[s.correction or "none"])),
            ("permutations", esc(f"{s.resampling.permutations} (seed {s.resampling.seed})")),
        ]
    if s.resampling.bootstrap:
        settings.append(
            ("bootstrap", esc(f"{s.resampling.bootstrap} resamples, {s.resampling.confidence:.0%} interval"))
        )
    if s.max_drift_share is not None:
        settings.append(("max drift share", esc(f"{s.max_drift_share:.0%} of the columns compared")))
    if report.config is not None:
        settings.append(("config file", f"<code>{esc(report.config, 200)}</code>"))
    settings.append(
        (
            "columns",
            esc(f"{len(compared)} compared, {len(report.drifted_columns)} drifted, {len(skipped)} skipped"),
        )
    )
    for name, cols in (("only in reference", report.only_in_reference), ("only in current", report.only_in_current)):
        if cols:
            settings.append((name, ", ".join(esc(x, 60) for x in cols)))
    body.append(table(["setting", "value"], settings, cls="settings"))
    if s.resampling.permutations:
        body += paragraphs([significance_line(s, compared)], "dim")
    body.append(_summary_table(report))
    if rule_header(report):
        body += paragraphs([rule_line(report)], "dim")
    for n, c in enumerate(report.columns):
        if c.comparison is not None:
            body += _column_section(report, c, n, detail == c.column)
    if skipped:
        body.append("<h2>Skipped columns</h2>")
        body.append("<ul>" + "".join(f"<li>{esc(c.column, 120)}: {esc(c.reason)}</li>" for c in skipped) + "</ul>")
    notes = [*report.notes, *(f"{c.column}: {n}" for c in report.columns for n in c.notes)]
    if notes or report.warnings:
        body.append("<h2>Notes</h2>")
        body += bullets(notes, "note") + bullets((f"warning: {w}" for w in report.warnings), "note")
    page(title, body, out)


def _summary_table(report: DriftReport) -> str:
    rules = rule_header(report)
    s = report.settings
    extra = extra_headers(s)
    # Columns judged by a metric of their own (per-column rules) say which.
    one_metric = all(c.metric == s.metric for c in report.columns if c.comparison is not None)
    header = [
        "column",
        "type",
        "n ref / n cur",
        esc(s.metric) if one_metric else "value (metric)",
        "threshold",
        *rules,
        *map(esc, extra),
        "status",
        "largest change",
    ]
    # Where each column's rule came from, once a config file or a column's own rule is in play.
    sourced = report.config is not None or bool(rules)
    rows = []
    for n, c in enumerate(report.columns):
        name = esc(c.column, 80)
        status = drift_status(c)
        rows.append(
            [
                f'<a href="#col-{n + 1}">{name}</a>' if c.comparison is not None else name,
                esc(c.type),
                esc(f"{c.n_reference} / {c.n_current}"),
                "" if c.value is None else esc(number(c.value, 4) + ("" if one_metric else f" ({c.metric})")),
                esc(number(c.threshold)) + (f'<br><span class="dim">{esc(c.rule_source, 80)}</span>' * sourced),
                *([esc(c.own_text())] if rules else []),
                *(esc(x) for x in extra_cells(c, s)),
                f'<span class="status-{status}">{status}</span>',
                esc(c.reason or c.top_text(with_column=False), 160),
            ]
        )
    start = 5 + len(rules)
    numeric = [2, 3, 4, *range(start, start + len(extra))]
    return table(header, rows, numeric=numeric, cls="summary")


def _column_section(report: DriftReport, c: ColumnDrift, n: int, detail: bool) -> list[str]:
    r = c.comparison
    assert r is not None
    status = drift_status(c)
    unit = "bins" if c.type == "numeric" else "categories"
    names = ("reference", "current")
    bars = chart_bars(r, drift_order(c), unit)
    order_words = "bins, in bin order" if c.type == "numeric" else "categories, by reference share"
    out = [
        f'<section id="col-{n + 1}" class="column">',
        f'<h2>{esc(c.column, 200)} <span class="status-{status}">{status}</span></h2>',
        f'<p class="dim">{esc(c.type)} ({esc(c.typed_by)}); {esc(c.n_reference)} reference rows, '
        f"{esc(c.n_current)} current rows; {r.size} {unit}.</p>",
        f"<p>{esc(c.why)}.</p>",
        bar_chart(
            bars,
            names,
            title=f"{c.column}: shares per {'bin' if unit == 'bins' else 'category'}",
            axis=order_words,
        ),
        *_folded_note(bars, unit),
        *_changes(r, names),
    ]
    if r.only_in_q:
        out.append(
            f"<p>New in current: {', '.join(esc(x, 60) for x in r.only_in_q[:20])}"
            + (f" and {len(r.only_in_q) - 20} more" if len(r.only_in_q) > 20 else "")
            + ".</p>"
        )
    if detail:
        out.append(_category_table(r, 0, names))
    out.append("</section>")
    return out


def _category_table(r: Comparison, top: int, names: tuple[str, str] = ("P", "Q"), order: str | None = None) -> str:
    shown = category_rows(r, top, order)
    html_rows = [
        [esc(label, 200), esc(number(p)), esc(number(q)), esc(number(a)), esc(number(b))] for label, p, q, a, b in shown
    ]
    a, b = ("P log P/Q", "Q log Q/P")
    text = table(["category", esc(names[0]), esc(names[1]), a, b], html_rows, numeric=[1, 2, 3, 4], cls="categories")
    if r.size > len(shown):
        text += f'\n<p class="note">&hellip; {r.size - len(shown)} more categories (--top 0 shows all).</p>'
    return text


# ---------------------------------------------------------------------------
# compare


def compare_html(
    r: Comparison | Shown, out: TextIO, top: int = 15, order: str | None = None, verdict: Verdict | None = None
) -> None:
    """Any comparison compare produces, as one page; ``verdict``: --fail-above's, under the title."""
    title = f"KL divergence: {esc(r.p_source)} vs {esc(r.q_source)}"
    body = [f"<h1>{title}</h1>"]
    if verdict is not None:
        body.append(f'<p class="verdict {"bad" if verdict.exceeded else "good"}">{esc(verdict.sentence())}</p>')
    if isinstance(r, Comparison):
        body += _counts_body(r, top, order)
    else:
        body += _estimate_body(r)
    body += ["<h2>Explanation</h2>", *paragraphs(r.explanation())]
    if r.notes:
        body += ["<h2>Notes</h2>", *bullets(r.notes, "note")]
    if r.warnings:
        body += bullets((f"warning: {w}" for w in r.warnings), "note")
    page(title, body, out)


def _counts_body(r: Comparison, top: int, order: str | None = None) -> list[str]:
    header, rows = metric_rows(r)
    body = [
        f'<p class="dim">base {esc(r.base)} ({esc(r.unit)}); smoothing: {esc(r.smoothing.describe())}; '
        f"{r.size} categories.</p>",
        text_table(
            header, rows, numeric=[i for i, h in enumerate(header) if h not in ("metric", "id", "unit", "range")]
        ),
        *paragraphs(resampling_lines(r), "dim"),
    ]
    bars = chart_bars(r, range(r.size), "categories")
    body += [
        "<h2>P against Q per category</h2>",
        bar_chart(
            bars,
            (r.p_source, r.q_source),
            title="P against Q per category",
            axis="categories, in the order of the sources",
        ),
        *_folded_note(bars, "categories"),
        *_changes(r, ("P", "Q")),
        "<h2>Categories</h2>",
        _category_table(r, top, order=order),
    ]
    if r.only_in_p or r.only_in_q:
        body += paragraphs([f"Only in P: {_listed(r.only_in_p)}. Only in Q: {_listed(r.only_in_q)}."])
    return body


def _listed(labels: list[str]) -> str:
    if not labels:
        return "none"
    shown = ", ".join(labels[:20])
    return shown + (f" and {len(labels) - 20} more" if len(labels) > 20 else "")


def _estimate_body(r: Shown) -> list[str]:
    header, rows = estimate_metric_rows(r, None)
    kind = (
        "two parametric distributions"
        if isinstance(r, ParametricComparison)
        else "nearest-neighbour estimates from samples"
    )
    body = [
        f'<p class="dim">base {esc(r.base)} ({esc(r.unit)}); {kind}.</p>',
        text_table(header, rows, numeric=[2]),
    ]
    if r.differential:
        body += paragraphs(["* differential entropy: of a density, it can be negative"], "dim")
    body += paragraphs(not_estimated_lines(r))
    c = r.curves
    chart = "" if c is None else _curves_chart(c, (r.p_source, r.q_source))
    if chart:
        body += ["<h2>P and Q</h2>", chart]
    else:
        body += paragraphs(
            [f"No chart: {kind} have no categories to draw shares of (the metrics above are the whole comparison)."],
            "note",
        )
    return body


def _curves_chart(c: Any, names: tuple[str, str]) -> str:
    """Both distributions on one grid: masses per value as bars (discrete), densities as lines."""
    lo, hi = number(float(c.x[0]), 4), number(float(c.x[-1]), 4)
    if not c.discrete or c.x.size > MAX_BARS or c.step != 1.0:  # too many values for bars: lines
        what = "densities" if not c.discrete else "probabilities"
        chart = curve_chart(c.x, c.p, c.q, names, title=f"P and Q: {what} on one grid", value=what[:-3] + "y")
        note = f"x from {esc(lo)} to {esc(hi)}: the bulk of both distributions (far tails are not drawn)."
        return chart and f'{chart}\n<p class="note">{note}</p>'
    p, q = np.asarray(c.p, dtype=float), np.asarray(c.q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        key = np.where((p > 0) | (q > 0), (p - q) * (np.log(p) - np.log(q)), 0.0)
    key = np.nan_to_num(key, nan=0.0, posinf=np.inf, neginf=np.inf)
    labels = [number(float(v)) for v in c.x]
    ranked = np.argsort(-key, kind="stable")
    bars = select_bars(labels, p, q, range(p.size), ranked, key, unit="values")
    return "\n".join(
        [
            bar_chart(
                bars, names, title="P and Q: probability of each value", axis="values, in order", value="probability"
            ),
            *_folded_note(bars, "values"),
            f'<p class="note">Values {esc(lo)} to {esc(hi)} drawn: {esc(pct(math.fsum(p)))} of P&#39;s mass and '
            f"{esc(pct(math.fsum(q)))} of Q&#39;s (the rest lies beyond, where both are small).</p>",
        ]
    )
