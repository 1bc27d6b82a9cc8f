"""Text formatting of labels and numbers: the one set of formatters (leaf).

Every message, report and file kl-cli writes formats labels and numbers
through these functions, so a label is quoted, escaped and cut the same way
everywhere and a number has one spelling per purpose.
"""

from __future__ import annotations

import math
import sys
import unicodedata

# Characters that must never reach a terminal or a table cell raw: controls
# (ESC, BEL, newline...), format characters (bidi marks) and separators.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def visible(text: str, limit: int | None = None, encoding: str | None = None) -> str:
    """Make every control or format character visible as an escape
    (``\\x1b``, ``\\n``, ``\\u200f``) and cut to ``limit`` characters with an ellipsis.
    Applying it twice changes nothing more, so text may pass through it at
    every layer that shows it.

    With ``encoding`` (the output's), characters it cannot hold are escaped
    too, except the two that kl-cli itself puts in its prose, which take
    their ASCII spelling: the ellipsis of a cut (``...``) and the arrow (``->``).

    >>> visible("a\\x1bb"), visible("abcdef", 4), visible("é‖…", encoding="ascii")
    ('a\\\\x1bb', 'abc…', '\\\\xe9\\\\u2016...')
    """
    shown = "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in str(text))
    cut = "…"
    if encoding is not None and not _holds(shown + cut, encoding):
        shown = "".join(ch if _holds(ch, encoding) else PROSE_SPELLINGS.get(ch) or _escape(ch) for ch in shown)
        cut = cut if _holds(cut, encoding) else PROSE_SPELLINGS[cut]
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - len(cut), 0)] + cut
    return shown


def visible_ends(text: str, limit: int, encoding: str | None = None) -> str:
    """``visible`` text cut in the middle to ``limit`` characters, so that both
    ends stay: a side's role and the column it was read from, around a long path.

    >>> visible_ends("P (/a/long/path/to/counts.tsv: speeches_2019)", 30)
    'P (/a/lon….tsv: speeches_2019)'
    """
    shown = visible(text, encoding=encoding)
    if len(shown) <= limit:
        return shown
    cut = "…" if encoding is None or _holds("…", encoding) else PROSE_SPELLINGS["…"]
    head = max((limit - len(cut)) // 3, 0)
    tail = max(limit - len(cut) - head, 0)
    return shown[:head] + cut + shown[len(shown) - tail :]


def _escape(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def _holds(text: str, encoding: str) -> bool:
    """Whether ``encoding`` can write ``text`` (an unknown codec holds nothing but ASCII)."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    except LookupError:
        return text.isascii()
    return True


# ASCII spellings of the characters kl-cli's own reports use, for an output
# whose encoding cannot hold them (PYTHONIOENCODING=latin-1, ascii, cp1252).
ASCII_SPELLINGS = {
    "‖": "||",
    "…": "...",
    "→": "->",
    "∞": "inf",
    "±": "+/-",
    "·": "-",
    "─": "-",
    "—": "--",
    "✅": "[ok]",
    "❌": "[x]",
    "█": "#",
}
# The ones that also occur in prose made of user text (see ``visible``).
PROSE_SPELLINGS = {ch: ASCII_SPELLINGS[ch] for ch in "…→"}


def fit(text: str, encoding: str | None) -> str:
    """Text of kl-cli's own making (headings, metric names, ranges) for an
    output in ``encoding``: each character it cannot hold takes its ASCII
    spelling (``‖`` as ``||``), or is escaped when it has none. User text goes
    through ``visible(..., encoding=...)`` first, so no label is respelled.

    >>> fit("KL(P‖Q) in [0, ∞]", "latin-1"), fit("KL(P‖Q)", "utf-8")
    ('KL(P||Q) in [0, inf]', 'KL(P‖Q)')
    """
    if encoding is None or _holds(text, encoding):
        return text
    return "".join(ch if _holds(ch, encoding) else ASCII_SPELLINGS.get(ch) or _escape(ch) for ch in text)


def holds(text: str, encoding: str | None) -> bool:
    """Whether an output in ``encoding`` (None: any Unicode) can write ``text``."""
    return encoding is None or _holds(text, encoding)


def show_label(label: str, limit: int = 60) -> str:
    """A label quoted for a one-line message: escapes made visible, long ones cut.

    >>> show_label("rain")
    "'rain'"
    """
    text = "'" + visible(str(label)) + "'"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def side_label(role: str, source: str | None = None, column: str | None = None) -> str:
    """How every report and message names one side of a comparison: its role,
    then where it came from (a path as given, ``stdin``, an inline list, a
    distribution) and the column or JSON member it was read from.

    >>> side_label("P", "word_counts.tsv", "speeches_2019"), side_label("Q", "stdin"), side_label("P")
    ('P (word_counts.tsv: speeches_2019)', 'Q (stdin)', 'P')
    """
    if source is None:
        return role
    return f"{role} ({source})" if column is None else f"{role} ({source}: {column})"


# Inline lists longer than this are named by their first characters.
INLINE_NAME = 40


def show_labels(labels: list[str], limit: int = 3, width: int = 30) -> str:
    """A few labels for prose: "'a', 'b', 'c' and 2 more"."""
    shown = ", ".join(show_label(x, width) for x in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def show_total(total: float) -> str:
    """A total for a message; one beyond the largest float is said so, not 'inf'."""
    return f"{total:g}" if math.isfinite(total) else f"more than {sys.float_info.max:.2g}"


def number(x: float, digits: int = 6) -> str:
    """A number for humans: ``digits`` significant digits, 'inf' for infinity."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def exact(x: float) -> str:
    """A number for machines: the shortest repr that round-trips, 'inf' for infinity."""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def prose_number(x: float) -> str:
    """A metric value in a sentence: 4 significant digits, or 'infinite'."""
    return "infinite" if math.isinf(x) else f"{x:.4g}"


def pct(x: float) -> str:
    """A probability as a short percentage.

    >>> pct(0.2), pct(0.01234), pct(0)
    ('20%', '1.23%', '0%')
    """
    if x == 0:
        return "0%"
    if x < 1e-4:
        return f"{100 * x:.2g}%"
    return f"{100 * x:.3g}%"


def finite_or_none(x: float) -> float | None:
    """A number for strict JSON: infinite (or NaN) values become None (null)."""
    x = float(x)
    return x if math.isfinite(x) else None
