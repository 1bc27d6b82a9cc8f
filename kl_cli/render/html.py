"""The frame of kl-cli's HTML reports: escaping, the page, tables, lists.

A report is one self-contained HTML5 file: an inline style sheet, inline
SVG, no script, no link to anything outside it, and a Content-Security-Policy
that forbids the browser to load anything (should a label ever slip through).
Every piece of user text (column names, categories, sources, notes) passes
through ``esc``: its control and format characters made visible first (a
newline, a right-to-left override), then HTML-escaped, quotes included, so it
is text in an element and in an attribute alike. The page is written in
ASCII (other characters as numeric references), so it reads the same in any
output encoding.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..text import visible

# Nothing may be loaded: no script, font, image, frame or request of any kind;
# only the inline style sheet and data: images.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
  margin: 24px auto; max-width: 1100px; padding: 0 16px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 6px; padding-top: 10px; border-top: 1px solid #d8dce4;
  overflow-wrap: anywhere; }
p, li { overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e3e6ec; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.label { max-width: 360px; overflow-wrap: anywhere; }
.verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 4px; display: inline-block; }
.bad { background: #fde8e8; color: #9b1c1c; }
.good { background: #e6f4ea; color: #1e6b34; }
.status-DRIFT { color: #9b1c1c; font-weight: 700; }
.status-ok { color: #1e6b34; }
.status-skipped { color: #8a5a00; }
.dim { color: #5b6475; }
.note { color: #5b6475; font-size: 13px; }
code { background: #f3f5f8; padding: 0 3px; border-radius: 3px; }
svg { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1d2330; }
svg .axis { stroke: #8d95a5; stroke-width: 1; }
svg .grid { stroke: #e3e6ec; stroke-width: 1; }
svg .ref { fill: #3b6fb6; }
svg .cur { fill: #d9730d; }
svg .mark { fill: #fff3c4; stroke: #e0b100; stroke-width: 1; }
svg .rank { font-weight: 700; fill: #8a5a00; }
svg .other { font-style: italic; }
svg .line { fill: none; stroke-width: 2; }
svg .line.ref { stroke: #3b6fb6; }
svg .line.cur { stroke: #d9730d; }
svg .title { font-size: 13px; font-weight: 600; }
"""


def esc(text: object, limit: int | None = None) -> str:
    """User text for HTML or SVG, in an element or an attribute: control
    characters shown as escapes (``\\n``, ``\\u202e``), cut to ``limit``
    characters, then ``<>&"'`` escaped."""
    return html.escape(visible(str(text), limit), quote=True)


def page(title: str, body: Iterable[str], out: TextIO) -> None:
    """Write a whole page: ``title`` is already escaped, ``body`` is HTML."""
    text = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )
    # ASCII whatever the output's encoding: every other character as a
    # numeric reference, which the declared UTF-8 reads the same.
    out.write(text.encode("ascii", "xmlcharrefreplace").decode("ascii") + "\n")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = (), cls: str = "") -> str:
    """A table of cells that are already HTML; the columns in ``numeric`` right-aligned."""
    right = set(numeric)

    def cell(tag: str, i: int, content: str) -> str:
        return f'<{tag} class="num">{content}</{tag}>' if i in right else f"<{tag}>{content}</{tag}>"

    lines = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    lines.append("".join(cell("th", i, h) for i, h in enumerate(header)))
    lines.append("</tr></thead>")
    lines.append("<tbody>")
    for row in rows:
        lines.append("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()) -> str:
    """A table of plain text cells (every one escaped)."""
    return table([esc(h) for h in header], ([esc(c) for c in row] for row in rows), numeric)


def paragraphs(lines: Iterable[str], cls: str = "") -> list[str]:
    """One paragraph per line of plain text."""
    start = f'<p class="{cls}">' if cls else "<p>"
    return [f"{start}{esc(line)}</p>" for line in lines]


def bullets(lines: Iterable[str], cls: str = "") -> list[str]:
    """A list of plain text lines ([] when there are none)."""
    items = [f"<li>{esc(line)}</li>" for line in lines]
    if not items:
        return []
    return [f'<ul class="{cls}">' if cls else "<ul>", *items, "</ul>"]
