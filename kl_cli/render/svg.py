"""An inline SVG bar chart of two distributions' shares per category or bin.

Two bars per category (the first side, then the second), a legend, a share
axis with percent ticks, and the largest contributors to the difference
marked by rank. At most ``MAX_BARS`` groups are drawn: past that, the marked
categories and the largest shares are kept (in the display order) and the
rest are added up into one "other" group that says how many it holds, so no
share is ever dropped without a word.

Every coordinate is computed from finite numbers only (a share that is not
finite is drawn as 0, and said in the bar's tooltip); user text enters the
SVG only through ``esc``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import exact, number, pct, visible, visible_ends
from .html import esc

MAX_BARS = 30
MARKED = 3  # the largest contributors marked in each chart
# Geometry, in pixels.
PLOT_HEIGHT = 240
LEFT, RIGHT, TOP = 64, 24, 56
GROUP = 38  # the width of a category's two bars and the gap after them
BAR = 13
LABEL_CHARS = 26
MIN_WIDTH = 520
CHAR_WIDTH = 6.5  # about, at the 11 px font of the charts


@dataclass(frozen=True)
class Bar:
    """One category's two shares; ``rank`` 1 is the largest contributor."""

    label: str
    p: float
    q: float
    rank: int | None = None
    folded: int = 0  # > 0: the "other" group, standing for this many categories


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else 0.0


def select_bars(
    labels: Sequence[str],
    p: Sequence[float],
    q: Sequence[float],
    order: Sequence[int],
    ranked: Sequence[int],
    contribution: Sequence[float],
    *,
    unit: str = "categories",
    cap: int = MAX_BARS,
) -> list[Bar]:
    """The bars of one chart: categories in ``order`` (indices), the first
    ``MARKED`` of ``ranked`` with a positive ``contribution`` marked; past
    ``cap`` groups, the others folded into one "other" group."""
    marks = [int(i) for i in ranked if contribution[int(i)] > 0][:MARKED]
    rank = {i: n + 1 for n, i in enumerate(marks)}
    order = [int(i) for i in order]
    if len(order) <= cap:
        kept = set(order)
    else:
        # The marked ones, then the largest shares on either side.
        by_size = sorted(order, key=lambda i: -max(_finite(p[i]), _finite(q[i])))
        kept = set(marks)
        for i in by_size:
            if len(kept) >= cap - 1:
                break
            kept.add(i)
    bars = [Bar(str(labels[i]), float(p[i]), float(q[i]), rank.get(i)) for i in order if i in kept]
    rest = [i for i in order if i not in kept]
    if rest:
        bars.append(
            Bar(
                f"other ({len(rest)} {unit})",
                math.fsum(_finite(p[i]) for i in rest),
                math.fsum(_finite(q[i]) for i in rest),
                folded=len(rest),
            )
        )
    return bars


def _nice_top(high: float) -> tuple[float, float]:
    """(axis top, tick step) for shares up to ``high``: 1, 2 or 2.5, 5 times a power of ten, 4 to 8 ticks."""
    if not high > 0:
        return 1.0, 0.25
    high = min(high, 1.0)
    power = 10.0 ** math.floor(math.log10(high))
    for m in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0):
        step = m * power
        if high / step <= 6:
            return min(1.0, step * math.ceil(high / step - 1e-12)), step
    return 1.0, 0.25  # unreachable: m = 10 always fits


def _f(x: float) -> str:
    """A coordinate: two decimals, from a finite number."""
    return f"{_finite(x):.2f}"


def _legend(names: tuple[str, str], mark: str | None) -> tuple[list[str], float]:
    """The legend's elements (a swatch and a name per side, and the mark's meaning) and where it ends."""
    out, x = [], float(LEFT)
    # A side's name is cut in the middle: its role and its column stay, around a long path.
    sides = [("ref", visible_ends(names[0], 40)), ("cur", visible_ends(names[1], 40))]
    for cls, text in sides + ([("mark", mark)] if mark else []):
        out.append(f'<rect class="{cls} legend" x="{_f(x)}" y="30" width="12" height="12"/>')
        out.append(f'<text x="{_f(x + 17)}" y="40">{esc(text)}</text>')
        x += 17 + CHAR_WIDTH * len(text) + 16
    return out, x


