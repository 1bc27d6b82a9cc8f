"""The frame of a terminal report of two sides, shared by compare's reports
(counts, two distributions, a nearest-neighbour estimate): the rich console
at the report's width, the title, the metrics table's look, and the closing
explanation and notes.

User text enters rich only as ``Text`` after ``visible()``, never as markup.
"""

from __future__ import annotations

import math
from typing import Any, TextIO

from ..reports.verdict import Verdict
from ..text import fit, visible, visible_ends
from .writers import REPORT_HEIGHT, TrimmedLines, output_encoding, report_width


def report_console(out: TextIO, width: int | None = None) -> tuple[Any, int]:
    """The rich console of every terminal report: on ``out`` with the spaces
    at the ends of lines dropped, ``width`` wide (else the report width), user
    text never read as markup: (console, width)."""
    from rich.console import Console

    width = width or report_width(out)
    console = Console(
        file=TrimmedLines(out), width=width, height=REPORT_HEIGHT, highlight=False, emoji=False, markup=False
    )
    return console, width


def open_report(
    out: TextIO, p_source: str, q_source: str, *, width: int | None = None, source_width: int = 60
) -> tuple[Any, str | None, int]:
    """A rich console on ``out`` (``width``, else the report width) with the
    title "KL divergence: P vs Q" printed, each source cut to ``source_width``
    characters: (console, the output's encoding, the width)."""
    from rich.text import Text

    enc = output_encoding(out)
    console, width = report_console(out, width)
    title = Text("KL divergence: ", style="bold")
    # Cut in the middle: the role and the column stay, however long the path.
    title.append(visible_ends(p_source, source_width, enc), style="bold blue")
    title.append(" vs ", style="bold")
    title.append(visible_ends(q_source, source_width, enc), style="bold magenta")
    console.print(title)
    return console, enc, width


def metrics_table() -> Any:
    """An empty table in the reports' look: a rule under the header, no edges."""
    from rich import box
    from rich.table import Table

    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def value_cell(key: str, value: float, shown: str) -> Any:
    """A metric's value cell: infinite values in bold red, the two KL directions in bold."""
    from rich.text import Text

    return Text(shown, style="bold red" if math.isinf(value) else ("bold" if key in ("kl_pq", "kl_qp") else ""))


def close_report(console: Any, explanation: list[str], notes: list[str], encoding: str | None) -> None:
    """A blank line, the explanation, then the notes (dim)."""
    from rich.text import Text

    console.print()
    for line in explanation:
        console.print(Text(visible(line, encoding=encoding)))
    for note in notes:
        console.print(Text("note: " + visible(note, encoding=encoding), style="dim"))


def verdict_line(console: Any, verdict: Verdict | None, encoding: str | None) -> None:
    """--fail-above's verdict as the report's closing line (bold: red when exceeded)."""
    from rich.text import Text

    if verdict is not None:
        style = "bold red" if verdict.exceeded else "bold green"
        console.print(Text(fit(verdict.sentence(), encoding), style=style))
