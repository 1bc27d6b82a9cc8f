"""Shared writers: strict JSON, CSV, a single value, markdown tables.

Machine formats are written without rich, so no markup, wrapping or colour
can reach them.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from ..text import exact, visible


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
    if value != value:  # NaN is a defect upstream: never printed as a number (as strict JSON refuses it)
        raise ValueError("a figure is NaN; nothing is written")
    out.write(exact(value) + "\n")


def md_escape(text: object, encoding: str | None = None) -> str:
    """Escape a field for a GitHub markdown table cell or line: exact, never
    markup. Control characters (a newline among them) are escaped, so a field
    can never start a line of its own (a heading, a list, a quote)."""
    # The field's own backslashes are doubled; those visible() adds to
    # spell control characters (\\x1b, \\n) render as they are.
    shown = visible(str(text).replace("\\", "\\\\"), encoding=encoding)
    for ch in "`*_{}[]<>|#!~&$":
        shown = shown.replace(ch, "\\" + ch)
    return shown


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def output_encoding(out: TextIO) -> str | None:
    """The encoding ``out`` writes in (None: text that is not encoded, such as a StringIO)."""
    encoding = getattr(out, "encoding", None)
    return encoding if isinstance(encoding, str) and encoding else None


# The height given to rich with the width: the reports never use it, and with
# both given rich reads neither COLUMNS nor LINES itself (a 5,000-digit value
# made its int() fail).
REPORT_HEIGHT = 25
# The width of a terminal report: below 80 columns rich would crop numbers in
# the resampled tables; above 1,000 a COLUMNS value is not a terminal's.
MIN_WIDTH, MAX_WIDTH = 80, 1000


def report_width(out: TextIO) -> int:
    """COLUMNS when it is a whole number, else the terminal's width, else
    80; held within [MIN_WIDTH, MAX_WIDTH], so that a
    nonsensical COLUMNS (0, -3, 5, garbage, huge) still gives the whole report."""
    import os

    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        width = _terminal_width(out)
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _terminal_width(out: TextIO) -> int:
    """The terminal's width, as rich finds it: of ``out``, else of a standard stream."""
    import os

    descriptors = []
    with contextlib.suppress(AttributeError, OSError, ValueError):
        descriptors.append(out.fileno())
    for fd in (*descriptors, 0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
    return MIN_WIDTH
