"""Shared writers: strict JSON, CSV, a single value, markdown tables.

Machine formats are written without rich, so no markup, wrapping or colour
can reach them.
"""

from __future__ import annotations

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
