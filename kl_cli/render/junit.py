"""drift's report as JUnit XML, the test report GitLab, Jenkins, CircleCI and Azure read.

One ``<testsuite>`` named after the current dataset, one ``<testcase>`` per
column (classname the dataset, name the column): a drifted column is a
``<failure type="drift">`` with its figures and largest changes, a column
not compared is ``<skipped>`` with the reason, every other column passes.
A failure means the check failed: when columns drifted but fewer than
``--max-drift-share`` of them (drift is not detected, the exit status is 0),
they pass, with a property ``drifted=true`` and a ``<system-out>`` that says so
(as GitHub's format makes them warnings, not errors).
Each test case carries ``<properties>`` with the rule and figures that exist
for it (metric, threshold, value, p_value, p_adjusted, correction).

Every piece of text passes through ``visible``: column names, labels and
dataset names come from untrusted files, and a control character that XML
1.0 cannot hold (NUL, ESC, a lone surrogate, U+FFFE) is shown as its escape
(``\\x00``), never dropped. The document is ASCII, characters beyond it
written as character references, as the JSON format is ASCII: it reads the
same in any ASCII-compatible encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from ..reports.drift import ColumnDrift, DriftReport
from ..text import exact, visible
from .ci import changes, one_sided

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

SUITES_NAME = "kl-cli drift"


def _text(value: object) -> str:
    return visible(str(value))


def write_junit(report: DriftReport, out: TextIO) -> None:
    """Write the report as one JUnit XML document."""
    out.write(drift_junit(report))


def drift_junit(report: DriftReport) -> str:
    """The report as a JUnit XML document (ASCII text, ending in a newline)."""
    import xml.etree.ElementTree as ET  # here: the other formats' start-up need not pay for it

    dataset = _text(report.current)
    absent = one_sided(report)
    skipped = sum(1 for c in report.columns if c.comparison is None) + len(absent)
    counts = {
        "tests": str(len(report.columns) + len(absent)),
        "failures": str(len(report.drifted_columns) if report.drift_detected else 0),
        "errors": "0",  # a run that could not check exits 2 and writes no report
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": SUITES_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": dataset, **counts})
    for c in report.columns:
        case = ET.SubElement(suite, "testcase", {"classname": dataset, "name": _text(c.column)})
        tolerated = c.drifted and not report.drift_detected
        _properties(case, _figures(report, c) + ([("drifted", "true")] if tolerated else []))
        said = list(c.notes)
        if c.comparison is None:
            ET.SubElement(case, "skipped", {"message": _text(c.reason or "not compared")})
        elif c.drifted and not tolerated:
            failure = ET.SubElement(case, "failure", {"message": _text(c.why), "type": "drift"})
            failure.text = _failure_text(c)
        elif tolerated:
            share = report.settings.max_drift_share or 0.0
            passed = f"fewer than {share:.0%} of the columns compared drifted (--max-drift-share)"
            said.insert(0, f"drifted, but the check passes: {passed}")
            said[1:1] = _failure_text(c).split("\n")
        if said:
            ET.SubElement(case, "system-out").text = "\n".join(_text(n) for n in said)
    for name, reason in absent:
        case = ET.SubElement(suite, "testcase", {"classname": dataset, "name": _text(name)})
        ET.SubElement(case, "skipped", {"message": _text(reason)})
    out_lines = [f"reference: {report.reference}", f"current: {report.current}", report.verdict(), *report.notes]
    ET.SubElement(suite, "system-out").text = "\n".join(_text(line) for line in out_lines)
    if report.warnings:
        ET.SubElement(suite, "system-err").text = "\n".join(_text(w) for w in report.warnings)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode").encode("ascii", "xmlcharrefreplace").decode("ascii")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _figures(report: DriftReport, c: ColumnDrift) -> list[tuple[str, str]]:
    """The column's rule and figures, as JUnit properties: only those that exist."""
    out = [("metric", c.metric), ("threshold", exact(c.threshold))]
    out.append(("rule_source", c.rule_source))
    if c.value is not None:
        out.append(("value", exact(c.value)))
    if c.p_value is not None:
        out.append(("p_value", exact(c.p_value)))
    if c.p_adjusted is not None:
        out.append(("p_adjusted", exact(c.p_adjusted)))
        out.append(("correction", report.settings.correction or "none"))
    return out


def _properties(case: ET.Element, figures: list[tuple[str, str]]) -> None:
    import xml.etree.ElementTree as ET

    props = ET.SubElement(case, "properties")
    for name, value in figures:
        ET.SubElement(props, "property", {"name": name, "value": _text(value)})


def _failure_text(c: ColumnDrift) -> str:
    """A drifted column's figures, then its largest changes, one a line."""
    lines = [c.why]
    top = changes(c)
    if top:
        lines += ["largest changes (reference → current):", *(f"  {t}" for t in top)]
    return "\n".join(_text(line) for line in lines)