def bar_chart(
    bars: Sequence[Bar], names: tuple[str, str], *, title: str, axis: str = "category", value: str = "share"
) -> str:
    """The chart as one ``<svg>`` element. ``names`` are the two sides (e.g.
    reference, current), ``title`` is plain text, ``axis`` names the x axis."""
    n = len(bars)
    marked = any(b.rank for b in bars)
    legend, legend_end = _legend(names, f"#1-#{MARKED}: largest contributions to the difference" if marked else None)
    shown = [visible(b.label, LABEL_CHARS) for b in bars]
    # Labels are rotated by 55 degrees: about 5.3 pixels down and 3.7 left per character;
    # the first label must not run out of the picture on the left.
    left = max(LEFT, round(3.7 * len(shown[0]) - GROUP / 2 + 8) if shown else LEFT)
    width = max(MIN_WIDTH, left + RIGHT + GROUP * max(n, 1), round(legend_end) + RIGHT)
    label_room = 10 + 5.3 * max((len(x) for x in shown), default=4)
    height = TOP + PLOT_HEIGHT + label_room + 34
    # Headroom above the tallest bar for its rank.
    top, step = _nice_top(1.08 * max((max(_finite(b.p), _finite(b.q)) for b in bars), default=0.0))
    base = TOP + PLOT_HEIGHT

    def y(share: float) -> float:
        return base - min(_finite(share), top) / top * PLOT_HEIGHT

    def h(share: float) -> float:
        return min(max(_finite(share), 0.0), top) / top * PLOT_HEIGHT

    out = [
        f'<svg class="chart" role="img" width="{width}" height="{_f(height)}" '
        f'viewBox="0 0 {width} {_f(height)}" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<text class="title" x="{LEFT}" y="18">{esc(title, int((width - LEFT) / 7.5))}</text>',
    ]
    out += legend
    # Grid and ticks.
    ticks = round(top / step)
    for k in range(ticks + 1):
        share = min(top, k * step)
        ty = y(share)
        out.append(f'<line class="grid" x1="{left}" x2="{width - RIGHT}" y1="{_f(ty)}" y2="{_f(ty)}"/>')
        out.append(f'<text x="{left - 6}" y="{_f(ty + 4)}" text-anchor="end">{esc(pct(share))}</text>')
    mid = TOP + PLOT_HEIGHT / 2
    out.append(
        f'<text x="16" y="{_f(mid)}" text-anchor="middle" transform="rotate(-90 16 {_f(mid)})">{esc(value)}</text>'
    )
    # Bars, marks and labels.
    for i, b in enumerate(bars):
        gx = left + GROUP * i + (GROUP - 2 * BAR) / 2
        if b.rank:
            out.append(
                f'<rect class="mark" x="{_f(gx - 3)}" y="{TOP - 4}" width="{2 * BAR + 6}" height="{PLOT_HEIGHT + 4}"/>'
            )
        extra = (f' data-rank="{b.rank}"' if b.rank else "") + (f' data-folded="{b.folded}"' if b.folded else "")
        for k, (cls, share, name) in enumerate((("ref", b.p, names[0]), ("cur", b.q, names[1]))):
            tip = f"{b.label}: {name} {number(share, 4)}" + ("" if math.isfinite(share) else " (drawn as 0)")
            out.append(
                f'<rect class="bar {cls}" x="{_f(gx + k * BAR)}" y="{_f(y(share))}" width="{BAR}" '
                f'height="{_f(h(share))}" data-label="{esc(b.label)}" data-share="{esc(exact(share))}"{extra}>'
                f"<title>{esc(tip)}</title></rect>"
            )
        if b.rank:
            ry = min(y(b.p), y(b.q)) - 5
            out.append(f'<text class="rank" x="{_f(gx + BAR)}" y="{_f(ry)}" text-anchor="middle">#{b.rank}</text>')
        lx_, ly = gx + BAR, base + 14
        cls = ' class="other"' if b.folded else ""
        out.append(
            f'<text{cls} x="{_f(lx_)}" y="{_f(ly)}" text-anchor="end" '
            f'transform="rotate(-55 {_f(lx_)} {_f(ly)})">{esc(shown[i])}</text>'
        )
    out.append(f'<line class="axis" x1="{left}" x2="{width - RIGHT}" y1="{base}" y2="{base}"/>')
    out.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{TOP}" y2="{base}"/>')
    out.append(
        f'<text x="{_f((left + width - RIGHT) / 2)}" y="{_f(height - 8)}" text-anchor="middle">{esc(axis)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values between ``low`` and ``high`` (both finite, low < high)."""
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def curve_chart(
    x: Sequence[float],
    p: Sequence[float],
    q: Sequence[float],
    names: tuple[str, str],
    *,
    title: str,
    value: str = "density",
) -> str:
    """Two densities on one grid as lines, in one ``<svg>``; points that are not finite break the line."""
    width, plot_w = 760, 760 - LEFT - RIGHT
    height = TOP + PLOT_HEIGHT + 44
    base = TOP + PLOT_HEIGHT
    xs = [float(v) for v in x]
    finite = [v for v in (*p, *q) if math.isfinite(v)]
    low, high = xs[0], xs[-1]
    top = max(finite, default=0.0)
    if not (math.isfinite(low) and math.isfinite(high) and high > low and top > 0):
        return ""

    def px(v: float) -> float:
        return LEFT + (v - low) / (high - low) * plot_w

    def py(v: float) -> float:
        return base - min(max(v, 0.0), top * 1.05) / (top * 1.05) * PLOT_HEIGHT

    out = [
        f'<svg class="chart curves" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<text class="title" x="{LEFT}" y="18">{esc(title, 90)}</text>',
    ]
    out += _legend(names, None)[0]
    for t in _ticks(0.0, top * 1.05):
        out.append(f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{_f(py(t))}" y2="{_f(py(t))}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{_f(py(t) + 4)}" text-anchor="end">{esc(number(t, 3))}</text>')
    for t in _ticks(low, high):
        out.append(f'<text x="{_f(px(t))}" y="{base + 16}" text-anchor="middle">{esc(number(t, 4))}</text>')
    for cls, values in (("ref", p), ("cur", q)):
        segment: list[str] = []
        for v, y in zip(xs, values):
            if math.isfinite(v) and math.isfinite(y):
                segment.append(f"{_f(px(v))},{_f(py(y))}")
            elif segment:
                out.append(f'<polyline class="line {cls}" points="{" ".join(segment)}"/>')
                segment = []
        if segment:
            out.append(f'<polyline class="line {cls}" points="{" ".join(segment)}"/>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{width - RIGHT}" y1="{base}" y2="{base}"/>')
    out.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}"/>')
    out.append(f'<text x="{_f(LEFT + plot_w / 2)}" y="{height - 6}" text-anchor="middle">x</text>')
    mid = TOP + PLOT_HEIGHT / 2
    out.append(
        f'<text x="16" y="{_f(mid)}" text-anchor="middle" transform="rotate(-90 16 {_f(mid)})">{esc(value)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)
