"""matrix's report in every format: table (a heat-map grid), json, csv, markdown.

The grid shades each cell with a glyph beside its number, so it reads
without colour (and in ASCII when the output's encoding cannot hold the
glyphs). Names are user text: escaped (``visible``, ``md_escape``) and cut
to fit; columns that do not fit the width are left out, and the report says so.
"""

from __future__ import annotations

import math
from typing import TextIO

from ..reports.matrix import INFINITE_WHY, MatrixReport
from ..text import exact, fit, holds, number, visible
from ..vocabulary import METRIC_NAMES
from .writers import md_escape, md_table, output_encoding, report_width, trim_line_ends, write_csv, write_json

# Shades from 0 up: exactly 0, then below 25%, 50%, 75% of the scale, and the rest (infinite too).
SHADES = (" ", "░", "▒", "▓", "█")
ASCII_SHADES = (" ", ".", ":", "=", "#")
# Row names are cut to this many characters, and to no fewer than MIN_NAME to fit the width.
MAX_NAME, MIN_NAME = 24, 8
DIGITS = 3


def render_matrix(r: MatrixReport, fmt: str, out: TextIO) -> None:
    """Write the matrix in the chosen format."""
    if fmt == "json":
        write_json(r.to_dict(), out)
    elif fmt == "csv":
        write_csv(["name", *r.names], ([name, *map(exact, row)] for name, row in zip(r.names, r.matrix.tolist())), out)
    elif fmt == "markdown":
        out.write(matrix_markdown(r, output_encoding(out)) + "\n")
    else:
        out.write(trim_line_ends("\n".join(matrix_lines(r, report_width(out), output_encoding(out)))) + "\n")


def scale(r: MatrixReport) -> float:
    """The value the darkest shade starts from: its quarters set the shades
    (the largest finite entry, so the grid has contrast whatever the metric)."""
    finite = r.matrix[r.matrix < math.inf]
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def shade(value: float, top: float, shades: tuple[str, ...]) -> str:
    if value == 0:
        return shades[0]
    if math.isinf(value):
        return shades[4]
    return shades[1 + min(3, int(4 * value / top))]


def _title(r: MatrixReport, encoding: str | None) -> list[str]:
    unit = f", base {r.base} ({r.unit})" if r.unit else ""
    leaves = "optimal leaf order" if r.linkage == "average" else "leaves in linkage order"
    order = "input" if r.order == "input" else f"clustered (average linkage, {leaves})"
    return [
        fit(f"Pairwise {METRIC_NAMES[r.metric]} ({r.metric}){unit}", encoding),
        fit(f"{len(r.names)} distributions over {r.categories} categories · order: {order}", encoding),
        fit(r.orientation, encoding),
    ]


def matrix_lines(r: MatrixReport, width: int, encoding: str | None) -> list[str]:
    """The heat-map grid and its legend as lines of at most ``width`` characters."""
    shades = SHADES if holds("".join(SHADES), encoding) else ASCII_SHADES
    top = scale(r)
    values = r.matrix.tolist()
    cells = [[number(v, DIGITS) for v in row] for row in values]
    num_w = max(len(c) for row in cells for c in row)
    cell_w = num_w + 2  # shade, space, number
    names = [visible(name, encoding=encoding) for name in r.names]
    n = len(names)
    # Columns are headed by their names when every name fits a cell, else by
    # their numbers, which then also lead the rows.
    numbered = max(len(x) for x in names) > cell_w
    tag_w = len(str(n)) + 1 if numbered else 0
    cell_w = max(cell_w, len(str(n))) if numbered else cell_w
    name_w = min(MAX_NAME, max(len(x) for x in names)) + tag_w
    shown = n
    while name_w + shown * (cell_w + 1) > width and name_w > MIN_NAME + tag_w:
        name_w -= 1
    while shown > 1 and name_w + shown * (cell_w + 1) > width:
        shown -= 1
    lines = [*_title(r, encoding), ""]
    heads = [str(j + 1) if numbered else names[j] for j in range(shown)]
    lines.append((" " * name_w + "".join(" " + h.rjust(cell_w) for h in heads)).rstrip())
    for i in range(n):
        tag = str(i + 1).rjust(tag_w - 1) + " " if numbered else ""
        row = (tag + visible(r.names[i], name_w - tag_w, encoding)).ljust(name_w)
        for j in range(shown):
            row += " " + shade(values[i][j], top, shades) + " " + cells[i][j].rjust(cell_w - 2)
        lines.append(row.rstrip())
    lines.append("")
    grid = len(lines)
    if shown < n:
        lines.append(
            f"columns {shown + 1}-{n} of {n} left out to fit {width} characters "
            "(--format csv or json has them all; COLUMNS sets the width)"
        )
    blank, q1, q2, q3, q4 = (repr(s) if s == " " else s for s in shades)
    lines.append(
        fit(
            f"shading: {blank} 0, {q1} below 25%, {q2} 25-50%, {q3} 50-75%, {q4} 75% and more of "
            f"{number(top, 4)}, the largest finite entry; inf: infinite",
            encoding,
        )
    )
    if r.infinite_count:
        lines.append(fit(f"{r.infinite_count:,} infinite entries: {_why(r)}", encoding))
        for e in r.infinite[:5]:
            labels = ", ".join(visible(x, 30, encoding) for x in e.labels)
            more = f" and {e.count - len(e.labels)} more" if e.count > len(e.labels) else ""
            zero = r.names[e.column] if e.zero_side == "column" else r.names[e.row]
            lines.append(
                f"  {visible(r.names[e.row], 40, encoding)} vs {visible(r.names[e.column], 40, encoding)}: "
                f"{visible(zero, 40, encoding)} has 0 at {labels}{more}"
            )
    lines += [visible("note: " + note, encoding=encoding) for note in r.notes]
    return lines[:grid] + _wrapped(lines[grid:], width)


def _wrapped(lines: list[str], width: int) -> list[str]:
    """Prose lines wrapped at ``width`` (continuations indented)."""
    import textwrap

    out = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(
            line, width, initial_indent="", subsequent_indent=indent + "  ", break_on_hyphens=False
        ) or [""]
    return out


def _why(r: MatrixReport) -> str:
    return INFINITE_WHY.get(r.metric, "")


def matrix_markdown(r: MatrixReport, encoding: str | None = None) -> str:
    def esc(text: object) -> str:
        return md_escape(text, encoding)

    title, size, orientation = _title(r, encoding)
    header = ["", *map(esc, r.names)]
    rows = ([esc(name), *(number(v, 4) for v in row)] for name, row in zip(r.names, r.matrix.tolist()))
    parts = [f"### {esc(title)}", "", f"{esc(size)}; {esc(orientation)}.", "", md_table(header, rows)]
    if r.infinite_count:
        parts += ["", f"{r.infinite_count:,} infinite entries: {esc(_why(r))}."]
    if r.notes:
        parts.append("")
        parts += [f"> {esc(n)}" for n in r.notes]
    return "\n".join(parts)
