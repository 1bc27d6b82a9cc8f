"""Shared writers: strict JSON, CSV, a single value, markdown tables.

Machine formats are written without rich, so no markup, wrapping or colour
can reach them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
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
# The width of a report written to a pipe or a file without COLUMNS: wide
# enough that tables take their natural width and no line is wrapped, so no
# word is broken (prose longer than this still wraps, at a space).
PIPED_WIDTH = 400


def report_width(out: TextIO) -> int:
    """COLUMNS when it is a whole number; else the terminal's width when
    ``out`` is a terminal; else (a pipe, a file) ``PIPED_WIDTH``, a width that
    fits the content. COLUMNS and a terminal's width are held within
    [MIN_WIDTH, MAX_WIDTH], so that a nonsensical COLUMNS (0, -3, 5, huge)
    still gives the whole report; COLUMNS that is not a number is ignored."""
    import os

    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        if not _is_terminal(out):
            return PIPED_WIDTH
        width = _terminal_width(out)
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _is_terminal(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, OSError, ValueError):
        return False


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


# The end of a line made of spaces, tabs and colour codes; and a colour code.
_TRAILING = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+$")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def trim_line_ends(text: str) -> str:
    """``text`` with no space at the end of any line (rich pads table cells to
    the table's width; a padded line is noise in a diff, a log or a CI summary).
    Colour codes among those spaces are kept, so every style is still closed."""
    return "\n".join(_TRAILING.sub(lambda m: "".join(_SGR.findall(m.group(0))), line) for line in text.split("\n"))


class TrimmedLines:
    """A text stream that writes to ``out`` every line without the spaces at
    its end (``trim_line_ends``): a report's console writes through it. A line
    is held until it ends; ``flush`` passes on what is held as it is."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._held = ""

    def write(self, text: str) -> int:
        done, newline, held = (self._held + text).rpartition("\n")
        self._held = held
        if newline:
            self._out.write(trim_line_ends(done) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._held:
            self._out.write(self._held)
            self._held = ""
        self._out.flush()

    def isatty(self) -> bool:
        return _is_terminal(self._out)

    def __getattr__(self, name: str) -> Any:  # encoding, errors, fileno: those of ``out``
        return getattr(self._out, name)
