"""drift's report for GitHub Actions: workflow-command annotations, and the job summary.

Annotations (stdout): one ``::error`` per drifted column, the
``MAX_ANNOTATIONS`` largest relative to their own thresholds (ties by
column name), then the run's warnings as ``::warning`` annotations, and one
``::notice`` at the end with the verdict and the count of drifted columns and
warnings not annotated. When the check passes although columns drifted
(below ``--max-drift-share``) those columns are ``::warning`` annotations
instead: the step does not fail on them; they come before the run's warnings
under GitHub's cap of ``MAX_ANNOTATIONS`` warnings. A run without drift or
warnings is the notice alone.

User text (column names, labels, dataset names) is made visible first, as in
every kl-cli output, so a newline or an escape sequence in a column name can
never start a command line of its own; then every field takes GitHub's
escaping (the runner's ``escapeData``/``escapeProperty`` of actions/toolkit,
packages/core/src/command.ts): ``%``, CR and LF in the message, and ``:`` and
``,`` too in a property value.

The job summary (``append_summary``) is a file the runner created and other
steps wrote: kl-cli only appends to it, and only to an existing regular file.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from typing import TextIO

from ..reports.drift import ColumnDrift, DriftReport
from ..text import show_label, visible
from .ci import by_size, changes
from .writers import output_encoding

# GitHub shows at most 10 error (and 10 warning) annotations of a step.
MAX_ANNOTATIONS = 10
# GitHub's limit on a step's job summary, in bytes (1 MiB).
SUMMARY_LIMIT = 1_048_576
SUMMARY_CUT_NOTE = (
    "> The drift report was cut here: the job summary holds at most 1 MiB (GitHub's limit) and this step's "
    "summary had no room for the rest. Run the same `kl-cli drift` command with `--format markdown` (or "
    "`--format json`) for the full report."
)


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    """One workflow command line, ``::name key=value,...::message``."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def drift_annotations(report: DriftReport, encoding: str | None = None) -> str:
    """The annotation lines of a drift report (ending in a newline)."""

    def shown(text: str) -> str:
        return visible(text, encoding=encoding)

    drifted = by_size(report)
    kind = "error" if report.drift_detected else "warning"
    lines = [
        command(kind, _message(c, shown), title=f"Drift in column {shown(c.column)} of {shown(report.current)}")
        for c in drifted[:MAX_ANNOTATIONS]
    ]
    # The run's warnings (what stderr says) as warning annotations, in the
    # room the drifted columns leave under GitHub's cap on warnings.
    room = MAX_ANNOTATIONS - (min(len(drifted), MAX_ANNOTATIONS) if kind == "warning" else 0)
    warned = report.warnings[:room]
    lines += [command("warning", shown(w), title=f"kl-cli drift: {shown(report.current)}") for w in warned]
    verdict = shown(report.verdict())
    rest = len(drifted) - MAX_ANNOTATIONS
    if rest > 0:
        word = "column is" if rest == 1 else "columns are"
        verdict += (
            f"; {rest} more drifted {word} not annotated (GitHub shows at most {MAX_ANNOTATIONS} per step): "
            "the job summary or --format markdown lists every column"
        )
    unsaid = len(report.warnings) - len(warned)
    if unsaid > 0:
        word = "warning is" if unsaid == 1 else "warnings are"
        verdict += (
            f"; {unsaid} more {word} not annotated (GitHub shows at most {MAX_ANNOTATIONS} warnings per step): "
            "the step's log (stderr) and the job summary list every warning"
        )
    lines.append(command("notice", verdict, title=f"kl-cli drift: {shown(report.current)}"))
    return "\n".join(lines) + "\n"


def _message(c: ColumnDrift, shown: Callable[[str], str]) -> str:
    """A drifted column's figures, then its largest change."""
    lines = [shown(c.why)]
    top = changes(c)
    if top:
        lines.append("largest change: " + shown(top[0]))
    return "\n".join(lines)


def write_github(report: DriftReport, out: TextIO) -> None:
    out.write(drift_annotations(report, output_encoding(out)))


def summary_text(markdown: str, existing: int) -> str | None:
    """What to append to a job summary of ``existing`` bytes: the report on a
    line of its own (after a newline when the file holds something), cut at a line boundary with
    ``SUMMARY_CUT_NOTE`` when the whole would pass ``SUMMARY_LIMIT`` bytes;
    None when not even the note fits."""
    lead = "\n" if existing else ""
    whole = f"{lead}{markdown}\n"
    room = SUMMARY_LIMIT - existing
    if len(whole.encode("utf-8")) <= room:
        return whole
    tail = f"\n{SUMMARY_CUT_NOTE}\n"
    used = len(lead.encode("utf-8")) + len(tail.encode("utf-8"))
    kept = []
    for line in markdown.split("\n"):
        size = len(line.encode("utf-8")) + 1
        if used + size > room:
            break
        kept.append(line + "\n")
        used += size
    if used > room:
        return None
    return lead + "".join(kept) + tail


def append_summary(path: str, markdown: str) -> list[str]:
    """Append the markdown report (drift_markdown's, in UTF-8) to the job
    summary at ``path``; return the warnings (a summary that cannot be written
    never fails the check).

    The file must exist already (the runner creates it, as actions/toolkit
    requires), be a regular file and not a symbolic link; it is opened for
    appending only, so what other steps wrote stays as it is."""
    where = f"GITHUB_STEP_SUMMARY {show_label(path, 300)}"
    unchanged = "the drift check's result is unchanged"
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a FIFO without a reader fails at once, never hangs
    except OSError as e:
        return [f"{where}: not written ({_reason(e)}); {unchanged}"]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return [f"{where}: not written (not a regular file); {unchanged}"]
        text = summary_text(markdown, info.st_size)
        if text is None:
            held = f"the job summary already holds {info.st_size} bytes of GitHub's {SUMMARY_LIMIT}"
            return [f"{where}: not written ({held}); {unchanged}"]
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data) :]
        if text.endswith(f"{SUMMARY_CUT_NOTE}\n"):
            return [f"{where}: the drift report was cut to fit GitHub's 1 MiB limit on the job summary"]
        return []
    except OSError as e:
        return [f"{where}: not written in full ({_reason(e)}); {unchanged}"]
    finally:
        os.close(fd)


def _reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:  # O_NOFOLLOW's refusal
        return "is a symbolic link"
    return (e.strerror or str(e)).lower()
